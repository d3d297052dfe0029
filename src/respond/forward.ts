/**
 * Forwarding alerts and incident updates to other tools: JSON lines file,
 * syslog with CEF (RFC 5424 over UDP, or TCP with octet-counting framing,
 * RFC 6587), and webhooks (generic JSON or a Slack-compatible payload)
 * through a durable outbox kept in the store: records wait there until the
 * receiver answers 2xx, retried with exponential backoff, each with an
 * idempotency key so a receiver can drop a repeat after a crash between its
 * answer and our bookkeeping.
 */
import { createSocket } from 'node:dgram';
import { appendFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { connect } from 'node:net';
import { request } from 'undici';
import type { Incident } from '../correlate/index.js';
import type { Alert } from '../detect/alert.js';
import type { RecordStore } from '../store/index.js';
import { sha256Hex } from '../util/hash.js';
import { canonicalJson, listAllDocuments } from './evidence.js';

export interface ForwardRecord {
  /** Idempotency key: the same alert or incident state always has the same key. */
  key: string;
  type: 'alert' | 'incident';
  time: string;
  severity: string;
  principal: string;
  title: string;
  data: Alert | Incident;
}

export function alertRecord(a: Alert): ForwardRecord {
  return { key: sha256Hex(`alert\0${a.id}\0${canonicalJson(a)}`).slice(0, 32), type: 'alert', time: a.at, severity: a.severity, principal: a.principal, title: `${a.detector}: ${a.explanation}`, data: a };
}

export function incidentRecord(i: Incident): ForwardRecord {
  return {
    key: sha256Hex(`incident\0${i.id}\0${canonicalJson(i)}`).slice(0, 32),
    type: 'incident',
    time: i.updated_at,
    severity: i.severity,
    principal: i.principals.join(','),
    title: `Incident ${i.id}: ${i.severity}, risk ${i.risk}, phases ${i.phases.join(', ') || '-'}, models ${i.models.map((m) => m.name).join(', ') || '-'}`,
    data: i,
  };
}

// ---------------------------------------------------------------------------
// CEF (ArcSight Common Event Format, rev. 25): header fields escape \ and |, extension values \ and =, newlines as \n.

const cefHeader = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
const cefValue = (s: string): string => s.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r?\n/g, '\\n');
const CEF_SEVERITY: Record<string, number> = { low: 3, medium: 5, high: 8, critical: 10 };
/** Syslog severity per RFC 5424 table 2: critical 2, error 3, warning 4, notice 5. */
const SYSLOG_SEVERITY: Record<string, number> = { low: 5, medium: 4, high: 3, critical: 2 };

export function toCef(r: ForwardRecord): string {
  const sig = r.type === 'alert' ? (r.data as Alert).detector : 'incident';
  const ext: Array<[string, string]> = [
    ['rt', String(Date.parse(r.time))],
    ['suser', r.principal],
    ['externalId', (r.data as { id: string }).id],
    ['cs1Label', 'idempotencyKey'],
    ['cs1', r.key],
    ['msg', r.title],
  ];
  return `CEF:0|MirrorWatch|MirrorWatch|0.1.0|${cefHeader(sig)}|${cefHeader(r.type === 'alert' ? 'Model theft alert' : 'Model theft incident')}|${CEF_SEVERITY[r.severity] ?? 5}|${ext.map(([k, v]) => `${k}=${cefValue(v)}`).join(' ')}`;
}

/** RFC 5424 message, facility 13 (log audit) so SIEMs file it with security events. */
export function toSyslog(r: ForwardRecord, host = hostname()): string {
  const pri = 13 * 8 + (SYSLOG_SEVERITY[r.severity] ?? 5);
  const clean = (s: string, n: number): string => s.replace(/[^\x21-\x7e]/g, '').slice(0, n) || '-';
  return `<${pri}>1 ${new Date(Date.parse(r.time)).toISOString()} ${clean(host, 255)} mirrorwatch ${process.pid} ${r.type} - ${toCef(r)}`;
}

export function toSlack(r: ForwardRecord): Record<string, unknown> {
  const text = `[${r.severity.toUpperCase()}] ${r.title} (principal ${r.principal})`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, { type: 'context', elements: [{ type: 'mrkdwn', text: `MirrorWatch ${r.type} · ${r.time} · key ${r.key}` }] }] };
}

export interface Sink {
  readonly name: string;
  send(records: readonly ForwardRecord[]): Promise<void>;
  close?(): Promise<void>;
}

export function jsonlSink(file: string): Sink {
  return {
    name: `jsonl:${file}`,
    async send(records) {
      if (records.length) await appendFile(file, records.map((r) => JSON.stringify(r) + '\n').join(''));
    },
  };
}

