/**
 * AWS CloudTrail records for Amazon S3 (data events such as GetObject and
 * PutObject, and S3 management events), in the shapes they are found in:
 *
 * - `cloudtrail-s3-file`: a log file as CloudTrail delivers it to the trail's
 *   bucket, `{"Records":[...]}`, pretty-printed or not, read as one document;
 * - `cloudtrail-s3`: JSON lines, each line either one record (as log shippers
 *   and EventBridge forwarders send them) or a whole `{"Records":[...]}` file
 *   (CloudTrail writes each delivered file as one minified line).
 *
 * Record fields: AWS CloudTrail User Guide, "CloudTrail record contents";
 * S3 examples: AWS S3 User Guide, "CloudTrail log file entries for Amazon S3".
 * Field mapping: docs/sources/cloudtrail-s3.md.
 *
 * One framed record, several logical records: the first inner record's
 * outcome carries the framed record's own RecordRef (so the pipeline sees the
 * framed record accounted for); every further inner record carries a ref of
 * its own, with the sha256 of its original JSON text and the line it starts
 * on (document framing) or the framed line's line and offset (line framing).
 * The pipeline counts each such ref as one more record read, so read, stored,
 * duplicates and quarantined are all counted in CloudTrail records.
 */
import type { MwEvent, ObjectEvent, RecordRef } from '../../events/index.js';
import { eventId, sha256Hex } from '../../util/hash.js';
import { toIsoUtc } from '../../util/time.js';
import { envelope, int, obj, str } from '../shared/envelope.js';
import type { Outcome, ParseContext, RawRecord, Sample, SourceParser } from '../types.js';
import { jsonLineShare } from '../shared/detect.js';
import { quarantine, refOf } from '../types.js';
import { lineLocator, scanRecords } from './records.js';

/**
 * Event ids of both CloudTrail parsers share this namespace and, when the
 * record has one, its `eventID` (unique per event, per the record contents
 * reference): the same event read from a delivered file, from a shipper's
 * JSON lines, or delivered twice (CloudTrail may deliver duplicates) is
 * stored once.
 */
const ID_NAMESPACE = 'cloudtrail-s3';

const OPERATIONS: Readonly<Record<string, ObjectEvent['operation']>> = {
  GetObject: 'get',
  PutObject: 'put',
  CreateMultipartUpload: 'put',
  UploadPart: 'put',
  CompleteMultipartUpload: 'put',
  ListObjects: 'list',
  ListObjectsV2: 'list',
  ListObjectVersions: 'list',
  ListBuckets: 'list',
  HeadObject: 'head',
  HeadBucket: 'head',
  CopyObject: 'copy',
  UploadPartCopy: 'copy',
  DeleteObject: 'delete',
  DeleteObjects: 'delete',
};

export function cloudTrailOperation(eventName: string): ObjectEvent['operation'] {
  return OPERATIONS[eventName] ?? 'other';
}

/** Identity as CloudTrail wrote it: the ARN for IAM users and assumed-role sessions, else the most specific name. */
export function principalOf(ui: Record<string, unknown>): string | null {
  const arn = str(ui['arn']);
  if (arn) return arn;
  // Unauthenticated S3 requests: {"type":"AWSAccount","principalId":"","accountId":"ANONYMOUS_PRINCIPAL"}.
  if (ui['accountId'] === 'ANONYMOUS_PRINCIPAL') return 'anonymous';
  return str(ui['userName']) ?? str(ui['principalId']) ?? str(ui['invokedBy']) ?? str(ui['accountId']);
}

/** bucket/key/ARN from `resources` when requestParameters lacks them (arn:aws:s3:::bucket/key). */
function fromResources(resources: unknown): { bucket: string | null; key: string | null } {
  if (!Array.isArray(resources)) return { bucket: null, key: null };
  for (const r of resources) {
    const arn = str(obj(r)['ARN']);
    const m = arn ? /^arn:aws[\w-]*:s3:::([^/]+)(?:\/(.+))?$/.exec(arn) : null;
    if (m?.[2]) return { bucket: m[1]!, key: m[2] };
  }
  for (const r of resources) {
    const arn = str(obj(r)['ARN']);
    const m = arn ? /^arn:aws[\w-]*:s3:::([^/]+)$/.exec(arn) : null;
    if (m) return { bucket: m[1]!, key: null };
  }
  return { bucket: null, key: null };
}

