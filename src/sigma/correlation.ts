/**
 * Correlation rules (spec: correlation rules v2.1) evaluated in event time.
 * Fed `(ruleRef, event, eventTimeMs)` for every base-rule match; keeps, per
 * correlation and group-by key, the matches inside the sliding window
 * `[t - timespan, t]` and emits a match when the condition holds. After a
 * match the group starts afresh, so one burst yields one alert. Conditions
 * with only an upper bound ("at most N") are judged on fixed windows from a
 * group's first match, when event time passes their end. State is bounded:
 * groups whose window ended are dropped as event time advances, at most
 * `maxGroups` groups live per correlation (the one with the oldest event time
 * is evicted first) and `maxEventsPerGroup` entries per group. Correlation
 * matches are fed back in, which is how chaining works.
 */
import type { CompiledCorrelation, Range, SigmaEvent } from './types.js';

export interface CorrelationOptions {
  maxGroups?: number;
  maxEventsPerGroup?: number;
}

export interface CorrelationMatch {
  correlation: CompiledCorrelation;
  /** group-by field (or alias) → value. */
  group: Record<string, unknown>;
  /** Event time of the first and last contributing match. */
  firstMs: number;
  lastMs: number;
  /** The aggregated value the condition was tested on (count, sum, average, percentile). */
  value: number;
  /**
   * Ids (the events' `id` field) of the window's contributing events, oldest
   * first, at most MAX_CORRELATION_EVIDENCE; a chained correlation carries its
   * inner matches' ids.
   */
  evidence: string[];
}

/** Evidence ids kept per correlation match: enough to pivot, bounded like the window state. */
export const MAX_CORRELATION_EVIDENCE = 50;

/** Where a fed-back correlation match keeps its evidence (not a field a rule could name). */
const EVIDENCE = Symbol('evidence');

export interface CorrelationEngine {
  /** One base-rule (or correlation) match; returns the correlation matches it completes, chained ones included. */
  push(ruleRef: { id?: string | undefined; name?: string | undefined }, event: SigmaEvent, eventTimeMs: number): CorrelationMatch[];
  /**
   * Moves event time forward without a match (the caller's watermark): closes
   * the windows that ended before it (emitting "at most N" conditions) and
   * drops their state. `push` does this itself with the newest time it saw.
   */
  advance(eventTimeMs: number): CorrelationMatch[];
  /** End of input: closes every open window. */
  flush(): CorrelationMatch[];
  /** Number of live groups (for tests and metrics). */
  size(): number;
}

interface Entry {
  t: number;
  rule: number;
  value: unknown;
  ids: readonly string[];
  /** Distinct-value keys of `value` (value_count), computed once. */
  keys: readonly string[];
}
interface Group {
  entries: Entry[];
  /**
   * Running aggregates over `entries`, updated as entries enter and leave, so
   * that testing the condition after each match costs O(1), not O(window):
   * distinct-value counts (value_count) and the sum of numeric values.
   */
  distinct: Map<string, number>;
  sum: number;
  nums: number;
  lastMs: number;
  /** Event time of the first entry of the current window (for "at most N" conditions). */
  startMs: number;
  values: Record<string, unknown>;
}

/**
 * A condition with no lower bound ("at most N", `lt`/`lte` alone) holds for a
 * group's first match already; it can only be judged once the window closed.
 */
export function upperBoundOnly(c: CompiledCorrelation): boolean {
  const r = c.condition;
  // A percentile judges the newest event's value, which is known at each match.
  if (!r || c.correlationType.startsWith('temporal') || c.correlationType === 'value_percentile') return false;
  return r.gt === undefined && r.gte === undefined && r.eq === undefined && (r.lt !== undefined || r.lte !== undefined || r.neq !== undefined);
}

function inRange(r: Range | undefined, x: number, fallback: Range): boolean {
  const c = r && Object.keys(r).length ? r : fallback;
  if (c.gt !== undefined && !(x > c.gt)) return false;
  if (c.gte !== undefined && !(x >= c.gte)) return false;
  if (c.lt !== undefined && !(x < c.lt)) return false;
  if (c.lte !== undefined && !(x <= c.lte)) return false;
  if (c.eq !== undefined && x !== c.eq) return false;
  if (c.neq !== undefined && x === c.neq) return false;
  return true;
}

function idsOf(event: SigmaEvent): readonly string[] {
  const carried = (event as { [EVIDENCE]?: readonly string[] })[EVIDENCE];
  if (carried) return carried;
  return typeof event['id'] === 'string' ? [event['id']] : [];
}

function evidenceOf(entries: readonly Entry[]): string[] {
  const out = new Set<string>();
  for (const e of entries) {
    for (const id of e.ids) {
      if (out.size >= MAX_CORRELATION_EVIDENCE) return [...out];
      out.add(id);
    }
  }
  return [...out];
}

