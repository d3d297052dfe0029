/**
 * Amazon S3 server access logs: the space-delimited records S3 delivers to a
 * logging target bucket. Field positions follow the AWS S3 User Guide, "Amazon
 * S3 server access log format" (LogFormat): 17 fields up to User-Agent that
 * every record has carried since 2006, then fields AWS appended over the years
 * (Version Id, Host Id, Signature Version, Cipher Suite, Authentication Type,
 * Host Header, TLS version, Access Point ARN, aclRequired, Source region).
 * AWS warns that more fields may be appended at the end, so trailing fields
 * this parser does not know are ignored rather than rejected. Field mapping:
 * docs/sources/s3-server-access.md.
 */
import type { MwEvent, ObjectEvent } from '../../events/index.js';
import { toIsoUtc } from '../../util/time.js';
import { envelope, outcomeOf } from '../shared/envelope.js';
import type { Outcome, ParseContext, RawRecord, Sample, SourceParser } from '../types.js';
import { perRecord, quarantine, refOf } from '../types.js';

/** Field names in log order (AWS S3 User Guide, LogFormat, "Log record fields"). */
export const S3_ACCESS_FIELDS = [
  'bucketOwner',
  'bucket',
  'time',
  'remoteIp',
  'requester',
  'requestId',
  'operation',
  'key',
  'requestUri',
  'httpStatus',
  'errorCode',
  'bytesSent',
  'objectSize',
  'totalTime',
  'turnAroundTime',
  'referer',
  'userAgent',
  'versionId',
  'hostId',
  'signatureVersion',
  'cipherSuite',
  'authenticationType',
  'hostHeader',
  'tlsVersion',
  'accessPointArn',
  'aclRequired',
  'sourceRegion',
] as const;
export type S3AccessField = (typeof S3_ACCESS_FIELDS)[number];

/** Records shorter than this end before User-Agent, which S3 has always written: they are truncated. */
export const MIN_FIELDS = 17;

/**
 * Splits one record into fields. Fields are separated by spaces; Request-URI,
 * Referer and User-Agent are double-quoted (a quote inside is backslash-escaped)
 * and Time is bracketed because both may contain spaces.
 */
export function splitS3Fields(line: string): { fields: string[] } | { error: string } {
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '"') {
      let out = '';
      let j = i + 1;
      for (; j < n; j++) {
        const d = line[j];
        if (d === '\\' && j + 1 < n) {
          out += line[++j];
        } else if (d === '"') break;
        else out += d;
      }
      if (j >= n) return { error: `unterminated quoted field ${fields.length + 1} starting at column ${i + 1} (record truncated?)` };
      fields.push(out);
      i = j + 1;
    } else if (c === '[') {
      const end = line.indexOf(']', i + 1);
      if (end === -1) return { error: `unterminated bracketed field ${fields.length + 1} starting at column ${i + 1} (record truncated?)` };
      fields.push(line.slice(i, end + 1));
      i = end + 1;
    } else {
      let j = i;
      while (j < n && line[j] !== ' ' && line[j] !== '\t') j++;
      fields.push(line.slice(i, j));
      i = j;
    }
  }
  return { fields };
}

/** `-` is the log's placeholder for unknown, unavailable or not applicable. */
function val(v: string | undefined): string | null {
  return v === undefined || v === '-' || v === '' ? null : v;
}

/**
 * REST.<HTTP method>.<resource type> (and WEBSITE., BATCH., S3. for lifecycle)
 * to the object-event operation. Copy is logged twice (the PUT part as
 * REST.COPY.OBJECT, the source read as REST.COPY.OBJECT_GET); both are copies.
 */
export function s3Operation(op: string): ObjectEvent['operation'] {
  const m = /^(?:REST|WEBSITE|BATCH|S3|SOAP)\.([A-Z]+)\.([A-Z_]+)$/.exec(op);
  if (!m) return 'other';
  const [, method, resource] = m;
  if (method === 'COPY') return 'copy';
  switch (resource) {
    case 'OBJECT':
      if (method === 'GET') return 'get';
      if (method === 'PUT' || method === 'POST') return 'put';
      if (method === 'HEAD') return 'head';
      if (method === 'DELETE' || method === 'EXPIRE') return 'delete';
      return 'other';
    case 'PART':
    case 'UPLOAD':
    case 'UPLOADS':
      // Multipart upload: UploadPart (PUT.PART), Create (POST.UPLOADS), Complete (POST.UPLOAD).
      return method === 'PUT' || method === 'POST' ? 'put' : 'other';
    case 'MULTI_OBJECT_DELETE':
      return 'delete';
    case 'BUCKET':
      if (method === 'GET') return 'list';
      if (method === 'HEAD') return 'head';
      return 'other';
    case 'BUCKETVERSIONS':
      return method === 'GET' ? 'list' : 'other';
    default:
      return 'other';
  }
}

