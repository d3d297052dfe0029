/**
 * `mirrorwatch serve`: the API under /api/v1 and the dashboard, on the
 * embedded store. Secure by default because it shows insider investigations
 * and HR data: every page and route needs a session or an API token (login
 * excepted), sessions are HttpOnly SameSite=Strict cookies (Secure over TLS),
 * state changes by cookie need a CSRF token (OWASP CSRF cheat sheet,
 * synchroniser token via @fastify/csrf-protection), login is rate-limited, a
 * strict Content-Security-Policy forbids inline script, and it binds to
 * loopback unless told otherwise.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ERRORS, MwError, type ErrorCode } from '../errors/index.js';
import { createChem, type Chem } from '../chem/index.js';
import { createEvidenceLog, createResponder, type Responder } from '../respond/index.js';
import type { GatewayConnectorOptions } from '../respond/connectors.js';
import type { Store } from '../store/index.js';
import { repoRoot } from '../util/repo-root.js';
import { openApiDocument, ROUTES, type ApiContext } from './api.js';
import type { GatewayAdminClient } from './gateway-client.js';
import { createMemorySessionStore, type SessionStore } from './sessions.js';
import { createUserStore, roleAtLeast, type Identity, type UserStore } from './users.js';

export interface WebServerOptions {
  store: Store;
  /** Default 127.0.0.1; anything else must be asked for explicitly (`--host`). */
  host?: string;
  port?: number;
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Built dashboard (Vite output); default dist/web in the package. */
  uiDir?: string;
  gateway?: GatewayAdminClient | null;
  /** Response playbooks: where they live and the gateway the containment steps call. */
  respond?: { playbooksDir?: string; gateway?: GatewayConnectorOptions };
  sessions?: SessionStore;
  /** Signs the CSRF secret cookie; random per process by default. */
  cookieSecret?: string;
  /** Login attempts allowed per client address per minute (default 10). */
  loginPerMinute?: number;
  logLevel?: string;
  version?: string;
}

export interface WebServer {
  readonly app: FastifyInstance;
  readonly users: UserStore;
  start(): Promise<string>;
  close(): Promise<void>;
}

const SESSION_COOKIE = 'mw_session';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

declare module 'fastify' {
  interface FastifyRequest {
    who: Identity | null;
  }
}

function sendError(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(ERRORS[code].status).type('application/json').send({ error: { code, message } });
}

