/** Whether a model is within a principal's remit, from the directory and the inventory. */
import type { ModelEntry, MwEvent } from '../events/index.js';
import type { DetectionContext } from './types.js';

export interface Scope {
  /** 'in': own project; 'team': own team but outside the principal's projects; 'out': another team's or unknown principal; 'unknown': model not in the inventory. */
  kind: 'in' | 'team' | 'out' | 'unknown';
  model: ModelEntry | undefined;
  reason: string;
}

export function modelScope(ctx: DetectionContext, principal: string, modelName: string): Scope {
  const model = ctx.models.get(modelName);
  if (!model) return { kind: 'unknown', model, reason: `${modelName} is not in the model inventory` };
  const project = model.tags['project'] ?? null;
  const projects = ctx.projectsOf(principal);
  if (project && projects.includes(project)) return { kind: 'in', model, reason: `${modelName} belongs to their project ${project}` };
  if (!ctx.directory.has(principal)) return { kind: 'out', model, reason: `${principal} is not in the directory` };
  const team = ctx.teamOf(principal);
  if (model.team && team !== model.team) return { kind: 'out', model, reason: `${modelName} is owned by the ${model.team} team, not ${team ?? 'theirs'}` };
  if (project) return { kind: 'team', model, reason: `${modelName} belongs to project ${project}, outside their projects` };
  return { kind: 'in', model, reason: `${modelName} is owned by their team` };
}

interface Prefix {
  bucket: string;
  prefix: string;
  model: string;
}

/** Maps object keys to models through the inventory's artifact locations (s3://bucket/prefix/). */
export function artifactResolver(ctx: DetectionContext): (bucket: string | null, key: string | null) => string | null {
  const prefixes: Prefix[] = [];
  for (const m of ctx.models.values()) {
    const loc = m.artifactLocation ?? m.tags['artifact_location'];
    const x = loc ? /^[a-z0-9]+:\/\/([^/]+)\/?(.*)$/i.exec(loc) : null;
    if (x) prefixes.push({ bucket: x[1]!, prefix: x[2]!, model: m.name });
  }
  // Longest prefix first, so nested locations resolve to the most specific model.
  prefixes.sort((a, b) => b.prefix.length - a.prefix.length || (a.model < b.model ? -1 : 1));
  return (bucket, key) => {
    if (!bucket || key == null) return null;
    for (const p of prefixes) if (p.bucket === bucket && key.startsWith(p.prefix)) return p.model;
    return null;
  };
}

/** The model named by a registry event: its model field, or the first path segment of an MLflow artifact URI. */
export function registryModel(e: MwEvent): string | null {
  if (e.kind !== 'registry') return null;
  if (e.model) return e.model;
  const m = e.artifactUri ? /^(?:mlflow-artifacts:|models:|runs:)\/+([^/]+)/.exec(e.artifactUri) : null;
  return m ? m[1]! : null;
}

/** Buckets that hold models: those of the inventory's artifact locations, plus `extra`. */
export function modelBuckets(ctx: DetectionContext, extra: readonly string[] = []): Set<string> {
  const buckets = new Set(extra);
  for (const m of ctx.models.values()) {
    const b = /^[a-z0-9]+:\/\/([^/]+)/i.exec(m.artifactLocation ?? m.tags['artifact_location'] ?? '')?.[1];
    if (b) buckets.add(b);
  }
  return buckets;
}

/**
 * Storage-wide enumeration, as bits: listing every bucket (1, ListBuckets) or
 * a model bucket from its root (2). Each answers "which model stores exist
 * and what is in them", the first question of artifact discovery (ATLAS
 * AML.T0007; ATT&CK T1619 Cloud Storage Object Discovery). Registry and
 * endpoint listings are not counted: every user of the platform sees its
 * model catalogue. 0 for anything else.
 */
export function storageEnumeration(e: MwEvent, buckets: ReadonlySet<string>): number {
  if (e.kind !== 'object' || e.operation !== 'list') return 0;
  if (!e.bucket) return 1;
  return buckets.has(e.bucket) && !e.key ? 2 : 0;
}

/** Names of storage enumeration bits, for explanations. */
export function storageNames(bits: number): string[] {
  return ['bucket listing', 'model-bucket root listing'].filter((_, i) => bits & (1 << i));
}
