/** The fingerprint cache in the store: computed once per distinct molecule, served synchronously to detectors. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FINGERPRINT_KIND } from '../chem/index.js';
import { eventSchema } from '../events/index.js';
import { sharedChem, withMemoryStore } from '../test-support/index.js';
import { contextFromStore, prefetchFingerprints } from './index.js';
import { prada } from './prada/index.js';
import { DETECTORS } from './registry.js';
import { detectStore } from './run.js';
import { T0, inference } from './testkit.js';

describe('fingerprint cache', () => {
  it('prefetches every distinct queried molecule and compound once, keeps unparsable ones as null, and serves them to the context', async () => {
    const chem = await sharedChem();
    await withMemoryStore(async (store) => {
      const events = [
        inference('bob', T0, 3, 'm', ['CCO', 'c1ccccc1', 'CCO']),
        inference('carol', T0 + 1000, 2, 'm', ['c1ccccc1', 'C1CC']),
      ].map((e) => ({ event: eventSchema.parse(e), raw: '{}' }));
      await store.append(events, []);
      await store.putReference('compounds', 'library', [{ kind: 'compounds', entry: { id: 'c1', smiles: 'OC(=O)c1ccccc1O', canonical: 'O=C(O)c1ccccc1O' } }], 'lib.csv');
      assert.deepEqual(await store.missingFingerprints(FINGERPRINT_KIND), ['C1CC', 'CCO', 'c1ccccc1']);
      const progress: number[] = [];
      const first = await prefetchFingerprints(store, { workers: 1, extra: ['O=C(O)c1ccccc1O'], onFingerprintProgress: (d) => progress.push(d) });
      assert.equal(first.computed, 4);
      assert.equal(progress.at(-1), 4);
      assert.equal(first.fingerprints.get('C1CC'), null);
      assert.deepEqual(first.fingerprints.get('CCO'), chem.fingerprint('CCO'));
      assert.deepEqual(await store.missingFingerprints(FINGERPRINT_KIND, ['O=C(O)c1ccccc1O']), []);
      const again = await prefetchFingerprints(store, { workers: 1 });
      assert.equal(again.computed, 0, 'a second run computes nothing');
      const seen: Array<{ cached: number; computed: number }> = [];
      const ctx = await contextFromStore(store, { chem: true, workers: 1, onFingerprintPrefetch: (p) => seen.push(p) });
      assert.deepEqual(seen, [{ cached: 4, computed: 0 }], 'compound sets are covered by the first prefetch');
      assert.deepEqual(ctx.fingerprint!('c1ccccc1'), chem.fingerprint('c1ccccc1'));
      assert.deepEqual(ctx.fingerprint!('CCN'), chem.fingerprint('CCN'), 'a molecule outside the store is computed on this thread');
      assert.equal((await contextFromStore(store)).fingerprint, undefined, 'no RDKit unless asked');
    });
  });

  it('detectStore prefetches only when a selected detector needs fingerprints', async () => {
    await withMemoryStore(async (store) => {
      await store.append([inference('bob', T0, 2, 'm', ['CCO', 'c1ccccc1'])].map((e) => ({ event: eventSchema.parse(e), raw: '{}' })), []);
      await detectStore(store, { detectors: DETECTORS.filter((d) => !d.needs?.includes('fingerprints')) });
      assert.equal((await store.missingFingerprints(FINGERPRINT_KIND)).length, 2, 'no RDKit work for detectors that do not need it');
      const seen: Array<{ computed: number }> = [];
      await detectStore(store, { detectors: [prada], workers: 1, onFingerprintPrefetch: (p) => seen.push(p) });
      assert.deepEqual(seen.map((p) => p.computed), [2]);
      assert.deepEqual(await store.missingFingerprints(FINGERPRINT_KIND), []);
    });
  });
});
