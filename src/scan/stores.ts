/**
 * Which buckets and registries hold models, and why we think so.
 *
 * In order of strength: the operator said so (`scan.model_stores`), a serving
 * manifest loads models from it (`storageUri`, `modelUri`, MLflow
 * `--default-artifact-root`, SageMaker `model_data_url`), or its name, tags or
 * labels carry a model word. `--all-stores` skips the judgement. Every store
 * and every non-store gets a `why` so a reviewer can disagree precisely.
 */
import { getPath, type ScanContext } from './context.js';
import { isObject, Unknown, type Value } from './hcl/value.js';
import type { Resource } from './types.js';

export const BUCKET_TYPES = ['aws_s3_bucket', 'google_storage_bucket', 'azurerm_storage_account'] as const;
export const REGISTRY_TYPES = ['aws_ecr_repository', 'google_artifact_registry_repository', 'azurerm_container_registry'] as const;
export const STORE_TYPES: readonly string[] = [...BUCKET_TYPES, ...REGISTRY_TYPES];

/** The heuristic words from the issue: model, mlflow, registry, weights, checkpoint, artifacts. */
export const MODEL_WORDS = /(model|mlflow|registry|weights|checkpoint|artifact)/i;

/** Keys whose string values are model locations in serving manifests and Terraform. */
const URI_KEYS = new Set(['storageUri', 'storageUris', 'modelUri', 'model_uri', 'storage_uri', 'model_data_url', 'modelDataUrl', 'artifact_uri', 'artifactUri', 'model_data_source']);
const URI_ENV = new Set(['STORAGE_URI', 'MODEL_URI', 'MLFLOW_ARTIFACT_ROOT', 'MLFLOW_ARTIFACTS_DESTINATION', 'MODEL_PATH']);
const ARTIFACT_FLAGS = ['--default-artifact-root', '--artifacts-destination'];

export interface StoreRef {
  kind: 's3' | 'gcs' | 'azure' | 'ecr' | 'gar' | 'acr';
  name: string;
  uri: string;
}

