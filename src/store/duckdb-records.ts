/** DuckDB implementation of the record store (alerts, incidents, documents); see records.ts. */
import { DuckDBBlobValue } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { Alert } from '../detect/alert.js';
import type { Incident } from '../correlate/index.js';
import type { AlertQuery, IncidentQuery, IngestHealth, RecordStore, StoredDocument } from './records.js';

export const RECORD_DDL = [
  `CREATE TABLE IF NOT EXISTS alerts (
     id VARCHAR PRIMARY KEY, fired_at TIMESTAMP NOT NULL, principal VARCHAR NOT NULL, detector VARCHAR NOT NULL,
     severity VARCHAR NOT NULL, body VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS incidents (
     id VARCHAR PRIMARY KEY, opened_at TIMESTAMP NOT NULL, severity VARCHAR NOT NULL, principals VARCHAR NOT NULL,
     body VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS documents (
     collection VARCHAR NOT NULL, id VARCHAR NOT NULL, body VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL,
     PRIMARY KEY (collection, id))`,
  // Fingerprints are computed once per distinct molecule (RDKit costs ~0.3-0.6 ms each): keyed by the
  // fingerprint kind (e.g. morgan-r2-2048) and canonical SMILES; fp NULL = RDKit cannot parse it.
  `CREATE TABLE IF NOT EXISTS fingerprints (kind VARCHAR NOT NULL, canonical VARCHAR NOT NULL, fp BLOB, PRIMARY KEY (kind, canonical))`,
];

type Serial = <T>(fn: () => Promise<T>) => Promise<T>;

/** Times are stored as naive UTC timestamps; strip the zone for the cast. */
function ts(iso: string): string {
  return iso.endsWith('Z') ? iso.slice(0, -1) : iso;
}

function page(limit: number | undefined, offset: number | undefined, defaultLimit: number): string {
  // Numbers only (never caller text), clamped, so they can be written into the statement.
  const l = Math.max(0, Math.min(100_000, Math.floor(limit ?? defaultLimit)));
  const o = Math.max(0, Math.floor(offset ?? 0));
  return `LIMIT ${l} OFFSET ${o}`;
}

