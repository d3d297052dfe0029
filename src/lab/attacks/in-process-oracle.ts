/**
 * An Oracle that answers from a victim in the same process, with the output
 * hardening the gateway offers simulated on the answer: rounding, removal of
 * the interval or confidence, top-1 labels only, reverse sigmoid, and refusal
 * after a number of answered instances (a budget or a block). The lab's real
 * runs go through the HTTP gateway; this oracle lets the attacks be tested
 * and studied without a server.
 */
import { reverseSigmoid, roundTo } from '../../gateway/harden.js';
import type { ClassificationAnswer, Molecule, MultiLabelClassifier, Oracle, RegressionAnswer, Regressor } from '../types.js';

/** z for a two-sided 95% normal interval, as the scenario's APIs report mean +/- 1.96 std. */
export const INTERVAL_Z = 1.96;

/** The regressor's "confidence" as the lab's model server reports it: 1 / (1 + std), 1 for a certain prediction. */
export function confidenceFromStd(std: number): number {
  return 1 / (1 + std);
}

export interface OutputHardening {
  /** Round confidences, probabilities and interval bounds to this many decimals. */
  decimals?: number;
  /** Round the point prediction too (to `decimals`). */
  roundPrediction?: boolean;
  dropInterval?: boolean;
  dropConfidence?: boolean;
  /** Classifier: top-1 label per task only, no probabilities. */
  labelsOnly?: boolean;
  /** Classifier: reverse-sigmoid perturbation (Lee et al. 2019) of each label's [1-p, p]. */
  reverseSigmoid?: { beta: number; gamma: number };
  /** Refuse everything after this many answered instances, and report stopped. */
  refuseAfter?: number;
}

export interface InProcessOracleOptions<T extends 'regression' | 'classification'> {
  task: T;
  victim: T extends 'regression' ? Regressor : MultiLabelClassifier;
  hardening?: OutputHardening;
}

export type InProcessOracle<A> = Oracle<A> & { readonly sent: number };

export function regressionAnswer(mean: number, std: number, h: OutputHardening = {}): RegressionAnswer {
  const r = (v: number): number => (h.decimals === undefined ? v : roundTo(v, h.decimals));
  const a: RegressionAnswer = { prediction: h.roundPrediction ? r(mean) : mean };
  if (!h.dropConfidence) a.confidence = r(confidenceFromStd(std));
  if (!h.dropInterval) a.interval = [r(mean - INTERVAL_Z * std), r(mean + INTERVAL_Z * std)];
  return a;
}

export function classificationAnswer(probs: ArrayLike<number>, h: OutputHardening = {}): ClassificationAnswer {
  const labels: Array<0 | 1> = [];
  const out: number[] = [];
  for (let j = 0; j < probs.length; j++) {
    const p = probs[j]!;
    labels.push(p >= 0.5 ? 1 : 0);
    let q = h.reverseSigmoid ? reverseSigmoid([1 - p, p], h.reverseSigmoid.beta, h.reverseSigmoid.gamma)[1]! : p;
    if (h.decimals !== undefined) q = roundTo(q, h.decimals);
    out.push(q);
  }
  return h.labelsOnly ? { labels } : { probabilities: out, labels };
}

export function createInProcessOracle(options: InProcessOracleOptions<'regression'>): InProcessOracle<RegressionAnswer>;
export function createInProcessOracle(options: InProcessOracleOptions<'classification'>): InProcessOracle<ClassificationAnswer>;
export function createInProcessOracle(
  options: InProcessOracleOptions<'regression'> | InProcessOracleOptions<'classification'>,
): InProcessOracle<RegressionAnswer> | InProcessOracle<ClassificationAnswer> {
  const h = options.hardening ?? {};
  let answered = 0;
  let sent = 0;
  let stopped = false;
  const answerAll = (batch: readonly Molecule[]): Array<RegressionAnswer | ClassificationAnswer> => {
    const x = batch.map((m) => m.fp);
    if (options.task === 'regression') {
      const { mean, std } = (options.victim as Regressor).predict(x);
      return batch.map((_, i) => regressionAnswer(mean[i]!, std[i]!, h));
    }
    const probs = (options.victim as MultiLabelClassifier).predictProba(x);
    return batch.map((_, i) => classificationAnswer(probs[i]!, h));
  };
  const oracle = {
    get stopped() {
      return stopped;
    },
    get answered() {
      return answered;
    },
    get sent() {
      return sent;
    },
    ask(batch: readonly Molecule[]) {
      sent += batch.length;
      const room = h.refuseAfter === undefined ? batch.length : Math.max(0, Math.min(batch.length, h.refuseAfter - answered));
      const answers: Array<RegressionAnswer | ClassificationAnswer | null> = room > 0 ? answerAll(batch.slice(0, room)) : [];
      while (answers.length < batch.length) answers.push(null);
      answered += room;
      if (h.refuseAfter !== undefined && answered >= h.refuseAfter && room < batch.length) stopped = true;
      return Promise.resolve(answers);
    },
  };
  return oracle as InProcessOracle<RegressionAnswer> | InProcessOracle<ClassificationAnswer>;
}
