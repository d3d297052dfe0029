/**
 * How rules read events: field lookup with dot notation into nested objects
 * (a literal key containing dots wins over descent), cached per event so that
 * many rules share the work, and the string leaves keyword searches scan.
 */
import type { EventAccess, SigmaEvent } from './types.js';

const MISSING = Symbol('missing');

// Rule field names are few and fixed: split each once for the process (bounded by SEGMENT_CACHE_MAX).
const segmentCache = new Map<string, string[]>();
const SEGMENT_CACHE_MAX = 100_000;
function segmentsOf(field: string): string[] {
  let segs = segmentCache.get(field);
  if (!segs) {
    segs = field.split('.');
    if (segmentCache.size < SEGMENT_CACHE_MAX) segmentCache.set(field, segs);
  }
  return segs;
}

function lookup(event: SigmaEvent, field: string, dottedHeads: () => ReadonlySet<string>): unknown {
  if (Object.hasOwn(event, field)) return event[field];
  if (!field.includes('.')) return MISSING;
  // Plain descent first (the usual nested JSON); the literal-dotted-key search below only when it fails.
  const segs = segmentsOf(field);
  let walk: unknown = event;
  let start = 0;
  for (const part of segs) {
    if (walk === null || typeof walk !== 'object' || Array.isArray(walk) || !Object.hasOwn(walk, part)) break;
    walk = (walk as Record<string, unknown>)[part];
    if (++start === segs.length) return walk;
  }
  if (start === 0) {
    // Not even the first segment exists as a key: only a dotted top-level key could still match.
    if (!dottedHeads().has(field.slice(0, field.indexOf('.')))) return MISSING;
  }
  let cur: unknown = event;
  const parts = field.split('.');
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return MISSING;
    const obj = cur as Record<string, unknown>;
    // `a.b.c` may be stored as {"a.b": {"c": ..}}: try the longest literal key first.
    let found = false;
    for (let j = parts.length; j > i; j--) {
      const k = parts.slice(i, j).join('.');
      if (Object.hasOwn(obj, k)) {
        cur = obj[k];
        i = j - 1;
        found = true;
        break;
      }
    }
    if (!found) return MISSING;
  }
  return cur;
}

export class EventView implements EventAccess {
  readonly event: SigmaEvent;
  private cache = new Map<string, unknown>();
  private leafCache: string[] | undefined;
  private dotted: Set<string> | undefined;
  private top: Map<string, unknown> | undefined;
  /** First segments of top-level keys that themselves contain a dot (`{"a.b": ..}` gives `a`). */
  private readonly dottedHeads = (): ReadonlySet<string> => {
    if (!this.dotted) {
      this.dotted = new Set();
      for (const k of Object.keys(this.event)) {
        const d = k.indexOf('.');
        if (d > 0) this.dotted.add(k.slice(0, d));
      }
    }
    return this.dotted;
  };
  private leafLowerCache: string[] | undefined;
  constructor(event: SigmaEvent) {
    this.event = event;
  }
  private resolve(field: string): unknown {
    let v = this.cache.get(field);
    if (v === undefined && !this.cache.has(field)) {
      v = lookup(this.event, field, this.dottedHeads);
      this.cache.set(field, v);
    }
    return v;
  }
  get(field: string): unknown {
    // Most rule fields are plain top-level names. Events come in many shapes, which makes
    // `event[field]` a megamorphic (slow) load in V8; one Map per event is cheaper across many rules.
    this.top ??= new Map(Object.entries(this.event));
    const direct = this.top.get(field);
    if (direct !== undefined) return direct;
    if (!field.includes('.')) return undefined;
    const v = this.resolve(field);
    return v === MISSING ? undefined : v;
  }
  has(field: string): boolean {
    return this.resolve(field) !== MISSING;
  }
  leaves(): readonly string[] {
    if (!this.leafCache) {
      const out: string[] = [];
      const walk = (v: unknown): void => {
        if (typeof v === 'string') out.push(v);
        else if (typeof v === 'number' || typeof v === 'bigint') out.push(String(v));
        else if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
      };
      walk(this.event);
      this.leafCache = out;
    }
    return this.leafCache;
  }
  leavesLower(): readonly string[] {
    this.leafLowerCache ??= this.leaves().map((s) => s.toLowerCase());
    return this.leafLowerCache;
  }
}

/**
 * `--flatten`: lifts nested fields to top-level names, as Windows event
 * exports need (spec: rules "Field Usage" 3): `Event.EventData.Image` becomes
 * `Image`, an XML attribute `Provider/#attributes/Name` becomes `Provider_Name`,
 * and `#text` gives its parent's value. The first writer of a name wins, so
 * EventData (read first) shadows System; dotted full paths stay reachable.
 */
export function flattenEvent(event: SigmaEvent): SigmaEvent {
  const out: SigmaEvent = {};
  const put = (k: string, v: unknown): void => {
    if (!Object.hasOwn(out, k)) out[k] = v;
  };
  const walk = (obj: Record<string, unknown>, parentName: string | undefined): void => {
    const entries = Object.entries(obj);
    // EventData before System: the payload's names matter more than the header's on a clash.
    entries.sort(([a], [b]) => rank(a) - rank(b));
    for (const [k, v] of entries) {
      if (k === '#attributes' && v && typeof v === 'object') {
        for (const [ak, av] of Object.entries(v as Record<string, unknown>)) {
          if (parentName !== undefined) put(`${parentName}_${ak}`, av);
          put(ak, av);
        }
      } else if (k === '#text') {
        if (parentName !== undefined) put(parentName, v);
      } else if (v && typeof v === 'object' && !Array.isArray(v)) {
        walk(v as Record<string, unknown>, k);
      } else put(k, v);
    }
  };
  walk(event, undefined);
  for (const [k, v] of Object.entries(event)) put(k, v);
  return out;
}

function rank(k: string): number {
  return k === 'EventData' || k === 'UserData' ? 0 : k === 'System' ? 1 : 2;
}
