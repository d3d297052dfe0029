/**
 * The REST API under /api/v1 as data: each route has its method, path, the
 * least role allowed, zod schemas for its parameters, and a handler. The
 * server registers them and the OpenAPI 3.1 document is generated from the
 * same table, so the document cannot drift from what is served.
 */
import { z } from 'zod';
import { SEVERITIES } from '../detect/alert.js';
import type { EventKind } from '../events/index.js';
import { MwError } from '../errors/index.js';
import type { Store } from '../store/index.js';
import type { Chem } from '../chem/index.js';
import { detectStore } from '../detect/run.js';
import { chemistryView } from './chemistry.js';
import type { GatewayAdminClient } from './gateway-client.js';
import type { Responder } from '../respond/index.js';
import { clockStatus, CONFIRMABLE_FACTS, renderMarkdown, reportBlocks, flatIocs, getRun } from '../respond/index.js';
import { eventPage, overview, principalView, redactAlert, redactIncident, visibleEvent } from './queries.js';
import type { Identity, Role, UserStore } from './users.js';
import { ROLES } from './users.js';
import type { SessionStore } from './sessions.js';

export interface ApiContext {
  store: Store;
  users: UserStore;
  sessions: SessionStore;
  gateway: GatewayAdminClient | null;
  /** The response playbook runner (containment through the gateway when configured). */
  responder(): Responder;
  /** RDKit, loaded on first use (about a second). */
  chem(): Promise<Chem>;
  /** Appends a state change to the evidence/audit log. */
  audit(who: Identity, action: string, target: string, details?: Record<string, unknown>): Promise<void>;
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI-style path under /api/v1, with {param}s. */
  path: string;
  summary: string;
  tag: string;
  /** Least role allowed; null: no authentication (login only). */
  role: Role | null;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodObject;
  /** Response description for the document. */
  returns: string;
  handler(input: { who: Identity; params: Record<string, unknown>; query: Record<string, unknown>; body: Record<string, unknown> }, ctx: ApiContext): Promise<unknown>;
}

const page = {
  limit: z.coerce.number().int().min(1).max(1000).default(50).describe('page size'),
  offset: z.coerce.number().int().min(0).default(0).describe('rows to skip'),
};
const isoTime = z.string().regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?)?$/, 'an ISO 8601 UTC time or date');
const severityList = z
  .string()
  .transform((s) => s.split(',').filter(Boolean))
  .pipe(z.array(z.enum(SEVERITIES)))
  .describe('comma-separated severities');
const id24 = z.object({ id: z.string().regex(/^[0-9a-f]{24}$/, 'a 24-hex id') });

function normTime(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const t = s.length === 10 ? `${s}T00:00:00Z` : s.endsWith('Z') ? s : `${s}Z`;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new MwError('MW_ERR_WEB_BAD_REQUEST', `not a valid time: ${s}`);
  return new Date(ms).toISOString();
}

function needGateway(ctx: ApiContext): GatewayAdminClient {
  if (!ctx.gateway) throw new MwError('MW_ERR_WEB_NOT_FOUND', 'no gateway is configured for this dashboard (serve --gateway-admin URL with MIRRORWATCH_GATEWAY_ADMIN_TOKEN)');
  return ctx.gateway;
}

