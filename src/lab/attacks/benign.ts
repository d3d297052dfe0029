/**
 * Benign traffic: medicinal chemists, each with their own key, working on a
 * focused series -- the Tanimoto neighbourhood of a lead compound (from one of
 * the pool's larger clusters, or a known active) -- and asking about its members and close
 * analogues in small interactive batches during working hours, tens to a few
 * hundred molecules a day, sometimes asking again about a compound they saw.
 * It is what the detectors must not alert on, and what output hardening must
 * not spoil: utility is how close what they received is to the victim's
 * true outputs.
 */
import { distance, toFp, type Fp } from '../../detect/molecules.js';
import { agreement, mae } from '../metrics/index.js';
import { Rng } from '../../sim/rng.js';
import type { ClassificationAnswer, Molecule, MultiLabelClassifier, Oracle, RegressionAnswer, Regressor } from '../types.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface BenignProgress {
  day: number;
  days: number;
  queries: number;
}

interface BenignCommon {
  pool: readonly Molecule[];
  /** Cluster (and scaffold) of each pool molecule, aligned with pool; clusters become series. */
  poolInfo?: ReadonlyArray<{ cluster: number | string }>;
  /** Known actives (e.g. BACE compounds) whose nearest pool neighbours form series. */
  anchors?: readonly Molecule[];
  /** Working days simulated. */
  days: number;
  seed: number;
  /** Molecules a researcher asks about on a working day, [min, max] (default [20, 200]). */
  perDay?: [number, number];
  /** Molecules per request, [min, max] (default [1, 20]). */
  batch?: [number, number];
  /** Share of a day's molecules that are repeats of compounds already asked about (default 0.1). */
  repeatShare?: number;
  /** Molecules in a series: its lead's nearest pool neighbours (default 100). */
  seriesSize?: number;
  /** Clusters whose first compound may lead a series: the largest this many (default 50). */
  leads?: number;
  /** Event time of day 0, 00:00 (default 0). */
  startMs?: number;
  /** Called before each request with its event time, e.g. to move the gateway's clock. */
  beforeBatch?: (ctx: { researcher: number; day: number; atMs: number }) => void | Promise<void>;
  onProgress?: (p: BenignProgress) => void;
}

export interface RegressionBenignOptions extends BenignCommon {
  task: 'regression';
  /** One per researcher: each has its own key. */
  oracles: readonly Oracle<RegressionAnswer>[];
  victim: Regressor;
}

export interface ClassificationBenignOptions extends BenignCommon {
  task: 'classification';
  oracles: readonly Oracle<ClassificationAnswer>[];
  victim: MultiLabelClassifier;
}

export type BenignOptions = RegressionBenignOptions | ClassificationBenignOptions;

export interface BenignResult {
  queries: number;
  answered: number;
  refused: number;
  researchers: Array<{ queries: number; answered: number; refused: number; series: string[] }>;
  /** Accuracy of what the researchers received against the victim's true outputs. */
  utility: Array<{ metric: string; value: number | null }>;
}

interface Series {
  name: string;
  members: number[];
}

/** Where a series starts: a pool compound (the lead of a cluster) or an external anchor. */
type Lead = { name: string; fp: Fp };

/**
 * Leads researchers can take up, in the order they will: anchors and the
 * first compound of the pool's largest clusters (dense regions of chemistry,
 * where real series live), shuffled.
 */
function leads(options: BenignOptions, fps: readonly Fp[], rng: Rng): Lead[] {
  const out: Lead[] = [];
  if (options.poolInfo) {
    const byCluster = new Map<string, number[]>();
    options.poolInfo.forEach((p, i) => {
      const key = String(p.cluster);
      let list = byCluster.get(key);
      if (!list) byCluster.set(key, (list = []));
      list.push(i);
    });
    const largest = [...byCluster].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, options.leads ?? 50);
    for (const [key, members] of largest) out.push({ name: `cluster:${key}`, fp: fps[members[0]!]! });
  }
  (options.anchors ?? []).forEach((a, k) => out.push({ name: `anchor:${k}`, fp: toFp(a.fp) }));
  if (out.length === 0) throw new RangeError('benign traffic needs poolInfo or anchors to draw series from');
  return rng.shuffle(out);
}

/** A series: the lead's nearest pool neighbours, most similar first (how an SAR series is explored outwards). */
function seriesOf(lead: Lead, fps: readonly Fp[], size: number): Series {
  const d = fps.map((f, i) => ({ i, d: distance(lead.fp, f) }));
  d.sort((x, y) => x.d - y.d || x.i - y.i);
  return { name: lead.name, members: d.slice(0, size).map((x) => x.i) };
}

