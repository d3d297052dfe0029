/**
 * The reference queries as a baseline: the scenario's five detection queries
 * (volume against baseline, diversity ratio, cross-team download, split
 * upload, post-resignation correlation), as DuckDB SQL over the store, run
 * on a daily schedule in event time and scored by the same evaluation as our
 * detectors (`mirrorwatch demo`, docs/detect.md "Reference baseline").
 *
 * The scenario's own query text is not available to this project, so these
 * are written from the description of them, in the fixed-threshold
 * style of such hunting queries. Each query groups by UTC day and looks only
 * at events up to the end of that day, so every row is what the query would
 * have returned when run at that midnight; its alert fires at the day's end.
 * Every number is a bound parameter.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBValue } from '@duckdb/node-api';
import type { Phase } from '../correlate/index.js';
import { createCorrelator } from '../correlate/index.js';
import type { Incident } from '../correlate/index.js';
import { compareAlerts, makeAlert } from '../detect/alert.js';
import type { Alert, Severity } from '../detect/alert.js';
import { contextFromStore } from '../detect/index.js';
import { DAY_MS } from '../detect/stats.js';
import type { TechniqueId } from '../detect/techniques.js';
import type { PhaseOf } from '../evaluate/index.js';
import { openStore } from '../store/index.js';

export interface ReferenceOptions {
  /** Volume: today's instances above this multiple of the principal's mean over the look-back... */
  volumeRatio: number;
  /** ...and above this floor. */
  volumeMinInstances: number;
  volumeLookbackDays: number;
  /** Diversity: distinct inputs / inputs in the day at least this... */
  diversityRatio: number;
  /** ...over at least this many inputs. */
  diversityMinInstances: number;
  /** Split upload: at least this many split-archive-named files to one destination in a day. */
  splitMinFiles: number;
  /** Post-resignation: days after the resignation the correlation looks at. */
  postResignationDays: number;
}

export const REFERENCE_DEFAULTS: ReferenceOptions = {
  volumeRatio: 3,
  volumeMinInstances: 1000,
  volumeLookbackDays: 30,
  diversityRatio: 0.9,
  diversityMinInstances: 500,
  splitMinFiles: 3,
  postResignationDays: 30,
};

interface Query {
  id: string;
  severity: Severity;
  phases: readonly Phase[];
  techniques: readonly TechniqueId[];
  sql: string;
  params: (o: ReferenceOptions) => DuckDBValue[];
  explain: (r: Row) => string;
}

interface Row {
  principal: string;
  day: number;
  observed: number;
  baseline: number;
  threshold: number;
  models: string[];
  evidence: string[];
  key: string;
}

// The latest load of the directory and the model inventory (reference data, docs/sources/reference.md).
const REFERENCE_CTES = `
  latest AS (SELECT kind, name, max(load_seq) AS s FROM reference_loads GROUP BY kind, name),
  ref AS (SELECT e.kind, e.body FROM reference_entries e JOIN reference_loads l USING (kind, name, version) JOIN latest t ON t.kind = l.kind AND t.name = l.name AND t.s = l.load_seq),
  dir AS (SELECT json_extract_string(body, '$.principal') AS principal, json_extract_string(body, '$.team') AS team FROM ref WHERE kind = 'directory'),
  inv AS (SELECT json_extract_string(body, '$.name') AS model, json_extract_string(body, '$.team') AS team,
                 coalesce(json_extract_string(body, '$.artifactLocation'), json_extract_string(body, '$.tags.artifact_location')) AS loc
          FROM ref WHERE kind = 'models')`;

// Model downloads: registry artifact downloads and download URIs, and object reads under a model's artifact location.
const DOWNLOADS = `
  dl AS (
    SELECT e.id, e.time, e.principal, e.model FROM events e
     WHERE e.kind = 'registry' AND e.model IS NOT NULL AND json_extract_string(e.body, '$.action') IN ('download_artifact', 'get_download_uri')
    UNION ALL
    SELECT e.id, e.time, e.principal, inv.model FROM events e
      JOIN inv ON inv.loc IS NOT NULL AND starts_with('s3://' || json_extract_string(e.body, '$.bucket') || '/' || coalesce(json_extract_string(e.body, '$.key'), ''), inv.loc)
     WHERE e.kind = 'object' AND json_extract_string(e.body, '$.operation') = 'get')`;

