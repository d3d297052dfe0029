/**
 * Extraction statistics in the style of PRADA (Juuti et al., "PRADA:
 * Protecting against DNN Model Stealing Attacks", IEEE EuroS&P 2019).
 *
 * Per principal and model, each new molecular query's minimum Tanimoto
 * distance (1 - similarity of Morgan r=2, 2048-bit fingerprints) to the
 * principal's earlier queries is recorded. PRADA's observation: for natural
 * traffic these minimum distances fit a normal distribution, while synthetic
 * extraction queries (perturbation series around seeds mixed with far-flung
 * probes) do not. Once `minDistances` distances exist, a Shapiro-Wilk test
 * runs every `testEvery` new distances; W below `wThreshold` alerts.
 *
 * Following PRADA, a query joins the principal's growing set G only when its
 * minimum distance exceeds mean(D) - std(D) of the distances so far, so G
 * stays a sparse cover of the principal's query space. Unlike PRADA, G and D
 * are capped (oldest first) to bound memory; the paper's threshold delta is
 * tuned per model and data set, so `wThreshold` here is a default to be
 * calibrated on the simulator, not a constant from the paper.
 */
import { z } from 'zod';
import type { Severity } from '../alert.js';
import { makeAlert, MAX_EVIDENCE } from '../alert.js';
import { shapiroWilkW } from '../shapiro.js';
import { DAY_MS, Ring, dayStart } from '../stats.js';
import type { Detector, DetectorInstance } from '../types.js';
import type { Fp } from '../molecules.js';
import { decodeFp, distance, encodeFp, toFp } from '../molecules.js';

export const pradaOptions = z
  .object({
    /** Distances needed before the first normality test (Shapiro-Wilk needs a sample; PRADA tests once the history is substantial). */
    minDistances: z.number().int().min(20).max(5000).default(100),
    /** New distances between tests. */
    testEvery: z.number().int().positive().default(50),
    /** Most recent minimum distances tested, per principal and model. */
    maxDistances: z.number().int().min(20).max(5000).default(300),
    /** Fingerprints kept in the growing set per principal and model (oldest evicted). */
    growingSetSize: z.number().int().positive().default(256),
    /** Alert when W falls below this. */
    wThreshold: z.number().min(0).max(1).default(0.9),
    /** Skip queries identical to an earlier one (minimum distance 0). */
    ignoreRepeats: z.boolean().default(true),
    /** Models tracked per principal (least recently used evicted). */
    maxModelsPerPrincipal: z.number().int().positive().default(8),
  })
  .strict();
export type PradaOptions = z.infer<typeof pradaOptions>;

export type { Fp } from '../molecules.js';
export { decodeFp, distance, encodeFp, toFp } from '../molecules.js';

interface Track {
  model: string;
  growing: Fp[];
  distances: Ring;
  sum: number;
  sumSq: number;
  count: number;
  sinceTest: number;
  lastW: number;
  alertedDay: number;
  evidence: string[];
}

type TrackSnapshot = Omit<Track, 'growing' | 'distances'> & { growing: string[]; distances: number[] };

const TECHNIQUES = ['AML.T0024.002', 'AML.T0005.001', 'AML.T0040', 'T1119'] as const;

