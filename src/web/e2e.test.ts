/**
 * The dashboard in a real browser (Debian's Chromium driven by
 * playwright-core): log in, open the incident, see the timeline and the
 * baseline chart drawn, contain the attacker through a real gateway, be
 * refused what a role does not allow, and prove that attacker-controlled log
 * fields stay text. Screenshots go to test-artifacts/screenshots/ (ignored by
 * git) for review.
 */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { eventSchema, type MwEvent } from '../events/index.js';
import { detectStore } from '../detect/run.js';
import { model, person, syntheticStream } from '../detect/testkit.js';
import { createGateway, tokenSha256, type Gateway } from '../gateway/index.js';
import { startModelServer, testConfig, type ModelServer } from '../gateway/testkit.js';
import { openStore, type Store } from '../store/index.js';
import { withTempDir } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';
import { createGatewayAdminClient } from './gateway-client.js';
import { createWebServer, type WebServer } from './server.js';

const CHROMIUM = process.env['MIRRORWATCH_CHROMIUM'] ?? '/usr/bin/chromium';
const UI = join(repoRoot(), 'dist', 'web');
const PW = 'correct horse battery';
const SHOTS = join(repoRoot(), 'test-artifacts', 'screenshots');

// Each payload flips a global if it ever runs; the browser must show it as text.
const PAYLOADS = [
  `<img src=x onerror="window.__xss='img'">`,
  `<script>window.__xss='script'</script>`,
  `"><svg onload="window.__xss='svg'">`,
  `javascript:window.__xss='href'`,
];

/** Puts payloads into every attacker-controlled field the dashboard shows: user agents, file names, destinations, keys, SMILES. */
function poison(events: MwEvent[]): MwEvent[] {
  let n = 0;
  const p = (): string => PAYLOADS[n++ % PAYLOADS.length]!;
  return events.map((e) => {
    if (e.principal.canonical !== 'alice') return e;
    switch (e.kind) {
      case 'upload':
        return { ...e, fileName: `${p()}_aa`, destination: `drive ${p()}`, userAgent: p() };
      case 'object':
        return { ...e, key: `${e.key ?? ''}${p()}`, userAgent: p() };
      case 'inference':
        return { ...e, userAgent: p(), instances: e.instances.map((i) => (i.input.type === 'smiles' ? { ...i, input: { ...i.input, smiles: p() } } : i)) };
      default:
        return { ...e, userAgent: p() };
    }
  });
}

interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

const haveBrowser = existsSync(CHROMIUM) && existsSync(join(UI, 'index.html'));
// CI installs Chromium (.ci/run); there a missing browser is a failure, not a skip.
const skip = haveBrowser ? false : process.env['CI'] ? false : `no Chromium at ${CHROMIUM} or no built dashboard`;

