/**
 * Reconnaissance beyond habit: enumeration of the model registry (list,
 * search, get model or version), serving endpoints and model bucket
 * prefixes. Per principal and UTC day, the count of enumeration operations
 * and distinct models and prefixes touched, compared with the principal's own
 * previous active days; the alert needs breadth too (two or more surfaces, or
 * a surface the principal has not enumerated in the look-back), because a
 * data scientist browsing the registry more than usual is not reconnaissance.
 * Fires within the day, as soon as the count crosses, not at day end.
 */
import { z } from 'zod';
import type { MwEvent } from '../../events/index.js';
import type { Severity } from '../alert.js';
import { makeAlert, MAX_EVIDENCE } from '../alert.js';
import { artifactResolver } from '../scope.js';
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
  })
  .strict();
export type ReconOptions = z.infer<typeof reconOptions>;

type Surface = 'registry' | 'endpoints' | 'bucket';
const SURFACE_BIT: Record<Surface, number> = { registry: 1, endpoints: 2, bucket: 4 };

interface Day {
  startMs: number;
  ops: number;
  surfaces: number;
  targets: Set<string>;
  evidence: string[];
  alerted: boolean;
}

interface PrincipalState {
  history: Ring;
  /** Surfaces enumerated on each of the look-back's active days (bit masks). */
  habit: Ring;
  day: Day | undefined;
}

interface Snapshot {
  states: Array<[string, { history: number[]; habit: number[]; day: (Omit<Day, 'targets'> & { targets: string[] }) | null }]>;
}

const TECHNIQUES = ['AML.T0007', 'T1213', 'T1078'] as const;
const popcount = (x: number): number => (x & 1) + ((x >> 1) & 1) + ((x >> 2) & 1);

export const recon: Detector<ReconOptions> = {
  id: 'recon',
  title: 'Enumeration of registry, endpoints and model buckets beyond habit',
  accepts: ['registry', 'object'],
  options: reconOptions,
  techniques: [...TECHNIQUES],
  stateBounds: (o) => ({
    maxEntriesPerPrincipal: 2 * o.lookbackDays + 1 + 64 + MAX_EVIDENCE,
    maxBytesPerPrincipal: 2 * o.lookbackDays * 8 + 64 * 64 + MAX_EVIDENCE * 48 + 128,
  }),
  create(o, ctx): DetectorInstance {
    const states = new Map<string, PrincipalState>();
    const resolve = artifactResolver(ctx);
    const buckets = new Set(o.modelBuckets);
    for (const m of ctx.models.values()) {
      const b = /^[a-z0-9]+:\/\/([^/]+)/i.exec(m.artifactLocation ?? m.tags['artifact_location'] ?? '')?.[1];
      if (b) buckets.add(b);
    }

    function classify(e: MwEvent): { surface: Surface; target: string } | null {
      if (e.kind === 'registry') {
        if (e.action === 'list_endpoints') return { surface: 'endpoints', target: 'endpoints' };
        if (e.action === 'list_models' || e.action === 'search_models') return { surface: 'registry', target: 'registry' };
        if (e.action === 'get_model' || e.action === 'get_version' || e.action === 'list_artifacts') return { surface: 'registry', target: `model:${e.model ?? '?'}` };
        return null;
      }
      if (e.kind === 'object' && e.operation === 'list' && e.bucket && buckets.has(e.bucket)) {
        return { surface: 'bucket', target: `prefix:${resolve(e.bucket, e.key ?? '') ?? e.key ?? ''}` };
      }
      return null;
    }

    function closeDay(s: PrincipalState): void {
      if (!s.day) return;
      s.history.push(s.day.ops + s.day.targets.size);
      s.habit.push(s.day.surfaces);
      s.day = undefined;
    }

    return {
      onEvent(e, ms) {
        const c = classify(e);
        if (!c) return [];
        const p = e.principal.canonical;
        let s = states.get(p);
        if (!s) states.set(p, (s = { history: new Ring(o.lookbackDays), habit: new Ring(o.lookbackDays), day: undefined }));
        const start = dayStart(ms);
        if (s.day && s.day.startMs !== start) closeDay(s);
        s.day ??= { startMs: start, ops: 0, surfaces: 0, targets: new Set(), evidence: [], alerted: false };
        const d = s.day;
        d.ops++;
        d.surfaces |= SURFACE_BIT[c.surface];
        if (d.targets.size < 64) d.targets.add(c.target);
        if (d.evidence.length < MAX_EVIDENCE) d.evidence.push(e.id);
        if (d.alerted) return [];
        const observed = d.ops + d.targets.size;
        const hist = s.history.values();
        const base = median(hist);
        const threshold = Math.max(o.minDailyOps, base + o.madMultiplier * Math.max(scaledMad(hist, base), o.minSpreadOps));
        if (observed <= threshold) return [];
        let habitual = 0;
        for (const m of s.habit.values()) habitual |= m;
        const novel = d.surfaces & ~habitual;
        const broad = popcount(d.surfaces) >= o.minSurfaces;
        if (!broad && !novel) return [];
        d.alerted = true;
        const names = (Object.keys(SURFACE_BIT) as Surface[]).filter((k) => d.surfaces & SURFACE_BIT[k]);
        const severity: Severity = broad && novel ? 'medium' : 'low';
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
            explanation: `${p} enumerated ${names.join(', ')} ${fmt(d.ops)} times over ${d.targets.size} targets today against a daily median of ${fmt(base)} (threshold ${fmt(threshold)})${novel ? ', including surfaces they have not enumerated recently' : ''}.`,
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
              day: s.day ? { ...s.day, targets: [...s.day.targets], evidence: [...s.day.evidence] } : null,
            },
          ]),
        };
      },
      restore(state) {
        for (const [p, s] of (state as Snapshot).states) {
          states.set(p, {
            history: Ring.of(o.lookbackDays, s.history),
            habit: Ring.of(o.lookbackDays, s.habit),
            day: s.day ? { ...s.day, targets: new Set(s.day.targets), evidence: [...s.day.evidence] } : undefined,
          });
        }
      },
      stateSize() {
        let max = 0;
        for (const s of states.values()) {
          const n = s.history.length + s.habit.length + (s.day ? 1 + s.day.targets.size + s.day.evidence.length : 0);
          if (n > max) max = n;
        }
        return { principals: states.size, maxEntriesPerPrincipal: max };
      },
    };
  },
};
