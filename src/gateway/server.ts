/**
 * The gateway's request path. Order of checks, cheapest and least revealing
 * first: route allow-list, key, containment state, body (type, JSON, batch
 * cap), request-side policy, risk hook, rate limits, budget reservation,
 * forward, output policy, audit. Budgets are reserved before forwarding and
 * refunded when the model server fails, so a caller pays only for answers.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { Transform } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino } from 'pino';
import { Pool } from 'undici';
import type { InferenceEvent } from '../events/index.js';
import { ERRORS, type ErrorCode } from '../errors/index.js';
import { decodeRequest, instancesOf } from '../sources/shared/bodies.js';
import type { AuditSink } from './audit.js';
import { AUDIT_SCHEMA } from './audit.js';
import type { GatewayConfig, ModelConfig, OutputPolicy } from './config.js';
import { CountersUnavailableError, type CounterStore, type RateItem, type Reservation, type ReserveItem } from './counters.js';
import { jsonErrorPosition, type JsonErrorPosition } from './json-position.js';
import { hardenOpenAiRequest, hardenResponse, hardenStreamChunk } from './harden.js';
import type { KeyRecord, KeyStore } from './keys.js';
import type { GatewayMetrics } from './metrics.js';
import { combineDecisions, NO_RISK, type ContainmentState, type RiskDecision, type RiskHook } from './risk.js';
import { matchRoute, type RouteMatch } from './routes.js';

export interface ServerDeps {
  config: GatewayConfig;
  keys: KeyStore;
  counters: CounterStore;
  containment: ContainmentState;
  metrics: GatewayMetrics;
  audit: AuditSink;
  hooks: readonly RiskHook[];
  canonicalSmiles: (s: string) => string | null;
  logLevel: string;
  now: () => number;
}

interface Ctx {
  id: string;
  start: number;
  route: RouteMatch;
  key: KeyRecord | null;
}

/** The request context rides on the request (a fastify decoration, so every request has the same shape). */
type CtxRequest = FastifyRequest & { mwCtx: Ctx | null };

/**
 * What the rate limits and budgets of one key on one model are, built on the key's first request
 * to the model (and the budget keys again each UTC day) instead of per request: the rules that
 * match, their counter keys and rates. Items for a single instance, the common request, are kept
 * whole; the counter stores only read them.
 */
interface Plan {
  rates: Array<{ key: string; perInstance: boolean; emissionMs: number; burst: number }>;
  rate1: RateItem[];
  budgets: Array<{ i: number; perDay: number | undefined; lifetime: number | undefined }>;
  dayStart: number;
  dayEnd: number;
  budget1: ReserveItem[];
  budgetTemplate: ReserveItem[];
}

const PERIOD_MS = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;
const DAY_MS = 86_400_000;

export class GatewayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function errorBody(code: ErrorCode, message: string, requestId: string, extra: Record<string, unknown> = {}): unknown {
  // `type` and `code` keep the shape OpenAI clients parse (error.message, error.type, error.code).
  return { error: { code, message, type: ERRORS[code].status >= 500 ? 'server_error' : 'invalid_request_error', request_id: requestId, ...extra } };
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers['authorization'];
  if (typeof h === 'string' && /^bearer /i.test(h)) return h.slice(7).trim();
  const k = req.headers['x-api-key'];
  return typeof k === 'string' ? k.trim() : null;
}

function matches(list: readonly string[], model: string): boolean {
  return list.includes('*') || list.includes(model);
}

