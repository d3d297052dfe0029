import type { ScanContext } from '../context.js';
import { blockList, firstBlock, getPath } from '../facts.js';
import { modelStores } from '../stores.js';
import type { Resource } from '../types.js';
import { auditRecordsOf } from './model-store-access-logging.js';
import { hcl, IMP_FAMILY, type RawFinding, type Rule } from './rule.js';

export interface LockFact {
  locked: boolean;
  detail: string;
  line: number;
}

export function retentionLockOf(ctx: ScanContext, b: Resource): LockFact {
  const a = b.attrs;
  switch (b.type) {
    case 'aws_s3_bucket': {
      const legacy = firstBlock(a.object_lock_configuration);
      const enabled = a.object_lock_enabled === true || legacy.object_lock_enabled === 'Enabled';
      const cfg = ctx.referrers(b, ['aws_s3_bucket_object_lock_configuration'], 'bucket')[0];
      const mode = cfg ? getPath(cfg.attrs, 'rule.default_retention.mode') : getPath(legacy, 'rule.default_retention.mode');
      if (!enabled) return { locked: false, detail: 'object_lock_enabled is not true', line: ctx.lineOf(b, 'object_lock_enabled') };
      if (mode === 'COMPLIANCE') return { locked: true, detail: 'S3 Object Lock in COMPLIANCE mode', line: cfg ? cfg.line : ctx.lineOf(b, 'object_lock_configuration') };
      if (mode === 'GOVERNANCE') return { locked: false, detail: 'Object Lock default retention is GOVERNANCE, which holders of s3:BypassGovernanceRetention can override', line: cfg ? ctx.lineOf(cfg, 'rule') : ctx.lineOf(b, 'object_lock_configuration') };
      return { locked: false, detail: 'Object Lock is enabled but no default retention rule is set', line: ctx.lineOf(b, 'object_lock_enabled') };
    }
    case 'google_storage_bucket': {
      const rp = firstBlock(a.retention_policy);
      if (rp.is_locked === true) return { locked: true, detail: `retention policy locked (${String(rp.retention_period)} s)`, line: ctx.lineOf(b, 'retention_policy') };
      return { locked: false, detail: rp.retention_period !== undefined ? 'retention_policy is not locked (is_locked = false)' : 'no retention_policy', line: ctx.lineOf(b, 'retention_policy') };
    }
    case 'azurerm_storage_account': {
      const ip = firstBlock(a.immutability_policy);
      if (ip.state === 'Locked') return { locked: true, detail: 'account immutability policy Locked', line: ctx.lineOf(b, 'immutability_policy') };
      const containers = ctx.referrers(b, ['azurerm_storage_container'], 'storage_account_name').concat(ctx.referrers(b, ['azurerm_storage_container'], 'storage_account_id'));
      const pols = ctx.ofType('azurerm_storage_container_immutability_policy').filter((p) => p.root === b.root && ctx.resolve(p, p.attrs.storage_container_resource_manager_id, ['azurerm_storage_container']).some((c) => containers.includes(c)));
      if (pols.some((p) => p.attrs.locked === true)) return { locked: true, detail: 'container immutability policy locked', line: pols[0]!.line };
      return { locked: false, detail: 'no locked immutability policy', line: ctx.lineOf(b, 'immutability_policy') };
    }
    default:
      return { locked: true, detail: 'not evaluated', line: b.line };
  }
}

/** Buckets that receive model-store read records, with the record that sends them there. */
export function auditLogBuckets(ctx: ScanContext): Map<Resource, string[]> {
  const out = new Map<Resource, string[]>();
  for (const s of modelStores(ctx)) {
    for (const rec of auditRecordsOf(ctx, s) ?? []) {
      for (const d of rec.destinations) {
        if (!['aws_s3_bucket', 'google_storage_bucket', 'azurerm_storage_account'].includes(d.type)) continue;
        const l = out.get(d) ?? [];
        const line = `${rec.what} for ${s.address}`;
        if (!l.includes(line)) l.push(line);
        out.set(d, l);
      }
    }
  }
  for (const [d, l] of out) ctx.auditLogBuckets.set(d.id, l.join('; '));
  return out;
}

export const auditLogRetentionLock: Rule = {
  id: 'MW-IMP-007',
  name: 'audit-log-retention-lock',
  family: IMP_FAMILY,
  title: 'Audit-log bucket for a model store without retention lock',
  severity: 'medium',
  rationale:
    'An insider or attacker who can read the models can often also delete the logs that record the read. A retention lock (S3 Object Lock in COMPLIANCE mode, ' +
    'a locked GCS retention policy, a locked Azure immutability policy) keeps the access records for the investigation even against administrators.',
  remediation:
    'Lock the bucket that receives model-store access logs or audit logs: S3 `object_lock_enabled = true` with `aws_s3_bucket_object_lock_configuration` default retention in COMPLIANCE mode; ' +
    'GCS `retention_policy { is_locked = true }`; Azure a locked container immutability policy.',
  attack: ['T1070', 'T1562.008'],
  fixes: {
    aws: hcl(`
      resource "aws_s3_bucket" "audit_logs" {
        bucket              = "acme-model-audit-logs"
        object_lock_enabled = true
      }

      resource "aws_s3_bucket_object_lock_configuration" "audit_logs" {
        bucket = aws_s3_bucket.audit_logs.id
        rule {
          default_retention {
            mode = "COMPLIANCE"
            days = 400
          }
        }
      }
    `),
    gcp: hcl(`
      resource "google_storage_bucket" "audit_logs" {
        # ...
        retention_policy {
          retention_period = 34560000 # 400 days
          is_locked        = true
        }
      }
    `),
    azure: hcl(`
      resource "azurerm_storage_container_immutability_policy" "audit" {
        storage_container_resource_manager_id = azurerm_storage_container.audit.resource_manager_id
        immutability_period_in_days           = 400
        locked                                = true
      }
    `),
  },
  check(ctx) {
    const out: RawFinding[] = [];
    for (const [bucket, sources] of auditLogBuckets(ctx)) {
      const lock = retentionLockOf(ctx, bucket);
      if (lock.locked) continue;
      out.push({ resource: bucket, line: lock.line, message: `audit-log bucket without retention lock (${lock.detail}); it receives ${sources.join('; ')}`, why: `receives audit records of model stores: ${sources.join('; ')}` });
    }
    return out;
  },
};

export { blockList };
