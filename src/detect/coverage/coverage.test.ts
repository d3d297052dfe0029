import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MwEvent } from '../../events/index.js';
import { createEngine } from '../engine.js';
import { BottomK, featureFingerprint, hash32, inputRef } from '../molecules.js';
import { days, traffic } from '../chem-testkit.js';
import { DAY, T0, hashedFingerprint, inference, person, rng, testContext } from '../testkit.js';
import { buildContext } from '../types.js';
import type { DetectionContext } from '../types.js';
import { coverage } from './index.js';

function run(events: MwEvent[], ctx: DetectionContext = testContext(), options: Record<string, unknown> = {}) {
  const e = createEngine({ context: ctx, detectors: [coverage], detectorOptions: { coverage: options } });
  const sorted = [...events].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
  const last = Date.parse(sorted[sorted.length - 1]!.time);
  return [...e.push(sorted), ...e.advanceTo(last + 2 * DAY)];
}

/** `run`, with a snapshot through JSON after `fraction` of the events, continuing in a fresh engine. */
function runInterrupted(events: MwEvent[], fraction: number, ctx: DetectionContext = testContext(), options: Record<string, unknown> = {}) {
  const make = () => createEngine({ context: ctx, detectors: [coverage], detectorOptions: { coverage: options } });
  const sorted = [...events].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
  const cut = Math.floor(sorted.length * fraction);
  const first = make();
  const out = first.push(sorted.slice(0, cut));
  const second = make();
  second.restore(JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<typeof first.snapshot>);
  const last = Date.parse(sorted[sorted.length - 1]!.time);
  return [...out, ...second.push(sorted.slice(cut)), ...second.advanceTo(last + 2 * DAY)];
}

describe('coverage: bounded samples', () => {
  it('samples the same distinct inputs whatever the order, and estimates the distinct count', () => {
    for (const seed of [1, 2, 3]) {
      const t = traffic(seed);
      const mols = [...t.diverse(3000), ...t.series('a', 2000)];
      const ctx = testContext();
      const refs = (xs: string[]) => inference('bob', T0, xs.length, undefined, xs).instances.map((i) => inputRef(i, ctx)!);
      const a = new BottomK(128);
      const b = new BottomK(128);
      for (const r of refs(mols)) a.offer(r);
      for (const r of refs([...mols].reverse())) b.offer(r);
      for (const r of refs(mols.slice(0, 500))) b.offer(r);
      assert.deepEqual(a.fingerprints(), b.fingerprints());
      const exact = new Set(mols).size;
      assert.ok(Math.abs(a.distinct() - exact) / exact < 0.25, `KMV ${a.distinct()} vs ${exact}`);
    }
  });

  it('continues a sample restored from its JSON snapshot exactly as the original, molecules and feature vectors alike', () => {
    for (const seed of [5, 6, 7]) {
      const t = traffic(seed);
      const ctx = testContext();
      const r = rng(seed);
      const vectors = Array.from({ length: 400 }, () => Array.from({ length: 24 }, () => (r() - 0.5) * 1000));
      const mols = [...t.diverse(1500), ...t.series('b', 800)];
      const refs = [
        ...inference('bob', T0, mols.length, undefined, mols).instances.map((i) => inputRef(i, ctx)!),
        ...vectors.map((f) => inputRef({ input: { type: 'features', hash: `v${hash32(f.join(','))}`, features: f }, output: null }, ctx)!),
      ];
      const cut = Math.floor(refs.length * (0.2 + 0.6 * r()));
      const whole = new BottomK(128);
      const first = new BottomK(128);
      for (const ref of refs) whole.offer(ref);
      for (const ref of refs.slice(0, cut)) first.offer(ref);
      const restored = BottomK.of(128, JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<BottomK['snapshot']>);
      assert.deepEqual(restored.fingerprints(), first.fingerprints());
      for (const ref of refs.slice(cut)) restored.offer(ref);
      assert.deepEqual(restored.fingerprints(), whole.fingerprints());
      assert.equal(restored.distinct(), whole.distinct());
    }
  });

  it('fingerprints only inputs that enter the sample, and hashes near-identical keys apart', () => {
    let calls = 0;
    const ctx = buildContext({ fingerprint: (s) => (calls++, hashedFingerprint(s)) });
    const s = new BottomK(64);
    for (const r of inference('bob', T0, 1, undefined, traffic(4).diverse(5000)).instances.map((i) => inputRef(i, ctx)!)) s.offer(r);
    // Expected entries into a bottom-k sample of n is about k(1 + ln(n/k)); far below n.
    assert.ok(calls < 64 * (1 + Math.log(5000 / 64)) * 1.5, `${calls} fingerprints`);
    assert.notEqual(hash32('CCO') >>> 24, hash32('CCN') >>> 24);
  });

  it('gives close numeric feature vectors close fallback fingerprints', () => {
    const sim = (a: Uint8Array, b: Uint8Array) => {
      let both = 0;
      let either = 0;
      for (let i = 0; i < a.length; i++) {
        for (let k = 0; k < 8; k++) {
          const x = (a[i]! >> k) & 1;
          const y = (b[i]! >> k) & 1;
          both += x & y;
          either += x | y;
        }
      }
      return both / either;
    };
    const base = Array.from({ length: 20 }, (_, i) => i * 3.7);
    const near = base.map((x, i) => (i === 0 ? x + 50 : x));
    const far = base.map((x) => x * 9 + 100);
    assert.ok(sim(featureFingerprint(base), featureFingerprint(near)) > 0.8);
    assert.ok(sim(featureFingerprint(base), featureFingerprint(far)) < 0.2);
  });
});

