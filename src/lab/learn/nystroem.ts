/**
 * Kernel ridge regression with the Tanimoto kernel on m landmark molecules
 * (the Nystroem / subset-of-regressors approximation, Williams & Seeger,
 * NIPS 2001; Rasmussen & Williams 2006, sec. 8.3.1):
 *   f(x) = c + k_m(x)^T a,   a = (Phi^T Phi + lambda K_mm)^-1 Phi^T (y - c)
 * with Phi = K(X, landmarks). Training streams the rows of Phi into the m x m
 * Gram matrix, so 50,000 answers cost n m^2 / 2 multiply-adds and no n x m
 * buffer. Several targets share one factorisation; a target with missing
 * values (Tox21) gets its own Gram matrix with those rows removed.
 */
import { mulberry32 } from '../../util/prng.js';
import { addOuterUpper, spdSolver, symmetrise } from './linalg.js';
import { TanimotoBasis } from './tanimoto.js';
import { distinctIndices, sampleIndices } from './sample.js';

export interface NystroemOptions {
  seed: number;
  /** Landmarks (capped by the number of distinct training fingerprints). */
  landmarks: number;
  /** Ridge strengths tried; with more than one, a validation split picks one per target. */
  lambdas: readonly number[];
  /** Fraction of rows held out to choose lambda (default 0.1, at most 3,000 rows). */
  validation?: number;
}

export interface NystroemModel {
  readonly landmarks: number;
  readonly lambdas: Float64Array;
  /** Scores, one Float64Array per target, for each molecule. */
  predict(xs: readonly Uint8Array[]): Float64Array[];
}

/**
 * Fits one ridge per target; `targets[t][i]` is NaN where molecule i has no
 * value for target t. Returns per-target scores with the target mean added back.
 */
export function fitNystroem(x: readonly Uint8Array[], targets: readonly Float64Array[], opts: NystroemOptions): NystroemModel {
  const n = x.length;
  const t = targets.length;
  const rand = mulberry32(opts.seed);
  const distinct = distinctIndices(x);
  const lm = sampleIndices(distinct.length, opts.landmarks, rand).map((i) => distinct[i]!);
  const m = lm.length;
  const basis = new TanimotoBasis(lm.map((i) => x[i]!));
  const kmm = basis.matrix(lm.map((i) => x[i]!));

  const hasMissing = targets.map((y) => y.some((v) => Number.isNaN(v)));
  const centre = targets.map((y) => {
    let s = 0;
    let c = 0;
    for (const v of y) {
      if (Number.isNaN(v)) continue;
      s += v;
      c++;
    }
    return c === 0 ? 0 : s / c;
  });
  const choose = opts.lambdas.length > 1;
  const nVal = choose ? Math.min(3000, Math.floor(n * (opts.validation ?? 0.1))) : 0;
  const valSet = new Set(nVal > 0 ? sampleIndices(n, nVal, rand) : []);
  const valRows: number[] = [];
  const valPhi: Float64Array[] = [];

  // Gram and right-hand sides over the fitting rows; validation rows kept apart so lambda is chosen out of sample.
  const gFit = new Float64Array(m * m);
  const gVal = new Float64Array(m * m);
  const miss = targets.map((_, k) => (hasMissing[k] ? { fit: new Float64Array(m * m), val: new Float64Array(m * m) } : null));
  const bFit = targets.map(() => new Float64Array(m));
  const bVal = targets.map(() => new Float64Array(m));
  const phi = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    basis.row(x[i]!, phi);
    const isVal = valSet.has(i);
    addOuterUpper(isVal ? gVal : gFit, phi, m);
    for (let k = 0; k < t; k++) {
      const v = targets[k]![i]!;
      if (Number.isNaN(v)) {
        addOuterUpper(isVal ? miss[k]!.val : miss[k]!.fit, phi, m);
        continue;
      }
      const b = isVal ? bVal[k]! : bFit[k]!;
      const yc = v - centre[k]!;
      for (let a = 0; a < m; a++) b[a]! += phi[a]! * yc;
    }
    if (isVal) {
      valRows.push(i);
      valPhi.push(Float64Array.from(phi));
    }
  }
  symmetrise(gFit, m);
  symmetrise(gVal, m);
  for (const mm of miss) {
    if (!mm) continue;
    symmetrise(mm.fit, m);
    symmetrise(mm.val, m);
  }

  const system = (g: Float64Array, missing: Float64Array | null, lambda: number): Float64Array => {
    const a = new Float64Array(m * m);
    for (let i = 0; i < a.length; i++) a[i] = g[i]! - (missing ? missing[i]! : 0) + lambda * kmm[i]!;
    return a;
  };

  const lambdas = new Float64Array(t).fill(opts.lambdas[0]!);
  if (choose && valRows.length > 0) {
    // Targets without missing values share one factorisation per lambda.
    const err = targets.map(() => new Float64Array(opts.lambdas.length));
    opts.lambdas.forEach((lambda, li) => {
      let shared: ReturnType<typeof spdSolver> | undefined;
      for (let k = 0; k < t; k++) {
        const solver = miss[k] ? spdSolver(system(gFit, miss[k]!.fit, lambda), m) : (shared ??= spdSolver(system(gFit, null, lambda), m));
        const w = solver.solve(bFit[k]!, 1);
        let e = 0;
        valRows.forEach((row, j) => {
          const v = targets[k]![row]!;
          if (Number.isNaN(v)) return;
          let f = centre[k]!;
          const p = valPhi[j]!;
          for (let a = 0; a < m; a++) f += p[a]! * w[a]!;
          e += (f - v) ** 2;
        });
        err[k]![li] = e;
      }
    });
    for (let k = 0; k < t; k++) lambdas[k] = opts.lambdas[err[k]!.indexOf(Math.min(...err[k]!))]!;
  }

  // Final fit on every row.
  const gAll = new Float64Array(m * m);
  for (let i = 0; i < gAll.length; i++) gAll[i] = gFit[i]! + gVal[i]!;
  const weights: Float64Array[] = [];
  const solvers = new Map<number, ReturnType<typeof spdSolver>>();
  for (let k = 0; k < t; k++) {
    const b = new Float64Array(m);
    for (let a = 0; a < m; a++) b[a] = bFit[k]![a]! + bVal[k]![a]!;
    let solver: ReturnType<typeof spdSolver>;
    if (miss[k]) {
      const missAll = new Float64Array(m * m);
      for (let i = 0; i < missAll.length; i++) missAll[i] = miss[k]!.fit[i]! + miss[k]!.val[i]!;
      solver = spdSolver(system(gAll, missAll, lambdas[k]!), m);
    } else {
      solver = solvers.get(lambdas[k]!) ?? spdSolver(system(gAll, null, lambdas[k]!), m);
      solvers.set(lambdas[k]!, solver);
    }
    weights.push(solver.solve(b, 1));
  }

  return {
    landmarks: m,
    lambdas,
    predict(xs) {
      const out = targets.map(() => new Float64Array(xs.length));
      const row = new Float64Array(m);
      for (let q = 0; q < xs.length; q++) {
        basis.row(xs[q]!, row);
        for (let k = 0; k < t; k++) {
          const w = weights[k]!;
          let f = centre[k]!;
          for (let a = 0; a < m; a++) f += row[a]! * w[a]!;
          out[k]![q] = f;
        }
      }
      return out;
    },
  };
}
