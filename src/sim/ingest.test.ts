/**
 * Every file the simulator writes parses with the project's own parsers,
 * with nothing quarantined and nothing lost as a duplicate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestPaths } from '../ingest/index.js';
import { openStore } from '../store/index.js';
import { OUTPUT_FILES, STATIC_FILES, simulate } from './index.js';

// Small but complete: every actor, every phase, every format (volumes shrunk so RDKit canonicalisation stays quick).
const SMALL = {
  attack: { extraction: { molecules: [1500, 2000] }, membershipInference: { queries: [600, 900] } },
  decoys: { virtualScreening: { days: [2, 3], moleculesPerDay: [200, 400] } },
  library: { size: [3000, 4000] },
};

test('every output file parses with the project parsers, zero quarantined', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-sim-ingest-'));
  const store = await openStore({ path: ':memory:' });
  try {
    const sum = await simulate({ seed: 5, out: dir, days: 45, scale: 0.05, variant: 'sybil', config: SMALL });
    const logs = [...Object.values(OUTPUT_FILES), STATIC_FILES.directory, STATIC_FILES.inventory].map((f) => join(dir, f));
    const r = await ingestPaths(logs, { store });
    assert.deepEqual(r.errors, []);
    assert.equal(r.quarantined, 0, JSON.stringify((await store.quarantine({ limit: 5 })).rows));
    assert.equal(r.duplicates, 0, 'no two log lines are identical');
    assert.equal(r.read, r.stored);
    // Every format was recognised from content.
    const formats = new Set(r.files.map((f) => f.format));
    for (const f of ['ml-platform-logs', 'dlp-logs', 'hr-events', 'kserve-cloudevents', 'mlflow-access', 'minio-audit', 'directory-csv', 'mlflow-models']) assert.ok(formats.has(f), `${f} detected`);
    // Records read: one per line, except CloudEvents (request + response make one event) and reference rows.
    const lines = Object.values(sum.files).reduce((s, f) => s + f.lines, 0);
    assert.ok(r.read >= lines, `${r.read} records for ${lines} log lines`);
    const counts = await store.counts();
    assert.ok(counts.byKind['inference']! > 0 && counts.byKind['registry']! > 0 && counts.byKind['object']! > 0 && counts.byKind['upload']! > 0 && counts.byKind['hr']! > 0);
    // Access keys and API keys resolve through the directory's aliases.
    const dirEntries = await store.directory();
    assert.ok(dirEntries.some((d) => d.aliases.some((a) => a.startsWith('MW'))));

    const lib = await ingestPaths([join(dir, STATIC_FILES.library)], { store, format: 'compounds-csv' });
    assert.equal(lib.quarantined, 0);
    assert.ok(lib.read > 1000);
    assert.deepEqual(readdirSync(dir).sort(), [...Object.values(OUTPUT_FILES), ...Object.values(STATIC_FILES)].sort());
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
