/** Seeded sampling and target scaling shared by the learners. */

/** k distinct indices of 0..n-1, in increasing order (partial Fisher-Yates). */
export function sampleIndices(n: number, k: number, rand: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  const take = Math.min(n, k);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rand() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, take).sort((a, b) => a - b);
}

/** Indices of the first occurrence of each distinct fingerprint (duplicates make kernel matrices singular). */
export function distinctIndices(x: readonly Uint8Array[]): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  x.forEach((fp, i) => {
    const key = Buffer.from(fp.buffer, fp.byteOffset, fp.byteLength).toString('base64');
    if (!seen.has(key)) {
      seen.add(key);
      out.push(i);
    }
  });
  return out;
}

/** z-scores of y with the mean and standard deviation used (sd 1 for constant y). */
export function standardise(y: ArrayLike<number>): { z: Float64Array; mean: number; sd: number } {
  const n = y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]! / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (y[i]! - mean) ** 2 / n;
  const sd = v > 0 ? Math.sqrt(v) : 1;
  return { z: Float64Array.from({ length: n }, (_, i) => (y[i]! - mean) / sd), mean, sd };
}
