/**
 * Lossless ingestion: files → framed records → parser outcomes → store.
 *
 * Accounting invariant, per run: read = stored + duplicates + quarantined,
 * counted in records. An event built from two records (a CloudEvents request
 * and its response) counts both. A record the parser never mentions is
 * quarantined here, so nothing is silently dropped.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ingestEventSchema } from '../events/index.js';
import type { ReferenceKind, ReferenceRecord } from '../events/index.js';
import { createPrincipalResolver } from '../events/principal.js';
import type { PrincipalResolver } from '../events/principal.js';
import { createChem } from '../chem/index.js';
import type { Chem } from '../chem/index.js';
import { MwError } from '../errors/index.js';
import { detectFormat, parserByFormat } from '../sources/index.js';
import type { Outcome, ParseContext, RawRecord, SourceParser } from '../sources/types.js';
import type { QuarantineEntry, Store, StoredEventInput } from '../store/types.js';
import { frameCsv, frameDocument, frameLines, openContent, readSample } from './read.js';
import type { FramedRecord } from './read.js';

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

  let resolver = createPrincipalResolver(await store.directory());
  for (const item of planned) {
    const counts = zero();
    let events: number;
    try {
      events = await ingestFile(item.file, item.parser, item.size, { ...options, chem }, resolver, counts);
      if (item.parser.format === 'directory-csv') resolver = createPrincipalResolver(await store.directory());
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

  let batch: StoredEventInput[] = [];
  // Records behind each event of the batch; an id repeated within the batch is a duplicate at once.
  let batchRecords = new Map<string, number>();
  let quarantine: QuarantineEntry[] = [];
  const references = new Map<ReferenceKind, Array<{ reference: ReferenceRecord; records: number }>>();
  let events = 0;

  async function flush(): Promise<void> {
    quarantine.push(...quarantineNow.splice(0));
    if (batch.length === 0 && quarantine.length === 0) return;
    const res = await store.append(batch, quarantine);
    for (const e of batch) {
      const n = batchRecords.get(e.event.id) ?? 1;
      if (res.duplicateIds.has(e.event.id)) counts.duplicates += n;
      else {
        counts.stored += n;
        events++;
      }
    }
    counts.quarantined += quarantine.length;
    batch = [];
    batchRecords = new Map();
    quarantine = [];
    options.onCommit?.({ file, format: parser.format, ...counts });
    options.onProgress?.({ file, bytesRead, bytesTotal: size, records: counts.read });
  }

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
        for (const r of outcome.records) quarantine.push(q(parser.format, file, r, outcome.reason, outcome.raw));
      } else if (outcome.type === 'reference') {
        const list = references.get(outcome.reference.kind) ?? [];
        list.push({ reference: outcome.reference, records: outcome.records.length });
        references.set(outcome.reference.kind, list);
      } else {
        const checked = ingestEventSchema.safeParse(outcome.event);
        if (!checked.success) {
          const reason = `invalid event: ${checked.error.issues
            .slice(0, 5)
            .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
            .join('; ')}`;
          for (const r of outcome.records) quarantine.push(q(parser.format, file, r, reason, raw));
          continue;
        }
        const id = checked.data.id;
        if (batchRecords.has(id)) {
          counts.duplicates += outcome.records.length;
          continue;
        }
        batch.push({ event: checked.data, raw: outcome.raw ?? raw });
        batchRecords.set(id, outcome.records.length);
        if (batch.length >= batchSize) await flush();
      }
      if (quarantine.length >= batchSize) await flush();
    }
  } catch (e) {
    // The file failed part way (corrupt gzip, read error): keep the accounting
    // whole by storing what was parsed and quarantining what the parser held.
    const reason = `file could not be read to the end: ${(e as Error).message}`;
    for (const r of pending.values()) quarantine.push(q(parser.format, file, r, reason, r.text));
    pending.clear();
    await flush();
    throw e;
  }
  // Anything the parser never mentioned is quarantined, not lost.
  for (const r of pending.values()) quarantine.push(q(parser.format, file, r, 'parser produced no outcome for this record', r.text));
  pending.clear();
  await flush();

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
  return events;
}

function q(format: string, file: string, r: { line: number; offset: number; hash: string }, reason: string, raw: string): QuarantineEntry {
  return { format, file, line: r.line, offset: r.offset, recordHash: r.hash, reason, raw };
}
