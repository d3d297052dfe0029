import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MwEvent } from '../../events/index.js';
import { createEngine } from '../engine.js';
import { DAY, T0, inference, person, rng } from '../testkit.js';
import { buildContext } from '../types.js';
import { collusion } from './index.js';

const context = buildContext({
  directory: [
    person('alice', 'comp-chem', ['binding-affinity']),
    person('bob', 'comp-chem', ['binding-affinity']),
    person('carol', 'drug-discovery', ['kinase']),
    person('dave', 'drug-discovery', ['kinase']),
    { ...person('svc-batch-scoring', 'comp-chem', ['binding-affinity'], 'service_account') },
  ],
});

function run(events: MwEvent[]) {
  const e = createEngine({ context, detectors: [collusion] });
  return [...e.push(events), ...e.flush()];
}

const sorted = (xs: MwEvent[]) => xs.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));

function from(e: MwEvent, ip: string): MwEvent {
  return { ...e, sourceIp: ip };
}

/** Everyday traffic: each principal from their own address, some days from a VPN address of their own. */
function habits(days: number, seed: number, who = ['alice', 'bob', 'carol', 'dave']): MwEvent[] {
  const r = rng(seed);
  const out: MwEvent[] = [];
  for (let d = 0; d < days; d++) {
    for (const [i, p] of who.entries()) {
      const ip = r() < 0.2 ? `10.8.0.${i + 1}` : `10.20.0.${i + 1}`;
      for (let k = 0; k < 3 + Math.floor(r() * 6); k++) out.push(from(inference(p, T0 + d * DAY + 8 * 3_600_000 + Math.floor(r() * 9 * 3_600_000), 20), ip));
    }
    // The pipeline scores every night from its pod.
    for (let k = 0; k < 4; k++) out.push(from(inference('svc-batch-scoring', T0 + d * DAY + 2 * 3_600_000 + k * 600_000, 100), '10.244.1.7'));
  }
  return out;
}

/** `keyOwner`'s key used from alice's workstation, `n` requests a few minutes after alice's own. */
function borrowed(keyOwner: string, t: number, n: number): MwEvent[] {
  const out: MwEvent[] = [];
  for (let i = 0; i < n; i++) {
    out.push(from(inference('alice', t + i * 900_000, 100), '10.20.0.1'));
    out.push(from(inference(keyOwner, t + i * 900_000 + 120_000, 100), '10.20.0.1'));
  }
  return out;
}

describe('collusion', () => {
  for (const seed of [1, 2, 3]) {
    it(`leaves everyday traffic alone, VPN days and a shared NAT address included (seed ${seed})`, () => {
      const r = rng(seed + 50);
      // Everybody also goes out through one NAT address from the start.
      const nat = Array.from({ length: 200 }, (_, i) => from(inference(['alice', 'bob', 'carol', 'dave'][i % 4]!, T0 + Math.floor(i / 4) * DAY / 2 + Math.floor(r() * 3_600_000) + 9 * 3_600_000, 5), '192.0.2.1'));
      assert.deepEqual(run(sorted([...habits(30, seed), ...nat])), []);
    });

    it(`flags two borrowed keys used from alice's workstation as a Sybil ring, on alice (seed ${seed})`, () => {
      const t = T0 + 20 * DAY + 10 * 3_600_000;
      const alerts = run(sorted([...habits(25, seed), ...borrowed('bob', t, 6), ...borrowed('carol', t + 30_000, 6)]));
      assert.ok(alerts.length >= 1);
      for (const a of alerts) assert.equal(a.principal, 'alice', 'the alert lands on the person behind the address');
      const last = alerts.at(-1)!;
      assert.equal(last.severity, 'high');
      assert.equal(last.observed, 2);
      assert.match(last.explanation, /keys of bob, carol made \d+ requests .* from 10\.20\.0\.1, an address habitually used only by alice, interleaved/);
    });
  }

  it('rates one borrowed key medium when interleaved with the owner, and a service account from a person\'s address medium', () => {
    const t = T0 + 20 * DAY + 10 * 3_600_000;
    const one = run(sorted([...habits(25, 4), ...borrowed('bob', t, 6)]));
    assert.deepEqual([...new Set(one.map((a) => a.severity))], ['medium']);
    // The pipeline key at midday from alice's address, alice not querying then: still medium (a service account driven by a person).
    const svc = Array.from({ length: 6 }, (_, i) => from(inference('svc-batch-scoring', t + 5 * 3_600_000 + i * 60_000, 100), '10.20.0.1'));
    const s = run(sorted([...habits(25, 4), ...svc]));
    assert.equal(s.length, 1);
    assert.equal(s[0]!.severity, 'medium');
    assert.match(s[0]!.explanation, /service account svc-batch-scoring/);
  });

  it('never lets a borrowed pipeline key own a person\'s address: the alert stays on the person', () => {
    const t = T0 + 20 * DAY + 10 * 3_600_000;
    // Alice's spare address, used by her once; the pipeline key then used from it on four days.
    const spare = '10.8.9.9';
    const events = [...habits(25, 6), from(inference('alice', t - DAY, 10), spare)];
    for (let d = 0; d < 4; d++) for (let i = 0; i < 3; i++) events.push(from(inference('svc-batch-scoring', t + d * DAY + i * 60_000, 100), spare));
    for (let i = 0; i < 6; i++) events.push(from(inference('bob', t + 4 * DAY + i * 60_000, 100), spare));
    const alerts = run(sorted(events));
    assert.ok(alerts.length > 0);
    for (const a of alerts) assert.equal(a.principal, 'alice');
  });

  it('stays quiet below the request floor and for a caller with no habits yet', () => {
    const t = T0 + 20 * DAY + 10 * 3_600_000;
    assert.deepEqual(run(sorted([...habits(25, 5), ...borrowed('bob', t, 4)])), []);
    const newcomer = Array.from({ length: 10 }, (_, i) => from(inference('erin', t + i * 60_000, 10), '10.20.0.1'));
    assert.deepEqual(run(sorted([...habits(25, 5), ...newcomer])), []);
  });
});
