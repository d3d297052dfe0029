/**
 * Builds the shipped molecule pool (data/molecules/) from the MoleculeNet and
 * ZINC files in the shared data folder. A developer tool, run once when the
 * pool changes; the simulator only reads its output:
 *
 *   npx tsc -p tsconfig.json && node dist/src/sim/build-pool.js [--chem ../shared/data/chem] [--out data/molecules]
 *
 * Every SMILES is parsed and canonicalised with RDKit MinimalLib (salts and
 * solvents stripped to the largest fragment); the Bemis-Murcko framework and
 * a Morgan fingerprint (radius 2, 2048 bits: ECFP4) are computed; molecules
 * are grouped into clusters by leader clustering at Tanimoto >= 0.45 on ECFP4,
 * visiting members of populous scaffolds first so that a chemical series'
 * central members lead. Probe sets for the attacker (edge cases, boundary
 * probes, isolated functional groups, single-edit perturbation series,
 * interpolations between known drugs, a combinatorial library's cores and
 * R-groups) are validated with RDKit here, so the simulator needs no RDKit.
 * The output is byte-for-byte reproducible from the same inputs.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { MainModule } from '@rdkit/rdkit';
import { loadRdkit } from '../chem/index.js';
import { components, cuts, graphFromRdkitJson, joinParts, murckoAtoms, ORGANIC_Z, singleEdits, subgraph, toMolblock } from './chem-graph.js';
import type { EditName, MolGraph } from './chem-graph.js';
import { bitCount, leaderCluster, packBytes, tanimotoWords } from './fingerprint.js';
import { DRUGS, EDGE_CASES, ENUMERATION_CORES, ENUMERATION_RGROUPS, FUNCTIONAL_GROUPS } from './probe-seeds.js';
import { sfc32, seedFrom } from './rng.js';
import { enumerate } from './enumerate.js';

export const CLUSTER_THRESHOLD = 0.45;
const FP_DETAILS = JSON.stringify({ radius: 2, nBits: 2048 });

interface SourceSpec {
  tag: string;
  file: string;
  column: string | null;
}

/** Order = priority when the same molecule occurs in several sets. */
const SOURCES: SourceSpec[] = [
  { tag: 'bace', file: 'bace.csv', column: 'smiles' },
  { tag: 'lipo', file: 'Lipophilicity.csv', column: 'smiles' },
  { tag: 'esol', file: 'delaney-processed.csv', column: 'smiles' },
  { tag: 'tox21', file: 'tox21.csv', column: 'smiles' },
  { tag: 'zinc', file: 'zinc250k_subset_valid.txt', column: null },
  { tag: 'zinc', file: 'zinc250k_subset_test.txt', column: null },
  { tag: 'hiv', file: 'HIV.csv', column: 'smiles' },
];

interface PoolMol {
  smiles: string;
  source: string;
  heavy: number;
  scaffold: string;
  fp: Uint32Array;
  bits: number;
  graph: MolGraph;
}

function readSmiles(dir: string, spec: SourceSpec): string[] {
  const text = readFileSync(join(dir, spec.file), 'utf8');
  if (spec.column === null) return text.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  const rows = parse(text, { columns: true, skip_empty_lines: true, relax_column_count: true }) as Array<Record<string, string>>;
  return rows.map((r) => (r[spec.column!] ?? '').trim()).filter(Boolean);
}

function withMol<T>(R: MainModule, input: string, fn: (m: NonNullable<ReturnType<MainModule['get_mol']>>) => T): T | null {
  let m: ReturnType<MainModule['get_mol']> = null;
  try {
    m = R.get_mol(input);
    if (!m || !m.is_valid()) return null;
    return fn(m);
  } catch {
    return null;
  } finally {
    m?.delete();
  }
}

function canonicalOfGraph(R: MainModule, g: MolGraph): string | null {
  return withMol(R, toMolblock(g), (m) => m.get_smiles());
}

function canonical(R: MainModule, smiles: string): string | null {
  return withMol(R, smiles, (m) => m.get_smiles());
}

