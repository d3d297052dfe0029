import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChem, FINGERPRINT_KIND, loadRdkit } from '../../chem/index.js';
import { cacheHeader, readFingerprintCache } from './fp-cache.js';
import { loadPool } from '../../sim/pool.js';
import { loadLabData, POOL_SOURCES, publicPoolRows, readVictimSets, TOX21_LABELS } from './index.js';

const small = { quick: true, tox21Size: 800, poolSize: 1500, workers: 1 };

test('victim splits are disjoint, complete and deterministic by seed; fingerprints land in the cache file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-labdata-'));
  const cacheFile = join(dir, 'fps.bin');
  const a = await loadLabData({ seed: 7, ...small, fingerprintCache: cacheFile });
  const stored = readFingerprintCache(cacheFile, cacheHeader((await loadRdkit()).version(), FINGERPRINT_KIND, 256), 256);
  rmSync(dir, { recursive: true, force: true });
  assert.equal(stored.size, new Set([...a.bace.train, ...a.bace.test, ...a.tox21.train, ...a.tox21.test, ...a.pool].map((m) => m.smiles)).size);
  for (const m of [...a.bace.test, ...a.pool.slice(0, 50)]) assert.deepEqual(stored.get(m.smiles), m.fp);
  const b = await loadLabData({ seed: 7, ...small });
  const c = await loadLabData({ seed: 8, ...small });
  assert.deepEqual(
    a.bace.test.map((m) => m.smiles),
    b.bace.test.map((m) => m.smiles),
  );
  assert.deepEqual(
    a.pool.map((m) => m.smiles),
    b.pool.map((m) => m.smiles),
  );
  assert.notDeepEqual(
    a.bace.test.map((m) => m.smiles),
    c.bace.test.map((m) => m.smiles),
  );

  // BACE: every parsable, distinct molecule of the 1,513, about 80/20, with its pIC50.
  const n = a.bace.train.length + a.bace.test.length;
  assert.ok(n > 1450 && n <= 1513, `bace molecules ${n}`);
  assert.ok(Math.abs(a.bace.test.length / n - 0.2) < 0.01);
  const train = new Set(a.bace.train.map((m) => m.smiles));
  assert.ok(a.bace.test.every((m) => !train.has(m.smiles)));
  assert.equal(a.bace.yTrain.length, a.bace.train.length);
  assert.ok([...a.bace.yTrain, ...a.bace.yTest].every((y) => y > 2 && y < 11), 'pIC50 values in the assay range');

  assert.deepEqual(a.tox21.labels, [...TOX21_LABELS]);
  assert.equal(a.tox21.train.length + a.tox21.test.length, 800);
  assert.equal(a.tox21.Ytrain.length, a.tox21.train.length);
  for (const row of [...a.tox21.Ytrain, ...a.tox21.Ytest]) {
    assert.equal(row.length, 12);
    assert.ok(row.every((v) => v === 0 || v === 1 || v === null));
  }
  assert.ok(a.tox21.Ytrain.flat().some((v) => v === null), 'Tox21 has missing labels, kept as null');
  assert.ok(a.tox21.Ytrain.flat().some((v) => v === 1));

  for (const m of [...a.bace.train, ...a.tox21.test, ...a.pool]) assert.equal(m.fp.length, 256);
});

test('the attacker pool holds only public sources and none of the victims molecules', async () => {
  const d = await loadLabData({ seed: 3, ...small });
  assert.equal(d.pool.length, 1500);
  assert.equal(d.poolInfo.length, d.pool.length);
  const pool = loadPool();
  const row = new Map(pool.smiles.map((s, i) => [s, i]));
  const sources = new Set(POOL_SOURCES);
  for (const [i, m] of d.pool.entries()) {
    const r = row.get(m.smiles);
    assert.ok(r !== undefined, 'pool molecules come from data/molecules');
    assert.ok(sources.has(pool.source[r]!), pool.source[r]);
    assert.deepEqual(d.poolInfo[i], { scaffold: pool.scaffold[r], cluster: pool.cluster[r] });
  }

  // Against the whole of BACE and Tox21 (not only the sampled molecules), salts stripped as the pool strips them.
  const chem = await createChem();
  const sets = await readVictimSets();
  assert.ok(sets.bace.length > 1450 && sets.tox21.length > 7000);
  const publicRows = publicPoolRows(sets);
  const inPool = new Set(publicRows.map((r) => pool.smiles[r]!));
  for (const m of [...d.bace.train, ...d.bace.test, ...d.tox21.train, ...d.tox21.test]) {
    for (const f of m.smiles.split('.')) assert.ok(!inPool.has(chem.canonical(f)!), `victim molecule ${f} in the attacker pool`);
  }
  for (const m of sets.tox21) assert.ok(!inPool.has(m.smiles));
  // The pool file does share molecules with Tox21 under other sources (ESOL, Lipophilicity): they were removed.
  const shared = pool.smiles.filter((s, i) => sources.has(pool.source[i]!) && sets.exclude.has(s));
  assert.ok(shared.length > 0);
  assert.equal(publicRows.length + shared.length, pool.smiles.filter((_, i) => sources.has(pool.source[i]!)).length);
});
