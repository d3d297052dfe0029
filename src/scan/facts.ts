/**
 * Facts about model stores shared by the rules and the evidence report:
 * how a store is encrypted and with which key, how that key rotates, whether
 * it is versioned, who can read it, and what records its reads.
 */
import { getAll, getPath, type ScanContext } from './context.js';
import { isObject, Unknown, type Value, type ValueObject } from './hcl/value.js';
import type { Resource } from './types.js';

const o = (v: Value | undefined): ValueObject => (isObject(v) ? v : Array.isArray(v) ? (v.find(isObject) ?? {}) : {});
const list = (v: Value | undefined): ValueObject[] => (Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : []);

export interface Cite {
  resource: Resource;
  line: number;
}

// ------------------------------------------------------------------ encryption

export interface EncryptionFact {
  status: 'cmk' | 'provider-managed' | 'not-applicable';
  detail: string;
  /** Keys in the scanned tree that protect the store. */
  keys: Resource[];
  /** Key named by text but not found in the tree (external ARN, data source). */
  externalKey?: string;
  cite: Cite;
}

const KEY_TYPES = ['aws_kms_key', 'aws_kms_alias', 'google_kms_crypto_key', 'azurerm_key_vault_key', 'aws_kms_replica_key', 'aws_kms_external_key'];

function resolveKeys(ctx: ScanContext, from: Resource, v: Value | undefined): { keys: Resource[]; external?: string } {
  let keys = ctx.resolve(from, v, KEY_TYPES.concat(['aws_kms_key']));
  // An alias points at its key.
  keys = keys.flatMap((k) => (k.type === 'aws_kms_alias' ? [k, ...ctx.resolve(k, k.attrs.target_key_id, ['aws_kms_key'])] : [k]));
  const real = keys.filter((k) => k.type !== 'aws_kms_alias');
  if (real.length) return { keys: real };
  const text = v instanceof Unknown ? v.text : typeof v === 'string' ? v : undefined;
  return { keys: [], ...(text ? { external: text } : {}) };
}

function isAwsManagedKey(v: Value | undefined): boolean {
  return typeof v === 'string' && /(^|:)alias\/aws\//.test(v);
}