/** Parses, strips to the largest fragment, canonicalises; returns null when not an ordinary organic molecule. */
function prepare(R: MainModule, raw: string, minHeavy: number, maxHeavy: number): Omit<PoolMol, 'source'> | null {
  const first = withMol(R, raw, (m) => ({ json: m.get_json(), smiles: m.get_smiles() }));
  if (!first) return null;
  let g = graphFromRdkitJson(first.json);
  if (!g) return null;
  let smiles = first.smiles;
  if (smiles.includes('.')) {
    const comps = components(g);
    g = subgraph(g, new Set(comps[0]!));
    const s = canonicalOfGraph(R, g);
    if (!s) return null;
    smiles = s;
    const again = withMol(R, smiles, (m) => m.get_json());
    g = again ? graphFromRdkitJson(again) : null;
    if (!g) return null;
  }
  const heavy = g.atoms.filter((a) => a.z !== 1).length;
  if (heavy < minHeavy || heavy > maxHeavy) return null;
  if (g.atoms.some((a) => !ORGANIC_Z.has(a.z))) return null;
  const keep = murckoAtoms(g);
  const scaffold = keep ? (canonicalOfGraph(R, subgraph(g, keep)) ?? '') : '';
  const fpBytes = withMol(R, smiles, (m) => m.get_morgan_fp_as_uint8array(FP_DETAILS) as Uint8Array);
  if (!fpBytes) return null;
  const fp = packBytes(fpBytes);
  return { smiles, heavy, scaffold, fp, bits: bitCount(fp), graph: g };
}

function tsv(rows: string[][]): Buffer {
  return gzipSync(Buffer.from(rows.map((r) => r.join('\t')).join('\n') + '\n'), { level: 9 });
}

export interface BuildPoolOptions {
  chemDir: string;
  outDir: string;
  minHeavy?: number;
  maxHeavy?: number;
  log?: (line: string) => void;
}