function zodMessage(where: string, e: z.ZodError): string {
  return e.issues.map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`).join('; ');
}

export async function createWebServer(options: WebServerOptions): Promise<WebServer> {
  const { store } = options;
  const tls = options.tls ?? null;
  const sessions = options.sessions ?? createMemorySessionStore();
  const users = createUserStore(store);
  const uiDir = options.uiDir ?? join(repoRoot(), 'dist', 'web');
  const app = Fastify({
    logger: options.logLevel && options.logLevel !== 'silent' ? { level: options.logLevel } : false,
    bodyLimit: 64 * 1024,
    ...(tls ? { https: tls } : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  let chem: Promise<Chem> | null = null;
  let responder: Responder | null = null;
  // Every state change goes into the response evidence log (hash-chained), beside the playbook's own records.
  const evidence = createEvidenceLog(store);
  const ctx: ApiContext = {
    store,
    users,
    sessions,
    gateway: options.gateway ?? null,
    chem: () => (chem ??= createChem()),
    responder: () =>
      (responder ??= createResponder({
        store,
        ...(options.respond?.playbooksDir ? { playbooksDir: options.respond.playbooksDir } : {}),
        ...(options.respond?.gateway ? { gateway: options.respond.gateway } : {}),
      })),
    async audit(who, action, target, details = {}) {
      const incident = /^[0-9a-f]{24}$/.test(target) ? target : null;
      await evidence.append({ kind: 'audit', incident, actor: who.username, body: { action, target, via: who.via, details } });
    },
  };

  await app.register(fastifyCookie, { secret: options.cookieSecret ?? randomBytes(32).toString('hex') });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    hsts: tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', path: '/', secure: tls != null },
    getToken: (req: FastifyRequest) => {
      const h = req.headers['x-csrf-token'];
      return typeof h === 'string' ? h : undefined;
    },
  });
  await app.register(fastifyRateLimit, { global: false });

  app.decorateRequest('who', null);

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof MwError) return sendError(reply, err.code, err.message);
    if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') return sendError(reply, 'MW_ERR_WEB_CSRF', 'missing or invalid x-csrf-token header');
    if (err.statusCode === 429) return sendError(reply, 'MW_ERR_WEB_RATE_LIMITED', 'too many login attempts; wait and try again');
    if (err.statusCode === 413) return sendError(reply, 'MW_ERR_WEB_BAD_REQUEST', 'request body too large');
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return sendError(reply, 'MW_ERR_WEB_BAD_REQUEST', err.message);
    req.log.error(err);
    return sendError(reply, 'MW_ERR_INTERNAL', 'internal error');
  });

  async function identify(req: FastifyRequest): Promise<Identity | null> {
    const auth = req.headers['authorization'];
    if (typeof auth === 'string' && /^bearer /i.test(auth)) return users.verifyToken(auth.slice(7).trim());
    const raw = req.cookies[SESSION_COOKIE];
    if (!raw) return null;
    const s = sessions.get(raw);
    return s ? { username: s.username, role: s.role, hr: s.hr, via: 'session' } : null;
  }

  app.addHook('onRequest', async (req, reply) => {
    req.who = await identify(req);
    const path = req.url.split('?')[0]!;
    if (!path.startsWith('/api/')) return;
    if (path === '/api/v1/auth/login') return;
    if (!req.who) return sendError(reply, 'MW_ERR_WEB_UNAUTHENTICATED', 'log in or send an API token');
    // Tokens are not sent by browsers on their own, so only cookie sessions need the CSRF check.
    if (req.who.via === 'session' && STATE_CHANGING.has(req.method)) {
      await new Promise<void>((resolve, reject) => app.csrfProtection(req, reply, (e?: Error) => (e ? reject(e) : resolve())));
    }
  });

  const cookieOpts = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: tls != null };

  app.post(
    '/api/v1/auth/login',
    { config: { rateLimit: { max: options.loginPerMinute ?? 10, timeWindow: 60_000 } } },
    async (req, reply) => {
      const body = z.object({ username: z.string().max(64), password: z.string().max(1024) }).safeParse(req.body);
      if (!body.success) return sendError(reply, 'MW_ERR_WEB_BAD_REQUEST', zodMessage('body', body.error));
      const u = await users.login(body.data.username, body.data.password);
      if (!u) return sendError(reply, 'MW_ERR_WEB_LOGIN_FAILED', 'wrong user name or password');
      const s = sessions.create({ username: u.username, role: u.role, hr: u.hr });
      reply.setCookie(SESSION_COOKIE, s.id, cookieOpts);
      const who: Identity = { username: u.username, role: u.role, hr: u.hr, via: 'session' };
      await ctx.audit(who, 'auth.login', u.username);
      return { user: { username: u.username, role: u.role, hr: u.hr }, csrfToken: reply.generateCsrf() };
    },
  );
  app.post('/api/v1/auth/logout', async (req, reply) => {
    const raw = req.cookies[SESSION_COOKIE];
    if (raw) sessions.delete(raw);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });
  app.get('/api/v1/auth/me', async (req, reply) => {
    const who = req.who!;
    return { user: { username: who.username, role: who.role, hr: who.hr, via: who.via }, csrfToken: reply.generateCsrf() };
  });
  const doc = openApiDocument(options.version ?? '0.1.0');
  app.get('/api/v1/openapi.json', async () => doc);

  for (const r of ROUTES) {
    const url = `/api/v1${r.path.replace(/\{(\w+)\}/g, ':$1')}`;
    app.route({
      method: r.method,
      url,
      handler: async (req, reply) => {
        const who = req.who!;
        if (r.role && !roleAtLeast(who.role, r.role)) return sendError(reply, 'MW_ERR_WEB_FORBIDDEN', `this needs role ${r.role} (you have ${who.role})`);
        const parse = (schema: z.ZodObject | undefined, value: unknown, where: string): Record<string, unknown> => {
          if (!schema) return {};
          const p = schema.strict().safeParse(value ?? {});
          if (!p.success) throw new MwError('MW_ERR_WEB_BAD_REQUEST', zodMessage(where, p.error));
          return p.data as Record<string, unknown>;
        };
        const params = parse(r.params, req.params, 'path');
        const query = parse(r.query, req.query, 'query');
        const body = r.body ? parse(r.body, req.body, 'body') : {};
        return r.handler({ who, params, query, body }, ctx);
      },
    });
  }

  app.all('/api/*', async (_req, reply) => sendError(reply, 'MW_ERR_WEB_NOT_FOUND', 'no such API route; GET /api/v1/openapi.json lists them'));

  // The dashboard: static assets are public (they hold no data); the pages need a session.
  const indexHtml = join(uiDir, 'index.html');
  const haveUi = existsSync(indexHtml);
  if (haveUi) {
    await app.register(fastifyStatic, { root: join(uiDir, 'assets'), prefix: '/assets/', index: false, decorateReply: false });
  }
  const page = (file: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    if (!haveUi) return reply.code(503).type('text/plain').send('The dashboard is not built: run `npm run build:web`.');
    if (file === 'index.html' && !req.who) return reply.redirect('/login');
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(readFileSync(join(uiDir, file)));
  };
  app.get('/login', page('login.html'));
  app.get('/', page('index.html'));
  app.setNotFoundHandler(async (req, reply) => {
    if (req.method === 'GET' && !req.url.startsWith('/assets/')) return page('index.html')(req, reply);
    return sendError(reply, 'MW_ERR_WEB_NOT_FOUND', 'not found');
  });

  return {
    app,
    users,
    async start() {
      const host = options.host ?? '127.0.0.1';
      const address = await app.listen({ host, port: options.port ?? 8686 });
      return address;
    },
    close: () => app.close(),
  };
}
