import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInProcessOracle } from './index.js';
import type { Molecule, MultiLabelClassifier, Regressor } from '../types.js';

// A victim whose outputs are easy to state: mean = bits set in the first byte, std = 0.5.
const regressor: Regressor = {
  predict: (x) => ({ mean: Float64Array.from(x, (fp) => fp[0]!), std: Float64Array.from(x, () => 0.5) }),
};
const classifier: MultiLabelClassifier = {
  labels: ['a', 'b'],
  predictProba: (x) => x.map((fp) => Float64Array.of(fp[0]! / 255, 0.123456)),
};
const mols: Molecule[] = [3, 200, 77].map((v) => ({ smiles: `C${v}`, fp: Uint8Array.of(v, 0) }));

test('regression answers carry prediction, confidence and a 95% interval unless hardened away', async () => {
  const full = await createInProcessOracle({ task: 'regression', victim: regressor }).ask(mols);
  assert.equal(full[0]!.prediction, 3);
  assert.ok(Math.abs(full[0]!.interval![1] - full[0]!.interval![0] - 2 * 1.96 * 0.5) < 1e-12);
  assert.ok(full[0]!.confidence! > 0 && full[0]!.confidence! < 1);
  const hard = await createInProcessOracle({ task: 'regression', victim: regressor, hardening: { dropInterval: true, decimals: 0 } }).ask(mols);
  assert.equal(hard[0]!.interval, undefined);
  assert.equal(hard[0]!.confidence, 1);
  const bare = await createInProcessOracle({ task: 'regression', victim: regressor, hardening: { dropInterval: true, dropConfidence: true } }).ask(mols);
  assert.deepEqual(bare[1], { prediction: 200 });
});

test('classification answers: probabilities rounded, or top-1 labels only', async () => {
  const rounded = await createInProcessOracle({ task: 'classification', victim: classifier, hardening: { decimals: 2 } }).ask(mols);
  assert.deepEqual(rounded[1], { probabilities: [0.78, 0.12], labels: [1, 0] });
  const labels = await createInProcessOracle({ task: 'classification', victim: classifier, hardening: { labelsOnly: true } }).ask(mols);
  assert.deepEqual(labels[0], { labels: [0, 0] });
  const rs = await createInProcessOracle({ task: 'classification', victim: classifier, hardening: { reverseSigmoid: { beta: 0.8, gamma: 0.4 } } }).ask(mols);
  assert.notEqual(rs[1]!.probabilities![0], 200 / 255);
  assert.deepEqual(rs[1]!.labels, [1, 0]);
});

test('refusal after N answered instances: the rest come back null and the oracle reports stopped', async () => {
  const o = createInProcessOracle({ task: 'regression', victim: regressor, hardening: { refuseAfter: 4 } });
  assert.equal((await o.ask(mols)).filter((a) => a !== null).length, 3);
  assert.equal(o.stopped, false);
  const second = await o.ask(mols);
  assert.deepEqual(second.map((a) => a !== null), [true, false, false]);
  assert.equal(o.stopped, true);
  assert.equal(o.answered, 4);
  assert.equal(o.sent, 6);
  assert.deepEqual(await o.ask(mols), [null, null, null]);
});
