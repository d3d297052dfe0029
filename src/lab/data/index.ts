/**
 * The lab's data: the two victims' labelled sets (BACE pIC50 and the 12 Tox21
 * assays, vendored in data/chem/, see data/README.md) with seeded train/test
 * splits, and the attacker's public query pool (data/molecules/pool.tsv.gz,
 * HIV, ZINC, Lipophilicity and ESOL molecules) with every molecule that also
 * occurs in BACE or Tox21 removed, so "public" queries never hit a victim's
 * training or test compounds by construction.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createChem, FINGERPRINT_KIND, loadRdkit } from '../../chem/index.js';
import { cacheHeader, readFingerprintCache, writeFingerprintCache } from './fp-cache.js';
import { fingerprintAll } from '../../chem/fingerprint-pool.js';
import { loadPool } from '../../sim/pool.js';
import { seedFrom, sfc32 } from '../../sim/rng.js';
import { repoRoot } from '../../util/repo-root.js';
import type { Molecule } from '../types.js';

export const TOX21_LABELS = [
  'NR-AR',
  'NR-AR-LBD',
  'NR-AhR',
  'NR-Aromatase',
  'NR-ER',
  'NR-ER-LBD',
  'NR-PPAR-gamma',
  'SR-ARE',
  'SR-ATAD5',
  'SR-HSE',
  'SR-MMP',
  'SR-p53',
] as const;

/** Pool sources the attacker may draw from (public sets that are neither victim's data). */
export const POOL_SOURCES: readonly string[] = ['hiv', 'zinc', 'lipo', 'esol'];

export interface LabDataOptions {
  seed: number;
  /** Subsample Tox21 and the pool so a whole lab run takes minutes (defaults below). */
  quick?: boolean;
  /** Tox21 molecules used (default: all; quick 3,000). */
  tox21Size?: number;
  /** Pool molecules kept (default: all; quick 15,000). */
  poolSize?: number;
  /** Held-out fraction of each victim's set (default 0.2). */
  testFraction?: number;
  /** Fingerprint worker threads (default: src/chem's). */
  workers?: number;
  /** Progress of the fingerprinting, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
  /** Folder with bace.csv.gz and tox21.csv.gz (default: the package's data/chem). */
  chemDir?: string;
  /** File of fingerprints kept between runs (fp-cache.ts); none by default. */
  fingerprintCache?: string;
}

export interface LabData {
  bace: { train: Molecule[]; yTrain: number[]; test: Molecule[]; yTest: number[] };
  tox21: {
    labels: string[];
    train: Molecule[];
    Ytrain: Array<Array<0 | 1 | null>>;
    test: Molecule[];
    Ytest: Array<Array<0 | 1 | null>>;
  };
  pool: Molecule[];
  /** Bemis-Murcko framework id and cluster id of each pool molecule (data/molecules), aligned with `pool`. */
  poolInfo: Array<{ scaffold: number; cluster: number }>;
}

export const QUICK_TOX21 = 3000;
export const QUICK_POOL = 15000;

function csvRows(path: string): string[][] {
  const text = gunzipSync(readFileSync(path)).toString('utf8');
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.length > 0)
    .map((l) => l.split(','));
}

function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

// Fingerprints by canonical SMILES for the life of the process: a lab run and
// its tests load the same molecules several times, and RDKit is ~0.5 ms each.
const fpCache = new Map<string, Uint8Array>();
const FP_BYTES = 256;

async function fingerprints(smiles: readonly string[], opts: LabDataOptions): Promise<void> {
  let missing = [...new Set(smiles.filter((s) => !fpCache.has(s)))];
  if (missing.length === 0) return;
  let header = '';
  let stored: Map<string, Uint8Array> | undefined;
  if (opts.fingerprintCache) {
    header = cacheHeader((await loadRdkit()).version(), FINGERPRINT_KIND, FP_BYTES);
    stored = readFingerprintCache(opts.fingerprintCache, header, FP_BYTES);
    for (const s of missing) {
      const fp = stored.get(s);
      if (fp) fpCache.set(s, fp);
    }
    missing = missing.filter((s) => !fpCache.has(s));
  }
  if (missing.length === 0) return;
  const fps = await fingerprintAll(missing, { workers: opts.workers, onProgress: opts.onProgress });
  missing.forEach((s, i) => {
    const fp = fps[i];
    if (fp) {
      fpCache.set(s, fp);
      stored?.set(s, fp);
    }
  });
  if (opts.fingerprintCache && stored) writeFingerprintCache(opts.fingerprintCache, header, stored);
}

export interface VictimSets {
  bace: Array<{ smiles: string; y: number }>;
  tox21: Array<{ smiles: string; y: Array<0 | 1 | null> }>;
  /** Canonical SMILES of every BACE and Tox21 molecule and of each fragment of a salt (the pool holds largest fragments). */
  exclude: Set<string>;
}

const setsCache = new Map<string, Promise<VictimSets>>();

