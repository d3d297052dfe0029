/**
 * Departing-user correlation: after a resignation (HR), the principal's daily
 * "sensitive activity" (artifact pulls and downloads, download-URI requests,
 * registry reads of models, object reads from model and data buckets, uploads
 * leaving the organisation, and distinct models queried) is compared with
 * their own pre-resignation days. Departing employees who keep working
 * normally stay at their baseline; one collecting what they can before they
 * leave does not (CERT insider-threat guide, Silowash et al. 2012: most IP
 * theft happens within 30 days of departure). The engine also raises the
 * severity of every other alert on the principal during the watch window.
 *
 * Within the day, and without waiting for its end, a departing user reaching
 * for models outside their projects (registry pages, download URIs, artifact
 * reads or listings under another model's artifact location) beyond their own
 * pre-resignation habit alerts at once: collecting other teams' models is the
 * step before taking them, and a resigner who keeps working on their own
 * projects never does it. Storage-wide enumeration they never did before
 * resigning (listing every bucket, or a model bucket from its root) counts
 * with those models: it is how one finds what to take. Listing every bucket
 * for the first time alerts on its own.
 */
import { z } from 'zod';
import type { MwEvent } from '../../events/index.js';
import type { Alert, Severity } from '../alert.js';
import { makeAlert, MAX_EVIDENCE } from '../alert.js';
import { updateWatchWindow } from '../hr.js';
import { artifactResolver, storageEnumeration, storageNames, modelBuckets, modelScope, registryModel } from '../scope.js';
import type { WatchWindow } from '../hr.js';
import { DAY_MS, Ring, closeDueDays, dayStart, fmt, median, scaledMad } from '../stats.js';
import type { Detector, DetectionContext, DetectorInstance } from '../types.js';

export const departingUserOptions = z
  .object({
    /** Active days before the resignation kept as the principal's baseline. */
    lookbackDays: z.number().int().min(3).max(365).default(28),
    /** Threshold = median + madMultiplier x scaled MAD of the pre-resignation days (robust z 3.5, Iglewicz & Hoaglin 1993). */
    madMultiplier: z.number().positive().default(3.5),
    /** Spread is at least this many actions, so a principal with a flat history is not flagged for one extra action. */
    minSpreadActions: z.number().nonnegative().default(2),
    /** Days below this many sensitive actions never alert. */
    minDailyActions: z.number().int().nonnegative().default(8),
    /** Days after the last working day that the watch window stays open. */
    marginDays: z.number().int().nonnegative().default(14),
    /** Notice period assumed when HR gives no last working day, days. */
    noticeDays: z.number().int().positive().default(30),
    /**
     * Distinct models outside the principal's projects in one watch-window
     * day, beyond their pre-resignation median, that alert at once; each kind
     * of storage-wide enumeration never done before the resignation counts as
     * one, and a first ListBuckets alerts on its own.
     */
    foreignModels: z.number().int().positive().default(2),
    /** Pre-resignation active days before a storage-wide enumeration can count as new (a newcomer has no habit). */
    minHabitDays: z.number().int().min(1).default(5),
  })
  .strict();
export type DepartingUserOptions = z.infer<typeof departingUserOptions>;

interface Day {
  startMs: number;
  actions: number;
  models: Set<string>;
  /** Models outside the principal's projects touched today. */
  foreign: Set<string>;
  /** Storage-wide enumerations today (bits of `storageEnumeration`). */
  inventory: number;
  foreignAlerted: boolean;
  evidence: string[];
}

interface PrincipalState {
  history: Ring;
  /** Out-of-remit models touched on each pre-resignation active day. */
  foreignHistory: Ring;
  /** Storage-wide enumerations on any pre-resignation day, and on how many days there was any activity. */
  inventorySeen: number;
  habitDays: number;
  day: Day | undefined;
  watch: WatchWindow | undefined;
}

interface Snapshot {
  states: Array<
    [
      string,
      {
        history: number[];
        foreignHistory: number[];
        inventorySeen: number;
        habitDays: number;
        day: (Omit<Day, 'models' | 'foreign'> & { models: string[]; foreign: string[] }) | null;
        watch: WatchWindow | null;
      },
    ]
  >;
}

/** `storageEnumeration` bit of a ListBuckets (every bucket of the account). */
const LIST_BUCKETS = 1;
const TECHNIQUES = ['AML.T0035', 'AML.T0048.004', 'T1078', 'T1213'] as const;
const popcount = (x: number): number => (x & 1) + ((x >> 1) & 1) + ((x >> 2) & 1) + ((x >> 3) & 1);

