import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import type { InferenceEvent, Instance, MwEvent } from '../events/index.js';
import { ingestPaths } from '../ingest/index.js';
import { collect, sharedChem, withMemoryStore, withTempDir } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';
import { openStore } from './index.js';

const fixtures = join(repoRoot(), 'src', 'sources', 'ml-platform', 'fixtures');

async function query(path: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as Array<Record<string, unknown>>;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** The MLPlatformLogs fixture's events with their raw records, as a store returns them. */
async function storedFixtureEvents(): Promise<Array<MwEvent & { raw: string }>> {
  const chem = await sharedChem();
  return withMemoryStore(async (s) => {
    await ingestPaths([join(fixtures, 'MLPlatformLogs.jsonl')], { store: s, chem });
    return s.getEvents((await collect(s.replay())).map((e) => e.id));
  });
}

function instanceRows(events: MwEvent[]): Array<Record<string, unknown>> {
  return events
    .filter((e): e is InferenceEvent => e.kind === 'inference')
    .flatMap((e) =>
      e.instances.map((i) => ({
        event_id: e.id,
        input_type: i.input.type,
        input_hash: i.input.hash,
        smiles: i.input.type === 'smiles' ? i.input.smiles : null,
        canonical_smiles: i.input.type === 'smiles' ? i.input.canonical : null,
        prediction: typeof i.output?.prediction === 'number' ? i.output.prediction : null,
        confidence: i.output?.confidence ?? null,
        interval_width: i.output?.intervalWidth ?? null,
        explanations: i.output ? i.output.explanations : null,
      })),
    );
}

const VIEW_SQL = `SELECT event_id, input_type, input_hash, smiles, canonical_smiles, prediction, confidence, interval_width, explanations
                  FROM inference_instances ORDER BY event_id, input_hash, smiles`;
const order = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
  String(a['event_id']).localeCompare(String(b['event_id'])) ||
  String(a['input_hash']).localeCompare(String(b['input_hash'])) ||
  String(a['smiles']).localeCompare(String(b['smiles']));

/** An empty store as schema 1 (no instances column) or 2 created it. */
async function oldStore(db: string, version: '1' | '2'): Promise<{ inst: DuckDBInstance; c: DuckDBConnection }> {
  const inst = await DuckDBInstance.create(db);
  const c = await inst.connect();
  await c.run(`CREATE TABLE mw_meta (key VARCHAR PRIMARY KEY, value VARCHAR)`);
  await c.run(`INSERT INTO mw_meta VALUES ('schema_version', ?)`, [version]);
  await c.run(`CREATE TABLE events (
     seq BIGINT NOT NULL, id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, time TIMESTAMP NOT NULL,
     principal VARCHAR NOT NULL, principal_raw VARCHAR NOT NULL, model VARCHAR,
     format VARCHAR NOT NULL, file VARCHAR NOT NULL, line BIGINT NOT NULL, record_hash VARCHAR NOT NULL,
     body VARCHAR NOT NULL, raw VARCHAR NOT NULL${version === '2' ? ', instances VARCHAR' : ''})`);
  return { inst, c };
}

describe('DuckDB store', () => {
  it('the inference_instances view lists every stored instance as replay returns it', async () => {
    const chem = await sharedChem();
    await withTempDir(async (dir) => {
      const db = join(dir, 'v.duckdb');
      const store = await openStore({ path: db });
      await ingestPaths([join(fixtures, 'MLPlatformLogs.jsonl')], { store, chem });
      const events = await collect(store.replay());
      await store.close();
      const want = instanceRows(events).sort(order);
      assert.ok(want.length >= 4 && want.some((r) => r['canonical_smiles'] === null) && want.some((r) => (r['explanations'] as string[] | null)?.length));
      const got = (await query(db, VIEW_SQL)).sort(order);
      assert.deepEqual(got, want);
    });
  });

  it('reads a schema 1 store (instances inside the body) and keeps appending to it', async () => {
    const chem = await sharedChem();
    await withTempDir(async (dir) => {
      // The events of a fixture as schema 1 stored them.
      const events = await storedFixtureEvents();
      const db = join(dir, 'v1.duckdb');
      const { inst, c } = await oldStore(db, '1');
      const old = events.slice(0, 5);
      for (const [i, { raw, ...e }] of old.entries()) {
        await c.run(`INSERT INTO events VALUES (?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
          i + 1, e.id, e.kind, e.time.replace('Z', ''), e.principal.canonical, e.principal.raw,
          e.kind === 'inference' || e.kind === 'registry' ? e.model : null,
          e.provenance.format, e.provenance.file, e.provenance.line, e.provenance.recordHash, JSON.stringify(e), raw,
        ]);
      }
      c.closeSync();
      inst.closeSync();

      const store = await openStore({ path: db });
      const s = await ingestPaths([join(fixtures, 'MLPlatformLogs.jsonl')], { store, chem });
      assert.equal(s.duplicates, 5);
      const all = await store.getEvents(events.map((e) => e.id));
      assert.deepEqual(all, events);
      assert.equal((await store.counts()).maxSeq, events.length);
      await store.close();
      const got = (await query(db, VIEW_SQL)).sort(order);
      assert.deepEqual(got, instanceRows(events).sort(order));
      assert.deepEqual(await query(db, `SELECT value FROM mw_meta WHERE key = 'schema_version'`), [{ value: '3' }]);
    });
  });

  it('reads a schema 2 store (the whole event in the body, every instance array) and upgrades it in place', async () => {
    const chem = await sharedChem();
    await withTempDir(async (dir) => {
      const events = await storedFixtureEvents();
      const db = join(dir, 'v2.duckdb');
      const { inst, c } = await oldStore(db, '2');
      const old = events.slice(0, 6);
      assert.ok(old.some((e) => e.kind === 'inference'));
      for (const [i, { raw, ...e }] of old.entries()) {
        const { instances, ...rest } = e as MwEvent & { instances?: Instance[] };
        // Schema 2's instance layout: every array, one entry per instance.
        const enc = instances && {
          t: instances.map((x) => (x.input.type === 'smiles' ? 's' : x.input.type === 'features' ? 'f' : 'x')),
          s: instances.map((x) => (x.input.type === 'smiles' ? x.input.smiles : null)),
          k: instances.map((x) => (x.input.type !== 'smiles' ? null : x.input.canonical === x.input.smiles ? '' : x.input.canonical)),
          h: instances.map((x) => x.input.hash),
          f: instances.map((x) => (x.input.type === 'features' ? x.input.features : null)),
          n: instances.map((x) => (x.input.type === 'text' ? x.input.length : null)),
          p: instances.map((x) => x.output?.prediction ?? null),
          c: instances.map((x) => x.output?.confidence ?? null),
          w: instances.map((x) => x.output?.intervalWidth ?? null),
          x: instances.map((x) => (x.output ? x.output.explanations : -1)),
        };
        await c.run(`INSERT INTO events VALUES (?, ?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
          i + 1, e.id, e.kind, e.time.replace('Z', ''), e.principal.canonical, e.principal.raw,
          e.kind === 'inference' || e.kind === 'registry' ? e.model : null,
          e.provenance.format, e.provenance.file, e.provenance.line, e.provenance.recordHash, JSON.stringify(rest), raw,
          enc ? JSON.stringify(enc) : null,
        ]);
      }
      c.closeSync();
      inst.closeSync();

      const store = await openStore({ path: db });
      assert.deepEqual(await store.getEvents(old.map((e) => e.id)), old);
      const s = await ingestPaths([join(fixtures, 'MLPlatformLogs.jsonl')], { store, chem });
      assert.equal(s.duplicates, old.length);
      assert.deepEqual(await store.getEvents(events.map((e) => e.id)), events);
      const replayed = await collect(store.replay());
      assert.deepEqual(
        replayed.map(({ seq, ...e }) => (assert.ok(seq > 0), e)),
        [...events].sort((a, b) => a.time.localeCompare(b.time) || 0).map(({ raw, ...e }) => (assert.ok(raw), e)),
      );
      await store.close();
      const got = (await query(db, VIEW_SQL)).sort(order);
      assert.deepEqual(got, instanceRows(events).sort(order));
      assert.deepEqual(await query(db, `SELECT value FROM mw_meta WHERE key = 'schema_version'`), [{ value: '3' }]);
    });
  });

  it('refuses a store of a newer schema with a catalogued error', async () => {
    await withTempDir(async (dir) => {
      const db = join(dir, 'v9.duckdb');
      const inst = await DuckDBInstance.create(db);
      const c = await inst.connect();
      await c.run(`CREATE TABLE mw_meta (key VARCHAR PRIMARY KEY, value VARCHAR)`);
      await c.run(`INSERT INTO mw_meta VALUES ('schema_version', '9')`);
      c.closeSync();
      inst.closeSync();
      await assert.rejects(openStore({ path: db }), (e: Error & { code?: string }) => e.code === 'MW_ERR_STORE_OPEN' && /schema version 9/.test(e.message));
    });
  });

  it('returns every event as it was appended, whatever its envelope (property)', async () => {
    const chem = await sharedChem();
    const base = await withMemoryStore(async (s) => {
      await ingestPaths([fixtures, join(repoRoot(), 'src', 'sources', 'cloudevents', 'fixtures')], { store: s, chem });
      return s.getEvents((await collect(s.replay())).map((e) => e.id));
    });
    assert.ok(base.some((e) => e.provenance.joined) && base.some((e) => e.kind === 'inference') && base.some((e) => e.kind === 'hr'));
    const ms = fc.integer({ min: 0, max: Date.parse('9999-12-31T23:59:59.999Z') });
    // Millisecond times (what parsers write, rebuilt from the time column) and others the body keeps.
    const time = fc.oneof(
      ms.map((t) => new Date(t).toISOString()),
      ms.map((t) => new Date(t - (t % 1000)).toISOString().replace('.000Z', 'Z')),
      fc.tuple(ms, fc.integer({ min: 0, max: 999 })).map(([t, us]) => new Date(t).toISOString().replace('Z', `${String(us).padStart(3, '0')}Z`)),
    );
    const ref = fc.record({ line: fc.nat(), offset: fc.nat(), hash: fc.stringMatching(/^[0-9a-f]{64}$/) }).map((r) => ({ ...r }));
    const event = fc
      .record({
        e: fc.constantFrom(...base),
        id: fc.stringMatching(/^[0-9a-f]{32}$/),
        time,
        raw: fc.string({ minLength: 1 }),
        canonical: fc.string({ minLength: 1 }),
        file: fc.string(),
        line: fc.nat(),
        offset: fc.nat(),
        joined: fc.option(fc.array(ref, { minLength: 1, maxLength: 3 }), { nil: undefined }),
        kindFirst: fc.boolean(),
      })
      .map(({ e, id, time, raw, canonical, file, line, offset, joined, kindFirst }) => {
        const { raw: text, ...rest } = e;
        const provenance: MwEvent['provenance'] = { format: e.provenance.format, file, line, offset, recordHash: e.provenance.recordHash };
        if (joined) provenance.joined = joined;
        const env = { id, time, principal: { raw, canonical }, provenance };
        const ev = (kindFirst ? Object.assign({ kind: e.kind }, rest, env) : { ...rest, ...env }) as MwEvent;
        return { event: ev, raw: text };
      });
    await withMemoryStore(async (store) => {
      await fc.assert(
        fc.asyncProperty(event, async (input) => {
          const r = await store.append([input], []);
          if (r.duplicateIds.size) return;
          const [got] = await store.getEvents([input.event.id]);
          assert.deepEqual(got, { ...input.event, raw: input.raw });
          const [replayed] = (await collect(store.replay({ afterSeq: (await store.counts()).maxSeq - 1 })));
          assert.deepEqual(replayed, { ...input.event, seq: replayed!.seq });
        }),
        { numRuns: 60 },
      );
    });
  });

  it('reports ids already stored as duplicates and numbers only the new events, without gaps', async () => {
    await withMemoryStore(async (store) => {
      const events = await storedFixtureEvents();
      const input = events.map(({ raw, ...event }) => ({ event: event as MwEvent, raw }));
      const first = await store.append(input.slice(0, 3), []);
      assert.deepEqual(first, { duplicateIds: new Set(), storedCount: 3 });
      // Two stored, one repeated within the batch, the rest new.
      const second = await store.append([input[1]!, ...input.slice(2), input[4]!], []);
      assert.deepEqual(second.duplicateIds, new Set([input[1]!.event.id, input[2]!.event.id, input[4]!.event.id]));
      assert.equal(second.storedCount, input.length - 3);
      const seqs = (await collect(store.replay({ order: 'time' }))).map((e) => e.seq).sort((a, b) => a - b);
      assert.deepEqual(seqs, input.map((_, i) => i + 1));
      assert.deepEqual(await store.getEvents(events.map((e) => e.id)), events);
    });
  });
});
