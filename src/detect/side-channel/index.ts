/**
 * Side-channel probing of a prediction API: queries built to read the model's
 * decision surface rather than to answer a research question.
 *
 * Per principal and UTC day, three kinds of probe are counted:
 * - perturbation series: one request holding a base molecule and several
 *   single-edit neighbours of it (Tanimoto of Morgan fingerprints at least
 *   `neighbourTanimoto`, heavy atoms within `maxEditHeavyAtoms`) that are
 *   neither library compounds nor molecules the principal queried before --
 *   the "many single-edit neighbours of one base" pattern of sensitivity
 *   analysis (Tramèr et al., "Stealing Machine Learning Models via Prediction
 *   APIs", USENIX Security 2016, use the same idea on feature vectors);
 * - isolated-fragment probes: requests made mostly of tiny molecules
 *   (single functional groups, at most `fragmentMaxHeavyAtoms` heavy atoms);
 * - confidence-guided re-queries: a molecule that earlier came back with low
 *   confidence (or a wide interval) queried again together with its close
 *   neighbours, i.e. new queries concentrated where the model was unsure.
 *
 * Research traffic rarely does any of this: chemists query library series and
 * their own reference compounds, so the principal's own days are the
 * baseline (median and scaled MAD) and a floor keeps one odd request quiet.
 * Perturbation series need fingerprints (`ctx.fingerprint`); without them the
 * detector counts fragments and re-queries only.
 */
import { z } from 'zod';
import type { Molecule } from '../molecules.js';
import { NO_ALERTS, moleculeTable, similarity } from '../molecules.js';
import type { Severity } from '../alert.js';
import { makeAlert, MAX_EVIDENCE, severityRank } from '../alert.js';
import { DAY_MS, Ring, dayStart, fmt, median, scaledMad } from '../stats.js';
import type { Detector, DetectionContext, DetectorInstance } from '../types.js';

export const sideChannelOptions = z
  .object({
    /** Active days of history kept per principal for the own baseline. */
    lookbackDays: z.number().int().min(3).max(365).default(28),
    /** Threshold = median + madMultiplier x scaled MAD of the principal's daily probe counts (Iglewicz & Hoaglin 1993). */
    madMultiplier: z.number().positive().default(3.5),
    /** The spread is at least this many probe molecules, so a principal whose days are all zero is not flagged for one. */
    minSpreadMolecules: z.number().nonnegative().default(2),
    /** Days with fewer probe molecules never alert. */
    minDailyProbeMolecules: z.number().int().positive().default(12),
    /** Observed/threshold ratio from which one kind of probing alone is medium (two kinds in a day always are). */
    mediumRatio: z.number().positive().default(3),
    /** Tanimoto similarity (Morgan r=2) from which a molecule counts as a neighbour of a request's base molecule. */
    neighbourTanimoto: z.number().min(0).max(1).default(0.4),
    /** Most heavy atoms a single edit adds or removes. */
    maxEditHeavyAtoms: z.number().int().nonnegative().default(2),
    /** Novel neighbours of one base in one request that make a perturbation series. */
    minSeriesMembers: z.number().int().min(2).default(3),
    /** Share of a request's other molecules that must be neighbours of the base (a series, not a batch that happens to hold one). */
    minSeriesShare: z.number().min(0).max(1).default(0.6),
    /** Requests larger than this are not examined for series (batch jobs, screening). */
    maxSeriesRequestSize: z.number().int().positive().default(40),
    /** Heavy atoms up to which a molecule counts as an isolated fragment (acetic acid 4, benzene 6). */
    fragmentMaxHeavyAtoms: z.number().int().positive().default(6),
    /** Fragments in one request that make it a fragment probe. */
    minFragmentsPerRequest: z.number().int().positive().default(4),
    /** Share of a request that must be fragments. */
    minFragmentShare: z.number().min(0).max(1).default(0.5),
    /** Confidence below which an answer counts as low (the simulator's models answer 0.2-0.95). */
    lowConfidence: z.number().min(0).max(1).default(0.4),
    /** Interval width from which an answer counts as uncertain, in the model's units (pKd for affinity). */
    wideIntervalWidth: z.number().positive().default(3.5),
    /** Neighbours in the same request that make a re-query of a low-confidence molecule "guided". */
    minGuidedNeighbours: z.number().int().min(1).default(5),
    /** Low-confidence molecules remembered per principal (oldest forgotten). */
    maxLowConfidenceMolecules: z.number().int().positive().default(512),
    /** Molecules remembered per principal to tell novel from known (oldest forgotten). */
    maxSeenMolecules: z.number().int().positive().default(4096),
  })
  .strict();
