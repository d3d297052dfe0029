/**
 * Query volume against the principal's own robust baseline.
 *
 * Per principal and UTC day, the number of inference instances (molecules,
 * rows) requested. When the day closes (on event time) it is compared with
 * the median and scaled MAD of the principal's previous active days of the
 * same kind (weekday or weekend) over the look-back. A principal with too
 * little history is compared with their team's recent active days instead,
 * and with a fixed floor when they have no team. Median/MAD rather than
 * mean/standard deviation because daily research volumes are heavy-tailed:
 * one batch job would inflate a standard deviation for weeks.
 */
import { z } from 'zod';
import type { MwEvent } from '../../events/index.js';
import type { Alert, Severity } from '../alert.js';
import { makeAlert, MAX_EVIDENCE } from '../alert.js';
import type { Detector, DetectionContext, DetectorInstance } from '../types.js';
import { DAY_MS, Ring, closeDueDays, dayStart, fmt, isWeekend, median, quantile, scaledMad } from '../stats.js';

export const queryVolumeOptions = z
  .object({
    /** Active days of history kept per principal and day kind (weekday, weekend). */
    lookbackDays: z.number().int().min(3).max(365).default(28),
    /** Active days of own history needed before the own baseline is used; fewer means "new principal". */
    minBaselineDays: z.number().int().min(1).default(5),
    /** Threshold = median + madMultiplier x scaled MAD (3.5 is the usual robust-z cut, Iglewicz & Hoaglin 1993). */
    madMultiplier: z.number().positive().default(3.5),
    /** The spread is at least this fraction of the median, so a very regular user is not flagged for small changes. */
    minSpreadFraction: z.number().min(0).default(0.25),
    /** Days below this many instances never alert (noise floor). */
    minDailyInstances: z.number().int().nonnegative().default(1000),
    /** Threshold for a new principal without a team baseline, instances per day. */
    newPrincipalDailyInstances: z.number().int().positive().default(5000),
    /** Team days kept per team for the new-principal comparison. */
    teamHistoryDays: z.number().int().positive().default(256),
    /**
     * Observed/threshold ratio from which the alert is medium rather than low,
     * when the day is also above the team's upper quantile: research volume is
     * heavy-tailed (batch jobs), so a jump against one's own habit alone is weak.
     */
    mediumRatio: z.number().positive().default(2),
    /** Quantile of the team's recent active days that a medium alert must exceed. */
    teamQuantile: z.number().min(0.5).max(1).default(0.95),
  })
  .strict();
export type QueryVolumeOptions = z.infer<typeof queryVolumeOptions>;

interface Day {
  startMs: number;
  instances: number;
  evidence: string[];
  models: Set<string>;
}

interface PrincipalState {
  weekday: Ring;
  weekend: Ring;
  day: Day | undefined;
}

interface Snapshot {
  states: Array<[string, { weekday: number[]; weekend: number[]; day: (Omit<Day, 'models'> & { models: string[] }) | null }]>;
  teams: Array<[string, number[]]>;
}

function instancesOf(e: MwEvent): number {
  if (e.kind !== 'inference') return 0;
  return Math.max(e.batchSize, e.instances.length);
}

