import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadLabData, type LabData } from '../data/index.js';
import { agreement, multiLabelAuc, r2, spearman } from '../metrics/index.js';
import { trainSurrogateClassifier, trainSurrogateRegressor, trainVictimClassifier, trainVictims, type TrainedVictims } from './index.js';

const fps = (ms: ReadonlyArray<{ fp: Uint8Array }>): Uint8Array[] => ms.map((m) => m.fp);

const meanAuc = (data: LabData, proba: Float64Array[]): number => multiLabelAuc(proba, data.tox21.Ytest).mean;

const loaded = new Map<number, Promise<LabData>>();
function load(seed: number): Promise<LabData> {
  let p = loaded.get(seed);
  if (!p) loaded.set(seed, (p = loadLabData({ seed, quick: true, tox21Size: 1200, poolSize: 2000, workers: 1 })));
  return p;
}

const trained = new Map<number, Promise<TrainedVictims>>();
function victimsOf(seed: number): Promise<TrainedVictims> {
  let p = trained.get(seed);
  if (!p) trained.set(seed, (p = load(seed).then((data) => trainVictims(data, { seed, now: () => 0 }))));
  return p;
}

for (const seed of [11, 12]) {
  test(`victims learn BACE and Tox21 and report it (seed ${seed})`, async () => {
    const data = await load(seed);
    const v = await victimsOf(seed);
    const [bace, tox] = v.metrics;
    assert.equal(bace!.name, 'bace-pic50');
    assert.equal(bace!.n_test, data.bace.test.length);
    assert.ok(bace!.value! > 0.5, `BACE held-out R2 ${bace!.value}`);
    assert.ok(tox!.value! > 0.65, `Tox21 held-out mean AUC ${tox!.value}`);
    const out = v.regressor.predict(fps(data.bace.test));
    assert.ok(out.std.every((s) => s > 0 && Number.isFinite(s)));
    // The training compounds sit closer to the data, so their intervals are narrower on average.
    const trainStd = v.regressor.predict(fps(data.bace.train.slice(0, 300))).std;
    const mean = (a: Float64Array): number => a.reduce((x, y) => x + y, 0) / a.length;
    assert.ok(mean(trainStd) < mean(out.std));
    for (const p of v.classifier.predictProba(fps(data.tox21.test.slice(0, 50)))) {
      assert.equal(p.length, 12);
      assert.ok(p.every((q) => q > 0 && q < 1));
    }
  });
}

test('surrogates learn from answers: a regressor from labels and from the victim, a classifier from probabilities and from labels', async () => {
  const seed = 11;
  const data = await load(seed);
  const testX = fps(data.bace.test);
  const surrogateOnTruth = trainSurrogateRegressor(fps(data.bace.train), data.bace.yTrain, { seed });
  assert.ok(r2(data.bace.yTest, surrogateOnTruth.predict(testX).mean) > 0.4);

  // Extraction: answers of the victim on its own training compounds and public molecules.
  const { regressor: victim, classifier: clf } = await victimsOf(seed);
  const queries = [...fps(data.bace.train), ...fps(data.pool)];
  const answers = victim.predict(queries).mean;
  const stolen = trainSurrogateRegressor(queries, answers, { seed });
  const truth = victim.predict(testX).mean;
  const copy = stolen.predict(testX).mean;
  assert.ok(r2(truth, copy) > 0.5, `fidelity R2 ${r2(truth, copy)}`);
  assert.ok(spearman(truth, copy) > 0.7);

  const qx = [...fps(data.tox21.train), ...fps(data.pool)];
  const soft = clf.predictProba(qx).map((p) => Array.from(p));
  const hard = soft.map((p) => p.map((q) => (q >= 0.5 ? 1 : 0)));
  const testT = fps(data.tox21.test);
  const victimTop = clf.predictProba(testT).map((p) => Array.from(p, (q) => (q >= 0.5 ? 1 : 0)));
  for (const [name, Y] of [
    ['soft', soft],
    ['hard', hard],
  ] as const) {
    const s = trainSurrogateClassifier(qx, Y, data.tox21.labels, { seed });
    const proba = s.predictProba(testT);
    const auc = meanAuc(data, proba);
    assert.ok(auc > 0.6, `${name} surrogate mean AUC ${auc}`);
    const top = proba.map((p) => Array.from(p, (q) => (q >= 0.5 ? 1 : 0)));
    assert.ok(agreement(top.flat(), victimTop.flat()) > 0.9);
  }
});

test('learners reject inputs of mismatched lengths', () => {
  const x = [new Uint8Array(256), new Uint8Array(256)];
  assert.throws(() => trainSurrogateRegressor(x, [1], { seed: 1 }), RangeError);
  assert.throws(() => trainVictimClassifier(x, [[1]], ['a'], { seed: 1 }), RangeError);
  assert.throws(() => trainSurrogateClassifier([], [], ['a'], { seed: 1 }), RangeError);
});