export const ROUTES: ApiRoute[] = [
  {
    method: 'GET',
    path: '/overview',
    summary: 'Open incidents by severity, alerts per day, top principals by risk, posture and ingestion health',
    tag: 'overview',
    role: 'viewer',
    returns: 'the overview',
    handler: (_i, ctx) => overview(ctx.store),
  },
  {
    method: 'GET',
    path: '/incidents',
    summary: 'Incidents, oldest first',
    tag: 'incidents',
    role: 'viewer',
    query: z.object({ principal: z.string().optional(), severity: severityList.optional(), ...page }),
    returns: '{ total, rows: Array<Incident & { response }> } where response is null before the playbook starts, else { status, decision, owner, sla: running|met|breached }',
    async handler({ who, query }, ctx) {
      const r = await ctx.store.listIncidents({
        ...(query['principal'] ? { principal: query['principal'] as string } : {}),
        ...(query['severity'] ? { severities: query['severity'] as (typeof SEVERITIES)[number][] } : {}),
        limit: query['limit'] as number,
        offset: query['offset'] as number,
      });
      const now = Date.now();
      const rows = await Promise.all(
        r.rows.map(async (i) => {
          const run = await getRun(ctx.store, i.id);
          const states = run ? run.clocks.map((c) => clockStatus(c, now).state) : [];
          // The worst clock speaks for the incident: one breached SLA is a breached incident.
          const sla = states.includes('breached') ? 'breached' : states.includes('running') ? 'running' : states.length ? 'met' : null;
          return { ...redactIncident(i, who), response: run ? { status: run.status, decision: run.decision?.decision ?? null, owner: run.decision?.owner ?? null, sla } : null };
        }),
      );
      return { total: r.total, rows };
    },
  },
  {
    method: 'GET',
    path: '/incidents/{id}',
    summary: 'One incident with its alerts',
    tag: 'incidents',
    role: 'viewer',
    params: id24,
    returns: '{ incident, alerts }',
    async handler({ who, params }, ctx) {
      const incident = await ctx.store.getIncident(params['id'] as string);
      if (!incident) throw new MwError('MW_ERR_WEB_NOT_FOUND', `no incident ${String(params['id'])}`);
      const alerts = (await ctx.store.listAlerts({ ids: incident.alerts, limit: 1000 })).rows.map((a) => redactAlert(a, who));
      // Notes live in the evidence log (hash-chained), whether written here, by `incident note` or by the playbook run.
      const notes = (await ctx.responder().evidence.entries({ incident: incident.id }))
        .filter((e) => e.kind === 'note')
        .map((e) => ({ at: e.at, by: e.actor, text: String((e.body as { text?: unknown }).text ?? '') }));
      return { incident: redactIncident(incident, who), alerts, notes };
    },
  },
  {
    method: 'POST',
    path: '/incidents/{id}/notes',
    summary: 'Add an analyst note to an incident',
    tag: 'incidents',
    role: 'analyst',
    params: id24,
    body: z.object({ text: z.string().min(1).max(10_000) }),
    returns: 'the note',
    async handler({ who, params, body }, ctx) {
      const id = params['id'] as string;
      if (!(await ctx.store.getIncident(id))) throw new MwError('MW_ERR_WEB_NOT_FOUND', `no incident ${id}`);
      const text = body['text'] as string;
      const run = await getRun(ctx.store, id);
      // With a playbook run the runner records the note (it also lands in the run's report); otherwise straight into the evidence log.
      if (run) await ctx.responder().note(id, text, who.username);
      else await ctx.responder().evidence.append({ kind: 'note', incident: id, actor: who.username, body: { text } });
      const entries = (await ctx.responder().evidence.entries({ incident: id })).filter((e) => e.kind === 'note');
      const last = entries[entries.length - 1]!;
      return { at: last.at, by: last.actor, text };
    },
  },
  {
    method: 'GET',
    path: '/incidents/{id}/playbook',
    summary: 'The incident\'s playbook run: decision, owner, SLA clocks, triage, steps, actions (null before it is instantiated)',
    tag: 'response',
    role: 'viewer',
    params: id24,
    returns: '{ run, clocks } or { run: null }',
    async handler({ params }, ctx) {
      const id = params['id'] as string;
      if (!(await ctx.store.getIncident(id))) throw new MwError('MW_ERR_WEB_NOT_FOUND', `no incident ${id}`);
      const run = await getRun(ctx.store, id);
      // SLA clocks run in wall-clock time once a responder works the incident live.
      return run ? { run, clocks: run.clocks.map((c) => clockStatus(c, Date.now())) } : { run: null, clocks: [] };
    },
  },
  {
    method: 'POST',
    path: '/incidents/{id}/playbook',
    summary: 'Instantiate the playbook on the incident (decision matrix, SLA clocks, triage, IoCs); idempotent',
    tag: 'response',
    role: 'analyst',
    params: id24,
    body: z.object({ dryRun: z.boolean().default(false) }),
    returns: '{ run, created, actions }',
    async handler({ who, params, body }, ctx) {
      const r = await ctx.responder().instantiate(params['id'] as string, { dryRun: body['dryRun'] as boolean, actor: who.username });
      await ctx.audit(who, 'playbook.instantiate', params['id'] as string, { dryRun: body['dryRun'], created: r.created });
      return r;
    },
  },
  {
    method: 'POST',
    path: '/incidents/{id}/playbook/steps/{step}',
    summary: 'Run a containment step of the playbook (through the gateway, or record a manual step as done)',
    tag: 'response',
    role: 'responder',
    params: z.object({ id: z.string().regex(/^[0-9a-f]{24}$/, 'a 24-hex id'), step: z.string().regex(/^[a-z0-9_-]{1,64}$/) }),
    body: z.object({ dryRun: z.boolean().default(false), markDone: z.boolean().default(false), reason: z.string().max(1000).optional() }),
    returns: '{ run, action }',
    async handler({ who, params, body }, ctx) {
      const r = await ctx.responder().act(params['id'] as string, params['step'] as string, {
        actor: who.username,
        dryRun: body['dryRun'] as boolean,
        markDone: body['markDone'] as boolean,
        ...(body['reason'] ? { reason: body['reason'] as string } : {}),
      });
      return r;
    },
  },
  {
    method: 'POST',
    path: '/incidents/{id}/playbook/confirm',
    summary: 'Confirm or deny a fact only a responder can establish (insider confirmed, legal impact, competitor involved)',
    tag: 'response',
    role: 'responder',
    params: id24,
    body: z.object({ fact: z.enum(CONFIRMABLE_FACTS as unknown as [string, ...string[]]), value: z.boolean() }),
    returns: 'the run',
    async handler({ who, params, body }, ctx) {
      return ctx.responder().confirm(params['id'] as string, body['fact'] as (typeof CONFIRMABLE_FACTS)[number], body['value'] as boolean, who.username);
    },
  },
  {
    method: 'POST',
    path: '/incidents/{id}/playbook/close',
    summary: 'Close the incident with a final decision (as `incident close`)',
    tag: 'response',
    role: 'responder',
    params: id24,
    body: z.object({ decision: z.string().min(1).max(2000) }),
    returns: 'the run',
    handler: ({ who, params, body }, ctx) => ctx.responder().close(params['id'] as string, body['decision'] as string, who.username),
  },
  {
    method: 'POST',
    path: '/incidents/{id}/playbook/reopen',
    summary: 'Reopen a closed incident (as `incident reopen`)',
    tag: 'response',
    role: 'responder',
    params: id24,
    body: z.object({ reason: z.string().min(1).max(2000) }),
    returns: 'the run',
    handler: ({ who, params, body }, ctx) => ctx.responder().reopen(params['id'] as string, who.username, body['reason'] as string),
  },
  {
    method: 'POST',
    path: '/incidents/{id}/playbook/hold',
    summary: 'Legal hold: copy the incident\'s evidence events with their record hashes into the evidence log (as `incident hold`)',
    tag: 'response',
    role: 'responder',
    params: id24,
    returns: '{ run, copied }',
    handler: ({ who, params }, ctx) => ctx.responder().hold(params['id'] as string, who.username),
  },
  {
    method: 'GET',
    path: '/evidence/verify',
    summary: 'Verify the hash-chained evidence log (as `evidence verify`): the first broken entry, if any',
    tag: 'response',
    role: 'analyst',
    returns: '{ ok, entries, head, broken }',
    handler: (_i, ctx) => ctx.responder().evidence.verify(),
  },
  {
    method: 'POST',
    path: '/detect',
    summary: 'Run detection over events stored since the last run (as `detect`, incremental) and keep the alerts and incidents',
    tag: 'detect',
    role: 'admin',
    returns: '{ mode, analysed, alerts, incidents }',
    async handler({ who }, ctx) {
      const run = await detectStore(ctx.store, { incremental: true });
      await ctx.store.putAlerts(run.alerts);
      await ctx.store.putIncidents(run.incidents);
      await ctx.audit(who, 'detect', 'store', { alerts: run.alerts.length, incidents: run.incidents.length });
      return { mode: run.mode, analysed: run.stats.delivered, alerts: run.alerts.length, incidents: run.incidents.length };
    },
  },
  {
    method: 'GET',
    path: '/incidents/{id}/iocs',
    summary: 'Indicators of compromise collected for the incident',
    tag: 'response',
    role: 'analyst',
    params: id24,
    returns: '{ iocs, flat }',
    async handler({ params }, ctx) {
      const c = await ctx.responder().collect(params['id'] as string);
      return { iocs: c.iocs, flat: flatIocs(c.iocs) };
    },
  },
  {
    method: 'GET',
    path: '/incidents/{id}/stix',
    summary: 'The incident and its IoCs as a STIX 2.1 bundle',
    tag: 'response',
    role: 'analyst',
    params: id24,
    returns: 'a STIX 2.1 bundle',
    handler: ({ params }, ctx) => ctx.responder().stix(params['id'] as string),
  },
  {
    method: 'GET',
    path: '/incidents/{id}/report',
    summary: 'The incident report (Markdown)',
    tag: 'response',
    role: 'analyst',
    params: id24,
    returns: '{ markdown }',
    async handler({ params }, ctx) {
      const id = params['id'] as string;
      const responder = ctx.responder();
      const incident = await ctx.store.getIncident(id);
      if (!incident) throw new MwError('MW_ERR_WEB_NOT_FOUND', `no incident ${id}`);
      const run = (await getRun(ctx.store, id)) ?? (await responder.instantiate(id, { dryRun: true })).run;
      const pb = responder.playbooks.find((p) => p.playbook.id === run.playbook.id) ?? responder.playbooks[0]!;
      const c = await responder.collect(id);
      const v = await responder.evidence.verify();
      return { markdown: renderMarkdown(reportBlocks({ incident, run, playbook: pb.playbook, iocs: c.iocs, evidence: { entries: v.entries, head: v.head, ok: v.ok }, now: Date.now() })) };
    },
  },
  {
    method: 'GET',
    path: '/alerts',
    summary: 'Alerts in event-time order, filtered and paginated',
    tag: 'alerts',
    role: 'viewer',
    query: z.object({
      principal: z.string().optional(),
      detector: z.string().optional(),
      severity: severityList.optional(),
      since: isoTime.optional(),
      until: isoTime.optional(),
      ...page,
    }),
    returns: '{ total, rows: Alert[] }',
    async handler({ who, query }, ctx) {
      const since = normTime(query['since'] as string | undefined);
      const until = normTime(query['until'] as string | undefined);
      const r = await ctx.store.listAlerts({
        ...(query['principal'] ? { principal: query['principal'] as string } : {}),
        ...(query['detector'] ? { detector: query['detector'] as string } : {}),
        ...(query['severity'] ? { severities: query['severity'] as (typeof SEVERITIES)[number][] } : {}),
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
        limit: query['limit'] as number,
        offset: query['offset'] as number,
      });
      return { total: r.total, rows: r.rows.map((a) => redactAlert(a, who)) };
    },
  },
  {
    method: 'GET',
    path: '/events',
    summary: 'Events in event-time order, filtered, searched and paginated (HR events only with HR access)',
    tag: 'events',
    role: 'viewer',
    query: z.object({
      kind: z.enum(['inference', 'registry', 'object', 'upload', 'hr']).optional(),
      principal: z.string().optional(),
      since: isoTime.optional(),
      until: isoTime.optional(),
      q: z.string().max(200).optional().describe('case-insensitive text search over the row'),
      ...page,
    }),
    returns: '{ total (null when beyond the counting horizon), rows }',
    async handler({ who, query }, ctx) {
      if (query['kind'] === 'hr' && !who.hr) throw new MwError('MW_ERR_WEB_FORBIDDEN', 'HR events need HR access');
      const since = normTime(query['since'] as string | undefined);
      const until = normTime(query['until'] as string | undefined);
      return eventPage(ctx.store, who, {
        ...(query['kind'] ? { kind: query['kind'] as EventKind } : {}),
        ...(query['principal'] ? { principal: query['principal'] as string } : {}),
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
        ...(query['q'] ? { text: query['q'] as string } : {}),
        limit: query['limit'] as number,
        offset: query['offset'] as number,
      });
    },
  },
  {
    method: 'GET',
    path: '/events/{id}',
    summary: 'One event with its original record (evidence)',
    tag: 'events',
    role: 'analyst',
    params: z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'a 32-hex event id') }),
    returns: 'the event with `raw`',
    async handler({ who, params }, ctx) {
      const [e] = await ctx.store.getEvents([params['id'] as string]);
      if (!e || !visibleEvent(e, who)) throw new MwError('MW_ERR_WEB_NOT_FOUND', `no event ${String(params['id'])}`);
      return e;
    },
  },
  {
    method: 'GET',
    path: '/principals/{name}',
    summary: 'A principal: daily queries against their baseline band, transfers, incidents (HR window with HR access)',
    tag: 'principals',
    role: 'viewer',
    params: z.object({ name: z.string().min(1).max(256) }),
    returns: 'the principal view',
    async handler({ who, params }, ctx) {
      const v = await principalView(ctx.store, params['name'] as string, who);
      if (!v) throw new MwError('MW_ERR_WEB_NOT_FOUND', `no principal ${String(params['name'])}`);
      return v;
    },
  },
  {
    method: 'GET',
    path: '/principals/{name}/chemistry',
    summary: 'A principal\'s queries in chemical space: a 2-D map against their team, focus and diversity per day',
    tag: 'principals',
    role: 'viewer',
    params: z.object({ name: z.string().min(1).max(256) }),
    returns: '{ points, explained, days, method }',
    async handler({ params }, ctx) {
      return chemistryView(ctx.store, await ctx.chem(), params['name'] as string);
    },
  },
  {
    method: 'GET',
    path: '/posture',
    summary: 'The latest posture scan stored with `mirrorwatch scan --store`',
    tag: 'posture',
    role: 'viewer',
    returns: 'the stored scan report, or null',
    async handler(_i, ctx) {
      return (await ctx.store.getDocument('posture', 'latest'))?.body ?? null;
    },
  },
  {
    method: 'GET',
    path: '/gateway',
    summary: 'Gateway keys and contained principals, from its admin API',
    tag: 'gateway',
    role: 'responder',
    returns: '{ url, keys, principals, limits, requests, rejections, budgets, riskActions }',
    async handler(_i, ctx) {
      const gw = needGateway(ctx);
      const [keys, principals, metrics, limits] = await Promise.all([gw.get('/admin/keys'), gw.get('/admin/principals'), gw.metrics(), gw.get('/admin/limits')]);
      const pick = (name: string) => metrics.filter((m) => m.name === name).map((m) => ({ ...m.labels, value: m.value }));
      return {
        url: gw.url,
        keys,
        principals,
        limits,
        requests: pick('mirrorwatch_gateway_requests_total'),
        rejections: pick('mirrorwatch_gateway_rejections_total'),
        budgets: pick('mirrorwatch_gateway_budget_remaining'),
        riskActions: pick('mirrorwatch_gateway_risk_actions_total'),
      };
    },
  },
  {
    method: 'POST',
    path: '/gateway/keys/{id}/revoke',
    summary: 'Revoke a gateway API key (containment)',
    tag: 'gateway',
    role: 'responder',
    params: z.object({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/) }),
    body: z.object({ reason: z.string().max(1000).optional() }),
    returns: 'the gateway answer',
    async handler({ who, params, body }, ctx) {
      const id = params['id'] as string;
      const r = await needGateway(ctx).post(`/admin/keys/${encodeURIComponent(id)}/revoke`, {});
      await ctx.audit(who, 'gateway.key.revoke', id, { reason: body['reason'] ?? null });
      return r;
    },
  },
  {
    method: 'POST',
    path: '/gateway/principals/{name}/{action}',
    summary: 'Contain a principal at the gateway: freeze, throttle, output-policy, or lift',
    tag: 'gateway',
    role: 'responder',
    params: z.object({ name: z.string().min(1).max(256), action: z.enum(['freeze', 'throttle', 'output-policy', 'lift']) }),
    body: z.object({
      reason: z.string().max(1000).optional(),
      duration: z.string().regex(/^\d+[smhd]$/).optional(),
      requests_per_second: z.number().positive().optional(),
      policy: z.string().optional(),
      what: z.string().optional(),
    }),
    returns: 'the gateway answer',
    async handler({ who, params, body }, ctx) {
      const name = params['name'] as string;
      const action = params['action'] as string;
      const r = await needGateway(ctx).post(`/admin/principals/${encodeURIComponent(name)}/${action}`, body);
      await ctx.audit(who, `gateway.principal.${action}`, name, body);
      return r;
    },
  },
  {
    method: 'GET',
    path: '/audit',
    summary: 'The dashboard audit log (from the hash-chained evidence log): every state change, who, what, when',
    tag: 'admin',
    role: 'admin',
    query: z.object({ ...page }),
    returns: 'audit entries, oldest first',
    async handler({ query }, ctx) {
      // Every entry of the evidence log is a state change: dashboard audits, notes, playbook runs and actions, CLI work.
      const all = await ctx.responder().evidence.entries();
      const offset = query['offset'] as number;
      return all.slice(offset, offset + (query['limit'] as number)).map((e) => {
        const b = (e.kind === 'audit' ? e.body : {}) as { action?: string; target?: string; via?: string; details?: unknown };
        return { seq: e.seq, at: e.at, user: e.actor, kind: e.kind, incident: e.incident, action: b.action ?? e.kind, target: b.target ?? e.incident, hash: e.hash };
      });
    },
  },
  {
    method: 'GET',
    path: '/users',
    summary: 'Dashboard users (no password hashes)',
    tag: 'admin',
    role: 'admin',
    returns: 'users',
    handler: (_i, ctx) => ctx.users.list(),
  },
  {
    method: 'POST',
    path: '/users',
    summary: 'Create a dashboard user',
    tag: 'admin',
    role: 'admin',
    body: z.object({ username: z.string(), password: z.string(), role: z.enum(ROLES), hr: z.boolean().default(false) }),
    returns: 'the user (no hash)',
    async handler({ who, body }, ctx) {
      const u = await ctx.users.add({ username: body['username'] as string, password: body['password'] as string, role: body['role'] as Role, hr: body['hr'] as boolean });
      await ctx.audit(who, 'user.add', u.username, { role: u.role, hr: u.hr });
      return { username: u.username, role: u.role, hr: u.hr, createdAt: u.createdAt };
    },
  },
  {
    method: 'DELETE',
    path: '/users/{name}',
    summary: 'Remove a dashboard user, their tokens and sessions',
    tag: 'admin',
    role: 'admin',
    params: z.object({ name: z.string() }),
    returns: '{ removed }',
    async handler({ who, params }, ctx) {
      const name = params['name'] as string;
      const removed = await ctx.users.remove(name);
      if (!removed) throw new MwError('MW_ERR_WEB_NOT_FOUND', `no user ${name}`);
      ctx.sessions.deleteUser(name);
      await ctx.audit(who, 'user.remove', name);
      return { removed };
    },
  },
];

