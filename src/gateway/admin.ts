/**
 * The admin API: the containment actions a responder (or the response
 * playbook) calls. A separate listener, loopback by default, authenticated
 * with its own bearer token (the config holds only its sha256), so an API key
 * can never reach it. Prometheus `/metrics` is served here too, without the
 * token, because scrapers rarely carry secrets and the listener is local.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { ERRORS, MwError, type ErrorCode } from '../errors/index.js';
import { AUDIT_SCHEMA, type AuditSink } from './audit.js';
import type { GatewayConfig } from './config.js';
import { parseDuration, tokenMatches, type KeyStore } from './keys.js';
import type { CounterStore } from './counters.js';
import type { GatewayMetrics } from './metrics.js';
import type { ContainmentState } from './risk.js';

export interface AdminDeps {
  config: GatewayConfig;
  keys: KeyStore;
  containment: ContainmentState;
  metrics: GatewayMetrics;
  counters: CounterStore;
  audit: AuditSink;
  now: () => number;
}

const duration = z
  .string()
  .refine((s) => parseDuration(s) !== null, 'duration like 30m, 12h, 7d')
  .optional();
const reasonBody = z.object({ reason: z.string().min(1).default('admin action'), duration }).strict();
const createKeyBody = z.object({ principal: z.string().min(1), team: z.string().nullable().optional(), role: z.string().min(1), expires_in: duration, note: z.string().optional() }).strict();
const rotateBody = z.object({ grace: duration }).strict();
const throttleBody = reasonBody.extend({ requests_per_second: z.number().positive() });
const policyBody = reasonBody.extend({ policy: z.string().min(1) });
const liftBody = z.object({ what: z.enum(['all', 'freeze', 'step_up', 'throttle', 'output_policy']).default('all') }).strict();

export function buildAdmin(d: AdminDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  const fail = (reply: FastifyReply, code: ErrorCode, message: string): FastifyReply =>
    reply.code(ERRORS[code].status).send({ error: { code, message } });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof MwError) return fail(reply, err.code, err.message);
    if (err instanceof z.ZodError) return fail(reply, 'MW_ERR_GW_ADMIN_BAD_REQUEST', err.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    if (err.statusCode && err.statusCode < 500) return fail(reply, 'MW_ERR_GW_ADMIN_BAD_REQUEST', err.message);
    return fail(reply, 'MW_ERR_INTERNAL', 'internal error');
  });

  app.addHook('onRequest', async (req, reply) => {
    if (req.url === '/metrics') return;
    const h = req.headers['authorization'];
    const token = typeof h === 'string' && /^bearer /i.test(h) ? h.slice(7).trim() : null;
    if (!tokenMatches(token, d.config.admin.token_sha256)) return fail(reply, 'MW_ERR_GW_ADMIN_UNAUTHENTICATED', 'admin token missing or wrong');
  });

  const act = (principal: string, action: string, reasons: string[], details: Record<string, unknown>): void => {
    d.metrics.actions.add({ action, source: 'admin' });
    d.audit.write({ schema: AUDIT_SCHEMA, kind: 'gateway_action', time: new Date(d.now()).toISOString(), principal, action, source: 'admin', reasons, details });
  };
  const ms = (s: string | undefined): number | undefined => (s === undefined ? undefined : parseDuration(s)!);

  app.get('/metrics', async (_req, reply) => {
    try {
      await d.metrics.refreshBudgets((k) => d.counters.get(k));
    } catch {
      // The counter store is down: the budget series keep their last values; the rest still renders.
    }
    return reply.type('text/plain; version=0.0.4').send(d.metrics.render());
  });

  // The policy in force, for dashboards: rate limits, budgets, roles and batch caps (no token hashes, no upstream addresses).
  app.get('/admin/limits', async () => ({
    rate_limits: d.config.rate_limits,
    budgets: d.config.budgets,
    roles: Object.fromEntries(Object.entries(d.config.roles).map(([name, r]) => [name, r])),
  }));
  app.get('/admin/keys', async () => ({ keys: d.keys.list() }));
  app.post('/admin/keys', async (req, reply) => {
    const b = createKeyBody.parse(req.body ?? {});
    const r = d.keys.create({ principal: b.principal, team: b.team ?? null, role: b.role, ttlMs: ms(b.expires_in) ?? null, note: b.note ?? null });
    act(b.principal, 'key_create', [], { keyId: r.key.id });
    return reply.code(201).send({ key: r.key, secret: r.secret });
  });
  app.post<{ Params: { id: string } }>('/admin/keys/:id/revoke', async (req) => {
    const k = d.keys.revoke(req.params.id);
    act(k.principal, 'key_revoke', [], { keyId: k.id });
    return { key: k };
  });
  app.post<{ Params: { id: string } }>('/admin/keys/:id/rotate', async (req) => {
    const b = rotateBody.parse(req.body ?? {});
    const r = d.keys.rotate(req.params.id, ms(b.grace) ?? 0);
    act(r.key.principal, 'key_rotate', [], { oldKeyId: r.old.id, keyId: r.key.id });
    return r;
  });

  app.get('/admin/principals', async () => ({ principals: d.containment.all() }));
  app.get<{ Params: { p: string } }>('/admin/principals/:p', async (req) => ({ principal: req.params.p, state: d.containment.get(req.params.p) }));
  app.post<{ Params: { p: string } }>('/admin/principals/:p/freeze', async (req) => {
    const b = reasonBody.parse(req.body ?? {});
    act(req.params.p, 'freeze', [b.reason], {});
    return { principal: req.params.p, state: d.containment.freeze(req.params.p, b.reason, ms(b.duration)) };
  });
  app.post<{ Params: { p: string } }>('/admin/principals/:p/throttle', async (req) => {
    const b = throttleBody.parse(req.body ?? {});
    act(req.params.p, 'throttle', [b.reason], { requestsPerSecond: b.requests_per_second });
    return { principal: req.params.p, state: d.containment.throttle(req.params.p, b.requests_per_second, b.reason, ms(b.duration)) };
  });
  app.post<{ Params: { p: string } }>('/admin/principals/:p/output-policy', async (req, reply) => {
    const b = policyBody.parse(req.body ?? {});
    if (!(b.policy in d.config.output_policies)) return fail(reply, 'MW_ERR_GW_ADMIN_BAD_REQUEST', `unknown output policy "${b.policy}"`);
    act(req.params.p, 'output_policy', [b.reason], { policy: b.policy });
    return { principal: req.params.p, state: d.containment.setOutputPolicy(req.params.p, b.policy, b.reason, ms(b.duration)) };
  });
  app.post<{ Params: { p: string } }>('/admin/principals/:p/lift', async (req) => {
    const b = liftBody.parse(req.body ?? {});
    act(req.params.p, 'lift', [], { what: b.what });
    return { principal: req.params.p, state: d.containment.lift(req.params.p, b.what) };
  });
  return app;
}
