import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MwEvent } from '../../events/index.js';
import { createEngine } from '../engine.js';
import { DAY, LIBRARY, T0, answered, inference, rng, testContext } from '../testkit.js';
import { decodeBits, encodeBits, membership } from './index.js';

function run(events: MwEvent[]) {
  const e = createEngine({ context: testContext(), detectors: [membership] });
  return [...e.push(events), ...e.flush()];
}

/** Runs `events` with a snapshot through JSON after `cut` of them, continuing in a fresh engine. */
function runInterrupted(events: MwEvent[], cut: number) {
  const first = createEngine({ context: testContext(), detectors: [membership] });
  const out = first.push(events.slice(0, cut));
  const second = createEngine({ context: testContext(), detectors: [membership] });
  second.restore(JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<typeof first.snapshot>);
  return [...out, ...second.push(events.slice(cut)), ...second.flush()];
}

const sorted = (xs: MwEvent[]) => xs.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));

/** A chemist querying a focus of library compounds (Zipf-like repeats) and some compounds of their own. */
function chemist(p: string, days: number, seed: number, focusSize = 80): MwEvent[] {
  const r = rng(seed);
  const start = Math.floor(r() * (LIBRARY.length - focusSize));
  const focus = LIBRARY.slice(start, start + focusSize);
  const out: MwEvent[] = [];
  for (let d = 0; d < days; d++) {
    for (let k = 0; k < 5; k++) {
      const n = 5 + Math.floor(r() * 60);
      const mols = Array.from({ length: n }, () => (r() < 0.2 ? `CCO${p}${Math.floor(r() * 50)}N` : focus[Math.floor(r() * r() * focus.length)]!));
      out.push(answered(inference(p, T0 + d * DAY + 9 * 3_600_000 + k * 3_600_000, n, undefined, mols)));
    }
  }
  return out;
}

/** Library compounds the chemist's focus does not cover, in batches. */
function walk(p: string, t: number, compounds: readonly string[], batch: number, withAnswers = true): MwEvent[] {
  const out: MwEvent[] = [];
  for (let i = 0; i * batch < compounds.length; i++) {
    const e = inference(p, t + i * 300_000, batch, undefined, compounds.slice(i * batch, (i + 1) * batch));
    out.push(withAnswers ? answered(e) : e);
  }
  return out;
}

