/**
 * Output hardening: the output policy of the caller's role applied to the
 * upstream response before it leaves the gateway. Transformations follow the
 * extraction defences in the literature and in the Adversarial Robustness
 * Toolbox (ART, art/defences/postprocessor): `Rounded` (round to k decimals),
 * `ClassLabels` (one-hot top-1), `ReverseSigmoid` (Lee et al., "Defending
 * Against NN Model Stealing Attacks Using Deceptive Perturbations", IEEE S&P
 * Workshops 2019), plus field removal and bounded noise on regressions.
 */
import { randomBytes } from 'node:crypto';
import type { GatewayProtocol, ModelConfig, OutputPolicy } from './config.js';

export type HardenResult = { ok: true; body: unknown; shape: 'known' | 'unknown'; stripped: boolean } | { ok: false; reason: string };

// ---------------------------------------------------------------------------
// numeric transforms

const EPS = 1e-6;

function isProbVector(v: unknown): v is number[] {
  if (!Array.isArray(v) || v.length < 2) return false;
  let s = 0;
  for (const x of v) {
    if (typeof x !== 'number' || !(x >= 0 && x <= 1)) return false;
    s += x;
  }
  return Math.abs(s - 1) < 1e-3;
}

function isMultiLabel(v: unknown): v is number[][] {
  return Array.isArray(v) && v.length > 0 && v.every(isProbVector);
}

function argmax(v: readonly number[]): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[b]!) b = i;
  return b;
}

/**
 * Reverse sigmoid (Lee et al. 2019, eq. 2 and 3; the same formula ART's
 * ReverseSigmoid implements): r = β·(σ(γ·σ⁻¹(y)) − ½), ŷ = normalise(y − r),
 * with y clipped to [ε, 1−ε] so σ⁻¹ stays finite and negative results
 * clipped to 0. The perturbation is largest near the confident ends, where
 * an attacker gains most from exact probabilities. Lee et al. show argmax is
 * preserved for suitable β, γ; it is not guaranteed for all, so the original
 * top-1 class is swapped back to first place if the perturbation moved it.
 */
