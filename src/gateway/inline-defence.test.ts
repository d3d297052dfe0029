import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { alertSchema, type Alert } from '../detect/index.js';
import { hashedFingerprint, T0 } from '../detect/testkit.js';
import { buildContext } from '../detect/types.js';
import { mulberry32 } from '../util/prng.js';
import type { ActionLine, AuditLine } from './audit.js';
import { MemoryAuditSink } from './audit.js';
import { createGateway, tokenSha256, type Gateway } from './index.js';
import { startModelServer, testConfig, type ModelServer } from './testkit.js';

const agent = new Agent({ connections: 8 });
const ALPHABET = 'CCCCNOc1()=F';

async function predict(base: string, key: string, instances: unknown[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await request(`${base}/v1/models/clf:predict`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ instances }),
    dispatcher: agent,
  });
  return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
}

const isOneHot = (v: number[]): boolean => v.slice().sort().join() === '0,0,1';

/**
 * Query streams in the style of PRADA's evaluation (Juuti et al. 2019): the
 * extraction client mixes perturbation series around a few seeds with
 * far-flung random probes; the benign client explores its space naturally
 * (independent molecules of one kind, with repeats).
 */
function streams(seed: number): { attack: () => string[]; benign: () => string[] } {
  const r = mulberry32(seed);
  const rand = (n: number): string => Array.from({ length: n }, () => ALPHABET[Math.floor(r() * ALPHABET.length)]).join('');
  const seeds = Array.from({ length: 4 }, () => rand(26));
  const mutate = (s: string): string => {
    const i = Math.floor(r() * s.length);
    return s.slice(0, i) + ALPHABET[Math.floor(r() * ALPHABET.length)] + s.slice(i + 1);
  };
  const library = Array.from({ length: 400 }, () => rand(26));
  return {
    attack: () => Array.from({ length: 20 }, () => (r() < 0.5 ? rand(26) : mutate(seeds[Math.floor(r() * seeds.length)]!))),
    benign: () => Array.from({ length: 20 }, () => library[Math.floor(r() * library.length)]!),
  };
}

