/**
 * The detector contract, checked against every registered detector:
 * determinism, chunking invariance, bounded state, no wall-clock reads, and
 * explainable output. A new detector is added to DETECTORS and must pass this
 * file unchanged. Experimental detectors are held to it too.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MwEvent } from '../events/index.js';
import type { Alert } from './alert.js';
import { alertSchema, compareAlerts } from './alert.js';
import { createEngine } from './engine.js';
import { DETECTORS, EXPERIMENTAL_DETECTORS } from './registry.js';
import { isAtlasId, isTechniqueId } from './techniques.js';
import { DAY, T0, chunks, jitter, rng, syntheticStream, testContext } from './testkit.js';
import type { AnyDetector } from './types.js';

const LATENESS_S = 300;
const stream = syntheticStream({ days: 60, seed: 11 });
const longStream = syntheticStream({ days: 240, seed: 5, extraPrincipals: 4 });
const ids = new Set(stream.map((e) => e.id));

function run(d: AnyDetector, batches: ReadonlyArray<readonly MwEvent[]>, onChunk?: (size: ReturnType<ReturnType<typeof createEngine>['stats']>) => void): { alerts: Alert[]; late: number } {
  const engine = createEngine({ context: testContext(), detectors: [d], allowedLatenessSeconds: LATENESS_S });
  const alerts: Alert[] = [];
  for (const b of batches) {
    alerts.push(...engine.push(b));
    onChunk?.(engine.stats());
  }
  alerts.push(...engine.flush());
  return { alerts: alerts.sort(compareAlerts), late: engine.stats().late };
}

/**
 * Feeds `arrivals` in chunks, but stops after `cut` events, takes a snapshot
 * through JSON (as the store keeps it), and continues the stream in a fresh
 * engine restored from it.
 */
function runInterrupted(d: AnyDetector, arrivals: readonly MwEvent[], cut: number): { alerts: Alert[]; snapshotBytes: number; principals: number } {
  const first = createEngine({ context: testContext(), detectors: [d], allowedLatenessSeconds: LATENESS_S });
  const alerts: Alert[] = [];
  for (const c of chunks(arrivals.slice(0, cut), 40)) alerts.push(...first.push(c));
  const text = JSON.stringify(first.snapshot());
  const snapshotBytes = JSON.stringify(first.snapshot().detectors[d.id]).length;
  const principals = first.stats().state[d.id]!.principals;
  const second = createEngine({ context: testContext(), detectors: [d], allowedLatenessSeconds: LATENESS_S });
  second.restore(JSON.parse(text) as ReturnType<typeof first.snapshot>);
  for (const c of chunks(arrivals.slice(cut), 40, 5)) alerts.push(...second.push(c));
  alerts.push(...second.flush());
  return { alerts: alerts.sort(compareAlerts), snapshotBytes, principals };
}

/** Makes every wall-clock read throw for the duration of `fn`. */
function withoutWallClock<T>(fn: () => T): T {
  const RealDate = Date;
  const realNow = Date.now;
  const realPerf = performance.now.bind(performance);
  class FrozenDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) throw new Error('wall-clock read: new Date()');
      super(...(args as [number]));
    }
    static override now(): number {
      throw new Error('wall-clock read: Date.now()');
    }
  }
  globalThis.Date = FrozenDate as DateConstructor;
  performance.now = () => {
    throw new Error('wall-clock read: performance.now()');
  };
  try {
    return fn();
  } finally {
    globalThis.Date = RealDate;
    RealDate.now = realNow;
    performance.now = realPerf;
  }
}

