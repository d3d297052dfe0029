/**
 * Lossless ingestion: files → framed records → parser outcomes → store.
 *
 * Accounting invariant, per run: read = stored + duplicates + quarantined,
 * counted in records. An event built from two records (a CloudEvents request
 * and its response) counts both. A record the parser never mentions is
 * quarantined here, so nothing is silently dropped.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { checkEvent } from '../events/validate.js';
import type { DirectoryEntry, ReferenceKind, ReferenceRecord } from '../events/index.js';
import { createPrincipalResolver } from '../events/principal.js';
import type { PrincipalResolver } from '../events/principal.js';
import { createChem } from '../chem/index.js';
import type { Chem } from '../chem/index.js';
import { MwError } from '../errors/index.js';
import { detectFormat, parserByFormat } from '../sources/index.js';
import type { Outcome, ParseContext, RawRecord, SourceParser } from '../sources/types.js';
import type { QuarantineEntry, Store } from '../store/types.js';
import { encodeEvent } from '../store/encode.js';
import type { EncodedEvent } from '../store/encode.js';
import { frameCsv, frameDocument, frameLines, openContent, readSample } from './read.js';
import type { FramedRecord } from './read.js';
import { sha256Hex } from '../util/hash.js';
import type { WorkItem } from './work.js';
import { createParsePool } from './workers.js';

export interface IngestCounts {
  read: number;
  stored: number;
  duplicates: number;
  quarantined: number;
}

export interface IngestSummary extends IngestCounts {
  events: number;
  /** Files recognised as not being logs (a scenario's truth file, a store file), with the reason; not errors. */
  skipped: Array<{ file: string; reason: string }>;
  by_format: Record<string, IngestCounts>;
  files: Array<{ file: string; format: string | null; error?: string } & IngestCounts>;
  errors: Array<{ file: string; code: string; message: string }>;
}

export interface IngestProgress {
  file: string;
  bytesRead: number;
  bytesTotal: number;
  records: number;
}

export interface IngestOptions {
  store: Store;
  /** Force a format instead of detecting it from content. */
  format?: string;
  /** Per-format parser options (e.g. CloudEvents identity attribute). */
  parserOptions?: Record<string, string>;
  /** Events per store transaction. */
  batchSize?: number;
  onProgress?: (p: IngestProgress) => void;
  /** Called after each store transaction commits, with the file's running counts. */
  onCommit?: (info: { file: string; format: string } & IngestCounts) => void;
  chem?: Chem;
  /**
   * Parse worker threads for line-framed files of stateless formats: a number,
   * or 'auto' (default): none for files under AUTO_WORKERS_MIN_BYTES or on
   * machines with 2 cores or fewer, else the cores less two (at most 4). 0
   * parses on the main thread.
   */
  workers?: number | 'auto';
}

/** Below this a file is parsed on the main thread: starting a worker (RDKit included) costs ~0.5 s. */
export const AUTO_WORKERS_MIN_BYTES = 16 * 1024 * 1024;

function workerCount(option: IngestOptions['workers'], size: number): number {
  if (typeof option === 'number') return Math.max(0, Math.floor(option));
  if (size < AUTO_WORKERS_MIN_BYTES) return 0;
  // DuckDB's commit, not parsing, bounds ingest: on 2 cores two workers gave
  // the same rate as none (200k lines: 2,968 vs 2,990 records/s) for +15% CPU
  // and +450 MB RSS (bench:ingest, docs/store.md). Leave two cores to the
  // main thread and DuckDB.
  const cores = availableParallelism();
  return cores > 2 ? Math.min(4, cores - 2) : 0;
}

const REFERENCE_FORMATS: ReadonlySet<string> = new Set(['directory-csv', 'mlflow-models', 'compounds-csv', 'compounds-list']);

