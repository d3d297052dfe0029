import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { detectFormat, PARSERS } from '../sources/index.js';
import { writeSyntheticMlPlatformLogs } from '../sources/ml-platform/synthetic.js';
import type { Store } from '../store/index.js';
import { collect, sharedChem, withMemoryStore, withTempDir } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';
import { ingestPaths } from './index.js';
import type { IngestSummary } from './index.js';
import { readSample } from './read.js';

const sources = join(repoRoot(), 'src', 'sources');
const POOL = ['CCO', 'c1ccccc1', 'CC(=O)Oc1ccccc1C(=O)O', 'OC(=O)c1ccccc1O', 'C1CCC(CC1)N', 'not-a-molecule(('];

/** Everything a reader can get out of the store after an ingest. */
async function snapshot(store: Store, summary: IngestSummary): Promise<unknown> {
  const events = await collect(store.replay());
  const raws = await store.getEvents(events.map((e) => e.id));
  const q = await store.quarantine({ limit: 100_000 });
  return {
    // First, so that a failed file shows its error rather than the counts it left.
    errors: summary.errors,
    counts: { read: summary.read, stored: summary.stored, duplicates: summary.duplicates, quarantined: summary.quarantined, events: summary.events },
    events,
    raws,
    quarantine: q.rows.map(({ quarantinedAt: _, ...row }) => row),
    store: await store.counts(),
  };
}

async function both(files: string[], batchSize?: number): Promise<[unknown, unknown]> {
  const chem = await sharedChem();
  const run = (workers: number): Promise<unknown> =>
    withMemoryStore(async (store) => snapshot(store, await ingestPaths(files, { store, chem, workers, ...(batchSize ? { batchSize } : {}) })));
  return [await run(0), await run(2)];
}

describe('parse workers', () => {
  it('store the same events, raw records, quarantine and counts as the main-thread parser, over every fixture of a per-record line format', async () => {
    const files: string[] = [];
    for (const d of readdirSync(sources, { withFileTypes: true })) {
      if (!d.isDirectory()) continue;
      const dir = join(sources, d.name, 'fixtures');
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const n of names) {
        if (n === 'expected.json' || n.endsWith('.md')) continue;
        const f = join(dir, n);
        const p = detectFormat(await readSample(f, basename(f)))?.parser;
        if (p?.parseRecord && p.framing === 'lines') files.push(f);
      }
    }
    const formats = new Set(await Promise.all(files.map(async (f) => detectFormat(await readSample(f, basename(f)))!.parser.format)));
    // Every format that can be parsed on workers is covered, broken fixtures included.
    assert.deepEqual([...formats].sort(), PARSERS.filter((p) => p.parseRecord && p.framing === 'lines').map((p) => p.format).sort());
    assert.ok(files.some((f) => /broken/.test(f)));
    for (const f of files) {
      const [main, workers] = await both([f]);
      assert.deepEqual(workers, main, f);
    }
  });

  it('agree with the main thread across chunk and batch boundaries, with duplicates and garbage, on several seeds', async () => {
    for (const seed of [1, 2, 3]) {
      await withTempDir(async (dir) => {
        const file = join(dir, `mixed-${seed}.jsonl`);
        await writeSyntheticMlPlatformLogs(file, { lines: 700, seed, smilesPool: POOL, maxBatch: 6 });
        const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
        // Repeats (within and across batches), broken JSON, wrong types, blank lines.
        const mixed = lines.flatMap((l, i) =>
          i % 97 === 0 ? [l, '{"TimeGenerated": 12', '', l] : i % 131 === 0 ? [l.replace('"BatchSize":', '"BatchSize":"x",')] : [l],
        );
        mixed.push(...lines.slice(0, 50));
        await writeFile(file, mixed.join('\n') + '\n');
        const [main, workers] = await both([file], 37);
        for (const k of Object.keys(main as object)) {
          assert.deepEqual((workers as Record<string, unknown>)[k], (main as Record<string, unknown>)[k], `seed ${seed}: ${k}`);
        }
        const c = (workers as { counts: { read: number; stored: number; duplicates: number; quarantined: number } }).counts;
        assert.equal(c.read, mixed.filter((l) => l.trim()).length);
        assert.equal(c.read, c.stored + c.duplicates + c.quarantined);
        assert.ok(c.duplicates >= 50 && c.quarantined > 0);
      });
    }
  });
});
