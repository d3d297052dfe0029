/**
 * The storage encoding of an event, shared by every store implementation.
 *
 * The envelope (id, kind, time, principal, model, provenance) becomes typed
 * columns and is not repeated in the body; the rest of the event is a compact
 * JSON body without its instances; inference instances are encoded
 * column-wise (see `EncodedInstances`) and leave out what can be derived or is
 * the usual value: the input type when every input is SMILES, the canonical
 * SMILES when RDKit returned the input unchanged, the instance hash when it is
 * the molecule hash of the canonical form, absent features and text lengths,
 * and one explanation mask for all instances when they share it. DuckDB's
 * cost of storing an event grows with its bytes (docs/store.md): schema 2's
 * body repeated the envelope (~350 of ~650 bytes) and its instances these
 * defaults and hashes (~1,000 of ~2,500 bytes for 20 molecules).
 *
 * `decodeEvent(encodeEvent(e))` deep-equals `e` (and lists its keys in the
 * same order, `instances` last) for every valid event (tested over every fixture and property-tested); bodies
 * and instances written by schemas 1 and 2 decode as before.
 */
import type { Instance, InstanceInput, InstanceOutput, MwEvent } from '../events/index.js';
import { eventModel } from '../events/index.js';
import { EXPLANATION_ORDER, moleculeHash } from '../sources/shared/bodies.js';

export interface EncodedEvent {
  id: string;
  kind: MwEvent['kind'];
  /** Event time in epoch milliseconds. */
  timeMs: number;
  principal: string;
  principalRaw: string;
  model: string | null;
  format: string;
  file: string;
  line: number;
  recordHash: string;
  /**
   * The event as JSON without `instances`, and (the usual case, `{"@":` first)
   * without the envelope the columns hold: `@` is the provenance offset, `@j`
   * the joined records. A body without `@` is the whole event.
   */
  body: string;
  /** `EncodedInstances` as JSON for inference events, else null. */
  instances: string | null;
  raw: string;
}

/**
 * Inference instances, one array per field, all of the instance count's
 * length (the store's `inference_instances` view unnests them side by side).
 * Optional fields are left out when every instance has the usual value
 * (schema 2 wrote every array).
 */
export interface EncodedInstances {
  /** Input type: 's' smiles, 'f' features, 'x' text; absent when all are smiles. */
  t?: Array<'s' | 'f' | 'x'>;
  /** SMILES as sent (smiles inputs), else null. */
  s: Array<string | null>;
  /**
   * Canonical SMILES: '' when equal to `s`, null when RDKit could not read it,
   * EMPTY_CANONICAL for an empty canonical form, else the canonical form;
   * absent when all are ''.
   */
  k?: Array<string | null>;
  /**
   * Input hash; null (or the whole array absent) where it is the molecule
   * hash of the canonical form (`moleculeHash`, a short sha256), which readers derive.
   */
  h?: Array<string | null>;
  /** Numeric features (features inputs); absent when all null. */
  f?: Array<number[] | null>;
  /** Text length (text inputs); absent when all null. */
  n?: Array<number | null>;
  /** Output: prediction, confidence, interval width. */
  p: Array<InstanceOutput['prediction']>;
  c: Array<number | null>;
  w: Array<number | null>;
  /**
   * Explanation fields: a bit mask over EXPLANATION_ORDER when the list is in
   * that order (what the shared decoder produces), else the list itself; -1
   * when the instance has no output. One number when every instance has that mask.
   */
  x: Array<number | string[]> | number;
}

const BIT = new Map<string, number>(EXPLANATION_ORDER.map((f, i) => [f, 1 << i]));
/** Explanation lists by mask, shared (decoded events are fresh objects, their arrays are copied). */
const LISTS: ReadonlyArray<readonly InstanceOutput['explanations'][number][]> = Array.from({ length: 1 << EXPLANATION_ORDER.length }, (_, m) =>
  EXPLANATION_ORDER.filter((_f, i) => m & (1 << i)),
);

function explanationMask(list: readonly string[]): number | string[] {
  let mask = 0;
  let last = -1;
  for (const f of list) {
    const b = BIT.get(f);
    // Out of order, repeated or unknown: keep the list as it is.
    if (b === undefined || b <= last) return [...list];
    last = b;
    mask |= b;
  }
  return mask;
}

