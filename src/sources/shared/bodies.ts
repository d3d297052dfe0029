/**
 * Decoding inference request and response bodies into instances, for the
 * protocols model servers speak: Seldon Core V1 (`data.ndarray`,
 * `data.tensor`), KServe V1 (`instances`, `inputs`), Open Inference Protocol
 * V2 (`inputs: [{name, shape, datatype, data}]`), OpenAI-compatible
 * (`messages`, `prompt`, `input`), and a plain JSON list. Shared by every
 * source that logs bodies and by the gateway.
 */
import type { ExplanationField, Instance, InstanceInput, InstanceOutput } from '../../events/index.js';
import { shortHash } from '../../util/hash.js';
import { LruCache } from '../../util/lru.js';

export type Protocol = 'seldon-v1' | 'kserve-v1' | 'oip-v2' | 'openai' | 'list' | 'unknown';

export interface DecodedRequest {
  protocol: Protocol;
  inputs: InstanceInput[];
}

/** Instances beyond this in one body are summarised by count only; bounds work on hostile input. */
export const MAX_INSTANCES = 10_000;
const MAX_FEATURES = 64;
const SMILES_KEYS = ['smiles', 'SMILES', 'Smiles', 'mol', 'molecule', 'canonical_smiles'];
// The SMILES alphabet (OpenSMILES): atoms, bonds, branches, ring closures, charges, isotopes, chirality.
const SMILES_CHARS = /^[A-Za-z0-9@+\-[\]()=#$%/\\.:*]+$/;

function isNumArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number');
}

export function decodeInput(value: unknown, canonical: (s: string) => string | null): InstanceInput {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    for (const k of SMILES_KEYS) {
      const s = o[k];
      if (typeof s === 'string') return smilesInput(s, canonical);
    }
  }
  // Seldon's ndarray often wraps each instance in a one-column row: [["CCO"], ["CCCCO"]].
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return decodeInput(value[0], canonical);
  if (typeof value === 'string') {
    const s = value.trim();
    if (s.length > 0 && s.length <= 2000 && SMILES_CHARS.test(s)) {
      const c = canonical(s);
      // A bare token that RDKit cannot read is more likely text than a broken molecule.
      if (c !== null) return { type: 'smiles', smiles: s, canonical: c, hash: moleculeHash(c) };
    }
    return { type: 'text', hash: shortHash(value), length: value.length };
  }
  const json = JSON.stringify(value) ?? 'null';
  return {
    type: 'features',
    hash: shortHash(json),
    features: isNumArray(value) ? value.slice(0, MAX_FEATURES) : null,
  };
}

// Hashing every instance costs more than parsing it; traffic repeats molecules, so cache.
const hashes = new LruCache<string, string>(200_000);
/**
 * The hash of a SMILES input: of its canonical form, or `raw:` and the input
 * when RDKit cannot read it. The store leaves it out when it is this (src/store/encode.ts).
 */
export function moleculeHash(key: string): string {
  let h = hashes.get(key);
  if (h === undefined) {
    h = shortHash(key);
    hashes.set(key, h);
  }
  return h;
}

// Canonical form and hash by input text, per canonicaliser (one lookup per
// instance instead of two; a request carries tens of molecules).
const identities = new WeakMap<(s: string) => string | null, LruCache<string, { canonical: string | null; hash: string }>>();

function smilesInput(smiles: string, canonical: (s: string) => string | null): InstanceInput {
  let cache = identities.get(canonical);
  if (cache === undefined) {
    cache = new LruCache(50_000);
    identities.set(canonical, cache);
  }
  let id = cache.get(smiles);
  if (id === undefined) {
    const c = canonical(smiles.trim());
    id = { canonical: c, hash: moleculeHash(c ?? `raw:${smiles}`) };
    cache.set(smiles, id);
  }
  return { type: 'smiles', smiles, canonical: id.canonical, hash: id.hash };
}

/** Splits a V2 tensor's flat data by its shape's first dimension. */
function v2Rows(input: Record<string, unknown>): unknown[] {
  const data = input['data'];
  const shape = input['shape'];
  if (!Array.isArray(data)) return [];
  if (data.length > 0 && Array.isArray(data[0])) return data;
  if (Array.isArray(shape) && typeof shape[0] === 'number' && shape[0] > 0 && data.length % shape[0] === 0) {
    const n = shape[0];
    const w = data.length / n;
    if (w === 1) return data;
    const rows: unknown[] = [];
    for (let i = 0; i < n; i++) rows.push(data.slice(i * w, (i + 1) * w));
    return rows;
  }
  return data;
}

export function decodeRequest(body: unknown, canonical: (s: string) => string | null): DecodedRequest {
  let protocol: Protocol = 'unknown';
  let items: unknown[] = [];
  if (Array.isArray(body)) {
    protocol = 'list';
    items = body;
  } else if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    const data = o['data'];
    if (data && typeof data === 'object' && !Array.isArray(data)) {
      const d = data as Record<string, unknown>;
      protocol = 'seldon-v1';
      if (Array.isArray(d['ndarray'])) items = d['ndarray'];
      else if (d['tensor'] && typeof d['tensor'] === 'object') items = v2Rows({ data: (d['tensor'] as Record<string, unknown>)['values'], shape: (d['tensor'] as Record<string, unknown>)['shape'] });
      else if (Array.isArray(d['strData'])) items = d['strData'];
    } else if (typeof o['strData'] === 'string' || o['jsonData'] !== undefined) {
      protocol = 'seldon-v1';
      items = [o['strData'] ?? o['jsonData']];
    } else if (Array.isArray(o['instances'])) {
      protocol = 'kserve-v1';
      items = o['instances'];
    } else if (Array.isArray(o['inputs']) && o['inputs'].every((x) => x && typeof x === 'object' && 'data' in (x as object))) {
      protocol = 'oip-v2';
      // One instance per row of the first input tensor (others are companions: masks, ids).
      const first = o['inputs'][0] as Record<string, unknown> | undefined;
      items = first ? v2Rows(first) : [];
    } else if (Array.isArray(o['inputs'])) {
      protocol = 'kserve-v1';
      items = o['inputs'];
    } else if (Array.isArray(o['messages'])) {
      protocol = 'openai';
      items = [o['messages'].map((m) => (m && typeof m === 'object' ? (m as Record<string, unknown>)['content'] : m)).join('\n')];
    } else if (o['prompt'] !== undefined || o['input'] !== undefined) {
      protocol = 'openai';
      const p = o['prompt'] ?? o['input'];
      items = Array.isArray(p) ? p : [p];
    }
  }
  const inputs: InstanceInput[] = [];
  const n = Math.min(items.length, MAX_INSTANCES);
  for (let i = 0; i < n; i++) inputs.push(decodeInput(items[i], canonical));
  return { protocol, inputs };
}