export function encryptionOf(ctx: ScanContext, store: Resource): EncryptionFact {
  const a = store.attrs;
  switch (store.type) {
    case 'aws_s3_bucket': {
      const configs = ctx.referrers(store, ['aws_s3_bucket_server_side_encryption_configuration'], 'bucket');
      const sources: { res: Resource; rule: ValueObject; path: string }[] = [];
      for (const c of configs) for (const rule of list(c.attrs.rule)) sources.push({ res: c, rule, path: 'rule' });
      for (const rule of list(getPath(a, 'server_side_encryption_configuration.rule'))) sources.push({ res: store, rule, path: 'server_side_encryption_configuration' });
      if (sources.length === 0) {
        return {
          status: 'provider-managed',
          detail: 'no server-side encryption configuration: S3 applies SSE-S3 (AES256) with keys Amazon owns',
          keys: [],
          cite: { resource: store, line: store.line },
        };
      }
      for (const s of sources) {
        const def = o(s.rule.apply_server_side_encryption_by_default);
        const alg = def.sse_algorithm;
        const keyV = def.kms_master_key_id;
        const cite = { resource: s.res, line: ctx.lineOf(s.res, `${s.path}.apply_server_side_encryption_by_default.sse_algorithm`) };
        if (alg === 'aws:kms' || alg === 'aws:kms:dsse' || alg instanceof Unknown) {
          if (keyV === undefined || keyV === null || keyV === '' || isAwsManagedKey(keyV)) {
            return {
              status: 'provider-managed',
              detail: `SSE-KMS (${String(alg instanceof Unknown ? alg.text : alg)}) without kms_master_key_id: the AWS managed key aws/s3, which you cannot restrict or rotate on your schedule`,
              keys: [],
              cite,
            };
          }
          const { keys, external } = resolveKeys(ctx, s.res, keyV);
          return {
            status: 'cmk',
            detail: `SSE-KMS with ${keys.length ? keys.map((k) => k.address).join(', ') : `key ${external}`} (${s.res.address})`,
            keys,
            ...(external ? { externalKey: external } : {}),
            cite: { resource: s.res, line: ctx.lineOf(s.res, `${s.path}.apply_server_side_encryption_by_default.kms_master_key_id`) },
          };
        }
      }
      return {
        status: 'provider-managed',
        detail: `sse_algorithm ${JSON.stringify(o(sources[0]!.rule.apply_server_side_encryption_by_default).sse_algorithm ?? 'AES256')}: SSE-S3 with keys Amazon owns`,
        keys: [],
        cite: { resource: sources[0]!.res, line: ctx.lineOf(sources[0]!.res, `${sources[0]!.path}.apply_server_side_encryption_by_default.sse_algorithm`) },
      };
    }
    case 'google_storage_bucket': {
      const keyV = getPath(a, 'encryption.default_kms_key_name');
      if (keyV === undefined || keyV === null || keyV === '') {
        return { status: 'provider-managed', detail: 'no encryption.default_kms_key_name: Google-managed encryption keys', keys: [], cite: { resource: store, line: store.line } };
      }
      const { keys, external } = resolveKeys(ctx, store, keyV);
      return {
        status: 'cmk',
        detail: `default_kms_key_name ${keys.length ? keys.map((k) => k.address).join(', ') : external}`,
        keys,
        ...(external ? { externalKey: external } : {}),
        cite: { resource: store, line: ctx.lineOf(store, 'encryption.default_kms_key_name') },
      };
    }
    case 'azurerm_storage_account': {
      const inline = o(a.customer_managed_key);
      const sep = ctx.referrers(store, ['azurerm_storage_account_customer_managed_key'], 'storage_account_id')[0];
      const src = Object.keys(inline).length ? { res: store, keyV: inline.key_vault_key_id ?? inline.managed_hsm_key_id, path: 'customer_managed_key' } : sep ? { res: sep, keyV: sep.attrs.key_vault_key_id ?? sep.attrs.key_name, path: 'key_vault_key_id' } : undefined;
      if (!src || src.keyV === undefined || src.keyV === null) {
        return { status: 'provider-managed', detail: 'no customer_managed_key: Microsoft-managed keys', keys: [], cite: { resource: store, line: store.line } };
      }
      const { keys, external } = resolveKeys(ctx, src.res, src.keyV);
      return {
        status: 'cmk',
        detail: `customer-managed key ${keys.length ? keys.map((k) => k.address).join(', ') : external} (${src.res.address})`,
        keys,
        ...(external ? { externalKey: external } : {}),
        cite: { resource: src.res, line: ctx.lineOf(src.res, src.path) },
      };
    }
    case 'aws_ecr_repository': {
      const enc = o(a.encryption_configuration);
      if (enc.encryption_type !== 'KMS') {
        return { status: 'provider-managed', detail: `encryption_type ${JSON.stringify(enc.encryption_type ?? 'AES256')}: keys Amazon owns`, keys: [], cite: { resource: store, line: ctx.lineOf(store, 'encryption_configuration') } };
      }
      if (enc.kms_key === undefined || enc.kms_key === null || enc.kms_key === '') {
        return { status: 'provider-managed', detail: 'encryption_type KMS without kms_key: the AWS managed key aws/ecr', keys: [], cite: { resource: store, line: ctx.lineOf(store, 'encryption_configuration') } };
      }
      const { keys, external } = resolveKeys(ctx, store, enc.kms_key);
      return { status: 'cmk', detail: `KMS key ${keys.length ? keys.map((k) => k.address).join(', ') : external}`, keys, ...(external ? { externalKey: external } : {}), cite: { resource: store, line: ctx.lineOf(store, 'encryption_configuration.kms_key') } };
    }
    case 'google_artifact_registry_repository': {
      const keyV = a.kms_key_name;
      if (keyV === undefined || keyV === null || keyV === '') return { status: 'provider-managed', detail: 'no kms_key_name: Google-managed encryption keys', keys: [], cite: { resource: store, line: store.line } };
      const { keys, external } = resolveKeys(ctx, store, keyV);
      return { status: 'cmk', detail: `kms_key_name ${keys.length ? keys.map((k) => k.address).join(', ') : external}`, keys, ...(external ? { externalKey: external } : {}), cite: { resource: store, line: ctx.lineOf(store, 'kms_key_name') } };
    }
    case 'azurerm_container_registry': {
      const enc = o(a.encryption);
      const keyV = enc.key_vault_key_id;
      if (keyV === undefined || keyV === null || enc.enabled === false) return { status: 'provider-managed', detail: 'no encryption.key_vault_key_id: Microsoft-managed keys', keys: [], cite: { resource: store, line: store.line } };
      const { keys, external } = resolveKeys(ctx, store, keyV);
      return { status: 'cmk', detail: `customer-managed key ${keys.length ? keys.map((k) => k.address).join(', ') : external}`, keys, ...(external ? { externalKey: external } : {}), cite: { resource: store, line: ctx.lineOf(store, 'encryption') } };
    }
    default:
      return { status: 'not-applicable', detail: 'not a store type', keys: [], cite: { resource: store, line: store.line } };
  }
}

