/**
 * `npm run bench:ingest`: ingest throughput against the floor of merely
 * reading the same file and JSON.parse-ing each line (issue 2's benchmark).
 * The issue's bar: ingest at 25% of that floor or better.
 *
 *   npm run bench:ingest -- [--lines N] [--pool N] [--keep]
 */
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { gunzipSync } from 'node:zlib';
import { createChem } from '../src/chem/index.js';
import { ingestPaths } from '../src/ingest/index.js';
import { writeSyntheticMlPlatformLogs } from '../src/sources/ml-platform/synthetic.js';
import { openStore } from '../src/store/index.js';
import { repoRoot } from '../src/util/repo-root.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

async function floor(path: string): Promise<{ lines: number; secs: number }> {
  const t0 = performance.now();
  let lines = 0;
  const rl = createInterface({ input: createReadStream(path, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    JSON.parse(line);
    lines++;
  }
  return { lines, secs: (performance.now() - t0) / 1000 };
}

function loadPool(n: number): string[] {
  const poolFile = join(repoRoot(), 'data', 'bench', 'zinc-5000.smi.gz');
  const all = gunzipSync(readFileSync(poolFile)).toString('utf8').split('\n').filter(Boolean);
  return all.slice(0, n);
}

const lines = arg('--lines', 1_000_000);
const poolSize = arg('--pool', 5000);
const maxBatch = arg('--max-batch', 100);
const dir = await mkdtemp(join(tmpdir(), 'mw-bench-ingest-'));
try {
  const file = join(dir, 'MLPlatformLogs.jsonl');
  const pool = loadPool(poolSize);
  process.stderr.write(`generating ${lines.toLocaleString()} MLPlatformLogs lines (pool of ${pool.length} molecules)...\n`);
  await writeSyntheticMlPlatformLogs(file, { lines, seed: 42, smilesPool: pool, maxBatch });
  const size = (await stat(file)).size;
  const mb = size / 1e6;

  // Warm the page cache so both runs read from memory.
  await floor(file);
  const f = await floor(file);

  const chem = await createChem();
  const store = await openStore({ path: join(dir, 'bench.duckdb') });
  const mem0 = process.memoryUsage().rss;
  const t0 = performance.now();
  let peak = mem0;
  const summary = await ingestPaths([file], {
    store,
    chem,
    onProgress: () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    },
  });
  const secs = (performance.now() - t0) / 1000;
  await store.close();
  const c = chem.stats();

  const ratio = (summary.read / secs) / (f.lines / f.secs);
  const rows = [
    ['', 'records', 'seconds', 'records/s', 'MB/s'],
    ['floor: read + JSON.parse', f.lines, f.secs.toFixed(2), Math.round(f.lines / f.secs), (mb / f.secs).toFixed(1)],
    ['mirrorwatch ingest', summary.read, secs.toFixed(2), Math.round(summary.read / secs), (mb / secs).toFixed(1)],
  ];
  for (const r of rows) console.log(r.map((x, i) => String(x).padStart(i === 0 ? 0 : 12).padEnd(i === 0 ? 26 : 0)).join(''));
  console.log(`file: ${mb.toFixed(1)} MB, ${lines.toLocaleString()} lines; stored ${summary.stored}, duplicates ${summary.duplicates}, quarantined ${summary.quarantined}`);
  console.log(`RDKit canonicalisations: ${c.canonicalMisses} (cache hits ${c.canonicalHits}); peak RSS ${(peak / 1e6).toFixed(0)} MB`);
  console.log(`ratio ingest/floor: ${(ratio * 100).toFixed(1)}% (issue 2 floor: 25%) ${ratio >= 0.25 ? 'PASS' : 'BELOW FLOOR'}`);
  if (process.argv.includes('--keep')) console.log(`kept: ${dir}`);
} finally {
  if (!process.argv.includes('--keep')) await rm(dir, { recursive: true, force: true });
}
