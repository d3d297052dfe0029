import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { MwEvent } from '../../events/index.js';
import { createEngine } from '../engine.js';
import { DAY, FRAGMENTS, LIBRARY, T0, answered, inference, rng, testContext } from '../testkit.js';
import { buildContext } from '../types.js';
import type { DetectionContext } from '../types.js';
import { heavyAtoms, sideChannel } from './index.js';

const ALPHABET = 'CCCCNOc1()=F';

function run(events: MwEvent[], context: DetectionContext = testContext()) {
  const e = createEngine({ context, detectors: [sideChannel] });
  return [...e.push(events), ...e.flush()];
}

/** Runs `events` with a snapshot through JSON after `cut` of them, continuing in a fresh engine. */
function runInterrupted(events: MwEvent[], cut: number) {
  const first = createEngine({ context: testContext(), detectors: [sideChannel] });
  const out = first.push(events.slice(0, cut));
  const second = createEngine({ context: testContext(), detectors: [sideChannel] });
  second.restore(JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<typeof first.snapshot>);
  return [...out, ...second.push(events.slice(cut)), ...second.flush()];
}

const sorted = (xs: MwEvent[]) => xs.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));

/** A chemist's habit: batches from a focus of library compounds, some answered with low confidence and re-queried. */
function chemist(p: string, days: number, seed: number): MwEvent[] {
  const r = rng(seed);
  const focus = LIBRARY.slice(seed * 40, seed * 40 + 60);
  const out: MwEvent[] = [];
  for (let d = 0; d < days; d++) {
    for (let k = 0; k < 4; k++) {
      const n = 1 + Math.floor(r() * 30);
      const mols = Array.from({ length: n }, () => focus[Math.floor(r() * r() * focus.length)]!);
      out.push(answered(inference(p, T0 + d * DAY + 9 * 3_600_000 + k * 3_600_000, n, undefined, mols), () => 0.2 + r() * 0.7));
    }
  }
  return out;
}

