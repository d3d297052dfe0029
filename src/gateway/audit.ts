/**
 * Audit: one JSON line per request, in rotating files that ingestion reads
 * with the `gateway-audit` source parser (src/sources/gateway-audit). The
 * gateway never opens the DuckDB store: DuckDB allows one writer process, and
 * the store belongs to `serve`/`ingest`.
 *
 * A line is a canonical MirrorWatch inference event without `id` and
 * `provenance` (the parser adds both from the line, so re-ingest is
 * idempotent), plus a `gateway` object: request id, applied policy, risk
 * action and reasons. Containment actions (risk hook and admin API) are
 * alerts, not inference events: they go to a separate folder of
 * `gateway-actions-*.jsonl` files, so the inference audit folder holds only
 * what the `gateway-audit` parser ingests.
 */
import { closeSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writev } from 'node:fs';
import { join } from 'node:path';
import type { InferenceEvent } from '../events/index.js';
import type { RiskAction } from './risk.js';

export const AUDIT_SCHEMA = 'mirrorwatch.gateway.audit/1';

export interface GatewayAuditFields {
  requestId: string;
  policy: string;
  action: RiskAction;
  reasons: string[];
  /** MW_ERR_GW_* code when the gateway refused the request itself. */
  errorCode: string | null;
  role: string | null;
}

export type AuditInference = Omit<InferenceEvent, 'id' | 'provenance'>;

export interface AuditLine {
  schema: typeof AUDIT_SCHEMA;
  event: AuditInference;
  gateway: GatewayAuditFields;
}

export interface ActionLine {
  schema: typeof AUDIT_SCHEMA;
  kind: 'gateway_action';
  time: string;
  principal: string;
  action: string;
  source: 'risk' | 'admin';
  reasons: string[];
  details: Record<string, unknown>;
}

export interface AuditSink {
  write(line: AuditLine | ActionLine): void;
  close(): Promise<void>;
}

/**
 * Lines wait at most this long, or until this many bytes are buffered, before they are written.
 * Each write is a round trip through the libuv thread pool; writing per event-loop turn cost the
 * gateway about a sixth of its CPU at a few thousand requests/s (profiled, docs/gateway.md), and a
 * crash loses the unwritten buffer either way.
 */
const FLUSH_MS = 10;
const FLUSH_BYTES = 64 * 1024;
/** Chunk size: a flush's worth plus room for the line that crosses the threshold. */
const CHUNK_BYTES = 2 * FLUSH_BYTES;

/**
 * Size-rotated JSON-lines writer; writes are batched (10 ms or 64 KiB) and never block a request.
 * Each line is encoded into a reusable byte chunk as it is written, so the line's string dies young:
 * held as strings until the flush, a few hundred lines at a time outlived a scavenge and went to
 * the old generation, which cost the gateway's GC threads about 10 µs per request (measured).
 */