/**
 * The distinct values of one entry: a multi-valued field (an array, such as
 * the input hashes of a batched request) contributes each element, so
 * value_count counts distinct inputs rather than distinct batches.
 */
function distinctKeys(v: unknown): string[] {
  if (v == null) return [];
  if (Array.isArray(v)) return v.filter((x) => x != null).map((x) => JSON.stringify(x));
  return [JSON.stringify(v)];
}

function fieldOf(event: SigmaEvent, path: string): unknown {
  if (Object.hasOwn(event, path)) return event[path];
  let cur: unknown = event;
  for (const p of path.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function createCorrelationEngine(correlations: CompiledCorrelation[], options: CorrelationOptions = {}): CorrelationEngine {
  const maxGroups = options.maxGroups ?? 10_000;
  const maxEvents = options.maxEventsPerGroup ?? 10_000;
  const state = new Map<CompiledCorrelation, Map<string, Group>>();
  for (const c of correlations) state.set(c, new Map());

  const refersTo = (c: CompiledCorrelation, ref: { id?: string | undefined; name?: string | undefined }): number => c.rules.findIndex((r) => r === ref.id || r === ref.name);

  const groupValues = (c: CompiledCorrelation, ruleRef: string, ref: { id?: string | undefined; name?: string | undefined }, event: SigmaEvent): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const g of c.groupBy) {
      // Aliases name a different field per referenced rule (spec: correlation "Field Name Aliases").
      const alias = c.aliases[g];
      const field = alias ? (alias[ruleRef] ?? (ref.id ? alias[ref.id] : undefined) ?? (ref.name ? alias[ref.name] : undefined) ?? g) : g;
      out[g] = fieldOf(event, field) ?? null;
    }
    return out;
  };

  const evaluate = (c: CompiledCorrelation, g: Group): number | undefined => {
    const es = g.entries;
    const all = c.rules.length;
    switch (c.correlationType) {
      case 'event_count':
        return inRange(c.condition, es.length, {}) ? es.length : undefined;
      case 'value_count': {
        const n = g.distinct.size;
        return inRange(c.condition, n, {}) ? n : undefined;
      }
      case 'value_sum':
      case 'value_avg': {
        if (!g.nums) return undefined;
        const v = c.correlationType === 'value_sum' ? g.sum : g.sum / g.nums;
        return inRange(c.condition, v, {}) ? v : undefined;
      }
      case 'value_percentile': {
        // The newest value's share of the window, in percent: "rare" values have a low percentile.
        const last = es.at(-1);
        if (!last || last.value == null) return undefined;
        const key = JSON.stringify(last.value);
        const same = es.filter((e) => JSON.stringify(e.value) === key).length;
        const pct = (same / es.length) * 100;
        return inRange(c.condition, pct, {}) ? pct : undefined;
      }
      case 'temporal': {
        const n = new Set(es.map((e) => e.rule)).size;
        return inRange(c.condition, n, { gte: all }) ? n : undefined;
      }
      case 'temporal_ordered': {
        // The referenced rules must appear in their listed order inside the window.
        let want = 0;
        for (const e of es) if (e.rule === want) want++;
        return inRange(c.condition, want, { gte: all }) ? want : undefined;
      }
    }
  };

  const deferred = new Set(correlations.filter(upperBoundOnly));
  const minSpan = Math.max(1, Math.min(...correlations.map((c) => c.timespanMs || 1)));
  let watermark = -Infinity;
  let lastSweep = -Infinity;

  const closeWindow = (c: CompiledCorrelation, g: Group, out: CorrelationMatch[], depth: number): void => {
    if (!g.entries.length) return;
    const v = evaluate(c, g);
    if (v === undefined) return;
    const m: CorrelationMatch = { correlation: c, group: g.values, firstMs: g.entries[0]!.t, lastMs: g.lastMs, value: v, evidence: evidenceOf(g.entries) };
    out.push(m);
    if (depth < 8) pushOne({ id: c.id, name: c.name }, fedBack(g.values, m.evidence), m.lastMs, out, depth + 1);
  };

  /** Drops (after judging "at most N" windows) every group whose window ended before `t`: eviction by event time. */
  const sweep = (t: number, out: CorrelationMatch[], all: boolean): void => {
    for (const [c, groups] of state) {
      for (const [key, g] of groups) {
        const ended = deferred.has(c) ? g.startMs + c.timespanMs < t : g.lastMs + c.timespanMs < t;
        if (!all && !ended) continue;
        if (deferred.has(c)) closeWindow(c, g, out, 0);
        groups.delete(key);
      }
    }
  };

  const pushOne = (ref: { id?: string | undefined; name?: string | undefined }, event: SigmaEvent, t: number, out: CorrelationMatch[], depth: number): void => {
    for (const [c, groups] of state) {
      const ri = refersTo(c, ref);
      if (ri < 0) continue;
      const gv = groupValues(c, c.rules[ri]!, ref, event);
      const key = JSON.stringify(c.groupBy.map((g) => gv[g]));
      let g = groups.get(key);
      if (!g) {
        if (groups.size >= maxGroups) evictOldest(groups);
        g = { entries: [], distinct: new Map(), sum: 0, nums: 0, lastMs: t, startMs: t, values: gv };
        groups.set(key, g);
      }
      if (deferred.has(c) && t > g.startMs + c.timespanMs) {
        // The group's window has closed: judge it, then this match opens the next one.
        closeWindow(c, g, out, depth);
        removeEntries(g, g.entries.length);
        g.startMs = t;
      }
      const value = c.fields.length === 0 ? undefined : c.fields.length === 1 ? fieldOf(event, c.fields[0]!) : c.fields.map((f) => fieldOf(event, f));
      // Late events go in their time order; the window is anchored at the newest event time seen.
      let at = g.entries.length;
      while (at > 0 && g.entries[at - 1]!.t > t) at--;
      const entry: Entry = { t, rule: ri, value, ids: idsOf(event), keys: c.correlationType === 'value_count' ? distinctKeys(value) : [] };
      g.entries.splice(at, 0, entry);
      addEntry(g, entry);
      g.lastMs = Math.max(g.lastMs, t);
      const from = deferred.has(c) ? g.startMs : g.lastMs - c.timespanMs;
      let drop = 0;
      while (drop < g.entries.length && g.entries[drop]!.t < from) drop++;
      if (drop) removeEntries(g, drop);
      if (g.entries.length > maxEvents) removeEntries(g, g.entries.length - maxEvents);
      if (deferred.has(c)) continue;
      const v = evaluate(c, g);
      if (v === undefined) continue;
      const m: CorrelationMatch = { correlation: c, group: gv, firstMs: g.entries[0]!.t, lastMs: g.lastMs, value: v, evidence: evidenceOf(g.entries) };
      groups.delete(key);
      out.push(m);
      // Chaining: a correlation may reference another correlation (spec: correlation "Related rules").
      if (depth < 8) pushOne({ id: c.id, name: c.name }, fedBack(gv, m.evidence), m.lastMs, out, depth + 1);
    }
  };

  return {
    push(ref, event, t) {
      const out: CorrelationMatch[] = [];
      pushOne(ref, event, t, out, 0);
      if (t > watermark) watermark = t;
      // Sweeping costs a pass over the groups: do it each half of the shortest timespan of event time.
      if (watermark - lastSweep >= minSpan / 2) {
        lastSweep = watermark;
        sweep(watermark, out, false);
      }
      return out;
    },
    advance(t) {
      const out: CorrelationMatch[] = [];
      if (t > watermark) watermark = t;
      lastSweep = watermark;
      sweep(watermark, out, false);
      return out;
    },
    flush() {
      const out: CorrelationMatch[] = [];
      sweep(Infinity, out, true);
      return out;
    },
    size() {
      let n = 0;
      for (const g of state.values()) n += g.size;
      return n;
    },
  };
}

