/**
 * What detection and response write back: alerts, incidents, and small JSON
 * documents (detector state snapshots, playbook runs, actions, notes). Kept
 * apart from the event tables so the event layout can change without
 * touching these, and so a PostgreSQL store can implement the same face.
 *
 * Alerts and incidents are upserted by id: their ids derive from their
 * content (detector, principal, window), so a replay that finds the same alert
 * again replaces it instead of adding a second row.
 */
import type { Alert, Severity } from '../detect/alert.js';
import type { Incident } from '../correlate/index.js';

export interface AlertQuery {
  principal?: string;
  detector?: string;
  /** Severities to include (any when absent). */
  severities?: readonly Severity[];
  /** Event-time bounds on `at`: since inclusive, until exclusive (ISO 8601 UTC). */
  since?: string;
  until?: string;
  /** Only alerts whose id is in this list. */
  ids?: readonly string[];
  limit?: number;
  offset?: number;
}

export interface IncidentQuery {
  principal?: string;
  severities?: readonly Severity[];
  limit?: number;
  offset?: number;
}

export interface StoredDocument<T = unknown> {
  id: string;
  body: T;
  /** Wall-clock time of the last write (bookkeeping, not event time). */
  updatedAt: string;
}

export interface IngestHealth {
  /** Events per source format and event-time hour over the last `hours` of event time in the store. */
  perHour: Array<{ hour: string; format: string; events: number }>;
  /** Quarantined records per format. */
  quarantined: Array<{ format: string; records: number }>;
  /** Latest event time in the store, or null when empty. */
  latest: string | null;
}

export interface RecordStore {
  /** Ingestion health for the dashboard: events per source per hour of event time, and quarantine by format. */
  ingestHealth(hours?: number): Promise<IngestHealth>;
  /** Inserts or replaces alerts by id. */
  putAlerts(alerts: readonly Alert[]): Promise<void>;
  /** Alerts ordered by event time (`at`), then id; `total` counts all matches ignoring limit and offset. */
  listAlerts(query?: AlertQuery): Promise<{ total: number; rows: Alert[] }>;
  /** Inserts or replaces incidents by id. */
  putIncidents(incidents: readonly Incident[]): Promise<void>;
  /** Incidents ordered by open time, then id. */
  listIncidents(query?: IncidentQuery): Promise<{ total: number; rows: Incident[] }>;
  getIncident(id: string): Promise<Incident | null>;
  /** Inserts or replaces one JSON document in a collection. */
  putDocument(collection: string, id: string, body: unknown): Promise<void>;
  getDocument<T = unknown>(collection: string, id: string): Promise<StoredDocument<T> | null>;
  /** Documents of a collection ordered by id; `prefix` restricts ids. */
  listDocuments<T = unknown>(collection: string, options?: { prefix?: string; limit?: number; offset?: number }): Promise<StoredDocument<T>[]>;
  deleteDocument(collection: string, id: string): Promise<boolean>;
  /**
   * Distinct canonical SMILES queried (inference instances) or given in
   * `extra` that have no cached fingerprint of this kind yet, sorted.
   */
  missingFingerprints(kind: string, extra?: readonly string[]): Promise<string[]>;
  /** Caches fingerprints by canonical SMILES; null records that RDKit cannot parse the molecule (so it is not retried). */
  putFingerprints(kind: string, entries: ReadonlyArray<readonly [string, Uint8Array | null]>): Promise<void>;
  /** Every cached fingerprint of this kind, by canonical SMILES. */
  getFingerprints(kind: string): Promise<Map<string, Uint8Array | null>>;
}