const EXPLANATION_KEYS: Record<string, ExplanationField | undefined> = {
  attention_weights: 'attention_weights',
  attention: 'attention_weights',
  attentions: 'attention_weights',
  feature_importance: 'feature_importance',
  feature_importances: 'feature_importance',
  shap_values: 'feature_importance',
  explanation: 'feature_importance',
  logprobs: 'logprobs',
  top_logprobs: 'logprobs',
  binding_residues: 'binding_residues',
  predicted_binding_residues: 'binding_residues',
  interval: 'prediction_interval',
  prediction_interval: 'prediction_interval',
  intervals: 'prediction_interval',
};

/** The order `decodeOutput` lists explanation fields in (the storage encoding relies on it). */
export const EXPLANATION_ORDER: readonly ExplanationField[] = ['attention_weights', 'binding_residues', 'feature_importance', 'logprobs', 'prediction_interval'];
const EXPLANATION_BIT = Object.fromEntries(EXPLANATION_ORDER.map((f, i) => [f, 1 << i])) as Record<ExplanationField, number>;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function decodeOutput(value: unknown): InstanceOutput {
  const out: InstanceOutput = { prediction: null, confidence: null, intervalWidth: null, explanations: [] };
  if (typeof value === 'number' || typeof value === 'string') {
    out.prediction = value;
    return out;
  }
  if (isNumArray(value)) {
    // Class probabilities: the top-1 class and its probability.
    let best = 0;
    for (let i = 1; i < value.length; i++) if (value[i]! > value[best]!) best = i;
    out.prediction = value.length === 1 ? value[0]! : value;
    out.confidence = value.length === 1 ? null : value[best]!;
    return out;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const p = o['prediction'] ?? o['predictions'] ?? o['value'] ?? o['label'] ?? o['score'] ?? null;
    out.prediction = typeof p === 'number' || typeof p === 'string' || isNumArray(p) ? p : null;
    out.confidence = num(o['confidence']) ?? num(o['probability']) ?? num(o['prob']) ?? null;
    if (out.confidence === null && isNumArray(o['probabilities'])) out.confidence = Math.max(...o['probabilities']);
    const iv = o['interval'] ?? o['prediction_interval'] ?? o['intervals'];
    if (isNumArray(iv) && iv.length >= 2) out.intervalWidth = Math.abs(iv[1]! - iv[0]!);
    else if (iv && typeof iv === 'object' && !Array.isArray(iv)) {
      const lo = num((iv as Record<string, unknown>)['lower']);
      const hi = num((iv as Record<string, unknown>)['upper']);
      if (lo !== null && hi !== null) out.intervalWidth = Math.abs(hi - lo);
    }
    const lo = num(o['lower']);
    const hi = num(o['upper']);
    if (out.intervalWidth === null && lo !== null && hi !== null) out.intervalWidth = Math.abs(hi - lo);
    // Fixed order (EXPLANATION_ORDER) so equal outputs serialise equally, without a sort per instance.
    let mask = 0;
    for (const k in o) {
      const f = EXPLANATION_KEYS[k];
      if (f !== undefined && o[k] != null) mask |= EXPLANATION_BIT[f];
    }
    if (mask !== 0) for (const f of EXPLANATION_ORDER) if (mask & EXPLANATION_BIT[f]) out.explanations.push(f);
  }
  return out;
}

/** Output items of a response body, in instance order. */
export function responseItems(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (!body || typeof body !== 'object') return [];
  const o = body as Record<string, unknown>;
  if (Array.isArray(o['predictions'])) return o['predictions'];
  const data = o['data'];
  if (data && typeof data === 'object' && Array.isArray((data as Record<string, unknown>)['ndarray'])) {
    return (data as Record<string, unknown>)['ndarray'] as unknown[];
  }
  if (Array.isArray(o['outputs'])) {
    const first = o['outputs'][0] as Record<string, unknown> | undefined;
    return first ? v2Rows(first) : [];
  }
  if (Array.isArray(o['choices'])) return o['choices'];
  if (Array.isArray(o['data'])) return o['data'];
  return [];
}

/** Joins decoded inputs with response items by position. */
export function instancesOf(inputs: readonly InstanceInput[], response: unknown): Instance[] {
  const items = response === undefined ? [] : responseItems(response);
  return inputs.map((input, i) => ({ input, output: i < items.length ? decodeOutput(items[i]) : null }));
}

/** Parses a JSON string field that may already be an object; undefined when absent, throws on bad JSON. */
export function jsonField(v: unknown, name: string): unknown {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch (e) {
    throw new Error(`${name} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
}
