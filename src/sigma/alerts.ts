/**
 * Sigma hits as MirrorWatch alerts (src/detect/alert.ts), so that they look
 * like every other alert and join incidents: the rule id is the detector id,
 * the level the severity, the ATT&CK and ATLAS tags the techniques. Hits of
 * one rule and principal on one UTC day make one alert (the first hit's time,
 * evidence from every hit, bounded), as a detector's daily window would.
 */
import { makeAlert, MAX_EVIDENCE, type Alert, type Severity } from '../detect/alert.js';
import { DAY_MS } from '../detect/stats.js';
import { isTechniqueId, type TechniqueId } from '../detect/techniques.js';
import type { RuleHit } from './runner.js';
import type { CompiledCorrelation, CompiledRule, Level, Range } from './types.js';

/** `attack.t1567` → T1567, `atlas.aml.t0048.004` → AML.T0048.004 (Sigma tag namespaces, spec appendix "Tags"). */
export function techniqueOfTag(tag: string): string | undefined {
  const a = /^attack\.(t\d{4}(?:\.\d{3})?)$/i.exec(tag);
  if (a) return a[1]!.toUpperCase();
  const b = /^atlas\.(aml\.t\d{4}(?:\.\d{3})?)$/i.exec(tag);
  if (b) return b[1]!.toUpperCase();
  return undefined;
}

export function techniquesOf(tags: readonly string[]): TechniqueId[] {
  return [...new Set(tags.map(techniqueOfTag).filter((t): t is TechniqueId => t !== undefined && isTechniqueId(t)))];
}

/** Informational has no alert level of its own: it is the lowest. */
export function severityOf(level: Level | undefined): Severity {
  return level === 'critical' || level === 'high' || level === 'medium' ? level : 'low';
}

const EVENT_ID = /^[0-9a-f]{32}$/;

export interface SigmaAlerter {
  add(hit: RuleHit): void;
  alerts(): Alert[];
  /** Hits not turned into alerts, by rule key, with the reason (no known technique tag, no event id, no principal). */
  refused(): Map<string, { reason: string; count: number }>;
}

function threshold(r: Range | undefined): number {
  return r?.gte ?? (r?.gt !== undefined ? r.gt : undefined) ?? r?.eq ?? r?.lte ?? r?.lt ?? 0;
}

function describeRange(r: Range | undefined): string {
  if (!r) return 'every referenced rule';
  return Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/**
 * @param modelOf the models an evidence event touched (the runner's enrichment), for correlation alerts.
 */
export function createSigmaAlerter(modelOf: (eventId: string) => string | null = () => null): SigmaAlerter {
  const byId = new Map<string, Alert>();
  const refused = new Map<string, { reason: string; count: number }>();
  const refuse = (key: string, reason: string): void => {
    const r = refused.get(key);
    if (r) r.count++;
    else refused.set(key, { reason, count: 1 });
  };
  const merge = (a: Alert): void => {
    const prev = byId.get(a.id);
    if (!prev) {
      byId.set(a.id, a);
      return;
    }
    prev.evidence = [...new Set([...prev.evidence, ...a.evidence])].slice(0, MAX_EVIDENCE);
    prev.models = [...new Set([...prev.models, ...a.models])].sort();
    if (a.observed > prev.observed) prev.observed = a.observed;
  };
  const common = (doc: CompiledRule | CompiledCorrelation): { techniques: TechniqueId[] } | undefined => {
    const techniques = techniquesOf(doc.tags);
    if (!techniques.length) {
      refuse(doc.key, 'no ATT&CK or ATLAS tag MirrorWatch knows (data/atlas-techniques.json)');
      return undefined;
    }
    return { techniques };
  };
  return {
    add(hit) {
      if (hit.kind === 'rule') {
        const { rule, event, view, ms } = hit;
        const c = common(rule);
        if (!c) return;
        const id = event['id'];
        const principal = (event['principal'] as { canonical?: unknown } | undefined)?.canonical ?? view.get(rule.mapField('User'));
        if (typeof id !== 'string' || !EVENT_ID.test(id) || ms === undefined) return refuse(rule.key, 'the event has no MirrorWatch id or time');
        if (typeof principal !== 'string' || !principal) return refuse(rule.key, 'the event names no principal');
        const day = Math.floor(ms / DAY_MS) * DAY_MS;
        const model = (event['enrichment'] as { model?: unknown } | undefined)?.model;
        merge(
          makeAlert({
            detector: rule.key,
            severity: severityOf(rule.level),
            principal,
            models: typeof model === 'string' ? [model] : [],
            atMs: ms,
            windowStartMs: day,
            windowEndMs: day + DAY_MS,
            techniques: c.techniques,
            observed: 1,
            baseline: 0,
            threshold: 1,
            evidence: [id],
            explanation: `Sigma rule "${rule.title}" (${rule.level ?? 'no level'}) matched a ${String(event['kind'] ?? 'event')} event of ${principal}.`,
          }),
        );
        return;
      }
      const { correlation: corr, match } = hit;
      const c = common(corr);
      if (!c) return;
      const evidence = match.evidence.filter((e) => EVENT_ID.test(e));
      if (!evidence.length) return refuse(corr.key, 'the correlated events have no MirrorWatch ids');
      const userKey = corr.groupBy.find((g) => g === 'User') ?? corr.groupBy[0];
      const principal = userKey !== undefined ? match.group[userKey] : undefined;
      if (typeof principal !== 'string' || !principal) return refuse(corr.key, 'the correlation is not grouped by a principal (group-by User)');
      const day = Math.floor(match.lastMs / DAY_MS) * DAY_MS;
      const group = Object.entries(match.group)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(', ');
      const models = evidence.map(modelOf).filter((m): m is string => m !== null);
      merge(
        makeAlert({
          detector: corr.key,
          severity: severityOf(corr.level),
          principal,
          models,
          atMs: match.lastMs,
          windowStartMs: day,
          windowEndMs: day + DAY_MS,
          techniques: c.techniques,
          observed: match.value,
          baseline: 0,
          threshold: threshold(corr.condition),
          evidence,
          explanation: `Sigma correlation "${corr.title}" (${corr.correlationType}, ${describeRange(corr.condition)}) reached ${Math.round(match.value * 1000) / 1000} for ${group} between ${new Date(match.firstMs).toISOString()} and ${new Date(match.lastMs).toISOString()}.`,
        }),
      );
    },
    alerts: () => [...byId.values()],
    refused: () => refused,
  };
}
