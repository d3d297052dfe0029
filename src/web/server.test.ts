/** The API in-process: authentication, roles, CSRF, HR visibility, validation, headers, and the OpenAPI document. */
import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { eventSchema } from '../events/index.js';
import { detectStore } from '../detect/run.js';
import { model, person, syntheticStream } from '../detect/testkit.js';
import { openStore, type Store } from '../store/index.js';
import { withTempDir } from '../test-support/index.js';
import { AUTH_ROUTES_DOC, ROUTES } from './api.js';
import { createWebServer, type WebServer } from './server.js';

const PW = 'correct horse battery';

async function seed(store: Store): Promise<void> {
  const people = ['alice', 'bob', 'frank'].map((p) => person(p, 'comp-chem', ['binding-affinity']));
  people.push(...['carol', 'dave', 'erin'].map((p) => person(p, 'drug-discovery', ['kinase'])));
  await store.putReference('directory', 'default', people.map((entry) => ({ kind: 'directory', entry })), 'directory.csv');
  const models = [model('binding-affinity-predictor', 'comp-chem', 'binding-affinity'), model('toxicity-classifier', 'comp-chem', 'predictive-safety'), model('kinase-selectivity', 'drug-discovery', 'kinase', 'CONFIDENTIAL', 2_000_000), model('admet-predictor', 'comp-chem', 'admet-platform')];
  await store.putReference('models', 'default', models.map((entry) => ({ kind: 'models', entry })), 'models.json');
  const events = syntheticStream({ days: 50, seed: 21 }).map((e) => eventSchema.parse(e));
  await store.append(events.map((event) => ({ event, raw: '{}' })), []);
  const run = await detectStore(store);
  await store.putAlerts(run.alerts);
  await store.putIncidents(run.incidents);
}

function cookieOf(res: LightMyRequestResponse): string {
  const set = res.headers['set-cookie'];
  const all = (Array.isArray(set) ? set : [set]).filter((c): c is string => typeof c === 'string');
  return all.map((c) => c.split(';')[0]).join('; ');
}

