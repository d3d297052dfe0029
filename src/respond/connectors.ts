/**
 * Response connectors: one interface, three kinds. The gateway connector
 * calls the MirrorWatch gateway's admin API (docs/gateway.md "Admin API");
 * the storage connector writes the deny policies and commands for S3, MinIO,
 * GCS and MLflow for a responder to apply (manual); the webhook connector
 * posts the incident to a URL. Dry-run returns the planned calls unsent.
 */
import { request } from 'undici';
import type { Incident } from '../correlate/index.js';
import type { ModelEntry } from '../events/index.js';
import type { Iocs } from './collect.js';
import type { ConnectorName, ContainmentStep } from './playbook.js';

export interface ActionContext {
  incident: Incident;
  step: ContainmentStep;
  iocs: Iocs;
  models: readonly ModelEntry[];
  reason: string;
  dryRun: boolean;
}

export interface PlannedCall {
  method: string;
  url: string;
  body?: unknown;
  status?: number;
  response?: unknown;
}

export interface ActionResult {
  ok: boolean;
  /** The step is outside MirrorWatch's reach: `output` holds what to run, a responder marks it done. */
  manual: boolean;
  calls: PlannedCall[];
  output: unknown;
  error: string | null;
}

export interface Connector {
  readonly name: ConnectorName;
  execute(ctx: ActionContext): Promise<ActionResult>;
}

export interface GatewayConnectorOptions {
  /** Admin listener base URL, e.g. http://127.0.0.1:8081. */
  adminUrl: string;
  token: string;
  timeoutMs?: number;
}

