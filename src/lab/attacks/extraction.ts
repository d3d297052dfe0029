/**
 * Surrogate extraction through an Oracle (Tramer et al. 2016; Papernot et
 * al. 2017; Orekondy et al. 2019): send batches of pool molecules chosen by a
 * strategy, keep every answer, and at each checkpoint train a surrogate on all
 * answers so far and measure how faithfully it copies the victim on held-out
 * molecules. The Sybil variant spreads the same batches round-robin over
 * several keys (oracles) and trains on the union of their answers.
 */
import { trainSurrogateClassifier, trainSurrogateRegressor } from '../learn/index.js';
import { agreement, mae, r2, rmse, rocAuc, spearman, topKOverlap } from '../metrics/index.js';
import { Rng } from '../../sim/rng.js';
import type { ClassificationAnswer, Molecule, MultiLabelClassifier, Oracle, RegressionAnswer, RegressionOutput, Regressor } from '../types.js';
import { createQuerySelector, type SelectorOptions, type StrategyName, type UncertaintyScorer } from './select.js';

/** One point of a fidelity curve, in the lab result's field names; null where the metric does not apply to the task. */
export interface FidelityPoint {
  /** Queries sent when the surrogate was trained (the attacker's cost). */
  queries: number;
  /** Of those, answered (the surrogate's training set size). */
  answered: number;
  r2: number | null;
  spearman: number | null;
  top100_overlap: number | null;
  agreement: number | null;
  mae: number | null;
  rmse: number | null;
  auc: number | null;
}

export interface ExtractionProgress {
  phase: 'query' | 'train';
  sent: number;
  answered: number;
  total: number;
}

interface ExtractionCommon {
  pool: readonly Molecule[];
  strategy: StrategyName;
  /** Query counts at which a surrogate is trained and measured; the largest is where the attack ends. */
  checkpoints: readonly number[];
  /** Instances per request. */
  batchSize: number;
  seed: number;
  /** Held-out molecules fidelity is measured on (never sent to the oracle). */
  evalSet: readonly Molecule[];
  /** Selector tuning (candidate subsample sizes); strategy, pool and seed come from above. */
  selection?: Omit<SelectorOptions, 'strategy' | 'pool' | 'seed'>;
  onProgress?: (p: ExtractionProgress) => void;
}

export interface RegressionExtractionOptions extends ExtractionCommon {
  task: 'regression';
  oracle: Oracle<RegressionAnswer>;
  /** The victim's true outputs on evalSet (its means are what the surrogate should copy). */
  victimOnEval: RegressionOutput;
}

export interface ClassificationExtractionOptions extends ExtractionCommon {
  task: 'classification';
  oracle: Oracle<ClassificationAnswer>;
  /** The victim's true P(positive) per eval molecule per label. */
  victimOnEval: readonly ArrayLike<number>[];
  labels: readonly string[];
}

export type ExtractionOptions = RegressionExtractionOptions | ClassificationExtractionOptions;

export type SybilExtractionOptions =
  | (Omit<RegressionExtractionOptions, 'oracle'> & { oracles: readonly Oracle<RegressionAnswer>[] })
  | (Omit<ClassificationExtractionOptions, 'oracle'> & { oracles: readonly Oracle<ClassificationAnswer>[] });

export interface ExtractionResult {
  strategy: StrategyName;
  keys: number;
  queriesSent: number;
  queriesAnswered: number;
  /** Why the attack ended: its last checkpoint, every key refused for good, or the pool ran out. */
  endedBy: 'checkpoints' | 'stopped' | 'pool-exhausted';
  /** Queries sent when the last key was stopped; null when never stopped. */
  stoppedAt: number | null;
  fidelity: FidelityPoint[];
}

/** Top-k overlap as the scenario reports it: k = 100, or the whole evaluation set when smaller. */
const TOP_K = 100;

export function runExtraction(options: ExtractionOptions): Promise<ExtractionResult> {
  const { oracle, ...rest } = options;
  return extract({ ...rest, oracles: [oracle] } as SybilExtractionOptions);
}

export function runSybilExtraction(options: SybilExtractionOptions): Promise<ExtractionResult> {
  if (options.oracles.length === 0) throw new RangeError('a Sybil extraction needs at least one oracle');
  return extract(options);
}

/** Everything answered so far, in the form the surrogate trainers take. */
interface Answers {
  x: Uint8Array[];
  /** Regression: the point prediction. */
  y: number[];
  /** Regression: interval width and confidence where the answer carried them. */
  width: Array<number | null>;
  confidence: Array<number | null>;
  /** Classification: P(positive) per label when given, else the top-1 label. */
  Y: number[][];
}

