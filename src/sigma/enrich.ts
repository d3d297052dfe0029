/**
 * Enrichment: what the directory and the model inventory say about an
 * event, added as plain fields so that portable Sigma rules can compare them
 * (`ModelProject|fieldref: UserProjects`). A SIEM gets the same fields from
 * its own lookups (watchlists, lookup tables); the pipeline maps the Sigma
 * names to `enrichment.*` here (docs/sigma.md "Enrichment").
 */
import { artifactResolver, registryModel } from '../detect/scope.js';
import type { DetectionContext } from '../detect/types.js';
import type { MwEvent } from '../events/index.js';
import type { SigmaEvent } from './types.js';

export interface Enrichment {
  userTeam: string | null;
  userRole: string | null;
  userProjects: string[];
  /** The model the event touches: its `model` field, an MLflow artifact URI's model, or the model whose artifact location holds the object. */
  model: string | null;
  modelTeam: string | null;
  modelProject: string | null;
  modelClassification: string | null;
  /** Input hashes of an inference request's instances (one per molecule or row), for distinct-input counts. */
  inputHashes: string[];
}

/** Returns a copy of each event with an `enrichment` object (the original is not changed). */
export function createEnricher(ctx: DetectionContext): (event: SigmaEvent) => SigmaEvent {
  const resolveObject = artifactResolver(ctx);
  return (event) => {
    const principal = (event['principal'] as { canonical?: unknown } | undefined)?.canonical;
    const p = typeof principal === 'string' ? principal : null;
    const dir = p ? ctx.directory.get(p) : undefined;
    const model =
      event['kind'] === 'registry' ? registryModel(event as unknown as MwEvent) : event['kind'] === 'object' ? resolveObject(str(event['bucket']), str(event['key'])) : str(event['model']);
    const m = model ? ctx.models.get(model) : undefined;
    const enrichment: Enrichment = {
      userTeam: dir?.team ?? null,
      userRole: dir?.role ?? null,
      userProjects: dir ? [...dir.projects] : [],
      model,
      modelTeam: m?.team ?? null,
      modelProject: m?.tags['project'] ?? null,
      modelClassification: m?.classification ?? null,
      inputHashes: inputHashes(event['instances']),
    };
    return { ...event, enrichment };
  };
}

function inputHashes(instances: unknown): string[] {
  if (!Array.isArray(instances)) return [];
  const out: string[] = [];
  for (const i of instances) {
    const h = (i as { input?: { hash?: unknown } } | null)?.input?.hash;
    if (typeof h === 'string') out.push(h);
  }
  return out;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/**
 * Placeholder values MirrorWatch derives from the directory:
 * `%internal_destinations%` are host patterns carrying one of the
 * organisation's labels (the first label of the directory's email domains)
 * as a whole `.`- or `-`-separated label, the notion of "the organisation's
 * own destination" the split-exfil detector uses (docs/detect.md).
 */
export function derivedPlaceholders(ctx: DetectionContext): Record<string, string[]> {
  const out: string[] = [];
  for (const l of ctx.orgLabels) {
    for (const before of ['', '*.', '*-']) for (const after of ['', '.*', '-*']) out.push(`${before}${l}${after}`);
  }
  return { internal_destinations: out };
}
