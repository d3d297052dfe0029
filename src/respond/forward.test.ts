import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeAlert, type Alert } from '../detect/alert.js';
import type { TechniqueId } from '../detect/techniques.js';
import { openStore } from '../store/index.js';
import { alertRecord, createOutbox, jsonlSink, syslogSink, toCef, toSlack } from './forward.js';

const alerts: Alert[] = Array.from({ length: 6 }, (_, i) =>
  makeAlert({ detector: 'query-volume', severity: i === 5 ? 'critical' : 'high', principal: i === 0 ? 'eve|x=1\nfoo' : `p${i}`, models: ['m'], atMs: Date.parse('2026-03-01T00:00:00Z') + i * 60_000, windowStartMs: 0, windowEndMs: i, techniques: ['AML.T0024.002' as TechniqueId], observed: 10, baseline: 1, threshold: 5, evidence: ['0'.repeat(32)], explanation: `alert number ${i} for the test` }),
);

/** A webhook receiver that can be down: answers 503 while `down`, records idempotency keys when up. */
async function receiver(): Promise<{ url: string; keys: string[]; bodies: unknown[]; down: boolean; close(): Promise<void> }> {
  const state = { keys: [] as string[], bodies: [] as unknown[], down: true };
  const server: Server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (state.down) {
        res.writeHead(503).end();
        return;
      }
      state.keys.push(String(req.headers['idempotency-key']));
      state.bodies.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise<void>((r) => server.close(() => r())) });
}

describe('forwarding', () => {
  it('webhook outbox survives a receiver outage and a process restart without loss or duplicates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-fwd-'));
    const rx = await receiver();
    const db = join(dir, 'mw.duckdb');
    const sleeps: number[] = [];
    const opts = { url: rx.url, maxAttempts: 3, baseDelayMs: 10, sleep: async (ms: number) => void sleeps.push(ms) };
    try {
      let store = await openStore({ path: db });
      let box = createOutbox(store, opts);
      assert.equal(await box.enqueue(alerts.slice(0, 4).map(alertRecord)), 4);
      const down = await box.flush();
      assert.deepEqual([down.delivered, down.pending, down.attempts], [0, 4, 3]);
      assert.deepEqual(sleeps, [10, 20], 'exponential backoff between attempts');
      assert.match(down.lastError!, /503/);
      assert.equal(await box.enqueue(alerts.slice(0, 4).map(alertRecord)), 0, 'queued records are not queued twice');
      await store.close();

      // Restart: a new process opens the same store; the receiver is back.
      rx.down = false;
      store = await openStore({ path: db });
      box = createOutbox(store, opts);
      assert.equal(await box.pending(), 4);
      assert.equal(await box.enqueue(alerts.map(alertRecord)), 2, 'only the two new alerts are added');
      const up = await box.flush();
      assert.deepEqual([up.delivered, up.pending], [6, 0]);
      assert.equal(await box.enqueue(alerts.map(alertRecord)), 0, 'delivered records are never sent again');
      assert.deepEqual((await box.flush()).delivered, 0);
      await store.close();
      assert.deepEqual(rx.keys, alerts.map((a) => alertRecord(a).key), 'each record once, in order');
      assert.equal(new Set(rx.keys).size, 6);
    } finally {
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('syslog: RFC 5424 + CEF over UDP and over TCP with octet counting; CEF escapes attacker strings', async () => {
    const rec = alertRecord(alerts[0]!);
    const cef = toCef(rec);
    assert.ok(cef.startsWith('CEF:0|MirrorWatch|MirrorWatch|0.1.0|query-volume|Model theft alert|8|'));
    assert.ok(cef.includes('suser=eve|x\\=1\\nfoo'), cef);
    assert.equal(cef.split('\n').length, 1);

    const udp = createSocket('udp4');
    const got: string[] = [];
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    udp.on('message', (m) => got.push(m.toString()));
    const tcpData: Buffer[] = [];
    const tcp = createTcpServer((s) => s.on('data', (d) => tcpData.push(d)));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    try {
      await syslogSink(`udp://127.0.0.1:${(udp.address() as AddressInfo).port}`, 'mw-host').send(alerts.slice(0, 2).map(alertRecord));
      for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(got.length, 2);
      assert.match(got[0]!, /^<107>1 2026-03-01T00:00:00\.000Z mw-host mirrorwatch \d+ alert - CEF:0\|/);
      await syslogSink(`tcp://127.0.0.1:${(tcp.address() as AddressInfo).port}`, 'mw-host').send([alertRecord(alerts[5]!)]);
      for (let i = 0; i < 50 && !tcpData.length; i++) await new Promise((r) => setTimeout(r, 10));
      const frame = Buffer.concat(tcpData).toString();
      const m = /^(\d+) (.*)$/s.exec(frame)!;
      assert.equal(Number(m[1]), Buffer.byteLength(m[2]!), 'octet-counted frame');
      assert.match(m[2]!, /^<106>1 /, 'critical maps to syslog severity 2');
    } finally {
      udp.close();
      await new Promise<void>((r) => tcp.close(() => r()));
    }
  });

  it('JSON lines file and Slack-compatible payloads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-fwd-'));
    try {
      const f = join(dir, 'out.jsonl');
      await jsonlSink(f).send(alerts.slice(0, 3).map(alertRecord));
      const lines = readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: string; type: string });
      assert.deepEqual(lines.map((l) => l.type), ['alert', 'alert', 'alert']);
      const slack = toSlack(alertRecord(alerts[5]!)) as { text: string; blocks: Array<{ type: string }> };
      assert.match(slack.text, /^\[CRITICAL\] query-volume/);
      assert.deepEqual(slack.blocks.map((b) => b.type), ['section', 'context']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
