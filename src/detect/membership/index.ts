/**
 * Membership-inference probing: a principal walking the internal compound
 * library (or another sensitive reference set) through a prediction API.
 *
 * A model answers its own training compounds with visibly higher confidence
 * and narrower intervals (Shokri et al., "Membership Inference Attacks Against
 * Machine Learning Models", IEEE S&P 2017), so querying many library
 * compounds with confidences returned tells which ones were trained on.
 * Chemists do query library compounds -- their focus series, again and again.
 * What sets probing apart is breadth: many library compounds the principal
 * has never queried before, making up most of the day's library queries.
 *
 * Per principal, a bitset over the reference sets' compounds records which
 * ones they have queried (bounded by the library size, not by traffic). Per
 * UTC day, newly queried library compounds are counted and compared with the
 * principal's own earlier days (median and scaled MAD) and a floor; the day's
 * novelty share (new / all library instances) must also be high. Severity
 * rises above the team's upper quantile and with confidences returned.
 */
import { z } from 'zod';
import type { Severity } from '../alert.js';
import { makeAlert, MAX_EVIDENCE, severityRank } from '../alert.js';
import type { Molecule } from '../molecules.js';
import { NO_ALERTS, moleculeTable } from '../molecules.js';
import { DAY_MS, Ring, dayStart, fmt, median, quantile, scaledMad } from '../stats.js';
import type { Detector, DetectionContext, DetectorInstance } from '../types.js';

export const membershipOptions = z
  .object({
    /** Active days of history kept per principal. */
    lookbackDays: z.number().int().min(3).max(365).default(28),
    /** Threshold = median + madMultiplier x scaled MAD of the principal's daily new library compounds (Iglewicz & Hoaglin 1993). */
    madMultiplier: z.number().positive().default(3.5),
    /** The spread is at least this many compounds. */
    minSpreadCompounds: z.number().nonnegative().default(10),
    /** Days with fewer newly queried library compounds never alert. */
    minDailyNewCompounds: z.number().int().positive().default(50),
    /** Active library days of own history before the daily floor applies; fewer means "new principal". */
    minBaselineDays: z.number().int().nonnegative().default(3),
    /** Floor for a new principal, whose first days are all new compounds: the focus area being learnt. */
    newPrincipalDailyNewCompounds: z.number().int().positive().default(200),
    /** Share of the day's library instances that must be compounds the principal never queried before. */
    minNoveltyShare: z.number().min(0).max(1).default(0.5),
    /** Team days kept per team for the team comparison. */
    teamHistoryDays: z.number().int().positive().default(512),
    /** Quantile of the team's daily new-compound counts above which the alert is at least medium. */
    teamQuantile: z.number().min(0.5).max(1).default(0.99),
    /** Observed/threshold ratio from which the alert is high, when above the team and mostly answered with confidences. */
    highRatio: z.number().positive().default(5),
    /** Share of new compounds answered with a confidence or interval needed for high severity. */
    minConfidenceShare: z.number().min(0).max(1).default(0.5),
    /** Reference compounds tracked (the first ones of the sets, in set order); caps the per-principal bitset. */
    maxReferenceCompounds: z.number().int().positive().default(200_000),
  })
  .strict();
export type MembershipOptions = z.infer<typeof membershipOptions>;

const TECHNIQUES = ['AML.T0024.000', 'T1119', 'T1213'] as const;

interface Day {
  startMs: number;
  libraryInstances: number;
  newCompounds: number;
  withConfidence: number;
  evidence: string[];
  models: Set<string>;
  /** Rank of the strongest alert raised today (-1: none). */
  raised: number;
}

interface PrincipalState {
  history: Ring;
  queried: Uint32Array;
  day: Day | undefined;
}

/** A principal's state in a snapshot: the bitset encoded by `encodeBits`, the day's models as an array. */
interface Snapshot {
  states: Array<[string, { history: number[]; queried: string; day: (Omit<Day, 'models'> & { models: string[] }) | null }]>;
  teams: Array<[string, number[]]>;
}

