/**
 * The alert: what a detector says, with the numbers that made it say so.
 * Field names are the `detect --json` contract of docs/cli.md.
 */
import { z } from 'zod';
import { sha256Hex } from '../util/hash.js';
import { isTechniqueId } from './techniques.js';
import type { TechniqueId } from './techniques.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const isoUtc = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/);

export const alertSchema = z
  .object({
    /** Stable: hash of detector, principal and window, so a replay finds the same alert again. */
    id: z.string().regex(/^[0-9a-f]{24}$/),
    detector: z.string().min(1),
    severity: z.enum(SEVERITIES),
    principal: z.string().min(1),
    models: z.array(z.string()),
    /** Event time at which the alert fired. */
    at: isoUtc,
    window: z.object({ start: isoUtc, end: isoUtc }).strict(),
    techniques: z.array(z.string().refine(isTechniqueId, 'unknown technique id')).min(1),
    observed: z.number().finite(),
    baseline: z.number().finite(),
    threshold: z.number().finite(),
    evidence: z.array(z.string().regex(/^[0-9a-f]{32}$/)).min(1),
    explanation: z.string().min(10),
  })
  .strict();
export type Alert = z.infer<typeof alertSchema>;

/** Evidence ids kept per alert: enough for an analyst to pivot, bounded for state and output size. */
export const MAX_EVIDENCE = 50;

export interface AlertInput {
  detector: string;
  severity: Severity;
  principal: string;
  models: readonly string[];
  atMs: number;
  windowStartMs: number;
  windowEndMs: number;
  techniques: readonly TechniqueId[];
  observed: number;
  baseline: number;
  threshold: number;
  evidence: readonly string[];
  explanation: string;
  /** Distinguishes two alerts of one detector, principal and window (e.g. two models). */
  key?: string;
}

export function alertId(detector: string, principal: string, startMs: number, endMs: number, key = ''): string {
  return sha256Hex(`${detector}\0${principal}\0${startMs}\0${endMs}\0${key}`).slice(0, 24);
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

export function makeAlert(a: AlertInput): Alert {
  return {
    id: alertId(a.detector, a.principal, a.windowStartMs, a.windowEndMs, a.key),
    detector: a.detector,
    severity: a.severity,
    principal: a.principal,
    models: [...new Set(a.models)].sort(),
    at: new Date(a.atMs).toISOString(),
    window: { start: new Date(a.windowStartMs).toISOString(), end: new Date(a.windowEndMs).toISOString() },
    techniques: [...a.techniques],
    observed: round(a.observed),
    baseline: round(a.baseline),
    threshold: round(a.threshold),
    evidence: [...new Set(a.evidence)].slice(0, MAX_EVIDENCE),
    explanation: a.explanation,
  };
}

export function raiseSeverity(s: Severity): Severity {
  const i = SEVERITIES.indexOf(s);
  return SEVERITIES[Math.min(SEVERITIES.length - 1, i + 1)]!;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Deterministic alert order: event time, then detector, then id. */
export function compareAlerts(a: Alert, b: Alert): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : a.detector < b.detector ? -1 : a.detector > b.detector ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
