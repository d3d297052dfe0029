import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MwEvent } from '../../events/index.js';
import { createEngine } from '../engine.js';
import { DAY, T0, hr, object, registry, testContext } from '../testkit.js';
import { departingUser } from './index.js';

function habit(p: string, fromDay: number, toDay: number): MwEvent[] {
  const out: MwEvent[] = [];
  for (let d = fromDay; d < toDay; d++) {
    out.push(registry(p, T0 + d * DAY + 36_000_000, 'get_model', 'binding-affinity-predictor'));
    out.push(object(p, T0 + d * DAY + 37_000_000, 'get', 'datasets', `x/${d}.parquet`, 1000));
  }
  return out;
}
function spree(p: string, day: number): MwEvent[] {
  return Array.from({ length: 20 }, (_, i) => object(p, T0 + day * DAY + 40_000_000 + i * 1000, 'get', 'models', `toxicity-classifier/1/f${i}`, 1000));
}
function run(events: MwEvent[]) {
  const e = createEngine({ context: testContext(), detectors: [departingUser] });
  const sorted = [...events].sort((a, b) => (a.time < b.time ? -1 : 1));
  return [...e.push(sorted), ...e.advanceTo(Date.parse(sorted[sorted.length - 1]!.time) + 2 * DAY)];
}

describe('departing-user', () => {
  const resign = hr('bob', T0 + 20 * DAY + 3_600_000, 'resignation_submitted', '2026-02-22', '2026-03-24');

  it('stays quiet for a resigner who keeps their habits', () => {
    assert.equal(run([...habit('bob', 0, 40), resign]).length, 0);
  });

  it('flags a post-resignation day far above the pre-resignation baseline', () => {
    const alerts = run([...habit('bob', 0, 40), resign, ...spree('bob', 25)]);
    assert.equal(alerts.length, 1);
    const a = alerts[0]!;
    assert.equal(a.window.start, new Date(T0 + 25 * DAY).toISOString());
    assert.equal(a.baseline, 2);
    assert.ok(a.observed > a.threshold);
    assert.match(a.explanation, /who has resigned/);
  });

  it('ignores the same spree before the resignation or without one', () => {
    assert.equal(run([...habit('bob', 0, 40), ...spree('bob', 15), resign]).length, 0);
    assert.equal(run([...habit('bob', 0, 40), ...spree('bob', 25)]).length, 0);
  });

  it('alerts within the day when a resigner reaches for models outside their projects', () => {
    // alice works on binding-affinity only; toxicity (her team's other project) and kinase (another team) are outside it.
    const aliceResigns = hr('alice', T0 + 20 * DAY + 3_600_000, 'resignation_submitted', '2026-02-22', '2026-03-24');
    const t = T0 + 25 * DAY + 36_000_000;
    const reach = [registry('alice', t, 'get_model', 'toxicity-classifier'), object('alice', t + 60_000, 'list', 'models', 'kinase-selectivity/')];
    const alerts = run([...habit('alice', 0, 40), aliceResigns, ...reach]);
    const foreign = alerts.filter((a) => /outside their projects/.test(a.explanation));
    assert.equal(foreign.length, 1);
    assert.equal(foreign[0]!.severity, 'high');
    assert.equal(foreign[0]!.at, new Date(t + 60_000).toISOString(), 'fires at the second model, not at the day end');
    assert.deepEqual(foreign[0]!.models, ['kinase-selectivity', 'toxicity-classifier']);
    // The same reach before resigning, or by someone who never resigned, is not this detector's business.
    assert.equal(run([...habit('alice', 0, 40), ...reach]).length, 0);
    // One model outside the projects is an ordinary look, not a pattern.
    assert.equal(run([...habit('alice', 0, 40), aliceResigns, reach[0]!]).filter((a) => /outside their projects/.test(a.explanation)).length, 0);
  });

  it('alerts within the day on a resigner\'s first listing of every bucket, alone', () => {
    const carolResigns = hr('carol', T0 + 20 * DAY + 3_600_000, 'resignation_submitted', '2026-02-22', '2026-03-24');
    const t = T0 + 22 * DAY + 36_000_000;
    const listBuckets = { ...object('carol', t, 'list', 'models', ''), bucket: null, key: null };
    const alerts = run([...habit('carol', 0, 40), carolResigns, listBuckets]);
    const mapped = alerts.filter((a) => /never done in \d+ active days before resigning/.test(a.explanation));
    assert.equal(mapped.length, 1);
    assert.equal(mapped[0]!.severity, 'high');
    assert.equal(mapped[0]!.at, new Date(t).toISOString());
    assert.match(mapped[0]!.explanation, /did bucket listing/);
    assert.ok(mapped[0]!.observed >= mapped[0]!.threshold);
    // A first listing of a model bucket's root (benign scientists do it now and then) is one reach, not an alert.
    const root = object('carol', t, 'list', 'models', '');
    assert.equal(run([...habit('carol', 0, 40), carolResigns, root]).filter((a) => /never done/.test(a.explanation)).length, 0);
    // Not before the resignation, and not when listing buckets was already her habit.
    assert.equal(run([...habit('carol', 0, 40), listBuckets]).length, 0);
    const habitual = Array.from({ length: 10 }, (_, d) => ({ ...object('carol', T0 + d * DAY + 38_000_000, 'list', 'models', ''), bucket: null, key: null }));
    assert.equal(run([...habit('carol', 0, 40), ...habitual, carolResigns, listBuckets]).filter((a) => /never done/.test(a.explanation)).length, 0);
  });
});
