/**
 * Reading files for ingestion: transparent gzip, a detection sample, and the
 * three framings (lines, CSV rows, whole documents) in constant memory except
 * for documents, which are capped.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse';
import { MwError } from '../errors/index.js';
import type { RawRecord, Sample } from '../sources/types.js';
import { sha256Hex } from '../util/hash.js';

/** A line longer than this is not a log record; it is quarantined, truncated, instead of exhausting memory. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** Whole-document formats (CloudTrail `{"Records":[...]}`, MLflow JSON) are parsed in memory up to this size. */
export const MAX_DOCUMENT_BYTES = 512 * 1024 * 1024;
const SAMPLE_BYTES = 64 * 1024;

export async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** A byte stream of the decompressed content; `onRawBytes` reports bytes read from disk (for progress). */
export async function openContent(path: string, onRawBytes?: (n: number) => void): Promise<Readable> {
  const gz = await isGzip(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (onRawBytes) raw.on('data', (c: Buffer | string) => onRawBytes(c.length));
  if (!gz) return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

export async function readSample(path: string, fileName: string): Promise<Sample> {
  const stream = await openContent(path);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= SAMPLE_BYTES) break;
    }
  } catch (e) {
    // A truncated gzip still yields a usable sample of what decompressed.
    if (chunks.length === 0) throw e;
  } finally {
    stream.destroy();
  }
  let head = Buffer.concat(chunks).subarray(0, SAMPLE_BYTES).toString('utf8');
  if (head.charCodeAt(0) === 0xfeff) head = head.slice(1);
  const lines: string[] = [];
  for (const l of head.split('\n')) {
    const t = l.trim();
    if (t) lines.push(t);
    if (lines.length >= 20) break;
  }
  return { fileName, head, lines };
}

export interface FramedRecord extends RawRecord {
  /** Set when the record could not be framed (overlong line, CSV syntax error): quarantine it with this reason. */
  frameError?: string;
}

function record(text: string, line: number, offset: number, fields?: Record<string, string>, hash = true): FramedRecord {
  const r: FramedRecord = { text, line, offset, hash: hash ? sha256Hex(text) : '' };
  if (fields) r.fields = fields;
  return r;
}

/**
 * Newline-delimited records; blank lines are not records. CRLF tolerated.
 * `hash: false` leaves `hash` empty for whoever parses the records to fill in
 * (parse workers hash in parallel); framing errors are always hashed.
 */
export async function* frameLines(stream: Readable, opts: { hash?: boolean } = {}): AsyncGenerator<FramedRecord> {
  const hash = opts.hash ?? true;
  stream.setEncoding('utf8');
  let buf = '';
  let line = 0;
  let offset = 0;
  let overlong: { line: number; offset: number; head: string; bytes: number } | null = null;
  for await (const chunk of stream as AsyncIterable<string>) {
    let start = 0;
    let text = chunk;
    if (overlong) {
      const nl = text.indexOf('\n');
      if (nl === -1) {
        overlong.bytes += Buffer.byteLength(text);
        continue;
      }
      overlong.bytes += Buffer.byteLength(text.slice(0, nl)) + 1;
      line++;
      const r = record(overlong.head, overlong.line, overlong.offset);
      r.frameError = `record exceeds ${MAX_RECORD_BYTES} bytes (${overlong.bytes} bytes); first 4 KiB kept`;
      offset += overlong.bytes;
      overlong = null;
      yield r;
      text = text.slice(nl + 1);
    }
    buf = buf.length ? buf + text : text;
    let idx: number;
    while ((idx = buf.indexOf('\n', start)) !== -1) {
      let t = buf.slice(start, idx);
      line++;
      const len = Buffer.byteLength(t) + 1;
      if (t.endsWith('\r')) t = t.slice(0, -1);
      if (line === 1 && t.charCodeAt(0) === 0xfeff) t = t.slice(1);
      if (t.trim().length > 0) yield record(t, line, offset, undefined, hash);
      offset += len;
      start = idx + 1;
    }
    buf = start === 0 ? buf : buf.slice(start);
    if (buf.length > MAX_RECORD_BYTES) {
      overlong = { line: line + 1, offset, head: buf.slice(0, 4096), bytes: Buffer.byteLength(buf) };
      buf = '';
    }
  }
  if (overlong) {
    const r = record(overlong.head, overlong.line, overlong.offset);
    r.frameError = `record exceeds ${MAX_RECORD_BYTES} bytes (${overlong.bytes} bytes); first 4 KiB kept`;
    yield r;
  } else if (buf.length > 0) {
    line++;
    let t = buf.endsWith('\r') ? buf.slice(0, -1) : buf;
    if (line === 1 && t.charCodeAt(0) === 0xfeff) t = t.slice(1);
    if (t.trim().length > 0) yield record(t, line, offset, undefined, hash);
  }
}

/**
 * CSV rows with a header; each row's raw text is its record. A row that the
 * CSV parser rejects (wrong quoting) becomes a framing error, not a lost row.
 */
export async function* frameCsv(stream: Readable): AsyncGenerator<FramedRecord> {
  const skipped: FramedRecord[] = [];
  const parser = parseCsv({
    columns: (header: string[]) => header.map((h) => h.trim()),
    raw: true,
    info: true,
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    trim: true,
    skip_records_with_error: true,
    on_skip: (err: { message?: string; lines?: number } | undefined, raw?: string) => {
      const text = raw ?? '';
      const r = record(text, err?.lines ?? 0, 0);
      r.frameError = `CSV syntax: ${err?.message ?? 'unparseable row'}`;
      skipped.push(r);
      return undefined;
    },
  });
  stream.pipe(parser);
  stream.on('error', (e) => parser.destroy(e));
  for await (const item of parser as AsyncIterable<{
    record: Record<string, string>;
    raw: string;
    info: { lines: number; bytes: number };
  }>) {
    while (skipped.length) yield skipped.shift()!;
    const raw = item.raw.replace(/\r?\n$/, '');
    // info.lines is the line the record ends on; a record may span quoted newlines.
    const startLine = item.info.lines - (raw.match(/\n/g)?.length ?? 0);
    yield record(raw, startLine, Math.max(0, item.info.bytes - Buffer.byteLength(item.raw)), item.record);
  }
  while (skipped.length) yield skipped.shift()!;
}

/** The whole file as one record (JSON documents). */
export async function* frameDocument(stream: Readable, file: string): AsyncGenerator<FramedRecord> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DOCUMENT_BYTES) {
      stream.destroy();
      throw new MwError(
        'MW_ERR_INGEST_DOCUMENT_TOO_LARGE',
        `${file}: a JSON document larger than ${MAX_DOCUMENT_BYTES} bytes; split it or convert it to one record per line`,
      );
    }
    chunks.push(chunk);
  }
  let text = Buffer.concat(chunks).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim().length > 0) yield record(text, 1, 0);
}
