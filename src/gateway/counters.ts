/**
 * Counters behind a small interface, so a Redis implementation can replace the
 * local one when the gateway runs as several replicas.
 *
 * - Budgets: `reserve` checks and adds every item or none (all-or-nothing),
 *   before the request is forwarded; `refund` gives a reservation back when
 *   the upstream failed. In the local store the check-and-add runs in one
 *   synchronous step of the event loop, so concurrent requests can never both
 *   see the same headroom (no await between check and add).
 * - Rates: GCRA (generic cell rate algorithm, ITU-T I.371 / ATM Forum TM 4.0),
 *   one "theoretical arrival time" per bucket: equivalent to a leaky bucket,
 *   with no window edges to burst across.
 *
 * Durability of the local store: an append-only journal in the gateway's own
 * data folder, replayed over a snapshot at start and compacted into a new
 * snapshot. A reservation commits only after its journal line has been
 * written to the OS (survives a gateway crash); fdatasync runs in batches at
 * most every `fsyncIntervalMs` (bounds what a power loss can forget). Why not
 * DuckDB: the store file of `mirrorwatch serve`/`ingest` allows one writer
 * process, and a second DuckDB file would cost a native transaction per
 * request for what is a few hundred keys of integers (docs/gateway.md).
 */
import { closeSync, existsSync, fdatasync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, write, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface ReserveItem {
  key: string;
  amount: number;
  limit: number;
  /** Epoch ms after which the counter may be forgotten (daily budgets); none = forever. */
  expiresAt?: number;
}

export interface Reservation {
  readonly items: ReadonlyArray<{ key: string; amount: number; expiresAt?: number | undefined }>;
}

export type ReserveResult = { ok: true; reservation: Reservation } | { ok: false; key: string; used: number; limit: number };

export interface RateItem {
  key: string;
  cost: number;
  /** Milliseconds per unit at the sustained rate (period / limit). */
  emissionMs: number;
  /** How many units may arrive at once. */
  burst: number;
}

export type RateResult = { ok: true } | { ok: false; key: string; retryAfterMs: number };

export interface CounterStore {
  /**
   * Checks and adds atomically. Resolves once no other reservation can see the headroom taken; it
   * may resolve before the reservation is durable (the local store), so the answer must wait for `commit`.
   */
  reserve(items: readonly ReserveItem[]): Promise<ReserveResult>;
  /**
   * Resolves once the reservation is durable; rejects with CountersUnavailableError when it could
   * not be recorded (it is then already taken back). The gateway releases an answer only after this.
   */
  commit(r: Reservation): Promise<void>;
  refund(r: Reservation): Promise<void>;
  get(key: string): Promise<number>;
  /** GCRA across all items: consumes from all or from none. */
  rate(items: readonly RateItem[], now: number): Promise<RateResult>;
  /** Resolves once the store can serve (a remote store's connection); the gateway awaits it at start. */
  ready?(): Promise<void>;
  close(): Promise<void>;
}

export class CountersUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CountersUnavailableError';
  }
}

interface Entry {
  n: number;
  x?: number | undefined;
}

const COMPACT_BYTES = 16 * 1024 * 1024;

/**
 * A journal reservation carries its own journal write (settled with null when written, the error
 * when not). A WeakMap from reservation to write was an ephemeron table entry per request, which
 * V8's scavenger has to process.
 */
class JournalReservation implements Reservation {
  constructor(
    readonly items: ReadonlyArray<{ key: string; amount: number; expiresAt?: number | undefined }>,
    readonly durable: Promise<Error | null>,
  ) {}
}

export interface JournalStoreOptions {
  dir: string;
  fsyncIntervalMs?: number;
  now?: () => number;
}

/** Durable local counter store: snapshot + append-only journal, owned by one gateway process. */
export class JournalCounterStore implements CounterStore {
  private readonly values = new Map<string, Entry>();
  private readonly tat = new Map<string, number>();
  /** Two journal segments: appends go to one while the other is fdatasync'ed (see `sync`). */
  private readonly fds: [number, number];
  private active = 0;
  private syncing = false;
  private pending: string[] = [];
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private writing = false;
  private scheduled = false;
  private dirty = false;
  private journalBytes = 0;
  private failed: Error | null = null;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private rateOps = 0;
  private readonly snapshotFile: string;
  private readonly journalFiles: [string, string];
  private readonly fsyncIntervalMs: number;
  private readonly now: () => number;