const QUERIES: Query[] = [
  {
    id: 'ref-volume',
    severity: 'medium',
    phases: ['api_extraction'],
    techniques: ['AML.T0024.002', 'AML.T0040', 'T1119'],
    sql: `
      WITH daily AS (
        SELECT principal, date_trunc('day', time) AS day, sum(CAST(json_extract(body, '$.batchSize') AS BIGINT)) AS n, list(id ORDER BY time, id)[1:50] AS ev
          FROM events WHERE kind = 'inference' GROUP BY ALL),
      scored AS (
        SELECT *, avg(n) OVER (PARTITION BY principal ORDER BY day RANGE BETWEEN to_days(CAST(? AS INTEGER)) PRECEDING AND INTERVAL 1 DAY PRECEDING) AS base FROM daily)
      SELECT principal, epoch_ms(day), n, coalesce(base, 0), greatest(CAST(? AS DOUBLE), ? * coalesce(base, 0)), [], ev, ''
        FROM scored WHERE n > CAST(? AS DOUBLE) AND n > ? * coalesce(base, 0)`,
    params: (o) => [o.volumeLookbackDays, o.volumeMinInstances, o.volumeRatio, o.volumeMinInstances, o.volumeRatio],
    explain: (r) => `${r.principal} requested ${r.observed} inference instances in one day, more than ${r.threshold.toFixed(0)} (the reference volume query: above ${REFERENCE_DEFAULTS.volumeRatio}x their daily mean of ${r.baseline.toFixed(0)}).`,
  },
  {
    id: 'ref-diversity',
    severity: 'medium',
    phases: ['api_extraction'],
    techniques: ['AML.T0024.002', 'AML.T0005.001', 'T1119'],
    sql: `
      WITH daily AS (
        SELECT principal, date_trunc('day', time) AS day, count(*) AS n, count(DISTINCT input_hash) AS d, list(DISTINCT event_id)[1:50] AS ev
          FROM inference_instances GROUP BY ALL)
      SELECT principal, epoch_ms(day), d / n, 0, CAST(? AS DOUBLE), [], ev, ''
        FROM daily WHERE n >= CAST(? AS INTEGER) AND d / n >= ?`,
    params: (o) => [o.diversityRatio, o.diversityMinInstances, o.diversityRatio],
    explain: (r) => `${r.principal} sent inputs of which ${(r.observed * 100).toFixed(0)}% were distinct in one day (the reference diversity query: at least ${(r.threshold * 100).toFixed(0)}%).`,
  },
  {
    id: 'ref-cross-team-download',
    severity: 'high',
    phases: ['artifact_theft'],
    techniques: ['AML.T0048.004', 'AML.T0035', 'T1530', 'T1213'],
    sql: `
      WITH ${REFERENCE_CTES}, ${DOWNLOADS}
      SELECT dl.principal, epoch_ms(date_trunc('day', dl.time)), count(*), 0, 1, list(DISTINCT dl.model), list(dl.id ORDER BY dl.time, dl.id)[1:50], string_agg(DISTINCT dl.model, ',' ORDER BY dl.model)
        FROM dl JOIN inv USING (model) JOIN dir ON dir.principal = dl.principal
       WHERE inv.team IS NOT NULL AND dir.team IS NOT NULL AND inv.team <> dir.team
       GROUP BY dl.principal, date_trunc('day', dl.time)`,
    params: () => [],
    explain: (r) => `${r.principal} downloaded ${r.models.join(', ')}, owned by another team (the reference cross-team download query).`,
  },
  {
    id: 'ref-split-upload',
    severity: 'high',
    phases: ['exfiltration'],
    techniques: ['AML.T0025', 'T1567', 'T1048', 'T1036.005'],
    sql: `
      SELECT principal, epoch_ms(date_trunc('day', time)), count(*), 0, CAST(? AS INTEGER), [], list(id ORDER BY time, id)[1:50], json_extract_string(body, '$.destination')
        FROM events
       WHERE kind = 'upload' AND regexp_matches(json_extract_string(body, '$.fileName'), '(_[a-z]{2}|\\.[0-9]{3}|\\.part[0-9]+|\\.z[0-9]{2})$')
       GROUP BY principal, date_trunc('day', time), json_extract_string(body, '$.destination')
      HAVING count(*) >= CAST(? AS INTEGER)`,
    params: (o) => [o.splitMinFiles, o.splitMinFiles],
    explain: (r) => `${r.principal} uploaded ${r.observed} files named like split-archive parts to ${r.key} in one day (the reference split-upload query).`,
  },
  {
    id: 'ref-post-resignation',
    severity: 'critical',
    phases: ['artifact_theft', 'exfiltration'],
    techniques: ['AML.T0048.004', 'AML.T0025', 'T1078', 'T1567'],
    sql: `
      WITH ${REFERENCE_CTES}, ${DOWNLOADS},
      resigned AS (SELECT principal, min(time) AS r FROM events WHERE kind = 'hr' AND json_extract_string(body, '$.action') = 'resignation_submitted' GROUP BY principal),
      acts AS (
        SELECT id, time, principal, model, 'download' AS what FROM dl
        UNION ALL
        SELECT id, time, principal, NULL, 'upload' FROM events WHERE kind = 'upload')
      SELECT a.principal, epoch_ms(date_trunc('day', a.time)), count(*), 0, 1, list(DISTINCT a.model) FILTER (WHERE a.model IS NOT NULL), list(a.id ORDER BY a.time, a.id)[1:50], a.what
        FROM acts a JOIN resigned s ON s.principal = a.principal
       WHERE a.time > s.r AND a.time <= s.r + to_days(CAST(? AS INTEGER))
       GROUP BY a.principal, date_trunc('day', a.time), a.what`,
    params: (o) => [o.postResignationDays],
    explain: (r) => `${r.principal} made ${r.observed} model ${r.key}s on one day within ${REFERENCE_DEFAULTS.postResignationDays} days after resigning (the reference post-resignation query).`,
  },
];

