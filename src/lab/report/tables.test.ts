import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { floorChecks } from './analysis.js';
import { syntheticResult } from './fixture.js';
import { detectionTable, fidelityTable, floorsTable, formatTable, formatTables, membershipTable, type Table } from './tables.js';

/** The cells of the printed row whose leading cells are `lead` (cells are separated by two or more spaces). */
const cellsOf = (text: string, lead: string[]): string[] => {
  const rows = text.split('\n').map((l) => l.trim().split(/\s{2,}/));
  const row = rows.find((c) => lead.every((x, i) => c[i] === x));
  assert.ok(row, `no row ${lead.join(' ')}`);
  return row;
};

describe('lab console tables', () => {
  it('fidelity rows carry the result numbers with three decimals and - for metrics that do not apply', () => {
    const r = syntheticResult();
    const t = fidelityTable(r);
    assert.equal(t.rows.length, r.attacks.reduce((s, a) => s + a.fidelity.length, 0));
    for (const a of r.attacks) {
      for (const f of a.fidelity) {
        const row = t.rows.find((x) => x[0] === a.name && x[1] === a.victim && x[2] === a.policy && x[3] === String(f.queries));
        assert.ok(row, `${a.name}/${a.policy}/${f.queries}`);
        assert.equal(row[4], f.r2 == null ? '-' : f.r2.toFixed(3));
        assert.equal(row[7], f.agreement == null ? '-' : f.agreement.toFixed(3));
      }
    }
    const tox = t.rows.find((x) => x[1] === 'tox21')!;
    assert.equal(tox[4], '-');
  });

  it('detection points show counts and - for never', () => {
    const r = syntheticResult();
    const text = formatTable(detectionTable(r));
    const blocked = r.attacks.find((a) => a.policy === 'inline-block' && a.name === 'sybil-random')!;
    const row = cellsOf(text, ['sybil-random', 'bace-pic50', 'random', '4', 'inline-block']);
    assert.deepEqual(row.slice(-3), [blocked.queries_to_first_alert, blocked.queries_to_incident, blocked.queries_to_block].map(String));
    const open = cellsOf(text, ['sybil-random', 'bace-pic50', 'random', '4', 'full']);
    assert.equal(open.at(-1), '-');
  });

  it('membership shows - where TPR at 0.1% FPR was not measurable', () => {
    const r = syntheticResult();
    const t = membershipTable(r);
    r.membership.forEach((m, i) => {
      assert.equal(t.rows[i]![3], m.auc.toFixed(3));
      assert.equal(t.rows[i]![5], m.tpr_at_01pct_fpr == null ? '-' : m.tpr_at_01pct_fpr.toFixed(3));
    });
  });

  it('columns line up: numbers right-aligned, text left-aligned, whatever the names (control characters replaced)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 })), fc.double({ min: -1e4, max: 1e4, noNaN: true })), { minLength: 1, maxLength: 8 }), (rows) => {
        const t: Table = { title: 't', caption: '', head: ['name', 'value'], numeric: [false, true], rows: rows.map(([n, v]) => [n, v.toFixed(3)]) };
        const lines = formatTable(t).split('\n');
        // eslint-disable-next-line no-control-regex -- the point is that none get through
        assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(lines.join('\n')));
        const body = lines.slice(1);
        const len = (s: string): number => [...s].length;
        const width = len(body[1]!);
        // Right-aligned last column: every row (header and data) ends at the same column.
        for (const l of body) assert.equal(len(l), width, JSON.stringify(l));
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('floor checks flip between PASS and FAIL where the numbers cross the floors', () => {
    const status = (o: Parameters<typeof syntheticResult>[0]): Record<string, boolean> => Object.fromEntries(floorChecks(syntheticResult(o)).map((c) => [c.id, c.pass]));
    assert.deepEqual(status({}), { 'alert-before': true, 'benign-false-positives': true, 'r2-gap': true });
    assert.equal(status({ alertAt: 4999 })['alert-before'], true);
    assert.equal(status({ alertAt: 5000 })['alert-before'], false);
    // Never alerted while sending 5,000 queries: broken.
    assert.equal(status({ alertAt: null })['alert-before'], false);
    assert.equal(status({ falsePositives: 1 })['benign-false-positives'], false);
    // 0.7 - 0.5 is 0.19999999999999996 in floating point: still on the floor.
    assert.equal(status({ unprotectedR2: 0.7, protectedR2: 0.5 })['r2-gap'], true);
    assert.equal(status({ unprotectedR2: 0.69, protectedR2: 0.5 })['r2-gap'], false);
    assert.equal(status({ unprotectedR2: 0.9, protectedR2: 0.71 })['r2-gap'], false);
  });

  it('an attack stopped before the limit without an alert did not reach it; failures name the runs', () => {
    const r = syntheticResult({ alertAt: 6000 });
    const c = floorChecks(r).find((x) => x.id === 'alert-before')!;
    assert.equal(c.pass, false);
    assert.equal(c.failures.length, r.attacks.length);
    assert.match(c.failures[0]!, /first alert at 6000 queries/);
    for (const a of r.attacks) {
      a.queries_to_first_alert = null;
      a.queries_sent = 3000;
    }
    const d = floorChecks(r).find((x) => x.id === 'alert-before')!;
    assert.equal(d.pass, true);
    assert.match(d.measured, new RegExp(`${r.attacks.length} stopped without an alert`));
  });

  it('the floors table prints PASS/FAIL with the measured values', () => {
    const text = formatTable(floorsTable(syntheticResult({ falsePositives: 3, unprotectedR2: 0.8, protectedR2: 0.45 })));
    assert.match(text, /false-positive alerts on benign traffic\s+3 false-positive alerts in 3000 benign queries\s+FAIL/);
    assert.match(text, /gap 0\.350\s+PASS/);
    assert.match(formatTables(syntheticResult()), /^Victims\n/);
  });
});