describe('web API', () => {
  let dir: string;
  let store: Store;
  let web: WebServer;
  let cleanup: () => void;
  const sessions: Record<string, { cookie: string; csrf: string }> = {};

  async function login(username: string, password = PW): Promise<LightMyRequestResponse> {
    return web.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  }
  async function as(user: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, csrf = true): Promise<LightMyRequestResponse> {
    const s = sessions[user]!;
    return web.app.inject({ method, url, headers: { cookie: s.cookie, ...(csrf ? { 'x-csrf-token': s.csrf } : {}) }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  }

  before(async () => {
    await new Promise<void>((resolve) => {
      void withTempDir(async (d) => {
        dir = d;
        resolve();
        await new Promise<void>((r) => (cleanup = r));
      });
    });
    const ui = join(dir, 'ui');
    await mkdir(join(ui, 'assets'), { recursive: true });
    await writeFile(join(ui, 'index.html'), '<!doctype html><title>MirrorWatch</title>');
    await writeFile(join(ui, 'login.html'), '<!doctype html><title>Log in</title>');
    await writeFile(join(ui, 'assets', 'app.js'), 'export {};');
    store = await openStore({ path: join(dir, 'mw.duckdb') });
    await seed(store);
    web = await createWebServer({ store, uiDir: ui, loginPerMinute: 50 });
    await web.users.add({ username: 'vera', password: PW, role: 'viewer' });
    await web.users.add({ username: 'ann', password: PW, role: 'analyst' });
    await web.users.add({ username: 'hannah', password: PW, role: 'analyst', hr: true });
    await web.users.add({ username: 'root', password: PW, role: 'admin', hr: true });
    for (const u of ['vera', 'ann', 'hannah', 'root']) {
      const r = await login(u);
      assert.equal(r.statusCode, 200, r.body);
      sessions[u] = { cookie: cookieOf(r), csrf: (r.json() as { csrfToken: string }).csrfToken };
    }
  });
  after(async () => {
    await web.app.close();
    await store.close();
    cleanup();
  });

  it('refuses every API route and page without a session or token', async () => {
    for (const r of ROUTES) {
      const url = `/api/v1${r.path.replace('{id}', 'a'.repeat(24)).replace('{name}', 'alice').replace('{action}', 'freeze')}`;
      const res = await web.app.inject({ method: r.method, url, payload: r.method === 'GET' ? undefined : {} });
      assert.equal(res.statusCode, 401, `${r.method} ${url}`);
      assert.equal((res.json() as { error: { code: string } }).error.code, 'MW_ERR_WEB_UNAUTHENTICATED');
    }
    assert.equal((await web.app.inject({ url: '/api/v1/openapi.json' })).statusCode, 401);
    const page = await web.app.inject({ url: '/incidents/abc' });
    assert.equal(page.statusCode, 302);
    assert.equal(page.headers['location'], '/login');
    assert.equal((await web.app.inject({ url: '/login' })).statusCode, 200);
    const withSession = await web.app.inject({ url: '/incidents/abc', headers: { cookie: sessions['vera']!.cookie } });
    assert.equal(withSession.statusCode, 200);
  });

  it('logs in with the right password only; cookies are HttpOnly and SameSite=Strict; sessions end at logout', async () => {
    const bad = await login('vera', 'wrong password!!');
    assert.equal(bad.statusCode, 401);
    assert.equal((bad.json() as { error: { code: string } }).error.code, 'MW_ERR_WEB_LOGIN_FAILED');
    const nobody = await login('nobody', PW);
    assert.equal(nobody.statusCode, 401);
    const ok = await login('vera');
    const set = ([] as string[]).concat(ok.headers['set-cookie'] as string | string[]);
    const session = set.find((c) => c.startsWith('mw_session='))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Strict/);
    assert.doesNotMatch(session, /Secure/, 'not over plain HTTP');
    const cookie = cookieOf(ok);
    const csrf = (ok.json() as { csrfToken: string }).csrfToken;
    assert.equal((await web.app.inject({ url: '/api/v1/overview', headers: { cookie } })).statusCode, 200);
    assert.equal((await web.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, 'x-csrf-token': csrf } })).statusCode, 200);
    assert.equal((await web.app.inject({ url: '/api/v1/overview', headers: { cookie } })).statusCode, 401);
  });

  it('rate-limits login attempts', async () => {
    const w = await createWebServer({ store, loginPerMinute: 3 });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await w.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'vera', password: 'guess number ' + i } })).statusCode);
      assert.deepEqual(codes, [401, 401, 401, 429, 429]);
      const last = await w.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'vera', password: PW } });
      assert.equal((last.json() as { error: { code: string } }).error.code, 'MW_ERR_WEB_RATE_LIMITED', 'even the right password waits');
    } finally {
      await w.app.close();
    }
  });

  it('needs a CSRF token for state changes by cookie, not by API token', async () => {
    const inc = (await as('ann', 'GET', '/api/v1/incidents')).json() as { rows: Array<{ id: string }> };
    assert.ok(inc.rows.length >= 1);
    const id = inc.rows[0]!.id;
    const noCsrf = await as('ann', 'POST', `/api/v1/incidents/${id}/notes`, { text: 'looked at it' }, false);
    assert.equal(noCsrf.statusCode, 403);
    assert.equal((noCsrf.json() as { error: { code: string } }).error.code, 'MW_ERR_WEB_CSRF');
    const forged = await web.app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/notes`, headers: { cookie: sessions['ann']!.cookie, 'x-csrf-token': 'forged' }, payload: { text: 'x' } });
    assert.equal(forged.statusCode, 403);
    const ok = await as('ann', 'POST', `/api/v1/incidents/${id}/notes`, { text: '<script>alert(1)</script> checked' });
    assert.equal(ok.statusCode, 200, ok.body);
    const { token } = await web.users.createToken({ username: 'ann', label: 'soar' });
    const viaToken = await web.app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/notes`, headers: { authorization: `Bearer ${token}` }, payload: { text: 'from automation' } });
    assert.equal(viaToken.statusCode, 200, viaToken.body);
    const detail = (await as('vera', 'GET', `/api/v1/incidents/${id}`)).json() as { notes: Array<{ text: string; by: string }> };
    assert.deepEqual(detail.notes.map((n) => n.text).sort(), ['<script>alert(1)</script> checked', 'from automation'].sort(), 'stored verbatim: escaping is the renderer\'s job');
    const bad = await web.app.inject({ url: '/api/v1/overview', headers: { authorization: `Bearer ${token.slice(0, -2)}xx` } });
    assert.equal(bad.statusCode, 401);
  });

  it('starts the playbook for analysts and shows each incident\'s response and SLA state', async () => {
    const before = (await as('vera', 'GET', '/api/v1/incidents')).json() as { rows: Array<{ id: string; response: unknown }> };
    const id = before.rows[0]!.id;
    assert.equal(before.rows[0]!.response, null, 'no playbook yet');
    assert.equal((await as('vera', 'POST', `/api/v1/incidents/${id}/playbook`, { dryRun: false })).statusCode, 403, 'viewers cannot start it');
    const started = await as('ann', 'POST', `/api/v1/incidents/${id}/playbook`, { dryRun: false });
    assert.equal(started.statusCode, 200, started.body);
    const pb = (await as('vera', 'GET', `/api/v1/incidents/${id}/playbook`)).json() as { run: { decision: { owner: string } | null }; clocks: Array<{ state: string; target_minutes: number }> };
    assert.ok(pb.run.decision?.owner, 'a decision with an owner');
    assert.ok(pb.clocks.some((c) => c.target_minutes === 15), 'the 15-minute containment clock');
    const after = (await as('vera', 'GET', '/api/v1/incidents')).json() as { rows: Array<{ id: string; response: { sla: string; owner: string } | null }> };
    const row = after.rows.find((r) => r.id === id)!;
    // The incident opened weeks ago in event time and nobody acted: its clocks are breached.
    assert.equal(row.response?.sla, 'breached');
    assert.equal(row.response?.owner, pb.run.decision!.owner);
    assert.equal((await as('ann', 'POST', `/api/v1/incidents/${id}/playbook/steps/revoke_keys`, {})).statusCode, 403, 'containment needs responder');
    const stix = (await as('ann', 'GET', `/api/v1/incidents/${id}/stix`)).json() as { type: string; objects: Array<{ type: string }> };
    assert.equal(stix.type, 'bundle');
    assert.ok(stix.objects.some((o) => o.type === 'report'));
    const report = (await as('ann', 'GET', `/api/v1/incidents/${id}/report`)).json() as { markdown: string };
    assert.match(report.markdown, /^# /);
    const verify = (await as('ann', 'GET', '/api/v1/evidence/verify')).json() as { ok: boolean; entries: number };
    assert.equal(verify.ok, true);
    assert.ok(verify.entries > 0);
    assert.equal((await as('ann', 'POST', `/api/v1/incidents/${id}/playbook/close`, { decision: 'x' })).statusCode, 403, 'closing needs responder');
    assert.equal((await as('ann', 'POST', '/api/v1/detect', {})).statusCode, 403, 'detection runs need admin');
    const detect = await as('root', 'POST', '/api/v1/detect', {});
    assert.equal(detect.statusCode, 200, detect.body);
    assert.equal((detect.json() as { incidents: number }).incidents >= 1, true);
    const closed = (await as('root', 'POST', `/api/v1/incidents/${id}/playbook/close`, { decision: 'contained; keys revoked' })).json() as { status: string };
    assert.equal(closed.status, 'closed');
    const reopened = (await as('root', 'POST', `/api/v1/incidents/${id}/playbook/reopen`, { reason: 'new uploads seen' })).json() as { status: string };
    assert.equal(reopened.status, 'open');
  });

  it('enforces roles', async () => {
    const id = ((await as('vera', 'GET', '/api/v1/incidents')).json() as { rows: Array<{ id: string }> }).rows[0]!.id;
    const note = await as('vera', 'POST', `/api/v1/incidents/${id}/notes`, { text: 'viewer note' });
    assert.equal(note.statusCode, 403);
    assert.equal((note.json() as { error: { code: string } }).error.code, 'MW_ERR_WEB_FORBIDDEN');
    assert.equal((await as('ann', 'GET', '/api/v1/audit')).statusCode, 403);
    assert.equal((await as('ann', 'GET', '/api/v1/users')).statusCode, 403);
    assert.equal((await as('ann', 'POST', '/api/v1/gateway/keys/k1/revoke', {})).statusCode, 403, 'containment needs responder');
    const audit = (await as('root', 'GET', '/api/v1/audit?limit=1000')).json() as Array<{ action: string; user: string }>;
    assert.ok(audit.some((a) => a.action === 'note' && a.user === 'ann'), 'notes are in the evidence log');
    assert.ok(audit.some((a) => a.action === 'auth.login' && a.user === 'vera'), 'logins are in the evidence log');
    const created = await as('root', 'POST', '/api/v1/users', { username: 'rita', password: PW, role: 'responder' });
    assert.equal(created.statusCode, 200, created.body);
    const after = (await as('root', 'GET', '/api/v1/audit?limit=1000')).json() as Array<{ action: string; user: string; target: string }>;
    assert.ok(after.some((a) => a.action === 'user.add' && a.user === 'root' && a.target === 'rita'), 'user changes are audited');
    assert.equal((await as('root', 'POST', '/api/v1/users', { username: 'rita', password: PW, role: 'responder' })).statusCode, 409);
    assert.equal((await as('root', 'POST', '/api/v1/users', { username: 'tim', password: 'short', role: 'viewer' })).statusCode, 400);
  });

  it('shows HR data only to identities with HR access', async () => {
    const hrForbidden = await as('ann', 'GET', '/api/v1/events?kind=hr');
    assert.equal(hrForbidden.statusCode, 403);
    const annEvents = (await as('ann', 'GET', '/api/v1/events?principal=alice&limit=1000')).json() as { rows: Array<{ kind: string }> };
    assert.ok(annEvents.rows.length > 0);
    assert.ok(annEvents.rows.every((e) => e.kind !== 'hr'));
    const hrEvents = (await as('hannah', 'GET', '/api/v1/events?kind=hr')).json() as { rows: Array<{ kind: string }> };
    assert.ok(hrEvents.rows.length >= 1);
    const annView = (await as('ann', 'GET', '/api/v1/principals/alice')).json() as { hrWindow: unknown; hrEvents: unknown; daily: unknown[] };
    assert.equal(annView.hrWindow, null);
    assert.equal(annView.hrEvents, null);
    assert.ok(annView.daily.length > 20);
    const hView = (await as('hannah', 'GET', '/api/v1/principals/alice')).json() as { hrWindow: { start: string } | null };
    assert.ok(hView.hrWindow?.start, 'HR access sees the notice window');
    const annAlerts = (await as('ann', 'GET', '/api/v1/alerts?limit=1000')).json() as { rows: Array<{ detector: string; explanation: string }> };
    const hAlerts = (await as('hannah', 'GET', '/api/v1/alerts?limit=1000')).json() as { rows: Array<{ detector: string; explanation: string }> };
    assert.equal(annAlerts.rows.length, hAlerts.rows.length);
    const dep = hAlerts.rows.filter((a) => a.detector === 'departing-user');
    assert.ok(dep.length >= 1, 'the scenario has departure alerts');
    assert.ok(annAlerts.rows.filter((a) => a.detector === 'departing-user').every((a) => /hidden/.test(a.explanation)));
    assert.ok(dep.every((a) => !/hidden/.test(a.explanation)));
    assert.ok(annAlerts.rows.every((a) => !/resign|notice period|departing|last working/i.test(a.explanation)), 'no HR wording reaches a role without HR access');
    assert.ok(annAlerts.rows.some((a) => a.detector !== 'departing-user' && /HR reason|HR condition/.test(a.explanation)), 'raised alerts keep their facts, only the HR clause goes');
  });

  it('validates parameters with precise errors and never crashes on bad input', async () => {
    const r = await as('ann', 'GET', '/api/v1/alerts?severity=urgent');
    assert.equal(r.statusCode, 400);
    assert.match((r.json() as { error: { message: string } }).error.message, /severity/);
    assert.equal((await as('ann', 'GET', '/api/v1/alerts?limit=0')).statusCode, 400);
    assert.equal((await as('ann', 'GET', '/api/v1/alerts?bogus=1')).statusCode, 400, 'unknown parameters are refused, not ignored');
    assert.equal((await as('ann', 'GET', '/api/v1/incidents/not-an-id')).statusCode, 400);
    assert.equal((await as('ann', 'GET', `/api/v1/incidents/${'f'.repeat(24)}`)).statusCode, 404);
    assert.equal((await as('ann', 'GET', '/api/v1/nope')).statusCode, 404);
    const badJson = await web.app.inject({ method: 'POST', url: `/api/v1/incidents/${'f'.repeat(24)}/notes`, headers: { cookie: sessions['ann']!.cookie, 'x-csrf-token': sessions['ann']!.csrf, 'content-type': 'application/json' }, payload: '{"text": ' });
    assert.equal(badJson.statusCode, 400);
    assert.equal((badJson.json() as { error: { code: string } }).error.code, 'MW_ERR_WEB_BAD_REQUEST');
    const huge = await web.app.inject({ method: 'POST', url: `/api/v1/incidents/${'f'.repeat(24)}/notes`, headers: { cookie: sessions['ann']!.cookie, 'x-csrf-token': sessions['ann']!.csrf, 'content-type': 'application/json' }, payload: JSON.stringify({ text: 'x'.repeat(200_000) }) });
    assert.equal(huge.statusCode, 400);
    assert.equal((await as('ann', 'GET', '/api/v1/gateway')).statusCode, 403, 'gateway keys need responder');
    const gw = await as('root', 'GET', '/api/v1/gateway');
    assert.equal(gw.statusCode, 404, 'no gateway configured is a clear 404, not a crash');
    const ev = (await as('ann', 'GET', '/api/v1/events?limit=2&offset=3')).json() as { total: number; rows: unknown[] };
    assert.equal(ev.rows.length, 2);
    assert.ok(ev.total > 5);
  });

  it('sends a strict Content-Security-Policy and security headers', async () => {
    const r = await as('vera', 'GET', '/');
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
  });

  it('serves an OpenAPI 3.1 document covering exactly the served routes', async () => {
    const doc = (await as('vera', 'GET', '/api/v1/openapi.json')).json() as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
    assert.equal(doc.openapi, '3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const served = [...AUTH_ROUTES_DOC, ...ROUTES].map((r) => `${r.method} ${r.path}`).sort();
    assert.deepEqual(documented, served);
    for (const r of [...AUTH_ROUTES_DOC, ...ROUTES]) assert.ok(web.app.hasRoute({ method: r.method, url: `/api/v1${r.path.replace(/\{(\w+)\}/g, ':$1')}` }), `${r.method} ${r.path} is served`);
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
  });
});
