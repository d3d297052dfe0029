/**
 * Packed bit fingerprints as 32-bit words, Tanimoto similarity and
 * leader clustering with a prefix filter. Used at pool-build time.
 */

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Packs RDKit's byte fingerprint (bit i of byte k = fingerprint bit 8k+i) into 32-bit words. */
export function packBytes(bytes: Uint8Array): Uint32Array {
  const words = new Uint32Array(Math.ceil(bytes.length / 4));
  for (let i = 0; i < bytes.length; i++) words[i >> 2] = (words[i >> 2] ?? 0) | (bytes[i]! << ((i & 3) * 8));
  return words;
}

export function bitCount(fp: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < fp.length; i++) n += popcount32(fp[i]!);
  return n;
}

export function onBits(fp: Uint32Array): number[] {
  const out: number[] = [];
  for (let w = 0; w < fp.length; w++) {
    let x = fp[w]!;
    while (x !== 0) {
      const low = x & -x;
      out.push(w * 32 + 31 - Math.clz32(low));
      x ^= low;
    }
  }
  return out;
}

export function tanimotoWords(a: Uint32Array, b: Uint32Array, countA?: number, countB?: number): number {
  let both = 0;
  for (let i = 0; i < a.length; i++) both += popcount32(a[i]! & b[i]!);
  const ca = countA ?? bitCount(a);
  const cb = countB ?? bitCount(b);
  const either = ca + cb - both;
  return either === 0 ? 1 : both / either;
}

/**
 * Leader (sphere-exclusion) clustering: items are visited in the given order;
 * each joins the most similar existing leader with Tanimoto >= threshold, or
 * becomes a leader. Candidates come from an inverted index probed only with
 * the rarest ceil-complement of each item's bits (the prefix filter of
 * similarity joins: a pair with Tanimoto >= t shares at least ceil(t*|A|)
 * bits, so it shares one of A's |A|-ceil(t*|A|)+1 rarest bits).
 * Returns the cluster index of each item (clusters numbered by leader order)
 * and the item index of each leader.
 */
export function leaderCluster(fps: readonly Uint32Array[], order: readonly number[], threshold: number, nBits: number): { cluster: Int32Array; leaders: number[] } {
  const freq = new Uint32Array(nBits);
  const bitsOf: number[][] = fps.map((fp) => onBits(fp));
  for (const bits of bitsOf) for (const b of bits) freq[b] = freq[b]! + 1;
  const postings: number[][] = Array.from({ length: nBits }, () => []);
  const cluster = new Int32Array(fps.length).fill(-1);
  const leaders: number[] = [];
  const leaderCounts: number[] = [];
  const seen = new Int32Array(fps.length).fill(-1);
  for (const item of order) {
    const bits = bitsOf[item]!.slice().sort((x, y) => freq[x]! - freq[y]! || x - y);
    const n = bits.length;
    const prefix = n - Math.ceil(threshold * n) + 1;
    let best = -1;
    let bestSim = threshold;
    const fp = fps[item]!;
    for (let p = 0; p < prefix && p < n; p++) {
      for (const L of postings[bits[p]!]!) {
        if (seen[L] === item) continue;
        seen[L] = item;
        const lc = leaderCounts[L]!;
        if (lc < threshold * n || n < threshold * lc) continue;
        const s = tanimotoWords(fp, fps[leaders[L]!]!, n, lc);
        if (s >= bestSim && (best < 0 || s > bestSim)) {
          best = L;
          bestSim = s;
        }
      }
    }
    if (best >= 0) cluster[item] = best;
    else {
      const L = leaders.length;
      leaders.push(item);
      leaderCounts.push(n);
      cluster[item] = L;
      for (const b of bits) postings[b]!.push(L);
    }
  }
  return { cluster, leaders };
}
