/**
 * The storage encoding of an event, shared by every store implementation.
 *
 * The envelope (id, kind, time, principal, model, provenance) becomes typed
 * columns; the rest of the event is a compact JSON body without its
 * instances; inference instances are encoded column-wise (one JSON array per
 * field, see `EncodedInstances`) and leave out what can be derived: the
 * canonical SMILES when RDKit returned the input unchanged and the instance
 * hash when it is the molecule hash of the canonical form. Before this, the
 * body was the whole event (~6 KB for 20 molecules) next to the raw record,
 * and writing it was most of the cost of ingestion (docs/store.md).
 *
 * `decodeEvent(encodeEvent(e))` deep-equals `e` for every valid event (tested
 * over every fixture and property-tested).
 */
import type { Instance, InstanceInput, InstanceOutput, MwEvent } from '../events/index.js';
import { eventModel } from '../events/index.js';
import { EXPLANATION_ORDER } from '../sources/shared/bodies.js';

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
  /** The event as JSON, without `instances`. */
  body: string;
  /** `EncodedInstances` as JSON for inference events, else null. */
  instances: string | null;
  raw: string;
}

/**
 * Inference instances, one array per field, all of the instance count's
 * length (the store's `inference_instances` view unnests them side by side).
 */
export interface EncodedInstances {
  /** Input type: 's' smiles, 'f' features, 'x' text. */
  t: Array<'s' | 'f' | 'x'>;
  /** SMILES as sent (smiles inputs), else null. */
  s: Array<string | null>;
  /**
   * Canonical SMILES: '' when equal to `s`, null when RDKit could not read it,
   * EMPTY_CANONICAL for an empty canonical form, else the canonical form.
   */
  k: Array<string | null>;
  /** Input hash. */
  h: string[];
  /** Numeric features (features inputs). */
  f: Array<number[] | null>;
  /** Text length (text inputs). */
  n: Array<number | null>;
  /** Output: prediction, confidence, interval width. */
  p: Array<InstanceOutput['prediction']>;
  c: Array<number | null>;
  w: Array<number | null>;
  /**
   * Explanation fields: a bit mask over EXPLANATION_ORDER when the list is in
   * that order (what the shared decoder produces), else the list itself; -1
   * when the instance has no output.
   */
  x: Array<number | string[]>;
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

export function encodeInstances(instances: readonly Instance[]): EncodedInstances {
  // Built with push: packed arrays serialise on JSON.stringify's fast path.
  const enc: EncodedInstances = { t: [], s: [], k: [], h: [], f: [], n: [], p: [], c: [], w: [], x: [] };
  for (const { input, output } of instances) {
    if (input.type === 'smiles') {
      enc.t.push('s');
      enc.s.push(input.smiles);
      enc.k.push(input.canonical === input.smiles ? '' : input.canonical === '' ? EMPTY_CANONICAL : input.canonical);
      enc.f.push(null);
      enc.n.push(null);
    } else {
      enc.t.push(input.type === 'features' ? 'f' : 'x');
      enc.s.push(null);
      enc.k.push(null);
      enc.f.push(input.type === 'features' ? input.features : null);
      enc.n.push(input.type === 'text' ? input.length : null);
    }
    enc.h.push(input.hash);
    if (output) {
      enc.p.push(output.prediction);
      enc.c.push(output.confidence);
      enc.w.push(output.intervalWidth);
      enc.x.push(explanationMask(output.explanations));
    } else {
      enc.p.push(null);
      enc.c.push(null);
      enc.w.push(null);
      enc.x.push(-1);
    }
  }
  return enc;
}

export function decodeInstances(enc: EncodedInstances): Instance[] {
  const n = enc.t.length;
  const out: Instance[] = new Array(n);
  for (let i = 0; i < n; i++) {
    let input: InstanceInput;
    const t = enc.t[i];
    if (t === 's') {
      const smiles = enc.s[i]!;
      const k = enc.k[i] ?? null;
      const canonical = k === '' ? smiles : k === EMPTY_CANONICAL ? '' : k;
      input = { type: 'smiles', smiles, canonical, hash: enc.h[i]! };
    } else if (t === 'f') input = { type: 'features', hash: enc.h[i]!, features: enc.f[i]! };
    else input = { type: 'text', hash: enc.h[i]!, length: enc.n[i]! };
    const x = enc.x[i]!;
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

export function encodeEvent(e: MwEvent, raw: string): EncodedEvent {
  let body: string;
  let instances: string | null = null;
  if (e.kind === 'inference') {
    const { instances: list, ...rest } = e;
    body = JSON.stringify(rest);
    instances = JSON.stringify(encodeInstances(list));
  } else body = JSON.stringify(e);
  return {
    id: e.id,
    kind: e.kind,
    timeMs: Date.parse(e.time),
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

/** The event from its stored body and instances (a body that still holds `instances`, from schema 1, is read as is). */
export function decodeEvent(body: string, instances: string | null): MwEvent {
  const e = JSON.parse(body) as MwEvent;
  if (instances !== null && e.kind === 'inference') e.instances = decodeInstances(JSON.parse(instances) as EncodedInstances);
  return e;
}
