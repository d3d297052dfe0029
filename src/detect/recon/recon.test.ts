import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MwEvent } from '../../events/index.js';
import { createEngine } from '../engine.js';
import { DAY, T0, object, registry, testContext } from '../testkit.js';
import { recon } from './index.js';

function run(events: MwEvent[]) {
  const e = createEngine({ context: testContext(), detectors: [recon] });
  return [...e.push(events), ...e.flush()];
}
function browsing(p: string, days: number): MwEvent[] {
  const out: MwEvent[] = [];
  for (let d = 0; d < days; d++) {
    out.push(registry(p, T0 + d * DAY + 36_000_000, 'search_models'));
    out.push(registry(p, T0 + d * DAY + 36_060_000, 'get_model', 'binding-affinity-predictor'));
  }
  return out;
}
/** Registry, endpoints and model-bucket prefixes of three models; `root` adds a listing of the model bucket from its root. */
function sweep(p: string, t: number, root = true): MwEvent[] {
  return [
    registry(p, t, 'list_models'),
    registry(p, t + 1000, 'list_endpoints'),
    ...['toxicity-classifier', 'admet-predictor', 'kinase-selectivity'].map((m, i) => registry(p, t + 2000 + i * 1000, 'get_model', m)),
    ...['toxicity-classifier/', 'admet-predictor/', 'kinase-selectivity/', ...(root ? [''] : [])].map((k, i) => object(p, t + 10_000 + i * 1000, 'list', 'models', k)),
  ];
}

describe('recon', () => {
  it('leaves a principal\'s usual registry browsing alone', () => {
    assert.equal(run(browsing('bob', 30)).length, 0);
  });

  it('flags a broad enumeration of registry, endpoints and model bucket beyond habit, once a day', () => {
    const t = T0 + 30 * DAY + 30_000_000;
    const alerts = run([...browsing('bob', 30), ...sweep('bob', t, false), ...sweep('bob', t + 3_600_000, false)]);
    assert.equal(alerts.length, 1);
    const a = alerts[0]!;
    assert.equal(a.severity, 'medium');
    assert.match(a.explanation, /registry, endpoints, bucket/);
    assert.ok(a.models.includes('toxicity-classifier'));
    assert.ok(a.observed > a.threshold);
  });

  it('does not count listing of non-model buckets', () => {
    const t = T0 + 30 * DAY;
    const lists = Array.from({ length: 20 }, (_, i) => object('bob', t + i * 1000, 'list', 'datasets', `x/${i}/`));
    assert.equal(run([...browsing('bob', 30), ...lists]).length, 0);
  });

  it('escalates within the day when the enumeration covers models outside the principal\'s projects', () => {
    const t = T0 + 30 * DAY + 30_000_000;
    // alice works on binding-affinity only: toxicity and admet (team) and kinase (another team) are outside her remit.
    // Without the root listing, the day holds no storage-wide enumeration new to her.
    const alerts = run([...browsing('alice', 30), ...sweep('alice', t, false)]);
    assert.ok(alerts.length >= 1);
    const last = alerts[alerts.length - 1]!;
    assert.equal(last.severity, 'high');
    assert.match(last.explanation, /3 models outside their projects/);
    assert.equal(new Set(alerts.map((a) => a.id)).size, alerts.length, 'an escalation has its own id');
    // bob's projects include predictive-safety: the same sweep touches only two models outside them.
    const bob = run([...browsing('bob', 30), ...sweep('bob', t, false)]);
    assert.ok(bob.length > 0 && bob.every((a) => a.severity === 'medium' || a.severity === 'low'));
  });

  it('is critical when a first mapping of the stores comes with other teams\' models the same day', () => {
    const t = T0 + 30 * DAY + 30_000_000;
    // bob: two models outside his projects and a model-bucket root listing he never did.
    const bob = run([...browsing('bob', 30), ...sweep('bob', t)]);
    const last = bob[bob.length - 1]!;
    assert.equal(last.severity, 'critical');
    assert.match(last.explanation, /model-bucket root listing they had not done in \d+ active days/);
    assert.match(last.explanation, /2 models outside their projects/);
    // The new mapping with a single foreign model, as benign users' first looks have, stays medium.
    const one = [registry('bob', t, 'list_models'), registry('bob', t + 1000, 'list_endpoints'), registry('bob', t + 2000, 'get_model', 'kinase-selectivity'), object('bob', t + 3000, 'list', 'models', '')];
    const alerts = run([...browsing('bob', 30), ...one]);
    assert.ok(alerts.length > 0 && alerts.every((a) => a.severity === 'medium'), JSON.stringify(alerts.map((a) => a.severity)));
  });

  it('does not escalate a principal whose habit is surveying other teams\' models', () => {
    const survey = (p: string, t: number): MwEvent[] =>
      ['toxicity-classifier', 'admet-predictor', 'kinase-selectivity'].map((m, i) => registry(p, t + i * 1000, 'get_model', m));
    const habit: MwEvent[] = [];
    for (let d = 0; d < 30; d++) habit.push(registry('alice', T0 + d * DAY + 36_000_000, 'list_models'), ...survey('alice', T0 + d * DAY + 36_100_000));
    const t = T0 + 30 * DAY + 30_000_000;
    const alerts = run([...habit, ...sweep('alice', t), ...sweep('alice', t + 3_600_000)]);
    assert.ok(alerts.every((a) => a.severity !== 'high' && a.severity !== 'critical'), JSON.stringify(alerts.map((a) => a.severity)));
  });
});

describe('recon: storage-wide enumeration new to the principal', () => {
  // A habit of registry searches and endpoint listings; then, one day, the same plus a first ListBuckets.
  const habit = (p: string, days: number): MwEvent[] =>
    Array.from({ length: days }, (_, d) => [registry(p, T0 + d * DAY + 36_000_000, 'search_models'), registry(p, T0 + d * DAY + 36_060_000, 'list_endpoints')]).flat();
  const firstLook = (p: string, t: number): MwEvent[] => [registry(p, t, 'search_models'), registry(p, t + 1000, 'list_endpoints'), { ...object(p, t + 2000, 'list', 'models', ''), bucket: null, key: null }];

  it('alerts on a broad day with a listing never done before, far below the count threshold', () => {
    const t = T0 + 20 * DAY + 30_000_000;
    const alerts = run([...habit('bob', 20), ...firstLook('bob', t)]);
    assert.equal(alerts.length, 1);
    const a = alerts[0]!;
    assert.equal(a.severity, 'medium');
    assert.ok(a.observed <= a.threshold, 'a handful of requests');
    assert.match(a.explanation, /bucket listing they had not done in 20 active days/);
  });

  it('does not alert a newcomer without a habit, nor the same listing once habitual', () => {
    assert.equal(run([...habit('bob', 2), ...firstLook('bob', T0 + 2 * DAY + 30_000_000)]).length, 0);
    const withBuckets = Array.from({ length: 20 }, (_, d) => firstLook('bob', T0 + d * DAY + 36_000_000)).flat();
    assert.equal(run([...withBuckets, ...firstLook('bob', T0 + 20 * DAY + 36_000_000)]).length, 0);
  });
});
