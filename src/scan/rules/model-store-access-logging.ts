import type { ScanContext } from '../context.js';
import { blockList, firstBlock, getAll, getPath, strings, type Cite } from '../facts.js';
import { Unknown, type Value } from '../hcl/value.js';
import { modelStores } from '../stores.js';
import type { Resource } from '../types.js';
import { hcl, IMP_FAMILY, type RawFinding, type Rule } from './rule.js';

export interface AuditRecord {
  what: string;
  cite: Cite;
  /** Where the records land, when that is a bucket or account in the tree. */
  destinations: Resource[];
  /** Destination named but not in the tree. */
  destinationText?: string;
}

function txt(v: Value | undefined): string {
  return v instanceof Unknown ? v.text : String(v ?? '');
}

function trailCovers(ctx: ScanContext, trail: Resource, s: Resource): boolean {
  for (const es of blockList(trail.attrs.event_selector)) {
    for (const dr of blockList(es.data_resource)) {
      if (dr.type !== 'AWS::S3::Object') continue;
      const values = strings(dr.values);
      if (values.some((v) => v === 'arn:aws:s3' || v === 'arn:aws:s3:::' || v === 'arn:aws:s3:::*')) return true;
      if (ctx.resolve(trail, dr.values, ['aws_s3_bucket']).includes(s)) return true;
    }
  }
  for (const adv of blockList(trail.attrs.advanced_event_selector)) {
    const fs = blockList(adv.field_selector);
    const type = fs.find((f) => f.field === 'resources.type');
    if (!type || !strings(type.equals).includes('AWS::S3::Object')) continue;
    const arn = fs.find((f) => f.field === 'resources.ARN');
    if (!arn) return true;
    if (ctx.resolve(trail, arn.starts_with ?? arn.equals, ['aws_s3_bucket']).includes(s)) return true;
  }
  return false;
}

function auditConfigCovers(r: Resource, services: string[]): boolean {
  if (!services.includes(txt(r.attrs.service)) && r.attrs.service !== 'allServices') return false;
  return blockList(r.attrs.audit_log_config).some((c) => c.log_type === 'DATA_READ');
}

function diagnosticCovers(d: Resource, categories: RegExp): boolean {
  const logs = blockList(d.attrs.enabled_log).concat(blockList(d.attrs.log).filter((l) => l.enabled !== false));
  return logs.some((l) => categories.test(txt(l.category)) || /^(audit|allLogs)$/.test(txt(l.category_group)));
}

