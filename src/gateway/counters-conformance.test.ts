/**
 * One conformance suite for every CounterStore: the journal store always,
 * the Redis store when MIRRORWATCH_TEST_REDIS_URL names a reachable Redis on
 * loopback (.ci/run starts one). Plus, for Redis, two gateway replicas
 * sharing budgets.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { CountersUnavailableError, JournalCounterStore, type CounterStore } from './counters.js';
import { createGateway, KeyStore, parseConfig, tokenSha256 } from './index.js';
import { RedisCounterStore } from './redis-counters.js';
import { startModelServer } from './testkit.js';

interface Backend {
  name: string;
  /** A store over this backend's state; every call with the same `ns` sees the same counters (a restart, or another replica). */
  open(ns: string, now?: () => number): CounterStore;
  /** Several live stores over one state (replicas) are supported. */
  shared: boolean;
  cleanup(): Promise<void>;
}

const REDIS_URL = process.env['MIRRORWATCH_TEST_REDIS_URL'];

/** Why the Redis suite cannot run here, or null when it can. */
async function redisSkipReason(): Promise<string | null> {
  if (!REDIS_URL) return 'MIRRORWATCH_TEST_REDIS_URL is not set (.ci/run starts a Redis and sets it)';
  const u = new URL(REDIS_URL);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return `MIRRORWATCH_TEST_REDIS_URL must point at loopback, not ${u.hostname}`;
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return null;
  } catch (e) {
    return `no Redis answers at MIRRORWATCH_TEST_REDIS_URL (${(e as Error).message})`;
  } finally {
    probe.disconnect();
  }
}

function journalBackend(): Backend {
  const root = mkdtempSync(join(tmpdir(), 'mw-counters-'));
  return {
    name: 'journal',
    shared: false,
    open: (ns, now) => new JournalCounterStore({ dir: join(root, ns), fsyncIntervalMs: 0, ...(now ? { now } : {}) }),
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
}

function redisBackend(url: string): Backend {
  // A random prefix per run: parallel runs and other data in the same Redis are untouched.
  const run = `mwtest:${randomBytes(6).toString('hex')}:`;
  return {
    name: 'redis',
    shared: true,
    open: (ns, now) => new RedisCounterStore({ url, keyPrefix: `${run}${ns}:`, ...(now ? { now } : {}) }),
    cleanup: async () => {
      const r = new Redis(url);
      const keys = await r.keys(`${run}*`);
      if (keys.length > 0) await r.del(...keys);
      await r.quit();
    },
  };
}

function conformance(make: () => Backend, skip: () => string | null): void {
  let b: Backend;
  const t = (name: string, fn: () => Promise<void>, needsShared = false): void => {
    it(name, async (ctx) => {
      const why = skip() ?? (needsShared && !b.shared ? `the ${b.name} store belongs to one process` : null);
      if (why) return ctx.skip(why);
      await fn();
    });
  };
  before(() => {
    if (!skip()) b = make();
  });
  after(async () => {
    if (b) await b.cleanup();
  });

  t('never overruns a budget under 1,000 concurrent reservations', async () => {
    const s = b.open('race');
    const rs = await Promise.all(Array.from({ length: 1000 }, () => s.reserve([{ key: 'b', amount: 3, limit: 1000 }])));
    assert.equal(rs.filter((r) => r.ok).length, 333);
    assert.equal(await s.get('b'), 999);
    await s.close();
  });

  t('is all-or-nothing across items, refunds, and keeps counters across a restart', async () => {
    const s = b.open('aon');
    assert.ok((await s.reserve([{ key: 'day', amount: 5, limit: 10 }, { key: 'life', amount: 5, limit: 100 }])).ok);
    const r = await s.reserve([{ key: 'day', amount: 2, limit: 100 }, { key: 'life', amount: 96, limit: 100 }]);
    assert.deepEqual(r, { ok: false, key: 'life', used: 5, limit: 100 });
    assert.equal(await s.get('day'), 5, 'a refused multi-item reservation adds nothing');
    const ok = await s.reserve([{ key: 'life', amount: 10, limit: 100 }]);
    assert.ok(ok.ok);
    await s.commit(ok.reservation);
    const ok2 = await s.reserve([{ key: 'life', amount: 7, limit: 100 }]);
    assert.ok(ok2.ok);
    await s.refund(ok2.reservation);
    assert.equal(await s.get('life'), 15);
    await s.close();
    const s2 = b.open('aon');
    assert.equal(await s2.get('day'), 5);
    assert.equal(await s2.get('life'), 15);
    assert.equal((await s2.reserve([{ key: 'life', amount: 86, limit: 100 }])).ok, false);
    await s2.close();
  });

  t('forgets expired (daily) counters by the injected clock', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const s = b.open('exp', () => now);
    const x = now + 1000;
    await s.reserve([{ key: 'd', amount: 5, limit: 5, expiresAt: x }]);
    assert.equal((await s.reserve([{ key: 'd', amount: 1, limit: 5, expiresAt: x }])).ok, false);
    now = x + 1;
    assert.equal(await s.get('d'), 0);
    assert.ok((await s.reserve([{ key: 'd', amount: 5, limit: 5, expiresAt: x + 1000 }])).ok);
    assert.equal(await s.get('d'), 5, 'the expired count does not carry over');
    await s.close();
  });

  t('GCRA: spreads requests at the sustained rate, no double burst at window edges, all-or-nothing', async () => {
    const s = b.open('gcra');
    const item = { key: 'r', cost: 1, emissionMs: 100, burst: 10 }; // 10 per second
    let now = 0;
    let passed = 0;
    for (let i = 0; i < 20; i++) if ((await s.rate([item], now)).ok) passed++;
    assert.equal(passed, 10, 'the burst passes, then nothing');
    const denied = await s.rate([item], now);
    assert.ok(!denied.ok && denied.key === 'r' && Math.abs(denied.retryAfterMs - 100) < 1e-9);
    now = 999;
    passed = 0;
    for (let i = 0; i < 20; i++) if ((await s.rate([item], now)).ok) passed++;
    assert.equal(passed, 9);
    now = 1000;
    passed = 0;
    for (let i = 0; i < 20; i++) if ((await s.rate([item], now)).ok) passed++;
    assert.equal(passed, 1);
    // A second bucket that refuses leaves the first untouched.
    const a = { key: 'a', cost: 1, emissionMs: 1000 / 3, burst: 3 };
    const full = { key: 'full', cost: 5, emissionMs: 10, burst: 4 };
    const r = await s.rate([a, full], 5000);
    assert.ok(!r.ok && r.key === 'full' && Math.abs(r.retryAfterMs - 50) < 1e-9, 'a cost above the burst never passes');
    for (let i = 0; i < 3; i++) assert.ok((await s.rate([a], 5000)).ok, 'bucket a was not charged by the refused call');
    assert.equal((await s.rate([a], 5000)).ok, false);
    await s.close();
  });

  t('several live stores over one state never overrun a budget together (replicas)', async () => {
    const stores = Array.from({ length: 4 }, () => b.open('replicas'));
    const rs = await Promise.all(Array.from({ length: 1000 }, (_, i) => stores[i % 4]!.reserve([{ key: 'b', amount: 2, limit: 777 }, { key: 'c', amount: 1, limit: 10_000 }])));
    assert.equal(rs.filter((r) => r.ok).length, 388);
    assert.equal(await stores[0]!.get('b'), 776);
    assert.equal(await stores[3]!.get('c'), 388);
    await Promise.all(stores.map((s) => s.close()));
  }, true);
}