/** BACE and Tox21 as canonical SMILES with their labels (first of any duplicates kept), parsed once per process. */
export function readVictimSets(chemDir: string = join(repoRoot(), 'data', 'chem')): Promise<VictimSets> {
  let p = setsCache.get(chemDir);
  if (!p) {
    p = parseVictimSets(chemDir);
    setsCache.set(chemDir, p);
  }
  return p;
}

async function parseVictimSets(dir: string): Promise<VictimSets> {
  const chem = await createChem();
  const exclude = new Set<string>();
  const canonical = (raw: string): string | null => {
    const c = chem.canonical(raw);
    if (c === null) return null;
    exclude.add(c);
    if (c.includes('.')) for (const f of c.split('.')) exclude.add(chem.canonical(f) ?? f);
    return c;
  };
  const bace: VictimSets['bace'] = [];
  const seenBace = new Set<string>();
  for (const [smi, v] of csvRows(join(dir, 'bace.csv.gz'))) {
    const c = canonical(smi ?? '');
    const y = Number(v);
    if (c === null || !Number.isFinite(y) || seenBace.has(c)) continue;
    seenBace.add(c);
    bace.push({ smiles: c, y });
  }
  const tox21: VictimSets['tox21'] = [];
  const seenTox = new Set<string>();
  for (const row of csvRows(join(dir, 'tox21.csv.gz'))) {
    const c = canonical(row[0] ?? '');
    if (c === null || seenTox.has(c)) continue;
    seenTox.add(c);
    tox21.push({ smiles: c, y: TOX21_LABELS.map((_, k) => (row[k + 1] === '1' ? 1 : row[k + 1] === '0' ? 0 : null)) });
  }
  return { bace, tox21, exclude };
}

/** Rows of the shipped pool (src/sim/pool.ts) the attacker may query: public sources, no victim molecule. */
export function publicPoolRows(sets: VictimSets): number[] {
  const pool = loadPool();
  const sources = new Set(POOL_SOURCES);
  const rows: number[] = [];
  for (let i = 0; i < pool.smiles.length; i++) if (sources.has(pool.source[i]!) && !sets.exclude.has(pool.smiles[i]!)) rows.push(i);
  return rows;
}

export async function loadLabData(opts: LabDataOptions): Promise<LabData> {
  const sets = await readVictimSets(opts.chemDir);
  const testFraction = opts.testFraction ?? 0.2;
  const pool = loadPool();
  const poolIdx = publicPoolRows(sets);

  const rBace = sfc32(seedFrom(`${opts.seed}:lab:bace`));
  const rTox = sfc32(seedFrom(`${opts.seed}:lab:tox21`));
  const rPool = sfc32(seedFrom(`${opts.seed}:lab:pool`));
  const baceOrder = shuffled(sets.bace, rBace);
  const toxSize = Math.min(sets.tox21.length, opts.tox21Size ?? (opts.quick ? QUICK_TOX21 : sets.tox21.length));
  const toxOrder = shuffled(sets.tox21, rTox).slice(0, toxSize);
  const poolSize = Math.min(poolIdx.length, opts.poolSize ?? (opts.quick ? QUICK_POOL : poolIdx.length));
  // Keep the pool in its file order (clusters contiguous) after sampling.
  const poolPick = shuffled(poolIdx, rPool)
    .slice(0, poolSize)
    .sort((a, b) => a - b);

  await fingerprints([...baceOrder.map((m) => m.smiles), ...toxOrder.map((m) => m.smiles), ...poolPick.map((i) => pool.smiles[i]!)], opts);
  const fpOf = (s: string): Uint8Array | null => fpCache.get(s) ?? null;

  const baceOk = baceOrder.filter((m) => fpOf(m.smiles));
  const toxOk = toxOrder.filter((m) => fpOf(m.smiles));
  const nBaceTest = Math.round(baceOk.length * testFraction);
  const nToxTest = Math.round(toxOk.length * testFraction);
  const mol = (s: string): Molecule => ({ smiles: s, fp: fpOf(s)! });
  const baceTest = baceOk.slice(0, nBaceTest);
  const baceTrain = baceOk.slice(nBaceTest);
  const toxTest = toxOk.slice(0, nToxTest);
  const toxTrain = toxOk.slice(nToxTest);
  const poolOk = poolPick.filter((i) => fpOf(pool.smiles[i]!));
  return {
    bace: { train: baceTrain.map((m) => mol(m.smiles)), yTrain: baceTrain.map((m) => m.y), test: baceTest.map((m) => mol(m.smiles)), yTest: baceTest.map((m) => m.y) },
    tox21: {
      labels: [...TOX21_LABELS],
      train: toxTrain.map((m) => mol(m.smiles)),
      Ytrain: toxTrain.map((m) => m.y),
      test: toxTest.map((m) => mol(m.smiles)),
      Ytest: toxTest.map((m) => m.y),
    },
    pool: poolOk.map((i) => mol(pool.smiles[i]!)),
    poolInfo: poolOk.map((i) => ({ scaffold: pool.scaffold[i]!, cluster: pool.cluster[i]! })),
  };
}