describe('coverage', () => {
  for (const seed of [1, 2, 3]) {
    it(`flags a day covering many series against focused research habits (seed ${seed})`, () => {
      const t = traffic(seed);
      const history = Array.from({ length: 8 }, (_, d) => [...t.series('bace', 40 + d * 3), ...t.series('bace-b', 20)]);
      const events = [
        ...days('alice', [...history, [...t.diverse(1500), ...t.series('bace', 40)]]),
        ...days('bob', [...history, ...history.slice(0, 1)].map((x) => x.map((s) => s + 'N'))),
        // A big focused batch job: many molecules, few series.
        ...days('carol', [...history, t.series('kinase', 1500)]),
      ];
      // Judged when the day closes (early judgements off): the whole day's count.
      const alerts = run(events, testContext(), { earlyCheckEvery: 0 });
      assert.equal(alerts.length, 1, JSON.stringify(alerts.map((a) => [a.principal, a.explanation])));
      const a = alerts[0]!;
      assert.equal(a.principal, 'alice');
      assert.ok(a.observed > 1000 && a.observed > a.threshold && a.threshold > a.baseline, `${a.observed} ${a.threshold} ${a.baseline}`);
      assert.ok(['medium', 'high'].includes(a.severity));
      assert.match(a.explanation, /covered about \d[\d,]* distinct series in one day .*mean pairwise Tanimoto distance 0\.\d\d.* against their own median/);
      assert.ok(a.evidence.length > 0 && a.evidence.length <= 50);

      // By default the open day is judged every 100 new inputs: the same day alerts within it, once it is a
      // medium day, long before its 1,500 diverse molecules are done; the close does not repeat it.
      const early = run(events);
      assert.ok(early.length >= 1 && early.every((x) => x.principal === 'alice'), JSON.stringify(early.map((x) => [x.principal, x.severity])));
      const e = early[0]!;
      assert.ok(['medium', 'high'].includes(e.severity));
      assert.ok(Date.parse(e.at) < Date.parse(a.at), `early ${e.at} before the close ${a.at}`);
      assert.equal(e.window.end, e.at, 'the window is the day so far');
      assert.ok(e.observed >= 250 && e.observed < a.observed, `early count ${e.observed} of the day's ${a.observed}`);
      assert.match(e.explanation, /so far today/);
      if (early.length > 1) assert.ok(early.slice(1).every((x) => x.severity === 'high' && e.severity === 'medium'), 'the close adds an alert only when the day ended worse');
    });
  }

  it('keeps a broad day of an announced campaign low, once per campaign, saying why', () => {
    const t = traffic(7);
    const ctx = buildContext({ fingerprint: hashedFingerprint, directory: [person('kim', 'drug-discovery', ['jak2', 'virtual-screening-jak2-2026'])] });
    const history = Array.from({ length: 8 }, () => t.series('jak2', 50));
    const campaign = Array.from({ length: 5 }, () => t.diverse(1200));
    const alerts = run(days('kim', [...history, ...campaign]), ctx, { announcedAlerts: 'low' });
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.severity, 'low');
    assert.match(alerts[0]!.explanation, /kept low because the directory announces project virtual-screening-jak2-2026/);
    assert.equal(run(days('kim', [...history, ...campaign]), ctx).length, 0, 'silent by default');
    // Without the announcement the campaign alerts day after day, starting above low.
    const plain = run(days('kim', [...history, ...campaign]), buildContext({ fingerprint: hashedFingerprint, directory: [person('kim', 'drug-discovery', ['jak2'])] }));
    assert.ok(plain.length >= 3 && plain[0]!.severity !== 'low', JSON.stringify(plain.map((a) => a.severity)));
  });

  it('judges a new principal against their team, and ignores molecules without fingerprints', () => {
    const t = traffic(9);
    const team = ['bob', 'frank'].flatMap((p) => days(p, Array.from({ length: 6 }, () => t.series(p, 60))));
    const late = (xs: string[]) => days('alice', [...Array.from({ length: 6 }, () => []), xs]);
    const alerts = run([...team, ...late(t.diverse(800))]);
    assert.equal(alerts.length, 1);
    assert.match(alerts[0]!.explanation, /comp-chem team's median \(new principal\)/);
    assert.equal(run([...team, ...late(t.diverse(800))], buildContext({})).length, 0);
  });

  it('falls back to numeric features for non-molecular models', () => {
    const m = rng(3);
    const clustered = () => Array.from({ length: 12 }, (_, i) => i * 10 + Math.floor(m() * 2));
    const spread = () => Array.from({ length: 12 }, () => Math.floor(m() * 1e6));
    const ev = (p: string, d: number, vecs: number[][]) => {
      const e = inference(p, T0 + d * DAY + 36_000_000, vecs.length, 'trial-success-predictor');
      e.instances = vecs.map((f, i) => ({ input: { type: 'features' as const, hash: `${p}-${d}-${i}-${f.join(',')}`, features: f }, output: null }));
      return e;
    };
    const events: MwEvent[] = [];
    for (let d = 0; d < 7; d++) events.push(ev('carol', d, Array.from({ length: 60 }, clustered)));
    events.push(ev('carol', 8, Array.from({ length: 600 }, spread)));
    const alerts = run(events);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.models[0], 'trial-success-predictor');
  });

  it('continues from a snapshot with its own, team and campaign memory: the alerts of an uninterrupted run (several seeds and cuts)', () => {
    for (const seed of [11, 12, 13]) {
      const t = traffic(seed);
      const history = Array.from({ length: 8 }, (_, d) => [...t.series('bace', 40 + d * 3), ...t.series('bace-b', 20)]);
      // Own history: alice's broad day against her focused days, bob's regular ones.
      const own = [...days('alice', [...history, [...t.diverse(1500), ...t.series('bace', 40)]]), ...days('bob', history.map((x) => x.map((m) => m + 'N')))];
      // Team history: erin is new, judged against carol's and dave's days.
      const team = [...['carol', 'dave'].flatMap((p) => days(p, Array.from({ length: 6 }, () => t.series(p, 60)))), ...days('erin', [...Array.from({ length: 6 }, () => []), t.diverse(800)])];
      // An announced campaign alerts once, not again on its later days.
      const ctx = buildContext({ fingerprint: hashedFingerprint, directory: [person('kim', 'drug-discovery', ['jak2', 'virtual-screening-jak2-2026'])] });
      const campaign = days('kim', [...Array.from({ length: 8 }, () => t.series('jak2', 50)), ...Array.from({ length: 4 }, () => t.diverse(1200))]);
      const r = rng(seed);
      for (const [events, c, options] of [[own, testContext(), {}], [team, testContext(), {}], [campaign, ctx, { announcedAlerts: 'low' }]] as const) {
        const whole = run(events, c, options);
        assert.ok(whole.length > 0);
        for (const fraction of [0.55, 0.8, 0.9, 0.3 + 0.65 * r()]) {
          assert.deepEqual(runInterrupted(events, fraction, c, options), whole, `seed ${seed}, cut at ${fraction.toFixed(2)}`);
        }
      }
    }
  });
});
