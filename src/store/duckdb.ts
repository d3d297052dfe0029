/**
 * The embedded default store: one DuckDB file. DuckDB allows one writer
 * process; the gateway therefore writes audit JSON lines that ingestion reads,
 * and never opens this file itself.
 *
 * Times are naive TIMESTAMP columns holding UTC (every event time is
 * normalised to UTC before it gets here; no ICU extension is needed).
 *
 * Layout (docs/store.md): `events` holds one row per event, keyed by the
 * content-derived id (idempotent ingest) and numbered by `seq` in ingest order
 * (incremental detection reads `seq > last`). The envelope is typed columns,
 * the rest of the event a compact JSON body, inference instances a
 * column-wise JSON list (src/store/encode.ts), and the raw record is kept
 * verbatim for evidence. The `inference_instances` view unnests instances
 * (principal, model, time, canonical SMILES) for investigation queries such
 * as "which library compounds did this principal query".
 */
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type {
  CompoundEntry,
  DirectoryEntry,
  ModelEntry,
  ReferenceKind,
  ReferenceRecord,
} from '../events/index.js';
import { MwError } from '../errors/index.js';
import { sha256Hex } from '../util/hash.js';
import { decodeEvent, encodeEvent } from './encode.js';
import type { EncodedEvent, StoredRow } from './encode.js';
import type {
  AppendResult,
  QuarantineEntry,
  QuarantineRow,
  ReferenceLoad,
  ReplayOptions,
  Store,
  StoredEventInput,
} from './types.js';
import { duckDbRecords, RECORD_DDL } from './duckdb-records.js';

// 2: instances moved out of the body into `instances` (schema 1 rows keep them in the body and stay readable).
// 3: the body leaves out the envelope the columns hold, instances their usual values (src/store/encode.ts);
//    rows of schemas 1 and 2 stay readable, so opening one upgrades the version and rewrites nothing.
const SCHEMA_VERSION = '3';
/** Stores these versions wrote open and are upgraded in place (no row is rewritten). */
const READABLE_VERSIONS: ReadonlySet<string> = new Set(['1', '2']);

