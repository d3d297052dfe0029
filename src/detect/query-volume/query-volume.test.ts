import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MwEvent } from '../../events/index.js';
import { createEngine } from '../engine.js';
import { DAY, T0, inference, testContext } from '../testkit.js';
import { buildContext } from '../types.js';
import type { DetectionContext } from '../types.js';
import { queryVolume } from './index.js';

function run(events: MwEvent[], ctx: DetectionContext = testContext(), options: Record<string, unknown> = {}) {
  const e = createEngine({ context: ctx, detectors: [queryVolume], detectorOptions: { 'query-volume': options } });
  const sorted = [...events].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const last = Date.parse(sorted[sorted.length - 1]!.time);
  return [...e.push(sorted), ...e.advanceTo(last + 2 * DAY)];
}

/** Weekday days only (T0 is a Monday): `volumes[i]` instances on the i-th weekday. */
function weekdays(p: string, volumes: number[]): MwEvent[] {
  const out: MwEvent[] = [];
  let d = 0;
  for (const v of volumes) {
    while ([0, 6].includes(new Date(T0 + d * DAY).getUTCDay())) d++;
    out.push(inference(p, T0 + d * DAY + 10 * 3_600_000, v));
    d++;
  }
  return out;
}

describe('query-volume', () => {
  it('flags a day far above the principal\'s own median, with the numbers that fired it', () => {
    const alerts = run(weekdays('bob', [800, 900, 1000, 850, 950, 900, 1000, 880, 20_000]));
    assert.equal(alerts.length, 1);
    const a = alerts[0]!;
    assert.equal(a.principal, 'bob');
    assert.equal(a.observed, 20_000);
    assert.equal(a.baseline, 900);
    assert.ok(a.threshold > 1000 && a.threshold < 20_000);
    assert.equal(a.severity, 'medium');
    assert.deepEqual(a.models, ['binding-affinity-predictor']);
  });

  it('does not flag ordinary variation, and one past outlier does not blind the baseline', () => {
    assert.equal(run(weekdays('bob', [800, 900, 1000, 850, 950, 900, 1000, 880, 1100])).length, 0);
    const alerts = run(weekdays('bob', [800, 900, 30_000, 850, 950, 900, 1000, 880, 12_000]));
    // The first spike has no baseline yet (team comparison: carol's team has none here, so the floor applies).
    assert.deepEqual(alerts.map((a) => a.observed), [30_000, 12_000]);
  });

  it('keeps weekends apart: a weekday-sized Saturday is judged against weekend habits', () => {
    const events = weekdays('bob', Array.from({ length: 15 }, () => 3000));
    // Quiet Saturdays, then a Saturday at weekday volume.
    for (let w = 0; w < 6; w++) events.push(inference('bob', T0 + (5 + 7 * w) * DAY + 36_000_000, 100 + w * 10));
    events.push(inference('bob', T0 + (5 + 7 * 6) * DAY + 36_000_000, 3000));
    const alerts = run(events);
    assert.equal(alerts.length, 1);
    assert.match(alerts[0]!.explanation, /weekend median/);
    assert.equal(new Date(alerts[0]!.window.start).getUTCDay(), 6);
  });

  it('compares a new principal with their team, and without a team with the floor', () => {
    const team: MwEvent[] = [...weekdays('carol', [400, 500, 450, 420, 480, 500]), ...weekdays('dave', [450, 470, 430, 460, 500, 490])];
    const newcomer = inference('erin', T0 + 7 * DAY + 36_000_000, 4000);
    const alerts = run([...team, newcomer]);
    assert.equal(alerts.length, 1);
    assert.match(alerts[0]!.explanation, /drug-discovery team's median \(new principal\)/);
    const stranger = run([inference('zed', T0 + 36_000_000, 4000)], buildContext({}));
    assert.equal(stranger.length, 0, '4000 is under the new-principal floor');
    const loud = run([inference('zed', T0 + 36_000_000, 9000)], buildContext({}));
    assert.equal(loud.length, 1);
    assert.match(loud[0]!.explanation, /new-principal floor/);
  });

  it('respects the noise floor option', () => {
    assert.equal(run(weekdays('bob', [10, 12, 11, 10, 12, 11, 900]), testContext(), { minDailyInstances: 1000 }).length, 0);
    assert.equal(run(weekdays('bob', [10, 12, 11, 10, 12, 11, 900]), testContext(), { minDailyInstances: 100 }).length, 1);
  });
});