/** Parses a model location into the bucket or registry it lives in. */
export function parseStoreUri(uri: string): StoreRef | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^s3a?:\/\/([^/]+)/i.exec(uri))) return { kind: 's3', name: m[1]!, uri };
  if ((m = /^gs:\/\/([^/]+)/i.exec(uri))) return { kind: 'gcs', name: m[1]!, uri };
  if ((m = /^https?:\/\/([a-z0-9]+)\.blob\.core\.windows\.net\//i.exec(uri))) return { kind: 'azure', name: m[1]!, uri };
  if ((m = /^(?:wasbs?|abfss?):\/\/[^@/]+@([a-z0-9]+)\.(?:blob|dfs)\.core\.windows\.net/i.exec(uri))) return { kind: 'azure', name: m[1]!, uri };
  const img = uri.replace(/^oci:\/\//i, '');
  if ((m = /^\d+\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^:@]+)/i.exec(img))) return { kind: 'ecr', name: m[1]!, uri };
  if ((m = /^[a-z0-9-]+-docker\.pkg\.dev\/[^/]+\/([^/:@]+)/i.exec(img))) return { kind: 'gar', name: m[1]!, uri };
  if ((m = /^([a-z0-9]+)\.azurecr\.io\//i.exec(img))) return { kind: 'acr', name: m[1]!, uri };
  return undefined;
}

function storeName(r: Resource): string | undefined {
  const a = r.attrs;
  const pick = (...vs: (Value | undefined)[]): string | undefined => vs.find((v): v is string => typeof v === 'string');
  switch (r.type) {
    case 'aws_s3_bucket':
      return pick(a.bucket, r.source === 'plan' ? a.id : undefined);
    case 'google_artifact_registry_repository':
      return pick(a.repository_id, a.name);
    default:
      return pick(a.name);
  }
}

function kindOf(type: string): StoreRef['kind'] | undefined {
  return (
    {
      aws_s3_bucket: 's3',
      google_storage_bucket: 'gcs',
      azurerm_storage_account: 'azure',
      aws_ecr_repository: 'ecr',
      google_artifact_registry_repository: 'gar',
      azurerm_container_registry: 'acr',
    } as Record<string, StoreRef['kind']>
  )[type];
}

export interface ServingRef {
  ref: StoreRef;
  by: Resource;
  path: string;
}

/** Every model location mentioned by serving manifests and Terraform resources. */
export function servingRefs(ctx: ScanContext): ServingRef[] {
  const out: ServingRef[] = [];
  for (const r of ctx.resources) {
    const visit = (v: Value | undefined, path: string, key: string): void => {
      if (v === undefined || v instanceof Unknown) return;
      if (typeof v === 'string') {
        if (URI_KEYS.has(key)) {
          const ref = parseStoreUri(v);
          if (ref) out.push({ ref, by: r, path });
        }
        for (const flag of ARTIFACT_FLAGS) {
          const m = new RegExp(`${flag}[= ]+["']?([^\\s"']+)`).exec(v);
          const ref = m ? parseStoreUri(m[1]!) : undefined;
          if (ref) out.push({ ref, by: r, path });
        }
        return;
      }
      if (Array.isArray(v)) {
        v.forEach((x, i) => {
          // `args: ["--default-artifact-root", "s3://…"]`
          if (typeof x === 'string' && ARTIFACT_FLAGS.includes(x)) {
            const next = v[i + 1];
            const ref = typeof next === 'string' ? parseStoreUri(next) : undefined;
            if (ref) out.push({ ref, by: r, path: `${path}.${i + 1}` });
          }
          visit(x, `${path}.${i}`, key);
        });
        return;
      }
      if (isObject(v)) {
        if (typeof v.name === 'string' && URI_ENV.has(v.name) && typeof v.value === 'string') {
          const ref = parseStoreUri(v.value);
          if (ref) out.push({ ref, by: r, path: `${path}.value` });
        }
        for (const [k, x] of Object.entries(v)) visit(x, path ? `${path}.${k}` : k, k);
      }
    };
    visit(r.attrs, '', '');
  }
  return out;
}

function globToRe(glob: string): RegExp {
  const esc = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

function tagText(r: Resource): { where: string; text: string }[] {
  const out: { where: string; text: string }[] = [];
  for (const key of ['tags', 'labels', 'tags_all']) {
    const t = r.attrs[key];
    if (!isObject(t)) continue;
    for (const [k, v] of Object.entries(t)) {
      out.push({ where: `${key === 'labels' ? 'label' : 'tag'} ${k}`, text: k });
      if (typeof v === 'string') out.push({ where: `${key === 'labels' ? 'label' : 'tag'} ${k}=${v}`, text: v });
    }
  }
  return out;
}

function cite(r: Resource, path?: string, ctx?: ScanContext): string {
  return `${r.file}:${ctx && path ? ctx.lineOf(r, path) : r.line}`;
}

/** Fills ctx.stores with a verdict and a reason for every resource. */
export function identifyModelStores(ctx: ScanContext): void {
  const { section, file: cfgFile } = ctx.settings.config;
  const allStores = ctx.settings.allStores || section.all_stores;
  const patterns = section.model_stores.map((p, i) => ({ p, re: globToRe(p.replace(/^(s3|gs):\/\//, '')), line: ctx.settings.config.lines[`model_stores.${i}`] }));
  const refs = servingRefs(ctx);

  for (const r of ctx.resources) {
    if (!STORE_TYPES.includes(r.type) || r.mode !== 'managed') {
      ctx.stores.set(r.id, { modelStore: false, why: 'not a bucket or registry' });
      continue;
    }
    const name = storeName(r);
    const reasons: string[] = [];
    for (const { p, re, line } of patterns) {
      if (re.test(r.address) || (name && re.test(name))) reasons.push(`listed in scan.model_stores as ${JSON.stringify(p)} (${cfgFile ?? 'config'}${line ? `:${line}` : ''})`);
    }
    const kind = kindOf(r.type);
    if (name) {
      for (const s of refs) {
        if (s.ref.kind === kind && s.ref.name === name) {
          reasons.push(`models are loaded from it: ${s.by.address} ${s.path.split('.').filter((x) => !/^\d+$/.test(x)).pop() ?? ''} ${s.ref.uri} (${cite(s.by, s.path, ctx)})`);
        }
      }
    }
    if (reasons.length === 0) {
      const candidates: { where: string; text: string }[] = [{ where: 'resource name', text: r.name }];
      if (name) candidates.push({ where: r.type === 'aws_s3_bucket' ? 'bucket name' : 'name', text: name });
      candidates.push(...tagText(r));
      if (r.type === 'azurerm_storage_account') {
        for (const c of ctx.referrers(r, ['azurerm_storage_container'], 'storage_account_name').concat(ctx.referrers(r, ['azurerm_storage_container'], 'storage_account_id'))) {
          if (typeof c.attrs.name === 'string') candidates.push({ where: `container ${c.address} name`, text: c.attrs.name });
        }
      }
      for (const c of candidates) {
        const m = MODEL_WORDS.exec(c.text);
        if (m) {
          reasons.push(`${c.where} ${JSON.stringify(c.text)} contains "${m[1]!.toLowerCase()}" (name/tag/label heuristic)`);
          break;
        }
      }
    }
    if (allStores) reasons.push('--all-stores treats every bucket and registry as a model store');
    if (reasons.length) ctx.stores.set(r.id, { modelStore: true, why: reasons.join('; ') });
    else
      ctx.stores.set(r.id, {
        modelStore: false,
        why: 'bucket or registry with no model-store signal: not in scan.model_stores, not referenced by a serving manifest, and no model word in its name, tags or labels',
      });
  }
}

/** Model stores (managed buckets and registries judged to hold models). */
export function modelStores(ctx: ScanContext, types: readonly string[] = STORE_TYPES): Resource[] {
  return ctx.ofType(...types).filter((r) => ctx.isModelStore(r));
}

export { getPath };
