/**
 * MirrorWatch's native Sigma engine (Sigma specification v2.1): load rule
 * files into compiled rules, match events against them, and feed matches to
 * the event-time correlation engine. Pure: no I/O beyond reading rule files.
 */
import { EventView } from './event-view.js';
import type { CompiledRule, EventAccess, SigmaEvent } from './types.js';

export type * from './types.js';
export { loadRuleFiles, loadRuleText, linkDocuments, parseTimespan, ruleFiles, type LoadOptions, type LoadResult } from './loader.js';
export { EventView, flattenEvent } from './event-view.js';
export { createCorrelationEngine, type CorrelationEngine, type CorrelationMatch, type CorrelationOptions } from './correlation.js';
export { loadPipeline, loadPipelineText, type Pipeline } from './pipeline.js';
export { compileSafeRegex, MAX_REGEX_INPUT } from './regex.js';
export { createRuleSet, type RuleSet } from './rule-set.js';
export { formatProblem } from './format.js';
export { createRuleRunner, defaultTimeOf, type RuleHit, type RuleRunner, type RuleRunnerOptions, type RuleRunnerStats } from './runner.js';
export { createEnricher, derivedPlaceholders, type Enrichment } from './enrich.js';
export { createSigmaAlerter, severityOf, techniqueOfTag, techniquesOf, type SigmaAlerter } from './alerts.js';
export { addSigmaRules, contextPlaceholders, loadMirrorWatchRules, pipelineOrThrow, runRulesOnStore, type StoreRulesResult } from './store-rules.js';
export { shippedPipelinePath, shippedRulesPath } from './shipped.js';

/** Does the event satisfy the rule's detection? Accepts a plain event or a shared EventView. */
export function match(rule: CompiledRule, event: SigmaEvent | EventAccess): boolean {
  const view = event instanceof EventView ? event : new EventView(event as SigmaEvent);
  return rule.match(view);
}
