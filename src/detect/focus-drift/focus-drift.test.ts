import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MwEvent } from '../../events/index.js';
import { days, traffic } from '../chem-testkit.js';
import { createEngine } from '../engine.js';
import { DAY, hashedFingerprint, person, testContext } from '../testkit.js';
import { buildContext } from '../types.js';
import type { DetectionContext } from '../types.js';
import { focusDrift } from './index.js';

function run(events: MwEvent[], ctx: DetectionContext = testContext(), options: Record<string, unknown> = {}) {
  const e = createEngine({ context: ctx, detectors: [focusDrift], detectorOptions: { 'focus-drift': options } });
  const sorted = [...events].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
  const last = Date.parse(sorted[sorted.length - 1]!.time);
  return [...e.push(sorted), ...e.advanceTo(last + 2 * DAY)];
}

describe('focus-drift', () => {
  for (const seed of [1, 2, 3]) {
    it(`flags a day that leaves the principal's focus area, not one that stays in it (seed ${seed})`, () => {
      const t = traffic(seed);
      const history = Array.from({ length: 8 }, () => [...t.series('bace', 30), ...t.series('bace-b', 10)]);
      const alerts = run([
        ...days('alice', [...history, t.series('bace', 200), [...t.diverse(300), ...t.series('bace', 20)]]),
        ...days('bob', [...history, t.series('bace-b', 200)].map((d) => d.map((s) => `N${s}`))),
      ]);
      assert.equal(alerts.length, 1, JSON.stringify(alerts.map((a) => a.explanation)));
      const a = alerts[0]!;
      assert.equal(a.principal, 'alice');
      assert.equal(new Date(a.window.start).getUTCDate(), 13, 'the tenth weekday (Friday 13 February)');
      assert.ok(a.observed > 0.8 && a.observed > a.threshold, `${a.observed} > ${a.threshold}`);
      assert.equal(a.severity, 'high');
      assert.match(a.explanation, /^\d+% of alice's \d+ distinct inputs in one day lie outside their focus area .* against their median share of \d+% \(threshold \d+%\)\.$/);
    });
  }

  it('needs a focus to leave: a new principal, or one who always queries widely, is not flagged', () => {
    const t = traffic(4);
    assert.equal(run(days('alice', [t.diverse(500)])).length, 0);
    // A thin focus (one day of 15 molecules) is judged, but its alert stays low.
    const thin = run(days('alice', [t.series('a', 15), [...t.diverse(200), ...t.series('a', 10)]]));
    assert.deepEqual(thin.map((a) => a.severity), ['low']);
    assert.match(thin[0]!.explanation, /focus sampled from 15 earlier inputs/);
    const wide = Array.from({ length: 10 }, () => [...t.series('a', 30), ...t.diverse(30)]);
    assert.equal(run(days('alice', wide)).length, 0, 'about half off focus every day is this principal\'s habit');
  });

  it('keeps an announced campaign low, once, and ignores molecules without fingerprints', () => {
    const t = traffic(5);
    const perDay = [...Array.from({ length: 8 }, () => t.series('jak2', 40)), ...Array.from({ length: 4 }, () => t.diverse(400))];
    const ctx = buildContext({ fingerprint: hashedFingerprint, directory: [person('kim', 'drug-discovery', ['jak2', 'virtual-screening-jak2-2026'])] });
    const alerts = run(days('kim', perDay), ctx, { announcedAlerts: 'low' });
    assert.equal(run(days('kim', perDay), ctx).length, 0, 'silent by default');
    assert.deepEqual(alerts.map((a) => a.severity), ['low']);
    assert.match(alerts[0]!.explanation, /kept low because the directory announces project virtual-screening-jak2-2026\.$/);
    assert.ok(run(days('kim', perDay), buildContext({ fingerprint: hashedFingerprint })).length >= 1);
    assert.equal(run(days('kim', perDay), buildContext({})).length, 0);
  });
});
