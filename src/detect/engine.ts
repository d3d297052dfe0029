/**
 * The detection engine: one code path for batch replay and live feeding.
 *
 * Events may arrive out of order by up to `allowedLatenessSeconds`. They wait
 * in a buffer ordered by (event time, event id) until the watermark (largest
 * event time seen minus the allowed lateness) passes them, and are then
 * delivered in that order. Events older than the watermark when they arrive
 * are late: counted and reported (`stats().late`), not delivered, because
 * delivering them would make the alerts depend on arrival order.
 *
 * Before each delivered event at a new time t, every detector gets
 * `onWatermark(t)`, so windows close on event time. The sequence of calls a
 * detector sees is thus a function of the sorted, non-late events only: the
 * same events fed in one batch or in chunks give the same alerts.
 */
import type { EventKind, MwEvent } from '../events/index.js';
import { eventMs } from '../events/index.js';
import type { Alert } from './alert.js';
import { compareAlerts, raiseSeverity } from './alert.js';
import { inWindow, updateWatchWindow } from './hr.js';
import type { WatchWindow } from './hr.js';
import type { AnyDetector, DetectionContext, DetectorInstance, StateSize } from './types.js';

export interface EngineOptions {
  context: DetectionContext;
  detectors: readonly AnyDetector[];
  /** Per-detector option overrides by detector id; validated by each detector's schema. */
  detectorOptions?: Readonly<Record<string, unknown>>;
  /** Out-of-order tolerance, seconds of event time (default 300). */
  allowedLatenessSeconds?: number;
  /** Days after the last working day that a departing user's watch window stays open (default 14). */
  watchMarginDays?: number;
  /** Notice period assumed when HR gives no last working day, days (default 30). */
  noticeDays?: number;
  /** Late events listed in stats (the count is always exact; default 1000). */
  maxLateListed?: number;
}

export interface LateEvent {
  id: string;
  time: string;
  /** The watermark the event arrived behind, ISO. */
  watermark: string;
}

export interface EngineStats {
  received: number;
  delivered: number;
  late: number;
  lateEvents: LateEvent[];
  buffered: number;
  alerts: number;
  /** Current watermark, ISO, or null before the first event. */
  watermark: string | null;
  state: Record<string, StateSize>;
}

/**
 * Everything the engine needs to continue a stream later: the buffer of events
 * not yet delivered, the watermark and last tick, departing-user windows, the
 * ids of alerts already emitted, and each detector's own snapshot. JSON only
 * (no Infinity: absent times are null).
 */
export interface EngineSnapshot {
  version: 1;
  maxSeen: number | null;
  watermark: number | null;
  lastTick: number | null;
  /** Buffered events in delivery order. */
  buffer: MwEvent[];
  watch: Array<[string, WatchWindow]>;
  deviating: string[];
  emitted: string[];
  detectors: Record<string, unknown>;
}

/** A detector whose instance cannot snapshot or restore its state: incremental runs are impossible. */
export class SnapshotUnsupportedError extends Error {
  constructor(readonly detector: string) {
    super(
      `detector ${detector} does not implement snapshot() and restore() (DetectorInstance in src/detect/types.ts, docs/detect.md#incremental-runs-and-snapshots)`,
    );
    this.name = 'SnapshotUnsupportedError';
  }
}

export interface DetectionEngine {
  /** Adds events (any order within the lateness bound); returns the alerts they released. */
  push(events: Iterable<MwEvent>): Alert[];
  /** Live heartbeat: the sources are complete up to `ms` (an injected clock); closes due windows. */
  advanceTo(ms: number): Alert[];
  /** End of input: delivers everything buffered. */
  flush(): Alert[];
  stats(): EngineStats;
  /** Departing-user watch windows seen so far, by principal. */
  watchWindows(): ReadonlyMap<string, WatchWindow>;
  /**
   * The state to continue from later (take it before `flush()` to keep the
   * buffered tail open for events of the next run). Throws
   * SnapshotUnsupportedError when a detector cannot snapshot.
   */
  snapshot(): EngineSnapshot;
  /**
   * Continues from a snapshot; only on a fresh engine (nothing pushed) with the
   * same detectors, options and context.
   */
  restore(snapshot: EngineSnapshot): void;
}

interface Running {
  id: string;
  departureAware: boolean;
  accepts: ReadonlySet<EventKind>;
  instance: DetectorInstance;
}

type Item = { ms: number; e: MwEvent };

function before(a: Item, b: Item): boolean {
  return a.ms < b.ms || (a.ms === b.ms && a.e.id < b.e.id);
}