/** Expands directories (recursively, sorted) into files; unreadable paths are reported, not thrown. */
export async function expandPaths(paths: readonly string[]): Promise<{ files: string[]; errors: IngestSummary['errors'] }> {
  const files: string[] = [];
  const errors: IngestSummary['errors'] = [];
  // Real paths already walked: a symlink to an ancestor must not loop, and a file reached twice is read once.
  const seen = new Set<string>();
  async function walk(p: string): Promise<void> {
    let s;
    let real: string;
    try {
      s = await stat(p);
      real = await realpath(p);
    } catch (e) {
      errors.push({ file: p, code: 'MW_ERR_INGEST_UNREADABLE', message: `${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    if (s.isDirectory()) {
      const names = (await readdir(p)).filter((n) => !n.startsWith('.')).sort();
      for (const n of names) await walk(join(p, n));
    } else if (s.isFile()) files.push(p);
    else errors.push({ file: p, code: 'MW_ERR_INGEST_UNREADABLE', message: `${p}: not a regular file` });
  }
  for (const p of paths) await walk(p);
  return { files, errors };
}

/**
 * Files MirrorWatch itself writes that are not logs: recognised so that a
 * folder from `mirrorwatch simulate` ingests cleanly, and reported as skipped.
 */
function notALog(head: string): string | null {
  if (head.length >= 12 && head.slice(8, 12) === 'DUCK') return 'a DuckDB database file (a store, not a log)';
  if (/^\s*\{\s*"seed"\s*:\s*\d+\s*,\s*"variant"\s*:/.test(head) && head.includes('"phases"') && head.includes('"attacker"')) {
    return 'scenario ground truth from `mirrorwatch simulate` (score against it with `mirrorwatch evaluate --truth FILE`)';
  }
  return null;
}

function zero(): IngestCounts {
  return { read: 0, stored: 0, duplicates: 0, quarantined: 0 };
}
function add(a: IngestCounts, b: IngestCounts): void {
  a.read += b.read;
  a.stored += b.stored;
  a.duplicates += b.duplicates;
  a.quarantined += b.quarantined;
}

export async function ingestPaths(paths: readonly string[], options: IngestOptions): Promise<IngestSummary> {
  const { store } = options;
  const chem = options.chem ?? (await createChem());
  const summary: IngestSummary = { ...zero(), events: 0, by_format: {}, files: [], errors: [], skipped: [] };
  const { files, errors } = await expandPaths(paths);
  summary.errors.push(...errors);

  // Detect every file first so that reference data (the directory above all)
  // is loaded before the logs whose principals it resolves.
  const planned: Array<{ file: string; parser: SourceParser; size: number }> = [];
  for (const file of files) {
    try {
      const sample = options.format ? null : await readSample(file, basename(file));
      const skip = sample ? notALog(sample.head) : null;
      if (skip) {
        summary.skipped.push({ file, reason: skip });
        continue;
      }
      const parser = options.format ? parserByFormat(options.format) : detectFormat(sample!)?.parser;
      if (!parser) {
        throw new MwError(
          'MW_ERR_INGEST_UNKNOWN_FORMAT',
          `${file}: format not recognised from content; pass --format (see \`mirrorwatch ingest --help\`)`,
        );
      }
      planned.push({ file, parser, size: (await stat(file)).size });
    } catch (e) {
      if (e instanceof MwError && e.code === 'MW_ERR_INGEST_BAD_FORMAT_NAME') throw e;
      const code = e instanceof MwError ? e.code : 'MW_ERR_INGEST_UNREADABLE';
      summary.errors.push({ file, code, message: e instanceof MwError ? e.message : `${file}: ${(e as Error).message}` });
      summary.files.push({ file, format: null, error: code, ...zero() });
    }
  }
  planned.sort((a, b) => Number(!REFERENCE_FORMATS.has(a.parser.format)) - Number(!REFERENCE_FORMATS.has(b.parser.format)));

  let directory = await store.directory();
  let resolver = createPrincipalResolver(directory);
  for (const item of planned) {
    const counts = zero();
    let events: number;
    try {
      const workers = item.parser.parseRecord && item.parser.framing === 'lines' ? workerCount(options.workers, item.size) : 0;
      events =
        workers > 0
          ? await ingestFileParallel(item.file, item.parser, item.size, options, directory, workers, counts)
          : await ingestFile(item.file, item.parser, item.size, { ...options, chem }, resolver, counts);
      if (item.parser.format === 'directory-csv') {
        directory = await store.directory();
        resolver = createPrincipalResolver(directory);
      }
    } catch (e) {
      const code = e instanceof MwError ? e.code : 'MW_ERR_INGEST_UNREADABLE';
      summary.errors.push({ file: item.file, code, message: `${item.file}: ${(e as Error).message}` });
      summary.files.push({ file: item.file, format: item.parser.format, error: code, ...counts });
      add(summary, counts);
      addFormat(summary, item.parser.format, counts);
      continue;
    }
    summary.events += events;
    summary.files.push({ file: item.file, format: item.parser.format, ...counts });
    add(summary, counts);
    addFormat(summary, item.parser.format, counts);
  }
  return summary;
}

function addFormat(summary: IngestSummary, format: string, counts: IngestCounts): void {
  summary.by_format[format] ??= zero();
  add(summary.by_format[format], counts);
}

async function ingestFile(
  file: string,
  parser: SourceParser,
  size: number,
  options: IngestOptions & { chem: Chem },
  resolver: PrincipalResolver,
  counts: IngestCounts,
): Promise<number> {
  const { store } = options;
  const batchSize = options.batchSize ?? 5000;
  let bytesRead = 0;
  const stream = await openContent(file, (n) => (bytesRead += n));
  const framed: AsyncIterable<FramedRecord> =
    parser.framing === 'csv' ? frameCsv(stream) : parser.framing === 'document' ? frameDocument(stream, file) : frameLines(stream);

  // Records handed to the parser and not yet mentioned by an outcome.
  const pending = new Map<string, RawRecord>();
  const quarantineNow: QuarantineEntry[] = [];
  const keyOf = (r: { line: number; offset: number; hash: string }): string => `${r.line}:${r.offset}:${r.hash}`;

  async function* toParser(): AsyncGenerator<RawRecord> {
    for await (const r of framed) {
      counts.read++;
      if (r.frameError) {
        quarantineNow.push(q(parser.format, file, r, r.frameError, r.text));
        continue;
      }
      pending.set(keyOf(r), r);
      yield r;
    }
  }

  const ctx: ParseContext = {
    file,
    format: parser.format,
    resolvePrincipal: (raw) => resolver.resolve(raw),
    canonicalSmiles: (s) => options.chem.canonical(s),
    options: options.parserOptions ?? {},
  };

  const w = batchWriter(options, { file, format: parser.format, size }, () => bytesRead, counts);
  const references = new Map<ReferenceKind, Array<{ reference: ReferenceRecord; records: number }>>();
  const flush = (): Promise<void> => {
    w.quarantine.push(...quarantineNow.splice(0));
    return w.flush();
  };
  const drain = (): Promise<void> => {
    w.quarantine.push(...quarantineNow.splice(0));
    return w.drain();
  };

  // A parser may expand one framed record into several logical records (a
  // CloudTrail `{"Records":[...]}` line): the first outcome carries the framed
  // record's ref, the others refs of their own, and each of those counts as
  // one more record read so that read = stored + duplicates + quarantined.
  function takeRaw(outcome: Outcome): string {
    const texts: string[] = [];
    for (const r of outcome.records) {
      const k = keyOf(r);
      const rec = pending.get(k);
      if (rec) {
        texts.push(rec.text);
        pending.delete(k);
      } else counts.read++;
    }
    return texts.join('\n');
  }

  try {
    for await (const outcome of parser.parse(toParser(), ctx)) {
      const raw = takeRaw(outcome);
      if (outcome.type === 'quarantine') {
        for (const r of outcome.records) w.quarantine.push(q(parser.format, file, r, outcome.reason, outcome.raw));
      } else if (outcome.type === 'reference') {
        const list = references.get(outcome.reference.kind) ?? [];
        list.push({ reference: outcome.reference, records: outcome.records.length });
        references.set(outcome.reference.kind, list);
      } else {
        const checked = checkEvent(outcome.event);
        if (!checked.ok) {
          for (const r of outcome.records) w.quarantine.push(q(parser.format, file, r, checked.reason, raw));
          continue;
        }
        const id = checked.event.id;
        if (w.records.has(id)) {
          counts.duplicates += outcome.records.length;
          continue;
        }
        w.batch.push(encodeEvent(checked.event, outcome.raw ?? raw));
        w.records.set(id, outcome.records.length);
        if (w.batch.length >= batchSize) await flush();
      }
      if (w.quarantine.length >= batchSize) await flush();
    }
  } catch (e) {
    // The file failed part way (corrupt gzip, read error): keep the accounting
    // whole by storing what was parsed and quarantining what the parser held.
    const reason = `file could not be read to the end: ${(e as Error).message}`;
    for (const r of pending.values()) w.quarantine.push(q(parser.format, file, r, reason, r.text));
    pending.clear();
    await drain();
    throw e;
  }
  // Anything the parser never mentioned is quarantined, not lost.
  for (const r of pending.values()) w.quarantine.push(q(parser.format, file, r, 'parser produced no outcome for this record', r.text));
  pending.clear();
  await drain();

  for (const [kind, list] of references) {
    const name =
      kind === 'compounds'
        ? (options.parserOptions?.['compounds.name'] ?? basename(file).replace(/(\.gz)?$/, '').replace(/\.[^.]+$/, ''))
        : 'default';
    const res = await store.putReference(
      kind,
      name,
      list.map((x) => x.reference),
      file,
    );
    const n = list.reduce((s, x) => s + x.records, 0);
    if (res.isNew) counts.stored += n;
    else counts.duplicates += n;
  }
  return w.events;
}

/**
 * ingestFile for stateless line formats, parsed on worker threads: the main
 * thread frames, hands out chunks, and stores the encoded events in file
 * order. Chunks in flight are bounded, so memory is too.
 */
async function ingestFileParallel(
  file: string,
  parser: SourceParser,
  size: number,
  options: IngestOptions,
  directory: DirectoryEntry[],
  workers: number,
  counts: IngestCounts,
): Promise<number> {
  const batchSize = options.batchSize ?? 5000;
  const pool = await createParsePool(workers, { format: parser.format, file, parserOptions: options.parserOptions ?? {}, directory });
  let bytesRead = 0;
  // Opened once the workers are up: the progress listener sets the stream flowing.
  let stream;
  try {
    stream = await openContent(file, (n) => (bytesRead += n));
  } catch (e) {
    await pool.close();
    throw e;
  }
  const w = batchWriter(options, { file, format: parser.format, size }, () => bytesRead, counts);
  // Chunks submitted and not yet stored, oldest first; their records are quarantined if the file fails.
  const inFlight: Array<{ records: FramedRecord[]; reply: Promise<WorkItem[][]> }> = [];

  const { flush, drain } = w;

  async function take(): Promise<void> {
    const { records, reply } = inFlight[0]!;
    const items = await reply;
    inFlight.shift();
    items.forEach((list, i) => {
      const r = records[i]!;
      for (const it of list) {
        counts.read += it.extra;
        if (it.t === 'q') {
          for (const ref of it.refs) w.quarantine.push(q(parser.format, file, ref, it.reason, it.raw ?? r.text));
          continue;
        }
        const row = it.row as EncodedEvent;
        row.raw ??= r.text;
        if (w.records.has(row.id)) {
          counts.duplicates += it.records;
          continue;
        }
        w.batch.push(row);
        w.records.set(row.id, it.records);
      }
    });
    if (w.batch.length >= batchSize || w.quarantine.length >= batchSize) await flush();
  }

  // Enough chunks queued per worker to keep it busy while the main thread writes a batch.
  const CHUNK = 256;
  const depth = workers * Math.max(4, Math.ceil((2 * batchSize) / CHUNK / workers));
  let chunk: FramedRecord[] = [];
  const submit = (): void => {
    const records = chunk;
    chunk = [];
    inFlight.push({
      records,
      reply: pool.submit({ texts: records.map((r) => r.text), lines: records.map((r) => r.line), offsets: records.map((r) => r.offset) }),
    });
    // Rejections are handled when the chunk is taken, in order.
    inFlight[inFlight.length - 1]!.reply.catch(() => undefined);
  };
  try {
    for await (const r of frameLines(stream, { hash: false })) {
      counts.read++;
      if (r.frameError) {
        w.quarantine.push(q(parser.format, file, r, r.frameError, r.text));
        continue;
      }
      chunk.push(r);
      if (chunk.length >= CHUNK) {
        submit();
        while (inFlight.length >= depth) await take();
      }
    }
    if (chunk.length) submit();
    while (inFlight.length) await take();
    await drain();
  } catch (e) {
    const reason = `file could not be read to the end: ${(e as Error).message}`;
    for (const c of [...inFlight.map((x) => x.records), chunk])
      for (const r of c) w.quarantine.push(q(parser.format, file, { ...r, hash: sha256Hex(r.text) }, reason, r.text));
    inFlight.length = 0;
    await drain();
    throw e;
  } finally {
    await pool.close();
  }
  return w.events;
}

/**
 * The batch being filled and the one committing. DuckDB commits off the main
 * thread: the next batch is parsed while the previous one commits, and a
 * batch is written only once the one before it has committed (so the store
 * sees every earlier id).
 */
function batchWriter(
  options: IngestOptions,
  at: { file: string; format: string; size: number },
  bytesRead: () => number,
  counts: IngestCounts,
): {
  batch: EncodedEvent[];
  /** Records behind each event of the batch; an id repeated within the batch is a duplicate at once. */
  records: Map<string, number>;
  quarantine: QuarantineEntry[];
  /** Events stored so far. */
  events: number;
  flush(): Promise<void>;
  drain(): Promise<void>;
} {
  let committing: Promise<void> = Promise.resolve();
  const w = {
    batch: [] as EncodedEvent[],
    records: new Map<string, number>(),
    quarantine: [] as QuarantineEntry[],
    events: 0,
    async flush(): Promise<void> {
      if (w.batch.length === 0 && w.quarantine.length === 0) return;
      const [b, r, qs] = [w.batch, w.records, w.quarantine];
      w.batch = [];
      w.records = new Map();
      w.quarantine = [];
      const previous = committing;
      const progress = { ...at, bytesRead: bytesRead() };
      committing = previous.then(async () => {
        w.events += await commit(options, progress, b, r, qs, counts);
      });
      // Awaited by the next flush or by drain(); a failure surfaces there.
      committing.catch(() => undefined);
      await previous;
    },
    async drain(): Promise<void> {
      await w.flush();
      await committing;
    },
  };
  return w;
}

/**
 * Stores one batch and its quarantine entries and counts them: each event
 * counts the records behind it as stored or duplicates. Returns the events stored.
 */
async function commit(
  options: IngestOptions,
  at: { file: string; format: string; size: number; bytesRead: number },
  batch: readonly EncodedEvent[],
  batchRecords: ReadonlyMap<string, number>,
  quarantine: readonly QuarantineEntry[],
  counts: IngestCounts,
): Promise<number> {
  const res = await options.store.appendEncoded(batch, quarantine);
  let events = 0;
  for (const e of batch) {
    const n = batchRecords.get(e.id) ?? 1;
    if (res.duplicateIds.has(e.id)) counts.duplicates += n;
    else {
      counts.stored += n;
      events++;
    }
  }
  counts.quarantined += quarantine.length;
  options.onCommit?.({ file: at.file, format: at.format, ...counts });
  options.onProgress?.({ file: at.file, bytesRead: at.bytesRead, bytesTotal: at.size, records: counts.read });
  return events;
}

function q(format: string, file: string, r: { line: number; offset: number; hash: string }, reason: string, raw: string): QuarantineEntry {
  return { format, file, line: r.line, offset: r.offset, recordHash: r.hash, reason, raw };
}