  constructor(opts: JournalStoreOptions) {
    mkdirSync(opts.dir, { recursive: true });
    this.snapshotFile = join(opts.dir, 'counters.snapshot.json');
    this.journalFiles = [join(opts.dir, 'counters.journal'), join(opts.dir, 'counters.journal.1')];
    this.fsyncIntervalMs = opts.fsyncIntervalMs ?? 50;
    this.now = opts.now ?? Date.now;
    this.load();
    this.compact();
    this.fds = [openSync(this.journalFiles[0], 'a'), openSync(this.journalFiles[1], 'a')];
    if (this.fsyncIntervalMs > 0) {
      this.fsyncTimer = setInterval(() => this.sync(), this.fsyncIntervalMs);
      this.fsyncTimer.unref();
    }
  }

  private apply(key: string, delta: number, x: number | undefined): void {
    const e = this.values.get(key);
    if (e) {
      e.n += delta;
      if (x !== undefined) e.x = x;
    } else this.values.set(key, { n: delta, x });
  }

  private load(): void {
    if (existsSync(this.snapshotFile)) {
      const snap = JSON.parse(readFileSync(this.snapshotFile, 'utf8')) as { values: Record<string, Entry> };
      for (const [k, v] of Object.entries(snap.values)) this.values.set(k, { n: v.n, x: v.x });
    }
    // Journal lines are additions, so the segments replay in any order.
    for (const file of this.journalFiles) {
      if (!existsSync(file)) continue;
      const lines = readFileSync(file, 'utf8').split('\n');
      for (const line of lines) {
        if (!line) continue;
        let op: { i: Array<[string, number, number | null]> };
        try {
          op = JSON.parse(line) as typeof op;
        } catch {
          // A torn last line (crash mid-write) was never acknowledged, so it never let a request through.
          continue;
        }
        for (const [k, n, x] of op.i) this.apply(k, n, x ?? undefined);
      }
    }
  }

