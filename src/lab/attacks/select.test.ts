import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanPairwiseDistance, toFp } from '../../detect/molecules.js';
import { createQuerySelector } from './index.js';
import { smallLabData } from './testkit.js';

const SEEDS = [1, 2, 3];

function spread(pool: readonly { fp: Uint8Array }[], idx: readonly number[]): number {
  return meanPairwiseDistance(idx.map((i) => toFp(pool[i]!.fp)));
}

test('max-min selection covers the pool more widely than random picks, for several seeds', async () => {
  const data = await smallLabData(1);
  for (const seed of SEEDS) {
    const pick = (strategy: 'random' | 'maxmin'): number[] => {
      const s = createQuerySelector({ strategy, pool: data.pool, seed });
      const out: number[] = [];
      while (out.length < 600) out.push(...s.next(100));
      return out;
    };
    const random = spread(data.pool, pick('random'));
    const maxmin = spread(data.pool, pick('maxmin'));
    assert.ok(maxmin > random + 0.01, `seed ${seed}: max-min ${maxmin.toFixed(4)} vs random ${random.toFixed(4)}`);
  }
});

test('the reference sample keeps max-min diverse once the selection outgrows it', async () => {
  const data = await smallLabData(1);
  const s = createQuerySelector({ strategy: 'maxmin', pool: data.pool, seed: 4, maxReference: 200 });
  const r = createQuerySelector({ strategy: 'random', pool: data.pool, seed: 4 });
  const a: number[] = [];
  const b: number[] = [];
  while (a.length < 1000) a.push(...s.next(200));
  while (b.length < 1000) b.push(...r.next(200));
  // The last rounds are the ones picked against a sample of the selection.
  assert.ok(spread(data.pool, a.slice(-400)) > spread(data.pool, b.slice(-400)));
});

test('selection never repeats a molecule, runs the pool dry cleanly, and is deterministic by seed', async () => {
  const data = await smallLabData(1);
  const pool = data.pool.slice(0, 700);
  for (const strategy of ['random', 'maxmin', 'active'] as const) {
    const s = createQuerySelector({ strategy, pool, seed: 9 });
    const all: number[] = [];
    for (let got = s.next(250); got.length > 0; got = s.next(250)) all.push(...got);
    assert.equal(all.length, pool.length, strategy);
    assert.equal(new Set(all).size, pool.length, strategy);
    assert.equal(s.taken, pool.length);
    const again = createQuerySelector({ strategy, pool, seed: 9 });
    assert.deepEqual(again.next(250), all.slice(0, 250), strategy);
    const other = createQuerySelector({ strategy, pool, seed: 10 });
    assert.notDeepEqual(other.next(250), all.slice(0, 250), strategy);
  }
});

test('active selection takes the candidates its scorer ranks most uncertain', async () => {
  const data = await smallLabData(1);
  const s = createQuerySelector({ strategy: 'active', pool: data.pool, seed: 5, minCandidates: 400 });
  // Uncertainty = the pool index: the picks must be the highest indices among the candidates drawn.
  let seen: readonly number[] = [];
  s.setScorer!((idx) => {
    seen = idx;
    return Float64Array.from(idx);
  });
  const picked = s.next(50);
  const best = [...seen].sort((a, b) => b - a).slice(0, 50);
  assert.deepEqual([...picked].sort((a, b) => b - a), best);
});