// ------------------------------------------------------------------ rotation

export interface RotationFact {
  /** Days between rotations, or undefined when rotation is off. */
  days: number | undefined;
  detail: string;
  cite: Cite;
}

/** ISO 8601 durations as Azure uses them (`P90D`, `P3M`, `P1Y`, `PT12H`) → days (months as 30, years as 365). */
export function isoDurationDays(s: string): number | undefined {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(s.trim());
  if (!m || s.trim() === 'P') return undefined;
  const [, y, mo, w, d, h, mi, se] = m.map((x) => (x ? Number(x) : 0));
  return y! * 365 + mo! * 30 + w! * 7 + d! + h! / 24 + mi! / 1440 + se! / 86400;
}

export function rotationOf(ctx: ScanContext, key: Resource): RotationFact {
  const a = key.attrs;
  switch (key.type) {
    case 'aws_kms_key':
    case 'aws_kms_replica_key': {
      if (a.enable_key_rotation !== true && a.enable_key_rotation !== 'true') {
        return { days: undefined, detail: 'enable_key_rotation is not true: key material never rotates', cite: { resource: key, line: ctx.lineOf(key, 'enable_key_rotation') } };
      }
      const p = typeof a.rotation_period_in_days === 'number' ? a.rotation_period_in_days : undefined;
      // AWS KMS rotates yearly when no period is given (EnableKeyRotation: default RotationPeriodInDays 365).
      const days = p ?? 365;
      return { days, detail: p ? `rotates every ${p} days` : 'rotation enabled without rotation_period_in_days: AWS rotates every 365 days', cite: { resource: key, line: ctx.lineOf(key, p ? 'rotation_period_in_days' : 'enable_key_rotation') } };
    }
    case 'google_kms_crypto_key': {
      const p = a.rotation_period;
      const m = typeof p === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(p) : null;
      if (!m) return { days: undefined, detail: p === undefined ? 'no rotation_period: key material never rotates' : `rotation_period ${JSON.stringify(p instanceof Unknown ? p.text : p)} is not a known duration`, cite: { resource: key, line: ctx.lineOf(key, 'rotation_period') } };
      const days = Number(m[1]) / 86400;
      return { days, detail: `rotation_period ${p} (${+days.toFixed(2)} days)`, cite: { resource: key, line: ctx.lineOf(key, 'rotation_period') } };
    }
    case 'azurerm_key_vault_key': {
      const auto = o(getPath(a, 'rotation_policy.automatic'));
      const after = typeof auto.time_after_creation === 'string' ? isoDurationDays(auto.time_after_creation) : undefined;
      const expire = typeof getPath(a, 'rotation_policy.expire_after') === 'string' ? isoDurationDays(getPath(a, 'rotation_policy.expire_after') as string) : undefined;
      const before = typeof auto.time_before_expiry === 'string' ? isoDurationDays(auto.time_before_expiry) : undefined;
      const days = after ?? (expire !== undefined && before !== undefined ? expire - before : undefined);
      if (days === undefined) return { days: undefined, detail: 'no rotation_policy.automatic: the key never rotates', cite: { resource: key, line: ctx.lineOf(key, 'rotation_policy') } };
      return { days, detail: `rotation_policy rotates after ${+days.toFixed(2)} days`, cite: { resource: key, line: ctx.lineOf(key, 'rotation_policy') } };
    }
    default:
      return { days: undefined, detail: `${key.type} rotation is not evaluated`, cite: { resource: key, line: key.line } };
  }
}

// ------------------------------------------------------------------ versioning

