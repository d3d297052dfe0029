/**
 * MinIO audit log entries as JSON lines, the shape the audit webhook
 * (`audit_webhook`, MINIO_AUDIT_WEBHOOK_*) and Kafka (`audit_kafka`) targets
 * send: one `Entry` per S3 API call (struct in github.com/minio/pkg
 * logger/message/audit/entry.go; sample in minio/minio docs/logging/README.md).
 * Field mapping: docs/sources/minio-audit.md.
 */
import type { MwEvent, ObjectEvent } from '../../events/index.js';
import { toIsoUtc } from '../../util/time.js';
import { envelope, int, obj, outcomeOf, str } from '../shared/envelope.js';
import type { Outcome, ParseContext, RawRecord, Sample, SourceParser } from '../types.js';
import { jsonLineShare } from '../shared/detect.js';
import { perRecord, quarantine, refOf } from '../types.js';

/** MinIO API handler names (api.name) → object-event operation; everything else is 'other'. */
const OPERATIONS: Readonly<Record<string, ObjectEvent['operation']>> = {
  GetObject: 'get',
  PutObject: 'put',
  PutObjectPart: 'put',
  NewMultipartUpload: 'put',
  CompleteMultipartUpload: 'put',
  PostPolicyBucket: 'put',
  ListObjectsV1: 'list',
  ListObjectsV2: 'list',
  ListObjects: 'list',
  ListObjectVersions: 'list',
  ListBuckets: 'list',
  HeadObject: 'head',
  HeadBucket: 'head',
  CopyObject: 'copy',
  CopyObjectPart: 'copy',
  DeleteObject: 'delete',
  DeleteMultipleObjects: 'delete',
};

export function minioOperation(name: string): ObjectEvent['operation'] {
  return OPERATIONS[name] ?? 'other';
}

/** The access key from a SigV4 Authorization header: `AWS4-HMAC-SHA256 Credential=<key>/<date>/...`. */
function credentialOf(header: unknown): string | null {
  const h = str(obj(header)['Authorization']) ?? str(obj(header)['authorization']);
  const m = h ? /Credential=([^/,\s]+)\//.exec(h) : null;
  return m ? m[1]! : null;
}

/**
 * Who made the call, most human first: the IdP's name for the session
 * (OIDC `preferred_username`, LDAP `ldapUsername`), then `parentUser` (the
 * user that owns a service account or STS credential), then the access key
 * itself (older entries carry it only in requestClaims or the Authorization
 * header). Directory aliases map any of these to a person. No credential at
 * all is an anonymous request (a public bucket policy).
 */
export function minioPrincipal(o: Record<string, unknown>): string {
  const claims = obj(o['requestClaims']);
  return (
    str(claims['preferred_username']) ??
    str(claims['ldapUsername']) ??
    str(o['parentUser']) ??
    str(o['accessKey']) ??
    str(claims['accessKey']) ??
    credentialOf(o['requestHeader']) ??
    'anonymous'
  );
}

function minioRecord(r: RawRecord, ctx: ParseContext): Outcome {
  let v: unknown;
  try {
    v = JSON.parse(r.text);
  } catch (e) {
    return quarantine(r, `not valid JSON: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return quarantine(r, 'record is not a JSON object');
  const o = v as Record<string, unknown>;
  if (typeof o['time'] !== 'string') return quarantine(r, `time missing or not a string: ${JSON.stringify(o['time'] ?? null)}`);
  const time = toIsoUtc(o['time']);
  if (!time) return quarantine(r, `time is not an RFC 3339 timestamp: ${JSON.stringify(o['time'])}`);
  const apiRaw = o['api'];
  if (!apiRaw || typeof apiRaw !== 'object' || Array.isArray(apiRaw)) {
    return quarantine(r, `api missing or not an object: ${JSON.stringify(apiRaw ?? null)}`);
  }
  const api = apiRaw as Record<string, unknown>;
  const name = api['name'];
  if (typeof name !== 'string' || name.length === 0) return quarantine(r, `api.name missing or not a string: ${JSON.stringify(name ?? null)}`);
  for (const f of ['bucket', 'object'] as const) {
    if (api[f] !== undefined && api[f] !== null && typeof api[f] !== 'string') {
      return quarantine(r, `api.${f} is not a string: ${JSON.stringify(api[f])}`);
    }
  }
  const statusCode = api['statusCode'];
  if (statusCode !== undefined && statusCode !== null && !(typeof statusCode === 'number' && Number.isInteger(statusCode) && statusCode >= 100 && statusCode <= 599)) {
    return quarantine(r, `api.statusCode is not an HTTP status: ${JSON.stringify(statusCode)}`);
  }
  for (const f of ['rx', 'tx'] as const) {
    if (api[f] !== undefined && api[f] !== null && int(api[f]) === null) {
      return quarantine(r, `api.${f} is not a non-negative byte count: ${JSON.stringify(api[f])}`);
    }
  }
  const operation = minioOperation(name);
  // statusCode when present; older entries carry only the status text ("OK", "Access Denied").
  const st = outcomeOf(typeof statusCode === 'number' ? statusCode : api['status']);
  // Bytes moved in the direction of the operation: received for writes, sent otherwise.
  const bytes = operation === 'put' ? int(api['rx']) : int(api['tx']);
  const ev: MwEvent = {
    ...envelope(ctx, [refOf(r)], time, minioPrincipal(o)),
    kind: 'object',
    sourceIp: str(o['remotehost']),
    userAgent: str(o['userAgent']),
    context: null,
    provider: 'minio',
    bucket: str(api['bucket']),
    key: str(api['object']),
    operation,
    operationRaw: name,
    bytes,
    httpStatus: st.httpStatus,
    outcome: st.outcome,
    requestId: str(o['requestID']),
  };
  return { type: 'event', event: ev, records: [refOf(r)] };
}

function looksLikeAudit(o: Record<string, unknown>): boolean {
  const api = o['api'];
  if (!api || typeof api !== 'object' || typeof (api as Record<string, unknown>)['name'] !== 'string') return false;
  return 'time' in o && ('deploymentid' in o || 'remotehost' in o || 'requestID' in o);
}

function detect(sample: Sample): number {
  const { share } = jsonLineShare(sample, looksLikeAudit);
  // api.name with deploymentid/remotehost is MinIO's own shape: one such line is strong evidence.
  return share === 0 ? 0 : 0.5 + 0.45 * share;
}

export const minioAuditParser: SourceParser = {
  format: 'minio-audit',
  description: 'MinIO audit log entries (audit webhook / Kafka target) as JSON lines',
  framing: 'lines',
  detect,
  parse: perRecord((r, ctx) => {
    try {
      return minioRecord(r, ctx);
    } catch (e) {
      return quarantine(r, `unparseable MinIO audit entry: ${(e as Error).message}`);
    }
  }),
};
