/**
 * Membership inference through an Oracle: was this compound in the victim's
 * training set? Balanced sets of training compounds (members) and held-out
 * ones (non-members) are asked in one shuffled stream, and each attack turns
 * an answer into a score (higher = more likely a member):
 * - confidence: the answer's confidence (regressor) or, for the classifier,
 *   the probability given to the true label where known, else the max
 *   probability (Shokri et al. 2017 section VI; Salem et al. 2019);
 * - interval: minus the width of the predictive interval (a GP is far more
 *   certain on the compounds it was fitted to);
 * - loss: minus the error against the compound's known value (Yeom et al.
 *   2018), which needs only the point prediction;
 * - shadow: Shokri et al. 2017: shadow victims of the same kind trained on
 *   public molecules labelled by the oracle, an attack model learned on the
 *   shadows' answers for their own in/out molecules, applied to the target's.
 * Reported as ROC AUC and TPR at 1% and 0.1% FPR (Carlini et al. 2022,
 * "Membership Inference Attacks From First Principles"). Where the output
 * policy removed what an attack reads, the attack scores from what is left
 * (often nothing: a constant score, AUC 0.5) and says which features it used.
 */
import { trainVictimClassifier, trainVictimRegressor } from '../learn/index.js';
import { rocAuc, tprAtFpr } from '../metrics/index.js';
import { roundTo } from '../../gateway/harden.js';
import { Rng } from '../../sim/rng.js';
import type { ClassificationAnswer, Molecule, Oracle, RegressionAnswer } from '../types.js';
import { classificationAnswer, regressionAnswer, type OutputHardening } from './in-process-oracle.js';

export type MembershipAttackName = 'confidence' | 'interval' | 'loss' | 'shadow';

export interface MembershipScore {
  attack: MembershipAttackName;
  auc: number;
  tpr_at_1pct_fpr: number;
  tpr_at_01pct_fpr: number;
  /** What the attack could read from the answers (empty: nothing, so a constant score). */
  features: string[];
}

export interface MembershipProgress {
  phase: 'query' | 'shadow';
  done: number;
  total: number;
}

interface MembershipCommon {
  /** Victim training compounds. */
  members: readonly Molecule[];
  /** Compounds of the same distribution the victim never saw. */
  nonMembers: readonly Molecule[];
  seed: number;
  /** Compounds per side at most (both sides get the same number). */
  maxPerSide?: number;
  /** Default: every attack that applies to the task. */
  attacks?: readonly MembershipAttackName[];
  /** Shadow-model attack: public molecules to label through the oracle and train shadows on. */
  shadow?: { pool: readonly Molecule[]; shadows?: number; trainSize?: number };
  batchSize?: number;
  onProgress?: (p: MembershipProgress) => void;
}

export interface RegressionMembershipOptions extends MembershipCommon {
  task: 'regression';
  oracle: Oracle<RegressionAnswer>;
  /** The compounds' measured values, as an attacker holding the records knows them (enables loss). */
  truth?: { members: readonly number[]; nonMembers: readonly number[] };
}

export interface ClassificationMembershipOptions extends MembershipCommon {
  task: 'classification';
  oracle: Oracle<ClassificationAnswer>;
  labels: readonly string[];
  truth?: { members: ReadonlyArray<ReadonlyArray<0 | 1 | null>>; nonMembers: ReadonlyArray<ReadonlyArray<0 | 1 | null>> };
}

export type MembershipOptions = RegressionMembershipOptions | ClassificationMembershipOptions;

export interface MembershipResult {
  /** Compounds per side. */
  perSide: number;
  queriesSent: number;
  queriesAnswered: number;
  scores: MembershipScore[];
}

type Answer = RegressionAnswer | ClassificationAnswer;
type Truth = number | ReadonlyArray<0 | 1 | null> | null;

