/** Cold fingerprints on worker threads: the same bytes as RDKit on this thread, whatever the worker count. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sharedChem } from '../test-support/index.js';
import { createFingerprintPool, fingerprintAll } from './fingerprint-pool.js';

const SMILES = ['CCO', 'c1ccccc1', 'CC(=O)Oc1ccccc1C(=O)O', 'C1CC', 'not a molecule', 'CN1CCC[C@H]1c1cccnc1', 'O=C(O)c1ccccc1O', 'CCN(CC)CC'];

describe('fingerprint pool', () => {
  it('fingerprints in input order on workers, null where RDKit cannot parse, independent of the worker count', async () => {
    const chem = await sharedChem();
    const expected = SMILES.map((s) => chem.fingerprint(s));
    assert.equal(expected.filter((x) => x === null).length, 2);
    const progress: number[] = [];
    const two = await fingerprintAll(SMILES, { workers: 2, batchSize: 3, onProgress: (done, total) => progress.push(done / total) });
    assert.deepEqual(two, expected);
    assert.equal(progress.at(-1), 1);
    assert.equal(progress.length, 3);
    const one = await fingerprintAll(SMILES, { workers: 1 });
    assert.deepEqual(one, expected);
    assert.deepEqual(await fingerprintAll([]), []);
  });

  it('keeps its workers across calls: concurrent calls get their own molecules in order; closed, it refuses', async () => {
    const chem = await sharedChem();
    const pool = createFingerprintPool({ workers: 2, batchSize: 2 });
    try {
      const [a, b] = await Promise.all([pool.fingerprint(SMILES.slice(0, 5)), pool.fingerprint(SMILES.slice(3))]);
      assert.deepEqual(a, SMILES.slice(0, 5).map((s) => chem.fingerprint(s)));
      assert.deepEqual(b, SMILES.slice(3).map((s) => chem.fingerprint(s)));
      assert.deepEqual(await pool.fingerprint([]), []);
    } finally {
      await pool.close();
    }
    await assert.rejects(pool.fingerprint(['CCO']), /closed/);
  });
});