describe('dashboard in Chromium', { skip }, () => {
  let dir: string;
  let cleanup: () => void;
  let store: Store;
  let web: WebServer;
  let url: string;
  let upstream: ModelServer;
  let gateway: Gateway;
  let aliceKey: string;
  let aliceSecret: string;
  let gatewayUrl: string;
  let browser: Browser;
  let incidentId: string;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium is required at ${CHROMIUM} (apt-get install chromium)`);
    assert.ok(existsSync(join(UI, 'index.html')), 'the dashboard must be built (npm run build:web)');
    await new Promise<void>((resolve) => {
      void withTempDir(async (d) => {
        dir = d;
        resolve();
        await new Promise<void>((r) => (cleanup = r));
      });
    });
    await mkdir(SHOTS, { recursive: true });
    store = await openStore({ path: join(dir, 'mw.duckdb') });
    const people = ['alice', 'bob', 'frank'].map((p) => person(p, 'comp-chem', ['binding-affinity']));
    people.push(...['carol', 'dave', 'erin'].map((p) => person(p, 'drug-discovery', ['kinase'])));
    await store.putReference('directory', 'default', people.map((entry) => ({ kind: 'directory', entry })), 'directory.csv');
    const models = [model('binding-affinity-predictor', 'comp-chem', 'binding-affinity'), model('toxicity-classifier', 'comp-chem', 'predictive-safety'), model('kinase-selectivity', 'drug-discovery', 'kinase', 'CONFIDENTIAL', 2_000_000), model('admet-predictor', 'comp-chem', 'admet-platform')];
    await store.putReference('models', 'default', models.map((entry) => ({ kind: 'models', entry })), 'models.json');
    const events = poison(syntheticStream({ days: 50, seed: 21 }).map((e) => eventSchema.parse(e)));
    await store.append(events.map((event) => ({ event, raw: JSON.stringify({ note: PAYLOADS[0] }) })), []);
    const run = await detectStore(store);
    await store.putAlerts(run.alerts);
    await store.putIncidents(run.incidents);
    const inc = run.incidents.find((i) => i.principals.includes('alice'));
    assert.ok(inc, 'the scenario opens an incident on alice');
    incidentId = inc.id;

    upstream = await startModelServer();
    const adminToken = 'admin-token-for-e2e-tests-only';
    const limits = { rate_limits: [{ scope: 'principal', unit: 'instances', per: 'minute', limit: 600 }], budgets: [{ per_day: 5000, lifetime: 50000 }] };
    gateway = createGateway({ config: testConfig(upstream.url, join(dir, 'gw'), tokenSha256(adminToken), limits), logLevel: 'silent' });
    const started = await gateway.start();
    const adminUrl = started.adminUrl;
    gatewayUrl = started.url;
    const created = gateway.keys.create({ principal: 'alice', team: 'comp-chem', role: 'standard', ttlMs: null, note: null });
    aliceKey = created.key.id;
    aliceSecret = created.secret;
    const ok = await fetch(`${gatewayUrl}/v1/models/clf:predict`, { method: 'POST', headers: { authorization: `Bearer ${aliceSecret}`, 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[0.1, 0.2, 0.3, 0.4]] }) });
    assert.equal(ok.status, 200, 'the key works before containment');
    gateway.keys.create({ principal: 'bob', team: 'comp-chem', role: 'standard', ttlMs: null, note: null });

    web = await createWebServer({ store, uiDir: UI, port: 0, gateway: createGatewayAdminClient(adminUrl, adminToken), respond: { gateway: { adminUrl, token: adminToken } } });
    url = await web.start();
    await web.users.add({ username: 'rita', password: PW, role: 'responder' });
    await web.users.add({ username: 'vera', password: PW, role: 'viewer' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // The machine's network is closed: without these Chromium keeps trying Google's hosts.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    await web?.close();
    await gateway?.close();
    await upstream?.close();
    await store?.close();
    cleanup?.();
  });

  async function loggedIn(user: string): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('dialog', (d) => {
      // Our confirm() dialogs are accepted; anything else (alert from a payload) is a failure.
      if (d.type() === 'confirm') void d.accept();
      else {
        problems.push(`unexpected ${d.type()} dialog: ${d.message()}`);
        void d.dismiss();
      }
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 40[13]/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${url}/`);
    await page.waitForURL(/\/login$/);
    await page.fill('#username', user);
    await page.fill('#password', PW);
    await page.click('#submit');
    await page.waitForSelector('#incidents');
    return { page, problems };
  }

  async function canvasDrawn(page: Page, selector: string): Promise<boolean> {
    // Runs in the browser; typed structurally because this file is compiled without DOM types.
    return page.$eval(`${selector} canvas`, (c) => {
      const canvas = c as unknown as CanvasLike;
      const ctx = canvas.getContext('2d');
      if (!ctx || canvas.width === 0) return false;
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let ink = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) ink++;
      return ink > 500;
    });
  }

  it('logs in, opens the incident, sees the timeline and baseline charts, contains the attacker', async () => {
    const { page, problems } = await loggedIn('rita');
    await page.waitForSelector('#ingest-chart canvas');
    assert.ok(await canvasDrawn(page, '#alerts-chart'), 'alerts-per-day chart is drawn');
    assert.ok(await canvasDrawn(page, '#ingest-chart'), 'ingestion health chart is drawn');
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
    await page.click(`a[href="#/incidents/${incidentId}"]`);
    await page.waitForSelector('#timeline-chart canvas');
    assert.ok(await canvasDrawn(page, '#timeline-chart'), 'timeline chart is drawn');
    const timelineRows = await page.$$eval('#timeline tbody tr', (rows) => rows.length);
    assert.ok(timelineRows >= 2, 'the timeline lists the alerts');
    await page.screenshot({ path: join(SHOTS, 'incident.png'), fullPage: true });

    // The response playbook: start it, read the decision and clocks, run the key revocation step.
    // (Locator waits, not waitForFunction: the page's CSP forbids the eval that the latter uses.)
    await page.click('#start-playbook');
    await page.waitForSelector('#decision');
    assert.match((await page.textContent('#decision')) ?? '', /contain immediately/i, 'artifact theft selects immediate containment');
    assert.match((await page.textContent('#clocks')) ?? '', /15 min/);
    assert.ok((await page.$$eval('#triage tbody tr', (rows) => rows.length)) >= 6, 'triage checks are pre-filled');
    await page.click('#steps button[data-step="revoke_keys"]');
    await page.locator('#actions tbody tr', { hasText: 'revoke_keys' }).waitFor();
    assert.match((await page.textContent('#actions')) ?? '', /revoke_keys\s*rita\s*ok/);
    await page.screenshot({ path: join(SHOTS, 'playbook.png'), fullPage: true });
    await page.reload();
    await page.locator('#timeline tbody tr', { hasText: 'response: revoke_keys' }).waitFor();
    const alice = gateway.keys.list().find((k) => k.id === aliceKey)!;
    assert.ok(alice.revokedAt, "the attacker's key is revoked in the gateway");
    const refused = await fetch(`${gatewayUrl}/v1/models/clf:predict`, { method: 'POST', headers: { authorization: `Bearer ${aliceSecret}`, 'content-type': 'application/json' }, body: JSON.stringify({ instances: [[0.1, 0.2, 0.3, 0.4]] }) });
    assert.equal(refused.status, 401, 'the gateway refuses the revoked key');
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'MW_ERR_GW_KEY_REVOKED');
    assert.ok(gateway.keys.list().filter((k) => k.principal === 'bob').every((k) => !k.revokedAt), 'other keys untouched');

    await page.goto(`${url}/#/principals/alice`);
    await page.waitForSelector('#baseline-chart canvas');
    assert.ok(await canvasDrawn(page, '#baseline-chart'), 'baseline chart is drawn');
    await page.screenshot({ path: join(SHOTS, 'principal.png'), fullPage: true });
    await page.goto(`${url}/#/gateway`);
    await page.waitForSelector('#gateway-keys');
    assert.match((await page.textContent('#gateway-rejections')) ?? '', /MW_ERR_GW_KEY_REVOKED/, 'the refused request shows among the rejections');
    assert.match((await page.textContent('#gateway-limits')) ?? '', /600 instances per minute/, 'the rate limits in force are shown');
    await page.screenshot({ path: join(SHOTS, 'gateway.png'), fullPage: true });
    assert.deepEqual(problems, []);
  });

  it('keeps attacker-controlled strings as text: no payload runs, each shows verbatim', async () => {
    const { page, problems } = await loggedIn('rita');
    await page.goto(`${url}/#/events?principal=alice&kind=upload`);
    await page.waitForSelector('table.list tbody tr');
    const uploads = (await page.textContent('table.list')) ?? '';
    await page.goto(`${url}/#/events?principal=alice`);
    await page.waitForSelector('table.list tbody tr');
    const all = (await page.textContent('table.list')) ?? '';
    await page.goto(`${url}/#/principals/alice`);
    await page.waitForSelector('#transfers');
    const transfers = (await page.textContent('#transfers')) ?? '';
    await page.goto(`${url}/#/incidents/${incidentId}`);
    await page.waitForSelector('#timeline');
    await page.fill('#note-text', PAYLOADS[1]!);
    await page.click('text=Add note');
    await page.locator('#notes li', { hasText: '</script>' }).waitFor();
    const notes = (await page.textContent('#notes')) ?? '';
    await page.click('#timeline ~ table button, table button.link');
    await page.locator('#evidence', { hasText: '"id"' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'xss.png'), fullPage: true });
    const shown = uploads + all + transfers + notes;
    for (const p of PAYLOADS.slice(0, 3)) assert.ok(shown.includes(p), `payload shown verbatim: ${p}`);
    assert.equal(await page.evaluate(() => (globalThis as { __xss?: string }).__xss), undefined, 'no payload ran');
    assert.equal(await page.$$eval('main img, main svg, main script', (els) => els.length), 0, 'no element was created from a payload');
    assert.deepEqual(problems, []);
  });

  it('refuses what a role does not allow', async () => {
    const { page, problems } = await loggedIn('vera');
    await page.goto(`${url}/#/incidents/${incidentId}`);
    await page.waitForSelector('#timeline');
    assert.equal(await page.$('text=Revoke all gateway keys of alice'), null, 'viewers get no containment buttons');
    assert.equal(await page.$('#note-text'), null, 'viewers cannot add notes');
    await page.goto(`${url}/#/gateway`);
    await page.waitForSelector('main .error');
    assert.match((await page.textContent('main .error')) ?? '', /needs role responder.*MW_ERR_WEB_FORBIDDEN/);
    await page.click('#logout');
    await page.waitForURL(/\/login$/);
    // The fragment survives the redirect to the login page.
    await page.goto(`${url}/#/alerts`);
    await page.waitForURL(/\/login(#.*)?$/);
    assert.equal(await page.$('#incidents'), null);
    assert.deepEqual(problems, []);
  });
});