export async function runMembershipInference(options: MembershipOptions): Promise<MembershipResult> {
  const rng = Rng.derive(options.seed, 'membership');
  const n = Math.min(options.members.length, options.nonMembers.length, options.maxPerSide ?? Infinity);
  if (n === 0) throw new RangeError('membership inference needs members and non-members');
  const mi = rng.sample(options.members.length, n);
  const ni = rng.sample(options.nonMembers.length, n);
  const truthOf = (side: 'members' | 'nonMembers', i: number): Truth => (options.truth ? (options.truth[side][i] ?? null) : null);
  // One shuffled stream, so the order of asking gives nothing away.
  const items = rng.shuffle([
    ...mi.map((i) => ({ mol: options.members[i]!, member: 1 as const, truth: truthOf('members', i) })),
    ...ni.map((i) => ({ mol: options.nonMembers[i]!, member: 0 as const, truth: truthOf('nonMembers', i) })),
  ]);
  const oracle = options.oracle as Oracle<Answer>;
  const batchSize = options.batchSize ?? 100;
  const wanted = options.attacks ?? (options.task === 'regression' ? ['confidence', 'interval', 'loss', 'shadow'] : ['confidence', 'shadow']);
  const shadowQueries = wanted.includes('shadow') && options.shadow ? 2 * shadowTrainSize(options, n) : 0;
  const totalQueries = items.length + shadowQueries;
  let sent = 0;
  let answeredCount = 0;
  const ask = async (mols: readonly Molecule[]): Promise<Array<Answer | null>> => {
    const out: Array<Answer | null> = [];
    for (let i = 0; i < mols.length; i += batchSize) {
      const got = await oracle.ask(mols.slice(i, i + batchSize));
      sent += got.length;
      for (const g of got) if (g) answeredCount++;
      out.push(...got);
      options.onProgress?.({ phase: 'query', done: sent, total: totalQueries });
    }
    return out;
  };

  const answers = await ask(items.map((it) => it.mol));
  const isMember = items.map((it) => it.member);
  const scores: MembershipScore[] = [];
  const report = (attack: MembershipAttackName, s: readonly number[], features: string[]): void => {
    scores.push({ attack, auc: rocAuc(s, isMember), tpr_at_1pct_fpr: tprAtFpr(s, isMember, 0.01), tpr_at_01pct_fpr: tprAtFpr(s, isMember, 0.001), features });
  };
  const truths = items.map((it) => it.truth);

  for (const attack of wanted) {
    if (attack === 'shadow') {
      if (!options.shadow) continue;
      const s = await shadowAttack(options, answers, truths, ask, rng, n);
      report('shadow', s.scores, s.features);
      continue;
    }
    if (options.task === 'classification' && attack !== 'confidence') continue;
    const feats = featureSet(options.task, attack, answers, truths);
    const s = answers.map((a, i) => (a ? (featureValues(feats, a, truths[i]!)[0] ?? 0) : 0));
    report(attack, s, feats);
  }
  return { perSide: n, queriesSent: sent, queriesAnswered: answeredCount, scores };
}

function shadowTrainSize(options: MembershipOptions, n: number): number {
  return options.shadow?.trainSize ?? Math.min(n, 500);
}

// ---------------------------------------------------------------------------
// features of one answer

/** Feature names, each a number per answer; which apply depends on what the answers carry. */
type Feature = 'confidence' | 'neg_interval_width' | 'neg_abs_error' | 'true_label_prob' | 'max_prob' | 'label_match';

function has<A>(answers: ReadonlyArray<A | null>, pred: (a: A) => boolean): boolean {
  let yes = 0;
  let all = 0;
  for (const a of answers) {
    if (!a) continue;
    all++;
    if (pred(a)) yes++;
  }
  return all > 0 && yes * 2 >= all;
}