async function call(c: PlannedCall, token: string, timeoutMs: number): Promise<PlannedCall> {
  const r = await request(c.url, {
    method: c.method as 'GET' | 'POST',
    headers: { authorization: `Bearer ${token}`, ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: c.body === undefined ? undefined : JSON.stringify(c.body),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await r.body.text();
  let response: unknown = text;
  try {
    response = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the record.
  }
  return { ...c, status: r.statusCode, response };
}

const errorOf = (c: PlannedCall): string => {
  const e = (c.response as { error?: { code?: string; message?: string } } | undefined)?.error;
  return `${c.method} ${c.url} answered ${c.status}${e ? `: ${e.code ?? ''} ${e.message ?? ''}`.trimEnd() : ''}`;
};

export function createGatewayConnector(o: GatewayConnectorOptions): Connector {
  const base = o.adminUrl.replace(/\/+$/, '');
  const timeoutMs = o.timeoutMs ?? 5000;
  const principalUrl = (p: string, what: string): string => `${base}/admin/principals/${encodeURIComponent(p)}/${what}`;
  return {
    name: 'gateway',
    async execute(ctx) {
      const principals = ctx.incident.principals;
      const params = ctx.step.params;
      const duration = typeof params['duration'] === 'string' ? { duration: params['duration'] } : {};
      let planned: PlannedCall[];
      const calls: PlannedCall[] = [];
      try {
        switch (ctx.step.action) {
          case 'throttle':
            planned = principals.map((p) => ({ method: 'POST', url: principalUrl(p, 'throttle'), body: { requests_per_second: params['requests_per_second'], reason: ctx.reason, ...duration } }));
            break;
          case 'output_policy':
            planned = principals.map((p) => ({ method: 'POST', url: principalUrl(p, 'output-policy'), body: { policy: params['policy'], reason: ctx.reason, ...duration } }));
            break;
          case 'freeze':
            planned = principals.map((p) => ({ method: 'POST', url: principalUrl(p, 'freeze'), body: { reason: ctx.reason, ...duration } }));
            break;
          case 'lift':
            planned = principals.map((p) => ({ method: 'POST', url: principalUrl(p, 'lift'), body: { what: typeof params['what'] === 'string' ? params['what'] : 'all' } }));
            break;
          case 'revoke_keys': {
            // The gateway knows which keys a principal holds; the IoCs add key ids seen in the logs.
            const list: PlannedCall = { method: 'GET', url: `${base}/admin/keys` };
            if (ctx.dryRun) {
              planned = [list, ...ctx.iocs.apiKeyIds.map((k) => ({ method: 'POST', url: `${base}/admin/keys/${encodeURIComponent(k)}/revoke` }))];
              break;
            }
            const listed = await call(list, o.token, timeoutMs);
            calls.push(listed);
            if (listed.status !== 200) return { ok: false, manual: false, calls, output: null, error: errorOf(listed) };
            const keys = ((listed.response as { keys?: Array<{ id: string; principal: string; revokedAt: string | null }> }).keys ?? []).filter(
              (k) => k.revokedAt === null && (principals.includes(k.principal) || ctx.iocs.apiKeyIds.includes(k.id)),
            );
            planned = keys.map((k) => ({ method: 'POST', url: `${base}/admin/keys/${encodeURIComponent(k.id)}/revoke` }));
            break;
          }
          default:
            return { ok: false, manual: false, calls, output: null, error: `gateway connector has no action ${ctx.step.action}` };
        }
        if (ctx.dryRun) return { ok: true, manual: false, calls: planned, output: { dry_run: true }, error: null };
        for (const c of planned) {
          const done = await call(c, o.token, timeoutMs);
          calls.push(done);
          if (done.status === undefined || done.status >= 300) return { ok: false, manual: false, calls, output: null, error: errorOf(done) };
        }
        const revoked = ctx.step.action === 'revoke_keys' ? calls.filter((c) => c.method === 'POST').map((c) => (c.response as { key?: { id: string } }).key?.id) : undefined;
        return { ok: true, manual: false, calls, output: revoked ? { revoked } : { principals }, error: null };
      } catch (e) {
        return { ok: false, manual: false, calls, output: null, error: `gateway admin API unreachable: ${(e as Error).message}` };
      }
    },
  };
}

/** POSIX shell single-quoting: attacker-controlled names never reach a shell unquoted. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const slug = (s: string): string => s.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'principal';

interface Location {
  scheme: 's3' | 'minio' | 'gs';
  bucket: string;
  prefix: string;
  model: string;
}

function locationsOf(ctx: ActionContext): Location[] {
  const wanted = new Set([...ctx.incident.models.map((m) => m.name), ...ctx.iocs.models]);
  const out: Location[] = [];
  for (const m of ctx.models) {
    if (!wanted.has(m.name) || !m.artifactLocation) continue;
    const r = /^(s3|minio|gs):\/\/([^/]+)\/?(.*)$/.exec(m.artifactLocation);
    if (r) out.push({ scheme: r[1] as Location['scheme'], bucket: r[2]!, prefix: r[3]!, model: m.name });
  }
  // Objects the principal read under buckets the inventory does not name are locked too.
  for (const o of ctx.iocs.objects) {
    if (!o.bucket || out.some((l) => l.bucket === o.bucket && o.key.startsWith(l.prefix))) continue;
    const prefix = o.key.includes('/') ? o.key.slice(0, o.key.lastIndexOf('/') + 1) : o.key;
    if (!out.some((l) => l.bucket === o.bucket && l.prefix === prefix)) out.push({ scheme: o.provider === 'gcs' ? 'gs' : o.provider === 'minio' ? 'minio' : 's3', bucket: o.bucket, prefix, model: '(read by the principal)' });
  }
  return out.sort((a, b) => (a.bucket + a.prefix < b.bucket + b.prefix ? -1 : 1));
}

/** S3 / MinIO / GCS deny policies for the principal on the model prefixes, and the MLflow export switch-off. */
export function storagePolicies(ctx: ActionContext): { files: Record<string, string>; commands: string[]; prefixes: string[] } {
  const p = ctx.incident.principals[0]!;
  const name = `mw-deny-${slug(p)}-${ctx.incident.id.slice(0, 8)}`;
  const locs = locationsOf(ctx);
  const files: Record<string, string> = {};
  const commands: string[] = [];
  const arn = (l: Location, suffix: string): string => `arn:aws:s3:::${l.bucket}${suffix}`;
  const arns = ctx.iocs.accessKeys.filter((a) => a.startsWith('arn:aws:'));
  if (ctx.step.action === 'deny_policy') {
    const byBucket = new Map<string, Location[]>();
    for (const l of locs.filter((x) => x.scheme !== 'gs')) byBucket.set(`${l.scheme}:${l.bucket}`, [...(byBucket.get(`${l.scheme}:${l.bucket}`) ?? []), l]);
    for (const [k, ls] of byBucket) {
      const scheme = k.slice(0, k.indexOf(':'));
      const bucket = ls[0]!.bucket;
      const objects = ls.map((l) => arn(l, `/${l.prefix}*`));
      const prefixes = ls.map((l) => `${l.prefix}*`);
      if (scheme === 's3') {
        // A bucket-policy deny wins over any allow (IAM policy evaluation logic); aws:username covers IAM users, ARNs the roles and users the directory knows.
        const statements = [
          { Sid: 'MirrorWatchDenyObjects', Effect: 'Deny', Principal: '*', Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject'], Resource: objects, Condition: { StringEquals: { 'aws:username': [p] } } },
          { Sid: 'MirrorWatchDenyList', Effect: 'Deny', Principal: '*', Action: ['s3:ListBucket', 's3:ListBucketVersions'], Resource: [arn(ls[0]!, '')], Condition: { StringEquals: { 'aws:username': [p] }, StringLike: { 's3:prefix': prefixes } } },
          ...(arns.length ? [{ Sid: 'MirrorWatchDenyArns', Effect: 'Deny', Principal: { AWS: arns }, Action: 's3:*', Resource: [arn(ls[0]!, ''), ...objects] }] : []),
        ];
        const file = `${name}-s3-${slug(bucket)}.json`;
        files[file] = JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2) + '\n';
        commands.push(`# S3 ${bucket}: merge the statements of ${file} into the bucket policy (put-bucket-policy replaces the whole policy)`);
        commands.push(`aws s3api get-bucket-policy --bucket ${shellQuote(bucket)} --query Policy --output text > current-${slug(bucket)}.json`);
        commands.push(`aws s3api put-bucket-policy --bucket ${shellQuote(bucket)} --policy file://${file}`);
      } else {
        const file = `${name}-minio-${slug(bucket)}.json`;
        files[file] = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: ['s3:*'], Resource: [arn(ls[0]!, ''), ...objects] }] }, null, 2) + '\n';
        commands.push(`mc admin policy create "$MINIO_ALIAS" ${name} ${file}`);
        commands.push(`mc admin policy attach "$MINIO_ALIAS" ${name} --user ${shellQuote(p)}`);
        for (const a of ctx.iocs.accessKeys.filter((x) => /^[A-Z0-9]{16,128}$/.test(x))) commands.push(`mc admin policy attach "$MINIO_ALIAS" ${name} --user ${shellQuote(a)}`);
      }
    }
    const gs = locs.filter((l) => l.scheme === 'gs');
    if (gs.length) {
      const file = `${name}-gcs.json`;
      const who = ctx.iocs.principals.find((x) => x.includes('@')) ?? p;
      files[file] = JSON.stringify(
        {
          displayName: `MirrorWatch deny for ${p}`,
          rules: [
            {
              denyRule: {
                deniedPrincipals: [`principal://goog/subject/${who}`],
                deniedPermissions: ['storage.googleapis.com/objects.get', 'storage.googleapis.com/objects.list', 'storage.googleapis.com/objects.create'],
                denialCondition: { title: 'model prefixes', expression: gs.map((l) => `resource.name.startsWith("projects/_/buckets/${l.bucket}/objects/${l.prefix}")`).join(' || ') },
              },
            },
          ],
        },
        null,
        2,
      ) + '\n';
      commands.push(`gcloud iam policies create ${name} --attachment-point="cloudresourcemanager.googleapis.com/projects/$GCP_PROJECT" --kind=denypolicies --policy-file=${file}`);
    }
  } else {
    for (const m of [...new Set(locs.map((l) => l.model).filter((x) => !x.startsWith('(')))]) {
      const body = JSON.stringify({ name: m, username: p, permission: 'NO_PERMISSIONS' });
      commands.push(`curl -fsS -X PATCH -u "$MLFLOW_ADMIN" -H 'content-type: application/json' "$MLFLOW_TRACKING_URI/api/2.0/mlflow/registered-models/permissions/update" -d ${shellQuote(body)}`);
    }
    commands.push(`# Also revoke the principal's access keys: ${ctx.iocs.accessKeys.length ? ctx.iocs.accessKeys.join(', ') : 'none known'} (aws iam update-access-key --status Inactive / mc admin user disable)`);
  }
  return { files, commands, prefixes: locs.map((l) => `${l.scheme}://${l.bucket}/${l.prefix}`) };
}

export function createStorageConnector(): Connector {
  return {
    name: 'storage',
    async execute(ctx) {
      const out = storagePolicies(ctx);
      // Nothing to lock is not a success: the responder must learn where the models live.
      if (ctx.step.action === 'deny_policy' && !out.prefixes.length) return { ok: false, manual: true, calls: [], output: out, error: 'no storage location is known for the incident\'s models or reads: load the model inventory (mirrorwatch reference) and run the step again' };
      return { ok: true, manual: true, calls: [], output: out, error: null };
    },
  };
}
