import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventSchema } from '../events/index.js';
import type { MwEvent } from '../events/index.js';
import { collect, withMemoryStore } from '../test-support/index.js';
import type { Alert } from './alert.js';
import { compareAlerts } from './alert.js';
import fc from 'fast-check';
import { eventMs } from '../events/index.js';
import { createEngine, SnapshotUnsupportedError, timeMs } from './engine.js';
import type { EngineSnapshot } from './engine.js';
import { createDetectionEngine, replayStore } from './index.js';
import { queryVolume } from './query-volume/index.js';
import { DETECTORS } from './registry.js';
import { departingUser } from './departing-user/index.js';
import { DAY, T0, chunks, hr, inference, jitter, object, registry, syntheticStream, testContext } from './testkit.js';

const stream = syntheticStream({ days: 50, seed: 2 });

function live(events: readonly MwEvent[], maxChunk: number, latenessS = 300): { alerts: Alert[]; late: number } {
  const engine = createDetectionEngine({ context: testContext(), allowedLatenessSeconds: latenessS });
  const alerts: Alert[] = [];
  for (const c of chunks(events, maxChunk)) alerts.push(...engine.push(c));
  alerts.push(...engine.flush());
  return { alerts: alerts.sort(compareAlerts), late: engine.stats().late };
}