function featureSet(task: 'regression' | 'classification', attack: MembershipAttackName, answers: ReadonlyArray<Answer | null>, truths: readonly Truth[]): Feature[] {
  const truthKnown = truths.some((t) => t !== null);
  if (task === 'regression') {
    const reg = answers as ReadonlyArray<RegressionAnswer | null>;
    const conf = has(reg, (a) => a.confidence !== undefined);
    const interval = has(reg, (a) => a.interval !== undefined);
    if (attack === 'confidence') return conf ? ['confidence'] : [];
    if (attack === 'interval') return interval ? ['neg_interval_width'] : [];
    if (attack === 'loss') return truthKnown ? ['neg_abs_error'] : [];
    return [...(conf ? (['confidence'] as const) : []), ...(interval ? (['neg_interval_width'] as const) : []), ...(truthKnown ? (['neg_abs_error'] as const) : [])];
  }
  const probs = has(answers as ReadonlyArray<ClassificationAnswer | null>, (a) => a.probabilities !== undefined);
  if (attack === 'confidence') return probs ? [truthKnown ? 'true_label_prob' : 'max_prob'] : truthKnown ? ['label_match'] : [];
  return [...(probs ? (['max_prob'] as const) : []), ...(probs && truthKnown ? (['true_label_prob'] as const) : []), ...(truthKnown ? (['label_match'] as const) : [])];
}

function featureValues(features: readonly Feature[], a: Answer, truth: Truth): number[] {
  return features.map((f) => {
    if ('prediction' in a) {
      if (f === 'confidence') return a.confidence ?? 0;
      if (f === 'neg_interval_width') return a.interval ? -(a.interval[1] - a.interval[0]) : 0;
      return typeof truth === 'number' ? -Math.abs(a.prediction - truth) : 0;
    }
    const p = a.probabilities;
    let sum = 0;
    let k = 0;
    for (let j = 0; j < a.labels.length; j++) {
      const t = Array.isArray(truth) ? (truth as ReadonlyArray<0 | 1 | null>)[j] : null;
      if (f === 'max_prob') {
        if (p) sum += Math.max(p[j]!, 1 - p[j]!);
        k++;
      } else if (t === 0 || t === 1) {
        if (f === 'true_label_prob') sum += p ? (t === 1 ? p[j]! : 1 - p[j]!) : 0;
        else sum += a.labels[j] === t ? 1 : 0;
        k++;
      }
    }
    return k === 0 ? 0 : sum / k;
  });
}

// ---------------------------------------------------------------------------
// shadow models (Shokri et al. 2017)

/** The smallest number of decimals (up to 6) every value has; null when some have more. */
function decimalsOf(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  for (let k = 0; k <= 6; k++) if (values.every((v) => Math.abs(roundTo(v, k) - v) < 1e-9)) return k;
  return undefined;
}

/**
 * The output policy as the attacker can read it off the answers: which
 * fields are present and how coarsely they are rounded. Shadows' outputs are
 * put through the same, so the attack model learns on answers that look like
 * the target's (perturbations that are random cannot be mimicked; they only
 * add noise to the attack).
 */
export function inferHardening(answers: ReadonlyArray<Answer | null>): OutputHardening {
  const got = answers.filter((a): a is Answer => a !== null);
  const reg = got.filter((a): a is RegressionAnswer => 'prediction' in a);
  if (reg.length > 0) {
    const h: OutputHardening = { dropInterval: !has(reg, (a) => a.interval !== undefined), dropConfidence: !has(reg, (a) => a.confidence !== undefined) };
    const d = decimalsOf(reg.flatMap((a) => [...(a.confidence === undefined ? [] : [a.confidence]), ...(a.interval ?? [])]));
    if (d !== undefined) h.decimals = d;
    const dp = decimalsOf(reg.map((a) => a.prediction));
    if (dp !== undefined && d !== undefined && dp <= d) h.roundPrediction = true;
    return h;
  }
  const cls = got as ClassificationAnswer[];
  const h: OutputHardening = { labelsOnly: !has(cls, (a) => a.probabilities !== undefined) };
  const d = decimalsOf(cls.flatMap((a) => a.probabilities ?? []));
  if (d !== undefined) h.decimals = d;
  return h;
}

