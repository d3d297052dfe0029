/**
 * Synthetic query traffic for the chemistry-aware detectors' tests, over the
 * testkit's 3-gram stand-in fingerprints. Tests import it, the engine never does.
 */
import type { MwEvent } from '../events/index.js';
import { DAY, T0, inference, rng } from './testkit.js';

const ALPHABET = 'CCCCNOc1()=F';

/** Synthetic query styles over the testkit's 3-gram fingerprints: a focused series (shared 24-character core) or far-flung strings. */
export function traffic(seed: number) {
  const m = rng(seed);
  const rand = (n: number) => Array.from({ length: n }, () => ALPHABET[Math.floor(m() * ALPHABET.length)]).join('');
  const cores = new Map<string, string>();
  return {
    series(name: string, n: number): string[] {
      let core = cores.get(name);
      if (!core) cores.set(name, (core = rand(24)));
      return Array.from({ length: n }, () => core + rand(4));
    },
    diverse: (n: number): string[] => Array.from({ length: n }, () => rand(26)),
  };
}

/** `perDay[d]` molecules for principal `p` on weekday d (T0 is a Monday), in batches of 50 from 09:00. */
export function days(p: string, perDay: ReadonlyArray<readonly string[]>, model = 'binding-affinity-predictor'): MwEvent[] {
  const out: MwEvent[] = [];
  let d = 0;
  for (const mols of perDay) {
    while ([0, 6].includes(new Date(T0 + d * DAY).getUTCDay())) d++;
    for (let i = 0; i < mols.length; i += 50) out.push(inference(p, T0 + d * DAY + 9 * 3_600_000 + (i / 50) * 120_000, Math.min(50, mols.length - i), model, mols.slice(i, i + 50)));
    d++;
  }
  return out;
}
