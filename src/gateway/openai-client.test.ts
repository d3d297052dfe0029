/**
 * The official `openai` npm client pointed at the gateway on loopback, in
 * front of an OpenAI-compatible model server (the test kit's tiny language
 * model): what real callers send (base64 embeddings by default, SSE streams,
 * logprobs) goes through with each role's policy applied, and the gateway's
 * errors arrive as the client's typed errors.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { AuditLine } from './audit.js';
import { MemoryAuditSink } from './audit.js';
import { createGateway, tokenSha256, type Gateway } from './index.js';
import { embed, startModelServer, testConfig, type ModelServer } from './testkit.js';

describe('gateway: the official openai client', () => {
  let upstream: ModelServer;
  let gw: Gateway;
  let dir = '';
  const audit = new MemoryAuditSink();
  const clients: Record<string, OpenAI> = {};

  before(async () => {
    upstream = await startModelServer();
    dir = mkdtempSync(join(tmpdir(), 'mw-gw-openai-'));
    const cfg = testConfig(upstream.url, join(dir, 'data'), tokenSha256('admin'), {
      rate_limits: [{ scope: 'principal', unit: 'requests', per: 'minute', limit: 40, roles: ['partner'] }],
    });
    gw = createGateway({ config: cfg, audit, logLevel: 'silent' });
    const { url } = await gw.start();
    for (const [p, role] of [
      ['olivia', 'owner'],
      ['bob', 'scientist'],
      ['pat', 'partner'],
    ] as const) {
      // No retries: a refusal must surface as the client's typed error, not be retried away.
      clients[p] = new OpenAI({ apiKey: gw.keys.create({ principal: p, team: 'chem', role }).secret, baseURL: `${url}/v1`, maxRetries: 0, timeout: 10_000 });
    }
  });

  after(async () => {
    await gw.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = { model: 'tiny-lm', messages: [{ role: 'user' as const, content: 'Is CCO soluble in water?' }], max_tokens: 4, logprobs: true, top_logprobs: 5 };

  it('chat completions with logprobs: full for the owner, top_logprobs capped for a scientist, stripped for a partner', async () => {
    const owner = await clients['olivia']!.chat.completions.create(ask);
    const ownerLp = owner.choices[0]!.logprobs!.content!;
    assert.equal(ownerLp.length, 4);
    assert.ok(ownerLp.every((t) => t.top_logprobs.length === 5 && t.logprob <= 0));
    assert.ok(owner.choices[0]!.message.content!.length > 0);

    const sci = await clients['bob']!.chat.completions.create(ask);
    assert.equal(sci.choices[0]!.message.content, owner.choices[0]!.message.content, 'the answer itself is unchanged');
    assert.ok(sci.choices[0]!.logprobs!.content!.every((t) => t.top_logprobs.length === 2));
    assert.deepEqual(
      sci.choices[0]!.logprobs!.content!.map((t) => t.top_logprobs.map((x) => x.token)),
      ownerLp.map((t) => t.top_logprobs.slice(0, 2).map((x) => x.token)),
      'the cap keeps the most likely tokens',
    );

    const partner = await clients['pat']!.chat.completions.create(ask);
    assert.equal(partner.choices[0]!.logprobs ?? null, null);
    assert.equal(partner.choices[0]!.message.content, owner.choices[0]!.message.content);

    const lines = audit.lines.filter((l): l is AuditLine => !('kind' in l) && l.event.endpoint === '/v1/chat/completions');
    assert.deepEqual(lines.map((l) => [l.event.principal.canonical, l.gateway.policy]), [['olivia', 'full'], ['bob', 'standard'], ['pat', 'restricted']]);
    assert.ok(lines.every((l) => l.event.userAgent?.startsWith('OpenAI/JS')), 'the real client made the calls');
  });

  it('streaming (SSE): every chunk arrives through the client with the policy applied', async () => {
    const stream = await clients['bob']!.chat.completions.create({ ...ask, stream: true });
    const tokens: string[] = [];
    for await (const chunk of stream) {
      const c = chunk.choices[0]!;
      tokens.push(c.delta.content ?? '');
      assert.ok(c.logprobs!.content!.every((t) => t.top_logprobs.length === 2), 'top_logprobs capped in every chunk');
    }
    assert.equal(tokens.length, 4);
    const plain = await clients['olivia']!.chat.completions.create({ ...ask, stream: false });
    assert.equal(tokens.join('').trim(), plain.choices[0]!.message.content, 'the streamed text is the model answer');

    const partner = await clients['pat']!.chat.completions.create({ ...ask, stream: true });
    let n = 0;
    for await (const chunk of partner) {
      n++;
      assert.equal(chunk.choices[0]!.logprobs ?? null, null, 'no logprobs for the partner, streamed or not');
    }
    assert.equal(n, 4);
  });

  it('legacy completions with logprobs are capped too', async () => {
    const c = await clients['bob']!.completions.create({ model: 'tiny-lm', prompt: 'CCO is', max_tokens: 3, logprobs: 5 });
    const lp = c.choices[0]!.logprobs!;
    assert.equal(lp.top_logprobs!.length, 3);
    assert.ok(lp.top_logprobs!.every((t) => Object.keys(t).length === 2));
  });

  it('embeddings: the client default (base64 float32) is rounded by policy like plain floats', async () => {
    const input = ['aspirin binds COX-1', 'caffeine is an adenosine antagonist'];
    const owner = await clients['olivia']!.embeddings.create({ model: 'tiny-lm', input });
    assert.equal(owner.data.length, 2);
    owner.data.forEach((d, i) => {
      const want = embed(input[i]!);
      assert.equal(d.embedding.length, want.length);
      // float32 on the wire: equal to float32 precision.
      d.embedding.forEach((v, j) => assert.ok(Math.abs(v - want[j]!) < 1e-6));
    });
    const sci = await clients['bob']!.embeddings.create({ model: 'tiny-lm', input });
    const f32 = (x: number): number => new Float32Array([x])[0]!;
    sci.data.forEach((d, i) => {
      const want = embed(input[i]!).map((v) => f32(Math.round(v * 100) / 100));
      assert.deepEqual(Array.from(d.embedding), want, 'rounded to 2 decimals (standard policy)');
    });
    const floats = await clients['bob']!.embeddings.create({ model: 'tiny-lm', input, encoding_format: 'float' });
    floats.data.forEach((d, i) => assert.deepEqual(d.embedding, embed(input[i]!).map((v) => Math.round(v * 100) / 100)));
    assert.notDeepEqual(Array.from(sci.data[0]!.embedding), Array.from(owner.data[0]!.embedding));
  });

  it("the gateway's refusals are the client's typed errors, with the gateway's codes", async () => {
    await assert.rejects(clients['bob']!.chat.completions.create({ ...ask, logit_bias: { '50256': -100 } }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.PermissionDeniedError);
      assert.equal(e.status, 403);
      assert.equal(e.code, 'MW_ERR_GW_POLICY_REFUSED');
      return true;
    });
    const stranger = new OpenAI({ apiKey: 'mwk_000000000000_notakey', baseURL: clients['bob']!.baseURL, maxRetries: 0 });
    await assert.rejects(stranger.chat.completions.create(ask), (e: unknown) => e instanceof OpenAI.AuthenticationError && e.code === 'MW_ERR_GW_UNAUTHENTICATED');
    await assert.rejects(clients['bob']!.chat.completions.create({ ...ask, model: 'gpt-unknown' }), (e: unknown) => e instanceof OpenAI.NotFoundError && e.code === 'MW_ERR_GW_UNKNOWN_MODEL');
    await assert.rejects(clients['bob']!.models.list(), (e: unknown) => e instanceof OpenAI.NotFoundError && e.code === 'MW_ERR_GW_UNKNOWN_ROUTE');
    // The partner's 40 requests a minute: the client sees 429 with Retry-After, and the gateway's code.
    let limited: unknown = null;
    for (let i = 0; i < 60 && !limited; i++) {
      try {
        await clients['pat']!.embeddings.create({ model: 'tiny-lm', input: 'x', encoding_format: 'float' });
      } catch (e) {
        limited = e;
      }
    }
    assert.ok(limited instanceof OpenAI.RateLimitError, String(limited));
    assert.equal(limited.code, 'MW_ERR_GW_RATE_LIMITED');
    assert.match(limited.headers?.get('retry-after') ?? '', /^\d+$/);
  });
});
