/**
 * The shipped molecule pool and the chemistry behind "focused" and "diverse":
 * Murcko frameworks, single-edit perturbations, valid enumerations, and
 * clusters that are series a chemist would recognise (ECFP4 similarity).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRdkit, tanimoto } from '../chem/index.js';
import { graphFromRdkitJson, murckoAtoms, singleEdits, subgraph, toMolblock } from './chem-graph.js';
import { enumerate } from './enumerate.js';
import { loadPool } from './pool.js';
import { Rng } from './rng.js';

const R = await loadRdkit();
const FP = JSON.stringify({ radius: 2, nBits: 2048 });
function canon(s: string): string | null {
  const m = R.get_mol(s);
  try {
    return m && m.is_valid() ? m.get_smiles() : null;
  } finally {
    m?.delete();
  }
}
function fp(s: string): Uint8Array {
  const m = R.get_mol(s)!;
  try {
    return m.get_morgan_fp_as_uint8array(FP) as Uint8Array;
  } finally {
    m.delete();
  }
}
function scaffold(s: string): string {
  const m = R.get_mol(s)!;
  const g = graphFromRdkitJson(m.get_json())!;
  m.delete();
  const keep = murckoAtoms(g);
  return keep ? canon(toMolblock(subgraph(g, keep)))! : '';
}

test('Bemis-Murcko frameworks', () => {
  assert.equal(scaffold('CC(C)Cc1ccc(cc1)C(C)C(=O)O'), canon('c1ccccc1')); // ibuprofen
  assert.equal(scaffold('CCCCC'), ''); // acyclic
  // Imatinib: rings and linkers kept, methyls and the N-methyl dropped; the amide carbonyl stays (exocyclic double bond).
  assert.equal(scaffold('Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1'), canon('O=C(Nc1cccc(Nc2nccc(-c3cccnc3)n2)c1)c1ccc(CN2CCNCC2)cc1'));
  assert.equal(scaffold('O=C1CCCCN1C'), canon('O=C1CCCCN1'));
});

test('single edits are one change away', () => {
  const m = R.get_mol('Cc1ccc(C(=O)O)cc1')!;
  const g = graphFromRdkitJson(m.get_json())!;
  m.delete();
  const got = (e: Parameters<typeof singleEdits>[1]): string[] => singleEdits(g, e).map((x) => canon(toMolblock(x))!);
  assert.ok(got('remove_methyl').includes(canon('OC(=O)c1ccccc1')!));
  assert.ok(got('drop_carboxyl').includes(canon('Cc1ccccc1')!));
  assert.ok(got('add_fluorine').includes(canon('Cc1ccc(C(=O)O)cc1F')!));
});

test('the pool: canonical, clustered into series, probes valid', () => {
  const pool = loadPool();
  assert.ok(pool.smiles.length > 40_000 && pool.smiles.length < 100_000);
  const rng = new Rng('pool-test');
  for (const i of rng.sample(pool.smiles.length, 200)) assert.equal(canon(pool.smiles[i]!), pool.smiles[i]);
  // Clusters are contiguous, leader first.
  for (let c = 0; c < 50; c++) for (let i = pool.clusterStart[c]!; i < pool.clusterStart[c]! + pool.clusterSize[c]!; i++) assert.equal(pool.cluster[i], c);
  // Series members resemble their leader (Tanimoto >= 0.45 on ECFP4) far more than random pairs do.
  let within = 0;
  let n = 0;
  for (const c of rng.sample(200, 30)) {
    const lead = fp(pool.smiles[pool.clusterStart[c]!]!);
    const m = pool.clusterStart[c]! + 1 + rng.int(0, pool.clusterSize[c]! - 2);
    within += tanimoto(lead, fp(pool.smiles[m]!));
    n++;
  }
  let across = 0;
  for (let k = 0; k < 60; k++) across += tanimoto(fp(pool.smiles[rng.int(0, pool.smiles.length - 1)]!), fp(pool.smiles[rng.int(0, pool.smiles.length - 1)]!));
  assert.ok(within / n >= 0.45, `within-series similarity ${within / n}`);
  assert.ok(across / 60 < 0.2, `random-pair similarity ${across / 60}`);
  // Enumerated libraries, interpolations, perturbations and functional groups are real molecules.
  const en = pool.probes.enumeration;
  for (let k = 0; k < 150; k++) assert.ok(canon(enumerate(rng.pick(en.cores), rng.pick(en.rgroups), rng.pick(en.rgroups))), 'enumeration parses');
  for (const s of rng.sample(pool.probes.interpolations.length, 50)) assert.ok(canon(pool.probes.interpolations[s]!));
  for (const ser of pool.probes.perturbations.slice(0, 20)) {
    const base = fp(ser.base);
    for (const mem of ser.members) assert.ok(tanimoto(base, fp(mem.smiles)) > 0.35, `${mem.edit} of ${ser.base} stays close`);
  }
  for (const g of pool.probes.functionalGroups) assert.ok(canon(g.smiles));
  for (const e of pool.probes.edgeCases) assert.equal(canon(e.smiles) !== null, e.valid, `${e.kind} ${e.smiles}`);
});
