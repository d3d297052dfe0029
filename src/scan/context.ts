/**
 * The scan's view of everything it loaded, and the link-following every rule
 * needs: which key protects this bucket, which versioning configuration
 * points at it, which Ingress routes to this InferenceService.
 */
import type { LoadedConfig } from './config.js';
import { isObject, refsOf, Unknown, type Value } from './hcl/value.js';
import type { ModelStoreInfo, Resource } from './types.js';

export interface ScanSettings {
  allStores: boolean;
  config: LoadedConfig;
}

function baseAddress(address: string): string {
  return address.replace(/\[[^\]]*\]$/, '');
}

/** Strings by which other configuration can name a resource literally (bucket names, ARNs, ids). */
export function identities(r: Resource): string[] {
  const a = r.attrs;
  const out: string[] = [];
  const add = (v: Value | undefined, ...forms: ((s: string) => string)[]): void => {
    if (typeof v !== 'string' || v.length < 3) return;
    out.push(v);
    for (const f of forms) out.push(f(v));
  };
  switch (r.type) {
    case 'aws_s3_bucket':
      add(a.bucket, (s) => `arn:aws:s3:::${s}`);
      break;
    case 'google_storage_bucket':
      add(a.name, (s) => `gs://${s}`, (s) => `projects/_/buckets/${s}`);
      break;
    case 'aws_kms_alias':
      add(a.name);
      break;
    default:
      if (r.source === 'terraform') add(a.name);
  }
  if (r.source === 'plan') {
    add(a.id);
    add(a.arn);
    add(a.key_id);
    add(a.self_link);
    if (r.type !== 'aws_s3_bucket' && r.type !== 'google_storage_bucket') add(a.name);
  }
  return [...new Set(out)];
}

export class ScanContext {
  readonly byType = new Map<string, Resource[]>();
  private readonly byAddr = new Map<string, Resource[]>();
  private readonly identityCache = new Map<string, string[]>();
  private readonly rootTypeCache = new Map<string, Resource[]>();
  /** Filled by stores.ts. */
  readonly stores = new Map<string, ModelStoreInfo>();
  /** Resource id → audit-log role explanation (filled by the logging rule helpers). */
  readonly auditLogBuckets = new Map<string, string>();

  constructor(
    readonly resources: Resource[],
    readonly settings: ScanSettings,
  ) {
    for (const r of resources) {
      const l = this.byType.get(r.type) ?? [];
      l.push(r);
      this.byType.set(r.type, l);
      for (const key of new Set([`${r.root}::${r.address}`, `${r.root}::${baseAddress(r.address)}`])) {
        const m = this.byAddr.get(key) ?? [];
        m.push(r);
        this.byAddr.set(key, m);
      }
    }
  }

  ofType(...types: string[]): Resource[] {
    return types.flatMap((t) => this.byType.get(t) ?? []);
  }

  /** Resources of the given types in the same Terraform root (or plan) as `r`. */
  sameRoot(r: Resource, ...types: string[]): Resource[] {
    const key = `${r.root}\u0000${types.join(',')}`;
    let hit = this.rootTypeCache.get(key);
    if (!hit) {
      hit = this.ofType(...types).filter((x) => x.root === r.root);
      this.rootTypeCache.set(key, hit);
    }
    return hit;
  }

  private idsOf(r: Resource): string[] {
    let ids = this.identityCache.get(r.id);
    if (!ids) {
      ids = identities(r);
      this.identityCache.set(r.id, ids);
    }
    return ids;
  }

  /** The resources a value points at: through references, or literally by name / ARN / id. */
  resolve(from: Resource, v: Value | undefined, types?: string[]): Resource[] {
    const out: Resource[] = [];
    const push = (r: Resource): void => {
      if ((!types || types.includes(r.type)) && !out.includes(r)) out.push(r);
    };
    for (const ref of refsOf(v)) {
      for (const r of this.byAddr.get(`${from.root}::${ref.address}`) ?? []) push(r);
    }
    const strings: string[] = [];
    const walk = (x: Value | undefined): void => {
      if (typeof x === 'string') strings.push(x);
      else if (Array.isArray(x)) x.forEach(walk);
      else if (isObject(x)) Object.values(x).forEach(walk);
    };
    walk(v);
    if (strings.length) {
      const candidates = types ? this.sameRoot(from, ...types) : this.resources.filter((r) => r.root === from.root);
      for (const c of candidates) {
        if (c === from) continue;
        const ids = this.idsOf(c);
        if (ids.length === 0) continue;
        if (strings.some((s) => ids.some((id) => s === id || s.startsWith(id + '/')))) push(c);
      }
    }
    return out;
  }

  /** Resources of `types` whose attribute at `path` resolves to `target`. */
  referrers(target: Resource, types: string[], path: string): Resource[] {
    return this.sameRoot(target, ...types).filter((r) => this.resolve(r, getPath(r.attrs, path), [target.type]).includes(target));
  }

  /** Line of an attribute (dotted path) of a resource, falling back to its nearest parent, then the block. */
  lineOf(r: Resource, path?: string): number {
    if (!path) return r.line;
    const parts = path.split('.');
    for (let n = parts.length; n > 0; n--) {
      const l = r.attrLines[parts.slice(0, n).join('.')];
      if (l !== undefined) return l;
    }
    return r.line;
  }

  isModelStore(r: Resource): boolean {
    return this.stores.get(r.id)?.modelStore === true;
  }

  why(r: Resource): string | undefined {
    return this.stores.get(r.id)?.why;
  }
}

/** Reads a dotted path through nested blocks (first block of each list) and objects. */
export function getPath(v: Value | undefined, path: string): Value | undefined {
  let cur: Value | undefined = v;
  for (const part of path.split('.')) {
    if (Array.isArray(cur)) cur = cur.find(isObject);
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Every value at a dotted path, walking every element of block lists. */
export function getAll(v: Value | undefined, path: string): Value[] {
  let cur: Value[] = v === undefined ? [] : [v];
  for (const part of path.split('.')) {
    const next: Value[] = [];
    for (const c of cur) {
      const items = Array.isArray(c) ? c : [c];
      for (const it of items) if (isObject(it) && it[part] !== undefined) next.push(it[part]!);
    }
    cur = next;
  }
  return cur.flatMap((x) => (Array.isArray(x) && x.every(isObject) && x.length > 0 ? x : [x]));
}

export function textOf(v: Value | undefined): string {
  if (v instanceof Unknown) return v.text;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
