/**
 * KServe and Seldon Core request-logger CloudEvents: one `inference` event per
 * call, built from the logger's request event joined to its response event.
 * Field mapping, join rules and options: docs/sources/kserve-cloudevents.md.
 */
import type { InferenceEvent, RecordRef } from '../../events/index.js';
import { decodeInput, decodeOutput, decodeRequest, responseItems } from '../shared/bodies.js';
import type { DecodedRequest } from '../shared/bodies.js';
import { envelope, outcomeOf } from '../shared/envelope.js';
import type { Outcome, ParseContext, RawRecord, Sample, SourceParser } from '../types.js';
import { quarantine, refOf } from '../types.js';
import { decodeRecord } from './decode.js';
import type { CeRecord } from './decode.js';

export { CE_TYPES, decodeRecord, preciseMs } from './decode.js';
export type { CeRecord } from './decode.js';

export const FORMAT = 'kserve-cloudevents';

/** Attributes (then headers) that name the caller, in order, unless `cloudevents.identity` says otherwise. */
export const DEFAULT_IDENTITY_ATTRS = ['userid', 'user', 'principal', 'x-user-id', 'x-forwarded-user', 'x-auth-request-user'] as const;

/**
 * Events waiting for their other half. Loggers send the response within
 * milliseconds of the request, so a window this large only fills with calls
 * whose response was never logged; past it the oldest is emitted (a request,
 * unjoined) or quarantined (a response), keeping memory constant.
 */
export const DEFAULT_MAX_PENDING = 100_000;

export interface CloudEventsParserOptions {
  /** Overrides DEFAULT_MAX_PENDING (and the `cloudevents.maxPending` parser option). */
  maxPending?: number;
}

/**
 * What one half of a call keeps while it waits for the other: the few fields
 * the event needs, with the request body already decoded into instances. The
 * attribute maps and parsed bodies of the decoded record are dropped, which
 * keeps a full join buffer small.
 */
interface Half {
  ref: RecordRef;
  /** The record's own text (the string the pipeline already holds), for quarantine entries. */
  text: string;
  kind: CeRecord['kind'];
  flavour: CeRecord['flavour'];
  joinId: string;
  key: string;
  time: string | null;
  timeMs: number | null;
  bytes: number | null;
  attrModel: string | null;
  bodyModel: string | null;
  source: string | null;
  namespace: string | null;
  endpoint: string | null;
  identity: string | null;
  apiKeyId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
  attrModelVersion: string | null;
  bodyModelVersion: string | null;
  status: string | null;
  /** Request: its decoded inputs. */
  decoded?: DecodedRequest;
  /** Response: its output items and whether it reports a failure. */
  items?: unknown[];
  failed?: boolean;
}

interface Slot {
  request?: Half;
  response?: Half;
}