/**
 * A bitset as text: `d:` + the gaps between set bits in base 36 (a principal
 * usually touches a small part of the library), or `b:` + base64 of the words
 * when that is shorter (a walk through most of it).
 */
export function encodeBits(words: Uint32Array): string {
  const gaps: string[] = [];
  let prev = -1;
  for (let w = 0; w < words.length; w++) {
    let v = words[w]!;
    while (v !== 0) {
      const low = v & -v;
      const bit = (w << 5) + 31 - Math.clz32(low);
      gaps.push((bit - prev).toString(36));
      prev = bit;
      v ^= low;
    }
  }
  const sparse = 'd:' + gaps.join(',');
  const dense = 'b:' + Buffer.from(words.buffer, words.byteOffset, words.byteLength).toString('base64');
  return sparse.length <= dense.length ? sparse : dense;
}

export function decodeBits(s: string, length: number): Uint32Array {
  const words = new Uint32Array(length);
  if (s.startsWith('b:')) {
    const b = Buffer.from(s.slice(2), 'base64');
    for (let i = 0; i < Math.min(length, b.length >> 2); i++) words[i] = b.readUInt32LE(i * 4);
    return words;
  }
  let bit = -1;
  for (const gap of s.slice(2).split(',')) {
    if (gap === '') continue;
    bit += parseInt(gap, 36);
    if (bit >> 5 < length) words[bit >> 5]! |= 1 << (bit & 31);
  }
  return words;
}