export const queryVolume: Detector<QueryVolumeOptions> = {
  id: 'query-volume',
  title: 'Inference volume above the principal\'s robust baseline',
  accepts: ['inference'],
  options: queryVolumeOptions,
  techniques: ['AML.T0024.002', 'AML.T0040', 'T1119'],
  stateBounds: (o) => ({
    // Two history rings, plus one open day with its evidence and models.
    maxEntriesPerPrincipal: 2 * o.lookbackDays + 1 + MAX_EVIDENCE + 64,
    maxBytesPerPrincipal: (2 * o.lookbackDays + 1) * 16 + MAX_EVIDENCE * 48 + 64 * 64,
  }),
  create(o, ctx: DetectionContext): DetectorInstance {
    const states = new Map<string, PrincipalState>();
    const teams = new Map<string, Ring>();
    let nextClose = Infinity;

    function close(principal: string, s: PrincipalState, day: Day): Alert[] {
      s.day = undefined;
      const weekend = isWeekend(day.startMs);
      const own = weekend ? s.weekend : s.weekday;
      const team = ctx.teamOf(principal);
      const teamRing = team ? teams.get(team) : undefined;
      let base: number;
      let spread: number;
      let source: string;
      if (own.length >= o.minBaselineDays) {
        base = median(own.values());
        spread = scaledMad(own.values(), base);
        source = `their own ${weekend ? 'weekend' : 'weekday'} median`;
      } else if (teamRing && teamRing.length >= o.minBaselineDays) {
        base = median(teamRing.values());
        spread = scaledMad(teamRing.values(), base);
        source = `the ${team} team's median (new principal)`;
      } else {
        base = 0;
        spread = o.newPrincipalDailyInstances / o.madMultiplier;
        source = 'the new-principal floor';
      }
      const threshold = Math.max(o.minDailyInstances, base + o.madMultiplier * Math.max(spread, o.minSpreadFraction * base));
      const teamUpper = teamRing && teamRing.length >= o.minBaselineDays ? quantile(teamRing.values(), o.teamQuantile) : 0;
      own.push(day.instances);
      if (team) {
        let r = teams.get(team);
        if (!r) teams.set(team, (r = new Ring(o.teamHistoryDays)));
        r.push(day.instances);
      }
      if (day.instances <= threshold) return [];
      const severity: Severity = day.instances >= o.mediumRatio * threshold && day.instances > teamUpper ? 'medium' : 'low';
      return [
        makeAlert({
          detector: 'query-volume',
          severity,
          principal,
          models: [...day.models],
          atMs: day.startMs + DAY_MS,
          windowStartMs: day.startMs,
          windowEndMs: day.startMs + DAY_MS,
          techniques: ['AML.T0024.002', 'AML.T0040', 'T1119'],
          observed: day.instances,
          baseline: base,
          threshold,
          evidence: day.evidence,
          explanation: `${principal} requested ${fmt(day.instances)} inference instances in one day against ${source} of ${fmt(base)} (threshold ${fmt(Math.round(threshold))}).`,
        }),
      ];
    }

    return {
      onEvent(e, ms) {
        const p = e.principal.canonical;
        let s = states.get(p);
        if (!s) states.set(p, (s = { weekday: new Ring(o.lookbackDays), weekend: new Ring(o.lookbackDays), day: undefined }));
        const out: Alert[] = [];
        const start = dayStart(ms);
        if (s.day && s.day.startMs !== start) out.push(...close(p, s, s.day));
        if (!s.day) {
          s.day = { startMs: start, instances: 0, evidence: [], models: new Set() };
          nextClose = Math.min(nextClose, start + DAY_MS);
        }
        s.day.instances += instancesOf(e);
        if (s.day.evidence.length < MAX_EVIDENCE) s.day.evidence.push(e.id);
        if (e.kind === 'inference' && s.day.models.size < 64) s.day.models.add(e.model);
        return out;
      },
      onWatermark(ms) {
        if (ms < nextClose) return [];
        const r = closeDueDays(states, ms, close);
        nextClose = r.nextClose;
        return r.alerts;
      },
      snapshot(): Snapshot {
        return {
          states: [...states].map(([p, s]) => [
            p,
            {
              weekday: [...s.weekday.values()],
              weekend: [...s.weekend.values()],
              day: s.day ? { startMs: s.day.startMs, instances: s.day.instances, evidence: [...s.day.evidence], models: [...s.day.models] } : null,
            },
          ]),
          teams: [...teams].map(([t, r]) => [t, [...r.values()]]),
        };
      },
      restore(state) {
        const snap = state as Snapshot;
        for (const [p, s] of snap.states) {
          const day = s.day ? { ...s.day, evidence: [...s.day.evidence], models: new Set(s.day.models) } : undefined;
          states.set(p, { weekday: Ring.of(o.lookbackDays, s.weekday), weekend: Ring.of(o.lookbackDays, s.weekend), day });
          if (day) nextClose = Math.min(nextClose, day.startMs + DAY_MS);
        }
        for (const [t, xs] of snap.teams) teams.set(t, Ring.of(o.teamHistoryDays, xs));
      },
      stateSize() {
        let max = 0;
        for (const s of states.values()) {
          const n = s.weekday.length + s.weekend.length + (s.day ? 1 + s.day.evidence.length + s.day.models.size : 0);
          if (n > max) max = n;
        }
        return { principals: states.size, maxEntriesPerPrincipal: max };
      },
    };
  },
};
