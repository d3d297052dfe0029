/**
 * The gateway builds each key's rate limits and budget counters once per key and model (and the
 * daily budget key once per UTC day): these tests pin what that must not change, a daily budget
 * that starts afresh at midnight UTC while the lifetime budget keeps counting, and rate limits
 * counted per instance for batches, with an injected clock.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { createGateway, MemoryAuditSink, tokenSha256, type Gateway } from './index.js';
import { startModelServer, testConfig, trainModels, type ModelServer } from './testkit.js';

const models = trainModels();

async function predict(base: string, key: string, n: number): Promise<{ status: number; code: string | null }> {
  const body = JSON.stringify({ instances: Array.from({ length: n }, (_, i) => [0.1 * i, 0.2, 0.3, 0.4]) });
  const r = await request(`${base}/v1/models/clf:predict`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
  const text = await r.body.text();
  return { status: r.statusCode, code: r.statusCode === 200 ? null : ((JSON.parse(text) as { error: { code: string } }).error.code ?? null) };
}

describe('gateway: per-key plans for limits and budgets', () => {
  let upstream: ModelServer;
  let gw: Gateway;
  let base = '';
  let dir = '';
  const clock = { t: Date.UTC(2026, 2, 1, 23, 59, 58) };
  const audit = new MemoryAuditSink();
  const keys: string[] = [];

  before(async () => {
    upstream = await startModelServer(models);
    dir = mkdtempSync(join(tmpdir(), 'mw-gw-plan-'));
    const cfg = testConfig(upstream.url, join(dir, 'data'), tokenSha256('admin'), {
      rate_limits: [{ scope: 'principal', unit: 'instances', per: 'hour', limit: 12, burst: 12, models: ['clf'] }],
      budgets: [{ models: ['clf'], per_day: 5, lifetime: 8 }],
    });
    gw = createGateway({ config: cfg, audit, logLevel: 'silent', now: () => clock.t });
    base = (await gw.start()).url;
    // Two keys of one principal share the principal's budget and rate.
    keys.push(gw.keys.create({ principal: 'ann', role: 'scientist' }).secret, gw.keys.create({ principal: 'ann', role: 'scientist' }).secret);
  });

  after(async () => {
    await gw.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the daily budget afresh at midnight UTC, keeps the lifetime budget, and counts batches per instance', async () => {
    assert.equal((await predict(base, keys[0]!, 3)).status, 200);
    assert.equal((await predict(base, keys[1]!, 2)).status, 200);
    assert.equal((await predict(base, keys[0]!, 1)).code, 'MW_ERR_GW_BUDGET_EXHAUSTED', '5 of 5 daily instances used');
    clock.t = Date.UTC(2026, 2, 2, 0, 0, 1);
    assert.equal((await predict(base, keys[1]!, 3)).status, 200, 'a new UTC day');
    assert.equal((await predict(base, keys[0]!, 1)).code, 'MW_ERR_GW_BUDGET_EXHAUSTED', '8 of 8 lifetime instances used');
    assert.equal(await gw.counters.get('budget:0:day:2026-03-01:ann:clf'), 5);
    assert.equal(await gw.counters.get('budget:0:day:2026-03-02:ann:clf'), 3);
    assert.equal(await gw.counters.get('budget:0:life:ann:clf'), 8);
    // 3 + 2 + 1 + 3 + 1 = 10 instances went through the rate limit (refused budgets still spent rate), 12 in the burst.
    assert.equal((await predict(base, keys[0]!, 3)).code, 'MW_ERR_GW_RATE_LIMITED', 'a batch of 3 does not fit the 2 left');
    const codes = audit.lines.flatMap((l) => ('gateway' in l ? [l.gateway.errorCode] : []));
    assert.deepEqual(codes, [null, null, 'MW_ERR_GW_BUDGET_EXHAUSTED', null, 'MW_ERR_GW_BUDGET_EXHAUSTED', 'MW_ERR_GW_RATE_LIMITED'], 'every request has its audit line');
  });
});
