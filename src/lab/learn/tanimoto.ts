/**
 * Tanimoto kernel on packed Morgan fingerprints, computed through an inverted
 * index. A 2048-bit ECFP4 of a drug-like molecule has only ~40-60 bits on, so
 * counting shared bits over the posting lists of a query's on-bits costs far
 * less than comparing 256 bytes with every reference.
 */

/** Indices of the on-bits of a packed fingerprint. */
export function onBits(fp: Uint8Array): Uint16Array {
  let n = 0;
  for (let i = 0; i < fp.length; i++) n += POPCOUNT[fp[i]!]!;
  const out = new Uint16Array(n);
  let k = 0;
  for (let i = 0; i < fp.length; i++) {
    let b = fp[i]!;
    while (b !== 0) {
      const low = b & -b;
      out[k++] = i * 8 + (31 - Math.clz32(low));
      b ^= low;
    }
  }
  return out;
}

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

/** A fixed set of reference fingerprints against which rows of the Tanimoto kernel are computed. */
export class TanimotoBasis {
  readonly size: number;
  private readonly start: Int32Array;
  private readonly postings: Int32Array;
  private readonly refCount: Uint16Array;
  private readonly shared: Uint16Array;

  constructor(refs: readonly Uint8Array[]) {
    this.size = refs.length;
    const nBits = (refs[0]?.length ?? 256) * 8;
    const bits = refs.map(onBits);
    this.refCount = Uint16Array.from(bits, (b) => b.length);
    const freq = new Int32Array(nBits + 1);
    for (const b of bits) for (const i of b) freq[i + 1]!++;
    for (let i = 0; i < nBits; i++) freq[i + 1]! += freq[i]!;
    this.start = freq;
    this.postings = new Int32Array(freq[nBits]!);
    const fill = freq.slice(0, nBits);
    bits.forEach((b, r) => {
      for (const i of b) this.postings[fill[i]!++] = r;
    });
    this.shared = new Uint16Array(this.size);
  }

  /** Writes the Tanimoto similarity of `fp` to every reference into `out` (at `offset`). */
  row(fp: Uint8Array, out: Float64Array, offset = 0): void {
    const q = onBits(fp);
    const c = this.shared;
    c.fill(0);
    const { start, postings } = this;
    for (const bit of q) for (let p = start[bit]!, e = start[bit + 1]!; p < e; p++) c[postings[p]!]!++;
    const nq = q.length;
    for (let r = 0; r < this.size; r++) {
      const both = c[r]!;
      const either = nq + this.refCount[r]! - both;
      out[offset + r] = either === 0 ? 1 : both / either;
    }
  }

  /** The kernel between `xs` and the references, row-major (xs.length x size). */
  matrix(xs: readonly Uint8Array[]): Float64Array {
    const out = new Float64Array(xs.length * this.size);
    for (let i = 0; i < xs.length; i++) this.row(xs[i]!, out, i * this.size);
    return out;
  }
}
