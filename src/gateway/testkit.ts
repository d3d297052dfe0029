/**
 * Test and benchmark support: in-process model servers speaking each
 * protocol, backed by real small models trained at start (a softmax
 * logistic regression and a least-squares linear regression over four
 * numeric features or a hashed SMILES bit vector, and a tiny unigram
 * language model for the OpenAI routes). Not shipped behaviour.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayConfig } from './config.js';
import { validateConfig } from './config.js';
import { mulberry32 } from '../util/prng.js';

export const N_FEATURES = 4;
export const N_CLASSES = 3;

/** Deterministic PRNG (mulberry32) so the trained weights are the same in every run. */
const rng = mulberry32;

/** Features of an input: a numeric vector as is, a string (SMILES) as a hashed 4-bit-count vector. */
export function featuresOf(x: unknown): number[] {
  if (Array.isArray(x) && x.every((v) => typeof v === 'number')) return Array.from({ length: N_FEATURES }, (_, i) => (x[i] as number | undefined) ?? 0);
  const s = typeof x === 'string' ? x : Array.isArray(x) && typeof x[0] === 'string' ? x[0] : JSON.stringify(x);
  const h = createHash('sha256').update(s).digest();
  return Array.from({ length: N_FEATURES }, (_, i) => (h[i]! % 16) / 8 - 1);
}