export async function buildPool(opts: BuildPoolOptions): Promise<Record<string, number>> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const R = await loadRdkit();
  const minHeavy = opts.minHeavy ?? 6;
  const maxHeavy = opts.maxHeavy ?? 60;
  const inputs: Array<{ file: string; sha256: string; rows: number }> = [];
  const mols: PoolMol[] = [];
  const seen = new Set<string>();
  const rejected: string[] = [];
  for (const spec of SOURCES) {
    const list = readSmiles(opts.chemDir, spec);
    inputs.push({ file: spec.file, sha256: createHash('sha256').update(readFileSync(join(opts.chemDir, spec.file))).digest('hex'), rows: list.length });
    let kept = 0;
    for (const raw of list) {
      const p = prepare(R, raw, minHeavy, maxHeavy);
      if (!p) {
        if (spec.tag === 'hiv') rejected.push(raw);
        continue;
      }
      if (seen.has(p.smiles)) continue;
      seen.add(p.smiles);
      mols.push({ ...p, source: spec.tag });
      kept++;
    }
    log(`${spec.file}: ${list.length} rows, ${kept} new molecules`);
  }

  // Scaffold table, most populous first.
  const scafCount = new Map<string, number>();
  for (const m of mols) scafCount.set(m.scaffold, (scafCount.get(m.scaffold) ?? 0) + 1);
  const scaffolds = [...scafCount.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([s]) => s);
  const scafIndex = new Map(scaffolds.map((s, i) => [s, i]));

  // Cluster: members of populous scaffolds lead.
  const srcRank = new Map(SOURCES.map((s, i) => [s.tag, i]));
  const order = mols.map((_, i) => i).sort((a, b) => {
    const ma = mols[a]!;
    const mb = mols[b]!;
    return scafIndex.get(ma.scaffold)! - scafIndex.get(mb.scaffold)! || srcRank.get(ma.source)! - srcRank.get(mb.source)! || (ma.smiles < mb.smiles ? -1 : 1);
  });
  const t0 = performance.now();
  const { cluster, leaders } = leaderCluster(mols.map((m) => m.fp), order, CLUSTER_THRESHOLD, 2048);
  log(`clustered ${mols.length} molecules into ${leaders.length} clusters in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Renumber clusters by size (desc) and order the pool by cluster, so members are contiguous.
  const sizes = new Array<number>(leaders.length).fill(0);
  for (let i = 0; i < mols.length; i++) sizes[cluster[i]!]!++;
  const clusterOrder = leaders.map((_, i) => i).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  const newId = new Int32Array(leaders.length);
  clusterOrder.forEach((c, i) => (newId[c] = i));
  const poolOrder = mols.map((_, i) => i).sort((a, b) => newId[cluster[a]!]! - newId[cluster[b]!]! || (a === leaders[cluster[a]!] ? -1 : b === leaders[cluster[b]!] ? 1 : mols[a]!.smiles < mols[b]!.smiles ? -1 : 1));
  const position = new Int32Array(mols.length);
  poolOrder.forEach((m, i) => (position[m] = i));

  const poolRows: string[][] = [['smiles', 'source', 'heavy_atoms', 'scaffold', 'cluster']];
  for (const m of poolOrder) {
    const mol = mols[m]!;
    poolRows.push([mol.smiles, mol.source, String(mol.heavy), String(scafIndex.get(mol.scaffold)), String(newId[cluster[m]!])]);
  }

  // Nearest clusters (by leader similarity) for clusters of 3 or more: focus areas grow along these.
  const t1 = performance.now();
  const clusterRows: string[][] = [['cluster', 'leader', 'size', 'neighbours']];
  const big = clusterOrder.filter((c) => sizes[c]! >= 3);
  for (const c of clusterOrder) {
    const leader = mols[leaders[c]!]!;
    let near = '';
    if (sizes[c]! >= 3) {
      const scored: Array<[number, number]> = [];
      for (const d of big) {
        if (d === c) continue;
        const other = mols[leaders[d]!]!;
        const s = tanimotoWords(leader.fp, other.fp, leader.bits, other.bits);
        if (s >= 0.25) scored.push([newId[d]!, s]);
      }
      scored.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      near = scored.slice(0, 6).map(([d, s]) => `${d}:${s.toFixed(2)}`).join(';');
    }
    clusterRows.push([String(newId[c]), String(position[leaders[c]!]), String(sizes[c]), near]);
  }
  log(`cluster neighbours in ${((performance.now() - t1) / 1000).toFixed(1)} s`);

  const probes = buildProbes(R, mols, poolOrder, rejected, log);

  mkdirSync(opts.outDir, { recursive: true });
  const files: Record<string, Buffer> = {
    'pool.tsv.gz': tsv(poolRows),
    'scaffolds.tsv.gz': tsv([['scaffold'], ...scaffolds.map((s) => [s])]),
    'clusters.tsv.gz': tsv(clusterRows),
    'probes.json.gz': gzipSync(Buffer.from(JSON.stringify(probes)), { level: 9 }),
  };
  for (const [name, buf] of Object.entries(files)) writeFileSync(join(opts.outDir, name), buf);
  const counts = {
    molecules: mols.length,
    scaffolds: scaffolds.length,
    clusters: leaders.length,
    clusters_of_10_or_more: sizes.filter((s) => s >= 10).length,
    edge_cases: probes.edgeCases.length,
    boundary_probes: probes.boundary.length,
    functional_groups: probes.functionalGroups.length,
    perturbation_series: probes.perturbations.length,
    interpolations: probes.interpolations.length,
    enumeration_cores: probes.enumeration.cores.length,
    enumeration_rgroups: probes.enumeration.rgroups.length,
  };
  const manifest = {
    builder: 'src/sim/build-pool.ts',
    rdkit: R.version(),
    fingerprint: { kind: 'morgan', radius: 2, nBits: 2048 },
    cluster_threshold: CLUSTER_THRESHOLD,
    heavy_atoms: [minHeavy, maxHeavy],
    inputs,
    counts,
    files: Object.fromEntries(Object.entries(files).map(([n, b]) => [n, createHash('sha256').update(b).digest('hex')])),
  };
  writeFileSync(join(opts.outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  log(JSON.stringify(counts));
  return counts;
}

export interface Probes {
  /** `valid`: RDKit parses it (a model server would too). */
  edgeCases: Array<{ smiles: string; kind: string; valid: boolean }>;
  boundary: Array<{ smiles: string; kind: string }>;
  functionalGroups: Array<{ smiles: string; name: string }>;
  perturbations: Array<{ base: string; members: Array<{ edit: string; smiles: string }> }>;
  interpolations: string[];
  enumeration: { cores: string[]; rgroups: string[] };
  drugs: Array<{ name: string; smiles: string }>;
}

function buildProbes(R: MainModule, mols: PoolMol[], poolOrder: number[], rejected: string[], log: (l: string) => void): Probes {
  const rng = sfc32(seedFrom('mirrorwatch-pool-probes'));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

  const drugs = DRUGS.map(([name, smi]) => {
    const c = canonical(R, smi);
    if (!c) throw new Error(`drug SMILES does not parse: ${name}`);
    return { name, smiles: c };
  });

  const functionalGroups = FUNCTIONAL_GROUPS.map(([name, smi]) => {
    const c = canonical(R, smi);
    if (!c) throw new Error(`functional group does not parse: ${name}`);
    return { name, smiles: c };
  });

  // Edge cases: hand-written (some deliberately invalid) plus organometallics and giants from HIV.
  const edgeCases: Probes['edgeCases'] = EDGE_CASES.map(([kind, smi]) => ({ kind, smiles: smi, valid: canonical(R, smi) !== null }));
  const metals = rejected.filter((s) => /\[(Cu|Fe|Pt|Sn|Co|Ni|Zn|Hg|Ru|Pd|Au|Ag|Mn|Cr|Ti|Ge|As|Sb|Bi|Ga|V|Rh|Os|Ir|Mo|W)/.test(s) && s.length < 200 && canonical(R, s) !== null);
  const giants = rejected.filter((s) => !s.includes('.') && s.length > 150 && s.length < 400 && canonical(R, s) !== null);
  for (const s of metals.slice(0, 60)) edgeCases.push({ kind: 'organometallic', smiles: s, valid: true });
  for (const s of giants.slice(0, 40)) edgeCases.push({ kind: 'oversized', smiles: s, valid: true });

  // Boundary probes: the pool's extremes of size, halogenation, charge and polarity.
  const boundary: Probes['boundary'] = [];
  const feats = poolOrder.map((i) => {
    const g = mols[i]!.graph;
    const heavy = mols[i]!.heavy;
    const halo = g.atoms.filter((a) => a.z === 9 || a.z === 17 || a.z === 35 || a.z === 53).length;
    const hetero = g.atoms.filter((a) => a.z !== 6 && a.z !== 1).length;
    const charged = g.atoms.filter((a) => a.chg !== 0).length;
    return { i, heavy, halo: halo / heavy, hetero: hetero / heavy, charged, carbonOnly: hetero === 0 };
  });
  const take = (kind: string, sorted: typeof feats, n: number): void => {
    for (const f of sorted.slice(0, n)) boundary.push({ kind, smiles: mols[f.i]!.smiles });
  };
  take('smallest', [...feats].sort((a, b) => a.heavy - b.heavy || a.i - b.i), 60);
  take('largest', [...feats].sort((a, b) => b.heavy - a.heavy || a.i - b.i), 60);
  take('polyhalogenated', [...feats].sort((a, b) => b.halo - a.halo || a.i - b.i), 60);
  take('heteroatom_rich', [...feats].sort((a, b) => b.hetero - a.hetero || a.i - b.i), 60);
  take('charged', [...feats].filter((f) => f.charged >= 2).sort((a, b) => b.charged - a.charged || a.i - b.i), 40);
  take('hydrocarbon', feats.filter((f) => f.carbonOnly), 40);
  for (let n = 8; n <= 40; n += 2) boundary.push({ kind: 'alkyl_chain', smiles: canonical(R, 'C'.repeat(n))! });
  for (let n = 2; n <= 12; n += 2) boundary.push({ kind: 'peg', smiles: canonical(R, 'C' + 'COC'.repeat(n) + 'O')! });
  for (let n = 1; n <= 10; n++) boundary.push({ kind: 'perfluoro', smiles: canonical(R, 'FC(F)(F)' + 'C(F)(F)'.repeat(n) + 'F')! });

  // Perturbation series: a base and its single-edit neighbours.
  const editKinds: EditName[] = ['remove_methyl', 'add_fluorine', 'drop_carboxyl', 'add_methyl', 'aza_swap', 'remove_halogen', 'methylate_hydroxyl'];
  const baseIdx = poolOrder.filter((i) => mols[i]!.heavy >= 15 && mols[i]!.heavy <= 35 && (mols[i]!.source === 'zinc' || mols[i]!.source === 'lipo' || mols[i]!.source === 'bace'));
  const bases: Array<{ smiles: string; graph: MolGraph }> = drugs.map((d) => ({ smiles: d.smiles, graph: graphFromRdkitJson(withMol(R, d.smiles, (m) => m.get_json())!)! }));
  for (let k = 0; k < 500; k++) {
    const i = pick(baseIdx);
    bases.push({ smiles: mols[i]!.smiles, graph: mols[i]!.graph });
  }
  const perturbations: Probes['perturbations'] = [];
  const seenBase = new Set<string>();
  for (const b of bases) {
    if (seenBase.has(b.smiles)) continue;
    seenBase.add(b.smiles);
    const members: Array<{ edit: string; smiles: string }> = [];
    const got = new Set<string>([b.smiles]);
    for (const kind of editKinds) {
      let n = 0;
      for (const g of singleEdits(b.graph, kind)) {
        if (n >= 2) break;
        const c = canonicalOfGraph(R, g);
        if (!c || got.has(c) || c.includes('.')) continue;
        got.add(c);
        members.push({ edit: kind, smiles: c });
        n++;
      }
    }
    if (members.length >= 4) perturbations.push({ base: b.smiles, members });
  }

  // Interpolations between known drugs: the ring-bearing half of one joined to a side chain of another.
  const interpolations: string[] = [];
  const seenI = new Set<string>(drugs.map((d) => d.smiles));
  const dg = drugs.map((d) => graphFromRdkitJson(withMol(R, d.smiles, (m) => m.get_json())!)!);
  const dcuts = dg.map((g) => cuts(g));
  for (let a = 0; a < dg.length; a++) {
    for (let b = 0; b < dg.length; b++) {
      if (a === b) continue;
      const ca = dcuts[a]!.map((c) => (c.sideA.size >= c.sideB.size ? { big: c.sideA, at: c.atomA } : { big: c.sideB, at: c.atomB })).filter((c) => c.big.size >= 8);
      const cb = dcuts[b]!.map((c) => (c.sideA.size < c.sideB.size ? { small: c.sideA, at: c.atomA } : { small: c.sideB, at: c.atomB })).filter((c) => c.small.size >= 2 && c.small.size <= 14);
      if (!ca.length || !cb.length) continue;
      for (let k = 0; k < 4; k++) {
        const x = pick(ca);
        const y = pick(cb);
        const c = canonicalOfGraph(R, joinParts(dg[a]!, x.big, x.at, dg[b]!, y.small, y.at));
        if (c && !seenI.has(c) && !c.includes('.')) {
          seenI.add(c);
          interpolations.push(c);
        }
      }
    }
  }

  // Combinatorial library: keep the cores for which every R-group pair gives a valid molecule.
  const cores: string[] = [];
  for (const core of ENUMERATION_CORES) {
    let ok = true;
    for (const r1 of ENUMERATION_RGROUPS) {
      for (const r2 of ENUMERATION_RGROUPS) {
        if (!canonical(R, enumerate(core, r1, r2))) {
          ok = false;
          log(`enumeration core dropped (${core} with ${r1}, ${r2})`);
          break;
        }
      }
      if (!ok) break;
    }
    if (ok) cores.push(core);
  }
  return { edgeCases, boundary, functionalGroups, perturbations, interpolations, enumeration: { cores, rgroups: [...ENUMERATION_RGROUPS] }, drugs };
}

// Run as a script.
if (process.argv[1] && resolve(process.argv[1]).endsWith(join('sim', 'build-pool.js'))) {
  const args = process.argv.slice(2);
  const arg = (name: string, dflt: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
  };
  buildPool({ chemDir: arg('--chem', '../shared/data/chem'), outDir: arg('--out', 'data/molecules') }).catch((e: unknown) => {
    process.stderr.write(String((e as Error).stack ?? e) + '\n');
    process.exitCode = 1;
  });
}
