/** Incremental detection over a store: later runs read only new events and add exactly the alerts a full run would. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventSchema } from '../events/index.js';
import type { MwEvent } from '../events/index.js';
import type { Store } from '../store/index.js';
import { withMemoryStore } from '../test-support/index.js';
import type { Alert } from './alert.js';
import { compareAlerts } from './alert.js';
import { queryVolume } from './query-volume/index.js';
import { DETECTORS } from './registry.js';
import { detectStore, STATE_COLLECTION, STATE_ID } from './run.js';
import type { DetectStoreOptions } from './run.js';
import { DAY, T0, inference, jitter, putTestOrg, syntheticStream } from './testkit.js';

async function withOrgStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  return withMemoryStore(async (store) => {
    await putTestOrg(store);
    return fn(store);
  });
}

const stored = (events: readonly MwEvent[]) => events.map((e) => ({ event: eventSchema.parse(e), raw: '{}' }));

describe('incremental detection', () => {
  for (const seed of [21, 5, 9]) {
    it(`adds exactly the alerts and incidents of one full run, batch by batch (seed ${seed})`, async () => {
      const events = syntheticStream({ days: 50, seed });
      const full = await withOrgStore(async (store) => {
        await store.append(stored(events), []);
        return detectStore(store);
      });
      assert.ok(full.alerts.length >= 5 && full.incidents.length === 1);
      await withOrgStore(async (store) => {
        // Logs arrive in batches, slightly out of order, and one batch ends inside the attack.
        const arrivals = jitter(events, 120_000, seed);
        const cuts = [0, Math.floor(arrivals.length * 0.3), arrivals.findIndex((e) => Date.parse(e.time) >= T0 + 26 * DAY + 9 * 3_600_000 + 5500), arrivals.length];
        const alerts: Alert[] = [];
        const modes: string[] = [];
        for (let i = 1; i < cuts.length; i++) {
          await store.append(stored(arrivals.slice(cuts[i - 1], cuts[i])), []);
          const r = await detectStore(store, { incremental: true });
          assert.equal(r.stats.late, 0);
          alerts.push(...r.alerts);
          modes.push(r.mode);
          if (i === cuts.length - 1) assert.deepEqual(r.incidents, full.incidents);
        }
        assert.deepEqual(modes, ['full', 'incremental', 'incremental']);
        assert.equal(new Set(alerts.map((a) => a.id)).size, alerts.length, 'no alert reported twice');
        assert.deepEqual(alerts.sort(compareAlerts), full.alerts);
        const idle = await detectStore(store, { incremental: true });
        assert.equal(idle.stats.received, 0);
        assert.deepEqual(idle.alerts, []);
        assert.deepEqual(idle.incidents, full.incidents);
        const saved = await store.getDocument<{ lastSeq: number }>(STATE_COLLECTION, STATE_ID);
        assert.equal(saved?.body.lastSeq, events.length);
      });
    });
  }

  it('replays everything when the detector options change or --full is asked, and says why', async () => {
    await withOrgStore(async (store) => {
      await store.append(stored(syntheticStream({ days: 40, seed: 3 })), []);
      const notices: string[] = [];
      const o: DetectStoreOptions = { incremental: true, onNotice: (m) => notices.push(m) };
      assert.equal((await detectStore(store, o)).mode, 'full');
      assert.equal((await detectStore(store, o)).mode, 'incremental');
      assert.deepEqual(notices, []);
      const tuned = { ...o, detectorOptions: { 'query-volume': { madMultiplier: 3 } } };
      const changed = await detectStore(store, tuned);
      assert.equal(changed.mode, 'full');
      assert.match(notices[0]!, /changed since the last run: full replay/);
      const plain = await detectStore(store, { detectorOptions: tuned.detectorOptions });
      assert.deepEqual(changed.alerts, plain.alerts, 'the forced full replay is a plain full run');
      assert.equal((await detectStore(store, tuned)).mode, 'incremental');
      assert.equal((await detectStore(store, { ...tuned, full: true })).mode, 'full');
      const fewer = await detectStore(store, { ...o, detectors: DETECTORS.filter((d) => d.id !== 'recon') });
      assert.equal(fewer.mode, 'full');
      assert.equal(notices.length, 2);
    });
  });

  it('counts events older than the saved watermark as late, and runs in full without a snapshot-capable detector set', async () => {
    await withOrgStore(async (store) => {
      await store.append(stored(syntheticStream({ days: 20, seed: 4 })), []);
      await detectStore(store, { incremental: true });
      await store.append(stored([inference('bob', T0 + 2 * DAY)]), []);
      const r = await detectStore(store, { incremental: true });
      assert.equal(r.mode, 'incremental');
      assert.equal(r.stats.received, 1);
      assert.equal(r.stats.late, 1);
      const { snapshot: _s, restore: _r, ...bare } = queryVolume.create(queryVolume.options.parse({}), { directory: new Map(), models: new Map(), compounds: new Map(), orgLabels: [], teamOf: () => null, projectsOf: () => [] });
      const legacy = { ...queryVolume, id: 'legacy', create: () => bare };
      const notices: string[] = [];
      const l = await detectStore(store, { incremental: true, detectors: [legacy], onNotice: (m) => notices.push(m) });
      assert.equal(l.mode, 'full');
      assert.deepEqual(notices, ['detector legacy cannot save its state: every run is a full replay']);
    });
  });
});
