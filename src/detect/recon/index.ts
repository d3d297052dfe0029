/**
 * Reconnaissance beyond habit: enumeration of the model registry (list,
 * search, get model or version), serving endpoints and model bucket
 * prefixes. Per principal and UTC day, the count of enumeration operations
 * and distinct models and prefixes touched, compared with the principal's own
 * previous active days; the alert needs breadth too (two or more surfaces, or
 * a surface the principal has not enumerated in the look-back), because a
 * data scientist browsing the registry more than usual is not reconnaissance.
 * Fires within the day, as soon as the count crosses, not at day end, and
 * again when the same day escalates: enumerating many models outside the
 * principal's projects (another team's, or their team's other projects) on
 * top of that is discovery beyond need-to-know, the step before artifact
 * theft (ATLAS AML.T0007), and raises the alert to high, then critical.
 * A broad day that includes storage-wide enumeration the principal has never
 * done in an established habit (listing every bucket, or a model bucket from
 * its root) alerts whatever its count: a first look at every model store
 * takes a handful of requests. Such a first mapping of the stores with
 * other teams' models opened the same day is critical at fewer models.
 */
import { z } from 'zod';
import type { MwEvent } from '../../events/index.js';
import type { Severity } from '../alert.js';
import { makeAlert, MAX_EVIDENCE, SEVERITIES, severityRank } from '../alert.js';
import { artifactResolver, storageEnumeration, storageNames, modelBuckets, modelScope } from '../scope.js';
import { DAY_MS, Ring, dayStart, fmt, median, scaledMad } from '../stats.js';
import type { Detector, DetectorInstance } from '../types.js';

export const reconOptions = z
  .object({
    /** Active days of history kept per principal. */
    lookbackDays: z.number().int().min(3).max(365).default(28),
    /** Threshold = median + madMultiplier x scaled MAD of the principal's daily enumeration counts (robust z 3.5). */
    madMultiplier: z.number().positive().default(3.5),
    /** Spread is at least this many operations. */
    minSpreadOps: z.number().nonnegative().default(2),
    /** Days below this many enumeration operations never alert. */
    minDailyOps: z.number().int().positive().default(6),
    /** Distinct surfaces (registry, endpoints, model bucket) enumerated in the day that make it broad. */
    minSurfaces: z.number().int().min(1).max(3).default(2),
    /** Buckets whose listing counts as model-store enumeration besides those in the inventory. */
    modelBuckets: z.array(z.string()).default([]),
    /**
     * Distinct models outside the principal's projects, beyond their own
     * daily median of such models, enumerated in a broad, beyond-habit day
     * that make it high. Benign users of the simulated platform touch at most
     * one such model a day (docs/detect.md).
     */
    highForeignModels: z.number().int().positive().default(3),
    /** Distinct out-of-remit models that make it critical (an incident opens on it). */
    criticalForeignModels: z.number().int().positive().default(4),
    /**
     * Distinct out-of-remit models, beyond habit, that make a broad day
     * critical when it also holds a storage-wide enumeration new to the
     * principal. Each of the three is seen alone in benign users' days (a
     * scientist's first look at the model bucket root, a collaborator opening
     * one other team's model); mapping the stores for the first time and
     * opening other teams' models on the same day is discovery of the AI
     * artifacts in full (ATLAS AML.T0007), the step before taking them. Two,
     * because benign users of the simulated platform touch at most one such
     * model a day (docs/detect.md).
     */
    mappedForeignModels: z.number().int().positive().default(2),
    /**
     * Active days of history before a storage-wide enumeration can be new
     * to the principal (a newcomer has no habit to leave; as the volume
     * detectors' own-baseline minimum).
     */
    minHabitDays: z.number().int().min(1).default(5),
  })
  .strict();
export type ReconOptions = z.infer<typeof reconOptions>;

type Surface = 'registry' | 'endpoints' | 'bucket';
const SURFACE_BIT: Record<Surface, number> = { registry: 1, endpoints: 2, bucket: 4 };

interface Day {
  startMs: number;
  ops: number;
  surfaces: number;
  /** Storage-wide enumerations today (bits of `storageEnumeration`). */
  inventory: number;
  targets: Set<string>;
  /** Models outside the principal's projects enumerated today. */
  foreign: Set<string>;
  evidence: string[];
  /** Severity rank last alerted today, -1 before the first alert. */
  alerted: number;
}

