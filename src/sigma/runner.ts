/**
 * Runs a loaded rule set over an event stream: detection rules per event,
 * their matches fed to the correlation engine in event time. One path for
 * `rules match`, `rules test` and `detect --rules`.
 */
import { createCorrelationEngine, type CorrelationMatch, type CorrelationOptions } from './correlation.js';
import { EventView } from './event-view.js';
import { createRuleSet } from './rule-set.js';
import type { CompiledCorrelation, CompiledDocument, CompiledRule, SigmaEvent } from './types.js';

export type RuleHit =
  | { kind: 'rule'; rule: CompiledRule; event: SigmaEvent; view: EventView; ms: number | undefined }
  | { kind: 'correlation'; correlation: CompiledCorrelation; match: CorrelationMatch };

export interface RuleRunnerOptions {
  documents: readonly CompiledDocument[];
  /** Applied to each event before matching (MirrorWatch enrichment); identity when absent. */
  prepare?: (event: SigmaEvent) => SigmaEvent;
  /** Event time in epoch ms; events without one are matched but not correlated (counted in `stats().untimed`). */
  timeOf?: (event: SigmaEvent) => number | undefined;
  correlation?: CorrelationOptions;
  /** Also report matches of rules that only feed correlations (rule tests need them). */
  includeNonStandalone?: boolean;
}

export interface RuleRunnerStats {
  events: number;
  ruleMatches: number;
  correlationMatches: number;
  /** Rule matches on events without a time, which correlations could not use. */
  untimed: number;
}

export interface RuleRunner {
  push(event: SigmaEvent): RuleHit[];
  /** Event time has reached `ms` (a watermark): closes correlation windows that ended. */
  advance(ms: number): RuleHit[];
  /** End of input. */
  flush(): RuleHit[];
  stats(): RuleRunnerStats;
}

const TIME_FIELDS = ['time', '@timestamp', 'timestamp', 'TimeGenerated', 'EventTime', 'UtcTime', 'SystemTime'];

/** The first time-like field that parses (ISO 8601 text or epoch milliseconds). */
export function defaultTimeOf(event: SigmaEvent): number | undefined {
  for (const f of TIME_FIELDS) {
    const v = event[f];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string') {
      const ms = Date.parse(v);
      if (Number.isFinite(ms)) return ms;
    }
  }
  return undefined;
}

export function createRuleRunner(opts: RuleRunnerOptions): RuleRunner {
  const rules = opts.documents.filter((d): d is CompiledRule => d.type === 'rule');
  const correlations = opts.documents.filter((d): d is CompiledCorrelation => d.type === 'correlation');
  const set = createRuleSet(rules);
  const engine = correlations.length ? createCorrelationEngine(correlations, opts.correlation) : undefined;
  const timeOf = opts.timeOf ?? defaultTimeOf;
  // Correlations name Sigma fields (group-by, alias targets, value fields); each base rule's pipeline
  // mapping says where they are in its events, so a match is handed on as those Sigma fields.
  const corrFields = new Set<string>();
  for (const c of correlations) {
    c.groupBy.forEach((f) => corrFields.add(f));
    c.fields.forEach((f) => corrFields.add(f));
    for (const m of Object.values(c.aliases)) Object.values(m).forEach((f) => corrFields.add(f));
  }
  const referenced = new Set(correlations.flatMap((c) => c.rules));
  const stats: RuleRunnerStats = { events: 0, ruleMatches: 0, correlationMatches: 0, untimed: 0 };
  // "At most N" windows close when event time passes them, even without further matches; a sweep per
  // minute of event time is enough resolution for timespans of minutes to days.
  let lastAdvance = -Infinity;
  const wrap = (ms: CorrelationMatch[]): RuleHit[] => {
    stats.correlationMatches += ms.length;
    return ms.filter((m) => m.correlation.standalone || opts.includeNonStandalone).map((match) => ({ kind: 'correlation' as const, correlation: match.correlation, match }));
  };
  return {
    push(raw) {
      stats.events++;
      const event = opts.prepare ? opts.prepare(raw) : raw;
      const view = new EventView(event);
      const kind = typeof event['kind'] === 'string' ? event['kind'] : undefined;
      const ms = timeOf(event);
      const out: RuleHit[] = [];
      if (engine && ms !== undefined && ms - lastAdvance >= 60_000) {
        lastAdvance = ms;
        out.push(...wrap(engine.advance(ms)));
      }
      for (const r of set.match(view)) {
        if (r.eventKinds && (kind === undefined || !r.eventKinds.includes(kind))) continue;
        stats.ruleMatches++;
        if (r.standalone || opts.includeNonStandalone) out.push({ kind: 'rule', rule: r, event, view, ms });
        if (!engine || !((r.id && referenced.has(r.id)) || (r.name && referenced.has(r.name)))) continue;
        if (ms === undefined) {
          stats.untimed++;
          continue;
        }
        const projected: SigmaEvent = { id: event['id'] };
        for (const f of corrFields) projected[f] = view.get(r.mapField(f));
        out.push(...wrap(engine.push({ id: r.id, name: r.name }, projected, ms)));
      }
      return out;
    },
    advance(ms) {
      return engine ? wrap(engine.advance(ms)) : [];
    },
    flush() {
      return engine ? wrap(engine.flush()) : [];
    },
    stats: () => ({ ...stats }),
  };
}
