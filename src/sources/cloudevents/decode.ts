/**
 * One line of a KServe / Seldon Core request-logger capture → one decoded
 * CloudEvent, or a quarantine reason. Two shapes are read:
 *
 * - structured mode (CloudEvents 1.0 JSON event format, §3 of the JSON
 *   format spec): context attributes and extensions are top-level members,
 *   the payload is `data` (a JSON value) or `data_base64`;
 * - binary mode as captured by an HTTP dumper (the request-logger examples
 *   of KServe and Seldon Core): `{"path","headers":{"ce-id",…},"body":"…"}`,
 *   where every context attribute is a `ce-` prefixed header (CloudEvents
 *   HTTP binding §3.1.3) and the body is the payload.
 *
 * Joining a request to its response is the parser's job (index.ts); this
 * module only reads one record.
 */
import type { RecordRef } from '../../events/index.js';
import { toIsoUtc } from '../../util/time.js';

export type CeKind = 'request' | 'response';
export type Flavour = 'kserve' | 'seldon';

/** The event types the two loggers emit (KServe pkg/logger, Seldon Core executor/logger). */
export const CE_TYPES: Readonly<Record<string, { kind: CeKind; flavour: Flavour }>> = {
  'org.kubeflow.serving.inference.request': { kind: 'request', flavour: 'kserve' },
  'org.kubeflow.serving.inference.response': { kind: 'response', flavour: 'kserve' },
  'io.seldon.serving.inference.request': { kind: 'request', flavour: 'seldon' },
  'io.seldon.serving.inference.response': { kind: 'response', flavour: 'seldon' },
};

export type Body = { kind: 'json'; value: unknown } | { kind: 'text'; value: string } | { kind: 'none' };

export interface CeRecord {
  ref: RecordRef;
  /** Original line, kept for the quarantine entry of an orphan response. */
  text: string;
  kind: CeKind;
  flavour: Flavour;
  id: string;
  /** What request and response share: Seldon's `requestid` when present, else the event `id`. */
  joinId: string;
  /** Join key: joinId plus the graph node, so two components logging one call do not cross-join. */
  key: string;
  /** ISO 8601 UTC (ms), or null when the record has no `time`. */
  time: string | null;
  /** Epoch ms with the sub-millisecond digits the logger wrote (for latency). */
  timeMs: number | null;
  /** Context and extension attributes, lower-case names, stray JSON quotes removed. */
  attrs: Map<string, string>;
  /** Plain (non `ce-`) HTTP headers of a binary-mode capture, lower-case names. */
  headers: Map<string, string>;
  /** KServe `metadata` extension: the request headers the InferenceService forwards (`logger.metadataHeaders`). */
  metadata: Map<string, string>;
  body: Body;
  /** Payload size as logged. */
  bytes: number | null;
}

/** Members of a structured event that are not attributes. */
const PAYLOAD_MEMBERS = new Set(['data', 'data_base64']);
const BASE64 = /^[A-Za-z0-9+/=_\-\s]*$/;

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Attribute values as strings. The CloudEvents SDK 0.x that older KServe
 * releases used wrote extension headers JSON-encoded (`ce-inferenceservice:
 * "iris"` with the quotes), so one level of surrounding double quotes is
 * removed.
 */
export function attrValue(v: unknown): string | null {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' && Number.isFinite(v)) s = String(v);
  else if (typeof v === 'boolean') s = String(v);
  else return null;
  s = s.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1).trim();
  return s.length ? s : null;
}

function jsonish(contentType: string | null): boolean {
  return contentType !== null && /(^|[/+])json(\s*;|$)/i.test(contentType.trim());
}

/** HTTP header values as a dumper records them: a string, or an array for repeated headers. */
function headerValue(v: unknown): string | null {
  return Array.isArray(v) ? (v.length > 0 ? attrValue(v[0]) : null) : attrValue(v);
}