const PHASES_OF: ReadonlyMap<string, readonly Phase[]> = new Map(
  QUERIES.flatMap((q) => (q.id === 'ref-post-resignation' ? [] : [[q.id, q.phases] as const])),
);

/** Phase attribution of reference alerts: a post-resignation download speaks for artifact theft, an upload for exfiltration. */
export const referencePhaseOf: PhaseOf = (a) => {
  if (a.detector === 'ref-post-resignation') return a.explanation.includes('model download') ? ['artifact_theft'] : ['exfiltration'];
  return PHASES_OF.get(a.detector) ?? [];
};

export interface ReferenceRun {
  alerts: Alert[];
  incidents: Incident[];
  phaseOf: PhaseOf;
}

/** Runs the five queries over a store file (opened read-only; close other handles first) and correlates their alerts. */
export async function runReferenceQueries(options: { dbPath: string; options?: Partial<ReferenceOptions> }): Promise<ReferenceRun> {
  const o = { ...REFERENCE_DEFAULTS, ...options.options };
  const store = await openStore({ path: options.dbPath, readOnly: true });
  const context = await contextFromStore(store).finally(() => store.close());
  const instance = await DuckDBInstance.create(options.dbPath, { access_mode: 'READ_ONLY' });
  const alerts: Alert[] = [];
  try {
    const conn = await instance.connect();
    for (const q of QUERIES) {
      const result = await conn.runAndReadAll(q.sql, q.params(o));
      for (const raw of result.getRows()) {
        const row: Row = {
          principal: String(raw[0]),
          day: Number(raw[1]),
          observed: Number(raw[2]),
          baseline: Number(raw[3]),
          threshold: Number(raw[4]),
          models: listOf(raw[5]),
          evidence: listOf(raw[6]),
          key: raw[7] == null ? '' : String(raw[7]),
        };
        const end = row.day + DAY_MS;
        alerts.push(
          makeAlert({
            detector: q.id,
            severity: q.severity,
            principal: row.principal,
            models: row.models,
            atMs: end,
            windowStartMs: row.day,
            windowEndMs: end,
            techniques: q.techniques,
            observed: row.observed,
            baseline: row.baseline,
            threshold: row.threshold,
            evidence: row.evidence,
            explanation: q.explain(row),
            key: row.key,
          }),
        );
      }
    }
    conn.closeSync();
  } finally {
    instance.closeSync();
  }
  alerts.sort(compareAlerts);
  const correlator = createCorrelator(context);
  correlator.add(alerts);
  return { alerts, incidents: correlator.incidents(), phaseOf: referencePhaseOf };
}

function listOf(v: unknown): string[] {
  if (v == null) return [];
  const items = (v as { items?: unknown[] }).items ?? (Array.isArray(v) ? v : []);
  return items.filter((x) => x != null).map(String);
}
