/**
 * Trains both victims from the lab's data and measures them on their held-out
 * molecules, so every lab report states how good the models being stolen are.
 */
import type { LabData } from '../data/index.js';
import { multiLabelAuc, r2 } from '../metrics/index.js';
import type { MultiLabelClassifier, Regressor } from '../types.js';
import { trainVictimClassifier, trainVictimRegressor } from './index.js';

export interface VictimMetric {
  name: string;
  metric: string;
  value: number | null;
  n_train: number;
  n_test: number;
}

export interface TrainedVictims {
  regressor: Regressor;
  classifier: MultiLabelClassifier;
  metrics: VictimMetric[];
  /** Per-label held-out ROC AUC of the classifier (null when a label has one class only in the test set). */
  tox21Auc: Record<string, number | null>;
  timings_ms: { train_bace: number; train_tox21: number };
}

export interface TrainVictimsOptions {
  seed: number;
  /** Wall-clock source for the timings (injected so tests need no real clock). */
  now?: () => number;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function trainVictims(data: LabData, opts: TrainVictimsOptions): TrainedVictims {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const regressor = trainVictimRegressor(
    data.bace.train.map((m) => m.fp),
    data.bace.yTrain,
    { seed: opts.seed },
  );
  const t1 = now();
  const classifier = trainVictimClassifier(
    data.tox21.train.map((m) => m.fp),
    data.tox21.Ytrain,
    data.tox21.labels,
    { seed: opts.seed },
  );
  const t2 = now();

  const pred = regressor.predict(data.bace.test.map((m) => m.fp)).mean;
  const proba = classifier.predictProba(data.tox21.test.map((m) => m.fp));
  const auc = multiLabelAuc(proba, data.tox21.Ytest);
  const tox21Auc = Object.fromEntries(data.tox21.labels.map((label, k) => [label, finite(auc.perLabel[k]!)]));
  return {
    regressor,
    classifier,
    metrics: [
      { name: 'bace-pic50', metric: 'r2', value: finite(r2(data.bace.yTest, pred)), n_train: data.bace.train.length, n_test: data.bace.test.length },
      {
        name: 'tox21',
        metric: 'mean_auc',
        value: finite(auc.mean),
        n_train: data.tox21.train.length,
        n_test: data.tox21.test.length,
      },
    ],
    tox21Auc,
    timings_ms: { train_bace: t1 - t0, train_tox21: t2 - t1 },
  };
}
