/** Shared shapes of the Sigma engine: positions, problems, compiled rules. */
import type { SigmaErrorCode } from '../errors/sigma.js';

export interface SourcePos {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

export interface SigmaProblem extends SourcePos {
  code: SigmaErrorCode;
  message: string;
}

/** A JSON-like event. Field paths resolve with dot notation into nested objects. */
export type SigmaEvent = Record<string, unknown>;

export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';

export interface LogSource {
  category?: string;
  product?: string;
  service?: string;
  definition?: string;
}

/** Decides whether one event satisfies a rule's detection (an already-compiled closure). */
export type EventPredicate = (event: EventAccess) => boolean;

/** What a compiled matcher reads from an event; built once per event and shared by every rule. */
export interface EventAccess {
  /** The field's value, or `undefined` when absent (dot paths descend into nested objects). */
  get(field: string): unknown;
  /** True when the field is present (even with a null or empty value). */
  has(field: string): boolean;
  /** Every string (and number, as text) leaf value of the event, for keyword search. */
  leaves(): readonly string[];
  /** Lower-cased cache of `leaves()`. */
  leavesLower(): readonly string[];
}

interface RuleBase {
  /** `id` when present, otherwise `name`, otherwise `file#document`. */
  key: string;
  id: string | undefined;
  name: string | undefined;
  title: string;
  level: Level | undefined;
  tags: string[];
  falsepositives: string[];
  pos: SourcePos;
  /** The document as plain data (for export and display). */
  raw: Record<string, unknown>;
}

export interface CompiledRule extends RuleBase {
  type: 'rule';
  logsource: LogSource;
  match: EventPredicate;
  /** Event kinds the pipeline routed the logsource to; undefined = every event. */
  eventKinds: string[] | undefined;
  /** Field equalities every match requires (let a rule set skip the rule); empty when there is none. */
  anchors: { field: string; values: string[] }[];
  /** False when the rule only feeds correlations that do not `generate` it (spec: correlation "Generate"). */
  standalone: boolean;
  /** Sigma field name → event field, from the pipeline's routing of the logsource (identity without one). */
  mapField: (field: string) => string;
}

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered' | 'value_sum' | 'value_avg' | 'value_percentile';

/** Comparison bounds from a correlation `condition` map; all present bounds must hold (spec: correlation "Condition"). */
export interface Range {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
  neq?: number;
}

export interface CompiledCorrelation extends RuleBase {
  type: 'correlation';
  correlationType: CorrelationType;
  /** Referenced rule ids or names, as written. */
  rules: string[];
  groupBy: string[];
  /** alias → (rule name or id → field). */
  aliases: Record<string, Record<string, string>>;
  timespanMs: number;
  condition: Range | undefined;
  /** Field(s) of value_count, value_sum, value_avg and value_percentile. */
  fields: string[];
  generate: boolean;
  standalone: boolean;
}

export interface CompiledFilter extends RuleBase {
  type: 'filter';
  rules: string[];
  logsource: LogSource;
  match: EventPredicate;
}

export type CompiledDocument = CompiledRule | CompiledCorrelation | CompiledFilter;