function optionalString(o: Record<string, unknown>, name: string, path: string): string | null | { error: string } {
  const v = o[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') return { error: `${path} is not a string: ${JSON.stringify(v)}` };
  return v.length ? v : null;
}

function optionalBytes(o: Record<string, unknown>, name: string): number | null | { error: string } {
  const v = o[name];
  if (v === undefined || v === null) return null;
  const n = int(v);
  if (n === null) return { error: `additionalEventData.${name} is not a non-negative number: ${JSON.stringify(v)}` };
  return n;
}

function q(ref: RecordRef, reason: string, raw: string): Outcome {
  return { type: 'quarantine', records: [ref], reason, raw };
}

/** One CloudTrail record (already parsed) → one outcome. */
function recordOutcome(value: unknown, text: string, ref: RecordRef, ctx: ParseContext): Outcome {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return q(ref, 'CloudTrail record is not a JSON object', text);
  let o = value as Record<string, unknown>;
  // EventBridge forwarders wrap the record: {"detail-type":"AWS API Call via CloudTrail","detail":{...}}.
  if (typeof o['detail-type'] === 'string' && o['detail'] && typeof o['detail'] === 'object' && !Array.isArray(o['detail'])) {
    o = o['detail'] as Record<string, unknown>;
  }
  if ('Records' in o) return q(ref, `Records is not an array: ${JSON.stringify(o['Records']).slice(0, 80)}`, text);
  const source = o['eventSource'];
  if (source !== 's3.amazonaws.com') {
    return q(ref, `not an S3 event (eventSource ${JSON.stringify(source ?? null)})`, text);
  }
  if (typeof o['eventTime'] !== 'string') return q(ref, `eventTime missing or not a string: ${JSON.stringify(o['eventTime'] ?? null)}`, text);
  const time = toIsoUtc(o['eventTime']);
  if (!time) return q(ref, `eventTime is not an ISO 8601 timestamp: ${JSON.stringify(o['eventTime'])}`, text);
  const eventName = o['eventName'];
  if (typeof eventName !== 'string' || eventName.length === 0) {
    return q(ref, `eventName missing or not a string: ${JSON.stringify(eventName ?? null)}`, text);
  }
  if (!o['userIdentity'] || typeof o['userIdentity'] !== 'object') {
    return q(ref, `userIdentity missing or not an object: ${JSON.stringify(o['userIdentity'] ?? null)}`, text);
  }
  const principal = principalOf(obj(o['userIdentity']));
  if (!principal) return q(ref, 'userIdentity has none of arn, userName, principalId, invokedBy, accountId', text);

  const rpRaw = o['requestParameters'];
  if (rpRaw !== undefined && rpRaw !== null && (typeof rpRaw !== 'object' || Array.isArray(rpRaw))) {
    return q(ref, `requestParameters is not an object: ${JSON.stringify(rpRaw).slice(0, 80)}`, text);
  }
  const rp = obj(rpRaw);
  const bucketName = optionalString(rp, 'bucketName', 'requestParameters.bucketName');
  if (bucketName && typeof bucketName === 'object') return q(ref, bucketName.error, text);
  // S3 writes `key`; S3 on Outposts examples show `Key`.
  const keyName = optionalString(rp, 'key' in rp ? 'key' : 'Key', 'requestParameters.key');
  if (keyName && typeof keyName === 'object') return q(ref, keyName.error, text);

  const aedRaw = o['additionalEventData'];
  if (aedRaw !== undefined && aedRaw !== null && (typeof aedRaw !== 'object' || Array.isArray(aedRaw))) {
    return q(ref, `additionalEventData is not an object: ${JSON.stringify(aedRaw).slice(0, 80)}`, text);
  }
  const aed = obj(aedRaw);
  const out = optionalBytes(aed, 'bytesTransferredOut');
  if (out && typeof out === 'object') return q(ref, out.error, text);
  const inb = optionalBytes(aed, 'bytesTransferredIn');
  if (inb && typeof inb === 'object') return q(ref, inb.error, text);

  const res = fromResources(o['resources']);
  const operation = cloudTrailOperation(eventName);
  const errorCode = str(o['errorCode']);
  const cloudTrailId = str(o['eventID']);
  const env = envelope(ctx, [ref], time, principal);
  env.id = eventId(ID_NAMESPACE, [cloudTrailId ? `eventID:${cloudTrailId}` : sha256Hex(text)]);
  const ev: MwEvent = {
    ...env,
    kind: 'object',
    sourceIp: str(o['sourceIPAddress']),
    userAgent: str(o['userAgent']),
    context: null,
    provider: 's3',
    bucket: (bucketName as string | null) ?? res.bucket,
    key: (keyName as string | null) ?? res.key,
    operation,
    operationRaw: eventName,
    // Bytes moved in the direction of the operation: in for writes, out otherwise.
    bytes: operation === 'put' ? (inb as number | null) : (out as number | null),
    // CloudTrail records no HTTP status; errorCode is set exactly when the call failed.
    httpStatus: null,
    outcome: errorCode ? 'failure' : 'success',
    requestId: str(o['requestID']),
  };
  // Each inner record keeps its own original text as evidence, not the whole line or file.
  return { type: 'event', event: ev, records: [ref], raw: text };
}

function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return 'not a JSON object';
  } catch (e) {
    return `not valid JSON: ${(e as Error).message}`;
  }
}

