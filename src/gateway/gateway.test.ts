import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import type { InferenceEvent } from '../events/index.js';
import { eventSchema } from '../events/index.js';
import { ingestPaths } from '../ingest/index.js';
import { withMemoryStore } from '../test-support/index.js';
import { createGateway, type Gateway, type RiskHook, tokenSha256 } from './index.js';
import { featuresOf, startModelServer, testConfig, trainModels, type ModelServer } from './testkit.js';

const ADMIN = 'admin-token-for-tests';
const models = trainModels();
const agent = new Agent({ connections: 64 });

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => Record<string, unknown>;
}

async function call(base: string, path: string, opts: { method?: 'GET' | 'POST'; key?: string | null; body?: unknown; headers?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(opts.headers ?? {}) };
  if (opts.key) headers['authorization'] = `Bearer ${opts.key}`;
  const r = await request(base + path, {
    method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'),
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    dispatcher: agent,
  });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

/** Headers the official `openai` npm client sends (the client itself: openai-client.test.ts). */
function openAiHeaders(): Record<string, string> {
  return {
    accept: 'application/json',
    'user-agent': 'OpenAI/JS 4.104.0',
    'x-stainless-lang': 'js',
    'x-stainless-package-version': '4.104.0',
    'x-stainless-os': 'Linux',
    'x-stainless-arch': 'x64',
    'x-stainless-runtime': 'node',
    'x-stainless-runtime-version': process.version,
    'x-stainless-retry-count': '0',
  };
}

const argmax = (v: number[]): number => v.indexOf(Math.max(...v));

/** Test hook: degrades a principal after 3 requests, asks `eve` for step-up, blocks `trudy`. */
class CountingHook implements RiskHook {
  readonly name = 'counting-test-hook';
  readonly seen = new Map<string, number>();
  observed: InferenceEvent[] = [];
  evaluate(ctx: Parameters<RiskHook['evaluate']>[0]): ReturnType<RiskHook['evaluate']> {
    const p = ctx.event.principal.canonical;
    const n = (this.seen.get(p) ?? 0) + ctx.event.batchSize;
    this.seen.set(p, n);
    if (p === 'eve') return { action: 'step_up', reasons: ['probing pattern'] };
    if (p === 'trudy') return { action: 'block', reasons: ['extraction replay'] };
    if (p === 'mallory' && n > 3) return { action: 'degrade', reasons: [`extraction score high after ${n} instances`] };
    return { action: 'none', reasons: [] };
  }
  observe(e: InferenceEvent): void {
    this.observed.push(e);
  }
}

describe('gateway: protocols, output policies, risk hook, admin API, audit', () => {
  let upstream: ModelServer;
  let gw: Gateway;
  let base = '';
  let admin = '';
  let dir = '';
  const hook = new CountingHook();
  const keys: Record<string, string> = {};

  before(async () => {
    upstream = await startModelServer(models);
    dir = mkdtempSync(join(tmpdir(), 'mw-gw-'));
    const cfg = testConfig(upstream.url, join(dir, 'data'), tokenSha256(ADMIN), {
      budgets: [{ models: ['*'], per_day: 100_000, lifetime: 1_000_000 }],
      rate_limits: [{ scope: 'principal', unit: 'instances', per: 'second', limit: 100_000 }],
      audit: { dir: join(dir, 'audit'), max_file_bytes: 4096 },
    });
    gw = createGateway({ config: cfg, hooks: [hook], logLevel: 'silent' });
    ({ url: base, adminUrl: admin } = await gw.start());
    for (const [p, role] of [
      ['olivia', 'owner'],
      ['bob', 'scientist'],
      ['mallory', 'scientist'],
      ['pat', 'partner'],
      ['eve', 'scientist'],
      ['trudy', 'scientist'],
    ] as const) {
      keys[p] = gw.keys.create({ principal: p, team: 'chem', role }).secret;
    }
  });

  after(async () => {
    await gw.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const X = [
    [0.9, -0.5, 0.1, 0.2],
    [-0.7, 0.8, 0.0, 0.1],
    [0.1, 0.2, -0.9, 0.7],
  ];

  it('KServe V1: the owner policy passes the real model output unchanged', async () => {
    const r = await call(base, '/v1/models/clf:predict', { key: keys['olivia'], body: { instances: X } });
    assert.equal(r.status, 200);
    const preds = r.json()['predictions'] as number[][];
    preds.forEach((p, i) => assert.deepEqual(p, models.classify(featuresOf(X[i]))));
  });

  it('KServe V1: standard policy perturbs (reverse sigmoid), rounds, keeps top-1', async () => {
    const r = await call(base, '/v1/models/clf:predict', { key: keys['bob'], body: { instances: X } });
    const preds = r.json()['predictions'] as number[][];
    preds.forEach((p, i) => {
      const raw = models.classify(featuresOf(X[i]));
      assert.equal(argmax(p), argmax(raw));
      assert.ok(p.every((v) => Math.round(v * 100) / 100 === v), 'rounded to 2 decimals');
    });
    assert.ok(preds.some((p, i) => p.some((v, k) => Math.abs(v - models.classify(featuresOf(X[i]))[k]!) > 0.005)), 'values perturbed');
  });

  it('KServe V1: restricted policy returns one-hot top-1; regression loses intervals and importances, gets bounded noise', async () => {
    const c = await call(base, '/v1/models/clf:predict', { key: keys['pat'], body: { instances: X } });
    (c.json()['predictions'] as number[][]).forEach((p, i) => {
      assert.equal(p.reduce((a, b) => a + b, 0), 1);
      assert.equal(p[argmax(models.classify(featuresOf(X[i])))], 1);
    });
    const r = await call(base, '/v1/models/reg:predict', { key: keys['bob'], body: { instances: X } });
    (r.json()['predictions'] as Array<Record<string, number>>).forEach((p, i) => {
      assert.deepEqual(Object.keys(p), ['prediction']);
      assert.ok(Math.abs(p['prediction']! - models.regress(featuresOf(X[i]))) <= 0.055);
    });
    const full = await call(base, '/v1/models/reg:predict', { key: keys['olivia'], body: { instances: X } });
    assert.ok('prediction_interval' in (full.json()['predictions'] as Array<Record<string, unknown>>)[0]!);
  });

  it('OIP V2: removes the attention output, hardens the probability tensor, keeps its shape; metadata, ready, upstream rename', async () => {
    const body = { inputs: [{ name: 'x', shape: [3, 4], datatype: 'FP32', data: X.flat() }] };
    const r = await call(base, '/v2/models/clf/infer', { key: keys['bob'], body });
    assert.equal(r.status, 200);
    const outs = r.json()['outputs'] as Array<{ name: string; shape: number[]; data: number[] }>;
    assert.deepEqual(outs.map((o) => o.name), ['probabilities']);
    assert.equal(outs[0]!.data.length, 9);
    for (let i = 0; i < 3; i++) assert.equal(argmax(outs[0]!.data.slice(i * 3, i * 3 + 3)), argmax(models.classify(featuresOf(X[i]))));
    const reg = await call(base, '/v2/models/reg2/infer', { key: keys['olivia'], body });
    const vals = (reg.json()['outputs'] as Array<{ data: number[] }>)[0]!.data;
    vals.forEach((v, i) => assert.equal(v, models.regress(featuresOf(X[i]))));
    assert.equal((await call(base, '/v2/models/clf', { key: keys['bob'] })).json()['platform'], 'mirrorwatch-test');
    assert.equal((await call(base, '/v2/models/clf/ready', { key: keys['bob'] })).status, 200);
    assert.equal((await call(base, '/v2/health/ready')).status, 200);
    assert.equal((await call(base, '/v2/models/clf')).status, 401);
  });

  it('Seldon V1: ndarray predictions hardened by role', async () => {
    const r = await call(base, '/api/v1.0/predictions', { key: keys['pat'], body: { data: { ndarray: X } } });
    assert.equal(r.status, 200);
    const nd = (r.json()['data'] as { ndarray: number[][] }).ndarray;
    nd.forEach((p, i) => assert.equal(p[argmax(models.classify(featuresOf(X[i])))], 1));
    const r2 = await call(base, '/seldon/ns1/sel/api/v1.0/predictions', { key: keys['olivia'], body: { data: { ndarray: X } } });
    assert.deepEqual((r2.json()['data'] as { ndarray: number[][] }).ndarray[0], models.classify(featuresOf(X[0])));
  });

  it('OpenAI chat completions (openai-client-shaped requests): caps top_logprobs, strips logprobs, refuses logit_bias', async () => {
    const body = { model: 'tiny-lm', messages: [{ role: 'user', content: 'Is CCO soluble?' }], max_tokens: 3, logprobs: true, top_logprobs: 5 };
    const owner = await call(base, '/v1/chat/completions', { key: keys['olivia'], body, headers: openAiHeaders() });
    assert.equal(owner.status, 200);
    const ownerTop = ((owner.json()['choices'] as Array<{ logprobs: { content: Array<{ top_logprobs: unknown[] }> } }>)[0]!.logprobs.content[0]!.top_logprobs);
    assert.equal(ownerTop.length, 5);
    const sci = await call(base, '/v1/chat/completions', { key: keys['bob'], body, headers: openAiHeaders() });
    const sciLp = (sci.json()['choices'] as Array<{ logprobs: { content: Array<{ top_logprobs: unknown[] }> } }>)[0]!.logprobs;
    assert.ok(sciLp.content.every((t) => t.top_logprobs.length === 2));
    const partner = await call(base, '/v1/chat/completions', { key: keys['pat'], body: { ...body, max_tokens: 2 }, headers: openAiHeaders() });
    assert.equal(partner.status, 200);
    assert.equal((partner.json()['choices'] as Array<{ logprobs: unknown }>)[0]!.logprobs, null);
    const bias = await call(base, '/v1/chat/completions', { key: keys['bob'], body: { ...body, logit_bias: { '50256': -100 } }, headers: openAiHeaders() });
    assert.equal(bias.status, 403);
    assert.equal((bias.json()['error'] as Record<string, unknown>)['code'], 'MW_ERR_GW_POLICY_REFUSED');
    assert.equal((await call(base, '/v1/chat/completions', { key: keys['olivia'], body: { ...body, logit_bias: { '1': 1 } } })).status, 200);
    assert.equal((await call(base, '/v1/chat/completions', { key: keys['bob'], body: { ...body, model: 'nope' } })).status, 404);
  });

  it('OpenAI streaming (SSE) passes through with the policy applied to every chunk', async () => {
    const body = { model: 'tiny-lm', messages: [{ role: 'user', content: 'stream please' }], max_tokens: 4, logprobs: true, top_logprobs: 5, stream: true };
    const r = await call(base, '/v1/chat/completions', { key: keys['bob'], body, headers: { ...openAiHeaders(), accept: 'text/event-stream' } });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /text\/event-stream/);
    const datas = r.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
    assert.equal(datas.at(-1), '[DONE]');
    const chunks = datas.slice(0, -1).map((d) => JSON.parse(d) as { choices: Array<{ delta: { content: string }; logprobs: { content: Array<{ top_logprobs: unknown[] }> } }> });
    assert.equal(chunks.length, 4);
    for (const c of chunks) assert.equal(c.choices[0]!.logprobs.content[0]!.top_logprobs.length, 2);
  });

  it('OpenAI completions (legacy logprobs) and embeddings', async () => {
    const c = await call(base, '/v1/completions', { key: keys['bob'], body: { model: 'tiny-lm', prompt: 'CCO is', max_tokens: 2, logprobs: 5 } });
    const lp = (c.json()['choices'] as Array<{ logprobs: { top_logprobs: Array<Record<string, number>> } }>)[0]!.logprobs;
    assert.ok(lp.top_logprobs.every((t) => Object.keys(t).length === 2));
    const e = await call(base, '/v1/embeddings', { key: keys['bob'], body: { model: 'tiny-lm', input: ['aspirin binds'] } });
    const emb = (e.json()['data'] as Array<{ embedding: number[] }>)[0]!.embedding;
    assert.equal(emb.length, 8);
    assert.ok(emb.every((v) => Math.round(v * 100) / 100 === v));
  });

  it('refuses unknown routes without forwarding them', async () => {
    const before = upstream.count;
    for (const [m, p] of [
      ['GET', '/admin'],
      ['POST', '/v1/models/clf:explain'],
      ['GET', '/v2/repository/index'],
      ['DELETE', '/v1/models/clf'],
      ['POST', '/v1/models/clf%2F..%2Fadmin:predict'],
    ] as const) {
      const r = await request(base + p, { method: m, headers: { authorization: `Bearer ${keys['olivia']}` }, dispatcher: agent });
      const j = (await r.body.json()) as { error: { code: string } };
      assert.equal(r.statusCode, 404, p);
      assert.equal(j.error.code, 'MW_ERR_GW_UNKNOWN_ROUTE');
    }
    assert.equal(upstream.count, before);
  });

  it('risk hook: degrades one principal (sticky) while another is unaffected; step_up and block reject', async () => {
    const body = { instances: [X[0]] };
    for (let i = 0; i < 3; i++) {
      const r = await call(base, '/v1/models/clf:predict', { key: keys['mallory'], body });
      assert.notEqual((r.json()['predictions'] as number[][])[0]!.filter((v) => v === 0).length, 2, 'not yet degraded');
    }
    for (let i = 0; i < 3; i++) {
      const m = await call(base, '/v1/models/clf:predict', { key: keys['mallory'], body });
      assert.deepEqual((m.json()['predictions'] as number[][])[0]!.slice().sort(), [0, 0, 1], 'mallory degraded to top-1');
      const b = await call(base, '/v1/models/clf:predict', { key: keys['bob'], body });
      assert.notDeepEqual((b.json()['predictions'] as number[][])[0]!.slice().sort(), [0, 0, 1], 'bob keeps the standard policy');
    }
    assert.equal(gw.containment.get('mallory').outputPolicy?.policy, 'restricted');
    assert.equal(gw.containment.get('bob').outputPolicy, undefined);

    const s = await call(base, '/v1/models/clf:predict', { key: keys['eve'], body });
    assert.equal(s.status, 403);
    const err = s.json()['error'] as Record<string, string>;
    assert.equal(err['code'], 'MW_ERR_GW_STEP_UP_REQUIRED');
    assert.match(err['step_up_id']!, /^[0-9a-f]{16}$/);
    const t = await call(base, '/v1/models/clf:predict', { key: keys['trudy'], body });
    assert.equal((t.json()['error'] as Record<string, string>)['code'], 'MW_ERR_GW_PRINCIPAL_BLOCKED');
    assert.ok(gw.containment.get('trudy').frozen);
    assert.ok(hook.observed.some((e) => e.principal.canonical === 'bob' && e.instances[0]?.output !== null));
  });

  it('admin API: separate token; revoke, freeze, throttle, output policy, lift; metrics', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    assert.equal((await call(admin, '/admin/keys', { headers: { authorization: `Bearer ${keys['olivia']}` } })).status, 401);
    assert.equal((await call(base, '/admin/keys', { headers: auth })).status, 404, 'admin routes are not on the data listener');
    const limits = await call(admin, '/admin/limits', { headers: auth });
    assert.equal(limits.status, 200);
    assert.deepEqual(Object.keys(limits.json()).sort(), ['budgets', 'rate_limits', 'roles']);
    assert.doesNotMatch(limits.text, /token_sha256|upstream/, 'no secrets or upstream addresses');
    assert.equal((await call(admin, '/admin/limits', {})).status, 401);
    const created = await call(admin, '/admin/keys', { headers: auth, body: { principal: 'carol', role: 'scientist', expires_in: '1d' } });
    assert.equal(created.status, 201);
    const carol = created.json()['secret'] as string;
    const carolId = (created.json()['key'] as { id: string }).id;
    const body = { instances: [X[1]] };
    assert.equal((await call(base, '/v1/models/clf:predict', { key: carol, body })).status, 200);

    await call(admin, '/admin/principals/carol/output-policy', { headers: auth, body: { policy: 'restricted', reason: 'case 12' } });
    assert.deepEqual(((await call(base, '/v1/models/clf:predict', { key: carol, body })).json()['predictions'] as number[][])[0]!.slice().sort(), [0, 0, 1]);
    assert.equal((await call(admin, '/admin/principals/carol/output-policy', { headers: auth, body: { policy: 'nope' } })).status, 400);

    await call(admin, '/admin/principals/carol/throttle', { headers: auth, body: { requests_per_second: 0.5 } });
    assert.equal((await call(base, '/v1/models/clf:predict', { key: carol, body })).status, 200);
    const limited = await call(base, '/v1/models/clf:predict', { key: carol, body });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '2');

    await call(admin, '/admin/principals/carol/freeze', { headers: auth, body: { reason: 'exfil suspected' } });
    assert.equal((await call(base, '/v1/models/clf:predict', { key: carol, body })).status, 403);
    const lifted = await call(admin, '/admin/principals/carol/lift', { headers: auth, body: {} });
    assert.deepEqual(lifted.json()['state'], {});
    assert.equal((await call(base, '/v1/models/clf:predict', { key: carol, body })).status, 200);

    const rot = await call(admin, `/admin/keys/${carolId}/rotate`, { headers: auth, body: {} });
    const carol2 = rot.json()['secret'] as string;
    assert.equal((await call(base, '/v1/models/clf:predict', { key: carol, body })).status, 401);
    assert.equal((await call(base, '/v1/models/clf:predict', { key: carol2, body })).status, 200);
    const newId = (rot.json()['key'] as { id: string }).id;
    await call(admin, `/admin/keys/${newId}/revoke`, { headers: auth, body: {} });
    const revoked = await call(base, '/v1/models/clf:predict', { key: carol2, body });
    assert.equal((revoked.json()['error'] as Record<string, string>)['code'], 'MW_ERR_GW_KEY_REVOKED');
    assert.equal((await call(admin, '/admin/keys/ffffffffffff/revoke', { headers: auth, body: {} })).status, 404);
    const list = await call(admin, '/admin/keys', { headers: auth });
    assert.ok(!list.text.includes('"hash"'));

    const metrics = await call(admin, '/metrics');
    assert.match(metrics.text, /mirrorwatch_gateway_requests_total\{model="clf",protocol="kserve-v1",status="200"\} \d+/);
    assert.match(metrics.text, /mirrorwatch_gateway_rejections_total\{reason="MW_ERR_GW_RATE_LIMITED"\} 1/);
    assert.match(metrics.text, /mirrorwatch_gateway_budget_remaining\{principal="bob",model="clf",budget="daily"\} \d+/);
    assert.match(metrics.text, /mirrorwatch_gateway_upstream_latency_seconds_bucket/);
    assert.ok(!metrics.text.includes('mwk_'), 'no secrets in metrics');
  });

  it('audit lines are canonical inference events that ingestion stores (gateway as a log source)', async () => {
    await gw.audit.close();
    await withMemoryStore(async (store) => {
      const s = await ingestPaths([join(dir, 'audit')], { store });
      assert.equal(s.errors.length, 0, JSON.stringify(s.errors));
      assert.ok(s.stored > 20, `stored ${s.stored}`);
      assert.deepEqual(Object.keys(s.by_format), ['gateway-audit']);
      assert.equal(s.quarantined, 0);
      const events: InferenceEvent[] = [];
      for await (const e of store.replay({ kinds: ['inference'] })) events.push(e as InferenceEvent);
      for (const e of events) eventSchema.parse(e);
      const bob = events.find((e) => e.principal.canonical === 'bob' && e.model === 'clf' && e.batchSize === 3 && e.httpStatus === 200)!;
      assert.ok(bob, 'bob request stored');
      assert.equal(bob.instances.length, 3);
      assert.equal(bob.instances[0]!.input.type, 'features');
      assert.ok(bob.instances[0]!.output!.confidence! > 0);
      assert.equal(bob.apiKeyId, gw.keys.list().find((k) => k.principal === 'bob')!.id);
      assert.ok(events.some((e) => e.httpStatus === 403 && e.principal.canonical === 'eve'));
      const again = await ingestPaths([join(dir, 'audit')], { store });
      assert.equal(again.stored, 0);
    });
  });
});