function addEntry(g: Group, e: Entry): void {
  for (const k of e.keys) g.distinct.set(k, (g.distinct.get(k) ?? 0) + 1);
  const x = Number(e.value);
  if (e.value != null && e.value !== '' && Number.isFinite(x)) {
    g.sum += x;
    g.nums++;
  }
}

/** Drops the `n` oldest entries, keeping the running aggregates in step. */
function removeEntries(g: Group, n: number): void {
  for (const e of g.entries.splice(0, n)) {
    for (const k of e.keys) {
      const left = g.distinct.get(k)! - 1;
      if (left) g.distinct.set(k, left);
      else g.distinct.delete(k);
    }
    const x = Number(e.value);
    if (e.value != null && e.value !== '' && Number.isFinite(x)) {
      g.sum -= x;
      g.nums--;
    }
  }
  // Floating-point drift: an empty window sums to exactly zero.
  if (!g.nums) g.sum = 0;
}

/** A correlation match as an event of that correlation, for chaining: its group values, carrying its evidence. */
function fedBack(values: Record<string, unknown>, evidence: string[]): SigmaEvent {
  const e: SigmaEvent & { [EVIDENCE]?: readonly string[] } = { ...values };
  e[EVIDENCE] = evidence;
  return e;
}

function evictOldest(groups: Map<string, Group>): void {
  let oldestKey: string | undefined;
  let oldest = Infinity;
  for (const [k, g] of groups) {
    if (g.lastMs < oldest) {
      oldest = g.lastMs;
      oldestKey = k;
    }
  }
  if (oldestKey !== undefined) groups.delete(oldestKey);
}
