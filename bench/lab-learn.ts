/**
 * `npm run bench:lab-learn`: the extraction-risk lab's learners on the full
 * data. Prints the victims' held-out quality (BACE R2, Tox21 mean ROC AUC),
 * their training time, the surrogates' training time at 5,000 and 50,000
 * answers, and the fidelity on BACE's held-out molecules of a surrogate
 * trained on the victim's own answers to random public-pool queries (and of a
 * Tox21 surrogate from probabilities and from labels only). CPU time is the
 * process's (this work is single-threaded after fingerprinting), so it stays
 * meaningful on a shared machine where wall time is not.
 *
 *   node dist/bench/lab-learn.js [seed=1] [--quick]
 */
import { loadLabData } from '../src/lab/data/index.js';
import { trainSurrogateClassifier, trainSurrogateRegressor, trainVictims } from '../src/lab/learn/index.js';
import { agreement, multiLabelAuc, r2, rmse, spearman, topKOverlap } from '../src/lab/metrics/index.js';
import { seedFrom, sfc32 } from '../src/sim/rng.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const seed = Number(args.find((a) => !a.startsWith('--')) ?? 1);

function clock(): { wall: number; cpu: number } {
  const u = process.cpuUsage();
  return { wall: performance.now(), cpu: (u.user + u.system) / 1000 };
}
function since(t: { wall: number; cpu: number }): string {
  const n = clock();
  return `${((n.cpu - t.cpu) / 1000).toFixed(1)} s CPU, ${((n.wall - t.wall) / 1000).toFixed(1)} s wall`;
}

let t = clock();
const data = await loadLabData({ seed, quick });
console.log(`data: BACE ${data.bace.train.length}/${data.bace.test.length}, Tox21 ${data.tox21.train.length}/${data.tox21.test.length}, pool ${data.pool.length} (${since(t)})`);

t = clock();
const victims = trainVictims(data, { seed });
console.log(`victims trained (${since(t)}): BACE ${(victims.timings_ms.train_bace / 1000).toFixed(1)} s, Tox21 ${(victims.timings_ms.train_tox21 / 1000).toFixed(1)} s wall`);
for (const v of victims.metrics) console.log(`  ${v.name} ${v.metric} = ${v.value?.toFixed(3)} (train ${v.n_train}, test ${v.n_test})`);
console.log('  Tox21 AUC per label:', Object.entries(victims.tox21Auc).map(([k, v]) => `${k} ${v?.toFixed(3)}`).join(', '));

// Random public-pool queries in a seeded order.
const rand = sfc32(seedFrom(`${seed}:bench:queries`));
const order = data.pool.map((_, i) => i);
for (let i = order.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [order[i], order[j]] = [order[j]!, order[i]!];
}
const queries = order.map((i) => data.pool[i]!.fp);
t = clock();
const answers = victims.regressor.predict(queries).mean;
console.log(`victim answered ${queries.length} queries (${since(t)})`);

const testX = data.bace.test.map((m) => m.fp);
const truth = victims.regressor.predict(testX).mean;
const sizes = (quick ? [500, 1000, 2000, 5000] : [1000, 5000, 10000, 50000]).filter((n) => n <= queries.length);
console.log('\nBACE surrogate from random pool queries, fidelity to the victim on held-out BACE:');
console.log('queries  train       R2      Spearman  top100  RMSE');
for (const n of sizes) {
  t = clock();
  const s = trainSurrogateRegressor(queries.slice(0, n), answers.subarray(0, n), { seed });
  const took = since(t);
  const p = s.predict(testX).mean;
  console.log(
    `${String(n).padStart(7)}  ${took.padEnd(26)} ${r2(truth, p).toFixed(3).padStart(7)} ${spearman(truth, p).toFixed(3).padStart(9)} ${topKOverlap(truth, p, 100).toFixed(2).padStart(7)} ${rmse(truth, p).toFixed(3).padStart(6)}`,
  );
}

const toxN = Math.min(queries.length, quick ? 5000 : 10000);
const tq = queries.slice(0, toxN);
const soft = victims.classifier.predictProba(tq).map((p) => Array.from(p));
const testT = data.tox21.test.map((m) => m.fp);
const victimP = victims.classifier.predictProba(testT);
const top = (ps: Float64Array[]): number[] => ps.flatMap((p) => Array.from(p, (q) => (q >= 0.5 ? 1 : 0)));
console.log(`\nTox21 surrogate from ${toxN} random pool queries, on held-out Tox21:`);
for (const [name, Y] of [
  ['probabilities', soft],
  ['labels only', soft.map((p) => p.map((q) => (q >= 0.5 ? 1 : 0)))],
] as const) {
  t = clock();
  const s = trainSurrogateClassifier(tq, Y, data.tox21.labels, { seed });
  const took = since(t);
  const p = s.predictProba(testT);
  const meanAuc = multiLabelAuc(p, data.tox21.Ytest).mean;
  console.log(`  ${name.padEnd(14)} train ${took}; mean AUC vs true labels ${meanAuc.toFixed(3)}; top-1 agreement with the victim ${agreement(top(p), top(victimP)).toFixed(3)}`);
}