for (const d of [...DETECTORS, ...EXPERIMENTAL_DETECTORS]) {
  describe(`detector ${d.id} conforms`, () => {
    const bounds = d.stateBounds(d.options.parse({}));

    it('declares its face: id, title, accepted kinds, options with defaults, known techniques', () => {
      assert.match(d.id, /^[a-z][a-z0-9-]*$/);
      assert.ok(d.title.length > 10);
      assert.ok(d.accepts.length > 0);
      assert.doesNotThrow(() => d.options.parse({}), 'every option has a default');
      assert.throws(() => d.options.parse({ notAnOption: 1 }), 'unknown options are rejected');
      for (const t of d.techniques) assert.ok(isTechniqueId(t), `${t} is in the technique list`);
      assert.ok(d.techniques.some(isAtlasId) && d.techniques.some((t) => !isAtlasId(t)), 'ATLAS and ATT&CK');
      assert.ok(bounds.maxEntriesPerPrincipal > 0 && bounds.maxBytesPerPrincipal > 0);
    });

    it('is deterministic: same input, same alerts', () => {
      const a = run(d, [stream]);
      const b = run(d, [stream]);
      assert.ok(a.alerts.length > 0, 'the synthetic stream makes every detector fire');
      assert.deepEqual(a.alerts, b.alerts);
    });

    it('is invariant to chunking and bounded disorder', () => {
      const batch = run(d, [stream]);
      const live = run(d, chunks(jitter(stream, (LATENESS_S * 1000) / 2), 50));
      assert.equal(live.late, 0);
      assert.deepEqual(live.alerts, batch.alerts);
      const single = run(d, stream.map((e) => [e]));
      assert.deepEqual(single.alerts, batch.alerts);
    });

    it('keeps per-principal state under its declared bound on a long stream', () => {
      let peak = 0;
      run(d, chunks(longStream, 500), (s) => {
        peak = Math.max(peak, s.state[d.id]!.maxEntriesPerPrincipal);
      });
      assert.ok(peak <= bounds.maxEntriesPerPrincipal, `peak ${peak} <= ${bounds.maxEntriesPerPrincipal}`);
    });

    it('snapshots and restores its state mid-stream: the same alerts as an uninterrupted run (several seeds)', () => {
      const probe = d.create(d.options.parse({}), testContext());
      assert.ok(
        typeof probe.snapshot === 'function' && typeof probe.restore === 'function',
        `detector ${d.id} must implement snapshot() and restore() on the instance create() returns (DetectorInstance in src/detect/types.ts): ` +
          'incremental `mirrorwatch detect` saves every detector\'s state and continues from it (docs/detect.md, "Incremental runs and snapshots")',
      );
      let checked = 0;
      for (const seed of [11, 23, 42]) {
        const events = syntheticStream({ days: 60, seed });
        const whole = run(d, [events]).alerts;
        assert.ok(whole.length > 0);
        const arrivals = jitter(events, (LATENESS_S * 1000) / 2, seed);
        // Cuts inside the attack (the stream's alice acts from day 30) and one at a random point.
        const at = (ms: number): number => arrivals.findIndex((e) => Date.parse(e.time) >= ms);
        const cuts = [at(T0 + 30 * DAY + 9 * 3_600_000), at(T0 + 31 * DAY + 9 * 3_600_000 + 5500), at(T0 + 34 * DAY + 17 * 3_600_000 + 100_000), Math.floor(arrivals.length * (0.1 + 0.8 * rng(seed)()))];
        for (const cut of cuts) {
          const r = runInterrupted(d, arrivals, cut);
          assert.deepEqual(r.alerts, whole, `${d.id}: seed ${seed}, snapshot after ${cut} of ${arrivals.length} events`);
          // The snapshot is bounded like the state: declared bytes per principal, plus team-level state.
          assert.ok(
            r.snapshotBytes <= r.principals * bounds.maxBytesPerPrincipal + 16_384,
            `${d.id}: snapshot of ${r.snapshotBytes} B for ${r.principals} principals exceeds the declared ${bounds.maxBytesPerPrincipal} B per principal`,
          );
          checked++;
        }
      }
      assert.equal(checked, 12);
    });

    it('never reads the wall clock', () => {
      const alerts = withoutWallClock(() => run(d, chunks(stream, 200)).alerts);
      assert.ok(alerts.length > 0);
    });

    it('explains every alert: schema, numbers, evidence from the input, techniques, one sentence', () => {
      for (const a of run(d, [stream]).alerts) {
        alertSchema.parse(a);
        assert.equal(a.detector, d.id);
        for (const n of [a.observed, a.baseline, a.threshold]) assert.ok(Number.isFinite(n));
        for (const id of a.evidence) assert.ok(ids.has(id), `evidence ${id} is an input event`);
        for (const t of a.techniques) assert.ok(d.techniques.includes(t as never), `${t} declared by ${d.id}`);
        assert.ok(a.techniques.some(isAtlasId) && a.techniques.some((t) => !isAtlasId(t)), 'ATLAS and ATT&CK ids');
        assert.ok(a.window.start <= a.window.end && a.window.start <= a.at, 'window and time agree');
        assert.match(a.explanation, /^[^\n]+\.$/, 'one line ending with a full stop');
        assert.doesNotMatch(a.explanation.slice(0, -1), /[.!?]\s+[A-Z]/, 'a single sentence');
      }
    });
  });
}
