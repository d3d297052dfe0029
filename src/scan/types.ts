import type { ValueObject } from './hcl/value.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(s);
}

export type SourceKind = 'terraform' | 'plan' | 'kubernetes' | 'gateway' | 'config';

/** One configured object: a Terraform resource instance, a Kubernetes object, a gateway route. */
export interface Resource {
  /** Unique within a scan: `<root>::<address>`. */
  id: string;
  /** The Terraform root module directory or plan file (references resolve within it); for YAML, the file. */
  root: string;
  /** `<type>.<name>[key]`, with `module.<m>.` prefixes for resources inside modules. */
  address: string;
  type: string;
  name: string;
  key?: string | number;
  mode: 'managed' | 'data';
  source: SourceKind;
  /** Path relative to the scan base, with forward slashes. */
  file: string;
  line: number;
  endLine: number;
  attrs: ValueObject;
  /** Top-level attribute or nested block → line, and dotted nested paths → line. */
  attrLines: Record<string, number>;
  /** Kubernetes namespace (objects) or undefined. */
  namespace?: string;
}

export interface ModelStoreInfo {
  modelStore: boolean;
  why: string;
}

export interface Finding {
  rule: string;
  family: string;
  severity: Severity;
  title: string;
  /** Resource address. */
  resource: string;
  resourceType: string;
  file: string;
  line: number;
  message: string;
  /** Why the resource (or the model store it protects) was judged to hold models, when the rule is about model stores. */
  why?: string;
  /** Fix snippet in the resource's own language. */
  fix?: { language: 'hcl' | 'yaml'; snippet: string };
  /** Other resources involved (the key, the bucket policy), as `file:line address`. */
  related?: { address: string; file: string; line: number }[];
  /** Set when an inline suppression matched. */
  suppressed?: { reason: string; file: string; line: number };
}

export interface ScanError {
  file: string;
  line: number;
  column?: number;
  message: string;
  kind: 'parse' | 'read' | 'config';
}

export interface Note {
  file: string;
  line: number;
  message: string;
}

export interface ResourceReport {
  address: string;
  type: string;
  file: string;
  line: number;
  model_store: boolean;
  why: string;
}

export interface ScanResult {
  findings: Finding[];
  suppressed: Finding[];
  resources: ResourceReport[];
  errors: ScanError[];
  notes: Note[];
  stats: { files: number; resources: number; durationMs: number };
  /** Kept for the evidence report; not serialised. */
  context?: unknown;
}