describe('detection engine', () => {
  it('gives the same alerts at the same event times for one batch and for out-of-order chunks', () => {
    const batch = live(stream, stream.length);
    assert.ok(batch.alerts.length >= 5);
    for (const seed of [1, 2, 3]) {
      const l = live(jitter(stream, 240_000, seed), 1 + seed * 40);
      assert.equal(l.late, 0);
      assert.deepEqual(l.alerts, batch.alerts);
    }
  });

  it('store replay (order: time) and live feeding agree', async () => {
    const events = stream.map((e) => eventSchema.parse(e));
    await withMemoryStore(async (store) => {
      await store.append(events.map((event) => ({ event, raw: '{}' })), []);
      assert.equal((await collect(store.replay({ order: 'time' }))).length, events.length);
      const replayed = await replayStore(store, { context: testContext() });
      const l = live(jitter(events, 200_000, 9), 97);
      assert.deepEqual(replayed.alerts.sort(compareAlerts), l.alerts);
      assert.ok(replayed.lastSeq >= events.length);
      // Incremental: nothing after the last seq means nothing to do.
      const again = await replayStore(store, { context: testContext(), afterSeq: replayed.lastSeq });
      assert.equal(again.stats.received, 0);
    });
  });

  it('counts and reports events older than the watermark, and does not deliver them', () => {
    const engine = createEngine({ context: testContext(), detectors: [queryVolume], allowedLatenessSeconds: 60 });
    engine.push([inference('bob', T0 + 10 * 3_600_000)]);
    const old = inference('bob', T0 + 9 * 3_600_000);
    engine.push([old, inference('bob', T0 + 10 * 3_600_000 - 30_000)]);
    const s = engine.stats();
    assert.equal(s.received, 3);
    assert.equal(s.late, 1);
    assert.equal(s.lateEvents[0]!.id, old.id);
    assert.equal(s.lateEvents[0]!.watermark, new Date(T0 + 10 * 3_600_000 - 60_000).toISOString());
    engine.flush();
    assert.equal(engine.stats().delivered, 2);
  });

  it('a live heartbeat closes windows with the same alerts a later event would', () => {
    const days: MwEvent[] = [];
    for (let d = 0; d < 10; d++) days.push(inference('bob', T0 + d * DAY + 36_000_000, 300));
    days.push(inference('bob', T0 + 10 * DAY + 36_000_000, 9000));
    const a = createEngine({ context: testContext(), detectors: [queryVolume] });
    const viaHeartbeat = [...a.push(days), ...a.advanceTo(T0 + 11 * DAY + 600_000)];
    const b = createEngine({ context: testContext(), detectors: [queryVolume] });
    const viaEvent = [...b.push(days), ...b.push([inference('bob', T0 + 11 * DAY + 36_000_000, 1)]), ...b.flush()];
    assert.equal(viaHeartbeat.length, 1);
    assert.deepEqual(viaHeartbeat, viaEvent);
    assert.equal(viaHeartbeat[0]!.at, new Date(T0 + 11 * DAY).toISOString());
  });

  it('raises the severity of alerts inside a departing-user watch window, and only there', () => {
    const events: MwEvent[] = [];
    for (let d = 0; d < 10; d++) events.push(inference('bob', T0 + d * DAY + 36_000_000, 300));
    events.push(inference('bob', T0 + 10 * DAY + 36_000_000, 1500));
    const plain = createEngine({ context: testContext(), detectors: [queryVolume] });
    const [before] = [...plain.push(events), ...plain.advanceTo(T0 + 12 * DAY)];
    const watched = createEngine({ context: testContext(), detectors: [queryVolume] });
    const withHr = [hr('bob', T0 + 5 * DAY, 'resignation_submitted', '2026-02-07', '2026-03-07'), ...events].sort((x, y) => (x.time < y.time ? -1 : 1));
    const [after] = [...watched.push(withHr), ...watched.advanceTo(T0 + 12 * DAY)];
    assert.equal(before!.severity, 'low');
    assert.equal(after!.severity, 'medium');
    assert.equal(after!.id, before!.id);
    assert.match(after!.explanation, /departing-user watch window\.$/);
    assert.ok(watched.watchWindows().has('bob'));
  });

  it('lifts a resigner\'s alerts above medium only once their own behaviour deviates', () => {
    const base: MwEvent[] = [];
    for (let d = 0; d < 10; d++) base.push(inference('bob', T0 + d * DAY + 36_000_000, 300));
    for (let d = 0; d < 10; d++) base.push(registry('bob', T0 + d * DAY + 36_100_000, 'get_model', 'binding-affinity-predictor'));
    const resign = hr('bob', T0 + 5 * DAY, 'resignation_submitted', '2026-02-07', '2026-03-07');
    const spike = inference('bob', T0 + 10 * DAY + 36_000_000, 2500);
    const sweep = Array.from({ length: 20 }, (_, i) => object('bob', T0 + 9 * DAY + 40_000_000 + i * 1000, 'get', 'models', `toxicity-classifier/1/f${i}`, 1000));
    const order = (xs: MwEvent[]) => [...xs].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0));
    const detectors = [queryVolume, departingUser];
    const calm = createEngine({ context: testContext(), detectors });
    const calmAlerts = [...calm.push(order([...base, resign, spike])), ...calm.advanceTo(T0 + 12 * DAY)];
    assert.deepEqual(calmAlerts.map((a) => [a.detector, a.severity]), [['query-volume', 'medium']]);
    const busy = createEngine({ context: testContext(), detectors });
    const busyAlerts = [...busy.push(order([...base, resign, ...sweep, spike])), ...busy.advanceTo(T0 + 12 * DAY)];
    assert.deepEqual(busyAlerts.map((a) => [a.detector, a.severity]), [['departing-user', 'high'], ['query-volume', 'high']]);
  });

  it('validates detector options and runs every registered detector by default', () => {
    assert.throws(() => createDetectionEngine({ context: testContext(), detectorOptions: { 'query-volume': { lookbackDays: 'x' } } }));
    const e = createDetectionEngine({ context: testContext() });
    assert.deepEqual(Object.keys(e.stats().state).sort(), DETECTORS.map((d) => d.id).sort());
  });

  it('continues from a snapshot with the whole detector set: buffer, watermark, watch windows and emitted ids survive', () => {
    for (const seed of [4, 8, 15]) {
      const events = syntheticStream({ days: 50, seed });
      const batch = live(events, events.length);
      const arrivals = jitter(events, 240_000, seed);
      // Inside the resignation's watch window with a part of the attack released and a part buffered.
      const cut = arrivals.findIndex((e) => Date.parse(e.time) >= T0 + 26 * DAY + 9 * 3_600_000 + 5500);
      const a = createDetectionEngine({ context: testContext() });
      const alerts: Alert[] = [];
      for (const c of chunks(arrivals.slice(0, cut), 37)) alerts.push(...a.push(c));
      const snap = JSON.parse(JSON.stringify(a.snapshot())) as EngineSnapshot;
      assert.ok(snap.buffer.length > 0, 'the cut leaves events buffered');
      assert.ok(snap.watch.some(([p]) => p === 'alice'), 'the watch window is kept');
      assert.ok(snap.emitted.length > 0);
      const b = createDetectionEngine({ context: testContext() });
      b.restore(snap);
      assert.equal(b.stats().watermark, a.stats().watermark);
      for (const c of chunks(arrivals.slice(cut), 37, 9)) alerts.push(...b.push(c));
      alerts.push(...b.flush());
      assert.deepEqual(alerts.sort(compareAlerts), batch.alerts, `seed ${seed}`);
    }
  });

  it('counts an event behind the restored watermark as late, and refuses a snapshot it cannot take', () => {
    const a = createEngine({ context: testContext(), detectors: [queryVolume], allowedLatenessSeconds: 60 });
    a.push([inference('bob', T0 + 10 * 3_600_000)]);
    const b = createEngine({ context: testContext(), detectors: [queryVolume], allowedLatenessSeconds: 60 });
    b.restore(JSON.parse(JSON.stringify(a.snapshot())) as EngineSnapshot);
    b.push([inference('bob', T0 + 9 * 3_600_000), inference('bob', T0 + 10 * 3_600_000 - 30_000)]);
    assert.equal(b.stats().late, 1);
    assert.throws(() => b.restore(a.snapshot()), /fresh engine/);
    const { snapshot: _s, restore: _r, ...bare } = queryVolume.create(queryVolume.options.parse({}), testContext());
    const legacy = { ...queryVolume, id: 'legacy', create: () => bare };
    const c = createEngine({ context: testContext(), detectors: [legacy] });
    assert.throws(() => c.snapshot(), (e: unknown) => e instanceof SnapshotUnsupportedError && /detector legacy does not implement snapshot\(\) and restore\(\)/.test(e.message));
  });

  it('reads event times exactly as eventMs does (fast path for ISO UTC, fallback for the rest)', () => {
    const iso = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString());
    const odd = fc.oneof(iso.map((t) => t.replace('.000Z', 'Z')), iso.map((t) => t.slice(0, 19) + '+02:00'), iso.map((t) => t.replace(/T(\d)/, 'T9$1').slice(0, 24)), fc.string());
    fc.assert(
      fc.property(fc.oneof(iso, odd), (time) => {
        const a = timeMs({ time });
        const b = eventMs({ time });
        return Object.is(a, b);
      }),
      { numRuns: 3000 },
    );
    assert.ok(Number.isNaN(timeMs({ time: '2026-02-30T00:00:00Z' })) === Number.isNaN(eventMs({ time: '2026-02-30T00:00:00Z' })));
  });
});