export const prada: Detector<PradaOptions> = {
  id: 'prada',
  title: 'Non-normal minimum query distances: synthetic extraction traffic (PRADA)',
  accepts: ['inference'],
  options: pradaOptions,
  techniques: [...TECHNIQUES],
  needs: ['fingerprints'],
  stateBounds: (o) => ({
    maxEntriesPerPrincipal: o.maxModelsPerPrincipal * (o.growingSetSize + o.maxDistances + MAX_EVIDENCE + 1),
    maxBytesPerPrincipal: o.maxModelsPerPrincipal * (o.growingSetSize * 300 + o.maxDistances * 8 + MAX_EVIDENCE * 48),
  }),
  create(o, ctx): DetectorInstance {
    const states = new Map<string, Track[]>();
    const fp = ctx.fingerprint;

    function track(p: string, model: string): Track {
      let list = states.get(p);
      if (!list) states.set(p, (list = []));
      const i = list.findIndex((t) => t.model === model);
      if (i >= 0) {
        const t = list[i]!;
        list.splice(i, 1);
        list.push(t);
        return t;
      }
      const t: Track = { model, growing: [], distances: new Ring(o.maxDistances), sum: 0, sumSq: 0, count: 0, sinceTest: 0, lastW: 1, alertedDay: -1, evidence: [] };
      list.push(t);
      if (list.length > o.maxModelsPerPrincipal) list.shift();
      return t;
    }

    return {
      onEvent(e, ms) {
        if (e.kind !== 'inference' || !fp) return [];
        const p = e.principal.canonical;
        let t: Track | undefined;
        for (const inst of e.instances) {
          if (inst.input.type !== 'smiles' || !inst.input.canonical) continue;
          const bytes = fp(inst.input.canonical);
          if (!bytes) continue;
          const x = toFp(bytes);
          t ??= track(p, e.model);
          if (t.growing.length === 0) {
            t.growing.push(x);
            continue;
          }
          let dmin = 1;
          for (const g of t.growing) {
            const d = distance(x, g);
            if (d < dmin) dmin = d;
            if (dmin === 0) break;
          }
          // An exact repeat (distance 0) says nothing about how the query space is explored, and
          // research traffic repeats molecules heavily; counting repeats swamps the distribution.
          if (dmin === 0 && o.ignoreRepeats) continue;
          t.distances.push(dmin);
          t.sum += dmin;
          t.sumSq += dmin * dmin;
          t.count++;
          t.sinceTest++;
          const mean = t.sum / t.count;
          const sd = Math.sqrt(Math.max(0, t.sumSq / t.count - mean * mean));
          if (dmin > mean - sd) {
            t.growing.push(x);
            if (t.growing.length > o.growingSetSize) t.growing.shift();
          }
        }
        if (!t) return [];
        if (t.evidence.length >= MAX_EVIDENCE) t.evidence.shift();
        t.evidence.push(e.id);
        if (t.distances.length < o.minDistances || t.sinceTest < o.testEvery) return [];
        t.sinceTest = 0;
        const w = shapiroWilkW(t.distances.values());
        if (Number.isNaN(w)) return [];
        const day = dayStart(ms);
        if (w >= o.wThreshold) {
          t.lastW = w;
          return [];
        }
        if (t.alertedDay === day) return [];
        t.alertedDay = day;
        const severity: Severity = w < o.wThreshold - 0.1 ? 'high' : 'medium';
        return [
          makeAlert({
            detector: 'prada',
            severity,
            principal: p,
            models: [e.model],
            atMs: ms,
            windowStartMs: day,
            windowEndMs: day + DAY_MS,
            key: e.model,
            techniques: [...TECHNIQUES],
            observed: w,
            baseline: t.lastW,
            threshold: o.wThreshold,
            evidence: t.evidence,
            explanation: `The minimum distances of ${p}'s last ${t.distances.length} queries to ${e.model} from their earlier queries are not normally distributed (Shapiro-Wilk W ${w.toFixed(3)} below ${o.wThreshold}), the signature PRADA finds in synthetic model-extraction traffic.`,
          }),
        ];
      },
      onWatermark() {
        return [];
      },
      snapshot(): { states: Array<[string, TrackSnapshot[]]> } {
        return {
          states: [...states].map(([p, list]) => [
            p,
            list.map((t) => ({ ...t, growing: t.growing.map(encodeFp), distances: [...t.distances.values()], evidence: [...t.evidence] })),
          ]),
        };
      },
      restore(state) {
        for (const [p, list] of (state as { states: Array<[string, TrackSnapshot[]]> }).states) {
          states.set(
            p,
            list.map((t) => ({ ...t, growing: t.growing.map(decodeFp), distances: Ring.of(o.maxDistances, t.distances), evidence: [...t.evidence] })),
          );
        }
      },
      stateSize() {
        let max = 0;
        for (const list of states.values()) {
          const n = list.reduce((a, t) => a + t.growing.length + t.distances.length + t.evidence.length + 1, 0);
          if (n > max) max = n;
        }
        return { principals: states.size, maxEntriesPerPrincipal: max };
      },
    };
  },
};
