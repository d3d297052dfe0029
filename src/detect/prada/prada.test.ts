import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tanimoto } from '../../chem/index.js';
import type { MwEvent } from '../../events/index.js';
import { createEngine } from '../engine.js';
import { T0, hashedFingerprint, inference, rng, testContext } from '../testkit.js';
import { buildContext } from '../types.js';
import { distance, prada, toFp } from './index.js';

const ALPHABET = 'CCCCNOc1()=F';
function run(events: MwEvent[], ctx = testContext()) {
  const e = createEngine({ context: ctx, detectors: [prada] });
  return [...e.push(events), ...e.flush()];
}
function queries(p: string, batches: number, gen: () => string): MwEvent[] {
  return Array.from({ length: batches }, (_, i) => inference(p, T0 + 36_000_000 + i * 60_000, 20, 'toxicity-classifier', Array.from({ length: 20 }, gen)));
}

describe('prada', () => {
  it('computes the Tanimoto distance of packed fingerprints exactly as chem does', () => {
    const r = rng(5);
    for (let k = 0; k < 50; k++) {
      const a = Uint8Array.from({ length: 256 }, () => (r() < 0.1 ? Math.floor(r() * 256) : 0));
      const b = Uint8Array.from({ length: 256 }, () => (r() < 0.1 ? Math.floor(r() * 256) : 0));
      assert.ok(Math.abs(distance(toFp(a), toFp(b)) - (1 - tanimoto(a, b))) < 1e-12);
    }
  });

  it('flags a mix of perturbation series and far-flung probes, with W as the observed number', () => {
    const m = rng(1);
    const rand = (n: number) => Array.from({ length: n }, () => ALPHABET[Math.floor(m() * ALPHABET.length)]).join('');
    const seeds = Array.from({ length: 4 }, () => rand(26));
    const attack = queries('alice', 15, () => {
      if (m() < 0.5) return rand(26);
      const s = seeds[Math.floor(m() * 4)]!;
      const i = Math.floor(m() * s.length);
      return s.slice(0, i) + ALPHABET[Math.floor(m() * ALPHABET.length)] + s.slice(i + 1);
    });
    const alerts = run(attack);
    assert.ok(alerts.length >= 1);
    assert.ok(alerts[0]!.observed < alerts[0]!.threshold);
    assert.match(alerts[0]!.explanation, /Shapiro-Wilk W 0\.\d{3} below 0\.9/);
  });

  it('ignores repeats, and does nothing without fingerprints', () => {
    assert.equal(run(queries('bob', 20, () => 'CCOc1ccccc1C(=O)N')).length, 0);
    const m = rng(2);
    const noisy = queries('bob', 20, () => Array.from({ length: 26 }, () => ALPHABET[Math.floor(m() * ALPHABET.length)]).join(''));
    assert.equal(run(noisy, buildContext({})).length, 0);
    assert.ok(hashedFingerprint('CCO').length === 256);
  });
});
