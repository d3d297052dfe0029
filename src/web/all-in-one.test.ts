/** The all-in-one mode: gateway traffic reaches the store and the dashboard through the live ingest-and-detect loop. */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import { tokenSha256 } from '../gateway/index.js';
import { startModelServer, testConfig } from '../gateway/testkit.js';
import { openStore } from '../store/index.js';
import { withTempDir } from '../test-support/index.js';
import { startAllInOne } from './all-in-one.js';
import { createGatewayAdminClient } from './gateway-client.js';
import { createWebServer } from './server.js';

it('ingests the in-process gateway\'s audit lines and detects on them, each line once', async () => {
  await withTempDir(async (dir) => {
    const upstream = await startModelServer();
    const store = await openStore({ path: join(dir, 'mw.duckdb') });
    const token = 'all-in-one-admin-token-for-tests';
    const config = testConfig(upstream.url, join(dir, 'gw'), tokenSha256(token), { audit: { dir: join(dir, 'audit') } });
    const aio = await startAllInOne({ store, config, intervalMs: 3_600_000, logLevel: 'silent' });
    const web = await createWebServer({ store, gateway: createGatewayAdminClient(aio.adminUrl, token) });
    try {
      assert.deepEqual(await aio.tick(), { stored: 0, duplicates: 0, quarantined: 0, alerts: 0, incidents: 0 }, 'nothing before traffic');
      const { secret } = aio.gateway.keys.create({ principal: 'alice', team: 'comp-chem', role: 'scientist', ttlMs: null, note: null });
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${aio.url}/v1/models/clf:predict`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[i / 10, 0.2, 0.3, 0.4]] }) });
        assert.equal(r.status, 200);
      }
      await sleep(300); // the audit writer flushes asynchronously
      const first = await aio.tick();
      assert.equal(first.stored, 5, 'every request becomes one stored event');
      assert.equal(first.quarantined, 0);
      const again = await aio.tick();
      assert.equal(again.stored, 0, 're-reading the audit files adds nothing twice');
      assert.equal(again.duplicates, 5);
      const counts = await store.counts();
      assert.equal(counts.byKind['inference'], 5);
      await web.users.add({ username: 'ann', password: 'correct horse battery', role: 'analyst' });
      const { token: apiToken } = await web.users.createToken({ username: 'ann' });
      const events = (await web.app.inject({ url: '/api/v1/events?principal=alice', headers: { authorization: `Bearer ${apiToken}` } })).json() as { rows: Array<{ format: string; kind: string }> };
      assert.equal(events.rows.length, 5);
      assert.ok(events.rows.every((e) => e.format === 'gateway-audit' && e.kind === 'inference'));
      assert.ok((await store.getDocument('detection-state', 'default')) != null, 'detection continues incrementally from saved state');
    } finally {
      await web.close();
      await aio.stop();
      await store.close();
      await upstream.close();
    }
  });
});