export type SideChannelOptions = z.infer<typeof sideChannelOptions>;

const TECHNIQUES = ['AML.T0024.002', 'T1119'] as const;

interface Day {
  startMs: number;
  series: number;
  seriesMembers: number;
  fragments: number;
  fragmentRequests: number;
  guided: number;
  guidedRequests: number;
  explained: number;
  evidence: string[];
  models: Set<string>;
  /** Rank of the strongest alert raised today (-1: none). */
  raised: number;
}

interface PrincipalState {
  history: Ring;
  /** Molecules with low-confidence answers and the day of the answer, insertion-ordered for FIFO eviction. */
  low: Map<Molecule, number>;
  /** Molecules by identity (the context's table interns them): no string hashing per molecule and request. */
  seen: RecentSet<Molecule>;
  day: Day | undefined;
}

/** Maps and sets as arrays in insertion order, which is their eviction order. */
interface Snapshot {
  states: Array<[string, { history: number[]; low: Array<[string, number]>; seen: string[]; day: (Omit<Day, 'models'> & { models: string[] }) | null }]>;
}

/** Heavy atoms of a SMILES string (computed once per molecule: `Molecule.heavy`). */
export { heavyAtoms } from '../molecules.js';

/**
 * A set kept in order of last use with a cap, the least recently used leaving
 * first: a use is one map write and an append to a queue of uses (stale
 * entries skipped on eviction, compacted now and then), where moving a key to
 * the back of a Set is a delete and an insert, on every molecule of every request.
 */
export class RecentSet<T> {
  private readonly last = new Map<T, number>();
  private queue: T[] = [];
  private stamps: number[] = [];
  private head = 0;
  private stamp = 0;
  constructor(readonly cap: number) {}

  has(x: T): boolean {
    return this.last.has(x);
  }

  get size(): number {
    return this.last.size;
  }

  use(x: T): void {
    const s = ++this.stamp;
    this.last.set(x, s);
    this.queue.push(x);
    this.stamps.push(s);
    while (this.last.size > this.cap) {
      const y = this.queue[this.head]!;
      if (this.last.get(y) === this.stamps[this.head]) this.last.delete(y);
      this.head++;
    }
    if (this.queue.length - this.head > 2 * this.cap + 64) this.compact();
  }

  /** Least recently used first. */
  values(): T[] {
    this.compact();
    return [...this.queue];
  }

  private compact(): void {
    const queue: T[] = [];
    const stamps: number[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const x = this.queue[i]!;
      if (this.last.get(x) !== this.stamps[i]) continue;
      queue.push(x);
      stamps.push(this.stamps[i]!);
    }
    this.queue = queue;
    this.stamps = stamps;
    this.head = 0;
  }
}

function rememberDay(map: Map<Molecule, number>, key: Molecule, day: number, cap: number): void {
  const first = map.get(key) ?? day;
  map.delete(key);
  map.set(key, first);
  if (map.size > cap) map.delete(map.keys().next().value!);
}