describe('membership', () => {
  for (const seed of [1, 2, 3]) {
    it(`leaves a chemist's repeated focus queries alone (seed ${seed})`, () => {
      assert.deepEqual(run([...chemist('carol', 30, seed), ...chemist('dave', 30, seed + 10)].sort((a, b) => (a.time < b.time ? -1 : 1))), []);
    });
  }

  it('flags a walk through library compounds never queried before, naming the numbers', () => {
    const t = T0 + 30 * DAY + 14 * 3_600_000;
    const history = chemist('carol', 30, 4, 60);
    const seen = new Set(history.flatMap((e) => (e.kind === 'inference' ? e.instances.map((i) => (i.input.type === 'smiles' ? i.input.canonical : '')) : [])));
    const fresh = LIBRARY.filter((c) => !seen.has(c)).slice(0, 300);
    const alerts = run(sorted([...history, ...walk('carol', t, fresh, 50)]));
    assert.ok(alerts.length >= 1);
    const a = alerts[0]!;
    assert.equal(a.principal, 'carol');
    assert.equal(a.observed, 100, 'fires within the day, at the first batch past the floor');
    assert.equal(a.threshold, 50);
    assert.match(a.explanation, /library compounds they had never queried before today \(100% of their library queries, 100% answered/);
  });

  it('lets a new principal learn their focus: the first days have a higher floor', () => {
    const t = T0 + 14 * 3_600_000;
    const first = run(walk('erin', t, LIBRARY.slice(0, 150), 50));
    assert.deepEqual(first, [], '150 new compounds on a first day are a focus area being learnt');
    const walkDay = run(walk('erin', t, LIBRARY.slice(0, 250), 50));
    assert.equal(walkDay.length, 1);
    assert.equal(walkDay[0]!.threshold, 200);
  });

  it('is high only for a large walk answered with confidences, above the team', () => {
    const t = T0 + 30 * DAY + 14 * 3_600_000;
    const history = [...chemist('carol', 30, 5, 40), ...chemist('dave', 30, 6, 40)];
    const seen = new Set(history.flatMap((e) => (e.kind === 'inference' ? e.instances.map((i) => (i.input.type === 'smiles' ? i.input.canonical : '')) : [])));
    const fresh = LIBRARY.filter((c) => !seen.has(c)).slice(0, 520);
    const answeredWalk = run(sorted([...history, ...walk('carol', t, fresh, 100)]));
    assert.equal(answeredWalk.at(-1)!.severity, 'high');
    const bare = run(sorted([...history, ...walk('carol', t, fresh, 100, false)]));
    assert.ok(bare.every((a) => a.severity !== 'high'), 'without confidences returned, membership cannot be read off the answers');
  });

  it('needs novelty: a busy day re-querying the known focus does not alert', () => {
    const history = chemist('erin', 30, 8, 200);
    const known = [...new Set(history.flatMap((e) => (e.kind === 'inference' ? e.instances.map((i) => (i.input.type === 'smiles' ? i.input.canonical! : '')) : [])))].filter((c) => LIBRARY.includes(c));
    const r = rng(8);
    // 3,000 library instances in a day, ten times the usual, a few new compounds among them.
    const busy = Array.from({ length: 30 }, (_, i) =>
      answered(inference('erin', T0 + 30 * DAY + 9 * 3_600_000 + i * 60_000, 100, undefined, Array.from({ length: 100 }, () => (r() < 0.05 ? LIBRARY[Math.floor(r() * LIBRARY.length)]! : known[Math.floor(r() * known.length)]!)))),
    );
    assert.deepEqual(run(sorted([...history, ...busy])), []);
  });

  it('remembers across a snapshot which library compounds a principal has queried (several seeds and cuts)', () => {
    for (const seed of [11, 12, 13]) {
      // Erin's busy re-query day is all known compounds: forgetting them at a restore would make it a walk.
      const history = chemist('erin', 30, seed, 200);
      const known = [...new Set(history.flatMap((e) => (e.kind === 'inference' ? e.instances.map((i) => (i.input.type === 'smiles' ? i.input.canonical! : '')) : [])))].filter((c) => LIBRARY.includes(c));
      const busy = Array.from({ length: 10 }, (_, i) => answered(inference('erin', T0 + 30 * DAY + 9 * 3_600_000 + i * 60_000, 100, undefined, known.slice(0, 100))));
      const carol = chemist('carol', 30, seed + 1, 60);
      const seen = new Set(carol.flatMap((e) => (e.kind === 'inference' ? e.instances.map((i) => (i.input.type === 'smiles' ? i.input.canonical : '')) : [])));
      const events = sorted([...history, ...busy, ...carol, ...walk('carol', T0 + 30 * DAY + 14 * 3_600_000, LIBRARY.filter((c) => !seen.has(c)).slice(0, 300), 50)]);
      const whole = run(events);
      assert.ok(whole.length > 0 && whole.every((a) => a.principal === 'carol'));
      const r = rng(seed);
      for (const cut of [events.findIndex((e) => Date.parse(e.time) >= T0 + 30 * DAY), Math.floor(events.length * (0.3 + 0.6 * r()))]) {
        assert.deepEqual(runInterrupted(events, cut), whole, `seed ${seed}, cut ${cut}`);
      }
    }
  });

  it('encodes query bitsets compactly and exactly, sparse or dense', () => {
    const r = rng(3);
    for (const share of [0, 0.01, 0.2, 0.9]) {
      const words = new Uint32Array(200);
      for (let i = 0; i < words.length * 32; i++) if (r() < share) words[i >> 5]! |= 1 << (i & 31);
      const text = encodeBits(words);
      assert.deepEqual(decodeBits(text, words.length), words);
      // Never more than base64 of the words (the declared state bound counts 4 bytes a word).
      assert.ok(text.length <= 2 + Math.ceil((words.length * 4) / 3) * 4, `${share}: ${text.length}`);
    }
  });
});
