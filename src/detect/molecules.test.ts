/**
 * The fast paths of the chemistry detectors' shared code give exactly the
 * numbers of the plain definitions they replace: sparse Tanimoto against the
 * packed-byte one, the witness-first and indexed off-focus share against a
 * scan of every pair, the molecule table against per-request recomputation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { tanimoto } from '../chem/index.js';
import type { Fp } from './molecules.js';
import { BottomK, distance, hash32, heavyAtoms, inputRef, leaderClusters, moleculeTable, offFocusShare, similarity, toFp } from './molecules.js';
import { RecentSet } from './side-channel/index.js';
import { buildContext } from './types.js';
import { traffic } from './chem-testkit.js';
import { T0, hashedFingerprint, inference } from './testkit.js';

/** Random sparse fingerprints (Morgan-like: tens of bits of 2048), some of them near each other. */
const fingerprints = fc
  .array(fc.uniqueArray(fc.integer({ min: 0, max: 2047 }), { maxLength: 60 }), { minLength: 1, maxLength: 40 })
  .chain((bases) =>
    fc.array(fc.tuple(fc.nat(bases.length - 1), fc.uniqueArray(fc.integer({ min: 0, max: 2047 }), { maxLength: 12 })), { maxLength: 60 }).map((edits) => [
      ...bases,
      ...edits.map(([b, extra]) => [...bases[b]!.slice(0, Math.max(0, bases[b]!.length - extra.length)), ...extra]),
    ]),
  )
  .map((sets) =>
    sets.map((bits) => {
      const bytes = new Uint8Array(256);
      for (const b of bits) bytes[b >> 3]! |= 1 << (b & 7);
      return bytes;
    }),
  );

/** The plain definitions. */
function scanDistance(a: Fp, b: Fp): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.words.length; i++) {
    for (let k = 0; k < 32; k++) {
      const x = (a.words[i]! >>> k) & 1;
      const y = (b.words[i]! >>> k) & 1;
      both += x & y;
      either += x | y;
    }
  }
  return either === 0 ? 0 : 1 - both / either;
}
function scanOffFocus(xs: readonly Fp[], ref: readonly Fp[], radius: number): number {
  if (xs.length === 0) return 0;
  return xs.filter((x) => !ref.some((r) => scanDistance(x, r) <= radius)).length / xs.length;
}

describe('chemistry detectors: shared fast paths', () => {
  it('sparse Tanimoto gives the packed-byte similarity and the distance bit for bit', () => {
    fc.assert(
      fc.property(fingerprints, (bytes) => {
        const fps = bytes.map((b) => toFp(b));
        for (let i = 0; i < fps.length; i++) {
          for (let j = 0; j < fps.length; j += 3) {
            assert.equal(similarity(fps[i]!, fps[j]!), tanimoto(bytes[i]!, bytes[j]!));
            assert.equal(distance(fps[i]!, fps[j]!), scanDistance(fps[i]!, fps[j]!));
          }
        }
      }),
      { seed: 11, numRuns: 60 },
    );
  });

  it('off-focus share: witnesses first and the inverted index give the share of a full scan, on repeated calls too', () => {
    fc.assert(
      fc.property(fingerprints, fc.nat(), fc.double({ min: 0.05, max: 0.95, noNaN: true }), (bytes, cut, radius) => {
        const fps = bytes.map((b) => toFp(b));
        const k = cut % fps.length;
        // Overlapping day and focus samples, as bottom-k samples by the same hash are.
        const xs = fps.slice(k);
        const ref = fps.slice(0, Math.max(1, k + 3));
        const want = scanOffFocus(xs, ref, radius);
        assert.equal(offFocusShare(xs, ref, radius), want);
        // The second call starts from the witnesses the first one found.
        assert.equal(offFocusShare(xs, ref, radius), want);
        assert.equal(offFocusShare(xs.slice(0, 3), ref, radius), scanOffFocus(xs.slice(0, 3), ref, radius));
      }),
      { seed: 12, numRuns: 80 },
    );
  });

  it('leader clusters count the same with sparse distances', () => {
    fc.assert(
      fc.property(fingerprints, fc.double({ min: 0.05, max: 0.95, noNaN: true }), (bytes, radius) => {
        const fps = bytes.map((b) => toFp(b));
        const leaders: Fp[] = [];
        for (const x of fps) if (!leaders.some((l) => scanDistance(l, x) < radius)) leaders.push(x);
        assert.equal(leaderClusters(fps, radius), leaders.length);
      }),
      { seed: 13, numRuns: 60 },
    );
  });

  it('the molecule table interns per context, computes hash, heavy atoms and library membership once, and fingerprints on first use', () => {
    let calls = 0;
    const ctx = buildContext({ fingerprint: (s) => (calls++, hashedFingerprint(s)), compounds: [{ id: 'c1', smiles: 'CCO', canonical: 'CCO', set: 'library' }] });
    const table = moleculeTable(ctx);
    assert.equal(moleculeTable(ctx), table, 'one table per context, shared by its detectors');
    const e = inference('bob', T0, 3, 'm', ['CCO', 'c1ccccc1', 'CCO']);
    const mols = table.of(e);
    assert.equal(table.of(e), mols, 'the same event is looked up once');
    assert.equal(mols[0], mols[2], 'one molecule per canonical SMILES');
    assert.deepEqual(
      mols.map((m) => [m!.key, m!.hash, m!.heavy, m!.library]),
      [
        ['CCO', hash32('CCO'), heavyAtoms('CCO'), true],
        ['c1ccccc1', hash32('c1ccccc1'), 6, false],
        ['CCO', hash32('CCO'), heavyAtoms('CCO'), true],
      ],
    );
    assert.equal(calls, 0, 'no fingerprint before one is asked for');
    const fp = table.fp(mols[0]!);
    assert.equal(table.fp(mols[2]!), fp);
    assert.equal(calls, 1);
    assert.deepEqual(fp, toFp(hashedFingerprint('CCO')));
    const bare = moleculeTable(buildContext({}));
    assert.equal(bare.fingerprints, false);
    assert.equal(bare.fp(bare.get('CCO')), null, 'no fingerprints without RDKit');
  });

  it('bottom-k offers of table molecules sample what offers of input refs do', () => {
    const ctx = buildContext({ fingerprint: hashedFingerprint });
    const table = moleculeTable(ctx);
    const e = inference('bob', T0, 1, undefined, traffic(7).diverse(3000));
    const byRef = new BottomK(64);
    const byMolecule = new BottomK(64);
    const mols = table.of(e);
    e.instances.forEach((inst, i) => {
      assert.equal(byRef.offer(inputRef(inst, ctx)!), byMolecule.offerMolecule(mols[i]!, table));
    });
    assert.deepEqual(byMolecule.snapshot(), byRef.snapshot());
    assert.equal(byMolecule.distinct(), byRef.distinct());
  });

  it('the recent-use set keeps the members and order of a Set moved to the back on use and cut from the front', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(40), { maxLength: 400 }), fc.integer({ min: 1, max: 20 }), (uses, cap) => {
        const recent = new RecentSet<number>(cap);
        const plain = new Set<number>();
        for (const x of uses) {
          recent.use(x);
          plain.delete(x);
          plain.add(x);
          if (plain.size > cap) plain.delete(plain.values().next().value!);
          assert.equal(recent.size, plain.size);
          assert.equal(recent.has(x), true);
        }
        assert.deepEqual(recent.values(), [...plain]);
      }),
      { seed: 14, numRuns: 200 },
    );
  });
});
