/**
 * The lab end to end, as `mirrorwatch lab run --quick` runs it: real victims
 * trained on the shipped MoleculeNet data, the real gateway under every
 * policy, real attacks over loopback HTTP. One run (it takes minutes), many
 * assertions about behaviour that would break: detection before 5,000
 * queries, no false positives on researchers, containment that really stops
 * the attacker, hardening that really removes what the attacks use.
 */
import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { createLabReporter, type LabAttack, type LabResult } from '../report/index.js';
import { runLab } from './index.js';

describe('lab run --quick (seed 1)', { timeout: 30 * 60_000 }, () => {
  let r: LabResult;
  before(async () => {
    r = await runLab({ seed: 1, quick: true });
  }, { timeout: 30 * 60_000 });

  const runs = (policy: string, pred: (a: LabAttack) => boolean = () => true): LabAttack[] => r.attacks.filter((a) => a.policy === policy && pred(a));
  const last = (a: LabAttack): number => a.fidelity.at(-1)!.r2 ?? a.fidelity.at(-1)!.agreement!;

  it('validates against the result schema and renders', () => {
    const reporter = createLabReporter();
    reporter.validate(JSON.parse(JSON.stringify(r)));
    assert.match(reporter.tables(r), /Detection points/);
  });

  it('trains credible victims', () => {
    const bace = r.victims.find((v) => v.name === 'bace-pic50')!;
    const tox = r.victims.find((v) => v.name === 'tox21')!;
    assert.ok(bace.value > 0.5, `BACE held-out R2 ${bace.value}`);
    assert.ok(tox.value > 0.7, `Tox21 mean AUC ${tox.value}`);
  });

  it('alerts on every extraction and Sybil attack before 5,000 queries, under every policy', () => {
    const ext = r.attacks.filter((a) => a.name.startsWith('extraction') || a.name.startsWith('sybil'));
    assert.ok(ext.length >= r.policies.length * 3);
    for (const a of ext) {
      if (a.queries_sent < 5000 && a.queries_to_first_alert === null) {
        // Only a spent budget may end an attack before it is seen.
        assert.equal(a.policy, 'rate-budget', `${a.name} under ${a.policy} ended unseen at ${a.queries_sent}`);
        continue;
      }
      assert.ok(a.queries_to_first_alert !== null && a.queries_to_first_alert < 5000, `${a.name} on ${a.victim} under ${a.policy}: first alert ${a.queries_to_first_alert}`);
    }
  });

  it('raises no alert on the researchers', () => {
    assert.ok(r.benign.queries > 1000, `benign queries ${r.benign.queries}`);
    assert.equal(r.benign.false_positive_alerts, 0);
  });

  it('the default policy blocks every attacker for good, early, and the copy is worse for it', () => {
    for (const a of runs('inline-block', (x) => x.name !== 'membership')) {
      assert.ok(a.queries_to_block !== null && a.queries_to_block < 5000, `${a.name} on ${a.victim}: block at ${a.queries_to_block}`);
      assert.ok(a.queries_answered < a.queries_sent, 'refused queries were not answered');
      assert.ok(a.queries_answered <= a.queries_to_block);
    }
    assert.ok(r.reference.gap !== null && r.reference.gap > 0.05, `R2 gap ${r.reference.gap}`);
  });

  it('copies improve with queries when nothing stops them', () => {
    for (const a of runs('full')) {
      const first = a.fidelity[0]!;
      const f = (p: typeof first): number => p.r2 ?? p.agreement!;
      assert.ok(f(a.fidelity.at(-1)!) >= f(first) - 0.02, `${a.name} on ${a.victim}: ${f(first)} -> ${f(a.fidelity.at(-1)!)}`);
    }
    const bace = runs('full', (a) => a.victim === 'bace-pic50' && a.keys === 1);
    assert.ok(bace.some((a) => last(a) > 0.6), 'an unprotected BACE copy reaches R2 0.6 within 5,000 queries');
  });

  it('removing the interval removes what the interval attack reads; the loss attack does not need it', () => {
    const auc = (policy: string, attack: string): number | undefined => r.membership.find((m) => m.policy === policy && m.victim === 'bace-pic50' && m.attack === attack)?.auc;
    const full = auc('full', 'interval');
    const none = auc('no-interval', 'interval');
    assert.ok(full !== undefined && full > 0.55, `interval attack under full outputs: ${full}`);
    assert.ok(none !== undefined && Math.abs(none - 0.5) < 0.05, `interval attack without intervals: ${none}`);
  });
});