export async function runBenignTraffic(options: BenignOptions): Promise<BenignResult> {
  const rng = Rng.derive(options.seed, 'benign');
  const fps = options.pool.map((m) => toFp(m.fp));
  const starts = leads(options, fps, rng);
  const seriesSize = options.seriesSize ?? 100;
  const [dayLo, dayHi] = options.perDay ?? [20, 200];
  const [batchLo, batchHi] = options.batch ?? [1, 20];
  const repeatShare = options.repeatShare ?? 0.1;
  const startMs = options.startMs ?? 0;
  const oracles = options.oracles as ReadonlyArray<Oracle<RegressionAnswer | ClassificationAnswer>>;
  let nextSeries = 0;
  const researchers = oracles.map((_, r) => ({
    rng: Rng.derive(options.seed, `benign:researcher:${r}`),
    series: seriesOf(starts[nextSeries++ % starts.length]!, fps, seriesSize),
    position: 0,
    seen: [] as number[],
    names: [] as string[],
    queries: 0,
    answered: 0,
    refused: 0,
  }));
  for (const r of researchers) r.names.push(r.series.name);
  const asked: number[] = [];
  const received: Array<RegressionAnswer | ClassificationAnswer> = [];
  let queries = 0;

  for (let day = 0; day < options.days; day++) {
    const requests: Array<{ researcher: number; atMs: number; mols: number[] }> = [];
    researchers.forEach((r, k) => {
      // Log-normal daily volume (median ~60): most days modest, a few busy ones.
      const volume = Math.max(dayLo, Math.min(dayHi, Math.round(r.rng.lognormal(Math.sqrt(dayLo * dayHi) * 0.9, 0.6))));
      let left = volume;
      while (left > 0) {
        const size = Math.min(left, r.rng.int(batchLo, batchHi));
        const mols: number[] = [];
        for (let i = 0; i < size; i++) {
          if (r.seen.length > 0 && r.rng.chance(repeatShare)) {
            mols.push(r.rng.pick(r.seen));
            continue;
          }
          if (r.position >= r.series.members.length) {
            // Series exhausted: on to another project.
            r.series = seriesOf(starts[nextSeries++ % starts.length]!, fps, seriesSize);
            r.position = 0;
            r.names.push(r.series.name);
          }
          const m = r.series.members[r.position++]!;
          r.seen.push(m);
          mols.push(m);
        }
        // Working hours 09:00-18:00.
        requests.push({ researcher: k, atMs: startMs + day * DAY_MS + 9 * HOUR_MS + Math.floor(r.rng.next() * 9 * HOUR_MS), mols });
        left -= size;
      }
    });
    requests.sort((a, b) => a.atMs - b.atMs || a.researcher - b.researcher);
    for (const req of requests) {
      await options.beforeBatch?.({ researcher: req.researcher, day, atMs: req.atMs });
      const got = await oracles[req.researcher]!.ask(req.mols.map((i) => options.pool[i]!));
      const r = researchers[req.researcher]!;
      r.queries += req.mols.length;
      queries += req.mols.length;
      got.forEach((a, i) => {
        if (a) {
          r.answered++;
          asked.push(req.mols[i]!);
          received.push(a);
        } else r.refused++;
      });
    }
    options.onProgress?.({ day: day + 1, days: options.days, queries });
  }

  const answered = researchers.reduce((t, r) => t + r.answered, 0);
  return {
    queries,
    answered,
    refused: queries - answered,
    researchers: researchers.map((r) => ({ queries: r.queries, answered: r.answered, refused: r.refused, series: r.names })),
    utility: [{ metric: 'answered_share', value: queries === 0 ? null : answered / queries }, ...benignUtility(options, asked, received)],
  };
}

/** Regressor: MAE of the predictions received; classifier: label agreement, and probability MAE where probabilities came back. */
function benignUtility(options: BenignOptions, asked: readonly number[], received: ReadonlyArray<RegressionAnswer | ClassificationAnswer>): BenignResult['utility'] {
  if (asked.length === 0) return [];
  const x = asked.map((i) => options.pool[i]!.fp);
  if (options.task === 'regression') {
    const truth = options.victim.predict(x).mean;
    return [{ metric: 'mae', value: mae(truth, (received as RegressionAnswer[]).map((a) => a.prediction)) }];
  }
  const probs = options.victim.predictProba(x);
  const got = received as ClassificationAnswer[];
  const truthLabels = probs.flatMap((p) => Array.from(p, (v) => (v >= 0.5 ? 1 : 0)));
  const gotLabels = got.flatMap((a) => a.labels.map(Number));
  const out: BenignResult['utility'] = [{ metric: 'agreement', value: agreement(truthLabels, gotLabels) }];
  const withProbs = got.map((a, i) => ({ a, i })).filter(({ a }) => a.probabilities);
  if (withProbs.length > 0) {
    const t = withProbs.flatMap(({ i }) => Array.from(probs[i]!));
    const g = withProbs.flatMap(({ a }) => a.probabilities!);
    out.push({ metric: 'probability_mae', value: mae(t, g) });
  }
  return out;
}