async function shadowAttack(
  options: MembershipOptions,
  targetAnswers: ReadonlyArray<Answer | null>,
  targetTruths: readonly Truth[],
  ask: (mols: readonly Molecule[]) => Promise<Array<Answer | null>>,
  rng: Rng,
  n: number,
): Promise<{ scores: number[]; features: string[] }> {
  const shadow = options.shadow!;
  const trainSize = shadowTrainSize(options, n);
  const shadows = shadow.shadows ?? 3;
  // The attacker's labelled public data: pool molecules and what the oracle said about them.
  const publicIdx = rng.sample(shadow.pool.length, 2 * trainSize);
  const publicMols = publicIdx.map((i) => shadow.pool[i]!);
  const publicAnswers = await ask(publicMols);
  const labelled = publicMols.map((m, i) => ({ m, a: publicAnswers[i] })).filter((r): r is { m: Molecule; a: Answer } => !!r.a);
  const hardening = inferHardening(targetAnswers);
  const features = featureSet(options.task, 'shadow', targetAnswers, targetTruths);
  const rows: number[][] = [];
  const inOut: number[] = [];
  for (let s = 0; s < shadows && features.length > 0 && labelled.length >= 4; s++) {
    options.onProgress?.({ phase: 'shadow', done: s, total: shadows });
    const order = rng.shuffle(labelled.map((_, i) => i));
    const half = Math.floor(order.length / 2);
    const inIdx = order.slice(0, half);
    const x = inIdx.map((i) => labelled[i]!.m.fp);
    const allX = order.map((i) => labelled[i]!.m.fp);
    let shadowAnswers: Answer[];
    let shadowTruths: Truth[];
    if (options.task === 'regression') {
      const y = inIdx.map((i) => (labelled[i]!.a as RegressionAnswer).prediction);
      const model = trainVictimRegressor(x, y, { seed: options.seed + 100 + s });
      const out = model.predict(allX);
      shadowAnswers = order.map((_, k) => regressionAnswer(out.mean[k]!, out.std[k]!, hardening));
      shadowTruths = order.map((i) => (labelled[i]!.a as RegressionAnswer).prediction);
    } else {
      const Y = inIdx.map((i) => (labelled[i]!.a as ClassificationAnswer).labels.slice());
      const model = trainVictimClassifier(x, Y, options.labels, { seed: options.seed + 100 + s });
      const probs = model.predictProba(allX);
      shadowAnswers = order.map((_, k) => classificationAnswer(probs[k]!, hardening));
      shadowTruths = order.map((i) => (labelled[i]!.a as ClassificationAnswer).labels.slice());
    }
    for (let k = 0; k < order.length; k++) {
      rows.push(featureValues(features, shadowAnswers[k]!, shadowTruths[k]!));
      inOut.push(k < half ? 1 : 0);
    }
  }
  if (rows.length === 0) return { scores: targetAnswers.map(() => 0), features: [] };
  const model = fitLogistic(rows, inOut);
  return { scores: targetAnswers.map((a, i) => (a ? model(featureValues(features, a, targetTruths[i]!)) : 0)), features };
}

/**
 * L2-regularised logistic regression on standardised features by full-batch
 * gradient descent: the attack model Shokri et al. train per class, here one
 * over a handful of features, for which anything bigger is overkill.
 */
export function fitLogistic(rows: readonly number[][], y: readonly number[], iterations = 500, rate = 0.5, l2 = 1e-3): (row: readonly number[]) => number {
  const d = rows[0]?.length ?? 0;
  const mu = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mu[j]! += r[j]! / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) sd[j]! += (r[j]! - mu[j]!) ** 2 / rows.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  const z = rows.map((r) => r.map((v, j) => (v - mu[j]!) / sd[j]!));
  const w = new Float64Array(d);
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    const gw = new Float64Array(d);
    let gb = 0;
    for (let i = 0; i < z.length; i++) {
      let t = b;
      for (let j = 0; j < d; j++) t += w[j]! * z[i]![j]!;
      const e = 1 / (1 + Math.exp(-t)) - y[i]!;
      for (let j = 0; j < d; j++) gw[j]! += e * z[i]![j]!;
      gb += e;
    }
    for (let j = 0; j < d; j++) w[j]! -= rate * (gw[j]! / z.length + l2 * w[j]!);
    b -= (rate * gb) / z.length;
  }
  return (row) => {
    let t = b;
    for (let j = 0; j < d; j++) t += (w[j]! * (row[j]! - mu[j]!)) / sd[j]!;
    return 1 / (1 + Math.exp(-t));
  };
}
