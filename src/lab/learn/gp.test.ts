import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { mulberry32 } from '../../util/prng.js';
import { trainGpRegressor } from './gp.js';
import { TanimotoBasis } from './tanimoto.js';

/** Random sparse fingerprints in families (shared core bits) so that similarity varies like real series. */
function series(n: number, seed: number): Uint8Array[] {
  const rand = mulberry32(seed);
  const cores = Array.from({ length: 6 }, () => Array.from({ length: 30 }, () => Math.floor(rand() * 2048)));
  return Array.from({ length: n }, () => {
    const fp = new Uint8Array(256);
    for (const b of cores[Math.floor(rand() * cores.length)]!) if (rand() < 0.8) fp[b >> 3]! |= 1 << (b & 7);
    for (let k = 0; k < 15; k++) {
      const b = Math.floor(rand() * 2048);
      fp[b >> 3]! |= 1 << (b & 7);
    }
    return fp;
  });
}

for (const seed of [1, 2, 3]) {
  test(`GP mean and std match the textbook posterior when every molecule is inducing (seed ${seed})`, () => {
    const x = series(80, seed);
    const w = new TanimotoBasis(x.slice(0, 5));
    const y = x.map((fp) => {
      const k = w.matrix([fp]);
      return 6 + 3 * k[0]! - 2 * k[1]! + k[2]!;
    });
    const gp = trainGpRegressor(x, y, { seed, inducing: 500 });
    const queries = [...x.slice(0, 10), ...series(10, seed + 100)];
    const out = gp.predict(queries);

    // Direct: ml-matrix Cholesky solves on the full kernel with the chosen noise ratio.
    const n = x.length;
    const mean = y.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    const k = new TanimotoBasis(x).matrix(x);
    const km = Matrix.from1DArray(n, n, k);
    for (let i = 0; i < n; i++) km.set(i, i, km.get(i, i) + gp.noiseRatio);
    const chol = new CholeskyDecomposition(km);
    const alpha = chol.solve(Matrix.columnVector(y.map((v) => (v - mean) / sd)));
    const ks = new TanimotoBasis(x).matrix(queries);
    queries.forEach((_, q) => {
      const kq = Matrix.columnVector(Array.from(ks.subarray(q * n, (q + 1) * n)));
      const mu = mean + sd * kq.transpose().mmul(alpha).get(0, 0);
      const v = 1 - kq.transpose().mmul(chol.solve(kq)).get(0, 0);
      const std = sd * Math.sqrt(gp.signalVariance * (Math.max(0, v) + gp.noiseRatio));
      assert.ok(Math.abs(out.mean[q]! - mu) < 1e-6, `mean ${out.mean[q]} vs ${mu}`);
      assert.ok(Math.abs(out.std[q]! - std) < 1e-4 * std + 1e-6, `std ${out.std[q]} vs ${std}`);
    });
    // Training molecules are predicted more surely than new ones: the signal membership inference feeds on.
    const trainStd = out.std.subarray(0, 10).reduce((a, b) => a + b, 0);
    const newStd = out.std.subarray(10).reduce((a, b) => a + b, 0);
    assert.ok(trainStd < newStd);
  });
}

test('GP rejects mismatched inputs', () => {
  assert.throws(() => trainGpRegressor(series(3, 1), [1, 2], { seed: 1 }), RangeError);
});
