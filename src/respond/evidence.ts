/**
 * The append-only, hash-chained evidence log. Each entry commits to the
 * previous one (sha256 over its canonical JSON and the previous hash), in the
 * spirit of CloudTrail log-file integrity validation: editing, deleting or
 * reordering any entry breaks every hash from there on, and a head record
 * (the last sequence number and hash) catches a truncated tail.
 */
import { sha256Hex } from '../util/hash.js';
import type { RecordStore } from '../store/index.js';

export const EVIDENCE_COLLECTION = 'respond-evidence';
const HEAD_COLLECTION = 'respond-evidence-head';
const GENESIS = '0'.repeat(64);

export type EvidenceKind = 'incident' | 'alert' | 'run' | 'action' | 'note' | 'decision' | 'confirm' | 'close' | 'reopen' | 'hold_event' | 'forward' | 'audit';

export interface EvidenceEntry {
  seq: number;
  /** Wall-clock or injected time the entry was recorded (ISO 8601 UTC). */
  at: string;
  kind: EvidenceKind;
  incident: string | null;
  actor: string;
  body: unknown;
  prev: string;
  hash: string;
}

/** JSON with sorted keys: the same value always hashes the same (in the spirit of RFC 8785). */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

export function entryHash(e: Omit<EvidenceEntry, 'hash'>): string {
  return sha256Hex(canonicalJson({ seq: e.seq, at: e.at, kind: e.kind, incident: e.incident, actor: e.actor, body: e.body, prev: e.prev }));
}

const PAGE = 5000;

/** Every document of a collection, in id order (the store pages its answers). */
export async function listAllDocuments<T>(store: RecordStore, collection: string, prefix?: string): Promise<Array<{ id: string; body: T }>> {
  const out: Array<{ id: string; body: T }> = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.listDocuments<T>(collection, { ...(prefix ? { prefix } : {}), limit: PAGE, offset });
    out.push(...page);
    if (page.length < PAGE) return out;
  }
}

const docId = (seq: number): string => String(seq).padStart(12, '0');

export interface EvidenceLog {
  append(entry: { kind: EvidenceKind; incident: string | null; actor: string; body: unknown }): Promise<EvidenceEntry>;
  entries(options?: { incident?: string }): Promise<EvidenceEntry[]>;
  verify(): Promise<VerifyResult>;
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  head: string;
  /** The first entry that fails, and why. */
  broken: { seq: number; position: number; reason: string } | null;
}

export function createEvidenceLog(store: RecordStore, now: () => number = Date.now): EvidenceLog {
  // Serialised: two concurrent appends must not claim the same sequence number.
  let tail: Promise<unknown> = Promise.resolve();
  async function all(): Promise<EvidenceEntry[]> {
    return (await listAllDocuments<EvidenceEntry>(store, EVIDENCE_COLLECTION)).map((d) => d.body);
  }
  return {
    append(input) {
      const run = tail.then(async () => {
        const head = (await store.getDocument<{ seq: number; hash: string }>(HEAD_COLLECTION, 'head'))?.body ?? { seq: 0, hash: GENESIS };
        const base = { seq: head.seq + 1, at: new Date(now()).toISOString(), kind: input.kind, incident: input.incident, actor: input.actor, body: input.body, prev: head.hash };
        const entry: EvidenceEntry = { ...base, hash: entryHash(base) };
        await store.putDocument(EVIDENCE_COLLECTION, docId(entry.seq), entry);
        await store.putDocument(HEAD_COLLECTION, 'head', { seq: entry.seq, hash: entry.hash });
        return entry;
      });
      tail = run.catch(() => undefined);
      return run;
    },
    async entries(options = {}) {
      const es = await all();
      return options.incident ? es.filter((e) => e.incident === options.incident) : es;
    },
    async verify() {
      const es = await all();
      return verifyEntries(es, (await store.getDocument<{ seq: number; hash: string }>(HEAD_COLLECTION, 'head'))?.body ?? null);
    },
  };
}

/** Checks a sequence of entries (in stored order) against the chain rules and the head record. */
export function verifyEntries(es: readonly EvidenceEntry[], head: { seq: number; hash: string } | null): VerifyResult {
  let prev = GENESIS;
  for (let i = 0; i < es.length; i++) {
    const e = es[i]!;
    const fail = (reason: string): VerifyResult => ({ ok: false, entries: es.length, head: prev, broken: { seq: e.seq, position: i + 1, reason } });
    if (e.seq !== i + 1) return fail(e.seq > i + 1 ? `entry ${i + 1} is missing (next entry has sequence ${e.seq})` : `sequence ${e.seq} out of order at position ${i + 1}`);
    if (e.prev !== prev) return fail('does not commit to the previous entry (reordered, or an earlier entry was removed)');
    if (entryHash(e) !== e.hash) return fail('content does not match its hash (edited)');
    prev = e.hash;
  }
  const last = es.length;
  if (head && (head.seq !== last || head.hash !== prev)) {
    return { ok: false, entries: es.length, head: prev, broken: { seq: head.seq, position: last + 1, reason: `the head records ${head.seq} entries ending in ${head.hash.slice(0, 12)}, the log holds ${last} (entries removed from the end)` } };
  }
  if (!head && last > 0) return { ok: false, entries: last, head: prev, broken: { seq: last, position: last, reason: 'the head record is missing' } };
  return { ok: true, entries: last, head: prev, broken: null };
}