export interface BoolFact {
  ok: boolean;
  detail: string;
  cite: Cite;
}

export function versioningOf(ctx: ScanContext, store: Resource): BoolFact | undefined {
  const a = store.attrs;
  switch (store.type) {
    case 'aws_s3_bucket': {
      const v = ctx.referrers(store, ['aws_s3_bucket_versioning'], 'bucket')[0];
      if (v) {
        const status = getPath(v.attrs, 'versioning_configuration.status');
        return { ok: status === 'Enabled', detail: `${v.address} status ${JSON.stringify(status instanceof Unknown ? status.text : status)}`, cite: { resource: v, line: ctx.lineOf(v, 'versioning_configuration.status') } };
      }
      const inline = getPath(a, 'versioning.enabled');
      if (inline !== undefined) return { ok: inline === true, detail: `versioning.enabled = ${String(inline)}`, cite: { resource: store, line: ctx.lineOf(store, 'versioning.enabled') } };
      return { ok: false, detail: 'no aws_s3_bucket_versioning for this bucket', cite: { resource: store, line: store.line } };
    }
    case 'google_storage_bucket': {
      const en = getPath(a, 'versioning.enabled');
      return { ok: en === true, detail: en === undefined ? 'no versioning block' : `versioning.enabled = ${String(en)}`, cite: { resource: store, line: ctx.lineOf(store, 'versioning.enabled') } };
    }
    case 'azurerm_storage_account': {
      const en = getPath(a, 'blob_properties.versioning_enabled');
      return { ok: en === true, detail: en === undefined ? 'blob_properties.versioning_enabled not set' : `blob_properties.versioning_enabled = ${String(en)}`, cite: { resource: store, line: ctx.lineOf(store, 'blob_properties.versioning_enabled') } };
    }
    case 'aws_ecr_repository': {
      const m = a.image_tag_mutability;
      return { ok: m === 'IMMUTABLE' || m === 'IMMUTABLE_WITH_EXCLUSION', detail: `image_tag_mutability ${JSON.stringify(m ?? 'MUTABLE')}`, cite: { resource: store, line: ctx.lineOf(store, 'image_tag_mutability') } };
    }
    case 'google_artifact_registry_repository': {
      const im = getPath(a, 'docker_config.immutable_tags');
      return { ok: im === true, detail: im === undefined ? 'docker_config.immutable_tags not set' : `docker_config.immutable_tags = ${String(im)}`, cite: { resource: store, line: ctx.lineOf(store, 'docker_config.immutable_tags') } };
    }
    default:
      return undefined;
  }
}

// ------------------------------------------------------------------ policies

export interface Statement {
  effect: string;
  principals: string[];
  /** `*` principal, as in `"Principal": "*"` or `{"AWS": "*"}`. */
  anyone: boolean;
  actions: string[];
  resources: string[];
  hasCondition: boolean;
  raw: ValueObject;
}

function strings(v: Value | undefined): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (v instanceof Unknown) return [v.text];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (isObject(v)) return Object.values(v).flatMap(strings);
  return [String(v)];
}

/** Reads IAM policy statements from a policy value: an object (jsonencode, policy document), or a JSON string. */
export function statements(v: Value | undefined): Statement[] {
  let doc: Value | undefined = v;
  if (typeof v === 'string') {
    try {
      doc = JSON.parse(v) as Value;
    } catch {
      return [];
    }
  }
  if (!isObject(doc)) return [];
  const st = doc.Statement;
  return (Array.isArray(st) ? st : isObject(st) ? [st] : []).filter(isObject).map((s) => {
    const p = s.Principal;
    const principals = p === '*' ? ['*'] : strings(p);
    const anyone = p === '*' || (isObject(p) && strings(p.AWS).includes('*')) || principals.includes('*');
    return {
      effect: String(s.Effect ?? 'Allow'),
      principals,
      anyone,
      actions: strings(s.Action),
      resources: strings(s.Resource),
      hasCondition: isObject(s.Condition) && Object.keys(s.Condition).length > 0,
      raw: s,
    };
  });
}

export const S3_READ = /^(\*|s3:\*|s3:Get\*|s3:GetObject\*?|s3:GetObjectVersion)$/i;

export { getAll, getPath, o as firstBlock, list as blockList, strings };
