import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tanimoto } from '../../chem/index.js';
import { onBits, TanimotoBasis } from './tanimoto.js';

/** A sparse 2048-bit fingerprint as ECFP4 gives: a few dozen bits on. */
const fingerprint = fc.uniqueArray(fc.integer({ min: 0, max: 2047 }), { maxLength: 70 }).map((bits) => {
  const fp = new Uint8Array(256);
  for (const b of bits) fp[b >> 3]! |= 1 << (b & 7);
  return fp;
});

test('on-bits list every set bit once', () => {
  fc.assert(
    fc.property(fingerprint, (fp) => {
      const bits = onBits(fp);
      const back = new Uint8Array(256);
      for (const b of bits) back[b >> 3]! |= 1 << (b & 7);
      assert.deepEqual(back, fp);
      assert.ok(bits.every((b, i) => i === 0 || b > bits[i - 1]!));
    }),
    { seed: 5, numRuns: 100 },
  );
});

test('the inverted-index kernel equals byte-wise Tanimoto, including empty fingerprints', () => {
  fc.assert(
    fc.property(fc.array(fingerprint, { minLength: 1, maxLength: 12 }), fc.array(fingerprint, { minLength: 1, maxLength: 6 }), (refs, xs) => {
      const k = new TanimotoBasis(refs).matrix(xs);
      xs.forEach((x, i) => refs.forEach((r, j) => assert.equal(k[i * refs.length + j], tanimoto(x, r))));
    }),
    { seed: 6, numRuns: 150 },
  );
});
