/**
 * A pool's fingerprints as lists of set bits, for the selection loops that
 * compute millions of Tanimoto distances. Morgan fingerprints are sparse (~40
 * of 2048 bits), so counting the common bits of one molecule, marked once in
 * a bitmap, against another's list of bits costs ~40 loads, where an AND and
 * popcount over 64 words costs several times that.
 */
import { onBits } from '../learn/index.js';
import type { Molecule } from '../types.js';

export interface SparseFingerprints {
  readonly n: number;
  /** Bits of molecule i: onBits[offsets[i] .. offsets[i + 1]). */
  readonly offsets: Int32Array;
  readonly onBits: Uint16Array;
  readonly nBits: number;
}

export function sparseFingerprints(mols: readonly Molecule[]): SparseFingerprints {
  const lists = mols.map((m) => onBits(m.fp));
  const offsets = new Int32Array(mols.length + 1);
  lists.forEach((b, i) => (offsets[i + 1] = offsets[i]! + b.length));
  const bits = new Uint16Array(offsets[mols.length]!);
  lists.forEach((b, i) => bits.set(b, offsets[i]!));
  return { n: mols.length, offsets, onBits: bits, nBits: 8 * (mols[0]?.fp.length ?? 0) };
}

/**
 * Distances from one marked molecule to others of the same set: mark(i),
 * then distance(j) for as many j as needed. One marker per loop; not
 * re-entrant.
 */
export class DistanceMarker {
  private readonly mark: Uint8Array;
  private current = -1;
  private count = 0;

  constructor(private readonly fps: SparseFingerprints) {
    this.mark = new Uint8Array(fps.nBits);
  }

  set(i: number): this {
    const { offsets, onBits } = this.fps;
    if (this.current >= 0) for (let k = offsets[this.current]!; k < offsets[this.current + 1]!; k++) this.mark[onBits[k]!] = 0;
    for (let k = offsets[i]!; k < offsets[i + 1]!; k++) this.mark[onBits[k]!] = 1;
    this.current = i;
    this.count = offsets[i + 1]! - offsets[i]!;
    return this;
  }

  /** Tanimoto distance 1 - |a AND b| / |a OR b| between the marked molecule and j. */
  distance(j: number): number {
    const { offsets, onBits } = this.fps;
    const start = offsets[j]!;
    const end = offsets[j + 1]!;
    let both = 0;
    for (let k = start; k < end; k++) both += this.mark[onBits[k]!]!;
    const either = this.count + (end - start) - both;
    return either === 0 ? 0 : 1 - both / either;
  }
}