export interface Models {
  classify(x: number[]): number[];
  regress(x: number[]): number;
  weights: { W: number[][]; b: number[]; w: number[]; c: number };
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Trains both models on a synthetic data set (gradient descent; 300 points, 200 epochs: a few ms). */
export function trainModels(seed = 7): Models {
  const r = rng(seed);
  const X: number[][] = [];
  const yc: number[] = [];
  const yr: number[] = [];
  const trueW = [
    [2, -1, 0.5, 0],
    [-1, 2, 0, 0.5],
    [0, 0, -2, 1],
  ];
  for (let i = 0; i < 300; i++) {
    const x = Array.from({ length: N_FEATURES }, () => r() * 2 - 1);
    const scores = trueW.map((w) => w.reduce((a, wj, j) => a + wj * x[j]!, 0) + (r() - 0.5) * 0.5);
    yc.push(scores.indexOf(Math.max(...scores)));
    yr.push(3 * x[0]! - 2 * x[1]! + 0.5 * x[2]! + 1 + (r() - 0.5) * 0.1);
    X.push(x);
  }
  const W = Array.from({ length: N_CLASSES }, () => new Array<number>(N_FEATURES).fill(0));
  const b = new Array<number>(N_CLASSES).fill(0);
  const w = new Array<number>(N_FEATURES).fill(0);
  let c = 0;
  const lr = 0.5;
  for (let epoch = 0; epoch < 200; epoch++) {
    const gW = W.map((row) => row.map(() => 0));
    const gb = b.map(() => 0);
    const gw = w.map(() => 0);
    let gc = 0;
    X.forEach((x, i) => {
      const p = softmax(W.map((row, k) => row.reduce((a, wj, j) => a + wj * x[j]!, b[k]!)));
      for (let k = 0; k < N_CLASSES; k++) {
        const err = p[k]! - (yc[i] === k ? 1 : 0);
        for (let j = 0; j < N_FEATURES; j++) gW[k]![j]! += err * x[j]!;
        gb[k]! += err;
      }
      const e = w.reduce((a, wj, j) => a + wj * x[j]!, c) - yr[i]!;
      for (let j = 0; j < N_FEATURES; j++) gw[j]! += e * x[j]!;
      gc += e;
    });
    const n = X.length;
    for (let k = 0; k < N_CLASSES; k++) {
      for (let j = 0; j < N_FEATURES; j++) W[k]![j]! -= (lr * gW[k]![j]!) / n;
      b[k]! -= (lr * gb[k]!) / n;
    }
    for (let j = 0; j < N_FEATURES; j++) w[j]! -= (lr * gw[j]!) / n;
    c -= (lr * gc) / n;
  }
  return {
    weights: { W, b, w, c },
    classify: (x) => softmax(W.map((row, k) => row.reduce((a, wj, j) => a + wj * x[j]!, b[k]!))),
    regress: (x) => w.reduce((a, wj, j) => a + wj * x[j]!, c),
  };
}

// ---------------------------------------------------------------------------
// A tiny unigram language model for the OpenAI routes: next-token distribution is a softmax over
// vocabulary scores shifted by the prompt's hash, so different prompts give different, real logprobs.

const VOCAB = ['the', 'molecule', 'binds', 'weakly', 'strongly', 'to', 'target', 'and', 'is', 'soluble', 'toxic', 'stable'];

function tokenDist(context: string): number[] {
  const h = createHash('sha256').update(context).digest();
  return softmax(VOCAB.map((_, i) => (h[i]! / 255) * 4));
}

interface Gen {
  tokens: Array<{ token: string; logprob: number; top: Array<{ token: string; logprob: number }> }>;
}

function generate(prompt: string, n: number, topN: number): Gen {
  const tokens: Gen['tokens'] = [];
  let ctx = prompt;
  for (let i = 0; i < n; i++) {
    const p = tokenDist(ctx);
    const order = p.map((v, k) => [v, k] as const).sort((a, b) => b[0] - a[0]);
    const [pv, k] = order[0]!;
    const top = order.slice(0, topN).map(([v, j]) => ({ token: VOCAB[j]!, logprob: Math.log(v) }));
    tokens.push({ token: VOCAB[k]!, logprob: Math.log(pv), top });
    ctx += ' ' + VOCAB[k]!;
  }
  return { tokens };
}

export function embed(text: string): number[] {
  const v = new Array<number>(8).fill(0);
  for (const w of text.split(/\s+/).filter(Boolean)) {
    const h = createHash('sha256').update(w).digest();
    for (let i = 0; i < 8; i++) v[i]! += h[i]! / 255 - 0.5;
  }
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

// ---------------------------------------------------------------------------
// servers

export interface ModelServer {
  url: string;
  /** Requests served (to check that refused requests never reached the model). */
  count: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * One server answering every protocol. Model names steer test behaviour:
 * `slow*` answers after 2 s, `broken*` answers 500 with internal details,
 * `weird*` answers an unknown shape; `reg*` is the regressor, anything else the classifier.
 */
export async function startModelServer(models: Models = trainModels()): Promise<ModelServer> {
  const state = { count: 0 };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    state.count++;
    const url = req.url ?? '/';
    const body = req.method === 'POST' ? await readBody(req) : '';
    let json: Record<string, unknown> = {};
    try {
      json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      return send(res, 400, { error: 'bad json' });
    }
    const nameOf = (m: RegExpExecArray | null): string => decodeURIComponent(m?.[1] ?? String(json['model'] ?? 'clf'));
    const name = nameOf(/^\/v[12]\/models\/([^/:]+)/.exec(url));
    if (name.startsWith('slow')) await new Promise((r) => setTimeout(r, 2000));
    if (name.startsWith('broken')) return send(res, 500, { error: 'Traceback: /srv/models/secret_model.py line 12 at 10.0.0.7' });
    const isReg = name.startsWith('reg');
    const predictOne = (x: unknown): unknown => (isReg ? models.regress(featuresOf(x)) : models.classify(featuresOf(x)));

    if (req.method === 'GET') {
      if (/^\/v1\/models\//.test(url)) return send(res, 200, { name, ready: true });
      if (/^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/ready$/.test(url)) return send(res, 200, { name, ready: true });
      if (/^\/v2\/models\//.test(url)) return send(res, 200, { name, platform: 'mirrorwatch-test', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, N_FEATURES] }] });
      return send(res, 404, { error: 'not found' });
    }
    if (name.startsWith('weird')) return send(res, 200, { result: { blob: 'opaque', n: 3 } });
    if (/:predict$/.test(url)) {
      const inst = Array.isArray(json['instances']) ? json['instances'] : [];
      if (isReg) {
        return send(res, 200, {
          predictions: inst.map((x) => {
            const f = featuresOf(x);
            const y = models.regress(f);
            return { prediction: y, prediction_interval: [y - 0.2, y + 0.2], feature_importance: models.weights.w.map((w, j) => w * f[j]!) };
          }),
        });
      }
      return send(res, 200, { predictions: inst.map(predictOne) });
    }
    if (/\/infer$/.test(url)) {
      const input = (json['inputs'] as Array<{ shape: number[]; data: number[] }> | undefined)?.[0];
      if (!input) return send(res, 400, { error: 'no inputs' });
      const n = input.shape[0]!;
      const w = input.data.length / n;
      const rows = Array.from({ length: n }, (_, i) => input.data.slice(i * w, (i + 1) * w));
      if (isReg) return send(res, 200, { model_name: name, outputs: [{ name: 'value', shape: [n, 1], datatype: 'FP64', data: rows.map((r) => models.regress(featuresOf(r))) }] });
      return send(res, 200, {
        model_name: name,
        outputs: [
          { name: 'probabilities', shape: [n, N_CLASSES], datatype: 'FP64', data: rows.flatMap((r) => models.classify(featuresOf(r))) },
          { name: 'attention_weights', shape: [n, N_FEATURES], datatype: 'FP64', data: rows.flatMap((r) => featuresOf(r).map((v) => Math.abs(v))) },
        ],
      });
    }
    if (/\/api\/v1\.0\/predictions$/.test(url)) {
      const d = (json['data'] ?? {}) as { ndarray?: unknown[] };
      const rows = d.ndarray ?? [];
      return send(res, 200, { data: { names: isReg ? ['y'] : ['c0', 'c1', 'c2'], ndarray: rows.map((x) => (isReg ? [models.regress(featuresOf(x))] : models.classify(featuresOf(x)))) }, meta: {} });
    }
    if (url === '/v1/embeddings') {
      const input = json['input'];
      const list = Array.isArray(input) ? input : [input];
      // As OpenAI does: `encoding_format: base64` sends little-endian float32s (the openai client's default).
      const b64 = json['encoding_format'] === 'base64';
      const enc = (v: number[]): number[] | string => (b64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v);
      return send(res, 200, { object: 'list', model: json['model'], data: list.map((t, i) => ({ object: 'embedding', index: i, embedding: enc(embed(String(t))) })), usage: { prompt_tokens: 1, total_tokens: 1 } });
    }
    if (url === '/v1/chat/completions' || url === '/v1/completions') {
      const chat = url === '/v1/chat/completions';
      const prompt = chat ? ((json['messages'] as Array<{ content: string }> | undefined) ?? []).map((m) => m.content).join('\n') : String(json['prompt'] ?? '');
      const maxTokens = typeof json['max_tokens'] === 'number' ? json['max_tokens'] : 4;
      const wantLp = chat ? json['logprobs'] === true : typeof json['logprobs'] === 'number';
      const topN = chat ? (typeof json['top_logprobs'] === 'number' ? json['top_logprobs'] : 0) : typeof json['logprobs'] === 'number' ? json['logprobs'] : 0;
      const g = generate(prompt, maxTokens, topN);
      const text = g.tokens.map((t) => t.token).join(' ');
      const chatLp = wantLp ? { content: g.tokens.map((t) => ({ token: t.token, logprob: t.logprob, bytes: null, top_logprobs: t.top.map((x) => ({ ...x, bytes: null })) })) } : null;
      const legacyLp = wantLp ? { tokens: g.tokens.map((t) => t.token), token_logprobs: g.tokens.map((t) => t.logprob), top_logprobs: g.tokens.map((t) => Object.fromEntries(t.top.map((x) => [x.token, x.logprob]))), text_offset: [] } : null;
      const base = { id: 'cmpl-test', created: 1_700_000_000, model: json['model'] };
      if (json['stream'] === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (const t of g.tokens) {
          const chunk = chat
            ? { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: t.token + ' ' }, logprobs: wantLp ? { content: [{ token: t.token, logprob: t.logprob, bytes: null, top_logprobs: t.top }] } : null, finish_reason: null }] }
            : { ...base, object: 'text_completion', choices: [{ index: 0, text: t.token + ' ', logprobs: null, finish_reason: null }] };
          res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        }
        res.end('data: [DONE]\n\n');
        return;
      }
      if (chat) return send(res, 200, { ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: chatLp, finish_reason: 'length' }], usage: { prompt_tokens: 3, completion_tokens: maxTokens, total_tokens: 3 + maxTokens } });
      return send(res, 200, { ...base, object: 'text_completion', choices: [{ index: 0, text, logprobs: legacyLp, finish_reason: 'length' }], usage: { prompt_tokens: 3, completion_tokens: maxTokens, total_tokens: 3 + maxTokens } });
    }
    return send(res, 404, { error: 'not found' });
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { error: 'internal' }));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get count() {
      return state.count;
    },
    set count(v: number) {
      state.count = v;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------------------
// gateway config for tests and the benchmark


/** A full-policy config over one model server; `patch` overrides top-level keys. */
export function testConfig(upstream: string, dataDir: string, adminTokenSha256: string, patch: Record<string, unknown> = {}): GatewayConfig {
  const models = [
    { name: 'clf', upstream, protocol: 'kserve-v1', task: 'classification' },
    { name: 'reg', upstream, protocol: 'kserve-v1', task: 'regression' },
    { name: 'clf', upstream, protocol: 'oip-v2', task: 'classification' },
    { name: 'reg2', upstream, protocol: 'oip-v2', task: 'regression', upstream_model: 'reg' },
    { name: 'sel', upstream, protocol: 'seldon-v1', task: 'classification' },
    { name: 'tiny-lm', upstream, protocol: 'openai', task: 'text' },
    { name: 'slow', upstream, protocol: 'kserve-v1', task: 'classification' },
    { name: 'broken', upstream, protocol: 'kserve-v1', task: 'classification' },
    { name: 'weird', upstream, protocol: 'kserve-v1', task: 'classification' },
  ];
  return validateConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0, token_sha256: adminTokenSha256 },
      data_dir: dataDir,
      limits: { upstream_timeout_ms: 500, client_timeout_ms: 1000, max_body_bytes: 64 * 1024 },
      models,
      output_policies: {
        full: { on_unknown_shape: 'pass' },
        standard: {
          remove_fields: ['feature_importance', 'prediction_interval', 'attention_weights'],
          round_decimals: 2,
          reverse_sigmoid: { beta: 0.8, gamma: 0.2 },
          regression_noise: { max_abs: 0.05 },
          max_top_logprobs: 2,
          allow_logit_bias: false,
          on_unknown_shape: 'strip',
        },
        restricted: {
          remove_fields: ['feature_importance', 'prediction_interval', 'attention_weights', 'logprobs'],
          top1_only: true,
          round_decimals: 1,
          regression_noise: { max_abs: 0.2 },
          allow_logit_bias: false,
          on_unknown_shape: 'block',
        },
      },
      roles: {
        owner: { output_policy: 'full', batch_cap: 1000 },
        scientist: { output_policy: 'standard', batch_cap: 50 },
        partner: { output_policy: 'restricted', batch_cap: 5 },
      },
      degrade_policy: 'restricted',
      ...patch,
    },
    'test config',
  );
}
