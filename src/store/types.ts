/**
 * The store contract. Detectors, the CLI and the dashboard see only this
 * interface; DuckDB is the embedded default and PostgreSQL can implement the
 * same face later. Keep it small.
 */
import type {
  CompoundEntry,
  DirectoryEntry,
  EventKind,
  ModelEntry,
  MwEvent,
  RecordRef,
  ReferenceKind,
  ReferenceRecord,
} from '../events/index.js';
import type { RecordStore } from './records.js';
import type { EncodedEvent } from './encode.js';

export interface StoredEventInput {
  event: MwEvent;
  /** Original record text(s), kept for evidence and for fields the model does not map. */
  raw: string;
}

export interface QuarantineEntry {
  format: string;
  file: string;
  line: number;
  offset: number;
  recordHash: string;
  reason: string;
  raw: string;
}

export interface QuarantineRow extends QuarantineEntry {
  id: string;
  /** Wall-clock time the record was quarantined (ingest metadata, not event time). */
  quarantinedAt: string;
}

export interface AppendResult {
  /** Ids of events already in the store, or repeated earlier in the same batch. */
  duplicateIds: Set<string>;
  storedCount: number;
}

export interface ReplayOptions {
  kinds?: readonly EventKind[];
  principal?: string;
  /** Only events ingested after this store sequence number (incremental detection). */
  afterSeq?: number;
  /** Event-time lower bound (inclusive), ISO 8601. */
  since?: string;
  until?: string;
  /** 'time': global event-time order; 'principal': by principal then time. */
  order?: 'time' | 'principal';
}

export interface ReferenceLoad {
  kind: ReferenceKind;
  /** Set name: 'default' for directory and models, the --name for compound sets. */
  name: string;
  version: string;
  file: string;
  records: number;
  loadedAt: string;
}

export interface Store extends RecordStore {
  /** Adds events and quarantine entries atomically; events already present are reported, not re-added. */
  append(events: readonly StoredEventInput[], quarantine: readonly QuarantineEntry[]): Promise<AppendResult>;
  /** `append` for events already encoded (src/store/encode.ts), as ingestion's parse workers deliver them. */
  appendEncoded(events: readonly EncodedEvent[], quarantine: readonly QuarantineEntry[]): Promise<AppendResult>;
  /**
   * Loads a reference set as a new version. The version is the content hash, so
   * loading identical content again is a no-op (`isNew: false`).
   */
  putReference(
    kind: ReferenceKind,
    name: string,
    entries: readonly ReferenceRecord[],
    file: string,
  ): Promise<{ version: string; isNew: boolean }>;
  directory(): Promise<DirectoryEntry[]>;
  models(): Promise<ModelEntry[]>;
  compounds(name?: string): Promise<Array<CompoundEntry & { set: string }>>;
  referenceLoads(): Promise<ReferenceLoad[]>;
  quarantine(options?: { limit?: number; offset?: number; file?: string }): Promise<{ total: number; rows: QuarantineRow[] }>;
  replay(options?: ReplayOptions): AsyncIterable<MwEvent & { seq: number }>;
  getEvents(ids: readonly string[]): Promise<Array<MwEvent & { raw: string }>>;
  counts(): Promise<{ events: number; byKind: Record<string, number>; quarantined: number; maxSeq: number }>;
  close(): Promise<void>;
}

export type { RecordRef };

export type * from './records.js';