interface PrincipalState {
  history: Ring;
  /** Surfaces (low 3 bits) and storage-wide enumerations (bits 3-4) on each of the look-back's active days. */
  habit: Ring;
  /** Out-of-remit models enumerated on each active day of the look-back. */
  foreignHistory: Ring;
  day: Day | undefined;
}

interface Snapshot {
  states: Array<[string, { history: number[]; habit: number[]; foreignHistory: number[]; day: (Omit<Day, 'targets' | 'foreign'> & { targets: string[]; foreign: string[] }) | null }]>;
}

const TECHNIQUES = ['AML.T0007', 'T1213', 'T1078'] as const;
const popcount = (x: number): number => (x & 1) + ((x >> 1) & 1) + ((x >> 2) & 1);

export const recon: Detector<ReconOptions> = {
  id: 'recon',
  // 2: the habit also holds storage-wide enumerations.
  version: 2,
  title: 'Enumeration of registry, endpoints and model buckets beyond habit',
  accepts: ['registry', 'object'],
  options: reconOptions,
  techniques: [...TECHNIQUES],
  stateBounds: (o) => ({
    maxEntriesPerPrincipal: 3 * o.lookbackDays + 1 + 2 * 64 + MAX_EVIDENCE,
    maxBytesPerPrincipal: 3 * o.lookbackDays * 8 + 2 * 64 * 64 + MAX_EVIDENCE * 48 + 128,
  }),
  create(o, ctx): DetectorInstance {
    const states = new Map<string, PrincipalState>();
    const resolve = artifactResolver(ctx);
    const buckets = modelBuckets(ctx, o.modelBuckets);

    function classify(e: MwEvent): { surface: Surface; target: string } | null {
      if (e.kind === 'registry') {
        if (e.action === 'list_endpoints') return { surface: 'endpoints', target: 'endpoints' };
        if (e.action === 'list_models' || e.action === 'search_models') return { surface: 'registry', target: 'registry' };
        if (e.action === 'get_model' || e.action === 'get_version' || e.action === 'list_artifacts') return { surface: 'registry', target: `model:${e.model ?? '?'}` };
        return null;
      }
      // ListBuckets (no bucket): enumerating what storage exists is the first step of finding model stores.
      if (e.kind === 'object' && e.operation === 'list' && !e.bucket) return { surface: 'bucket', target: 'buckets' };
      if (e.kind === 'object' && e.operation === 'list' && e.bucket && buckets.has(e.bucket)) {
        return { surface: 'bucket', target: `prefix:${resolve(e.bucket, e.key ?? '') ?? e.key ?? ''}` };
      }
      return null;
    }

    function closeDay(s: PrincipalState): void {
      if (!s.day) return;
      s.history.push(s.day.ops + s.day.targets.size);
      s.habit.push(s.day.surfaces | (s.day.inventory << 3));
      s.foreignHistory.push(s.day.foreign.size);
      s.day = undefined;
    }

    return {
      onEvent(e, ms) {
        const c = classify(e);
        if (!c) return [];
        const p = e.principal.canonical;
        let s = states.get(p);
        if (!s) states.set(p, (s = { history: new Ring(o.lookbackDays), habit: new Ring(o.lookbackDays), foreignHistory: new Ring(o.lookbackDays), day: undefined }));
        const start = dayStart(ms);
        if (s.day && s.day.startMs !== start) closeDay(s);
        s.day ??= { startMs: start, ops: 0, surfaces: 0, inventory: 0, targets: new Set(), foreign: new Set(), evidence: [], alerted: -1 };
        const d = s.day;
        d.ops++;
        d.surfaces |= SURFACE_BIT[c.surface];
        d.inventory |= storageEnumeration(e, buckets);
        if (d.targets.size < 64) d.targets.add(c.target);
        const model = c.target.startsWith('model:') || c.target.startsWith('prefix:') ? c.target.replace(/^\w+:/, '') : '';
        if (model && d.foreign.size < 64 && !d.foreign.has(model)) {
          const k = modelScope(ctx, p, model).kind;
          if (k === 'out' || k === 'team') d.foreign.add(model);
        }
        if (d.evidence.length < MAX_EVIDENCE) d.evidence.push(e.id);
        if (d.alerted >= severityRank('critical')) return [];
        const observed = d.ops + d.targets.size;
        const hist = s.history.values();
        const base = median(hist);
        const threshold = Math.max(o.minDailyOps, base + o.madMultiplier * Math.max(scaledMad(hist, base), o.minSpreadOps));
        let habitual = 0;
        for (const m of s.habit.values()) habitual |= m;
        const novel = d.surfaces & ~habitual & 7;
        const newInventory = s.history.length >= o.minHabitDays ? d.inventory & ~(habitual >> 3) : 0;
        const broad = popcount(d.surfaces) >= o.minSurfaces;
        if (observed <= threshold && !(broad && newInventory)) return [];
        if (!broad && !novel) return [];
        // Out-of-remit breadth must be beyond the principal's own habit too (a team head surveys models).
        const fh = s.foreignHistory.values();
        const fBase = median(fh);
        const beyond = (n: number): boolean => d.foreign.size >= fBase + n && d.foreign.size > fBase + o.madMultiplier * scaledMad(fh, fBase);
        let severity: Severity = broad && (novel || newInventory) ? 'medium' : 'low';
        if (broad && beyond(o.highForeignModels)) severity = 'high';
        if (broad && (beyond(o.criticalForeignModels) || (newInventory && beyond(o.mappedForeignModels)))) severity = 'critical';
        if (severityRank(severity) <= d.alerted) return [];
        const first = d.alerted < 0;
        d.alerted = severityRank(severity);
        const names = (Object.keys(SURFACE_BIT) as Surface[]).filter((k) => d.surfaces & SURFACE_BIT[k]);
        const models = [...d.targets].filter((t) => t.startsWith('model:') || t.startsWith('prefix:')).map((t) => t.replace(/^\w+:/, '')).filter((m) => ctx.models.has(m));
        return [
          makeAlert({
            detector: 'recon',
            severity,
            principal: p,
            models,
            atMs: ms,
            windowStartMs: d.startMs,
            windowEndMs: d.startMs + DAY_MS,
            techniques: [...TECHNIQUES],
            observed,
            baseline: base,
            threshold,
            evidence: d.evidence,
            // The first alert of the day keeps the day's id; an escalation gets its own.
            ...(first ? {} : { key: SEVERITIES[d.alerted]! }),
            explanation:
              `${p} enumerated ${names.join(', ')} ${fmt(d.ops)} times over ${d.targets.size} targets today against a daily median of ${fmt(base)} (threshold ${fmt(threshold)})` +
              `${novel ? ', including surfaces they have not enumerated recently' : ''}` +
              `${newInventory ? `, with ${storageNames(newInventory).join(' and ')} they had not done in ${s.history.length} active days` : ''}` +
              `${d.foreign.size > 0 ? `, and ${d.foreign.size} models outside their projects (${[...d.foreign].slice(0, 5).join(', ')}${d.foreign.size > 5 ? ', ...' : ''}) against a usual ${fmt(fBase)}` : ''}.`,
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
              habit: [...s.habit.values()],
              foreignHistory: [...s.foreignHistory.values()],
              day: s.day ? { ...s.day, targets: [...s.day.targets], foreign: [...s.day.foreign], evidence: [...s.day.evidence] } : null,
            },
          ]),
        };
      },
      restore(state) {
        for (const [p, s] of (state as Snapshot).states) {
          states.set(p, {
            history: Ring.of(o.lookbackDays, s.history),
            habit: Ring.of(o.lookbackDays, s.habit),
            foreignHistory: Ring.of(o.lookbackDays, s.foreignHistory),
            day: s.day ? { ...s.day, targets: new Set(s.day.targets), foreign: new Set(s.day.foreign), evidence: [...s.day.evidence] } : undefined,
          });
        }
      },
      stateSize() {
        let max = 0;
        for (const s of states.values()) {
          const n = s.history.length + s.habit.length + s.foreignHistory.length + (s.day ? 1 + s.day.targets.size + s.day.foreign.size + s.day.evidence.length : 0);
          if (n > max) max = n;
        }
        return { principals: states.size, maxEntriesPerPrincipal: max };
      },
    };
  },
};
