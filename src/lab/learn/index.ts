/**
 * The lab's learners: the two victims (a Tanimoto-kernel GP regressor on BACE
 * pIC50, a multi-label Tanimoto kernel ridge classifier on Tox21) and the
 * surrogates an attacker trains on what the API answered. All take packed
 * Morgan fingerprints (radius 2, 2048 bits) and are deterministic by seed.
 */
import type { MultiLabelClassifier, Regressor } from '../types.js';
import { trainGpRegressor, type GpRegressorOptions } from './gp.js';
import { fitNystroem } from './nystroem.js';
import { applyPlatt, fitPlatt, type Platt } from './platt.js';

export type { GpRegressorOptions } from './gp.js';
export { TanimotoBasis, onBits } from './tanimoto.js';

export interface LearnOptions {
  seed: number;
  /** Landmark molecules of the kernel approximation (classifier and surrogates). */
  landmarks?: number;
}

/** The BACE victim: exact GP mean, predictive std from the GP posterior (see gp.ts). */
export function trainVictimRegressor(x: readonly Uint8Array[], y: ArrayLike<number>, opts: GpRegressorOptions): Regressor {
  return trainGpRegressor(x, y, opts);
}

/** Kernel ridge scores per label from `fitNystroem`, then per-label Platt scaling on the training scores. */
function calibratedClassifier(
  x: readonly Uint8Array[],
  targets: Float64Array[],
  labels: readonly string[],
  opts: { seed: number; landmarks: number; lambdas: readonly number[]; platt: Array<Float64Array | null> },
  link: 'platt' | 'logistic',
): MultiLabelClassifier {
  const model = fitNystroem(x, targets, opts);
  let platt: Platt[] = [];
  if (link === 'platt') {
    const train = model.predict(x);
    platt = labels.map((_, k) => {
      const y = opts.platt[k]!;
      const s: number[] = [];
      const l: number[] = [];
      y.forEach((v, i) => {
        if (Number.isNaN(v)) return;
        s.push(train[k]![i]!);
        l.push(v);
      });
      return fitPlatt(s, l);
    });
  }
  return {
    labels: [...labels],
    predictProba(xs) {
      const scores = model.predict(xs);
      return xs.map((_, i) =>
        Float64Array.from(labels, (_l, k) => (link === 'platt' ? applyPlatt(platt[k]!, scores[k]![i]!) : 1 / (1 + Math.exp(-scores[k]![i]!)))),
      );
    },
  };
}

function checkShape(x: readonly Uint8Array[], rows: number, what: string): void {
  if (x.length === 0 || rows !== x.length) throw new RangeError(`${what}: need one row per molecule and at least one molecule (got ${x.length} molecules, ${rows} rows)`);
}

/**
 * The Tox21 victim: per label, Tanimoto kernel ridge on 0/1 labels (rows with
 * a missing label left out of that label's fit), Platt-scaled to probabilities.
 */
export function trainVictimClassifier(
  x: readonly Uint8Array[],
  Y: ReadonlyArray<ReadonlyArray<number | null>>,
  labels: readonly string[],
  opts: LearnOptions,
): MultiLabelClassifier {
  checkShape(x, Y.length, 'victim classifier');
  const targets = labels.map((_, k) => Float64Array.from(Y, (row) => (row[k] === null || row[k] === undefined ? NaN : row[k]! >= 0.5 ? 1 : 0)));
  // lambda 1 in kernel units: label noise of a few-percent-positive assay is of the order of the kernel's variance.
  // Landmarks: a quarter of the molecules within [400, 800]; on a 2,400-molecule Tox21 sample 400/600/800
  // landmarks measured mean AUC 0.760/0.775/0.777 for 2.2/5.1/10.2 s of CPU (12 factorisations each).
  const landmarks = opts.landmarks ?? Math.min(800, Math.max(400, Math.round(x.length / 4)));
  return calibratedClassifier(x, targets, labels, { seed: opts.seed, landmarks, lambdas: [1], platt: targets }, 'platt');
}

/** Ridge strengths the surrogates choose from on a validation split (answers may be exact, rounded or perturbed). */
const SURROGATE_LAMBDAS = [0.001, 0.01, 0.1, 1];

/** A surrogate regressor from (fingerprint, answered prediction) pairs; std is 0 (no uncertainty model). */
export function trainSurrogateRegressor(x: readonly Uint8Array[], y: ArrayLike<number>, opts: LearnOptions): Regressor {
  checkShape(x, y.length, 'surrogate regressor');
  const model = fitNystroem(x, [Float64Array.from(y)], { seed: opts.seed, landmarks: opts.landmarks ?? 400, lambdas: SURROGATE_LAMBDAS });
  return {
    predict(xs) {
      const [mean] = model.predict(xs);
      return { mean: mean!, std: new Float64Array(xs.length) };
    },
  };
}

/** Clip for soft answers before the logit: a reported 0 or 1 is not infinitely sure. */
const SOFT_EPS = 1e-3;

/**
 * A surrogate classifier from answered probabilities (soft: regress their
 * logits, Knockoff-style distillation) or top-1 labels only (hard: regress the
 * 0/1 labels and Platt-scale, the label-only setting).
 */
export function trainSurrogateClassifier(
  x: readonly Uint8Array[],
  Y: ReadonlyArray<ReadonlyArray<number>>,
  labels: readonly string[],
  opts: LearnOptions,
): MultiLabelClassifier {
  checkShape(x, Y.length, 'surrogate classifier');
  const hard = Y.every((row) => row.every((v) => v === 0 || v === 1));
  const targets = labels.map((_, k) =>
    Float64Array.from(Y, (row) => {
      const p = row[k]!;
      if (hard) return p;
      const c = Math.min(1 - SOFT_EPS, Math.max(SOFT_EPS, p));
      return Math.log(c / (1 - c));
    }),
  );
  return calibratedClassifier(
    x,
    targets,
    labels,
    { seed: opts.seed, landmarks: opts.landmarks ?? 400, lambdas: SURROGATE_LAMBDAS, platt: targets },
    hard ? 'platt' : 'logistic',
  );
}

export { trainVictims, type TrainVictimsOptions, type TrainedVictims, type VictimMetric } from './victims.js';