export function duckDbRecords(conn: DuckDBConnection, serial: Serial): RecordStore {
  async function inTx(fn: () => Promise<void>): Promise<void> {
    await conn.run('BEGIN TRANSACTION');
    try {
      await fn();
      await conn.run('COMMIT');
    } catch (e) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }

  function severityClause(sev: readonly string[] | undefined, where: string[], params: DuckDBValue[]): void {
    if (sev?.length) {
      where.push(`severity IN (${sev.map(() => '?').join(',')})`);
      params.push(...sev);
    }
  }

  return {
    ingestHealth: (hours = 48) =>
      serial(async (): Promise<IngestHealth> => {
        const latestRow = (await conn.runAndReadAll(`SELECT strftime(max(time), '%Y-%m-%dT%H:%M:%S.%gZ') FROM events`)).getRows()[0];
        const latest = latestRow?.[0] == null ? null : String(latestRow[0]);
        const h = Math.max(1, Math.min(24 * 90, Math.floor(hours)));
        const perHour = latest
          ? (
              await conn.runAndReadAll(
                `SELECT strftime(date_trunc('hour', time), '%Y-%m-%dT%H:00:00Z') AS hour, format, count(*) FROM events
                 WHERE time > (SELECT max(time) FROM events) - to_hours(CAST(? AS BIGINT)) GROUP BY ALL ORDER BY hour, format`,
                [h],
              )
            )
              .getRows()
              .map((r) => ({ hour: String(r[0]), format: String(r[1]), events: Number(r[2]) }))
          : [];
        const quarantined = (await conn.runAndReadAll(`SELECT format, count(*) FROM quarantine GROUP BY format ORDER BY format`))
          .getRows()
          .map((r) => ({ format: String(r[0]), records: Number(r[1]) }));
        return { perHour, quarantined, latest };
      }),

    putAlerts: (alerts) =>
      serial(async () => {
        if (!alerts.length) return;
        await inTx(async () => {
          for (const a of alerts) {
            await conn.run(`INSERT OR REPLACE INTO alerts VALUES (?, CAST(? AS TIMESTAMP), ?, ?, ?, ?)`, [
              a.id,
              ts(a.at),
              a.principal,
              a.detector,
              a.severity,
              JSON.stringify(a),
            ]);
          }
        });
      }),

    listAlerts: (q: AlertQuery = {}) =>
      serial(async () => {
        const where: string[] = [];
        const params: DuckDBValue[] = [];
        if (q.principal) {
          where.push('principal = ?');
          params.push(q.principal);
        }
        if (q.detector) {
          where.push('detector = ?');
          params.push(q.detector);
        }
        severityClause(q.severities, where, params);
        if (q.since) {
          where.push('fired_at >= CAST(? AS TIMESTAMP)');
          params.push(ts(q.since));
        }
        if (q.until) {
          where.push('fired_at < CAST(? AS TIMESTAMP)');
          params.push(ts(q.until));
        }
        if (q.ids) {
          if (!q.ids.length) return { total: 0, rows: [] };
          where.push(`id IN (${q.ids.map(() => '?').join(',')})`);
          params.push(...q.ids);
        }
        const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
        const total = Number((await conn.runAndReadAll(`SELECT count(*) FROM alerts ${w}`, params)).getRows()[0]![0]);
        const r = await conn.runAndReadAll(`SELECT body FROM alerts ${w} ORDER BY fired_at, id ${page(q.limit, q.offset, 1000)}`, params);
        return { total, rows: r.getRows().map((row) => JSON.parse(String(row[0])) as Alert) };
      }),

    putIncidents: (incidents) =>
      serial(async () => {
        if (!incidents.length) return;
        await inTx(async () => {
          for (const i of incidents) {
            await conn.run(`INSERT OR REPLACE INTO incidents VALUES (?, CAST(? AS TIMESTAMP), ?, ?, ?)`, [
              i.id,
              ts(i.opened_at),
              i.severity,
              // Delimited so that a principal filter matches whole names only.
              `\n${i.principals.join('\n')}\n`,
              JSON.stringify(i),
            ]);
          }
        });
      }),

    listIncidents: (q: IncidentQuery = {}) =>
      serial(async () => {
        const where: string[] = [];
        const params: DuckDBValue[] = [];
        if (q.principal) {
          where.push(`contains(principals, ?)`);
          params.push(`\n${q.principal}\n`);
        }
        severityClause(q.severities, where, params);
        const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
        const total = Number((await conn.runAndReadAll(`SELECT count(*) FROM incidents ${w}`, params)).getRows()[0]![0]);
        const r = await conn.runAndReadAll(`SELECT body FROM incidents ${w} ORDER BY opened_at, id ${page(q.limit, q.offset, 1000)}`, params);
        return { total, rows: r.getRows().map((row) => JSON.parse(String(row[0])) as Incident) };
      }),

    getIncident: (id) =>
      serial(async () => {
        const r = await conn.runAndReadAll(`SELECT body FROM incidents WHERE id = ?`, [id]);
        const row = r.getRows()[0];
        return row ? (JSON.parse(String(row[0])) as Incident) : null;
      }),

    putDocument: (collection, id, body) =>
      serial(async () => {
        const text = JSON.stringify(body);
        if (text === undefined) throw new TypeError('document body must be JSON-serialisable');
        await conn.run(`INSERT OR REPLACE INTO documents VALUES (?, ?, ?, CAST(? AS TIMESTAMP))`, [
          collection,
          id,
          text,
          ts(new Date().toISOString()),
        ]);
      }),

    getDocument: <T>(collection: string, id: string) =>
      serial(async (): Promise<StoredDocument<T> | null> => {
        const r = await conn.runAndReadAll(
          `SELECT id, body, strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') FROM documents WHERE collection = ? AND id = ?`,
          [collection, id],
        );
        const row = r.getRows()[0];
        return row ? { id: String(row[0]), body: JSON.parse(String(row[1])) as T, updatedAt: String(row[2]) } : null;
      }),

    listDocuments: <T>(collection: string, options: { prefix?: string; limit?: number; offset?: number } = {}) =>
      serial(async (): Promise<StoredDocument<T>[]> => {
        const params: DuckDBValue[] = [collection];
        let extra = '';
        if (options.prefix) {
          extra = 'AND starts_with(id, ?)';
          params.push(options.prefix);
        }
        const r = await conn.runAndReadAll(
          `SELECT id, body, strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') FROM documents WHERE collection = ? ${extra}
           ORDER BY id ${page(options.limit, options.offset, 10_000)}`,
          params,
        );
        return r.getRows().map((row) => ({ id: String(row[0]), body: JSON.parse(String(row[1])) as T, updatedAt: String(row[2]) }));
      }),

    missingFingerprints: (kind, extra = []) =>
      serial(async () => {
        await conn.run(`CREATE OR REPLACE TEMP TABLE fp_extra (canonical VARCHAR)`);
        if (extra.length) {
          const a = await conn.createAppender('fp_extra');
          for (const s of extra) {
            a.appendVarchar(s);
            a.endRow();
          }
          a.closeSync();
        }
        const r = await conn.runAndReadAll(
          `SELECT canonical FROM (
             SELECT DISTINCT canonical_smiles AS canonical FROM inference_instances WHERE input_type = 'smiles' AND canonical_smiles IS NOT NULL
             UNION SELECT canonical FROM fp_extra)
           WHERE canonical NOT IN (SELECT canonical FROM fingerprints WHERE kind = ?)
           ORDER BY canonical`,
          [kind],
        );
        await conn.run(`DROP TABLE fp_extra`);
        return r.getRows().map((row) => String(row[0]));
      }),

    putFingerprints: (kind, entries) =>
      serial(async () => {
        if (!entries.length) return;
        await inTx(async () => {
          // Staged and merged, so that a fingerprint cached meanwhile is replaced rather than a key violation.
          await conn.run(`CREATE OR REPLACE TEMP TABLE fp_stage (kind VARCHAR, canonical VARCHAR, fp BLOB)`);
          const a = await conn.createAppender('fp_stage');
          for (const [smiles, fp] of entries) {
            a.appendVarchar(kind);
            a.appendVarchar(smiles);
            if (fp) a.appendBlob(fp);
            else a.appendNull();
            a.endRow();
          }
          a.closeSync();
          await conn.run(`INSERT OR REPLACE INTO fingerprints SELECT DISTINCT ON (canonical) kind, canonical, fp FROM fp_stage`);
          await conn.run(`DROP TABLE fp_stage`);
        });
      }),

    getFingerprints: (kind) =>
      serial(async () => {
        const out = new Map<string, Uint8Array | null>();
        const result = await conn.stream(`SELECT canonical, fp FROM fingerprints WHERE kind = ?`, [kind]);
        for await (const rows of result.yieldRows()) {
          for (const row of rows) out.set(String(row[0]), row[1] instanceof DuckDBBlobValue ? new Uint8Array(row[1].bytes) : null);
        }
        return out;
      }),

    deleteDocument: (collection, id) =>
      serial(async () => {
        const r = await conn.runAndReadAll(`DELETE FROM documents WHERE collection = ? AND id = ? RETURNING id`, [collection, id]);
        return r.getRows().length > 0;
      }),
  };
}
