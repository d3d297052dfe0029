/**
 * The little glue between flat Float64Arrays and ml-matrix: factorise
 * symmetric positive (semi)definite systems with its Cholesky decomposition,
 * adding diagonal jitter when round-off makes a kernel matrix indefinite.
 * Gram accumulations stay on flat arrays, where a tight loop is several times
 * faster than ml-matrix's nested-array products at these sizes.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';

export interface SpdSolver {
  readonly size: number;
  /** Solves A X = B for B given row-major (size x cols); returns X row-major. */
  solve(b: Float64Array, cols: number): Float64Array;
  /** Solves L W = B with A = L L^T (forward substitution only), so that W^T W = B^T A^-1 B. */
  solveLower(b: Float64Array, cols: number): Float64Array;
  /** log det A. */
  logDet(): number;
}

/** Cholesky of a symmetric matrix given row-major; retries with growing jitter (relative to the mean diagonal) until positive definite. */
export function spdSolver(a: Float64Array, size: number, jitter = 1e-8): SpdSolver {
  let meanDiag = 0;
  for (let i = 0; i < size; i++) meanDiag += a[i * size + i]! / size;
  for (let eps = 0, attempt = 0; attempt < 8; attempt++, eps = eps === 0 ? jitter : eps * 100) {
    const m = Matrix.from1DArray(size, size, a);
    if (eps > 0) for (let i = 0; i < size; i++) m.set(i, i, m.get(i, i) + eps * Math.max(meanDiag, 1e-12));
    const chol = new CholeskyDecomposition(m);
    if (!chol.isPositiveDefinite()) continue;
    // Substitutions run on a flat copy of L, row by row across all right-hand
    // sides: ml-matrix's solve walks columns through get/set and is ~10x slower
    // on the n x m systems the GP variance needs.
    const l = Float64Array.from(chol.lowerTriangularMatrix.to1DArray());
    const forward = (b: Float64Array, cols: number): Float64Array => {
      const x = Float64Array.from(b);
      for (let i = 0; i < size; i++) {
        const xi = i * cols;
        for (let j = 0; j < i; j++) {
          const lij = l[i * size + j]!;
          if (lij === 0) continue;
          const xj = j * cols;
          for (let c = 0; c < cols; c++) x[xi + c]! -= lij * x[xj + c]!;
        }
        const d = l[i * size + i]!;
        for (let c = 0; c < cols; c++) x[xi + c]! /= d;
      }
      return x;
    };
    return {
      size,
      solveLower: forward,
      solve(b, cols) {
        const x = forward(b, cols);
        for (let i = size - 1; i >= 0; i--) {
          const xi = i * cols;
          for (let j = i + 1; j < size; j++) {
            const lji = l[j * size + i]!;
            if (lji === 0) continue;
            const xj = j * cols;
            for (let c = 0; c < cols; c++) x[xi + c]! -= lji * x[xj + c]!;
          }
          const d = l[i * size + i]!;
          for (let c = 0; c < cols; c++) x[xi + c]! /= d;
        }
        return x;
      },
      logDet() {
        let s = 0;
        for (let i = 0; i < size; i++) s += Math.log(l[i * size + i]!);
        return 2 * s;
      },
    };
  }
  throw new Error(`matrix of size ${size} is not positive definite even with jitter`);
}

/** Adds x x^T (upper triangle only) to the row-major m x m accumulator g. */
export function addOuterUpper(g: Float64Array, x: Float64Array, m: number, weight = 1): void {
  for (let a = 0; a < m; a++) {
    const xa = x[a]! * weight;
    if (xa === 0) continue;
    const o = a * m;
    for (let b = a; b < m; b++) g[o + b]! += xa * x[b]!;
  }
}

/** Copies the upper triangle onto the lower one. */
export function symmetrise(g: Float64Array, m: number): void {
  for (let a = 0; a < m; a++) for (let b = a + 1; b < m; b++) g[b * m + a] = g[a * m + b]!;
}
