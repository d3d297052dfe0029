import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isMwError } from '../../errors/index.js';
import { syntheticResult } from './fixture.js';
import { validateLabResult } from './schema.js';

/** The `--json` shape issue 10 names, as key paths ('[]' steps into an array's first element). */
const ISSUE_SHAPE = [
  'victims', 'victims.[].name', 'victims.[].metric', 'victims.[].value',
  'attacks', 'attacks.[].name', 'attacks.[].policy', 'attacks.[].queries_to_first_alert', 'attacks.[].queries_to_incident', 'attacks.[].queries_to_block',
  'attacks.[].fidelity', 'attacks.[].fidelity.[].queries', 'attacks.[].fidelity.[].r2', 'attacks.[].fidelity.[].spearman', 'attacks.[].fidelity.[].top100_overlap', 'attacks.[].fidelity.[].agreement',
  'membership', 'membership.[].policy', 'membership.[].auc', 'membership.[].tpr_at_1pct_fpr', 'membership.[].tpr_at_01pct_fpr',
  'benign', 'benign.queries', 'benign.false_positive_alerts',
];

type Json = Record<string, unknown>;
const clone = (): Json => JSON.parse(JSON.stringify(syntheticResult())) as Json;

function parentOf(root: Json, path: string): { obj: Json; key: string } {
  const steps = path.split('.');
  let cur: unknown = root;
  for (const s of steps.slice(0, -1)) cur = s === '[]' ? (cur as unknown[])[0] : (cur as Json)[s];
  return { obj: cur as Json, key: steps.at(-1)! };
}

function problems(value: unknown): string[] {
  try {
    validateLabResult(value);
    return [];
  } catch (e) {
    assert.ok(isMwError(e), String(e));
    assert.equal(e.code, 'MW_ERR_LAB_RESULT');
    return (e.details?.['problems'] as string[]) ?? [];
  }
}

describe('LabResult schema', () => {
  it('accepts a result in the issue shape after a JSON round trip, nulls where a metric does not apply', () => {
    const json = clone();
    const r = validateLabResult(json);
    assert.deepEqual(r, json);
    const tox = r.attacks.find((a) => a.victim === 'tox21')!;
    assert.equal(tox.fidelity[0]!.r2, null);
    assert.equal(typeof tox.fidelity[0]!.agreement, 'number');
  });

  it('requires every field of the issue shape: removing any one is rejected and named', () => {
    for (const path of ISSUE_SHAPE) {
      const json = clone();
      const { obj, key } = parentOf(json, path);
      assert.ok(key in obj, `${path} missing from the fixture`);
      delete obj[key];
      const p = problems(json);
      const where = path.replace(/\[\]/g, '0');
      assert.ok(p.some((x) => x.startsWith(`${where}:`)), `${path}: ${p.join('; ')}`);
    }
  });

  it('null is allowed for metrics and detection points, not for counts', () => {
    const json = clone();
    const a = (json['attacks'] as Json[])[0]!;
    a['queries_to_block'] = null;
    ((a['fidelity'] as Json[])[0]!)['spearman'] = null;
    assert.deepEqual(problems(json), []);
    (json['benign'] as Json)['queries'] = null;
    assert.ok(problems(json).some((x) => x.startsWith('benign.queries:')));
  });

  it('rejects unknown fields, out-of-range metrics and broken references, listing all at once', () => {
    const json = clone();
    (json['victims'] as Json[])[0]!['extra'] = 1;
    const attacks = json['attacks'] as Json[];
    attacks[0]!['policy'] = 'nonexistent';
    ((attacks[1]!['fidelity'] as Json[])[0]!)['agreement'] = 1.5;
    ((json['membership'] as Json[])[0]!)['victim'] = 'nope';
    const p = problems(json);
    assert.ok(p.some((x) => x.startsWith('victims.0:') && /extra/.test(x)), p.join('; '));
    assert.ok(p.some((x) => x.startsWith('attacks.0.policy:') && x.includes('unknown policy')), p.join('; '));
    assert.ok(p.some((x) => x.startsWith('attacks.1.fidelity.0.agreement:')), p.join('; '));
    assert.ok(p.some((x) => x.startsWith('membership.0.victim:')), p.join('; '));
  });

  it('checks consistency: increasing checkpoints, answered <= sent, gap = unprotected - protected, unique runs', () => {
    const base = clone();
    const fid = ((base['attacks'] as Json[])[0]!['fidelity'] as Json[]);
    fid[1]!['queries'] = fid[0]!['queries'];
    assert.ok(problems(base).some((x) => x.startsWith('attacks.0.fidelity.1.queries:')));

    const b = clone();
    const a0 = (b['attacks'] as Json[])[0]!;
    a0['queries_answered'] = (a0['queries_sent'] as number) + 1;
    assert.ok(problems(b).some((x) => x.startsWith('attacks.0.queries_answered:')));

    const c = clone();
    (c['reference'] as Json)['gap'] = 0.5;
    assert.ok(problems(c).some((x) => x.startsWith('reference.gap:')));
    (c['reference'] as Json)['protected_r2_before_block'] = null;
    (c['reference'] as Json)['gap'] = null;
    assert.deepEqual(problems(c), []);

    const d = clone();
    (d['attacks'] as Json[]).push((d['attacks'] as Json[])[0]!);
    assert.ok(problems(d).some((x) => x.includes('duplicate run')));
  });
});