/** One framed record (a line or a whole document) → one outcome per CloudTrail record in it. */
export function expandFramed(r: RawRecord, ctx: ParseContext, framing: 'lines' | 'document'): Outcome[] {
  // Most shipped lines are single records: skip the structural scan unless the text can hold a Records array.
  const scan = r.text.includes('"Records"') || r.text.trimStart().startsWith('[') ? scanRecords(r.text) : null;
  if (!scan?.found) {
    let v: unknown;
    try {
      v = JSON.parse(r.text);
    } catch (e) {
      return [quarantine(r, `not valid JSON: ${(e as Error).message}`)];
    }
    return [recordOutcome(v, r.text, refOf(r), ctx)];
  }
  const items: Array<{ start: number; text: string; reason?: string }> = scan.elements.map((s) => ({
    start: s.start,
    text: r.text.slice(s.start, s.end),
  }));
  if (scan.tail) {
    const rest = r.text.slice(scan.tail.start);
    if (rest.trim().length > 0) items.push({ start: scan.tail.start, text: rest, reason: scan.tail.reason });
    else if (items.length === 0) return [quarantine(r, `Records: ${scan.tail.reason}`)];
  }
  if (items.length === 0) return [quarantine(r, 'Records array is empty')];
  const locate = lineLocator(r.text, r.line, r.offset);
  return items.map((item, i) => {
    let ref: RecordRef;
    if (i === 0) ref = refOf(r);
    else {
      const at = framing === 'document' ? locate(item.start) : { line: r.line, offset: r.offset };
      ref = { line: at.line, offset: at.offset, hash: sha256Hex(item.text) };
    }
    if (item.reason) {
      const where = framing === 'document' ? ` at line ${locate(item.start).line}` : '';
      return q(ref, `Records element ${i + 1}${where}: ${item.reason}`, item.text);
    }
    let v: unknown;
    try {
      v = JSON.parse(item.text);
    } catch {
      return q(ref, `Records element ${i + 1}: ${jsonError(item.text)}`, item.text);
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      return q(ref, `Records element ${i + 1} is not a JSON object: ${item.text.slice(0, 40)}`, item.text);
    }
    return recordOutcome(v, item.text, ref, ctx);
  });
}

function parseWith(framing: 'lines' | 'document'): SourceParser['parse'] {
  return async function* (records, ctx) {
    for await (const r of records) {
      let out: Outcome[];
      try {
        out = expandFramed(r, ctx, framing);
      } catch (e) {
        out = [quarantine(r, `unparseable CloudTrail input: ${(e as Error).message}`)];
      }
      yield* out;
    }
  };
}

function looksLikeRecord(o: Record<string, unknown>): boolean {
  return typeof o['eventVersion'] === 'string' && typeof o['eventSource'] === 'string' && typeof o['eventName'] === 'string';
}

function cloudTrailShaped(v: unknown): boolean {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  if (Array.isArray(o['Records'])) return o['Records'].some((x) => x && typeof x === 'object' && looksLikeRecord(x as Record<string, unknown>));
  if (typeof o['detail-type'] === 'string' && o['detail'] && typeof o['detail'] === 'object') return looksLikeRecord(o['detail'] as Record<string, unknown>);
  return looksLikeRecord(o);
}

const S3_SOURCE = /"eventSource"\s*:\s*"s3\.amazonaws\.com"/;

function detectLines(sample: Sample): number {
  const { share } = jsonLineShare(sample, cloudTrailShaped);
  if (share === 0) return 0;
  // Non-S3 CloudTrail is still CloudTrail (its records are quarantined as such), but claimed with less conviction.
  return 0.5 + (S3_SOURCE.test(sample.head) ? 0.45 : 0.2) * share;
}

function detectDocument(sample: Sample): number {
  const head = sample.head.trimStart();
  if (!head.startsWith('{') && !head.startsWith('[')) return 0;
  const first = sample.lines[0] ?? '';
  try {
    JSON.parse(first);
    // A complete JSON value on the first line: JSON lines, the line parser's job.
    return 0;
  } catch {
    /* pretty-printed, or one line longer than the sample */
  }
  const records = head.startsWith('[') || /^\{\s*"Records"\s*:\s*\[/.test(head) || /"Records"\s*:\s*\[/.test(head);
  if (!records || !/"eventVersion"\s*:/.test(head) || !/"eventSource"\s*:/.test(head)) return 0;
  return S3_SOURCE.test(head) ? 0.96 : 0.7;
}

export const cloudTrailS3Parser: SourceParser = {
  format: 'cloudtrail-s3',
  description: 'AWS CloudTrail S3 events as JSON lines: one record per line, or one {"Records":[...]} file per line',
  framing: 'lines',
  detect: detectLines,
  parse: parseWith('lines'),
};

export const cloudTrailS3FileParser: SourceParser = {
  format: 'cloudtrail-s3-file',
  description: 'AWS CloudTrail log file as delivered to the trail bucket: one {"Records":[...]} JSON document (pretty-printed or not)',
  framing: 'document',
  detect: detectDocument,
  parse: parseWith('document'),
};

export const cloudTrailParsers: readonly SourceParser[] = [cloudTrailS3Parser, cloudTrailS3FileParser];