export function reverseSigmoid(y: readonly number[], beta: number, gamma: number): number[] {
  const out = y.map((p) => {
    const c = Math.min(1 - EPS, Math.max(EPS, p));
    const logit = Math.log(c / (1 - c));
    const r = beta * (1 / (1 + Math.exp(-gamma * logit)) - 0.5);
    return Math.max(0, c - r);
  });
  let s = out.reduce((a, b) => a + b, 0);
  if (!(s > 0)) {
    out.fill(0);
    out[argmax(y)] = 1;
    s = 1;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / s;
  const want = argmax(y);
  const got = argmax(out);
  if (want !== got && out[got]! > out[want]!) {
    const t = out[want]!;
    out[want] = out[got]!;
    out[got] = t;
  }
  return out;
}

export function roundTo(x: number, k: number): number {
  const f = 10 ** k;
  return Math.round(x * f) / f;
}

function oneHot(v: readonly number[]): number[] {
  const out = new Array<number>(v.length).fill(0);
  out[argmax(v)] = 1;
  return out;
}

// Uniform noise from the OS CSPRNG: a seeded PRNG's state can be recovered from outputs and the noise subtracted.
let noisePool = Buffer.alloc(0);
let noisePos = 0;
function uniform01(): number {
  if (noisePos + 4 > noisePool.length) {
    noisePool = randomBytes(4096);
    noisePos = 0;
  }
  const u = noisePool.readUInt32LE(noisePos) / 0x1_0000_0000;
  noisePos += 4;
  return u;
}

function noisy(x: number, maxAbs: number): number {
  return x + (uniform01() * 2 - 1) * maxAbs;
}

function transformProbs(v: number[], p: OutputPolicy): number[] {
  let out = v;
  if (p.reverse_sigmoid) out = reverseSigmoid(out, p.reverse_sigmoid.beta, p.reverse_sigmoid.gamma);
  if (p.top1_only) out = oneHot(out);
  if (p.round_decimals !== null) out = out.map((x) => roundTo(x, p.round_decimals!));
  return out;
}

function transformNumber(x: number, task: ModelConfig['task'], p: OutputPolicy, isConfidence: boolean): number {
  let y = x;
  if (task === 'regression' && !isConfidence && p.regression_noise) y = noisy(y, p.regression_noise.max_abs);
  if (p.round_decimals !== null && (isConfidence || task === 'regression')) y = roundTo(y, p.round_decimals);
  return y;
}

function removeFields(o: Record<string, unknown>, remove: ReadonlySet<string>): boolean {
  let changed = false;
  for (const k of Object.keys(o)) {
    if (remove.has(k)) {
      delete o[k];
      changed = true;
    }
  }
  return changed;
}

const PRED_KEYS = ['prediction', 'predictions', 'label', 'value', 'score'];
const PROB_KEYS = ['probabilities', 'probs', 'scores'];
const CONF_KEYS = ['confidence', 'probability', 'prob'];

/** One prediction item (a row of predictions / ndarray). Returns undefined when it has no known shape. */
function transformItem(item: unknown, m: ModelConfig, p: OutputPolicy, remove: ReadonlySet<string>, strip: boolean): unknown {
  if (typeof item === 'number') return transformNumber(item, m.task, p, false);
  if (typeof item === 'string') return item;
  if (Array.isArray(item)) {
    if (isProbVector(item)) return m.task === 'classification' ? transformProbs(item, p) : item.map((x) => transformNumber(x, m.task, p, false));
    if (item.length === 1 && typeof item[0] === 'number') return [transformNumber(item[0], m.task, p, false)];
    if (item.every((x) => typeof x === 'number')) return m.task === 'regression' ? item.map((x) => transformNumber(x as number, m.task, p, false)) : undefined;
    return undefined;
  }
  if (item && typeof item === 'object') {
    const o = { ...(item as Record<string, unknown>) };
    removeFields(o, remove);
    let known = false;
    for (const k of PROB_KEYS) {
      const v = o[k];
      if (isProbVector(v)) {
        o[k] = transformProbs(v, p);
        known = true;
      } else if (isMultiLabel(v)) {
        // Multi-label (one distribution per label, as scikit-learn's multi-output predict_proba): each label hardened alone.
        o[k] = v.map((row) => transformProbs(row, p));
        known = true;
      }
    }
    for (const k of CONF_KEYS) {
      const v = o[k];
      if (typeof v === 'number') {
        // A top-1 only policy leaves no confidence to round: the caller sees the label alone.
        if (p.top1_only) delete o[k];
        else o[k] = transformNumber(v, m.task, p, true);
        known = true;
      }
    }
    for (const k of PRED_KEYS) {
      const v = o[k];
      if (typeof v === 'number') {
        o[k] = transformNumber(v, m.task, p, false);
        known = true;
      } else if (typeof v === 'string') known = true;
      else if (isProbVector(v) && m.task === 'classification') {
        o[k] = transformProbs(v, p);
        known = true;
      }
    }
    if (!known) return undefined;
    if (strip) for (const k of Object.keys(o)) if (!PRED_KEYS.includes(k)) delete o[k];
    return o;
  }
  return undefined;
}

function stripItem(item: unknown): unknown {
  if (typeof item === 'number' || typeof item === 'string') return item;
  if (item && typeof item === 'object' && !Array.isArray(item)) {
    const o = item as Record<string, unknown>;
    for (const k of PRED_KEYS) if (typeof o[k] === 'number' || typeof o[k] === 'string') return { [k]: o[k] };
  }
  return null;
}

function mapItems(items: unknown[], m: ModelConfig, p: OutputPolicy, remove: ReadonlySet<string>): unknown[] | undefined {
  const out: unknown[] = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i++) {
    const t = transformItem(items[i], m, p, remove, false);
    if (t === undefined) return undefined;
    out[i] = t;
  }
  return out;
}