const DDL = [
  `CREATE TABLE IF NOT EXISTS mw_meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
  // Raw records, bodies and instance lists are a few KB each: DuckDB's
  // default string compression leaves such strings as they are (the store
  // file was larger than the input); zstd (storage version 1.2 and later)
  // makes the store ~5x smaller than the data at no measurable ingest cost.
  `CREATE TABLE IF NOT EXISTS events (
     seq BIGINT NOT NULL, id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, time TIMESTAMP NOT NULL,
     principal VARCHAR NOT NULL, principal_raw VARCHAR NOT NULL, model VARCHAR,
     format VARCHAR NOT NULL, file VARCHAR NOT NULL, line BIGINT NOT NULL, record_hash VARCHAR NOT NULL,
     body VARCHAR NOT NULL USING COMPRESSION zstd, raw VARCHAR NOT NULL USING COMPRESSION zstd, instances VARCHAR USING COMPRESSION zstd)`,
];

/** After the tables exist (a schema 1 store gains the `instances` column first). */
const VIEWS = [
  // Optional instance arrays (schema 3 leaves out usual values) are indexed by
  // position; an input hash left out is the molecule hash of the canonical form
  // (sha256 of it, or of `raw:` and the input, first 24 hex digits), as in src/sources/shared/bodies.ts.
  `CREATE OR REPLACE VIEW inference_instances AS
     WITH enc AS (
       SELECT id, time, principal, model,
              from_json(instances, '{"t":["VARCHAR"],"s":["VARCHAR"],"k":["VARCHAR"],"h":["VARCHAR"],
                                     "p":["JSON"],"c":["DOUBLE"],"w":["DOUBLE"],"x":"JSON"}') AS i
       FROM events WHERE kind = 'inference' AND instances IS NOT NULL),
     flat AS (
       SELECT id, time, principal, model, i, unnest(range(1, len(i.s) + 1)) AS j FROM enc),
     typed AS (
       SELECT id, time, principal, model, coalesce(i.t[j], 's') AS t, i.s[j] AS s,
              CASE WHEN i.k IS NULL THEN '' ELSE i.k[j] END AS k, i.h[j] AS h, i.p[j] AS p, i.c[j] AS c, i.w[j] AS w,
              CASE WHEN json_type(i.x) = 'ARRAY' THEN json_extract(i.x, j - 1) ELSE i.x END AS x
       FROM flat),
     canon AS (
       SELECT id, time, principal, model, CASE t WHEN 's' THEN 'smiles' WHEN 'f' THEN 'features' ELSE 'text' END AS input_type,
              s, CASE k WHEN '' THEN s WHEN chr(0) THEN '' ELSE k END AS canonical, h, p, c, w, x
       FROM typed)
     SELECT id AS event_id, time, principal, model, input_type,
            CASE WHEN h IS NOT NULL OR input_type <> 'smiles' THEN h ELSE left(sha256(coalesce(canonical, 'raw:' || s)), 24) END AS input_hash,
            s AS smiles, canonical AS canonical_smiles, TRY_CAST(p AS DOUBLE) AS prediction, c AS confidence,
            w AS interval_width,
            CASE WHEN json_type(x) = 'ARRAY' THEN from_json(x, '["VARCHAR"]')
                 WHEN CAST(x AS INTEGER) < 0 THEN NULL
                 ELSE list_concat(
                   CASE WHEN CAST(x AS INTEGER) & 1 <> 0 THEN ['attention_weights'] ELSE []::VARCHAR[] END,
                   CASE WHEN CAST(x AS INTEGER) & 2 <> 0 THEN ['binding_residues'] ELSE []::VARCHAR[] END,
                   CASE WHEN CAST(x AS INTEGER) & 4 <> 0 THEN ['feature_importance'] ELSE []::VARCHAR[] END,
                   CASE WHEN CAST(x AS INTEGER) & 8 <> 0 THEN ['logprobs'] ELSE []::VARCHAR[] END,
                   CASE WHEN CAST(x AS INTEGER) & 16 <> 0 THEN ['prediction_interval'] ELSE []::VARCHAR[] END)
            END AS explanations
     FROM canon
     UNION ALL
     -- Schema 1 rows: instances inside the body.
     SELECT id, time, principal, model, inst.input.type, inst.input.hash, inst.input.smiles, inst.input.canonical,
            TRY_CAST(inst.output.prediction AS DOUBLE), inst.output.confidence, inst.output.intervalWidth, inst.output.explanations
     FROM (SELECT id, time, principal, model,
                  unnest(from_json(json_extract(body, '$.instances'),
                    '[{"input":{"type":"VARCHAR","smiles":"VARCHAR","canonical":"VARCHAR","hash":"VARCHAR"},
                       "output":{"prediction":"JSON","confidence":"DOUBLE","intervalWidth":"DOUBLE","explanations":["VARCHAR"]}}]')) AS inst
           FROM events WHERE kind = 'inference' AND instances IS NULL)`,
];

const TABLES = [
  `CREATE TABLE IF NOT EXISTS quarantine (
     id VARCHAR PRIMARY KEY, format VARCHAR, file VARCHAR, line BIGINT, "offset" BIGINT, record_hash VARCHAR,
     reason VARCHAR, raw VARCHAR, quarantined_at TIMESTAMP)`,
  `CREATE SEQUENCE IF NOT EXISTS load_seq START 1`,
  `CREATE TABLE IF NOT EXISTS reference_loads (
     load_seq BIGINT, kind VARCHAR, name VARCHAR, version VARCHAR, file VARCHAR, records BIGINT, loaded_at TIMESTAMP,
     PRIMARY KEY (kind, name, version))`,
  `CREATE TABLE IF NOT EXISTS reference_entries (
     kind VARCHAR, name VARCHAR, version VARCHAR, idx INTEGER, key VARCHAR, body VARCHAR)`,
];

const STAGING = [
  `CREATE TEMP TABLE IF NOT EXISTS stage_ids (id VARCHAR)`,
  `CREATE TEMP TABLE IF NOT EXISTS stage_quarantine (id VARCHAR, format VARCHAR, file VARCHAR, line BIGINT,
     "offset" BIGINT, record_hash VARCHAR, reason VARCHAR, raw VARCHAR)`,
];

export interface DuckDbStoreOptions {
  /** File path, or ':memory:' for tests. */
  path: string;
  /** Open without writing (a second process reading while another writes is not supported by DuckDB). */
  readOnly?: boolean;
  /** DuckDB memory_limit (default 1GB, or $MIRRORWATCH_DB_MEMORY). */
  memoryLimit?: string;
}

function str(a: DuckDBAppender, v: string | null | undefined): void {
  if (v == null) a.appendNull();
  else a.appendVarchar(v);
}

export async function openDuckDbStore(options: DuckDbStoreOptions): Promise<Store> {
  let instance: DuckDBInstance;
  try {
    // DuckDB caches up to 80% of RAM by default; a bounded cache keeps ingest
    // memory flat however large the input (it spills to disk beyond this).
    const config: Record<string, string> = {
      memory_limit: options.memoryLimit ?? process.env['MIRRORWATCH_DB_MEMORY'] ?? '1GB',
      // New store files use a storage format with zstd string compression (read by DuckDB 1.2 and later).
      storage_compatibility_version: 'v1.2.0',
    };
    if (options.readOnly) config['access_mode'] = 'READ_ONLY';
    instance = await DuckDBInstance.create(options.path, config);
  } catch (e) {
    throw new MwError('MW_ERR_STORE_OPEN', `cannot open store ${options.path}: ${(e as Error).message}`);
  }
  const conn = await instance.connect();
  if (!options.readOnly) {
    for (const sql of [...DDL, ...TABLES, ...RECORD_DDL]) await conn.run(sql);
    const v = await conn.runAndReadAll(`SELECT value FROM mw_meta WHERE key = 'schema_version'`);
    const rows = v.getRows();
    if (rows.length === 0) await conn.run(`INSERT INTO mw_meta VALUES ('schema_version', ?)`, [SCHEMA_VERSION]);
    else if (READABLE_VERSIONS.has(String(rows[0]![0]))) {
      // Schema 1 stored instances in the body, schema 2 the whole event in it; their rows stay as they are
      // (decodeEvent and the view read every layout).
      await conn.run(`ALTER TABLE events ADD COLUMN IF NOT EXISTS instances VARCHAR`);
      await conn.run(`UPDATE mw_meta SET value = ? WHERE key = 'schema_version'`, [SCHEMA_VERSION]);
    } else if (rows[0]![0] !== SCHEMA_VERSION)
      throw new MwError('MW_ERR_STORE_OPEN', `store ${options.path} has schema version ${String(rows[0]![0])}, expected ${SCHEMA_VERSION}`);
    for (const sql of VIEWS) await conn.run(sql);
    for (const sql of STAGING) await conn.run(sql);
    // DuckDB checkpoints when the WAL passes 16 MB by default, and each
    // checkpoint rewrites (and recompresses) the row group being filled: with
    // ~25 MB per ingest batch that was every batch, ~2/3 of the store's CPU
    // time and file garbage. 256 MB measured 124 -> 80 us of CPU per event.
    await conn.run(`SET checkpoint_threshold = '256MB'`);
  }
  // One writer process (DuckDB's rule), so the ingest sequence can be kept here.
  let seq = Number((await conn.runAndReadAll(`SELECT coalesce(max(seq), 0) FROM events`)).getRows()[0]![0]);

  // One connection, one operation at a time: DuckDB transactions are per connection.
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  }

  async function tx<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    await conn.run('BEGIN TRANSACTION');
    try {
      const r = await fn(conn);
      await conn.run('COMMIT');
      return r;
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  async function currentVersion(kind: ReferenceKind, name?: string): Promise<Array<{ name: string; version: string }>> {
    const r = await conn.runAndReadAll(
      `SELECT name, version FROM (
         SELECT name, version, row_number() OVER (PARTITION BY name ORDER BY load_seq DESC) AS rn
         FROM reference_loads WHERE kind = ? ${name ? 'AND name = ?' : ''}) WHERE rn = 1 ORDER BY name`,
      name ? [kind, name] : [kind],
    );
    return r.getRows().map((row) => ({ name: String(row[0]), version: String(row[1]) }));
  }

  async function entriesOf<T>(kind: ReferenceKind, name?: string): Promise<Array<{ set: string; entry: T }>> {
    const out: Array<{ set: string; entry: T }> = [];
    for (const cur of await currentVersion(kind, name)) {
      const r = await conn.runAndReadAll(
        `SELECT body FROM reference_entries WHERE kind = ? AND name = ? AND version = ? ORDER BY idx`,
        [kind, cur.name, cur.version],
      );
      for (const row of r.getRows()) out.push({ set: cur.name, entry: JSON.parse(String(row[0])) as T });
    }
    return out;
  }

  /** Ids of these events already in the store. */
  async function knownIds(events: readonly EncodedEvent[]): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const ai = await conn.createAppender('stage_ids');
    for (const e of events) {
      ai.appendVarchar(e.id);
      ai.endRow();
    }
    finish(ai);
    try {
      const d = await conn.runAndReadAll(`SELECT s.id FROM stage_ids s JOIN events e ON e.id = s.id`);
      return new Set(d.getRows().map((row) => String(row[0])));
    } finally {
      await conn.run('DELETE FROM stage_ids');
    }
  }

  /** Appends events (numbering them) and quarantine entries; run inside a transaction. */
  async function write(events: readonly EncodedEvent[], quarantine: readonly QuarantineEntry[]): Promise<void> {
    if (quarantine.length) {
      const aq = await conn.createAppender('stage_quarantine');
      for (const q of quarantine) {
        // Same file, line and content: the same bad record seen again, listed once.
        aq.appendVarchar(sha256Hex(`${q.file}\0${q.line}\0${q.recordHash}`).slice(0, 32));
        aq.appendVarchar(q.format);
        aq.appendVarchar(q.file);
        aq.appendBigInt(BigInt(q.line));
        aq.appendBigInt(BigInt(q.offset));
        aq.appendVarchar(q.recordHash);
        aq.appendVarchar(q.reason);
        aq.appendVarchar(q.raw);
        aq.endRow();
      }
      finish(aq);
      try {
        await conn.run(
          `INSERT OR IGNORE INTO quarantine SELECT id, format, file, line, "offset", record_hash, reason, raw, CAST(? AS TIMESTAMP)
           FROM stage_quarantine`,
          [new Date().toISOString()],
        );
      } finally {
        await conn.run('DELETE FROM stage_quarantine');
      }
    }
    if (events.length) {
      const a = await conn.createAppender('events');
      for (const e of events) {
        a.appendBigInt(BigInt(++seq));
        a.appendVarchar(e.id);
        a.appendVarchar(e.kind);
        a.appendTimestamp(new DuckDBTimestampValue(BigInt(e.timeMs) * 1000n));
        a.appendVarchar(e.principal);
        a.appendVarchar(e.principalRaw);
        str(a, e.model);
        a.appendVarchar(e.format);
        a.appendVarchar(e.file);
        a.appendBigInt(BigInt(e.line));
        a.appendVarchar(e.recordHash);
        a.appendVarchar(e.body);
        a.appendVarchar(e.raw);
        str(a, e.instances);
        a.endRow();
      }
      finish(a);
    }
  }

  const store: Store = {
    ...duckDbRecords(conn, serial),
    append(events: readonly StoredEventInput[], quarantine: readonly QuarantineEntry[]): Promise<AppendResult> {
      return store.appendEncoded(
        events.map((e) => encodeEvent(e.event, e.raw)),
        quarantine,
      );
    },

    appendEncoded(events: readonly EncodedEvent[], quarantine: readonly QuarantineEntry[]): Promise<AppendResult> {
      return serial(async () => {
        const duplicateIds = new Set<string>();
        const seen = new Set<string>();
        const unique: EncodedEvent[] = [];
        for (const e of events) {
          if (seen.has(e.id)) duplicateIds.add(e.id);
          else {
            seen.add(e.id);
            unique.push(e);
          }
        }
        // Fresh events are the common case (a new log file): append them
        // optimistically and let the primary key reject a batch that holds a
        // stored id. Checking ids first joins the batch against every stored
        // id, a cost that grows with the store (~40 us per event at 1M events,
        // measured); re-ingesting pays it, first ingestion does not.
        const seq0 = seq;
        try {
          await tx(() => write(unique, quarantine));
          return { duplicateIds, storedCount: unique.length };
        } catch (e) {
          seq = seq0;
          if (!isConstraintError(e)) throw e;
        }
        const known = await knownIds(unique);
        const fresh = unique.filter((e) => !known.has(e.id));
        for (const id of known) duplicateIds.add(id);
        await tx(() => write(fresh, quarantine));
        return { duplicateIds, storedCount: fresh.length };
      });
    },

    putReference(kind, name, entries, file) {
      return serial(async () => {
        const bodies = entries.map((r) => JSON.stringify(r.entry));
        const version = sha256Hex(`${kind}\0${bodies.join('\n')}`).slice(0, 16);
        const cur = await currentVersion(kind, name);
        if (cur[0]?.version === version) return { version, isNew: false };
        await tx(async (c) => {
          const existing = await c.runAndReadAll(
            `SELECT 1 FROM reference_loads WHERE kind = ? AND name = ? AND version = ?`,
            [kind, name, version],
          );
          if (existing.getRows().length) {
            // Re-loading an older version makes it current again.
            await c.run(
              `UPDATE reference_loads SET load_seq = nextval('load_seq'), loaded_at = CAST(? AS TIMESTAMP) WHERE kind = ? AND name = ? AND version = ?`,
              [new Date().toISOString(), kind, name, version],
            );
            return;
          }
          await c.run(`INSERT INTO reference_loads VALUES (nextval('load_seq'), ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP))`, [
            kind,
            name,
            version,
            file,
            entries.length,
            new Date().toISOString(),
          ]);
          const a = await c.createAppender('reference_entries');
          entries.forEach((r: ReferenceRecord, i) => {
            a.appendVarchar(kind);
            a.appendVarchar(name);
            a.appendVarchar(version);
            a.appendInteger(i);
            a.appendVarchar(referenceKey(r));
            a.appendVarchar(bodies[i]!);
            a.endRow();
          });
          a.closeSync();
        });
        return { version, isNew: true };
      });
    },

    directory: () => serial(async () => (await entriesOf<DirectoryEntry>('directory')).map((x) => x.entry)),
    models: () => serial(async () => (await entriesOf<ModelEntry>('models')).map((x) => x.entry)),
    compounds: (name) =>
      serial(async () => (await entriesOf<CompoundEntry>('compounds', name)).map((x) => ({ ...x.entry, set: x.set }))),

    referenceLoads: () =>
      serial(async () => {
        const r = await conn.runAndReadAll(
          `SELECT kind, name, version, file, records, strftime(loaded_at, '%Y-%m-%dT%H:%M:%S.%gZ') FROM reference_loads ORDER BY load_seq`,
        );
        return r.getRows().map(
          (row): ReferenceLoad => ({
            kind: String(row[0]) as ReferenceKind,
            name: String(row[1]),
            version: String(row[2]),
            file: String(row[3]),
            records: Number(row[4]),
            loadedAt: String(row[5]),
          }),
        );
      }),

    quarantine: (opts = {}) =>
      serial(async () => {
        const where = opts.file ? `WHERE file = ?` : '';
        const params = opts.file ? [opts.file] : [];
        const total = await conn.runAndReadAll(`SELECT count(*) FROM quarantine ${where}`, params);
        const r = await conn.runAndReadAll(
          `SELECT id, format, file, line, "offset", record_hash, reason, raw, strftime(quarantined_at, '%Y-%m-%dT%H:%M:%S.%gZ')
           FROM quarantine ${where} ORDER BY file, line LIMIT ${Math.max(0, Math.floor(opts.limit ?? 100))}
           OFFSET ${Math.max(0, Math.floor(opts.offset ?? 0))}`,
          params,
        );
        return {
          total: Number(total.getRows()[0]![0]),
          rows: r.getRows().map(
            (row): QuarantineRow => ({
              id: String(row[0]),
              format: String(row[1]),
              file: String(row[2]),
              line: Number(row[3]),
              offset: Number(row[4]),
              recordHash: String(row[5]),
              reason: String(row[6]),
              raw: String(row[7]),
              quarantinedAt: String(row[8]),
            }),
          ),
        };
      }),

    async *replay(opts: ReplayOptions = {}) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (opts.kinds?.length) {
        where.push(`kind IN (${opts.kinds.map(() => '?').join(',')})`);
        params.push(...opts.kinds);
      }
      if (opts.principal) {
        where.push('principal = ?');
        params.push(opts.principal);
      }
      if (opts.afterSeq != null) {
        where.push('seq > ?');
        params.push(opts.afterSeq);
      }
      if (opts.since) {
        where.push('time >= CAST(? AS TIMESTAMP)');
        params.push(opts.since);
      }
      if (opts.until) {
        where.push('time < CAST(? AS TIMESTAMP)');
        params.push(opts.until);
      }
      const order = opts.order === 'principal' ? 'principal, time, seq' : 'time, seq';
      // A separate connection: a streaming result must not be interleaved with other statements.
      const rc = await instance.connect();
      try {
        const result = await rc.stream(
          `SELECT ${ROW_COLUMNS}, seq FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY ${order}`,
          params,
        );
        for await (const rows of result.yieldRows()) {
          for (const row of rows) yield Object.assign(decodeEvent(storedRow(row)), { seq: Number(row[11]) });
        }
      } finally {
        rc.closeSync();
      }
    },

    getEvents: (ids) =>
      serial(async () => {
        if (ids.length === 0) return [];
        const r = await conn.runAndReadAll(
          `SELECT ${ROW_COLUMNS}, raw FROM events WHERE id IN (${ids.map(() => '?').join(',')}) ORDER BY time, seq`,
          [...ids],
        );
        return r.getRows().map((row) => Object.assign(decodeEvent(storedRow(row)), { raw: String(row[11]) }));
      }),

    counts: () =>
      serial(async () => {
        const k = await conn.runAndReadAll(`SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind`);
        const byKind: Record<string, number> = {};
        let events = 0;
        for (const row of k.getRows()) {
          byKind[String(row[0])] = Number(row[1]);
          events += Number(row[1]);
        }
        const q = await conn.runAndReadAll(`SELECT count(*) FROM quarantine`);
        const s = await conn.runAndReadAll(`SELECT coalesce(max(seq), 0) FROM events`);
        return { events, byKind, quarantined: Number(q.getRows()[0]![0]), maxSeq: Number(s.getRows()[0]![0]) };
      }),

    close: () =>
      serial(async () => {
        conn.closeSync();
        instance.closeSync();
      }),
  };
  return store;
}

/**
 * Closes an appender; if its rows are rejected (a duplicate key), drops them
 * before rethrowing. An appender left holding rows would flush them again
 * whenever it is garbage-collected, into whatever transaction is open then.
 */
function finish(a: DuckDBAppender): void {
  try {
    a.closeSync();
  } catch (e) {
    a.clear();
    try {
      a.closeSync();
    } catch {
      // Nothing left to write; the first error is the one to report.
    }
    throw e;
  }
}

/** The columns `decodeEvent` needs, in `storedRow`'s order. */
const ROW_COLUMNS = 'id, kind, epoch_ms(time), principal, principal_raw, format, file, line, record_hash, body, instances';

function storedRow(row: readonly DuckDBValue[]): StoredRow {
  return {
    id: String(row[0]),
    kind: String(row[1]),
    timeMs: Number(row[2]),
    principal: String(row[3]),
    principalRaw: String(row[4]),
    format: String(row[5]),
    file: String(row[6]),
    line: Number(row[7]),
    recordHash: String(row[8]),
    body: String(row[9]),
    instances: row[10] == null ? null : String(row[10]),
  };
}

function isConstraintError(e: unknown): boolean {
  return /constraint|duplicate key/i.test((e as Error)?.message ?? '');
}

function referenceKey(r: ReferenceRecord): string {
  switch (r.kind) {
    case 'directory':
      return r.entry.principal;
    case 'models':
      return r.entry.name;
    case 'compounds':
      return r.entry.canonical ?? r.entry.smiles;
  }
}