function sensitive(e: MwEvent, ctx: DetectionContext): number {
  switch (e.kind) {
    case 'registry':
      return ['get_download_uri', 'download_artifact', 'get_model', 'get_version', 'list_artifacts'].includes(e.action) ? 1 : 0;
    case 'object':
      return e.operation === 'get' || e.operation === 'list' ? 1 : 0;
    case 'upload':
      return e.destinationHost && ctx.orgLabels.some((l) => e.destinationHost!.includes(l)) ? 0 : 1;
    default:
      return 0;
  }
}

export const departingUser: Detector<DepartingUserOptions> = {
  id: 'departing-user',
  // 2: the habit also holds storage-wide enumerations.
  version: 2,
  title: 'Departing user acting beyond their own pre-resignation habit',
  accepts: ['hr', 'registry', 'object', 'upload', 'inference'],
  options: departingUserOptions,
  techniques: [...TECHNIQUES],
  departureAware: true,
  stateBounds: (o) => ({
    maxEntriesPerPrincipal: 2 * o.lookbackDays + 2 + MAX_EVIDENCE + 2 * 64,
    maxBytesPerPrincipal: 2 * o.lookbackDays * 8 + MAX_EVIDENCE * 48 + 2 * 64 * 64 + 128,
  }),
  create(o, ctx): DetectorInstance {
    const states = new Map<string, PrincipalState>();
    let nextClose = Infinity;
    const resolve = artifactResolver(ctx);
    const buckets = modelBuckets(ctx);
    /** Storage-wide enumerations today that the principal never did before resigning. */
    const newInventory = (s: PrincipalState, day: Day): number => (s.habitDays >= o.minHabitDays ? day.inventory & ~s.inventorySeen : 0);
    const watching = (s: PrincipalState, startMs: number): boolean => !!s.watch && startMs + DAY_MS > s.watch.startMs && startMs < s.watch.endMs;

    /** The model a registry or object event reaches for, when it is one of the inventory's. */
    function reachedModel(e: MwEvent): string | null {
      if (e.kind === 'registry') return ['get_download_uri', 'download_artifact', 'get_model', 'get_version', 'list_artifacts'].includes(e.action) ? registryModel(e) : null;
      if (e.kind === 'object' && (e.operation === 'get' || e.operation === 'list')) return resolve(e.bucket, e.key);
      return null;
    }

    function foreignAlert(p: string, s: PrincipalState, day: Day, ms: number): Alert {
      const hist = s.foreignHistory.values();
      const base = median(hist);
      const names = [...day.foreign];
      const inv = storageNames(newInventory(s, day));
      const reach = names.length ? `reached for ${names.length} models outside their projects today (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''})` : '';
      const mapped = inv.length ? `did ${inv.join(' and ')}, never done in ${s.habitDays} active days before resigning` : '';
      return makeAlert({
        detector: 'departing-user',
        severity: 'high',
        principal: p,
        models: names,
        atMs: ms,
        windowStartMs: day.startMs,
        windowEndMs: day.startMs + DAY_MS,
        techniques: [...TECHNIQUES],
        observed: day.foreign.size + inv.length,
        baseline: base,
        // A first ListBuckets alerts on its own (one is enough); models and root listings need the margin.
        threshold: newInventory(s, day) & LIST_BUCKETS ? 1 : base + o.foreignModels,
        evidence: day.evidence,
        key: 'foreign',
        explanation: `${p}, who has resigned, ${[reach, mapped].filter(Boolean).join(' and ')}, against a pre-resignation median of ${fmt(base)} models outside their projects a day.`,
      });
    }

    function close(p: string, s: PrincipalState, day: Day): Alert[] {
      s.day = undefined;
      const observed = day.actions + day.models.size;
      if (!watching(s, day.startMs)) {
        s.inventorySeen |= day.inventory;
        s.habitDays++;
        // A day of storage listings only (no sensitive action) is habit, not part of the action baseline.
        if (day.actions === 0 && day.models.size === 0) return [];
        s.history.push(observed);
        s.foreignHistory.push(day.foreign.size);
        return [];
      }
      const hist = s.history.values();
      const base = median(hist);
      const threshold = Math.max(o.minDailyActions, base + o.madMultiplier * Math.max(scaledMad(hist, base), o.minSpreadActions));
      if (observed <= threshold) return [];
      const severity: Severity = observed >= 2 * threshold ? 'high' : 'medium';
      return [
        makeAlert({
          detector: 'departing-user',
          severity,
          principal: p,
          models: [...day.models],
          atMs: day.startMs + DAY_MS,
          windowStartMs: day.startMs,
          windowEndMs: day.startMs + DAY_MS,
          techniques: [...TECHNIQUES],
          observed,
          baseline: base,
          threshold,
          evidence: day.evidence,
          explanation: `${p}, who has resigned, performed ${fmt(observed)} sensitive registry, storage, upload and model actions in one day against a pre-resignation median of ${fmt(base)} (threshold ${fmt(threshold)}).`,
        }),
      ];
    }

    return {
      onEvent(e, ms) {
        const p = e.principal.canonical;
        let s = states.get(p);
        if (!s) states.set(p, (s = { history: new Ring(o.lookbackDays), foreignHistory: new Ring(o.lookbackDays), inventorySeen: 0, habitDays: 0, day: undefined, watch: undefined }));
        if (e.kind === 'hr') {
          s.watch = updateWatchWindow(s.watch, e, ms, o.marginDays, o.noticeDays);
          return [];
        }
        const out: Alert[] = [];
        const start = dayStart(ms);
        if (s.day && s.day.startMs !== start) out.push(...close(p, s, s.day));
        const n = sensitive(e, ctx);
        const model = e.kind === 'inference' ? e.model : null;
        const inventory = storageEnumeration(e, buckets);
        if (n === 0 && !model && !inventory) return out;
        if (!s.day) {
          s.day = { startMs: start, actions: 0, models: new Set(), foreign: new Set(), inventory: 0, foreignAlerted: false, evidence: [] };
          nextClose = Math.min(nextClose, start + DAY_MS);
        }
        s.day.actions += n;
        const before = newInventory(s, s.day);
        s.day.inventory |= inventory;
        const discovered = newInventory(s, s.day) !== before;
        if (discovered && n === 0 && s.day.evidence.length < MAX_EVIDENCE) s.day.evidence.push(e.id);
        if (model && s.day.models.size < 64 && !s.day.models.has(model)) {
          s.day.models.add(model);
          if (s.day.evidence.length < MAX_EVIDENCE) s.day.evidence.push(e.id);
        } else if (n > 0 && s.day.evidence.length < MAX_EVIDENCE) s.day.evidence.push(e.id);
        const reached = n > 0 ? reachedModel(e) : null;
        if (reached && s.day.foreign.size < 64 && !s.day.foreign.has(reached)) {
          const k = modelScope(ctx, p, reached).kind;
          if (k === 'out' || k === 'team') s.day.foreign.add(reached);
        }
        const reaching = s.day.foreign.size + popcount(newInventory(s, s.day));
        // Listing every bucket (ListBuckets) for the first time since joining alerts on its
        // own: finding stores one does not know is how one finds what to take, and a resigner
        // finishing their own work already knows where it lives. A first listing of a model
        // bucket's root only counts as one reach: benign scientists do it on a few days a month.
        const mapped = discovered && (newInventory(s, s.day) & LIST_BUCKETS) !== 0;
        if ((reached || discovered) && !s.day.foreignAlerted && watching(s, s.day.startMs) && (mapped || reaching >= median(s.foreignHistory.values()) + o.foreignModels)) {
          s.day.foreignAlerted = true;
          out.push(foreignAlert(p, s, s.day, ms));
        }
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
              history: [...s.history.values()],
              foreignHistory: [...s.foreignHistory.values()],
              inventorySeen: s.inventorySeen,
              habitDays: s.habitDays,
              day: s.day
                ? {
                    startMs: s.day.startMs,
                    actions: s.day.actions,
                    models: [...s.day.models],
                    foreign: [...s.day.foreign],
                    inventory: s.day.inventory,
                    foreignAlerted: s.day.foreignAlerted,
                    evidence: [...s.day.evidence],
                  }
                : null,
              watch: s.watch ? { ...s.watch } : null,
            },
          ]),
        };
      },
      restore(state) {
        for (const [p, s] of (state as Snapshot).states) {
          const day = s.day ? { ...s.day, evidence: [...s.day.evidence], models: new Set(s.day.models), foreign: new Set(s.day.foreign) } : undefined;
          states.set(p, {
            history: Ring.of(o.lookbackDays, s.history),
            foreignHistory: Ring.of(o.lookbackDays, s.foreignHistory),
            inventorySeen: s.inventorySeen,
            habitDays: s.habitDays,
            day,
            watch: s.watch ? { ...s.watch } : undefined,
          });
          if (day) nextClose = Math.min(nextClose, day.startMs + DAY_MS);
        }
      },
      stateSize() {
        let max = 0;
        for (const s of states.values()) {
          const n = s.history.length + s.foreignHistory.length + (s.watch ? 1 : 0) + (s.day ? 1 + s.day.models.size + s.day.foreign.size + s.day.evidence.length : 0);
          if (n > max) max = n;
        }
        return { principals: states.size, maxEntriesPerPrincipal: max };
      },
    };
  },
};
