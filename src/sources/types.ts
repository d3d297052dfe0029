/**
 * The contract every source parser implements. A parser turns the raw records
 * of one file into outcomes; the ingest pipeline owns reading, framing,
 * hashing, batching and accounting, so parsers stay small and testable.
 *
 * Accounting rule (checked by the pipeline and by the shared conformance
 * test): every record a parser is given appears in exactly one outcome, as a
 * stored event, a reference entry, or a quarantine entry. A record a parser
 * forgets is quarantined by the pipeline with reason "parser produced no
 * outcome" rather than lost.
 */
import type { MwEvent, RecordRef, ReferenceRecord } from '../events/index.js';

/** One record as framed from the file (a line, a CSV row, or a whole JSON document). */
export interface RawRecord {
  text: string;
  /** 1-based line where the record starts. */
  line: number;
  /** Byte offset of the record's start in the decompressed file. */
  offset: number;
  /** sha256 hex of `text`. */
  hash: string;
  /** CSV framing only: the row as column → value. */
  fields?: Record<string, string>;
}

export type Outcome =
  /**
   * `raw`: the original text of this event's record when it is only part of
   * the framed record (one element of a CloudTrail `Records` array); default:
   * the text of the framed records the event lists.
   */
  | { type: 'event'; event: MwEvent; records: RecordRef[]; raw?: string }
  | { type: 'reference'; reference: ReferenceRecord; records: RecordRef[] }
  | { type: 'quarantine'; records: RecordRef[]; reason: string; raw: string };

export interface ParseContext {
  /** File path as the user gave it (for provenance and quarantine). */
  file: string;
  format: string;
  /** Canonical principal for a raw identity (directory aliases, email, IAM ARN). */
  resolvePrincipal(raw: string): string;
  /** RDKit canonical SMILES, cached; null when RDKit cannot parse it. */
  canonicalSmiles(smiles: string): string | null;
  /** Per-format options from the CLI (e.g. the identity attribute for CloudEvents). */
  options: Readonly<Record<string, string>>;
}

/** What format detection sees: the start of the decompressed file. */
export interface Sample {
  fileName: string;
  /** Up to 64 KiB of text from the start of the file. */
  head: string;
  /** The first non-empty lines of `head` (at most 20). */
  lines: string[];
}

export type Framing = 'lines' | 'csv' | 'document';

export interface SourceParser {
  /** Stable name used by `--format` and in provenance. */
  readonly format: string;
  readonly description: string;
  readonly framing: Framing;
  /** Confidence 0..1 that the sample is this format; the highest wins, ties by registry order. */
  detect(sample: Sample): number;
  /**
   * Turns records into outcomes. Stateless parsers map each record to one
   * outcome; joining parsers (CloudEvents request/response) may hold records
   * and emit them later, and must flush everything when the input ends.
   */
  parse(records: AsyncIterable<RawRecord>, ctx: ParseContext): AsyncIterable<Outcome>;
  /**
   * Stateless line parsers: the per-record function behind `parse`. Its
   * presence lets ingestion parse the file's records on worker threads, in
   * any order, and store the outcomes in file order (src/ingest/workers.ts).
   * Events and quarantine outcomes only (no reference data).
   */
  readonly parseRecord?: (record: RawRecord, ctx: ParseContext) => Outcome | Outcome[];
}

/** Helper for the common case of one record → one outcome. */
export function perRecord(
  fn: (record: RawRecord, ctx: ParseContext) => Outcome | Outcome[],
): SourceParser['parse'] {
  return async function* (records, ctx) {
    for await (const r of records) {
      const out = fn(r, ctx);
      if (Array.isArray(out)) yield* out;
      else yield out;
    }
  };
}

export function refOf(r: RawRecord): RecordRef {
  return { line: r.line, offset: r.offset, hash: r.hash };
}

/** A quarantine outcome for one record. */
export function quarantine(r: RawRecord, reason: string): Outcome {
  return { type: 'quarantine', records: [refOf(r)], reason, raw: r.text };
}