/** Rows of an OIP V2 output tensor (flat `data` split by `shape`), transformed and flattened back. */
function transformV2Output(out: Record<string, unknown>, m: ModelConfig, p: OutputPolicy, remove: ReadonlySet<string>): boolean {
  const data = out['data'];
  const shape = out['shape'];
  if (!Array.isArray(data) || !Array.isArray(shape) || !data.every((x) => typeof x === 'number')) return false;
  const nums = data as number[];
  const n = typeof shape[0] === 'number' ? shape[0] : 0;
  const w = n > 0 && nums.length % n === 0 ? nums.length / n : 0;
  if (w === 0) return false;
  const rows: unknown[] = [];
  for (let i = 0; i < n; i++) rows.push(w === 1 ? nums[i] : nums.slice(i * w, (i + 1) * w));
  const t = mapItems(rows, m, p, remove);
  if (!t) return false;
  out['data'] = w === 1 ? t : (t as number[][]).flat();
  removeFields(out, remove);
  return true;
}

/** Applies a policy to a non-streaming response body (already parsed JSON). Mutates and returns it. */
export function hardenResponse(body: unknown, m: ModelConfig, p: OutputPolicy): HardenResult {
  const remove = new Set(p.remove_fields);
  const unknown = (): HardenResult => {
    if (p.on_unknown_shape === 'pass') return { ok: true, body, shape: 'unknown', stripped: false };
    if (p.on_unknown_shape === 'block') return { ok: false, reason: 'response shape not recognised' };
    return { ok: true, body: stripUnknown(body, m.protocol), shape: 'unknown', stripped: true };
  };
  if (!body || typeof body !== 'object' || Array.isArray(body)) return unknown();
  const o = body as Record<string, unknown>;
  switch (m.protocol) {
    case 'kserve-v1': {
      if (!Array.isArray(o['predictions'])) return unknown();
      const t = mapItems(o['predictions'], m, p, remove);
      if (!t) return unknown();
      removeFields(o, remove);
      o['predictions'] = t;
      return { ok: true, body: o, shape: 'known', stripped: false };
    }
    case 'seldon-v1': {
      const d = o['data'];
      if (!d || typeof d !== 'object' || !Array.isArray((d as Record<string, unknown>)['ndarray'])) return unknown();
      const t = mapItems((d as Record<string, unknown>)['ndarray'] as unknown[], m, p, remove);
      if (!t) return unknown();
      (d as Record<string, unknown>)['ndarray'] = t;
      removeFields(o, remove);
      return { ok: true, body: o, shape: 'known', stripped: false };
    }
    case 'oip-v2': {
      const outs = o['outputs'];
      if (!Array.isArray(outs) || outs.length === 0) return unknown();
      const kept = outs.filter((x) => !(x && typeof x === 'object' && remove.has(String((x as Record<string, unknown>)['name']))));
      for (const x of kept) if (!x || typeof x !== 'object' || !transformV2Output(x as Record<string, unknown>, m, p, remove)) return unknown();
      o['outputs'] = kept;
      removeFields(o, remove);
      return { ok: true, body: o, shape: 'known', stripped: false };
    }
    case 'openai':
      return hardenOpenAi(o, p, remove) ? { ok: true, body: o, shape: 'known', stripped: false } : unknown();
  }
}

function stripUnknown(body: unknown, protocol: GatewayProtocol): unknown {
  const o = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  switch (protocol) {
    case 'kserve-v1':
      return { predictions: Array.isArray(o['predictions']) ? o['predictions'].map(stripItem) : [] };
    case 'seldon-v1': {
      const d = o['data'] as Record<string, unknown> | undefined;
      return { data: { ndarray: d && Array.isArray(d['ndarray']) ? d['ndarray'].map(stripItem) : [] } };
    }
    case 'oip-v2':
      return { model_name: o['model_name'] ?? null, outputs: [] };
    case 'openai':
      return { id: o['id'] ?? null, object: o['object'] ?? null, choices: [] };
  }
}

// ---------------------------------------------------------------------------
// OpenAI-compatible