/** `?` and what follows cut off; most request URLs have none, and then nothing is allocated. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

// Requests arrive several per millisecond under load: one ISO string per millisecond serves them all.
let isoMs = NaN;
let isoText = '';
function isoTime(ms: number): string {
  if (ms !== isoMs) {
    isoText = new Date(ms).toISOString();
    isoMs = ms;
  }
  return isoText;
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function buildServer(d: ServerDeps): FastifyInstance {
  const { config } = d;
  // Per key record and model; a reloaded key file gives new records, and the old plans go with them.
  const plans = new WeakMap<KeyRecord, Map<ModelConfig, Plan>>();
  // Counter series of answered requests per model and status, looked up without building a label key.
  const answered = new Map<ModelConfig, Map<number, { v: number }>>();
  const requestsSeries = (m: ModelConfig, status: number): { v: number } => {
    let byStatus = answered.get(m);
    if (!byStatus) answered.set(m, (byStatus = new Map()));
    let e = byStatus.get(status);
    if (!e) byStatus.set(status, (e = d.metrics.requests.series({ model: m.name, protocol: m.protocol, status: String(status) })));
    return e;
  };
  const forwarded = new Map<ModelConfig, { v: number }>();
  const instancesSeries = (m: ModelConfig): { v: number } => {
    let e = forwarded.get(m);
    if (!e) forwarded.set(m, (e = d.metrics.instances.series({ model: m.name })));
    return e;
  };
  const planFor = (key: KeyRecord, m: ModelConfig, now: number): Plan => {
    let byModel = plans.get(key);
    if (!byModel) plans.set(key, (byModel = new Map()));
    let plan = byModel.get(m);
    if (!plan) {
      const rates: Plan['rates'] = [];
      config.rate_limits.forEach((r, i) => {
        if (!matches(r.models, m.name) || (r.roles && !r.roles.includes(key.role))) return;
        const who = r.scope === 'key' ? `k:${key.id}` : `p:${key.principal}`;
        const emissionMs = PERIOD_MS[r.per] / r.limit;
        rates.push({ key: `rate:${i}:${who}:${m.name}`, perInstance: r.unit !== 'requests', emissionMs, burst: r.burst ?? r.limit });
      });
      const budgets: Plan['budgets'] = [];
      config.budgets.forEach((b, i) => {
        if (!matches(b.models, m.name) || (b.roles && !b.roles.includes(key.role))) return;
        budgets.push({ i, perDay: b.per_day, lifetime: b.lifetime });
      });
      plan = { rates, rate1: rates.map((r) => ({ key: r.key, cost: 1, emissionMs: r.emissionMs, burst: r.burst })), budgets, dayStart: 0, dayEnd: 0, budget1: [], budgetTemplate: [] };
      byModel.set(m, plan);
    }
    if (now < plan.dayStart || now >= plan.dayEnd) {
      const day = utcDay(now);
      plan.dayStart = Date.parse(day);
      plan.dayEnd = plan.dayStart + DAY_MS;
      const items: ReserveItem[] = [];
      for (const b of plan.budgets) {
        if (b.perDay !== undefined) items.push({ key: `budget:${b.i}:day:${day}:${key.principal}:${m.name}`, amount: 1, limit: b.perDay, expiresAt: plan.dayStart + 2 * DAY_MS });
        if (b.lifetime !== undefined) items.push({ key: `budget:${b.i}:life:${key.principal}:${m.name}`, amount: 1, limit: b.lifetime });
      }
      plan.budget1 = items;
      plan.budgetTemplate = items;
      for (const it of items) d.metrics.trackBudget({ principal: key.principal, model: m.name, budget: it.key.includes(':day:') ? 'daily' : 'lifetime' }, it.key, it.limit);
    }
    return plan;
  };
  const pools = new Map<string, Pool>();
  for (const m of config.models) {
    const origin = new URL(m.upstream).origin;
    if (!pools.has(origin)) {
      pools.set(
        origin,
        new Pool(origin, {
          connections: config.limits.upstream_connections,
          connect: { timeout: config.limits.upstream_connect_timeout_ms },
          headersTimeout: config.limits.upstream_timeout_ms,
          bodyTimeout: config.limits.upstream_timeout_ms,
          pipelining: 1,
        }),
      );
    }
  }
  // Parsed once: URL parsing per request is measurable at thousands of requests/s.
  const upstreamOf = new Map(
    config.models.map((m) => {
      const url = new URL(m.upstream);
      return [m, { pool: pools.get(url.origin)!, base: url.pathname.replace(/\/$/, ''), name: encodeURIComponent(m.upstream_model ?? m.name) }] as const;
    }),
  );
  const timeout = config.limits.client_timeout_ms;
  // Secrets never reach logs: the gateway logs no headers, and redaction covers any that slip in.
  const log = pino({
    level: d.logLevel,
    redact: { paths: ['authorization', 'headers.authorization', 'headers["x-api-key"]', 'req.headers.authorization', 'req.headers["x-api-key"]', 'secret'], censor: '[redacted]' },
  });
  const idPrefix = randomBytes(4).toString('hex');
  let idSeq = 0;
  const app = Fastify({
    bodyLimit: config.limits.max_body_bytes,
    // Fastify's own logger makes a child logger per request (measurable at thousands of requests/s);
    // the audit lines are the request record, so the gateway logs only its few events itself.
    logger: false,
    genReqId: () => idPrefix + (idSeq++).toString(16).padStart(8, '0'),
    serverFactory: (handler) =>
      // Node checks request timeouts on this interval (default 30 s), too coarse for slow-client protection.
      createServer({ requestTimeout: timeout, headersTimeout: timeout, connectionsCheckingInterval: Math.min(1000, timeout), keepAliveTimeout: 5000 }, handler),
    clientErrorHandler: (err: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const code: ErrorCode = timedOut ? 'MW_ERR_GW_CLIENT_TIMEOUT' : 'MW_ERR_USAGE';
      const body = JSON.stringify(errorBody(code, timedOut ? 'request not received in time' : 'malformed HTTP request', '-'));
      socket.end(`HTTP/1.1 ${timedOut ? '408 Request Timeout' : '400 Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      d.metrics.rejections.add({ reason: code });
    },
  });

  app.decorateRequest('mwCtx', null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.limits.max_body_bytes }, (_req, body, done) => done(null, body));

  const fail = (reply: FastifyReply, code: ErrorCode, message: string, requestId: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): FastifyReply => {
    d.metrics.rejections.add({ reason: code });
    for (const [k, v] of Object.entries(headers)) void reply.header(k, v);
    return reply.code(ERRORS[code].status).type('application/json').send(errorBody(code, message, requestId, extra));
  };

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    const id = req.id;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail(reply, 'MW_ERR_GW_BODY_TOO_LARGE', `body exceeds ${config.limits.max_body_bytes} bytes`, id);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return fail(reply, 'MW_ERR_GW_UNSUPPORTED_MEDIA_TYPE', 'content type must be application/json', id);
    log.error({ requestId: req.id, err: { message: err.message, code: err.code } }, 'request failed');
    return fail(reply, 'MW_ERR_INTERNAL', 'internal error', id);
  });

  // Callback style, not async: one promise less per request. Answering without calling `done` ends the request here.
  app.addHook('onRequest', (req, reply, done) => {
    const route = matchRoute(req.method, req.url);
    if (!route) return void fail(reply, 'MW_ERR_GW_UNKNOWN_ROUTE', `${req.method} ${pathOf(req.url)} is not an inference route`, req.id);
    const ctx: Ctx = { id: req.id, start: performance.now(), route, key: null };
    (req as CtxRequest).mwCtx = ctx;
    if (route.kind === 'health') return done();
    let auth: ReturnType<KeyStore['authenticate']>;
    try {
      d.keys.maybeReload();
      auth = d.keys.authenticate(bearer(req));
    } catch (e) {
      return done(e as Error);
    }
    if (!auth.ok) {
      const msg = auth.code === 'MW_ERR_GW_KEY_REVOKED' ? 'API key revoked' : auth.code === 'MW_ERR_GW_KEY_EXPIRED' ? 'API key expired' : 'missing or unknown API key';
      return void fail(reply, auth.code, msg, req.id, auth.keyId ? { key_id: auth.keyId } : {});
    }
    ctx.key = auth.key;
    done();
  });

  const forwardHeaders = (req: FastifyRequest): Record<string, string> => {
    const h: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': req.id };
    const accept = req.headers['accept'];
    if (typeof accept === 'string') h['accept'] = accept;
    return h;
  };

  const modelFor = (route: RouteMatch, bodyModel: string | null): ModelConfig | null => {
    const name = route.model ?? bodyModel;
    if (name === null) {
      const seldon = config.models.filter((m) => m.protocol === route.protocol);
      return route.protocol === 'seldon-v1' && seldon.length === 1 ? seldon[0]! : null;
    }
    return config.models.find((m) => m.name === name && m.protocol === route.protocol) ?? null;
  };

  async function upstream(m: ModelConfig, path: string, method: 'GET' | 'POST', headers: Record<string, string>, body: string | Buffer | null) {
    const u = upstreamOf.get(m)!;
    const p = u.base + path.replace('{model}', u.name);
    const t0 = performance.now();
    try {
      const res = await u.pool.request({ path: p, method, headers, body });
      d.metrics.upstreamLatency.observe({ model: m.name }, (performance.now() - t0) / 1000);
      return res;
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (/TIMEOUT/.test(code)) throw new GatewayError('MW_ERR_GW_UPSTREAM_TIMEOUT', 'model server timed out');
      throw new GatewayError('MW_ERR_GW_UPSTREAM_UNAVAILABLE', 'model server unavailable');
    }
  }

  const audit = (ev: Omit<InferenceEvent, 'id' | 'provenance'>, ctx: Ctx, policy: string, decision: RiskDecision, errorCode: string | null): void => {
    d.audit.write({
      schema: AUDIT_SCHEMA,
      event: ev,
      gateway: { requestId: ctx.id, policy, action: decision.action, reasons: decision.reasons, errorCode, role: ctx.key?.role ?? null },
    });
  };

  const recordAction = (principal: string, decision: RiskDecision, details: Record<string, unknown>): void => {
    d.metrics.actions.add({ action: decision.action, source: 'risk' });
    d.audit.write({ schema: AUDIT_SCHEMA, kind: 'gateway_action', time: new Date(d.now()).toISOString(), principal, action: decision.action, source: 'risk', reasons: decision.reasons, details: { ...decision.details, ...details } });
    log.warn({ principal, action: decision.action, reasons: decision.reasons }, 'risk action');
  };

  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '/*',
    handler: async (req, reply) => {
      const ctx = (req as CtxRequest).mwCtx!;
      const { route } = ctx;
      if (route.kind === 'health') return reply.send({ live: true, ready: true });
      const key = ctx.key!;
      const principal = key.principal;
      const state = d.containment.get(principal);
      if (state.frozen) return fail(reply, 'MW_ERR_GW_PRINCIPAL_BLOCKED', 'principal is blocked', ctx.id);
      if (state.stepUp) return fail(reply, 'MW_ERR_GW_STEP_UP_REQUIRED', 'step-up authentication required', ctx.id, { step_up_id: state.stepUp.id });

      if (route.kind === 'metadata') {
        const m = modelFor(route, null);
        if (!m) return fail(reply, 'MW_ERR_GW_UNKNOWN_MODEL', `unknown model "${route.model}"`, ctx.id);
        try {
          const res = await upstream(m, route.upstreamPath, 'GET', { 'x-request-id': ctx.id }, null);
          const text = await res.body.text();
          if (res.statusCode >= 500) return fail(reply, 'MW_ERR_GW_UPSTREAM_UNAVAILABLE', 'model server error', ctx.id);
          return reply.code(res.statusCode).type('application/json').send(text);
        } catch (e) {
          if (e instanceof GatewayError) return fail(reply, e.code, e.message, ctx.id);
          throw e;
        }
      }

      // --- body
      const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (ct !== 'application/json' && !ct.endsWith('+json')) return fail(reply, 'MW_ERR_GW_UNSUPPORTED_MEDIA_TYPE', 'content type must be application/json', ctx.id);
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const text = raw.toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        // Deep nesting can overflow the validator's recursion: then only V8's message is left.
        let at: JsonErrorPosition | null;
        try {
          at = jsonErrorPosition(text);
        } catch {
          at = null;
        }
        const where = at ? ` at position ${at.position} (line ${at.line}, column ${at.column})` : '';
        return fail(reply, 'MW_ERR_GW_BAD_JSON', `body is not valid JSON${where}: ${(e as Error).message.split('\n')[0]!.slice(0, 120)}`, ctx.id, at ? { ...at } : {});
      }
      const bodyObj = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
      const bodyModel = route.protocol === 'openai' && typeof bodyObj?.['model'] === 'string' ? bodyObj['model'] : null;
      const m = modelFor(route, bodyModel);
      if (!m) return fail(reply, 'MW_ERR_GW_UNKNOWN_MODEL', `unknown model "${route.model ?? bodyModel ?? ''}"`, ctx.id);

      const role = config.roles[key.role];
      // A key whose role the config does not know gets the most restricted policy and single requests.
      let policyName = state.outputPolicy?.policy ?? role?.output_policy ?? config.degrade_policy;
      const batchCap = role?.batch_cap ?? 1;
      const decoded = decodeRequest(json, d.canonicalSmiles);
      const instances = Math.max(1, decoded.inputs.length);
      const baseEvent = (instances: InferenceEvent['instances'] | null = null): Omit<InferenceEvent, 'id' | 'provenance'> => ({
        kind: 'inference',
        time: isoTime(d.now()),
        principal: { raw: principal, canonical: principal },
        sourceIp: req.ip,
        userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
        context: { team: key.team, role: key.role },
        model: m.name,
        modelVersion: null,
        endpoint: pathOf(req.url),
        apiKeyId: key.id,
        protocol: decoded.protocol,
        batchSize: decoded.inputs.length,
        instances: instances ?? decoded.inputs.map((input) => ({ input, output: null })),
        outcome: 'failure',
        httpStatus: null,
        latencyMs: null,
        bytesIn: raw.length,
        bytesOut: null,
      });
      let decision: RiskDecision = NO_RISK;
      const refuse = (code: ErrorCode, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): FastifyReply => {
        const ev = baseEvent();
        ev.httpStatus = ERRORS[code].status;
        ev.latencyMs = performance.now() - ctx.start;
        audit(ev, ctx, policyName, decision, code);
        d.metrics.requests.add({ model: m.name, protocol: m.protocol, status: String(ERRORS[code].status) });
        return fail(reply, code, message, ctx.id, extra, headers);
      };

      if (instances > batchCap) return refuse('MW_ERR_GW_BATCH_TOO_LARGE', `batch of ${instances} exceeds the cap of ${batchCap} for role ${key.role}`);
      let policy: OutputPolicy = config.output_policies[policyName]!;
      let forwardBody: string | Buffer = raw;
      if (m.protocol === 'openai' && bodyObj) {
        const refusal = hardenOpenAiRequest(bodyObj, policy);
        if (refusal) return refuse('MW_ERR_GW_POLICY_REFUSED', refusal);
        forwardBody = JSON.stringify(bodyObj);
      }

      // --- risk hooks
      if (d.hooks.length > 0) {
        const pre = { ...baseEvent(), id: ctx.id.padEnd(32, '0').slice(0, 32), provenance: { format: 'gateway-audit', file: '', line: 0, offset: 0, recordHash: '0'.repeat(64) } } as InferenceEvent;
        decision = combineDecisions(await Promise.all(d.hooks.map((h) => h.evaluate({ event: pre, keyId: key.id, role: key.role, team: key.team }))));
        if (decision.action !== 'none' || decision.reasons.length > 0) {
          const details: Record<string, unknown> = { requestId: ctx.id, model: m.name };
          switch (decision.action) {
            case 'block':
              d.containment.freeze(principal, decision.reasons.join('; '), decision.durationMs);
              recordAction(principal, decision, details);
              return refuse('MW_ERR_GW_PRINCIPAL_BLOCKED', 'principal is blocked');
            case 'step_up': {
              const stepUpId = d.containment.requireStepUp(principal, decision.reasons.join('; '), decision.durationMs);
              recordAction(principal, decision, { ...details, stepUpId });
              return refuse('MW_ERR_GW_STEP_UP_REQUIRED', 'step-up authentication required', { step_up_id: stepUpId });
            }
            case 'throttle':
              d.containment.throttle(principal, decision.requestsPerSecond ?? 1, decision.reasons.join('; '), decision.durationMs);
              state.throttle = d.containment.get(principal).throttle;
              recordAction(principal, decision, details);
              break;
            case 'degrade':
              if (policyName !== config.degrade_policy) d.containment.setOutputPolicy(principal, config.degrade_policy, decision.reasons.join('; '), decision.durationMs);
              // A level-triggered hook repeats itself every request; a new alert (details) is news even when already degraded.
              if (policyName !== config.degrade_policy || decision.details) recordAction(principal, decision, details);
              policyName = config.degrade_policy;
              policy = config.output_policies[policyName]!;
              break;
            case 'none':
              // Alert only: reasons without an action are still an audit event.
              recordAction(principal, decision, details);
              break;
          }
        }
      }

      // --- rate limits (GCRA), then the budget reservation
      const now = d.now();
      const plan = planFor(key, m, now);
      let rateItems: RateItem[] = instances === 1 ? plan.rate1 : plan.rates.map((r) => ({ key: r.key, cost: r.perInstance ? instances : 1, emissionMs: r.emissionMs, burst: r.burst }));
      if (state.throttle) rateItems = [...rateItems, { key: `throttle:p:${principal}`, cost: 1, emissionMs: 1000 / state.throttle.requestsPerSecond, burst: 1 }];
      const budgetItems: ReserveItem[] = instances === 1 ? plan.budget1 : plan.budgetTemplate.map((it) => ({ ...it, amount: instances }));
      let reservation: Reservation | null = null;
      try {
        if (rateItems.length > 0) {
          const r = await d.counters.rate(rateItems, now);
          if (!r.ok) {
            const secs = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
            return refuse('MW_ERR_GW_RATE_LIMITED', `rate limit exceeded; retry after ${secs} s`, { retry_after_ms: Math.ceil(r.retryAfterMs) }, { 'retry-after': String(secs) });
          }
        }
        if (budgetItems.length > 0) {
          const r = await d.counters.reserve(budgetItems);
          if (!r.ok) {
            const kind = r.key.includes(':day:') ? 'daily' : 'lifetime';
            return refuse('MW_ERR_GW_BUDGET_EXHAUSTED', `${kind} query budget exhausted (${r.used} of ${r.limit} instances used)`, { budget: kind, used: r.used, limit: r.limit });
          }
          reservation = r.reservation;
        }
      } catch (e) {
        if (!(e instanceof CountersUnavailableError)) throw e;
        log.error({ requestId: req.id, err: { message: e.message } }, 'counter store unavailable');
        if (config.counters.on_unavailable === 'fail_closed') return refuse('MW_ERR_GW_COUNTERS_UNAVAILABLE', 'counter store unavailable');
      }
      const refund = async (): Promise<void> => {
        if (!reservation) return;
        const r = reservation;
        reservation = null;
        try {
          await d.counters.refund(r);
        } catch {
          // An unrecorded refund leaves the caller charged for a failed request: the safe side.
        }
      };

      /** Waits until the reservation is durable (the journal write overlaps the upstream call); false = refuse the answer. */
      const committed = async (): Promise<boolean> => {
        if (!reservation) return true;
        try {
          await d.counters.commit(reservation);
          return true;
        } catch (e) {
          if (!(e instanceof CountersUnavailableError)) throw e;
          // Not recorded, and already taken back by the store: an answer does not leave unrecorded.
          reservation = null;
          log.error({ requestId: req.id, err: { message: e.message } }, 'counter store unavailable');
          return config.counters.on_unavailable !== 'fail_closed';
        }
      };

      // --- forward
      let res: Awaited<ReturnType<typeof upstream>>;
      try {
        res = await upstream(m, route.upstreamPath, 'POST', forwardHeaders(req), forwardBody);
      } catch (e) {
        await refund();
        if (e instanceof GatewayError) return refuse(e.code, e.message);
        throw e;
      }
      const upstreamCt = String(res.headers['content-type'] ?? '');
      if (res.statusCode >= 500) {
        await res.body.dump();
        await refund();
        return refuse('MW_ERR_GW_UPSTREAM_UNAVAILABLE', 'model server error');
      }
      instancesSeries(m).v += instances;
      const finish = (status: number, outBody: unknown, bytesOut: number): void => {
        const ev = baseEvent(instancesOf(decoded.inputs, outBody));
        ev.httpStatus = status;
        ev.outcome = status < 400 ? 'success' : 'failure';
        ev.latencyMs = Math.round((performance.now() - ctx.start) * 1000) / 1000;
        ev.bytesOut = bytesOut;
        audit(ev, ctx, policyName, decision, null);
        requestsSeries(m, status).v++;
        if (d.hooks.length > 0) {
          const full = { ...ev, id: ctx.id.padEnd(32, '0').slice(0, 32), provenance: { format: 'gateway-audit', file: '', line: 0, offset: 0, recordHash: '0'.repeat(64) } } as InferenceEvent;
          for (const h of d.hooks) h.observe?.(full);
        }
      };

      if (upstreamCt.startsWith('text/event-stream')) {
        if (!(await committed())) {
          // dump() reads a little and then closes the upstream stream without an unhandled abort error.
          await res.body.dump().catch(() => undefined);
          return refuse('MW_ERR_GW_COUNTERS_UNAVAILABLE', 'counter store unavailable');
        }
        let bytes = 0;
        let carry = '';
        const p = policy;
        const t = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            carry += chunk.toString('utf8');
            const lines = carry.split('\n');
            carry = lines.pop()!;
            const out = lines.map((l) => (l.startsWith('data:') && l.slice(5).trim() !== '[DONE]' ? `data: ${hardenStreamChunk(l.slice(5).trim(), p)}` : l)).join('\n');
            const o = lines.length > 0 ? out + '\n' : '';
            bytes += Buffer.byteLength(o);
            cb(null, o);
          },
          flush(cb) {
            bytes += Buffer.byteLength(carry);
            cb(null, carry);
          },
        });
        res.body.on('error', () => t.destroy());
        t.on('end', () => finish(res.statusCode, undefined, bytes));
        res.body.pipe(t);
        return reply.code(res.statusCode).header('content-type', 'text/event-stream').header('cache-control', 'no-cache').send(t);
      }

      let upstreamText: string;
      try {
        upstreamText = await res.body.text();
      } catch {
        await refund();
        return refuse('MW_ERR_GW_UPSTREAM_TIMEOUT', 'model server timed out');
      }
      if (res.statusCode >= 400) {
        // The model's own validation error (4xx) is the caller's to see; it answered nothing, so no charge.
        await refund();
        finish(res.statusCode, undefined, Buffer.byteLength(upstreamText));
        return reply.code(res.statusCode).type(upstreamCt || 'application/json').send(upstreamText);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(upstreamText);
      } catch {
        parsed = undefined;
      }
      const h = parsed === undefined ? ({ ok: policy.on_unknown_shape !== 'block', body: undefined } as const) : hardenResponse(parsed, m, policy);
      if (!h.ok) {
        await refund();
        return refuse('MW_ERR_GW_UPSTREAM_SHAPE', 'model response shape not recognised');
      }
      const outText = h.body === undefined ? (policy.on_unknown_shape === 'pass' ? upstreamText : '{}') : JSON.stringify(h.body);
      if (!(await committed())) return refuse('MW_ERR_GW_COUNTERS_UNAVAILABLE', 'counter store unavailable');
      finish(res.statusCode, h.body, Buffer.byteLength(outText));
      return reply.code(res.statusCode).type('application/json').send(outText);
    },
  });

  app.addHook('onClose', async () => {
    await Promise.all([...pools.values()].map((p) => p.close()));
  });
  return app;
}

