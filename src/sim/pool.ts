/**
 * The shipped molecule pool (data/molecules/, built by build-pool.ts), loaded
 * from the package root. Members of a cluster are contiguous, leader first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { repoRoot } from '../util/repo-root.js';
import type { Probes } from './build-pool.js';

export interface Pool {
  smiles: string[];
  source: string[];
  heavy: Uint16Array;
  scaffold: Int32Array;
  cluster: Int32Array;
  /** Per cluster: first member index, size, neighbour clusters (most similar first). */
  clusterStart: Int32Array;
  clusterSize: Int32Array;
  clusterNeighbours: number[][];
  scaffoldCount: number;
  probes: Probes;
}

let cached: Pool | undefined;

function lines(path: string): string[] {
  const text = gunzipSync(readFileSync(path)).toString('utf8');
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out.slice(1); // header
}

export function poolDir(): string {
  return join(repoRoot(), 'data', 'molecules');
}

export function loadPool(dir: string = poolDir()): Pool {
  if (cached && dir === poolDir()) return cached;
  const rows = lines(join(dir, 'pool.tsv.gz'));
  const n = rows.length;
  const smiles = new Array<string>(n);
  const source = new Array<string>(n);
  const heavy = new Uint16Array(n);
  const scaffold = new Int32Array(n);
  const cluster = new Int32Array(n);
  let maxScaf = 0;
  for (let i = 0; i < n; i++) {
    const f = rows[i]!.split('\t');
    smiles[i] = f[0]!;
    source[i] = f[1]!;
    heavy[i] = Number(f[2]);
    scaffold[i] = Number(f[3]);
    cluster[i] = Number(f[4]);
    if (scaffold[i]! > maxScaf) maxScaf = scaffold[i]!;
  }
  const crow = lines(join(dir, 'clusters.tsv.gz'));
  const nc = crow.length;
  const clusterStart = new Int32Array(nc);
  const clusterSize = new Int32Array(nc);
  const clusterNeighbours: number[][] = new Array<number[]>(nc);
  for (const r of crow) {
    const f = r.split('\t');
    const c = Number(f[0]);
    clusterStart[c] = Number(f[1]);
    clusterSize[c] = Number(f[2]);
    clusterNeighbours[c] = f[3] ? f[3].split(';').map((x) => Number(x.split(':')[0])) : [];
  }
  const probes = JSON.parse(gunzipSync(readFileSync(join(dir, 'probes.json.gz'))).toString('utf8')) as Probes;
  const pool: Pool = { smiles, source, heavy, scaffold, cluster, clusterStart, clusterSize, clusterNeighbours, scaffoldCount: maxScaf + 1, probes };
  if (dir === poolDir()) cached = pool;
  return pool;
}