export const membership: Detector<MembershipOptions> = {
  id: 'membership',
  title: 'Membership-inference probing: broad walks through the internal compound library',
  accepts: ['inference'],
  options: membershipOptions,
  techniques: [...TECHNIQUES],
  stateBounds: (o) => {
    const words = Math.ceil(o.maxReferenceCompounds / 32);
    // One "entry" per 32-bit word of the bitset, plus history days, the open day and its evidence.
    return { maxEntriesPerPrincipal: words + o.lookbackDays + 1 + MAX_EVIDENCE + 16, maxBytesPerPrincipal: words * 4 + o.lookbackDays * 8 + MAX_EVIDENCE * 48 + 16 * 64 };
  },
  create(o, ctx: DetectionContext): DetectorInstance {
    const index = new Map<string, number>();
    const setNames: string[] = [];
    for (const [name, set] of [...ctx.compounds].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      setNames.push(name);
      for (const c of set) if (!index.has(c) && index.size < o.maxReferenceCompounds) index.set(c, index.size);
    }
    const words = Math.ceil(index.size / 32);
    // Each molecule's position in `index` by the table's molecule id (-1: not a reference compound), found once per molecule.
    const table = moleculeTable(ctx);
    let positions = new Int32Array(1024).fill(-2);
    const position = (m: Molecule): number => {
      if (m.id >= positions.length) {
        const grown = new Int32Array(Math.max(positions.length * 2, m.id + 1)).fill(-2);
        grown.set(positions);
        positions = grown;
      }
      let i = positions[m.id]!;
      if (i === -2) positions[m.id] = i = index.get(m.key) ?? -1;
      return i;
    };
    const states = new Map<string, PrincipalState>();
    const teams = new Map<string, Ring>();

    function closeDay(p: string, s: PrincipalState): void {
      if (!s.day) return;
      s.history.push(s.day.newCompounds);
      const team = ctx.teamOf(p);
      if (team) {
        let r = teams.get(team);
        if (!r) teams.set(team, (r = new Ring(o.teamHistoryDays)));
        r.push(s.day.newCompounds);
      }
      s.day = undefined;
    }

    return {
      onEvent(e, ms) {
        if (e.kind !== 'inference' || index.size === 0) return [];
        const p = e.principal.canonical;
        let hits = 0;
        let s = states.get(p);
        const mols = table.of(e);
        for (const m of mols) if (m && position(m) >= 0) hits++;
        if (hits === 0) return NO_ALERTS;
        if (!s) states.set(p, (s = { history: new Ring(o.lookbackDays), queried: new Uint32Array(words), day: undefined }));
        const start = dayStart(ms);
        if (s.day && s.day.startMs !== start) closeDay(p, s);
        s.day ??= { startMs: start, libraryInstances: 0, newCompounds: 0, withConfidence: 0, evidence: [], models: new Set(), raised: -1 };
        const d = s.day;
        let fresh = 0;
        for (let k = 0; k < mols.length; k++) {
          const m = mols[k];
          const i = m ? position(m) : -1;
          if (i < 0) continue;
          const inst = e.instances[k]!;
          d.libraryInstances++;
          const bit = 1 << (i & 31);
          if (s.queried[i >> 5]! & bit) continue;
          s.queried[i >> 5]! |= bit;
          fresh++;
          d.newCompounds++;
          if (inst.output && (inst.output.confidence !== null || inst.output.intervalWidth !== null)) d.withConfidence++;
        }
        if (fresh > 0) {
          if (d.evidence.length < MAX_EVIDENCE) d.evidence.push(e.id);
          if (d.models.size < 16) d.models.add(e.model);
        }
        if (fresh === 0) return NO_ALERTS;
        const hist = s.history.values();
        const base = median(hist);
        const floor = hist.length >= o.minBaselineDays ? o.minDailyNewCompounds : o.newPrincipalDailyNewCompounds;
        const threshold = Math.max(floor, base + o.madMultiplier * Math.max(scaledMad(hist, base), o.minSpreadCompounds));
        const novelty = d.newCompounds / d.libraryInstances;
        if (d.newCompounds <= threshold || novelty < o.minNoveltyShare) return NO_ALERTS;
        const team = ctx.teamOf(p);
        const teamRing = team ? teams.get(team) : undefined;
        const teamUpper = teamRing && teamRing.length > 0 ? quantile(teamRing.values(), o.teamQuantile) : 0;
        const confShare = d.withConfidence / d.newCompounds;
        const aboveTeam = d.newCompounds > teamUpper;
        const severity: Severity =
          aboveTeam && d.newCompounds >= o.highRatio * threshold && confShare >= o.minConfidenceShare ? 'high' : aboveTeam ? 'medium' : 'low';
        if (severityRank(severity) <= d.raised) return NO_ALERTS;
        d.raised = severityRank(severity);
        return [
          makeAlert({
            detector: 'membership',
            severity,
            principal: p,
            models: [...d.models],
            atMs: ms,
            windowStartMs: d.startMs,
            windowEndMs: d.startMs + DAY_MS,
            key: severity,
            techniques: [...TECHNIQUES],
            observed: d.newCompounds,
            baseline: base,
            threshold,
            evidence: d.evidence,
            explanation: `${p} queried ${fmt(d.newCompounds)} ${setNames.join('/')} compounds they had never queried before today (${Math.round(novelty * 100)}% of their library queries, ${Math.round(confShare * 100)}% answered with confidences or intervals) against a daily median of ${fmt(base)} (threshold ${fmt(threshold)}, team ${fmt(Math.round(teamUpper))}).`,
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
              queried: encodeBits(s.queried),
              day: s.day ? { ...s.day, evidence: [...s.day.evidence], models: [...s.day.models] } : null,
            },
          ]),
          teams: [...teams].map(([t, r]) => [t, [...r.values()]]),
        };
      },
      restore(state) {
        const snap = state as Snapshot;
        for (const [p, s] of snap.states) {
          states.set(p, {
            history: Ring.of(o.lookbackDays, s.history),
            queried: decodeBits(s.queried, words),
            day: s.day ? { ...s.day, evidence: [...s.day.evidence], models: new Set(s.day.models) } : undefined,
          });
        }
        for (const [t, days] of snap.teams) teams.set(t, Ring.of(o.teamHistoryDays, days));
      },
      stateSize() {
        let max = 0;
        for (const s of states.values()) {
          const n = s.queried.length + s.history.length + (s.day ? 1 + s.day.evidence.length + s.day.models.size : 0);
          if (n > max) max = n;
        }
        return { principals: states.size, maxEntriesPerPrincipal: max };
      },
    };
  },
};