/** Stands for an empty canonical form ('' means "same as the input"); NUL never occurs in SMILES. */
export const EMPTY_CANONICAL = '\u0000';

/** The hash readers derive for a SMILES input (src/sources/shared/bodies.ts). */
function derivedHash(smiles: string, canonical: string | null): string {
  return moleculeHash(canonical ?? `raw:${smiles}`);
}

export function encodeInstances(instances: readonly Instance[]): EncodedInstances {
  const n = instances.length;
  // Built with push: packed arrays serialise on JSON.stringify's fast path.
  const t: Array<'s' | 'f' | 'x'> = [];
  const s: Array<string | null> = [];
  const k: Array<string | null> = [];
  const h: Array<string | null> = [];
  const f: Array<number[] | null> = [];
  const len: Array<number | null> = [];
  const p: Array<InstanceOutput['prediction']> = [];
  const c: Array<number | null> = [];
  const w: Array<number | null> = [];
  const x: Array<number | string[]> = [];
  // Whether each optional array holds anything but its usual value.
  let anyT = false;
  let anyK = false;
  let anyH = false;
  let anyF = false;
  let anyN = false;
  let sameX = true;
  for (let i = 0; i < n; i++) {
    const { input, output } = instances[i]!;
    if (input.type === 'smiles') {
      t.push('s');
      s.push(input.smiles);
      const canonical = input.canonical;
      const kk = canonical === input.smiles ? '' : canonical === '' ? EMPTY_CANONICAL : canonical;
      if (kk !== '') anyK = true;
      k.push(kk);
      if (input.hash === derivedHash(input.smiles, canonical)) h.push(null);
      else {
        h.push(input.hash);
        anyH = true;
      }
      f.push(null);
      len.push(null);
    } else {
      anyT = anyK = anyH = true;
      t.push(input.type === 'features' ? 'f' : 'x');
      s.push(null);
      k.push(null);
      h.push(input.hash);
      if (input.type === 'features') {
        f.push(input.features);
        len.push(null);
        if (input.features !== null) anyF = true;
      } else {
        f.push(null);
        len.push(input.length);
        anyN = true;
      }
    }
    let xi: number | string[];
    if (output) {
      p.push(output.prediction);
      c.push(output.confidence);
      w.push(output.intervalWidth);
      xi = explanationMask(output.explanations);
    } else {
      p.push(null);
      c.push(null);
      w.push(null);
      xi = -1;
    }
    x.push(xi);
    if (typeof xi !== 'number' || xi !== x[0]) sameX = false;
  }
  // Key order fixed here (t, s, k, h, f, n, p, c, w, x), as schema 2 wrote it.
  const enc: Partial<EncodedInstances> = anyT ? { t, s } : { s };
  if (anyK) enc.k = k;
  if (anyH) enc.h = h;
  if (anyF) enc.f = f;
  if (anyN) enc.n = len;
  enc.p = p;
  enc.c = c;
  enc.w = w;
  enc.x = sameX && n > 0 ? (x[0] as number) : x;
  return enc as EncodedInstances;
}

export function decodeInstances(enc: EncodedInstances): Instance[] {
  const n = enc.s.length;
  const { t, k, h, f, n: len } = enc;
  const out: Instance[] = new Array(n);
  for (let i = 0; i < n; i++) {
    let input: InstanceInput;
    const ti = t ? t[i] : 's';
    if (ti === 's') {
      const smiles = enc.s[i]!;
      const ki = k ? (k[i] ?? null) : '';
      const canonical = ki === '' ? smiles : ki === EMPTY_CANONICAL ? '' : ki;
      input = { type: 'smiles', smiles, canonical, hash: h?.[i] ?? derivedHash(smiles, canonical) };
    } else if (ti === 'f') input = { type: 'features', hash: h![i]!, features: f?.[i] ?? null };
    else input = { type: 'text', hash: h![i]!, length: len![i]! };
    const x = typeof enc.x === 'number' ? enc.x : enc.x[i]!;
    const output: InstanceOutput | null =
      x === -1
        ? null
        : {
            prediction: enc.p[i]!,
            confidence: enc.c[i]!,
            intervalWidth: enc.w[i]!,
            explanations: typeof x === 'number' ? [...LISTS[x]!] : (x as InstanceOutput['explanations']),
          };
    out[i] = { input, output };
  }
  return out;
}