function capLogprobs(lp: unknown, p: OutputPolicy, remove: ReadonlySet<string>): unknown {
  if (remove.has('logprobs') || p.max_top_logprobs === 0) return null;
  if (!lp || typeof lp !== 'object' || p.max_top_logprobs === null) return lp;
  const o = lp as Record<string, unknown>;
  const cap = p.max_top_logprobs;
  // Chat completions: logprobs.content[].top_logprobs (array); legacy completions: logprobs.top_logprobs[] (objects).
  if (Array.isArray(o['content'])) {
    for (const tok of o['content']) {
      if (tok && typeof tok === 'object' && Array.isArray((tok as Record<string, unknown>)['top_logprobs'])) {
        (tok as Record<string, unknown>)['top_logprobs'] = ((tok as Record<string, unknown>)['top_logprobs'] as unknown[]).slice(0, cap);
      }
    }
  }
  if (Array.isArray(o['top_logprobs'])) {
    o['top_logprobs'] = o['top_logprobs'].map((t) => {
      if (!t || typeof t !== 'object' || Array.isArray(t)) return t;
      const entries = Object.entries(t as Record<string, number>).sort((a, b) => b[1] - a[1]).slice(0, cap);
      return Object.fromEntries(entries);
    });
  }
  return o;
}

function hardenOpenAi(o: Record<string, unknown>, p: OutputPolicy, remove: ReadonlySet<string>): boolean {
  if (Array.isArray(o['choices'])) {
    for (const c of o['choices']) {
      if (!c || typeof c !== 'object') return false;
      const ch = c as Record<string, unknown>;
      if ('logprobs' in ch) ch['logprobs'] = capLogprobs(ch['logprobs'], p, remove);
      removeFields(ch, new Set([...remove].filter((k) => k !== 'logprobs')));
    }
    removeFields(o, remove);
    return true;
  }
  if (o['object'] === 'list' && Array.isArray(o['data'])) {
    // Embeddings: rounding is the only transformation that applies to raw vectors.
    for (const d of o['data']) {
      if (!d || typeof d !== 'object') return false;
      const e = (d as Record<string, unknown>)['embedding'];
      if (Array.isArray(e) && p.round_decimals !== null) (d as Record<string, unknown>)['embedding'] = e.map((x) => (typeof x === 'number' ? roundTo(x, p.round_decimals!) : x));
      // `encoding_format: base64` (the official client's default): little-endian float32s; unrounded they would bypass the policy.
      if (typeof e === 'string' && p.round_decimals !== null) {
        const raw = Buffer.from(e, 'base64');
        if (raw.length % 4 !== 0) return false;
        const v = new Float32Array(raw.length / 4);
        for (let i = 0; i < v.length; i++) v[i] = roundTo(raw.readFloatLE(i * 4), p.round_decimals);
        const out = Buffer.alloc(raw.length);
        v.forEach((x, i) => out.writeFloatLE(x, i * 4));
        (d as Record<string, unknown>)['embedding'] = out.toString('base64');
      }
    }
    return true;
  }
  return false;
}

/** Request-side OpenAI policy: logit_bias refusal and top_logprobs clamp. Returns a refusal reason or null. */
export function hardenOpenAiRequest(body: Record<string, unknown>, p: OutputPolicy): string | null {
  if (!p.allow_logit_bias && body['logit_bias'] != null) return 'logit_bias is not allowed for this role';
  if (p.remove_fields.includes('logprobs') || p.max_top_logprobs === 0) {
    if (body['logprobs'] === true) body['logprobs'] = false;
    else if (typeof body['logprobs'] === 'number') delete body['logprobs'];
    delete body['top_logprobs'];
  } else if (p.max_top_logprobs !== null) {
    if (typeof body['top_logprobs'] === 'number' && body['top_logprobs'] > p.max_top_logprobs) body['top_logprobs'] = p.max_top_logprobs;
    // Legacy completions put the count in `logprobs` itself.
    if (typeof body['logprobs'] === 'number' && body['logprobs'] > p.max_top_logprobs) body['logprobs'] = p.max_top_logprobs;
  }
  return null;
}

/** Applies the policy to one SSE `data:` payload of a streamed OpenAI response. */
export function hardenStreamChunk(json: string, p: OutputPolicy): string {
  let o: unknown;
  try {
    o = JSON.parse(json);
  } catch {
    return json;
  }
  if (!o || typeof o !== 'object') return json;
  hardenOpenAi(o as Record<string, unknown>, p, new Set(p.remove_fields));
  return JSON.stringify(o);
}