/** Keys are logged URL-encoded; decode once so they compare with CloudTrail and MinIO keys. */
function decodeKey(k: string | null): string | null {
  if (k === null) return null;
  try {
    return decodeURIComponent(k);
  } catch {
    return k;
  }
}

function intField(fields: string[], idx: number, name: S3AccessField): number | null | string {
  const v = val(fields[idx]);
  if (v === null) return null;
  if (!/^\d+$/.test(v)) return `${name} (field ${idx + 1}) is not a non-negative integer: ${JSON.stringify(v)}`;
  return Number(v);
}

function s3Record(r: RawRecord, ctx: ParseContext): Outcome {
  const split = splitS3Fields(r.text);
  if ('error' in split) return quarantine(r, split.error);
  const f = split.fields;
  if (f.length < MIN_FIELDS) {
    return quarantine(r, `only ${f.length} fields; an S3 server access record has at least ${MIN_FIELDS} (through User-Agent)`);
  }
  const rawTime = f[2]!;
  if (!rawTime.startsWith('[')) return quarantine(r, `time (field 3) is not bracketed [%d/%b/%Y:%H:%M:%S %z]: ${JSON.stringify(rawTime)}`);
  const time = toIsoUtc(rawTime);
  if (!time) return quarantine(r, `time (field 3) is not a timestamp: ${JSON.stringify(rawTime)}`);
  const operationRaw = val(f[6]);
  if (!operationRaw) return quarantine(r, 'operation (field 7) missing');
  if (!/^[A-Z0-9]+\.[A-Za-z0-9_.]+$/.test(operationRaw)) {
    return quarantine(r, `operation (field 7) is not SOAP.op, REST.METHOD.resource, WEBSITE., BATCH. or S3.: ${JSON.stringify(operationRaw)}`);
  }
  const statusRaw = val(f[9]);
  if (statusRaw !== null && !/^\d{3}$/.test(statusRaw)) {
    return quarantine(r, `httpStatus (field 10) is not a 3-digit status: ${JSON.stringify(statusRaw)}`);
  }
  const bytesSent = intField(f, 11, 'bytesSent');
  if (typeof bytesSent === 'string') return quarantine(r, bytesSent);
  const objectSize = intField(f, 12, 'objectSize');
  if (typeof objectSize === 'string') return quarantine(r, objectSize);

  const errorCode = val(f[10]);
  const st = outcomeOf(statusRaw);
  const outcome = st.httpStatus === null && errorCode ? 'failure' : st.outcome;
  const operation = s3Operation(operationRaw);
  // Bytes moved in the direction of the operation: the uploaded object's size
  // for writes (Bytes Sent is "-" for a PUT), response bytes otherwise, where
  // the spec defines "-" in Bytes Sent as zero.
  const bytes = operation === 'put' ? objectSize : (bytesSent ?? 0);
  const requester = val(f[4]);
  const principalRaw = requester === null || requester === 'Anonymous' ? 'anonymous' : requester;
  const ev: MwEvent = {
    ...envelope(ctx, [refOf(r)], time, principalRaw),
    kind: 'object',
    sourceIp: val(f[3]),
    userAgent: val(f[16]),
    context: null,
    provider: 's3',
    bucket: val(f[1]),
    key: decodeKey(val(f[7])),
    operation,
    operationRaw,
    bytes,
    httpStatus: st.httpStatus,
    outcome,
    requestId: val(f[5]),
  };
  return { type: 'event', event: ev, records: [refOf(r)] };
}

// Owner, bucket, [time], remote IP, requester, request id, then an operation
// such as REST.GET.OBJECT: no other access-log family has this shape.
const LINE_MARKER =
  /^\S+ \S+ \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] \S+ \S+ \S+ (?:REST|SOAP|WEBSITE|BATCH|S3)\.[A-Z_]+(?:\.[A-Z_]+)? \S+ (?:"|-)/;

function detect(sample: Sample): number {
  const lines = sample.lines.slice(0, 20);
  if (lines.length === 0) return 0;
  const hits = lines.filter((l) => LINE_MARKER.test(l)).length;
  if (hits === 0) return 0;
  return 0.5 + 0.47 * (hits / lines.length);
}

export const s3ServerAccessParser: SourceParser = {
  format: 's3-server-access',
  description: 'Amazon S3 server access log records (space-delimited, including the newer trailing fields)',
  framing: 'lines',
  detect,
  parse: perRecord((r, ctx) => {
    try {
      return s3Record(r, ctx);
    } catch (e) {
      return quarantine(r, `unparseable S3 server access record: ${(e as Error).message}`);
    }
  }),
};