/** What records reads of a model store: access logs, CloudTrail data events, data-access audit logs, diagnostic settings. */
export function auditRecordsOf(ctx: ScanContext, s: Resource): AuditRecord[] | undefined {
  const out: AuditRecord[] = [];
  const a = s.attrs;
  const dest = (from: Resource, v: Value | undefined, types: string[]): Pick<AuditRecord, 'destinations' | 'destinationText'> => {
    const d = ctx.resolve(from, v, types);
    return d.length ? { destinations: d } : { destinations: [], destinationText: txt(v) };
  };
  switch (s.type) {
    case 'aws_s3_bucket': {
      for (const l of ctx.referrers(s, ['aws_s3_bucket_logging'], 'bucket')) {
        out.push({ what: `server access logging to ${txt(l.attrs.target_bucket)} (${l.address})`, cite: { resource: l, line: ctx.lineOf(l, 'target_bucket') }, ...dest(l, l.attrs.target_bucket, ['aws_s3_bucket']) });
      }
      const inline = firstBlock(a.logging);
      if (inline.target_bucket !== undefined) out.push({ what: `server access logging to ${txt(inline.target_bucket)}`, cite: { resource: s, line: ctx.lineOf(s, 'logging') }, ...dest(s, inline.target_bucket, ['aws_s3_bucket']) });
      for (const t of ctx.sameRoot(s, 'aws_cloudtrail')) {
        if (trailCovers(ctx, t, s)) out.push({ what: `CloudTrail S3 data events (${t.address})`, cite: { resource: t, line: ctx.lineOf(t, t.attrs.event_selector ? 'event_selector' : 'advanced_event_selector') }, ...dest(t, t.attrs.s3_bucket_name, ['aws_s3_bucket']) });
      }
      return out;
    }
    case 'google_storage_bucket': {
      const lg = firstBlock(a.logging);
      if (lg.log_bucket !== undefined) out.push({ what: `usage logs to ${txt(lg.log_bucket)}`, cite: { resource: s, line: ctx.lineOf(s, 'logging') }, ...dest(s, lg.log_bucket, ['google_storage_bucket']) });
      for (const c of ctx.ofType('google_project_iam_audit_config', 'google_folder_iam_audit_config', 'google_organization_iam_audit_config')) {
        if (c.root === s.root && auditConfigCovers(c, ['storage.googleapis.com'])) {
          const sinks = ctx.sameRoot(s, 'google_logging_project_sink').filter((k) => /^storage\.googleapis\.com\//.test(txt(k.attrs.destination)));
          const dests = sinks.flatMap((k) => ctx.resolve(k, k.attrs.destination, ['google_storage_bucket']));
          out.push({ what: `Cloud Audit Logs DATA_READ for ${txt(c.attrs.service)} (${c.address})`, cite: { resource: c, line: ctx.lineOf(c, 'audit_log_config') }, destinations: dests });
        }
      }
      return out;
    }
    case 'google_artifact_registry_repository': {
      for (const c of ctx.ofType('google_project_iam_audit_config', 'google_folder_iam_audit_config', 'google_organization_iam_audit_config')) {
        if (c.root === s.root && auditConfigCovers(c, ['artifactregistry.googleapis.com'])) out.push({ what: `Cloud Audit Logs DATA_READ for ${txt(c.attrs.service)} (${c.address})`, cite: { resource: c, line: ctx.lineOf(c, 'audit_log_config') }, destinations: [] });
      }
      return out;
    }
    case 'azurerm_storage_account':
    case 'azurerm_container_registry': {
      const cats = s.type === 'azurerm_storage_account' ? /^StorageRead$/ : /^ContainerRegistryRepositoryEvents$/;
      for (const d of ctx.referrers(s, ['azurerm_monitor_diagnostic_setting'], 'target_resource_id')) {
        if (!diagnosticCovers(d, cats)) continue;
        const target = d.attrs.storage_account_id !== undefined ? dest(d, d.attrs.storage_account_id, ['azurerm_storage_account']) : { destinations: [] as Resource[] };
        out.push({ what: `diagnostic setting ${d.address} sends read logs to ${d.attrs.storage_account_id !== undefined ? txt(d.attrs.storage_account_id) : d.attrs.log_analytics_workspace_id !== undefined ? 'Log Analytics' : 'a sink'}`, cite: { resource: d, line: ctx.lineOf(d, 'enabled_log') }, ...target });
      }
      return out;
    }
    default:
      // ECR API calls are CloudTrail management events, logged by default.
      return undefined;
  }
}

export const modelStoreAccessLogging: Rule = {
  id: 'MW-IMP-006',
  name: 'model-store-access-logging',
  family: IMP_FAMILY,
  title: 'No access logging or data-access audit on a model store',
  severity: 'medium',
  rationale:
    'Without object-level read records you cannot tell whether, when or by whom weights were copied, which is the first question after a suspected theft ' +
    'and the input MirrorWatch detection needs. Bucket reads are not logged by default on any of the three clouds.',
  remediation:
    'Record every object read: S3 server access logging (`aws_s3_bucket_logging`) or CloudTrail S3 data events; GCS Data Access audit logs ' +
    '(`google_project_iam_audit_config` with `DATA_READ` for storage.googleapis.com) or bucket `logging`; Azure `azurerm_monitor_diagnostic_setting` with the `StorageRead` category.',
  attack: ['T1530', 'T1562.008'],
  fixes: {
    aws: hcl(`
      resource "aws_s3_bucket_logging" "models" {
        bucket        = aws_s3_bucket.models.id
        target_bucket = aws_s3_bucket.audit_logs.id
        target_prefix = "s3/models/"
      }
    `),
    gcp: hcl(`
      resource "google_project_iam_audit_config" "storage_reads" {
        project = var.project
        service = "storage.googleapis.com"
        audit_log_config {
          log_type = "DATA_READ"
        }
      }
    `),
    azure: hcl(`
      resource "azurerm_monitor_diagnostic_setting" "models_reads" {
        name               = "model-reads"
        target_resource_id = "\${azurerm_storage_account.models.id}/blobServices/default"
        storage_account_id = azurerm_storage_account.audit.id
        enabled_log {
          category = "StorageRead"
        }
      }
    `),
  },
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of modelStores(ctx)) {
      const recs = auditRecordsOf(ctx, s);
      if (recs === undefined || recs.length) continue;
      out.push({ resource: s, message: `no access logging or data-access audit records reads of this model store` });
    }
    return out;
  },
};

export { getAll, getPath };