export class RotatingAuditWriter implements AuditSink {
  private fd = -1;
  private size = 0;
  /** Filled chunks and their lengths, oldest first, waiting to be written. */
  private full: Array<{ buf: Buffer; len: number; lines: number }> = [];
  private cur: Buffer | null = null;
  private curLen = 0;
  private curLines = 0;
  /** Chunks whose write finished, for reuse. */
  private spare: Buffer[] = [];
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private writing = false;
  private seq = 0;
  private closed = false;
  /** Lines dropped because the disk refused them; counted in metrics. */
  dropped = 0;

  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly maxFiles: number,
    private readonly prefix = 'gateway-audit',
  ) {
    mkdirSync(dir, { recursive: true });
    this.open();
  }

  private open(): void {
    if (this.fd >= 0) closeSync(this.fd);
    // Sortable names: ingestion and operators read them in time order.
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const name = `${this.prefix}-${stamp}-${process.pid}-${String(this.seq++).padStart(4, '0')}.jsonl`;
    this.fd = openSync(join(this.dir, name), 'a');
    this.size = 0;
    this.prune();
  }

  private prune(): void {
    const files = readdirSync(this.dir)
      .filter((f) => f.startsWith(`${this.prefix}-`) && f.endsWith('.jsonl'))
      .map((f) => ({ f, m: statSync(join(this.dir, f)).mtimeMs }))
      .sort((a, b) => a.m - b.m || a.f.localeCompare(b.f));
    while (files.length > this.maxFiles) unlinkSync(join(this.dir, files.shift()!.f));
  }

  /** Bytes buffered and not yet handed to a write. */
  private get buffered(): number {
    let n = this.curLen;
    for (const c of this.full) n += c.len;
    return n;
  }

  private seal(): void {
    if (this.cur && this.curLen > 0) this.full.push({ buf: this.cur, len: this.curLen, lines: this.curLines });
    else if (this.cur) this.spare.push(this.cur);
    this.cur = null;
    this.curLen = 0;
    this.curLines = 0;
  }

  write(line: AuditLine | ActionLine): void {
    if (this.closed) return;
    const text = JSON.stringify(line) + '\n';
    // UTF-8 takes at most 3 bytes per UTF-16 unit; a line that may not fit gets a fresh chunk.
    if (this.cur && this.curLen + 3 * text.length > this.cur.length) this.seal();
    if (3 * text.length > CHUNK_BYTES) {
      const b = Buffer.from(text);
      this.full.push({ buf: b, len: b.length, lines: 1 });
    } else {
      this.cur ??= this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
      this.curLen += this.cur.write(text, this.curLen);
      this.curLines++;
    }
    if (this.buffered >= FLUSH_BYTES) {
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    } else if (!this.timer) this.timer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.writing) return;
    this.seal();
    if (this.full.length === 0) return;
    if (this.size >= this.maxBytes) this.open();
    this.writing = true;
    const chunks = this.full;
    this.full = [];
    const bufs = chunks.map((c) => c.buf.subarray(0, c.len));
    const n = chunks.reduce((a, c) => a + c.lines, 0);
    const total = chunks.reduce((a, c) => a + c.len, 0);
    const done = (err: Error | null): void => {
      this.writing = false;
      if (err) this.dropped += n;
      else this.size += total;
      for (const c of chunks) if (c.buf.length === CHUNK_BYTES && this.spare.length < 4) this.spare.push(c.buf);
      if (this.full.length > 0 || this.curLen > 0) this.flush();
    };
    // writev: one system call for every chunk, and a short write is resumed, not dropped.
    const from = (i: number, off: number): void => {
      const rest = [bufs[i]!.subarray(off), ...bufs.slice(i + 1)];
      writev(this.fd, rest, null, (err, written) => {
        if (err) return done(err);
        let k = i;
        let o = off + written;
        while (k < bufs.length && o >= bufs[k]!.length) o -= bufs[k++]!.length;
        if (k < bufs.length) from(k, o);
        else done(null);
      });
    };
    from(0, 0);
  }

  async close(): Promise<void> {
    while (this.writing || this.full.length > 0 || this.curLen > 0) {
      if (!this.writing) this.flush();
      await new Promise((r) => setTimeout(r, 1));
    }
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Inference lines to one writer, action lines to another. */
export class SplitAuditSink implements AuditSink {
  constructor(
    readonly inference: AuditSink,
    readonly actions: AuditSink,
  ) {}
  write(line: AuditLine | ActionLine): void {
    if ('kind' in line) this.actions.write(line);
    else this.inference.write(line);
  }
  async close(): Promise<void> {
    await Promise.all([this.inference.close(), this.actions.close()]);
  }
}

/** In-memory sink for tests and for running without an audit folder. */
export class MemoryAuditSink implements AuditSink {
  readonly lines: Array<AuditLine | ActionLine> = [];
  write(line: AuditLine | ActionLine): void {
    this.lines.push(line);
  }
  async close(): Promise<void> {}
}