/** A base molecule and single-character edits of it: a perturbation series. */
function series(r: () => number, members = 8): string[] {
  const base = Array.from({ length: 30 }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join('');
  return [base, ...Array.from({ length: members }, (_, i) => base.slice(0, 3 * i + 2) + (base[3 * i + 2] === 'N' ? 'O' : 'N') + base.slice(3 * i + 3))];
}

describe('side-channel', () => {
  it('counts heavy atoms of SMILES', () => {
    assert.equal(heavyAtoms('CC(=O)O'), 4);
    assert.equal(heavyAtoms('c1ccccc1'), 6);
    assert.equal(heavyAtoms('ClC(Br)[NH3+]'), 4);
    assert.equal(heavyAtoms('[2H]C([H])O'), 2);
    assert.equal(heavyAtoms('[Hg]C[He]'), 3);
  });

  it('counts heavy atoms as the SMILES atom grammar does, on any string (character scan = regular expression)', () => {
    // The reference: bracket atoms except hydrogen isotopes and ions, Cl and Br, organic-subset atoms.
    const reference = (smiles: string): number => {
      let n = 0;
      for (const m of smiles.matchAll(/\[([^\]]+)\]|Cl|Br|[BCNOSPFI]|[bcnosp]/g)) if (m[1] === undefined || !/^\d*H[^a-z]*$/.test(m[1])) n++;
      return n;
    };
    const chars = fc.constantFrom(...'[]()=#@+-1234567890%CcNnOoSsPpFIBrlHgea.'.split(''));
    fc.assert(fc.property(fc.array(chars, { maxLength: 40 }).map((a) => a.join('')), (s) => heavyAtoms(s) === reference(s)), { seed: 4, numRuns: 2000 });
  });

  for (const seed of [1, 2, 3]) {
    it(`leaves a chemist's focus work alone, re-queries of low-confidence answers included (seed ${seed})`, () => {
      assert.deepEqual(run(chemist('carol', 30, seed)), []);
    });

    it(`flags perturbation series of one base molecule beyond the principal's habit (seed ${seed})`, () => {
      const r = rng(100 + seed);
      const t = T0 + 30 * DAY + 14 * 3_600_000;
      const probes = [0, 1].map((i) => inference('carol', t + i * 600_000, 9, undefined, series(r)));
      const alerts = run(sorted([...chemist('carol', 31, seed), ...probes]));
      assert.equal(alerts.length, 1);
      const a = alerts[0]!;
      assert.equal(a.principal, 'carol');
      assert.equal(a.severity, 'low', 'one kind of probing, 16 molecules: low');
      assert.equal(a.observed, 16);
      assert.equal(a.baseline, 0);
      assert.equal(a.threshold, 12);
      assert.deepEqual(a.evidence, probes.map((e) => e.id));
      assert.match(a.explanation, /2 perturbation series \(16 novel single-edit neighbours\)/);
    });
  }

  it('raises the day to medium once a second kind of probing joins, with a second alert', () => {
    const r = rng(7);
    const t = T0 + 30 * DAY + 14 * 3_600_000;
    const alerts = run(
      sorted([
        ...chemist('dave', 31, 4),
        ...[0, 1].map((i) => inference('dave', t + i * 600_000, 9, undefined, series(r))),
        inference('dave', t + 3_600_000, FRAGMENTS.length, undefined, [...FRAGMENTS]),
      ]),
    );
    assert.deepEqual(alerts.map((a) => a.severity), ['low', 'medium']);
    assert.equal(alerts[1]!.observed, 16 + FRAGMENTS.length);
    assert.match(alerts[1]!.explanation, /1 fragment probes \(9 tiny molecules\)/);
  });

  it('does not count a series twice: known molecules and library compounds are not novel', () => {
    const r = rng(9);
    const s = series(r);
    const t = T0 + 30 * DAY + 14 * 3_600_000;
    // The same series every day is habit, not probing: only its first day is novel.
    const days = Array.from({ length: 5 }, (_, d) => inference('erin', t + d * DAY, 9, undefined, s));
    const alerts = run(sorted([...chemist('erin', 36, 5), ...days]));
    assert.equal(alerts.length, 0, 'eight novel members on the first day stay under the floor, none afterwards');
  });

  it('flags confidence-guided re-queries: an uncertain molecule of an earlier day again, with novel neighbours', () => {
    const r = rng(11);
    const [base] = series(r, 0);
    const t = T0 + 30 * DAY + 10 * 3_600_000;
    const first = answered(inference('frank', t, 1, undefined, [base!]), () => 0.1);
    // Larger analogues (not single edits), new to frank, around the uncertain answer.
    const around = (tail: string) => [base!, ...Array.from({ length: 8 }, (_, i) => `${base}${tail}${'C'.repeat(i)}`)];
    const sameDay = inference('frank', t + 3_600_000, 9, undefined, around('CCCN'));
    const nextDay = [0, 1].map((i) => inference('frank', t + DAY + i * 60_000, 9, undefined, around(i ? 'OCCN' : 'NCCO')));
    assert.deepEqual(run(sorted([...chemist('frank', 31, 6), first, sameDay])), [], 'the same day as the answer is not re-querying');
    const alerts = run(sorted([...chemist('frank', 32, 6), first, ...nextDay]));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.observed, 18);
    assert.match(alerts[0]!.explanation, /2 re-queries around low-confidence answers \(18 molecules\)/);
  });

  it('without fingerprints still counts fragment probes, and no series', () => {
    const plain = buildContext({ compounds: LIBRARY.map((smiles) => ({ smiles, canonical: smiles, id: null, set: 'library' })) });
    const r = rng(13);
    const t = T0 + 30 * DAY + 14 * 3_600_000;
    const events = sorted([
      ...chemist('bob', 31, 7),
      ...[0, 1, 2].map((i) => inference('bob', t + i * 600_000, 9, undefined, series(r))),
      ...[0, 1].map((i) => inference('bob', t + 3_600_000 + i * 60_000, FRAGMENTS.length, undefined, [...FRAGMENTS])),
    ]);
    const alerts = run(events, plain);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.observed, 2 * FRAGMENTS.length);
    assert.doesNotMatch(alerts[0]!.explanation, /perturbation/);
  });

  it('remembers known molecules and uncertain answers across a snapshot (several seeds and cuts)', () => {
    for (const seed of [21, 22, 23]) {
      const r = rng(seed);
      const t = T0 + 30 * DAY + 10 * 3_600_000;
      // Erin repeats a series the next day with a few new members: only those are novel, under the floor,
      // unless the molecules queried before the cut were forgotten.
      const known = series(r, 10);
      const more = series(r, 6);
      const erin = [inference('erin', t, 11, undefined, known), inference('erin', t + DAY, 11, undefined, known), inference('erin', t + DAY + 60_000, 7, undefined, more)];
      // Frank re-queries around an answer that came back uncertain before the cut.
      const [base] = series(r, 0);
      const around = (tail: string) => [base!, ...Array.from({ length: 8 }, (_, i) => `${base}${tail}${'C'.repeat(i)}`)];
      const frank = [answered(inference('frank', t, 1, undefined, [base!]), () => 0.1), ...[0, 1].map((i) => inference('frank', t + DAY + i * 60_000, 9, undefined, around(i ? 'OCCN' : 'NCCO')))];
      const events = sorted([...chemist('erin', 32, 5), ...chemist('frank', 32, 6), ...erin, ...frank]);
      const whole = run(events);
      assert.deepEqual(whole.map((a) => a.principal), ['frank']);
      for (const cut of [events.findIndex((e) => Date.parse(e.time) >= T0 + 31 * DAY), Math.floor(events.length * (0.3 + 0.6 * r()))]) {
        assert.deepEqual(runInterrupted(events, cut), whole, `seed ${seed}, cut ${cut}`);
      }
    }
  });
});
