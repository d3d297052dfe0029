import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, fnv1a, seedFrom, sfc32 } from './rng.js';
import { DEFAULT_CONFIG, mergeConfig, parseOverrides } from './config.js';
import { clf, iso, isoNano } from './emit.js';
import { validateOptions } from './index.js';

test('sfc32 seeded by cyrb128 is deterministic and uniform enough', () => {
  const a = sfc32(seedFrom('42:x'));
  const b = sfc32(seedFrom('42:x'));
  const c = sfc32(seedFrom('42:y'));
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
  assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => c()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05);
  assert.equal(fnv1a('CCO'), fnv1a('CCO'));
  assert.notEqual(fnv1a('CCO'), fnv1a('OCC'));
});

test('Rng distributions stay in range', () => {
  const r = new Rng('dist');
  for (let i = 0; i < 2000; i++) {
    const k = r.int(3, 7);
    assert.ok(k >= 3 && k <= 7 && Number.isInteger(k));
    assert.ok(r.geometric(4) >= 1);
    const z = r.zipf(50, 1.1);
    assert.ok(z >= 0 && z < 50);
    assert.ok(r.poisson(3) >= 0);
  }
  const s = r.sample(100, 30);
  assert.equal(new Set(s).size, 30);
  assert.match(r.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  // Heavy tail: the log-normal's mean is above its median.
  const v = Array.from({ length: 5000 }, () => r.lognormal(10, 0.9)).sort((a, b) => a - b);
  assert.ok(Math.abs(v[2500]! - 10) < 1.5 && v.reduce((a, b) => a + b, 0) / v.length > 12);
});

test('config overrides are validated and merged', () => {
  const c = mergeConfig(parseOverrides({ teams: { drugDiscovery: 10 }, attack: { extraction: { molecules: [1, 2] } } }));
  assert.equal(c.teams.drugDiscovery, 10);
  assert.equal(c.teams.compChem, DEFAULT_CONFIG.teams.compChem);
  assert.deepEqual(c.attack.extraction.molecules, [1, 2]);
  assert.deepEqual(c.attack.extraction.batchesPerDay, DEFAULT_CONFIG.attack.extraction.batchesPerDay);
  assert.throws(() => parseOverrides({ teams: { nope: 1 } }), /teams/);
  assert.throws(() => parseOverrides({ attack: { extraction: { molecules: [5, 1] } } }), /range/);
  assert.throws(() => parseOverrides({ teams: { compChem: 'many' } }), /compChem/);
});

test('time formats', () => {
  const t = Date.parse('2026-02-03T10:15:02.007Z');
  assert.equal(iso(t), '2026-02-03T10:15:02.007Z');
  assert.equal(isoNano(t, 1234), '2026-02-03T10:15:02.007001234Z');
  assert.equal(clf(t), '03/Feb/2026:10:15:02 +0000');
  for (let k = 0; k < 500; k++) {
    const x = 1767225600000 + k * 7_777_777;
    assert.equal(iso(x), new Date(x).toISOString());
  }
});

test('options are checked', () => {
  assert.throws(() => validateOptions({ seed: -1, out: 'x' }), /seed/);
  assert.throws(() => validateOptions({ seed: 1, out: 'x', days: 0 }), /days/);
  assert.throws(() => validateOptions({ seed: 1, out: 'x', start: '2026-02-30' }), /start/);
  assert.throws(() => validateOptions({ seed: 1, out: 'x', scale: 0 }), /scale/);
  assert.throws(() => validateOptions({ seed: 1, out: 'x', variant: 'nope' as 'baseline' }), /variant/);
  assert.deepEqual(validateOptions({ seed: 3, out: 'x' }), { seed: 3, out: 'x', days: 90, start: '2026-02-01', scale: 1, variant: 'baseline' });
});

test('a large population has unique principals, emails and keys', async () => {
  const { buildWorld } = await import('./world.js');
  const { loadPool } = await import('./pool.js');
  const w = buildWorld(loadPool(), mergeConfig(undefined), 9, 'sybil', 100, Date.parse('2026-02-01T00:00:00Z'));
  assert.ok(w.people.length > 7000);
  for (const key of ['principal', 'email', 'apiKey'] as const) assert.equal(new Set(w.people.map((p) => p[key])).size, w.people.length, key);
  assert.equal(w.roles.accomplices.length, 3);
});