describe('gateway: inline extraction defence with the detection engine', () => {
  let upstream: ModelServer;
  const dirs: string[] = [];
  const running: Gateway[] = [];
  before(async () => {
    upstream = await startModelServer();
  });
  // Closed even when an assertion fails, so a failing test does not hold the process open.
  afterEach(async () => {
    await Promise.all(running.splice(0).map((g) => g.close()));
  });
  after(async () => {
    await upstream.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function start(inline: Record<string, unknown>, clock: { t: number }): Promise<{ gw: Gateway; base: string; audit: MemoryAuditSink }> {
    const dir = mkdtempSync(join(tmpdir(), 'mw-gw-inline-'));
    dirs.push(dir);
    const audit = new MemoryAuditSink();
    const cfg = testConfig(upstream.url, join(dir, 'data'), tokenSha256('admin'), { inline_defence: inline });
    // Identity canonicalisation + the detectors' test fingerprint (character 3-grams) stand in for RDKit, as in prada's own tests.
    const gw = createGateway({ config: cfg, audit, logLevel: 'silent', now: () => clock.t, canonicalSmiles: (s) => s, detectionContext: buildContext({ fingerprint: hashedFingerprint }) });
    running.push(gw);
    const { url } = await gw.start();
    return { gw, base: url, audit };
  }

  const actionLines = (audit: MemoryAuditSink, principal: string): ActionLine[] => audit.lines.filter((l): l is ActionLine => 'kind' in l && l.principal === principal);

  for (const seed of [1, 2, 3, 4]) {
    it(`PRADA trips on a replayed extraction and contains that principal while a benign one is unaffected (seed ${seed})`, async () => {
      const clock = { t: T0 + 9 * 3_600_000 };
      const { gw, base, audit } = await start({ detectors: ['prada', 'query-volume'], actions: { low: 'none', medium: 'degrade', high: 'block' } }, clock);
      const mallory = gw.keys.create({ principal: 'mallory', team: 'chem', role: 'scientist' }).secret;
      const alice = gw.keys.create({ principal: 'alice', team: 'chem', role: 'scientist' }).secret;
      const s = streams(seed);
      let containedAt = -1;
      for (let round = 0; round < 30; round++) {
        clock.t += 30_000;
        const m = await predict(base, mallory, s.attack());
        if (containedAt < 0 && (m.status === 403 || (m.status === 200 && (m.body['predictions'] as number[][]).every(isOneHot)))) containedAt = round;
        if (containedAt >= 0) {
          // Once contained, every later answer is refused or top-1 only (sticky).
          assert.ok(m.status === 403 || (m.body['predictions'] as number[][]).every(isOneHot), `round ${round}: mallory got ${m.status}`);
        } else {
          assert.equal(m.status, 200);
        }
        clock.t += 30_000;
        const a = await predict(base, alice, s.benign());
        assert.equal(a.status, 200, `round ${round}: alice refused`);
        assert.ok((a.body['predictions'] as number[][]).every((p) => !isOneHot(p)), `round ${round}: alice degraded`);
      }
      assert.ok(containedAt >= 5, `contained after enough evidence, not at once (round ${containedAt})`);
      assert.ok(containedAt <= 15, `contained within the run (round ${containedAt})`);

      // The decision is explained: an action line carrying the detector's alert, with evidence that names the requests.
      const lines = actionLines(audit, 'mallory');
      assert.equal(lines.length, 1, 'one alert, one action');
      const line = lines[0]!;
      assert.ok(['degrade', 'block'].includes(line.action));
      const alerts = line.details['alerts'] as Alert[];
      assert.equal(alerts[0]!.detector, 'prada');
      alertSchema.parse(alerts[0]);
      assert.ok(alerts[0]!.observed < alerts[0]!.threshold);
      const requestIds = new Set(audit.lines.filter((l): l is AuditLine => !('kind' in l) && l.event.principal.canonical === 'mallory').map((l) => l.gateway.requestId));
      for (const ev of alerts[0]!.evidence) assert.ok(requestIds.has(ev.slice(0, 16)), 'evidence ids are gateway request ids');
      if (line.action === 'block') assert.ok(gw.containment.get('mallory').frozen);
      else assert.equal(gw.containment.get('mallory').outputPolicy?.policy, 'restricted');
      assert.deepEqual(gw.containment.get('alice'), {});
      assert.equal(actionLines(audit, 'alice').length, 0);
      assert.ok(gw.detection!.alerts.every((x) => x.principal === 'mallory'));
      assert.equal(gw.detection!.engine.stats().late, 0, 'events reach the engine in event time');
      assert.match(gw.metrics.render(), /mirrorwatch_gateway_detector_alerts_total\{detector="prada",severity="(medium|high)"\} 1/);
    });
  }

  it('query volume closes on event time: a day far above the floor degrades on the next request; a low alert only alerts', async () => {
    const clock = { t: T0 + 8 * 3_600_000 };
    const { gw, base, audit } = await start({ detectors: ['query-volume'], actions: { low: 'none', medium: 'degrade', high: 'block' } }, clock);
    const key = (p: string): string => gw.keys.create({ principal: p, team: 'chem', role: 'owner' }).secret;
    const [bulk, modest, usual] = [key('bulk'), key('modest'), key('usual')];
    const rows = (n: number): number[][] => Array.from({ length: n }, (_, i) => [Math.sin(i), Math.cos(i), i % 3, (i % 7) / 7]);
    // New principals without a team baseline: the detector's floor is 5,000 instances a day; 2x that is medium.
    for (let i = 0; i < 12; i++) {
      clock.t += 60_000;
      assert.equal((await predict(base, bulk, rows(1000))).status, 200);
    }
    for (let i = 0; i < 7; i++) {
      clock.t += 60_000;
      assert.equal((await predict(base, modest, rows(1000))).status, 200);
    }
    clock.t += 60_000;
    assert.equal((await predict(base, usual, rows(200))).status, 200);
    assert.equal(actionLines(audit, 'bulk').length, 0, 'nothing before the day closes');
    // A heartbeat closes the day at midnight without waiting for traffic; the actions still wait for each principal's next request.
    assert.deepEqual(gw.detection!.tick(T0 + 86_400_000 - 1), [], 'the day is not over yet');
    const closed = gw.detection!.tick(T0 + 86_400_000 + 1000);
    assert.deepEqual(closed.map((a) => a.principal).sort(), ['bulk', 'modest']);
    assert.equal(actionLines(audit, 'bulk').length, 0, 'no action without a request');
    clock.t = T0 + 86_400_000 + 9 * 3_600_000;
    const b = await predict(base, bulk, rows(3));
    assert.ok((b.body['predictions'] as number[][]).every(isOneHot), 'bulk degraded from the first request after the close');
    const m = await predict(base, modest, rows(3));
    assert.ok((m.body['predictions'] as number[][]).every((p) => !isOneHot(p)), 'a low alert does not degrade');
    const u = await predict(base, usual, rows(3));
    assert.ok((u.body['predictions'] as number[][]).every((p) => !isOneHot(p)));
    const [bl] = actionLines(audit, 'bulk');
    assert.equal(bl?.action, 'degrade');
    assert.equal((bl!.details['alerts'] as Alert[])[0]!.observed, 12_000);
    const [ml] = actionLines(audit, 'modest');
    assert.equal(ml?.action, 'none', 'alert only');
    assert.match(ml!.reasons[0]!, /^query-volume low: modest requested 7,?000/);
    assert.equal(actionLines(audit, 'usual').length, 0);
  });
});
