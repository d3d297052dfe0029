/**
 * Many rules over one event stream. Rules with an anchor (a required field
 * equality, detection.ts `detectionAnchor`) are indexed by field and value,
 * so an event only runs the rules whose anchor it satisfies plus the rules
 * without one. Results equal running every rule's `match`.
 */
import { EventView } from './event-view.js';
import type { CompiledRule, EventAccess, SigmaEvent } from './types.js';

export interface RuleSet {
  /** The rules the event matches, in load order. */
  match(event: SigmaEvent | EventAccess): CompiledRule[];
  readonly size: number;
  /** How many rules are indexed (skipped without evaluation when their anchor fails). */
  readonly indexed: number;
}

export function createRuleSet(rules: readonly CompiledRule[]): RuleSet {
  const order = new Map(rules.map((r, i) => [r, i]));
  const always: CompiledRule[] = [];
  // field → lower-cased value → rules anchored there.
  const index = new Map<string, Map<string, CompiledRule[]>>();
  // Prefer each rule's most selective anchor: the one whose values the fewest rules require
  // (`eventName: CreateUser` over `eventSource: iam.amazonaws.com`, shared by dozens of rules).
  const demand = new Map<string, number>();
  const keyOf = (field: string, v: string): string => `${field}\u0000${v}`;
  for (const r of rules) for (const a of r.anchors) for (const v of new Set(a.values)) demand.set(keyOf(a.field, v), (demand.get(keyOf(a.field, v)) ?? 0) + 1);
  const cost = (a: { field: string; values: string[] }): number => [...new Set(a.values)].reduce((n, v) => n + demand.get(keyOf(a.field, v))!, 0);
  for (const r of rules) {
    const anchor = r.anchors.reduce<(typeof r.anchors)[number] | undefined>((best, a) => (best === undefined || cost(a) < cost(best) ? a : best), undefined);
    if (!anchor) {
      always.push(r);
      continue;
    }
    let byValue = index.get(anchor.field);
    if (!byValue) index.set(anchor.field, (byValue = new Map()));
    for (const v of new Set(anchor.values)) {
      const list = byValue.get(v);
      if (list) list.push(r);
      else byValue.set(v, [r]);
    }
  }
  const fields = [...index];
  const keysOf = (v: unknown, out: string[]): void => {
    if (typeof v === 'string') out.push(v.toLowerCase());
    else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v).toLowerCase());
    else if (Array.isArray(v)) for (const x of v) keysOf(x, out);
  };
  return {
    size: rules.length,
    indexed: rules.length - always.length,
    match(event) {
      const view = event instanceof EventView ? event : new EventView(event as SigmaEvent);
      const out: CompiledRule[] = [];
      for (const r of always) if (r.match(view)) out.push(r);
      let candidates: Set<CompiledRule> | undefined;
      for (const [field, byValue] of fields) {
        const v = view.get(field);
        if (v === undefined || v === null) continue;
        const keys: string[] = [];
        keysOf(v, keys);
        for (const k of keys) {
          const list = byValue.get(k);
          if (list) for (const r of list) (candidates ??= new Set()).add(r);
        }
      }
      if (candidates) for (const r of candidates) if (r.match(view)) out.push(r);
      if (candidates && always.length) out.sort((a, b) => order.get(a)! - order.get(b)!);
      return out;
    },
  };
}