/** Binary min-heap on (time, id): the release order must not depend on arrival order. */
class EventHeap {
  private readonly items: Item[] = [];
  get size(): number {
    return this.items.length;
  }
  private swap(i: number, j: number): void {
    const t = this.items[i]!;
    this.items[i] = this.items[j]!;
    this.items[j] = t;
  }
  all(): readonly Item[] {
    return this.items;
  }
  push(x: Item): void {
    this.items.push(x);
    let i = this.items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(this.items[i]!, this.items[p]!)) break;
      this.swap(i, p);
      i = p;
    }
  }
  peek(): Item | undefined {
    return this.items[0];
  }
  pop(): Item | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last) {
      this.items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.items.length && before(this.items[l]!, this.items[m]!)) m = l;
        if (r < this.items.length && before(this.items[r]!, this.items[m]!)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/**
 * The buffer: events arriving in (time, id) order (nearly all of a store
 * replay or a live feed) queue in a FIFO at O(1); only those arriving out of
 * order pay for the heap. Releasing takes the smaller head of the two, so the
 * order is the heap's alone would give.
 */
class EventBuffer {
  private readonly heap = new EventHeap();
  private fifo: Item[] = [];
  private head = 0;
  get size(): number {
    return this.heap.size + this.fifo.length - this.head;
  }
  push(ms: number, e: MwEvent): void {
    const x = { ms, e };
    const last = this.fifo[this.fifo.length - 1];
    if (this.head === this.fifo.length || (last && !before(x, last))) this.fifo.push(x);
    else this.heap.push(x);
  }
  private next(): Item | undefined {
    const f = this.head < this.fifo.length ? this.fifo[this.head] : undefined;
    const h = this.heap.peek();
    return f && (!h || before(f, h)) ? f : h;
  }
  peekMs(): number {
    return this.next()?.ms ?? Infinity;
  }
  pop(): Item | undefined {
    const f = this.head < this.fifo.length ? this.fifo[this.head] : undefined;
    const h = this.heap.peek();
    if (f && (!h || before(f, h))) {
      this.head++;
      if (this.head === this.fifo.length) {
        this.fifo = [];
        this.head = 0;
      } else if (this.head > 4096 && this.head * 2 > this.fifo.length) {
        this.fifo = this.fifo.slice(this.head);
        this.head = 0;
      }
      return f;
    }
    return this.heap.pop();
  }
  /** Items in delivery order (a copy). */
  sorted(): Item[] {
    return [...this.fifo.slice(this.head), ...this.heap.all()].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }
}

/**
 * Event time in epoch ms. Store and parser times are ISO 8601 UTC with a `Z`
 * (`YYYY-MM-DDTHH:MM:SS[.fff]Z`), read here from character codes: Date.parse
 * was a tenth of the engine's time. Anything else goes to eventMs.
 */
export function timeMs(e: Pick<MwEvent, 'time'>): number {
  const t = e.time;
  const n = t.length;
  if ((n === 20 || n === 24) && t.charCodeAt(n - 1) === 90 /* Z */ && t.charCodeAt(10) === 84 /* T */ && t.charCodeAt(4) === 45 && t.charCodeAt(7) === 45 && t.charCodeAt(13) === 58 && t.charCodeAt(16) === 58 && (n === 20 || t.charCodeAt(19) === 46)) {
    let bad = false;
    const d = (i: number): number => {
      const c = t.charCodeAt(i) - 48;
      if (c < 0 || c > 9) bad = true;
      return c;
    };
    const year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
    const month = d(5) * 10 + d(6);
    const day = d(8) * 10 + d(9);
    const hour = d(11) * 10 + d(12);
    const minute = d(14) * 10 + d(15);
    const second = d(17) * 10 + d(18);
    const ms = n === 24 ? d(20) * 100 + d(21) * 10 + d(22) : 0;
    // Days past the 28th may not exist in the month: those (and anything odd) take the slow path.
    if (!bad && month >= 1 && month <= 12 && day >= 1 && day <= 28 && hour < 24 && minute < 60 && second < 60) return Date.UTC(year, month - 1, day, hour, minute, second, ms);
  }
  return eventMs(e);
}

export function createEngine(options: EngineOptions): DetectionEngine {
  const latenessMs = (options.allowedLatenessSeconds ?? 300) * 1000;
  const marginDays = options.watchMarginDays ?? 14;
  const noticeDays = options.noticeDays ?? 30;
  const maxLate = options.maxLateListed ?? 1000;
  const running: Running[] = options.detectors.map((d) => {
    const parsed: unknown = d.options.parse(options.detectorOptions?.[d.id] ?? {});
    return { id: d.id, departureAware: d.departureAware === true, accepts: new Set(d.accepts), instance: d.create(parsed, options.context) };
  });
  const byKind = new Map<EventKind, Running[]>();
  for (const r of running) for (const k of r.accepts) byKind.set(k, [...(byKind.get(k) ?? []), r]);

  const heap = new EventBuffer();
  const watch = new Map<string, WatchWindow>();
  /** Principals in a watch window whose behaviour a departure-aware detector has flagged. */
  const deviating = new Set<string>();
  const emitted = new Set<string>();
  const lateEvents: LateEvent[] = [];
  let maxSeen = -Infinity;
  let watermark = -Infinity;
  let lastTick = -Infinity;
  let received = 0;
  let delivered = 0;
  let late = 0;

  function accept(r: Running, alerts: Alert[], out: Alert[]): void {
    for (const a of alerts) {
      if (emitted.has(a.id)) continue;
      emitted.add(a.id);
      const at = Date.parse(a.at);
      const w = watch.get(a.principal);
      if (r.departureAware && inWindow(w, at)) deviating.add(a.principal);
      if (!r.departureAware && inWindow(w, at)) {
        // Resigning is not suspicious by itself: until the principal's own behaviour deviates (a
        // departure-aware detector alerted), the window lifts alerts to medium at most, so a
        // resigner's ordinary batch job never becomes high.
        const raised = deviating.has(a.principal) ? raiseSeverity(a.severity) : a.severity === 'low' ? 'medium' : a.severity;
        if (raised !== a.severity) {
          out.push({
            ...a,
            severity: raised,
            explanation: `${a.explanation.replace(/\.$/, '')}; raised from ${a.severity} because the principal is in a departing-user watch window.`,
          });
          continue;
        }
      }
      out.push(a);
    }
  }

  function tick(ms: number, out: Alert[]): void {
    if (ms <= lastTick) return;
    lastTick = ms;
    for (const r of running) accept(r, r.instance.onWatermark(ms), out);
  }

  function deliver(ms: number, e: MwEvent, out: Alert[]): void {
    tick(ms, out);
    delivered++;
    if (e.kind === 'hr') {
      const w = updateWatchWindow(watch.get(e.principal.canonical), e, ms, marginDays, noticeDays);
      if (w) {
        if (w.startMs !== watch.get(e.principal.canonical)?.startMs) deviating.delete(e.principal.canonical);
        watch.set(e.principal.canonical, w);
      }
    }
    for (const r of byKind.get(e.kind) ?? []) accept(r, r.instance.onEvent(e, ms), out);
  }

  function release(upTo: number, out: Alert[]): void {
    while (heap.size > 0 && heap.peekMs() < upTo) {
      const x = heap.pop()!;
      deliver(x.ms, x.e, out);
    }
  }

  function finish(out: Alert[]): Alert[] {
    return out.sort(compareAlerts);
  }

  return {
    push(events) {
      const out: Alert[] = [];
      for (const e of events) {
        received++;
        const ms = timeMs(e);
        if (Number.isNaN(ms) || ms < watermark) {
          late++;
          if (lateEvents.length < maxLate) lateEvents.push({ id: e.id, time: e.time, watermark: new Date(watermark).toISOString() });
          continue;
        }
        heap.push(ms, e);
        if (ms > maxSeen) {
          maxSeen = ms;
          watermark = maxSeen - latenessMs;
          release(watermark, out);
        }
      }
      return finish(out);
    },
    advanceTo(ms) {
      const out: Alert[] = [];
      const w = ms - latenessMs;
      if (w > watermark) {
        watermark = w;
        release(watermark, out);
        tick(watermark, out);
      }
      return finish(out);
    },
    flush() {
      const out: Alert[] = [];
      release(Infinity, out);
      if (maxSeen > watermark) watermark = maxSeen;
      return finish(out);
    },
    stats() {
      const state: Record<string, StateSize> = {};
      for (const r of running) state[r.id] = r.instance.stateSize();
      return {
        received,
        delivered,
        late,
        lateEvents: [...lateEvents],
        buffered: heap.size,
        alerts: emitted.size,
        watermark: Number.isFinite(watermark) ? new Date(watermark).toISOString() : null,
        state,
      };
    },
    watchWindows: () => watch,
    snapshot() {
      const detectors: Record<string, unknown> = {};
      for (const r of running) {
        if (typeof r.instance.snapshot !== 'function' || typeof r.instance.restore !== 'function') throw new SnapshotUnsupportedError(r.id);
        detectors[r.id] = r.instance.snapshot();
      }
      const time = (x: number): number | null => (Number.isFinite(x) ? x : null);
      return {
        version: 1,
        maxSeen: time(maxSeen),
        watermark: time(watermark),
        lastTick: time(lastTick),
        buffer: heap.sorted().map((x) => x.e),
        watch: [...watch].map(([p, w]) => [p, { ...w }]),
        deviating: [...deviating],
        emitted: [...emitted],
        detectors,
      };
    },
    restore(snap) {
      if (received > 0 || heap.size > 0) throw new Error('restore() needs a fresh engine');
      if (snap.version !== 1) throw new Error(`unknown engine snapshot version ${String(snap.version)}`);
      for (const r of running) {
        if (!(r.id in snap.detectors)) throw new Error(`the snapshot has no state for detector ${r.id}`);
        if (typeof r.instance.restore !== 'function') throw new SnapshotUnsupportedError(r.id);
        r.instance.restore(snap.detectors[r.id]);
      }
      maxSeen = snap.maxSeen ?? -Infinity;
      watermark = snap.watermark ?? -Infinity;
      lastTick = snap.lastTick ?? -Infinity;
      for (const e of snap.buffer) heap.push(timeMs(e), e);
      for (const [p, w] of snap.watch) watch.set(p, { ...w });
      for (const p of snap.deviating) deviating.add(p);
      for (const id of snap.emitted) emitted.add(id);
    },
  };
}
