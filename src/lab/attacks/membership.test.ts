import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInProcessOracle, inferHardening, runMembershipInference, type MembershipResult, type OutputHardening } from './index.js';
import { smallClassificationVictim, smallLabData, smallRegressionVictim } from './testkit.js';

const SEEDS = [1, 2];
const byName = (r: MembershipResult, attack: string) => r.scores.find((s) => s.attack === attack)!;
const show = (r: MembershipResult): string => JSON.stringify(r.scores.map((s) => [s.attack, s.auc.toFixed(3), s.tpr_at_1pct_fpr.toFixed(3), s.features.join('+')]));

async function regressionRun(seed: number, hardening: OutputHardening): Promise<MembershipResult> {
  const data = await smallLabData(1);
  const { victim, members, yMembers } = smallRegressionVictim(data, 1, 300);
  return runMembershipInference({
    task: 'regression',
    oracle: createInProcessOracle({ task: 'regression', victim, hardening }),
    members,
    nonMembers: data.bace.test,
    truth: { members: yMembers, nonMembers: data.bace.yTest },
    seed,
    maxPerSide: 200,
    shadow: { pool: data.pool, shadows: 2, trainSize: 150 },
  });
}

test('a GP victim with intervals leaks membership; removing intervals and confidences stops those attacks, rounding weakens them, the loss attack stays', async () => {
  for (const seed of SEEDS) {
    const full = await regressionRun(seed, {});
    assert.equal(full.perSide, 200);
    // 400 compounds, and 2 x 150 public molecules labelled once for all shadows.
    assert.equal(full.queriesSent, 400 + 300);
    assert.ok(byName(full, 'interval').auc > 0.75, `seed ${seed}: ${show(full)}`);
    assert.ok(byName(full, 'confidence').auc > 0.75, `seed ${seed}: ${show(full)}`);
    assert.ok(byName(full, 'shadow').auc > 0.7, `seed ${seed}: ${show(full)}`);
    assert.ok(byName(full, 'interval').tpr_at_1pct_fpr > 0.01, `seed ${seed}: ${show(full)}`);

    const hard = await regressionRun(seed, { dropInterval: true, decimals: 0 });
    assert.ok(Math.abs(byName(hard, 'interval').auc - 0.5) < 1e-9, `seed ${seed}: ${show(hard)}`);
    assert.deepEqual(byName(hard, 'interval').features, []);
    // A confidence rounded to 0 or 1 still splits the most certain answers from the rest: weaker, not gone.
    assert.ok(byName(hard, 'confidence').auc < byName(full, 'confidence').auc - 0.15, `seed ${seed}: ${show(full)} vs ${show(hard)}`);
    // The point prediction alone still separates members whose measured value the attacker knows.
    assert.ok(byName(hard, 'loss').auc > 0.6, `seed ${seed}: ${show(hard)}`);
    assert.deepEqual(byName(hard, 'shadow').features, ['confidence', 'neg_abs_error']);

    const bare = await regressionRun(seed, { dropInterval: true, dropConfidence: true });
    for (const attack of ['confidence', 'interval']) assert.ok(Math.abs(byName(bare, attack).auc - 0.5) < 1e-9, `seed ${seed}: ${show(bare)}`);
    assert.deepEqual(byName(bare, 'shadow').features, ['neg_abs_error']);
  }
});

test('the attacker reads the output policy off the answers to shape its shadows', () => {
  assert.deepEqual(inferHardening([{ prediction: 6.1234, confidence: 0.5, interval: [5.1, 7.2] }, null]), { dropInterval: false, dropConfidence: false, decimals: 1 });
  assert.deepEqual(inferHardening([{ prediction: 6, confidence: 1 }]), { dropInterval: true, dropConfidence: false, decimals: 0, roundPrediction: true });
  assert.deepEqual(inferHardening([{ labels: [0, 1] }]), { labelsOnly: true });
  assert.deepEqual(inferHardening([{ probabilities: [0.25, 0.5], labels: [0, 1] }]), { labelsOnly: false, decimals: 2 });
});

test('classifier membership: probabilities leak more than top-1 labels', async () => {
  const data = await smallLabData(1);
  const victim = smallClassificationVictim(data, 1);
  const run = (labelsOnly: boolean): Promise<MembershipResult> =>
    runMembershipInference({
      task: 'classification',
      oracle: createInProcessOracle({ task: 'classification', victim, hardening: { labelsOnly } }),
      labels: data.tox21.labels,
      members: data.tox21.train,
      nonMembers: data.tox21.test,
      truth: { members: data.tox21.Ytrain, nonMembers: data.tox21.Ytest },
      seed: 1,
      attacks: ['confidence'],
    });
  const soft = await run(false);
  const hard = await run(true);
  assert.equal(soft.perSide, data.tox21.test.length);
  assert.deepEqual(byName(soft, 'confidence').features, ['true_label_prob']);
  assert.deepEqual(byName(hard, 'confidence').features, ['label_match']);
  assert.ok(byName(soft, 'confidence').auc > 0.55, show(soft));
  assert.ok(byName(soft, 'confidence').auc > byName(hard, 'confidence').auc, `${show(soft)} vs ${show(hard)}`);
});
