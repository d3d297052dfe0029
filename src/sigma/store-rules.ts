/**
 * Sigma rules over the store, beside the detectors (`mirrorwatch detect
 * --rules PATH...`): events replayed in event-time order, enriched from the
 * directory and the inventory, matched and correlated; the hits become
 * alerts that join the detectors' alerts in incidents.
 */
import { createCorrelator } from '../correlate/index.js';
import type { Alert } from '../detect/alert.js';
import { compareAlerts } from '../detect/alert.js';
import { contextFromStore } from '../detect/index.js';
import type { DetectionRun } from '../detect/run.js';
import type { DetectionContext } from '../detect/types.js';
import { MwError } from '../errors/index.js';
import type { Store } from '../store/index.js';
import { createSigmaAlerter } from './alerts.js';
import { createEnricher, derivedPlaceholders } from './enrich.js';
import { loadRuleFiles } from './loader.js';
import { loadPipeline, type Pipeline } from './pipeline.js';
import { createRuleRunner, type RuleRunnerStats } from './runner.js';
import { shippedPipelinePath } from './shipped.js';
import type { CompiledDocument, SigmaEvent, SigmaProblem } from './types.js';
import { formatProblem } from './format.js';

/** The shipped pipeline, or the given file; a broken pipeline is an error with every problem. */
export function pipelineOrThrow(file: string = shippedPipelinePath()): Pipeline {
  const { pipeline, problems } = loadPipeline(file);
  if (!pipeline) throw new MwError('MW_ERR_SIGMA_PIPELINE', problems.map(formatProblem).join('\n'));
  return pipeline;
}

/** Pipeline placeholders united with those derived from the directory (`%internal_destinations%`). */
export function contextPlaceholders(pipeline: Pipeline, ctx: DetectionContext | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(pipeline.placeholders)) out[k] = [...v];
  if (ctx) for (const [k, v] of Object.entries(derivedPlaceholders(ctx))) out[k] = [...new Set([...(out[k] ?? []), ...v])];
  return out;
}

/** Loads rule paths for MirrorWatch events: pipeline routing and field names, placeholders from the pipeline and the context. */
export function loadMirrorWatchRules(paths: string[], pipeline: Pipeline, ctx: DetectionContext | undefined): { documents: CompiledDocument[]; problems: SigmaProblem[] } {
  return loadRuleFiles(paths, { pipeline, placeholders: contextPlaceholders(pipeline, ctx) });
}

export interface StoreRulesResult {
  alerts: Alert[];
  stats: RuleRunnerStats;
  /** Hits that could not become alerts (rule key → reason, count): reported, never dropped silently. */
  refused: Map<string, { reason: string; count: number }>;
}

/** Runs the rules over the store's events (event-time order). Rule problems are an error listing every one. */
export async function runRulesOnStore(store: Store, paths: string[], options: { since?: string; context?: DetectionContext; pipeline?: Pipeline } = {}): Promise<StoreRulesResult> {
  const ctx = options.context ?? (await contextFromStore(store));
  const pipeline = options.pipeline ?? pipelineOrThrow();
  const { documents, problems } = loadMirrorWatchRules(paths, pipeline, ctx);
  if (problems.length) throw new MwError('MW_ERR_SIGMA_RULES', `${problems.length} problem(s) in the Sigma rules:\n${problems.map(formatProblem).join('\n')}`);
  const enrich = createEnricher(ctx);
  // Models of matched events, for correlation alerts (bounded: the oldest are forgotten first).
  const models = new Map<string, string>();
  const runner = createRuleRunner({
    documents,
    prepare: (e) => {
      const x = enrich(e);
      const m = (x['enrichment'] as { model: string | null }).model;
      if (m && typeof x['id'] === 'string') {
        if (models.size >= 200_000) models.delete(models.keys().next().value!);
        models.set(x['id'], m);
      }
      return x;
    },
  });
  const alerter = createSigmaAlerter((id) => models.get(id) ?? null);
  for await (const e of store.replay({ order: 'time', ...(options.since ? { since: options.since } : {}) })) {
    for (const h of runner.push(e as unknown as SigmaEvent)) alerter.add(h);
  }
  for (const h of runner.flush()) alerter.add(h);
  return { alerts: alerter.alerts().sort(compareAlerts), stats: runner.stats(), refused: alerter.refused() };
}

/**
 * `detect --rules`: adds the rules' alerts to a detection run and correlates
 * every alert into incidents again. Refused hits are reported on `warn`.
 */
export async function addSigmaRules(store: Store, run: DetectionRun, paths: string[] | undefined, options: { since?: string; warn?: (s: string) => void } = {}): Promise<DetectionRun> {
  if (!paths?.length) return run;
  const context = await contextFromStore(store);
  const r = await runRulesOnStore(store, paths, { context, ...(options.since ? { since: options.since } : {}) });
  for (const [key, { reason, count }] of r.refused) options.warn?.(`mirrorwatch: ${count} match(es) of Sigma rule ${key} raised no alert: ${reason}\n`);
  const alerts = [...run.alerts, ...r.alerts].sort(compareAlerts);
  const correlator = createCorrelator(context);
  correlator.add(alerts);
  return { ...run, alerts, incidents: correlator.incidents() };
}