export const sideChannel: Detector<SideChannelOptions> = {
  id: 'side-channel',
  title: 'Side-channel probing: perturbation series, fragment probes, confidence-guided re-queries',
  accepts: ['inference'],
  needs: ['fingerprints'],
  options: sideChannelOptions,
  techniques: [...TECHNIQUES],
  stateBounds: (o) => ({
    maxEntriesPerPrincipal: o.lookbackDays + o.maxLowConfidenceMolecules + o.maxSeenMolecules + 1 + MAX_EVIDENCE + 16,
    maxBytesPerPrincipal: o.lookbackDays * 8 + (o.maxLowConfidenceMolecules + o.maxSeenMolecules) * 160 + MAX_EVIDENCE * 48 + 16 * 64,
  }),
  create(o, ctx: DetectionContext): DetectorInstance {
    const states = new Map<string, PrincipalState>();
    const table = moleculeTable(ctx);
    const fp = table.fingerprints ? (m: Molecule) => table.fp(m) : null;
    const scratch: Molecule[] = [];
    const recent = (mols: Molecule[]): RecentSet<Molecule> => {
      const r = new RecentSet<Molecule>(o.maxSeenMolecules);
      for (const m of mols) r.use(m);
      return r;
    };

    function uncertain(out: { confidence: number | null; intervalWidth: number | null } | null): boolean {
      if (!out) return false;
      return (out.confidence !== null && out.confidence < o.lowConfidence) || (out.intervalWidth !== null && out.intervalWidth >= o.wideIntervalWidth);
    }

    /** Novel single-edit neighbours of the request's best base molecule, or 0 when the request is no series. */
    function seriesMembers(mols: readonly Molecule[], s: PrincipalState): number {
      if (!fp || mols.length < o.minSeriesMembers + 1 || mols.length > o.maxSeriesRequestSize) return 0;
      let best = 0;
      let bestNovel = 0;
      for (let a = 0; a < mols.length; a++) {
        const ma = mols[a]!;
        const fa = fp(ma);
        if (!fa) continue;
        let n = 0;
        let novel = 0;
        for (let b = 0; b < mols.length; b++) {
          const mb = mols[b]!;
          if (a === b || Math.abs(ma.heavy - mb.heavy) > o.maxEditHeavyAtoms) continue;
          const fb = fp(mb);
          if (!fb || similarity(fa, fb) < o.neighbourTanimoto) continue;
          n++;
          if (!mb.library && !s.seen.has(mb)) novel++;
        }
        if (n > best || (n === best && novel > bestNovel)) {
          best = n;
          bestNovel = novel;
        }
      }
      return best >= o.minSeriesShare * (mols.length - 1) && bestNovel >= o.minSeriesMembers ? bestNovel : 0;
    }

    /**
     * Novel neighbours of a re-queried low-confidence molecule in the same
     * request (0 when none qualifies): exploring around a point where the
     * model was unsure, not re-running a known focus set.
     */
    function guidedMembers(mols: readonly Molecule[], s: PrincipalState, today: number): number {
      // Cheap bound first: neighbours must be novel, so too few novel molecules settle it without fingerprints.
      let novel = 0;
      for (const m of mols) if (!s.seen.has(m)) novel++;
      if (novel < Math.max(o.minGuidedNeighbours, o.minSeriesShare * (mols.length - 1))) return 0;
      let best = 0;
      for (let a = 0; a < mols.length; a++) {
        // Re-querying around an answer from an earlier day: a new principal's first day is all new anyway.
        const answered = s.low.get(mols[a]!);
        if (answered === undefined || answered >= today) continue;
        const fa = fp ? fp(mols[a]!) : null;
        let n = 0;
        for (let b = 0; b < mols.length; b++) {
          if (a === b || s.seen.has(mols[b]!)) continue;
          const fb = fa ? fp!(mols[b]!) : null;
          if (!fa || (fb && similarity(fa, fb) >= o.neighbourTanimoto)) n++;
        }
        best = Math.max(best, n);
      }
      return best >= o.minGuidedNeighbours && best >= o.minSeriesShare * (mols.length - 1) ? best + 1 : 0;
    }

    function closeDay(s: PrincipalState): void {
      if (!s.day) return;
      s.history.push(s.day.seriesMembers + s.day.fragments + s.day.guided);
      s.day = undefined;
    }

    return {
      onEvent(e, ms) {
        if (e.kind !== 'inference') return [];
        const p = e.principal.canonical;
        let s = states.get(p);
        if (!s) states.set(p, (s = { history: new Ring(o.lookbackDays), low: new Map(), seen: new RecentSet(o.maxSeenMolecules), day: undefined }));
        const start = dayStart(ms);
        if (s.day && s.day.startMs !== start) closeDay(s);
        s.day ??= { startMs: start, series: 0, seriesMembers: 0, fragments: 0, fragmentRequests: 0, guided: 0, guidedRequests: 0, explained: 0, evidence: [], models: new Set(), raised: -1 };
        const d = s.day;
        const all = table.of(e);
        // One scratch list for every request (nothing keeps it past the call).
        const mols = scratch;
        mols.length = 0;
        let frags = 0;
        for (const m of all) {
          if (!m) continue;
          mols.push(m);
          if (m.heavy <= o.fragmentMaxHeavyAtoms) frags++;
        }
        const series = seriesMembers(mols, s);
        const fragmentProbe = frags >= o.minFragmentsPerRequest && frags >= o.minFragmentShare * mols.length ? frags : 0;
        const guided = guidedMembers(mols, s, start);
        const instances = e.instances;
        for (let i = 0; i < instances.length; i++) {
          const out = instances[i]!.output;
          if (out && out.explanations.length > 0) d.explained++;
          const m = all[i];
          if (m && uncertain(out)) rememberDay(s.low, m, start, o.maxLowConfidenceMolecules);
        }
        for (const m of mols) s.seen.use(m);
        if (series + fragmentProbe + guided === 0) return NO_ALERTS;
        if (series) {
          d.series++;
          d.seriesMembers += series;
        }
        if (fragmentProbe) {
          d.fragments += fragmentProbe;
          d.fragmentRequests++;
        }
        if (guided) {
          d.guided += guided;
          d.guidedRequests++;
        }
        if (d.evidence.length < MAX_EVIDENCE) d.evidence.push(e.id);
        if (d.models.size < 16) d.models.add(e.model);
        const observed = d.seriesMembers + d.fragments + d.guided;
        const hist = s.history.values();
        const base = median(hist);
        const threshold = Math.max(o.minDailyProbeMolecules, base + o.madMultiplier * Math.max(scaledMad(hist, base), o.minSpreadMolecules));
        if (observed <= threshold) return NO_ALERTS;
        const kinds = [d.seriesMembers > 0, d.fragments > 0, d.guided > 0].filter(Boolean).length;
        const severity: Severity = kinds >= 2 || observed >= o.mediumRatio * threshold ? 'medium' : 'low';
        if (severityRank(severity) <= d.raised) return NO_ALERTS;
        d.raised = severityRank(severity);
        const parts = [
          d.series ? `${d.series} perturbation series (${d.seriesMembers} novel single-edit neighbours)` : '',
          d.fragmentRequests ? `${d.fragmentRequests} fragment probes (${d.fragments} tiny molecules)` : '',
          d.guidedRequests ? `${d.guidedRequests} re-queries around low-confidence answers (${d.guided} molecules)` : '',
        ].filter(Boolean);
        return [
          makeAlert({
            detector: 'side-channel',
            severity,
            principal: p,
            models: [...d.models],
            atMs: ms,
            windowStartMs: d.startMs,
            windowEndMs: d.startMs + DAY_MS,
            key: severity,
            techniques: [...TECHNIQUES],
            observed,
            baseline: base,
            threshold,
            evidence: d.evidence,
            explanation: `${p} sent ${parts.join(', ')} today, ${fmt(observed)} probe molecules against a daily median of ${fmt(base)} (threshold ${fmt(threshold)}), with explanation fields returned for ${fmt(d.explained)} instances.`,
          }),
        ];
      },
      onWatermark() {
        return [];
      },
      snapshot(): Snapshot {
        return {
          states: [...states].map(([p, s]) => [
            p,
            {
              history: [...s.history.values()],
              low: [...s.low].map(([m, day]): [string, number] => [m.key, day]),
              seen: s.seen.values().map((m) => m.key),
              day: s.day ? { ...s.day, evidence: [...s.day.evidence], models: [...s.day.models] } : null,
            },
          ]),
        };
      },
      restore(state) {
        for (const [p, s] of (state as Snapshot).states) {
          states.set(p, {
            history: Ring.of(o.lookbackDays, s.history),
            low: new Map(s.low.map(([key, day]) => [table.get(key), day])),
            seen: recent(s.seen.map((key) => table.get(key))),
            day: s.day ? { ...s.day, evidence: [...s.day.evidence], models: new Set(s.day.models) } : undefined,
          });
        }
      },
      stateSize() {
        let max = 0;
        for (const s of states.values()) {
          const n = s.history.length + s.low.size + s.seen.size + (s.day ? 1 + s.day.evidence.length + s.day.models.size : 0);
          if (n > max) max = n;
        }
        return { principals: states.size, maxEntriesPerPrincipal: max };
      },
    };
  },
};