function record(a: Answers, m: Molecule, ans: RegressionAnswer | ClassificationAnswer): void {
  a.x.push(m.fp);
  if ('prediction' in ans) {
    a.y.push(ans.prediction);
    a.width.push(ans.interval ? ans.interval[1] - ans.interval[0] : null);
    a.confidence.push(ans.confidence ?? null);
  } else {
    a.Y.push(ans.probabilities ? ans.probabilities.slice() : ans.labels.map(Number));
  }
}

async function extract(options: SybilExtractionOptions): Promise<ExtractionResult> {
  const checkpoints = [...new Set(options.checkpoints)].filter((c) => c > 0).sort((a, b) => a - b);
  if (checkpoints.length === 0) throw new RangeError('extraction needs at least one positive checkpoint');
  if (!(options.batchSize >= 1)) throw new RangeError('batchSize must be at least 1');
  const total = checkpoints[checkpoints.length - 1]!;
  const selector = createQuerySelector({ ...options.selection, strategy: options.strategy, pool: options.pool, seed: options.seed });
  const oracles = options.oracles as ReadonlyArray<Oracle<RegressionAnswer | ClassificationAnswer>>;
  const answers: Answers = { x: [], y: [], width: [], confidence: [], Y: [] };
  const evalX = options.evalSet.map((m) => m.fp);
  const fidelity: FidelityPoint[] = [];
  // Active learning refits its uncertainty model at the checkpoints and, before the first, twice on the way to it.
  const refits = options.strategy === 'active' ? [Math.floor(checkpoints[0]! / 4), Math.floor(checkpoints[0]! / 2)].filter((r) => r >= MIN_TRAIN) : [];
  let sent = 0;
  let turn = 0;
  let stoppedAt: number | null = null;
  let endedBy: ExtractionResult['endedBy'] = 'checkpoints';
  const retry: number[] = [];
  let nextCheckpoint = 0;
  const progress = (phase: ExtractionProgress['phase']): void =>
    options.onProgress?.({ phase, sent, answered: answers.x.length, total });

  const measure = (more: boolean): void => {
    progress('train');
    const point = measureFidelity(options, answers, evalX, sent);
    fidelity.push(point.point);
    while (refits.length > 0 && refits[0]! <= answers.x.length) refits.shift();
    // The checkpoint's surrogate doubles as active learning's model for the queries still to come.
    if (more && options.strategy === 'active' && point.model) selector.setScorer!(activeScorer(options, answers, point.model));
  };

  while (sent < total) {
    const live = oracles.filter((o) => !o.stopped);
    if (live.length === 0) {
      endedBy = 'stopped';
      break;
    }
    const target = checkpoints[nextCheckpoint]!;
    const size = Math.min(options.batchSize, target - sent);
    const idx = retry.splice(0, size);
    if (idx.length < size) idx.push(...selector.next(size - idx.length));
    if (idx.length === 0) {
      endedBy = 'pool-exhausted';
      break;
    }
    const oracle = live[turn++ % live.length]!;
    const batch = idx.map((i) => options.pool[i]!);
    const got = await oracle.ask(batch);
    sent += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const a = got[i];
      if (a) record(answers, batch[i]!, a);
      // A refused molecule is still worth asking: another key, or the same one once a rate limit passes.
      else retry.push(idx[i]!);
    }
    if (oracles.every((o) => o.stopped)) stoppedAt ??= sent;
    progress('query');
    if (sent >= target) {
      nextCheckpoint++;
      measure(sent < total);
    } else if (refits.length > 0 && answers.x.length >= refits[0]!) {
      while (refits.length > 0 && refits[0]! <= answers.x.length) refits.shift();
      const model = trainSurrogate(options, answers);
      if (model) selector.setScorer!(activeScorer(options, answers, model));
    }
  }
  // The stop point is a point of the curve too: what the attacker holds when it was cut off.
  if (fidelity[fidelity.length - 1]?.queries !== sent) measure(false);
  return {
    strategy: options.strategy,
    keys: oracles.length,
    queriesSent: sent,
    queriesAnswered: answers.x.length,
    endedBy,
    stoppedAt,
    fidelity,
  };
}

type Surrogate = Regressor | MultiLabelClassifier;

/** Below this many answers a surrogate is not worth training (the learners need a handful per label). */
const MIN_TRAIN = 10;

function trainSurrogate(options: SybilExtractionOptions, a: Answers): Surrogate | null {
  if (a.x.length < MIN_TRAIN) return null;
  if (options.task === 'regression') return trainSurrogateRegressor(a.x, a.y, { seed: options.seed });
  return trainSurrogateClassifier(a.x, a.Y, options.labels, { seed: options.seed });
}

