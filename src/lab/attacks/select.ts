/**
 * Query selection over the attacker's public pool: which molecules to send
 * next. Three strategies from the extraction literature:
 * - random: the baseline of Tramer et al. 2016;
 * - maxmin: diversity-maximising greedy max-min Tanimoto distance (the
 *   MaxMin picker of Ashton et al. 2002, as RDKit ships it), the "cover the
 *   space" attacker that coverage detectors look for;
 * - active: uncertainty sampling (Lewis and Gale 1994) as Papernot et al.
 *   2017 and Knockoff Nets (Orekondy et al. 2019) use it: from a random
 *   candidate subsample, the candidates the current surrogate is least sure
 *   of.
 */
import { Rng } from '../../sim/rng.js';
import type { Molecule } from '../types.js';
import { DistanceMarker, sparseFingerprints } from './fingerprints.js';

export type StrategyName = 'random' | 'maxmin' | 'active';

/** Uncertainty per pool index (higher = more worth asking); built by the extraction run from its surrogate. */
export type UncertaintyScorer = (poolIndices: readonly number[]) => Float64Array;

export interface QuerySelector {
  readonly strategy: StrategyName;
  /** Up to `n` pool indices not handed out before (fewer when the pool runs out). */
  next(n: number): number[];
  /** Active learning: the scorer to rank candidates with from now on. */
  setScorer?(scorer: UncertaintyScorer): void;
  /** Indices handed out so far. */
  readonly taken: number;
}

export interface SelectorOptions {
  strategy: StrategyName;
  pool: readonly Molecule[];
  seed: number;
  /**
   * Candidates drawn per round, as a multiple of the round's size (maxmin and
   * active; default 4). Larger is closer to the exact criterion and slower.
   */
  candidateFactor?: number;
  /** At least this many candidates per round when the pool has them (default 500). */
  minCandidates?: number;
  /**
   * maxmin: the selected molecules a candidate's distance is measured
   * against, at most (default 2000; a fresh uniform sample of the selection
   * each round once it is larger, plus every pick of the round). Exact
   * max-min is quadratic: 50k picks from a 70k pool is ~3.5e9 Tanimoto
   * distances; this bounds a round to candidates x reference.
   */
  maxReference?: number;
}

/** Indices of a pool not yet taken, with O(1) random draws and removals. */
class Remaining {
  private readonly items: Int32Array;
  private readonly where: Int32Array;
  size: number;

  constructor(n: number) {
    this.items = new Int32Array(n);
    this.where = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.items[i] = i;
      this.where[i] = i;
    }
    this.size = n;
  }

  remove(i: number): void {
    const at = this.where[i]!;
    if (at < 0 || at >= this.size) return;
    const last = this.items[this.size - 1]!;
    this.items[at] = last;
    this.where[last] = at;
    this.items[this.size - 1] = i;
    this.where[i] = -1;
    this.size--;
  }

  /** `k` distinct remaining indices drawn uniformly (not removed). */
  draw(k: number, rng: Rng): number[] {
    return rng.sample(this.size, Math.min(k, this.size)).map((j) => this.items[j]!);
  }
}

export function createQuerySelector(options: SelectorOptions): QuerySelector {
  const rng = Rng.derive(options.seed, `select:${options.strategy}`);
  const remaining = new Remaining(options.pool.length);
  const factor = options.candidateFactor ?? 4;
  const minCandidates = options.minCandidates ?? 500;
  let taken = 0;
  const candidatesFor = (n: number): number[] => remaining.draw(Math.max(minCandidates, Math.ceil(factor * n)), rng);
  const takeAll = (picked: number[]): number[] => {
    for (const i of picked) remaining.remove(i);
    taken += picked.length;
    return picked;
  };

  if (options.strategy === 'random') {
    return {
      strategy: 'random',
      get taken() {
        return taken;
      },
      next: (n) => takeAll(remaining.draw(n, rng)),
    };
  }

  if (options.strategy === 'active') {
    let scorer: UncertaintyScorer | undefined;
    return {
      strategy: 'active',
      get taken() {
        return taken;
      },
      setScorer(s) {
        scorer = s;
      },
      next(n) {
        // Before the first surrogate there is nothing to be uncertain about: a random seed set.
        if (!scorer) return takeAll(remaining.draw(n, rng));
        const cands = candidatesFor(n);
        const score = scorer(cands);
        const order = cands.map((_, i) => i).sort((a, b) => score[b]! - score[a]! || cands[a]! - cands[b]!);
        return takeAll(order.slice(0, n).map((i) => cands[i]!));
      },
    };
  }

  const marker = new DistanceMarker(sparseFingerprints(options.pool));
  const selected: number[] = [];
  const maxReference = options.maxReference ?? 2000;
  return {
    strategy: 'maxmin',
    get taken() {
      return taken;
    },
    next(n) {
      const cands = candidatesFor(n);
      const k = Math.min(n, cands.length);
      const ref = selected.length <= maxReference ? selected : rng.sample(selected.length, maxReference).map((j) => selected[j]!);
      const minDist = new Float64Array(cands.length).fill(Infinity);
      for (let c = 0; c < cands.length; c++) {
        marker.set(cands[c]!);
        let d = Infinity;
        for (const s of ref) {
          const v = marker.distance(s);
          if (v < d) d = v;
        }
        minDist[c] = d;
      }
      const picked: number[] = [];
      const used = new Uint8Array(cands.length);
      for (let p = 0; p < k; p++) {
        let best = -1;
        for (let c = 0; c < cands.length; c++) if (!used[c] && (best < 0 || minDist[c]! > minDist[best]!)) best = c;
        used[best] = 1;
        const b = cands[best]!;
        picked.push(b);
        marker.set(b);
        // The new pick is part of the selection: every remaining candidate's distance to it counts from now on.
        for (let c = 0; c < cands.length; c++) {
          if (used[c]) continue;
          const v = marker.distance(cands[c]!);
          if (v < minDist[c]!) minDist[c] = v;
        }
      }
      for (const i of picked) selected.push(i);
      return takeAll(picked);
    },
  };
}