const jsonSchema = (s: z.ZodType): Record<string, unknown> => {
  const { $schema: _s, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', pattern: '^MW_ERR_' }, message: { type: 'string' } } } },
};

/** The OpenAPI 3.1 document for ROUTES plus the authentication routes. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const op = (r: Pick<ApiRoute, 'method' | 'path' | 'summary' | 'tag' | 'role' | 'params' | 'query' | 'body' | 'returns'>): void => {
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!schema) continue;
      const js = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(js.properties ?? {}))
        parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
    }
    const responses: Record<string, unknown> = {
      '200': { description: r.returns, content: { 'application/json': { schema: {} } } },
      '400': { description: 'MW_ERR_WEB_BAD_REQUEST', content: { 'application/json': { schema: errorSchema } } },
    };
    if (r.role) {
      responses['401'] = { description: 'MW_ERR_WEB_UNAUTHENTICATED', content: { 'application/json': { schema: errorSchema } } };
      responses['403'] = { description: `MW_ERR_WEB_FORBIDDEN (needs role ${r.role}) or MW_ERR_WEB_CSRF`, content: { 'application/json': { schema: errorSchema } } };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${r.path.replace(/[{}]/g, '').replace(/\/(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
      ...(r.role ? { 'x-mirrorwatch-role': r.role, security: [{ session: [] }, { token: [] }] } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses,
    };
  };
  for (const r of [...AUTH_ROUTES_DOC, ...ROUTES]) op(r);
  return {
    openapi: '3.1.0',
    info: { title: 'MirrorWatch API', version, description: 'Incidents, alerts, events, principals, posture and gateway containment. Errors carry the catalogued MW_ERR_ codes (docs/errors.md).' },
    servers: [{ url: '/api/v1' }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'mw_session', description: 'Browser session; state-changing requests also need the x-csrf-token header.' },
        token: { type: 'http', scheme: 'bearer', description: 'API token from `mirrorwatch users token`.' },
      },
    },
    paths,
  };
}

/** Routes the server implements itself (sessions, the document), described here for the document. */
export const AUTH_ROUTES_DOC: Array<Pick<ApiRoute, 'method' | 'path' | 'summary' | 'tag' | 'role' | 'body' | 'returns'>> = [
  { method: 'POST', path: '/auth/login', summary: 'Log in; sets the session cookie (rate-limited)', tag: 'auth', role: null, body: z.object({ username: z.string(), password: z.string() }), returns: '{ user, csrfToken }' },
  { method: 'POST', path: '/auth/logout', summary: 'Log out (ends the session)', tag: 'auth', role: 'viewer', returns: '{ ok }' },
  { method: 'GET', path: '/auth/me', summary: 'The current identity and a CSRF token for state-changing requests', tag: 'auth', role: 'viewer', returns: '{ user, csrfToken }' },
  { method: 'GET', path: '/openapi.json', summary: 'This document', tag: 'meta', role: 'viewer', returns: 'OpenAPI 3.1' },
];
