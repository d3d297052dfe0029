/**
 * One conformance suite that every source parser runs (the Hono lesson): the
 * fixtures each parser ships in src/sources/<folder>/fixtures/expected.json
 * are ingested and checked for detection, exact accounting, valid events,
 * idempotent re-ingest, and robustness to truncated and mutated records.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { eventSchema } from '../events/index.js';
import { ingestPaths } from '../ingest/index.js';
import { readSample } from '../ingest/read.js';
import { collect, sharedChem, withMemoryStore, withTempDir } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';
import { detectFormat, PARSERS } from './index.js';

interface Expected {
  format: string;
  read: number;
  stored: number;
  quarantined: number;
  duplicates?: number;
}

const sourcesDir = join(repoRoot(), 'src', 'sources');
const fixtureSets = readdirSync(sourcesDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(sourcesDir, d.name, 'fixtures', 'expected.json')))
  .map((d) => {
    const dir = join(sourcesDir, d.name, 'fixtures');
    return { folder: d.name, dir, expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, Expected> };
  });

describe('source parser registry', () => {
  it('has unique format names and a description for each parser', () => {
    const names = PARSERS.map((p) => p.format);
    assert.equal(new Set(names).size, names.length, `duplicate format names: ${names.join(', ')}`);
    for (const p of PARSERS) {
      assert.match(p.format, /^[a-z0-9-]+$/, `format name ${p.format} must be kebab-case`);
      assert.ok(p.description.length > 10, `${p.format} needs a description`);
      assert.ok(['lines', 'csv', 'document'].includes(p.framing));
    }
  });

  it('every parser has fixtures exercised by this suite', () => {
    const covered = new Set(fixtureSets.flatMap((s) => Object.values(s.expected).map((e) => e.format)));
    const missing = PARSERS.map((p) => p.format).filter((f) => !covered.has(f));
    assert.deepEqual(missing, [], `parsers without fixtures in any expected.json: ${missing.join(', ')}`);
  });

  it('every parser has a docs page', () => {
    const docs = join(repoRoot(), 'docs', 'sources');
    const pages = existsSync(docs) ? readdirSync(docs).join('\n') : '';
    for (const p of PARSERS) {
      const family = p.format.replace(/-(csv|list|file)$/, '');
      assert.ok(
        pages.includes(`${p.format}.md`) || pages.includes(`${family}.md`) || readAllDocs(docs).includes(`\`${p.format}\``),
        `no docs/sources page mentions ${p.format}`,
      );
    }
  });

  it('detection never throws and stays within 0..1 on arbitrary samples', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), fc.string({ maxLength: 40 }), (head, fileName) => {
        const sample = { fileName, head, lines: head.split('\n').filter((l) => l.trim()).slice(0, 20) };
        for (const p of PARSERS) {
          const c = p.detect(sample);
          assert.ok(c >= 0 && c <= 1, `${p.format}.detect returned ${c}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});

function readAllDocs(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

for (const set of fixtureSets) {
  describe(`fixtures of src/sources/${set.folder}`, () => {
    for (const [name, exp] of Object.entries(set.expected)) {
      const file = join(set.dir, name);
      const parser = PARSERS.find((p) => p.format === exp.format);

      it(`${name}: detected as ${exp.format} (or forced when not detectable)`, async () => {
        assert.ok(parser, `expected.json names unknown format ${exp.format}`);
        assert.ok(existsSync(file), `fixture ${name} listed in expected.json does not exist`);
        // A bare SMILES list is loaded explicitly (`reference add compounds`), never detected.
        if (!isDetectable(parser.format)) return;
        const d = detectFormat(await readSample(file, basename(file)));
        assert.equal(d?.parser.format, exp.format);
      });

      it(`${name}: exact accounting, valid events, idempotent re-ingest`, async () => {
        const chem = await sharedChem();
        await withMemoryStore(async (store) => {
          const forced = isDetectable(exp.format) ? {} : { format: exp.format };
          const first = await ingestPaths([file], { store, chem, ...forced });
          assert.deepEqual(first.errors, []);
          assert.equal(first.read, exp.read, 'read');
          assert.equal(first.stored, exp.stored, 'stored');
          assert.equal(first.quarantined, exp.quarantined, 'quarantined');
          assert.equal(first.duplicates, exp.duplicates ?? 0, 'duplicates');
          assert.equal(first.read, first.stored + first.duplicates + first.quarantined, 'read = stored + duplicates + quarantined');

          const events = await collect(store.replay());
          for (const e of events) {
            const { seq: _seq, ...ev } = e;
            const r = eventSchema.safeParse(ev);
            assert.ok(r.success, `stored event fails validation: ${JSON.stringify(r.error?.issues)}`);
            assert.equal(ev.provenance.format, exp.format);
            assert.ok(ev.provenance.line >= 1, 'provenance line is 1-based');
          }
          const q = await store.quarantine({ limit: 10_000 });
          for (const row of q.rows) {
            assert.ok(row.reason.length > 5, 'quarantine reason is explained');
            assert.ok(row.line >= 0 && row.file === file);
          }

          const second = await ingestPaths([file], { store, chem, ...forced });
          assert.equal(second.read, first.read);
          assert.equal(second.stored, 0, 're-ingest stores nothing new');
          assert.equal(second.duplicates, first.stored + first.duplicates);
          assert.equal(second.quarantined, first.quarantined);
          assert.equal((await store.counts()).events, events.length);
          assert.equal((await store.quarantine()).total, q.total, 'quarantine rows are not repeated');
        });
      });

      if (parser?.framing === 'lines') {
        it(`${name}: truncated and mutated records never throw and are all accounted for`, async () => {
          const chem = await sharedChem();
          const raw = readFileSync(file);
          const text = (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
          const lines = text.split('\n').filter((l) => l.trim());
          const mutated: string[] = [];
          lines.forEach((l, i) => {
            mutated.push(l.slice(0, Math.floor(l.length / 2)));
            mutated.push(l.slice(0, l.length - 1));
            mutated.push(l.replace(/"/, ''));
            mutated.push(l.replace(/[0-9]/g, (c) => String((Number(c) + i) % 10)));
            mutated.push(l.replace(/:/g, ' '));
            mutated.push(l + '}');
            mutated.push(l.replace(/\d{4}-\d{2}-\d{2}/, '2026-13-45'));
          });
          await withTempDir(async (dir) => {
            const f = join(dir, 'mutated.log');
            await writeFile(f, mutated.join('\n') + '\n');
            await withMemoryStore(async (store) => {
              const s = await ingestPaths([f], { store, chem, format: exp.format });
              assert.deepEqual(s.errors, []);
              // Expanding formats (CloudTrail Records lines) may count more logical records than lines.
              assert.ok(s.read >= mutated.filter((l) => l.trim()).length);
              assert.equal(s.read, s.stored + s.duplicates + s.quarantined);
            });
          });
        });
      }
    }
  });
}

function isDetectable(format: string): boolean {
  return !['compounds-list'].includes(format);
}