/** Parses text as JSON when it looks like JSON; `text` body otherwise. */
function textBody(text: string, contentType: string | null, where: string): Body | string {
  const t = text.trim();
  if (t.length === 0) return { kind: 'none' };
  const looksJson = /^[{["]/.test(t) || /^-?\d/.test(t) || t === 'true' || t === 'false' || t === 'null';
  if (looksJson || jsonish(contentType)) {
    try {
      return { kind: 'json', value: JSON.parse(t) as unknown };
    } catch (e) {
      if (jsonish(contentType)) {
        return `${where} is not valid JSON although the content type is ${contentType} (${(e as Error).message})`;
      }
    }
  }
  return { kind: 'text', value: text };
}

/** Exact epoch ms from an RFC 3339 time, keeping the micro/nanosecond digits loggers write. */
export function preciseMs(raw: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})$/.exec(raw.trim());
  if (m) {
    const zone = m[3]!.toUpperCase() === 'Z' ? 'Z' : m[3]!.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
    const base = Date.parse(`${m[1]!.replace(/[t ]/, 'T')}${zone}`);
    if (!Number.isNaN(base)) return base + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
  }
  const iso = toIsoUtc(raw);
  return iso ? Date.parse(iso) : null;
}

function metadataMap(v: unknown): Map<string, string> | string {
  const out = new Map<string, string>();
  let o: unknown = v;
  if (typeof v === 'string') {
    if (v.trim() === '') return out;
    try {
      o = JSON.parse(v);
    } catch {
      return 'metadata extension is not a JSON object of header → values';
    }
  }
  if (!isObj(o)) return out;
  for (const [k, val] of Object.entries(o)) {
    const s = headerValue(val);
    if (s !== null) out.set(k.toLowerCase(), s);
  }
  return out;
}

interface Shape {
  attrs: Map<string, string>;
  headers: Map<string, string>;
  body: Body;
  bytes: number | null;
  metadataRaw: unknown;
}

function structured(o: Record<string, unknown>): Shape | string {
  const attrs = new Map<string, string>();
  let metadataRaw: unknown;
  for (const [k, v] of Object.entries(o)) {
    if (PAYLOAD_MEMBERS.has(k)) continue;
    const name = k.toLowerCase();
    if (name === 'metadata') {
      metadataRaw = v;
      continue;
    }
    const s = attrValue(v);
    if (s !== null) attrs.set(name, s);
  }
  const contentType = attrs.get('datacontenttype') ?? null;
  let body: Body = { kind: 'none' };
  let bytes: number | null = null;
  if (o['data_base64'] !== undefined && o['data_base64'] !== null) {
    const b64 = o['data_base64'];
    if (typeof b64 !== 'string') return `data_base64 is a ${Array.isArray(b64) ? 'array' : typeof b64}, not a base64 string`;
    if (!BASE64.test(b64)) return 'data_base64 is not valid base64';
    const buf = Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64');
    bytes = buf.length;
    const b = textBody(buf.toString('utf8'), contentType, 'data_base64 payload');
    if (typeof b === 'string') return b;
    body = b;
  } else if (o['data'] !== undefined && o['data'] !== null) {
    const d = o['data'];
    if (typeof d === 'string') {
      bytes = Buffer.byteLength(d);
      // A JSON string value is legal data; only an unmistakable JSON text is parsed.
      const t = d.trim();
      if (/^[{[]/.test(t)) {
        try {
          body = { kind: 'json', value: JSON.parse(t) as unknown };
        } catch {
          body = { kind: 'text', value: d };
        }
      } else body = { kind: 'text', value: d };
    } else {
      body = { kind: 'json', value: d };
      bytes = Buffer.byteLength(JSON.stringify(d));
    }
  }
  return { attrs, headers: new Map(), body, bytes, metadataRaw };
}

function binary(o: Record<string, unknown>): Shape | string {
  const attrs = new Map<string, string>();
  const headers = new Map<string, string>();
  let metadataRaw: unknown;
  for (const [k, v] of Object.entries(o['headers'] as Record<string, unknown>)) {
    const name = k.toLowerCase();
    if (name.startsWith('ce-')) {
      const attr = name.slice(3);
      if (attr === 'metadata') {
        metadataRaw = Array.isArray(v) ? v[0] : v;
        continue;
      }
      const s = headerValue(v);
      if (s !== null) attrs.set(attr, s);
    } else {
      const s = headerValue(v);
      if (s !== null) headers.set(name, s);
    }
  }
  // In binary mode the HTTP Content-Type is the event's datacontenttype (HTTP binding §3.1.1).
  const contentType = headers.get('content-type') ?? null;
  if (contentType && !attrs.has('datacontenttype')) attrs.set('datacontenttype', contentType);
  let body: Body = { kind: 'none' };
  let bytes: number | null = null;
  const raw = o['body'];
  if (typeof raw === 'string') {
    bytes = Buffer.byteLength(raw);
    const b = textBody(raw, contentType, 'body');
    if (typeof b === 'string') {
      // The dumper's own parse of the body (`json`) still carries the payload.
      if (isObj(o['json'])) body = { kind: 'json', value: o['json'] };
      else return b;
    } else body = b;
  } else if (raw !== undefined && raw !== null && !(isObj(raw) && Object.keys(raw).length === 0)) {
    body = { kind: 'json', value: raw };
    bytes = Buffer.byteLength(JSON.stringify(raw));
  } else if (isObj(o['json'])) {
    body = { kind: 'json', value: o['json'] };
    bytes = Buffer.byteLength(JSON.stringify(o['json']));
  }
  const cl = headers.get('content-length');
  if (cl && /^\d+$/.test(cl)) bytes = Number(cl);
  return { attrs, headers, body, bytes, metadataRaw };
}

/** True when the object is an HTTP capture of a binary-mode event rather than a structured event. */
function isHttpCapture(o: Record<string, unknown>): boolean {
  return isObj(o['headers']) && o['type'] === undefined && o['specversion'] === undefined;
}

export function decodeRecord(text: string, ref: RecordRef): CeRecord | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `not valid JSON: ${(e as Error).message}`;
  }
  if (Array.isArray(v)) return 'a JSON array (CloudEvents batch mode) is not read; write one event per line';
  if (!isObj(v)) return 'record is not a JSON object';
  const capture = isHttpCapture(v);
  const shape = capture ? binary(v) : structured(v);
  if (typeof shape === 'string') return shape;
  const { attrs } = shape;
  const where = (a: string): string => (capture ? `ce-${a} header` : `${a} attribute`);

  const typeRaw = capture ? (v['headers'] as Record<string, unknown>)['ce-type'] : v['type'];
  const type = attrs.get('type');
  if (type === undefined) {
    return typeRaw === undefined || typeRaw === null || typeRaw === ''
      ? `${where('type')} missing (required by CloudEvents)`
      : `${where('type')} is ${JSON.stringify(typeRaw)}, not a string`;
  }
  const t = CE_TYPES[type];
  if (!t) {
    return `${where('type')} "${type}" is not a KServe (org.kubeflow.serving.inference.request|response) or Seldon (io.seldon.serving.inference.request|response) inference event`;
  }
  const id = attrs.get('id');
  if (id === undefined) {
    const idRaw = capture ? (v['headers'] as Record<string, unknown>)['ce-id'] : v['id'];
    return idRaw === undefined || idRaw === null || idRaw === ''
      ? `${where('id')} missing (required by CloudEvents)`
      : `${where('id')} is ${JSON.stringify(idRaw)}, not a string`;
  }
  let time: string | null = null;
  let timeMs: number | null = null;
  const timeRaw = attrs.get('time');
  if (timeRaw !== undefined) {
    time = toIsoUtc(timeRaw);
    timeMs = time ? preciseMs(timeRaw) : null;
    if (!time || timeMs === null) return `${where('time')} "${timeRaw}" is not an RFC 3339 timestamp`;
  }
  const metadata = metadataMap(shape.metadataRaw);
  if (typeof metadata === 'string') return metadata;

  const joinId = attrs.get('requestid') ?? id;
  const node = attrs.get('component') ?? attrs.get('modelid') ?? '';
  return {
    ref,
    text,
    kind: t.kind,
    flavour: t.flavour,
    id,
    joinId,
    key: `${t.flavour}\u0000${joinId}\u0000${node}`,
    time,
    timeMs,
    attrs,
    headers: shape.headers,
    metadata,
    body: shape.body,
    bytes: shape.bytes,
  };
}
