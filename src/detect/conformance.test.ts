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
import { chunks, jitter, syntheticStream, testContext } from './testkit.js';
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
