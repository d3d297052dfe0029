import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { eventSchema, instanceSchema } from '../events/index.js';
import { decodeRequest, instancesOf } from '../sources/shared/bodies.js';
import { writeSyntheticMlPlatformLogs } from '../sources/ml-platform/synthetic.js';
import { openStore } from '../store/index.js';
import { collect, sharedChem, withMemoryStore, withTempDir } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';
import { ingestPaths } from './index.js';

const fixtures = join(repoRoot(), 'src', 'sources', 'ml-platform', 'fixtures');
const bin = join(repoRoot(), 'bin', 'mirrorwatch.js');
const POOL = ['CCO', 'c1ccccc1', 'CC(=O)Oc1ccccc1C(=O)O', 'CN1C=NC2=C1C(=O)N(C(=O)N2C)C', 'OC(=O)c1ccccc1O', 'C1CCC(CC1)N'];

function run(args: string[], opts: { cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('ingest', () => {
  it('is idempotent across renamed and gzipped copies of the same file', async () => {
    const chem = await sharedChem();
    await withTempDir(async (dir) => {
      const a = join(fixtures, 'MLPlatformLogs.jsonl');
      const renamed = join(dir, 'rotated-2026-02-03.log');
      await copyFile(a, renamed);
      await writeFile(join(dir, 'again.jsonl.gz'), gzipSync(await readFile(a)));
      await withMemoryStore(async (store) => {
        const first = await ingestPaths([a], { store, chem });
        assert.equal(first.stored, 9);
        const again = await ingestPaths([renamed, join(dir, 'again.jsonl.gz')], { store, chem });
        assert.equal(again.stored, 0);
        assert.equal(again.duplicates, 18);
        assert.equal((await store.counts()).events, 9);
      });
    });
  });

  it('maps an MLPlatformLogs prediction request precisely', async () => {
    const chem = await sharedChem();
    await withMemoryStore(async (store) => {
      await ingestPaths([join(fixtures, 'MLPlatformLogs.jsonl')], { store, chem });
      const events = await collect(store.replay({ kinds: ['inference'] }));
      const e = events.find((x) => x.kind === 'inference' && x.model === 'binding-affinity-predictor');
      assert.ok(e && e.kind === 'inference');
      // 10:15:02.123+01:00 is 09:15:02.123 UTC
      assert.equal(e.time, '2026-02-03T09:15:02.123Z');
      assert.deepEqual(e.principal, { raw: 'asmith@pharma.example', canonical: 'asmith@pharma.example' });
      assert.equal(e.protocol, 'seldon-v1');
      assert.equal(e.batchSize, 2);
      assert.equal(e.apiKeyId, 'key-7f3a');
      assert.equal(e.sourceIp, '10.20.4.18');
      assert.equal(e.httpStatus, 200);
      assert.equal(e.latencyMs, 41.5);
      assert.deepEqual(e.context, { team: 'drug-discovery', role: 'researcher' });
      const [i0, i1] = e.instances;
      assert.equal(i0?.input.type, 'smiles');
      assert.equal(i0?.input.type === 'smiles' && i0.input.canonical, 'CC(=O)Oc1ccccc1C(=O)O');
      assert.equal(i0?.output?.confidence, 0.83);
      assert.ok(Math.abs((i0?.output?.intervalWidth ?? 0) - 0.6) < 1e-9);
      assert.deepEqual(i0?.output?.explanations, ['attention_weights', 'binding_residues', 'prediction_interval']);
      assert.equal(i1?.output?.confidence, 0.41);
      const tox = events.find((x) => x.kind === 'inference' && x.model === 'toxicity-classifier');
      assert.ok(tox && tox.kind === 'inference');
      // An unparseable SMILES is kept as evidence, with no canonical form.
      const bad = tox.instances[1]?.input;
      assert.ok(bad?.type === 'smiles' && bad.canonical === null);
      assert.equal(tox.instances[0]?.output?.confidence, 0.7);
    });
  });

  it('resolves principals through the directory loaded in the same run, whatever the argument order', async () => {
    const chem = await sharedChem();
    await withTempDir(async (dir) => {
      const dirCsv = join(dir, 'people.csv');
      await writeFile(dirCsv, 'principal,email,team,projects,role,manager,aliases\njdoe,jdoe@pharma.example,comp-chem,bace,senior_data_scientist,mlee,AKIAJDOE0001\n');
      await withMemoryStore(async (store) => {
        const s = await ingestPaths([join(fixtures, 'HREvents.jsonl'), dirCsv], { store, chem });
        assert.deepEqual(s.errors, []);
        const hr = await collect(store.replay({ kinds: ['hr'] }));
        const jdoe = hr.filter((e) => e.principal.raw === 'jdoe@pharma.example');
        assert.equal(jdoe.length, 2);
        for (const e of jdoe) assert.equal(e.principal.canonical, 'jdoe');
      });
    });
  });

  it('accounts for every record of arbitrary garbage mixed with real and mutated records (property)', async () => {
    const chem = await sharedChem();
    const real = (await readFile(join(fixtures, 'MLPlatformLogs.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const dlp = (await readFile(join(fixtures, 'DLPLogs.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const line = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc.constantFrom(...real, ...dlp),
      fc.tuple(fc.constantFrom(...real), fc.nat()).map(([l, n]) => l.slice(0, n % (l.length + 1))),
      fc.tuple(fc.constantFrom(...real), fc.nat(), fc.string({ maxLength: 5 })).map(([l, n, s]) => {
        const k = n % (l.length + 1);
        return l.slice(0, k) + s + l.slice(k + 1);
      }),
    );
    await withTempDir(async (dir) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 40 }), fc.boolean(), async (lines, forced) => {
          const body = lines.map((l) => l.replace(/[\r\n]/g, ' ')).join('\n');
          const f = join(dir, `g${run++}.jsonl`);
          await writeFile(f, body);
          await withMemoryStore(async (store) => {
            const s = await ingestPaths([f], { store, chem, ...(forced ? { format: 'ml-platform-logs' } : {}) });
            assert.equal(s.read, s.stored + s.duplicates + s.quarantined);
            if (s.errors.length === 0) {
              assert.equal(s.read, body.split('\n').filter((l) => l.trim()).length);
              const events = await collect(store.replay());
              assert.equal(events.length, s.stored);
              for (const e of events) {
                const { seq: _s, ...ev } = e;
                assert.ok(eventSchema.safeParse(ev).success);
              }
            } else {
              // Only "format not recognised" may stop a file, and then nothing of it is counted.
              assert.ok(!forced && s.errors.every((x) => x.code === 'MW_ERR_INGEST_UNKNOWN_FORMAT'));
            }
          });
        }),
        { numRuns: 60 },
      );
    });
  });

  it('decodes arbitrary request and response bodies into instances that satisfy the full schema (property)', async () => {
    const chem = await sharedChem();
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(...POOL), (req, res, smi) => {
        const wrapped = [req, { instances: [req, { smiles: smi }] }, { data: { ndarray: [{ smiles: smi }, req] } }, { inputs: [{ name: 'x', shape: [1], datatype: 'BYTES', data: [smi] }] }];
        for (const body of wrapped) {
          const d = decodeRequest(body, (s) => chem.canonical(s));
          for (const inst of instancesOf(d.inputs, res)) {
            const r = instanceSchema.safeParse(inst);
            assert.ok(r.success, JSON.stringify(r.error?.issues));
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a run killed half way and run again stores every record exactly once', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'big.jsonl');
      const lines = 60_000;
      await writeSyntheticMlPlatformLogs(file, { lines, seed: 7, smilesPool: POOL, maxBatch: 5 });
      const db = join(dir, 'kill.duckdb');
      // Small batches, each commit logged: kill right after the second commit, long before the end.
      const child = spawn(process.execPath, [bin, 'ingest', '--db', db, '--batch-size', '500', '--log-level', 'info', file], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await new Promise<void>((resolve) => {
        let commits = 0;
        let buf = '';
        child.stderr.on('data', (d: Buffer) => {
          buf += d.toString();
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.includes('"batch committed"') && ++commits === 2) resolve();
          }
        });
        child.on('exit', () => resolve());
      });
      child.kill('SIGKILL');
      const code = await exited;
      assert.notEqual(code, 0, 'the first run must have been killed before finishing');

      const partial = await openStore({ path: db });
      const before = (await partial.counts()).events;
      await partial.close();
      assert.ok(before > 0 && before < lines, `killed run stored ${before} of ${lines}`);

      const r = await run(['ingest', '--db', db, '--json', file]);
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout) as { read: number; stored: number; duplicates: number; quarantined: number };
      assert.equal(s.read, lines);
      assert.equal(s.quarantined, 0);
      assert.equal(s.stored + s.duplicates, lines);
      assert.equal(s.duplicates, before);
      const store = await openStore({ path: db });
      assert.equal((await store.counts()).events, lines);
      await store.close();
    });
  });

  it('CLI: --json counts, quarantine list, and a clear error and non-zero exit for unreadable paths after ingesting the rest', async () => {
    await withTempDir(async (dir) => {
      const db = join(dir, 'cli.duckdb');
      const r = await run(['ingest', '--db', db, '--json', join(fixtures, 'MLPlatformLogs-broken.jsonl'), join(dir, 'missing.log')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /MW_ERR_INGEST_UNREADABLE: .*missing\.log: ENOENT/);
      const s = JSON.parse(r.stdout) as Record<string, unknown>;
      assert.equal(s['read'], 10);
      assert.equal(s['stored'], 2);
      assert.equal(s['duplicates'], 1);
      assert.equal(s['quarantined'], 7);
      assert.deepEqual(Object.keys(s['by_format'] as object), ['ml-platform-logs']);
      const q = await run(['quarantine', 'list', '--db', db, '--json']);
      assert.equal(q.code, 0);
      const rows = (JSON.parse(q.stdout) as { total: number; rows: Array<{ line: number; reason: string; raw: string }> }).rows;
      assert.equal(rows.length, 7);
      assert.ok(rows.some((x) => x.line === 2 && /not valid JSON/.test(x.reason)));
      assert.ok(rows.some((x) => /TimeGenerated/.test(x.reason)));
      const text = await run(['ingest', '--db', db, join(fixtures, 'MLPlatformLogs.jsonl')]);
      assert.equal(text.code, 0);
      // Two of its records were already stored from the broken file.
      assert.match(text.stdout, /^ingested 1 file\(s\) in [\d.]+s: read 9, stored 7, duplicates 2, quarantined 0/);
    });
  });

  it('a gzip cut short keeps what was read, reports the file, and keeps the accounting whole', async () => {
    const chem = await sharedChem();
    await withTempDir(async (dir) => {
      const plain = join(dir, 'p.jsonl');
      await writeSyntheticMlPlatformLogs(plain, { lines: 20_000, seed: 3, smilesPool: POOL, maxBatch: 3 });
      const gz = gzipSync(await readFile(plain));
      const cut = join(dir, 'cut.jsonl.gz');
      await writeFile(cut, gz.subarray(0, Math.floor(gz.length / 2)));
      await withMemoryStore(async (store) => {
        const s = await ingestPaths([cut], { store, chem, batchSize: 1000 });
        assert.equal(s.errors.length, 1);
        assert.equal(s.errors[0]?.code, 'MW_ERR_INGEST_UNREADABLE');
        assert.match(s.errors[0]?.message ?? '', /cut\.jsonl\.gz: unexpected end of file/);
        assert.ok(s.read > 1000 && s.read < 20_000, `read ${s.read}`);
        assert.equal(s.read, s.stored + s.duplicates + s.quarantined);
        assert.equal((await store.counts()).events, s.stored);
      });
    });
  });

  it('CLI: a usage error in a subcommand exits 2 with commander\'s message', async () => {
    const r = await run(['ingest', '--no-such-flag', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--no-such-flag'/);
    const q = await run(['reference', 'add', 'planets', 'x.csv']);
    assert.equal(q.code, 2);
    assert.match(q.stderr, /MW_ERR_USAGE: unknown reference kind "planets"/);
  });

  it('walks folders recursively without looping on a symlink to an ancestor', async () => {
    const chem = await sharedChem();
    await withTempDir(async (dir) => {
      const sub = join(dir, 'logs', 'day1');
      await mkdir(sub, { recursive: true });
      await copyFile(join(fixtures, 'HREvents.jsonl'), join(sub, 'hr.jsonl'));
      await symlink(dir, join(sub, 'loop'));
      await withMemoryStore(async (store) => {
        const s = await ingestPaths([dir], { store, chem });
        assert.deepEqual(s.errors, []);
        assert.equal(s.files.length, 1);
        assert.equal(s.read, 4);
      });
    });
  });

  it('a simulator folder ingests cleanly: the compound library is loaded, truth and store files are skipped, not errors', async () => {
    const chem = await sharedChem();
    await withTempDir(async (dir) => {
      await copyFile(join(fixtures, 'HREvents.jsonl'), join(dir, 'HREvents.jsonl'));
      await writeFile(join(dir, 'compound-library.csv'), 'compound_id,smiles,series\nHTX-1,CCO,S1\nHTX-2,c1ccccc1,S1\n');
      await writeFile(join(dir, 'truth.json'), JSON.stringify({ seed: 1, variant: 'baseline', attacker: 'x', accomplices: [], resignation: null, phases: [], decoys: [], benign: [] }));
      const db = join(dir, 'store.duckdb');
      const st = await openStore({ path: db });
      await st.close();
      await withMemoryStore(async (store) => {
        const s = await ingestPaths([dir], { store, chem });
        assert.deepEqual(s.errors, []);
        assert.deepEqual(s.skipped.map((k) => basename(k.file)).sort(), ['store.duckdb', 'truth.json']);
        assert.match(s.skipped.find((k) => k.file.endsWith('truth.json'))?.reason ?? '', /evaluate --truth/);
        assert.equal(s.by_format['compounds-csv']?.stored, 2);
        const lib = await store.compounds('compound-library');
        assert.deepEqual(lib.map((c) => c.id), ['HTX-1', 'HTX-2']);
      });
    });
  });

  it('CLI: --help lists every command with a description', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['ingest', 'quarantine', 'reference']) assert.match(r.stdout, new RegExp(`\\n  ${c}\\b.*\\w`));
  });
});