function measureFidelity(options: SybilExtractionOptions, a: Answers, evalX: Uint8Array[], sent: number): { point: FidelityPoint; model: Surrogate | null } {
  const point: FidelityPoint = { queries: sent, answered: a.x.length, r2: null, spearman: null, top100_overlap: null, agreement: null, mae: null, rmse: null, auc: null };
  const model = trainSurrogate(options, a);
  if (!model) return { point, model };
  if (options.task === 'regression') {
    const truth = options.victimOnEval.mean;
    const pred = (model as Regressor).predict(evalX).mean;
    point.r2 = r2(truth, pred);
    point.spearman = spearman(truth, pred);
    point.top100_overlap = topKOverlap(truth, pred, Math.min(TOP_K, truth.length));
    point.mae = mae(truth, pred);
    point.rmse = rmse(truth, pred);
  } else {
    const probs = (model as MultiLabelClassifier).predictProba(evalX);
    const f = classifierFidelity(options.victimOnEval, probs, options.labels.length);
    point.agreement = f.agreement;
    point.auc = f.auc;
  }
  return { point, model };
}

/**
 * Per label: agreement of the surrogate's top-1 label with the victim's, and
 * the AUC of the surrogate's scores against the victim's top-1 labels (labels
 * the victim never predicts positive on the evaluation set have no AUC and
 * are left out of that mean); both averaged over labels.
 */
export function classifierFidelity(victim: readonly ArrayLike<number>[], surrogate: readonly ArrayLike<number>[], nLabels: number): { agreement: number; auc: number | null } {
  let agree = 0;
  let aucSum = 0;
  let aucN = 0;
  for (let j = 0; j < nLabels; j++) {
    const v = victim.map((p) => (p[j]! >= 0.5 ? 1 : 0));
    const s = surrogate.map((p) => (p[j]! >= 0.5 ? 1 : 0));
    agree += agreement(v, s);
    const pos = v.reduce<number>((t, x) => t + x, 0);
    if (pos > 0 && pos < v.length) {
      aucSum += rocAuc(surrogate.map((p) => p[j]!), v);
      aucN++;
    }
  }
  return { agreement: agree / nLabels, auc: aucN === 0 ? null : aucSum / aucN };
}

/**
 * What active learning ranks candidates by, from what the answers contain:
 * - regression with intervals (or confidences): a regressor trained to
 *   predict the victim's interval width (or 1 - confidence), so the widest
 *   intervals / least confident answers are asked for;
 * - regression with point predictions only: disagreement of a small
 *   committee (the surrogate and two trained on random halves; query by
 *   committee, Seung et al. 1992), or the surrogate's own std if it has one;
 * - classification: the surrogate's least confident labels,
 *   mean over labels of 1 - |2p - 1| (uncertainty sampling).
 */
function activeScorer(options: SybilExtractionOptions, a: Answers, model: Surrogate): UncertaintyScorer {
  const fps = (idx: readonly number[]): Uint8Array[] => idx.map((i) => options.pool[i]!.fp);
  if (options.task === 'classification') {
    const m = model as MultiLabelClassifier;
    return (idx) => {
      const probs = m.predictProba(fps(idx));
      return Float64Array.from(probs, (p) => {
        let u = 0;
        for (let j = 0; j < p.length; j++) u += 1 - Math.abs(2 * p[j]! - 1);
        return u / Math.max(1, p.length);
      });
    };
  }
  const reg = model as Regressor;
  const signal = pickSignal(a);
  if (signal) {
    const aux = trainSurrogateRegressor(signal.x, signal.y, { seed: options.seed + 1 });
    return (idx) => aux.predict(fps(idx)).mean;
  }
  const committee: Regressor[] = [reg];
  const rng = Rng.derive(options.seed, 'committee');
  for (let k = 0; k < 2; k++) {
    const half = rng.sample(a.x.length, Math.ceil(a.x.length / 2));
    committee.push(trainSurrogateRegressor(half.map((i) => a.x[i]!), half.map((i) => a.y[i]!), { seed: options.seed + 2 + k }));
  }
  return (idx) => {
    const x = fps(idx);
    const outs = committee.map((c) => c.predict(x));
    return Float64Array.from(idx, (_, i) => {
      const own = outs[0]!.std[i]!;
      if (own > 0) return own;
      let s = 0;
      let s2 = 0;
      for (const o of outs) {
        s += o.mean[i]!;
        s2 += o.mean[i]! ** 2;
      }
      const mu = s / outs.length;
      return Math.sqrt(Math.max(0, s2 / outs.length - mu * mu));
    });
  };
}

/** Interval width where most answers carry one, else 1 - confidence, else nothing. */
function pickSignal(a: Answers): { x: Uint8Array[]; y: number[] } | null {
  for (const [field, map] of [
    [a.width, (v: number) => v],
    [a.confidence, (v: number) => 1 - v],
  ] as const) {
    const x: Uint8Array[] = [];
    const y: number[] = [];
    field.forEach((v, i) => {
      if (v !== null) {
        x.push(a.x[i]!);
        y.push(map(v));
      }
    });
    // A field rounded to one value carries nothing to rank by.
    if (x.length >= Math.max(MIN_TRAIN, a.x.length / 2) && new Set(y).size > 1) return { x, y };
  }
  return null;
}
