/**
 * Fidelity and attack metrics for the extraction-risk lab. Every function
 * takes plain numeric arrays (typed or not) of equal length and returns NaN
 * where the metric is undefined (empty input, constant truth for R2, one class
 * only for ROC AUC), so callers can report null rather than a made-up number.
 */

type Nums = ArrayLike<number>;
type Labels = ArrayLike<number | boolean>;

function sameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, name: string): void {
  if (a.length !== b.length) throw new RangeError(`${name}: arrays differ in length (${a.length} vs ${b.length})`);
}

function mean(a: Nums): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

/** Coefficient of determination of predictions against the truth (1 - SS_res / SS_tot); NaN when the truth is constant. */
export function r2(yTrue: Nums, yPred: Nums): number {
  sameLength(yTrue, yPred, 'r2');
  if (yTrue.length === 0) return NaN;
  const m = mean(yTrue);
  let res = 0;
  let tot = 0;
  for (let i = 0; i < yTrue.length; i++) {
    res += (yTrue[i]! - yPred[i]!) ** 2;
    tot += (yTrue[i]! - m) ** 2;
  }
  return tot === 0 ? NaN : 1 - res / tot;
}

export function mae(yTrue: Nums, yPred: Nums): number {
  sameLength(yTrue, yPred, 'mae');
  if (yTrue.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i]! - yPred[i]!);
  return s / yTrue.length;
}

export function rmse(yTrue: Nums, yPred: Nums): number {
  sameLength(yTrue, yPred, 'rmse');
  if (yTrue.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += (yTrue[i]! - yPred[i]!) ** 2;
  return Math.sqrt(s / yTrue.length);
}

/** 1-based ranks, tied values sharing the mean of the ranks they span. */
export function averageRanks(a: Nums): Float64Array {
  const n = a.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i]! - a[j]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && a[order[j + 1]!] === a[order[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = r;
    i = j + 1;
  }
  return ranks;
}

/** Pearson correlation; NaN when either side is constant. */
export function pearson(a: Nums, b: Nums): number {
  sameLength(a, b, 'pearson');
  if (a.length < 2) return NaN;
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** Spearman rank correlation (Pearson on average ranks, so ties are handled). */
export function spearman(a: Nums, b: Nums): number {
  sameLength(a, b, 'spearman');
  return pearson(averageRanks(a), averageRanks(b));
}

/** Indices of the k largest scores; ties broken by lower index so the result is deterministic. */
function topK(scores: Nums, k: number): number[] {
  return Array.from({ length: scores.length }, (_, i) => i)
    .sort((i, j) => scores[j]! - scores[i]! || i - j)
    .slice(0, k);
}

/**
 * Fraction of the k best molecules by the true scores that are also among the
 * k best by the predicted scores (the scenario's "top-100 overlap": what a
 * thief ranking a library with the surrogate would shortlist).
 */
export function topKOverlap(trueScores: Nums, predScores: Nums, k: number): number {
  sameLength(trueScores, predScores, 'topKOverlap');
  const kk = Math.min(Math.floor(k), trueScores.length);
  if (kk <= 0) return NaN;
  const want = new Set(topK(trueScores, kk));
  let hit = 0;
  for (const i of topK(predScores, kk)) if (want.has(i)) hit++;
  return hit / kk;
}

function isPositive(v: number | boolean): boolean {
  return v === true || v === 1;
}

/**
 * Area under the ROC curve as the Mann-Whitney U statistic on average ranks:
 * a tie between a positive and a negative counts one half. NaN unless both
 * classes are present.
 */
export function rocAuc(scores: Nums, labels: Labels): number {
  sameLength(scores, labels, 'rocAuc');
  const ranks = averageRanks(scores);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < labels.length; i++) {
    if (isPositive(labels[i]!)) {
      pos++;
      rankSum += ranks[i]!;
    }
  }
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * True-positive rate at the best threshold whose false-positive rate does not
 * exceed `fpr` (LiRA's low-FPR reporting, Carlini et al. 2022). Tied scores are
 * never split: a threshold admits all of them or none.
 */
export function tprAtFpr(scores: Nums, labels: Labels, fpr: number): number {
  sameLength(scores, labels, 'tprAtFpr');
  let pos = 0;
  for (let i = 0; i < labels.length; i++) if (isPositive(labels[i]!)) pos++;
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((i, j) => scores[j]! - scores[i]!);
  let tp = 0;
  let fp = 0;
  let best = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) {
      if (isPositive(labels[order[j]!]!)) tp++;
      else fp++;
      j++;
    }
    if (fp / neg > fpr) break;
    best = tp / pos;
    i = j;
  }
  return best;
}

/** Fraction of positions where two label vectors agree (top-1 agreement of a surrogate with its victim). */
export function agreement(a: Nums, b: Nums): number {
  sameLength(a, b, 'agreement');
  if (a.length === 0) return NaN;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/**
 * ROC AUC per label of a multi-label classifier, skipping molecules whose
 * label is missing (null), and their mean over the labels where it is
 * defined (the usual Tox21 summary, Wu et al. 2018).
 */
export function multiLabelAuc(
  scores: ReadonlyArray<ArrayLike<number>>,
  labels: ReadonlyArray<ReadonlyArray<number | boolean | null>>,
): { perLabel: number[]; mean: number } {
  sameLength(scores, labels, 'multiLabelAuc');
  const width = labels[0]?.length ?? 0;
  const perLabel: number[] = [];
  for (let k = 0; k < width; k++) {
    const s: number[] = [];
    const l: Array<number | boolean> = [];
    labels.forEach((row, i) => {
      const v = row[k];
      if (v === null || v === undefined) return;
      s.push(scores[i]![k]!);
      l.push(v);
    });
    perLabel.push(rocAuc(s, l));
  }
  const defined = perLabel.filter(Number.isFinite);
  return { perLabel, mean: defined.length === 0 ? NaN : defined.reduce((a, b) => a + b, 0) / defined.length };
}
