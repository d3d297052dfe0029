import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInProcessOracle, runExtraction, runSybilExtraction, type ExtractionResult, type OutputHardening, type RegressionExtractionOptions } from './index.js';
import { smallClassificationVictim, smallLabData, smallRegressionVictim } from './testkit.js';
import type { LabData } from '../data/index.js';
import type { MultiLabelClassifier, Regressor } from '../types.js';

// One data set and one pair of victims for the file (loading and training dominate its time); the attacks vary by seed.
let fixture: Promise<{ data: LabData; regressor: Regressor; classifier: MultiLabelClassifier }> | undefined;
function lab(): Promise<{ data: LabData; regressor: Regressor; classifier: MultiLabelClassifier }> {
  fixture ??= smallLabData(1).then((data) => ({ data, regressor: smallRegressionVictim(data, 1).victim, classifier: smallClassificationVictim(data, 1) }));
  return fixture;
}

const SEEDS = [1, 2];

/** A regression extraction against this file's BACE victim, evaluated on the BACE test compounds. */
async function extractBace(o: Pick<RegressionExtractionOptions, 'strategy' | 'checkpoints' | 'batchSize' | 'seed'> & { hardening?: OutputHardening }): Promise<ExtractionResult> {
  const { data, regressor: victim } = await lab();
  const { hardening, ...rest } = o;
  return runExtraction({
    ...rest,
    task: 'regression',
    oracle: createInProcessOracle({ task: 'regression', victim, hardening }),
    pool: data.pool,
    evalSet: data.bace.test,
    victimOnEval: victim.predict(data.bace.test.map((m) => m.fp)),
  });
}
const fmt = (r: ExtractionResult): string => JSON.stringify(r.fidelity.map((f) => [f.queries, f.r2, f.spearman, f.agreement, f.auc]));

test('regression extraction on an unprotected oracle: fidelity rises with queries, for several seeds', async () => {
  for (const seed of SEEDS) {
    const r = await extractBace({ strategy: 'random', checkpoints: [100, 2000], batchSize: 100, seed });
    assert.equal(r.endedBy, 'checkpoints');
    assert.equal(r.queriesSent, 2000);
    assert.equal(r.queriesAnswered, 2000);
    assert.deepEqual(r.fidelity.map((f) => f.queries), [100, 2000]);
    const [first, last] = [r.fidelity[0]!, r.fidelity[1]!];
    assert.ok(last.spearman! > first.spearman! + 0.05, `seed ${seed}: ${fmt(r)}`);
    assert.ok(last.r2! > first.r2!, `seed ${seed}: ${fmt(r)}`);
    assert.ok(last.mae! < first.mae!, `seed ${seed}: ${fmt(r)}`);
    assert.equal(last.agreement, null);
  }
});

test('classifier extraction: top-1 labels only give a worse copy than probabilities', async () => {
  for (const seed of SEEDS) {
    const { data, classifier: victim } = await lab();
    const victimOnEval = victim.predictProba(data.tox21.test.map((m) => m.fp));
    const run = (labelsOnly: boolean): Promise<ExtractionResult> =>
      runExtraction({
        task: 'classification',
        oracle: createInProcessOracle({ task: 'classification', victim, hardening: { labelsOnly } }),
        pool: data.pool,
        strategy: 'random',
        checkpoints: [1500],
        batchSize: 250,
        seed,
        evalSet: data.tox21.test,
        victimOnEval,
        labels: data.tox21.labels,
      });
    const soft = await run(false);
    const hard = await run(true);
    // Ranking fidelity suffers; top-1 agreement barely does (labels are mostly negative, and a
    // label-only copy gets the argmax right about as often -- the known limit of hardening).
    assert.ok(soft.fidelity[0]!.auc! > hard.fidelity[0]!.auc! + 0.05, `seed ${seed}: soft ${fmt(soft)} hard ${fmt(hard)}`);
    assert.ok(hard.fidelity[0]!.agreement! > 0.9, `seed ${seed}: hard ${fmt(hard)}`);
    assert.equal(soft.fidelity[0]!.r2, null);
  }
});

test('refusal stops the attack; fidelity is measured at the stop point from what was answered', async () => {
  for (const seed of SEEDS) {
    const r = await extractBace({ strategy: 'maxmin', checkpoints: [300, 1000, 2000], batchSize: 100, seed, hardening: { refuseAfter: 650 } });
    assert.equal(r.endedBy, 'stopped');
    // 650 answered, then the batch that crossed the budget is the last one sent.
    assert.equal(r.queriesAnswered, 650);
    assert.equal(r.stoppedAt, 700);
    assert.equal(r.queriesSent, 700);
    assert.deepEqual(r.fidelity.map((f) => [f.queries, f.answered]), [[300, 300], [700, 650]]);
    assert.ok(r.fidelity[1]!.r2 !== null);
  }
});

test('Sybil split: k keys each cut off by a budget still add up to the union of their answers', async () => {
  const seed = 3;
  const { data, regressor: victim } = await lab();
  const victimOnEval = victim.predict(data.bace.test.map((m) => m.fp));
  const oracles = [0, 1, 2].map(() => createInProcessOracle({ task: 'regression', victim, hardening: { refuseAfter: 400 } }));
  const common = { task: 'regression' as const, pool: data.pool, strategy: 'random' as const, checkpoints: [600, 1500], batchSize: 50, seed, evalSet: data.bace.test, victimOnEval };
  const sybil = await runSybilExtraction({ ...common, oracles });
  assert.equal(sybil.keys, 3);
  assert.equal(sybil.queriesAnswered, 1200);
  assert.equal(sybil.endedBy, 'stopped');
  assert.deepEqual(oracles.map((o) => o.answered), [400, 400, 400]);
  // Batches go round-robin: every key carried its share before any was cut off.
  assert.ok(oracles.every((o) => o.sent >= 400));
  const single = await runExtraction({ ...common, oracle: createInProcessOracle({ task: 'regression', victim, hardening: { refuseAfter: 400 } }) });
  assert.equal(single.queriesAnswered, 400);
  // The surrogate at the stop point is trained on every key's answers.
  assert.equal(sybil.fidelity.at(-1)!.answered, 1200);
  assert.equal(single.fidelity.at(-1)!.answered, 400);
  assert.ok(sybil.fidelity.at(-1)!.r2 !== null);
});

test('active learning runs on the surrogate it retrains, deterministically by seed', async () => {
  const go = (hardening: OutputHardening): Promise<ExtractionResult> => extractBace({ strategy: 'active', checkpoints: [400, 1000], batchSize: 100, seed: 1, hardening });
  const a = await go({});
  const b = await go({});
  assert.deepEqual(a.fidelity, b.fidelity);
  // Prediction-only answers fall back to committee disagreement; still a working attack.
  const bare = await go({ dropInterval: true, dropConfidence: true });
  assert.equal(bare.queriesAnswered, 1000);
  assert.ok(bare.fidelity[1]!.spearman! > 0.2, fmt(bare));
});