/** The envelope's keys, in the order every parser builds them (src/sources/shared/envelope.ts). */
const ENVELOPE_KEYS = ['id', 'time', 'principal', 'provenance', 'kind'] as const;

const PROVENANCE_KEYS = ['format', 'file', 'line', 'offset', 'recordHash', 'joined'];

function keysAre(o: object, keys: readonly string[], optionalLast: boolean): boolean {
  const got = Object.keys(o);
  if (got.length !== keys.length && !(optionalLast && got.length === keys.length - 1)) return false;
  for (let i = 0; i < got.length; i++) if (got[i] !== keys[i]) return false;
  return true;
}

/**
 * Whether the columns rebuild this event's envelope exactly (values and key
 * order): else the body keeps the whole event.
 */
function envelopeInColumns(e: MwEvent, timeMs: number): boolean {
  let i = 0;
  for (const key in e) {
    if (key !== ENVELOPE_KEYS[i]) return false;
    if (++i === ENVELOPE_KEYS.length) break;
  }
  return (
    i === ENVELOPE_KEYS.length &&
    Number.isFinite(timeMs) &&
    new Date(timeMs).toISOString() === e.time &&
    keysAre(e.principal, ['raw', 'canonical'], false) &&
    keysAre(e.provenance, PROVENANCE_KEYS, true)
  );
}

export function encodeEvent(e: MwEvent, raw: string): EncodedEvent {
  const timeMs = Date.parse(e.time);
  let body: string;
  let instances: string | null = null;
  const compact = envelopeInColumns(e, timeMs);
  // The rest of the event, in its own key order, after the provenance the columns lack.
  const { id, time, principal, provenance, kind, instances: list, ...rest } = e as MwEvent & { instances?: Instance[] };
  if (list !== undefined) instances = JSON.stringify(encodeInstances(list));
  if (compact) {
    const tail = JSON.stringify(rest);
    const head = provenance.joined ? `{"@":${provenance.offset},"@j":${JSON.stringify(provenance.joined)}` : `{"@":${provenance.offset}`;
    body = tail.length > 2 ? `${head},${tail.slice(1)}` : `${head}}`;
  } else body = e.kind === 'inference' ? JSON.stringify({ id, time, principal, provenance, kind, ...rest }) : JSON.stringify(e);
  return {
    id: e.id,
    kind: e.kind,
    timeMs,
    principal: e.principal.canonical,
    principalRaw: e.principal.raw,
    model: eventModel(e),
    format: e.provenance.format,
    file: e.provenance.file,
    line: e.provenance.line,
    recordHash: e.provenance.recordHash,
    body,
    instances,
    raw,
  };
}

/** What a store reads back to rebuild an event: the envelope columns, the body and the instances. */
export type StoredRow = Omit<EncodedEvent, 'kind' | 'model' | 'raw'> & { kind: string };

/**
 * The event from its stored row. A body that is the whole event (schemas 1
 * and 2, or an envelope the columns cannot rebuild) is read as it is; a schema
 * 1 body still holds its `instances`.
 */
export function decodeEvent(row: StoredRow): MwEvent {
  const b = JSON.parse(row.body) as Record<string, unknown>;
  let e: MwEvent;
  if ('@' in b) {
    const provenance: MwEvent['provenance'] = {
      format: row.format,
      file: row.file,
      line: row.line,
      offset: b['@'] as number,
      recordHash: row.recordHash,
    };
    if (b['@j'] !== undefined) provenance.joined = b['@j'] as NonNullable<MwEvent['provenance']['joined']>;
    const out: Record<string, unknown> = {
      id: row.id,
      time: new Date(row.timeMs).toISOString(),
      principal: { raw: row.principalRaw, canonical: row.principal },
      provenance,
      kind: row.kind,
    };
    for (const key in b) if (key !== '@' && key !== '@j') out[key] = b[key];
    e = out as MwEvent;
  } else e = b as MwEvent;
  if (row.instances !== null && e.kind === 'inference') e.instances = decodeInstances(JSON.parse(row.instances) as EncodedInstances);
  return e;
}