  /** Writes the current values as a snapshot and empties the journal. */
  private compact(): void {
    const t = this.now();
    const values: Record<string, Entry> = {};
    for (const [k, v] of this.values) {
      if (v.x !== undefined && v.x < t) {
        this.values.delete(k);
        continue;
      }
      values[k] = v;
    }
    const tmp = `${this.snapshotFile}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, values }));
    const fd = openSync(tmp, 'r+');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.snapshotFile);
    for (const file of this.journalFiles) writeFileSync(file, '');
    this.journalBytes = 0;
  }

  /**
   * Queues one journal line; the lines of one event-loop turn go out in one write (group commit),
   * and a reservation commits when its line is with the OS (a gateway crash loses nothing it
   * acknowledged). With batched fdatasync (`fsyncIntervalMs` > 0) the write is synchronous, in the
   * check phase of the turn that queued it: a write of a few hundred bytes to the page cache costs
   * a few microseconds, while a thread-pool round trip cost two thread wake-ups per turn, which at
   * 2,000 requests/s (one request per turn) was a sixth of the gateway's CPU (docs/gateway.md).
   * It goes to the segment that is not being fdatasync'ed (see `sync`), so it does not wait for a
   * sync. With `fsyncIntervalMs` 0 every write is followed by fdatasync, which does wait for the
   * disk, so that mode writes and syncs in the thread pool.
   */
  private append(items: ReadonlyArray<{ key: string; amount: number; expiresAt?: number | undefined }>): Promise<void> {
    if (this.failed) return Promise.reject(new CountersUnavailableError(`counter journal unavailable: ${this.failed.message}`));
    this.pending.push(JSON.stringify({ i: items.map((it) => [it.key, it.amount, it.expiresAt ?? null]) }));
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.writing && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    if (this.writing || this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join('\n') + '\n');
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    this.writing = true;
    const fd = this.fds[this.active]!;
    const done = (e: Error | null): void => {
      this.writing = false;
      if (e) {
        this.failed = e;
        for (const w of waiters) w.reject(new CountersUnavailableError(`counter journal write failed: ${e.message}`, { cause: e }));
      } else {
        this.journalBytes += buf.length;
        this.dirty = this.fsyncIntervalMs > 0;
        if (this.journalBytes > COMPACT_BYTES && !this.syncing) {
          try {
            this.compact();
          } catch (ce) {
            this.failed = ce as Error;
          }
        }
        for (const w of waiters) w.resolve();
      }
      if (this.pending.length > 0) this.flush();
    };
    const writeFrom = (off: number): void => {
      write(fd, buf, off, buf.length - off, null, (err, n) => {
        if (err) return done(err);
        if (off + n < buf.length) return writeFrom(off + n);
        if (this.fsyncIntervalMs === 0) fdatasync(fd, (se) => done(se));
        else done(null);
      });
    };
    if (this.fsyncIntervalMs === 0) return writeFrom(0);
    let err: Error | null = null;
    try {
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      err = e as Error;
    }
    done(err);
  }

  /**
   * fdatasync of the segment just written, after switching appends to the other one: a write to a
   * file that is being synced waits for the sync on common file systems (ext4 holds the inode
   * lock), which would hold back every reservation queued behind it.
   */
  private sync(): void {
    if (!this.dirty || this.failed || this.syncing) return;
    this.dirty = false;
    this.syncing = true;
    const fd = this.fds[this.active]!;
    this.active ^= 1;
    fdatasync(fd, (e) => {
      this.syncing = false;
      if (e) this.failed = e;
    });
  }

  async reserve(items: readonly ReserveItem[]): Promise<ReserveResult> {
    if (this.failed) throw new CountersUnavailableError(`counter journal unavailable: ${this.failed.message}`);
    const t = this.now();
    // Check every item, then add to every item, in one synchronous step: no interleaving is possible.
    for (const it of items) {
      const e = this.values.get(it.key);
      const used = e && (e.x === undefined || e.x >= t) ? e.n : 0;
      if (used + it.amount > it.limit) return { ok: false, key: it.key, used, limit: it.limit };
    }
    const rec = items.map((it) => ({ key: it.key, amount: it.amount, expiresAt: it.expiresAt }));
    for (const it of rec) {
      const e = this.values.get(it.key);
      if (e && e.x !== undefined && e.x < t) this.values.delete(it.key);
      this.apply(it.key, it.amount, it.expiresAt);
    }
    // The headroom is taken now, in memory; the journal write runs while the gateway forwards the
    // request, and `commit` (before the answer leaves) waits for it. A crash in between loses a
    // reservation whose answer was never released, which costs the caller nothing it received.
    const durable = this.append(rec).then(
      () => null,
      (e: Error) => {
        for (const it of rec) this.apply(it.key, -it.amount, undefined);
        return e;
      },
    );
    return { ok: true, reservation: new JournalReservation(rec, durable) };
  }

  async commit(r: Reservation): Promise<void> {
    const e = r instanceof JournalReservation ? await r.durable : null;
    if (e) throw e;
  }

  async refund(r: Reservation): Promise<void> {
    // A reservation whose line was never written has already been taken back.
    if (r instanceof JournalReservation && (await r.durable)) return;
    const neg = r.items.map((it) => ({ key: it.key, amount: -it.amount, expiresAt: it.expiresAt }));
    for (const it of neg) this.apply(it.key, it.amount, undefined);
    await this.append(neg);
  }

  async get(key: string): Promise<number> {
    const e = this.values.get(key);
    return e && (e.x === undefined || e.x >= this.now()) ? e.n : 0;
  }

  async rate(items: readonly RateItem[], now: number): Promise<RateResult> {
    const next: number[] = [];
    for (const it of items) {
      const tat = Math.max(this.tat.get(it.key) ?? now, now);
      const newTat = tat + it.cost * it.emissionMs;
      const allowAt = newTat - it.burst * it.emissionMs;
      if (allowAt > now) {
        // A cost above the burst can never pass; say so with the time a full bucket would take.
        const retry = it.cost > it.burst ? it.cost * it.emissionMs : allowAt - now;
        return { ok: false, key: it.key, retryAfterMs: retry };
      }
      next.push(newTat);
    }
    items.forEach((it, i) => this.tat.set(it.key, next[i]!));
    if (++this.rateOps % 10_000 === 0) for (const [k, v] of this.tat) if (v < now) this.tat.delete(k);
    return { ok: true };
  }

  /** Journal size in bytes since the last compaction (for metrics and tests). */
  get journalSize(): number {
    return this.journalBytes;
  }

  async close(): Promise<void> {
    while (this.writing || this.scheduled || this.pending.length > 0) {
      if (!this.writing && !this.scheduled) this.flush();
      await new Promise((r) => setTimeout(r, 1));
    }
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    while (this.syncing) await new Promise((r) => setTimeout(r, 1));
    for (const fd of this.fds) {
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    if (!this.failed) this.compact();
  }

  /** The first journal segment (tests append a torn line to it). */
  static journalPath(dir: string): string {
    return join(dir, 'counters.journal');
  }

  static exists(dir: string): boolean {
    try {
      return statSync(join(dir, 'counters.snapshot.json')).isFile();
    } catch {
      return false;
    }
  }
}