function identityNames(option: string | undefined): string[] {
  const names = (option ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  return names.length ? names : [...DEFAULT_IDENTITY_ATTRS];
}

/**
 * A value for one of `names` on a record: extension attributes first (CloudEvents
 * names are lower-case alphanumerics, so `x-user-id` is also tried as `xuserid`),
 * then plain HTTP headers of a capture, then the request headers KServe forwards
 * in its `metadata` extension.
 */
function lookup(ce: CeRecord, names: readonly string[]): string | null {
  for (const n of names) {
    const v = ce.attrs.get(n) ?? ce.attrs.get(n.replace(/[^a-z0-9]/g, '')) ?? ce.headers.get(n) ?? ce.metadata.get(n);
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return null;
}

/** KServe hosts are `<isvc>-<component>[-default|-canary].<namespace>…`; the component suffix is dropped. */
const COMPONENT_SUFFIX = /-(predictor|transformer|explainer)(-(default|canary|\d+))*$/;

/** Model from the `source` URI: its last path segment, else the service part of its host. */
export function modelFromSource(source: string | null | undefined): string | null {
  if (!source) return null;
  let u: URL;
  try {
    u = new URL(source);
  } catch {
    // Not a URL (`http://:8000/` from Seldon's executor, or a URI reference): its path only.
    const seg = source.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split('/').filter(Boolean).pop();
    return seg ?? null;
  }
  const seg = u.pathname.split('/').filter(Boolean).pop();
  if (seg) return decodeURIComponent(seg).replace(/:(predict|infer|explain)$/, '');
  const host = u.hostname;
  if (!host || host === 'localhost' || /^[\d.]+$/.test(host) || host.startsWith('[')) return null;
  const label = host.split('.')[0]!.replace(COMPONENT_SUFFIX, '');
  return label || null;
}

function bodyField(body: unknown, key: string): string | null {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const v = (body as Record<string, unknown>)[key];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return null;
}

/** Whether a logged response body reports a failed prediction (KServe `{"error"}`, Seldon `status.status: FAILURE`). */
function responseFailed(body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const o = body as Record<string, unknown>;
  if (typeof o['error'] === 'string' && o['predictions'] === undefined && o['outputs'] === undefined) return true;
  const st = o['status'];
  if (st && typeof st === 'object') {
    const s = st as Record<string, unknown>;
    if (typeof s['status'] === 'string' && s['status'].toUpperCase() === 'FAILURE') return true;
  }
  return false;
}

function firstHop(v: string | null): string | null {
  if (v === null) return null;
  const hop = v.split(',')[0]!.trim();
  return hop.length ? hop : null;
}

function halfOf(ce: CeRecord, ctx: ParseContext, identity: readonly string[]): Half {
  const body = ce.body.kind === 'none' ? undefined : ce.body.value;
  const h: Half = {
    ref: ce.ref,
    text: ce.text,
    kind: ce.kind,
    flavour: ce.flavour,
    joinId: ce.joinId,
    key: ce.key,
    time: ce.time,
    timeMs: ce.timeMs,
    bytes: ce.bytes,
    attrModel: lookup(ce, ['inferenceservicename', 'inferenceservice', 'modelid']),
    bodyModel: bodyField(body, 'model_name'),
    source: ce.attrs.get('source') ?? null,
    namespace: lookup(ce, ['namespace']),
    endpoint: lookup(ce, ['endpoint']),
    identity: lookup(ce, identity),
    apiKeyId: lookup(ce, ['apikeyid', 'x-api-key-id']),
    sourceIp: lookup(ce, ['sourceip', 'clientip']) ?? firstHop(lookup(ce, ['x-forwarded-for'])) ?? lookup(ce, ['x-real-ip']),
    // Plain headers of a capture are the logger's own (Go-http-client), never the caller's.
    userAgent: ce.attrs.get('useragent') ?? ce.metadata.get('user-agent') ?? null,
    attrModelVersion: lookup(ce, ['modelversion']),
    bodyModelVersion: bodyField(body, 'model_version'),
    status: lookup(ce, ['statuscode', 'status', 'httpstatus']),
  };
  if (ce.kind === 'request') {
    if (ce.body.kind === 'json') h.decoded = decodeRequest(ce.body.value, ctx.canonicalSmiles);
    // An opaque payload (an image, plain text) is still one instance of a call.
    else if (ce.body.kind === 'text') h.decoded = { protocol: 'unknown', inputs: [decodeInput(ce.body.value, ctx.canonicalSmiles)] };
    else h.decoded = { protocol: 'unknown', inputs: [] };
  } else {
    h.items = body === undefined ? [] : responseItems(body);
    h.failed = responseFailed(body);
  }
  return h;
}

function status(req: Half, resp: Half | undefined): { outcome: 'success' | 'failure' | 'unknown'; httpStatus: number | null } {
  const logged = resp?.status ?? req.status;
  if (logged !== null) {
    const s = outcomeOf(logged);
    if (s.outcome !== 'unknown') return s;
  }
  if (!resp) return { outcome: 'unknown', httpStatus: null };
  if (resp.failed) return { outcome: 'failure', httpStatus: null };
  // KServe's logger sends the response event only when the model answered 200 (pkg/logger/handler.go).
  return { outcome: 'success', httpStatus: req.flavour === 'kserve' ? 200 : null };
}

function build(req: Half, resp: Half | undefined, ctx: ParseContext): Outcome {
  const records = resp ? [req.ref, resp.ref] : [req.ref];
  const raw = resp ? `${req.text}\n${resp.text}` : req.text;
  const fail = (reason: string): Outcome => ({ type: 'quarantine', records, reason, raw });
  const time = req.time ?? resp?.time ?? null;
  if (time === null) return fail(`no time attribute on the request (id ${req.joinId})${resp ? ' nor on its response' : ''}`);
  const model =
    req.attrModel ??
    resp?.attrModel ??
    resp?.bodyModel ??
    req.bodyModel ??
    modelFromSource(req.source) ??
    modelFromSource(resp?.source);
  if (model === null) {
    return fail(`no model: no inferenceservicename or modelid attribute, and source ${JSON.stringify(req.source)} names none (id ${req.joinId})`);
  }
  const namespace = req.namespace ?? resp?.namespace ?? null;
  const principalRaw = req.identity ?? resp?.identity ?? `unknown:${namespace ? `${namespace}/` : ''}${model}`;
  const decoded = req.decoded ?? { protocol: 'unknown' as const, inputs: [] };
  const st = status(req, resp);
  let latencyMs: number | null = null;
  if (resp && req.timeMs !== null && resp.timeMs !== null && resp.timeMs >= req.timeMs) {
    latencyMs = Math.round((resp.timeMs - req.timeMs) * 1000) / 1000;
  }
  const items = resp?.items;
  const env = envelope(ctx, records, time, principalRaw);
  // Fields listed one by one: a spread followed by many properties drops V8 to slow dictionary objects.
  const event: InferenceEvent = {
    id: env.id,
    time: env.time,
    principal: env.principal,
    provenance: env.provenance,
    kind: 'inference',
    sourceIp: req.sourceIp ?? resp?.sourceIp ?? null,
    userAgent: req.userAgent,
    context: null,
    model,
    modelVersion: req.attrModelVersion ?? resp?.attrModelVersion ?? resp?.bodyModelVersion ?? req.bodyModelVersion,
    endpoint: req.endpoint ?? resp?.endpoint ?? null,
    apiKeyId: req.apiKeyId ?? resp?.apiKeyId ?? null,
    protocol: decoded.protocol,
    batchSize: decoded.inputs.length,
    instances: decoded.inputs.map((input, i) => ({ input, output: items && i < items.length ? decodeOutput(items[i]) : null })),
    outcome: st.outcome,
    httpStatus: st.httpStatus,
    latencyMs,
    bytesIn: req.bytes,
    bytesOut: resp ? resp.bytes : null,
  };
  return { type: 'event', event, records };
}

function orphan(resp: Half, why = ''): Outcome {
  return {
    type: 'quarantine',
    records: [resp.ref],
    reason: `response without matching request (id ${resp.joinId})${why}`,
    raw: resp.text,
  };
}

function emit(slot: Slot, ctx: ParseContext, why: string): Outcome {
  if (slot.request) return safeBuild(slot.request, slot.response, ctx);
  return orphan(slot.response!, why);
}

function safeBuild(req: Half, resp: Half | undefined, ctx: ParseContext): Outcome {
  try {
    return build(req, resp, ctx);
  } catch (e) {
    return {
      type: 'quarantine',
      records: resp ? [req.ref, resp.ref] : [req.ref],
      reason: `cannot build the inference event: ${(e as Error).message}`,
      raw: resp ? `${req.text}\n${resp.text}` : req.text,
    };
  }
}

function decodeSafe(r: RawRecord, ctx: ParseContext, identity: readonly string[]): Half | string {
  try {
    const ce = decodeRecord(r.text, refOf(r));
    return typeof ce === 'string' ? ce : halfOf(ce, ctx, identity);
  } catch (e) {
    return `cannot decode the record: ${(e as Error).message}`;
  }
}

export function createKserveCloudEventsParser(options: CloudEventsParserOptions = {}): SourceParser {
  return {
    format: FORMAT,
    description:
      'KServe / Seldon Core request-logger CloudEvents (structured JSON lines, or HTTP captures with ce-* headers): request and response joined into one inference event',
    framing: 'lines',
    detect: detectCloudEvents,
    parse: async function* (records: AsyncIterable<RawRecord>, ctx: ParseContext): AsyncGenerator<Outcome> {
      const fromCtx = Number(ctx.options['cloudevents.maxPending']);
      const maxPending = Math.max(
        1,
        Math.floor(options.maxPending ?? (Number.isFinite(fromCtx) && fromCtx >= 1 ? fromCtx : DEFAULT_MAX_PENDING)),
      );
      const identity = identityNames(ctx.options['cloudevents.identity']);
      // Insertion-ordered, so the first key is always the oldest waiting event.
      const pending = new Map<string, Slot>();
      for await (const r of records) {
        const ce = decodeSafe(r, ctx, identity);
        if (typeof ce === 'string') {
          yield quarantine(r, ce);
          continue;
        }
        const slot = pending.get(ce.key);
        if (ce.kind === 'request') {
          if (slot?.response) {
            pending.delete(ce.key);
            yield safeBuild(ce, slot.response, ctx);
            continue;
          }
          // The same id again before any response: the earlier call stays unanswered.
          if (slot?.request) {
            pending.delete(ce.key);
            yield safeBuild(slot.request, undefined, ctx);
          }
          pending.set(ce.key, { request: ce });
        } else {
          if (slot?.request) {
            pending.delete(ce.key);
            yield safeBuild(slot.request, ce, ctx);
            continue;
          }
          if (slot?.response) {
            pending.delete(ce.key);
            yield orphan(slot.response, '; a second response with the same id followed');
          }
          pending.set(ce.key, { response: ce });
        }
        while (pending.size > maxPending) {
          const [key, oldest] = pending.entries().next().value as [string, Slot];
          pending.delete(key);
          yield emit(oldest, ctx, `; evicted from the join buffer of ${maxPending} pending events`);
        }
      }
      for (const slot of pending.values()) yield emit(slot, ctx, '');
      pending.clear();
    },
  };
}

const TYPE_MARK = /"(?:ce-)?type"\s*:\s*"(?:org\.kubeflow|io\.seldon)\.serving\.inference\.(?:request|response)"/i;

/** Share of JSON lines naming one of the four logger event types (works on truncated sample lines). */
export function detectCloudEvents(sample: Sample): number {
  let seen = 0;
  let hits = 0;
  for (const l of sample.lines.slice(0, 20)) {
    if (!l.startsWith('{')) continue;
    seen++;
    if (TYPE_MARK.test(l)) hits++;
  }
  return seen === 0 ? 0 : (hits / seen) * 0.95;
}

export const kserveCloudEventsParser: SourceParser = createKserveCloudEventsParser();