/** `udp://host:port` or `tcp://host:port`. */
export function syslogSink(url: string, host?: string): Sink {
  const m = /^(udp|tcp):\/\/([^:/]+|\[[^\]]+\]):(\d+)$/.exec(url);
  if (!m) throw new Error(`syslog target must look like udp://host:514 or tcp://host:514 (got ${url})`);
  const [, proto, h, p] = m;
  const target = h!.replace(/^\[|\]$/g, '');
  const port = Number(p);
  return {
    name: `syslog:${url}`,
    async send(records) {
      const msgs = records.map((r) => toSyslog(r, host));
      if (!msgs.length) return;
      if (proto === 'udp') {
        const sock = createSocket(target.includes(':') ? 'udp6' : 'udp4');
        try {
          for (const msg of msgs) await new Promise<void>((res, rej) => sock.send(Buffer.from(msg), port, target, (e) => (e ? rej(e) : res())));
        } finally {
          sock.close();
        }
        return;
      }
      await new Promise<void>((res, rej) => {
        const s = connect({ host: target, port }, () => {
          // Octet counting (RFC 6587 3.4.1): a length prefix, so messages may hold newlines.
          s.end(msgs.map((x) => `${Buffer.byteLength(x)} ${x}`).join(''), () => res());
        });
        s.on('error', rej);
      });
    },
  };
}

// ---------------------------------------------------------------------------
// The webhook outbox.

const OUTBOX = 'respond-outbox';
const DELIVERED = 'respond-outbox-delivered';

export interface OutboxOptions {
  url: string;
  format?: 'json' | 'slack';
  /** Attempts per record within one flush before it stays queued for the next. */
  maxAttempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface FlushResult {
  delivered: number;
  pending: number;
  attempts: number;
  lastError: string | null;
}

interface Queued {
  record: ForwardRecord;
  enqueuedSeq: number;
}

export interface Outbox {
  /** Queues records not queued or delivered before (by idempotency key); returns how many were new. */
  enqueue(records: readonly ForwardRecord[]): Promise<number>;
  /** Sends queued records in order; stops at the first record the receiver does not take. */
  flush(): Promise<FlushResult>;
  pending(): Promise<number>;
}

export function createOutbox(store: RecordStore, o: OutboxOptions): Outbox {
  const ns = sha256Hex(o.url).slice(0, 12);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxAttempts = o.maxAttempts ?? 5;
  const baseDelay = o.baseDelayMs ?? 500;
  const list = (): Promise<Array<{ id: string; body: Queued }>> => listAllDocuments<Queued>(store, OUTBOX, `${ns}:`);
  return {
    async enqueue(records) {
      const queued = await list();
      const keys = new Set(queued.map((q) => q.body.record.key));
      let seq = queued.reduce((m, q) => Math.max(m, q.body.enqueuedSeq), (await store.getDocument<{ seq: number }>(DELIVERED, `${ns}:seq`))?.body.seq ?? 0);
      let added = 0;
      for (const r of records) {
        if (keys.has(r.key) || (await store.getDocument(DELIVERED, `${ns}:${r.key}`))) continue;
        keys.add(r.key);
        seq++;
        await store.putDocument(OUTBOX, `${ns}:${String(seq).padStart(12, '0')}`, { record: r, enqueuedSeq: seq } satisfies Queued);
        added++;
      }
      await store.putDocument(DELIVERED, `${ns}:seq`, { seq });
      return added;
    },
    async flush() {
      const queued = await list();
      let delivered = 0;
      let attempts = 0;
      let lastError: string | null = null;
      for (const q of queued) {
        if (await store.getDocument(DELIVERED, `${ns}:${q.body.record.key}`)) {
          await store.deleteDocument(OUTBOX, q.id);
          continue;
        }
        let ok = false;
        for (let i = 0; i < maxAttempts && !ok; i++) {
          if (i > 0) await sleep(baseDelay * 2 ** (i - 1));
          attempts++;
          try {
            const body = o.format === 'slack' ? toSlack(q.body.record) : q.body.record;
            const r = await request(o.url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'idempotency-key': q.body.record.key },
              body: JSON.stringify(body),
              headersTimeout: o.timeoutMs ?? 5000,
              bodyTimeout: o.timeoutMs ?? 5000,
            });
            await r.body.text();
            ok = r.statusCode >= 200 && r.statusCode < 300;
            if (!ok) lastError = `${o.url} answered ${r.statusCode}`;
          } catch (e) {
            lastError = `${o.url}: ${(e as Error).message}`;
          }
        }
        if (!ok) return { delivered, pending: queued.length - delivered, attempts, lastError };
        // Delivered mark first: a crash between the two writes leaves a stale queue entry that enqueue and flush skip.
        await store.putDocument(DELIVERED, `${ns}:${q.body.record.key}`, { at: new Date().toISOString() });
        await store.deleteDocument(OUTBOX, q.id);
        delivered++;
      }
      return { delivered, pending: 0, attempts, lastError };
    },
    async pending() {
      return (await list()).length;
    },
  };
}