describe('counter store conformance: journal', () => {
  conformance(journalBackend, () => null);
});

describe('counter store conformance: redis', () => {
  let why: string | null = 'not probed yet';
  before(async () => {
    why = await redisSkipReason();
  });
  conformance(() => redisBackend(REDIS_URL!), () => why);

  it('fails with CountersUnavailableError (not a hang) when Redis is unreachable', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const s = new RedisCounterStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 300 });
    const t0 = performance.now();
    await assert.rejects(s.reserve([{ key: 'b', amount: 1, limit: 5 }]), CountersUnavailableError);
    await assert.rejects(s.ready(), CountersUnavailableError);
    assert.ok(performance.now() - t0 < 5000);
    await s.close();
  });

  it('two gateway replicas configured with counters.store: redis share one budget exactly', async (ctx) => {
    if (why) return ctx.skip(why);
    const upstream = await startModelServer();
    const dir = mkdtempSync(join(tmpdir(), 'mw-gw-redis-'));
    const prefix = `mwtest:${randomBytes(6).toString('hex')}:`;
    const yaml = (n: number): string => `
listen: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, token_sha256: "${tokenSha256('admin')}" }
data_dir: ./replica-${n}
keys_file: ./keys.json
counters: { store: redis, redis: { url: "${REDIS_URL}", key_prefix: "${prefix}" } }
models: [{ name: clf, upstream: "${upstream.url}", protocol: kserve-v1, task: classification }]
output_policies: { full: { on_unknown_shape: pass } }
roles: { owner: { output_policy: full, batch_cap: 10 } }
degrade_policy: full
budgets: [{ lifetime: 500 }]
`;
    // The key exists before the replicas start, so both load it (a running gateway re-reads the file within a second).
    const key = new KeyStore(join(dir, 'keys.json')).create({ principal: 'p', role: 'owner' }).secret;
    const gws = [0, 1].map((n) => createGateway({ config: parseConfig(yaml(n), `replica ${n}`, dir), logLevel: 'silent' }));
    const agent = new Agent({ connections: 128 });
    try {
      const urls = await Promise.all(gws.map(async (g) => (await g.start()).url));
      const body = JSON.stringify({ instances: [[0.1, 0.2, 0.3, 0.4]] });
      upstream.count = 0;
      const statuses = await Promise.all(
        Array.from({ length: 1000 }, async (_, i) => {
          const r = await request(`${urls[i % 2]}/v1/models/clf:predict`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body, dispatcher: agent });
          await r.body.dump();
          return r.statusCode;
        }),
      );
      assert.equal(statuses.filter((s) => s === 200).length, 500);
      assert.equal(statuses.filter((s) => s === 429).length, 500);
      assert.equal(upstream.count, 500, 'refused requests never reached the model');
      assert.equal(await gws[1]!.counters.get('budget:0:life:p:clf'), 500);
    } finally {
      await Promise.all(gws.map((g) => g.close()));
      await agent.close();
      await upstream.close();
      const r = new Redis(REDIS_URL!);
      const keys = await r.keys(`${prefix}*`);
      if (keys.length > 0) await r.del(...keys);
      await r.quit();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
