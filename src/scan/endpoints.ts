/**
 * Inference endpoints and what limits and authenticates them.
 *
 * Endpoints come from Kubernetes (Ingresses to serving workloads, KServe and
 * Seldon deployments exposed through their mesh gateway, LoadBalancer
 * Services), the MirrorWatch gateway's routes, AWS API Gateway APIs that look
 * like inference APIs, proxied Cloudflare DNS records with an inference name,
 * and `scan.endpoints` in the config. Rate limiters come from Cloudflare
 * (legacy rate limits and `http_ratelimit` rulesets), AWS WAFv2 rate-based
 * rules, API Gateway usage plans and stage throttles, ingress-nginx
 * annotations and the gateway's `rate_limits`. Each limiter is normalised to
 * requests per hour and to what it counts by (IP, principal, or everyone).
 */
import { getAll, getPath, type ScanContext } from './context.js';
import { isObject, Unknown, type Value, type ValueObject } from './hcl/value.js';
import { annotations, ingressBackends, k8sObjects, labels, serviceNames, servingWorkloads, type K8sObject, type ServingWorkload } from './k8s.js';
import type { Resource } from './types.js';

export type KeyedBy = 'ip' | 'principal' | 'global' | 'unknown';

export interface Limiter {
  resource: Resource;
  /** Attribute path of the limit inside the resource (for the line). */
  path: string;
  mechanism: string;
  /** Normalised requests per hour per counting key; undefined when not known statically. */
  perHour: number | undefined;
  /** How the figure was derived, e.g. "1000 requests / 3600 s". */
  rateText: string;
  keyedBy: KeyedBy;
  keyText: string;
  /** Matching scope. */
  zone?: string;
  host?: string;
  pathPattern?: string;
  /** True when the limiter's own scope looks like an inference path. */
  inferenceScope: boolean;
  /** False when configured to count only (WAF count action, Cloudflare simulate). */
  enforcing: boolean;
}

export interface AuthFact {
  authenticated: boolean;
  how: string;
  resource: Resource;
  line: number;
}

export interface Endpoint {
  resource: Resource;
  kind: string;
  label: string;
  line: number;
  hosts: string[];
  paths: string[];
  limiters: Limiter[];
  /** Undefined when authentication cannot be judged from configuration (e.g. behind a CDN record). */
  auth: AuthFact | undefined;
  workload?: ServingWorkload;
}

export const INFERENCE_WORDS = /(predict|inference|infer\b|invocations|:score|scoring|generate|completions?|embeddings?|serving|\/v[12]\/models|models?\b)/i;
const INFERENCE_HOST_TOKENS = /^(predict|prediction|inference|infer|model|models|ml|ai|serving|score|scoring|llm|mlflow|kserve|seldon)$/i;

const o = (v: Value | undefined): ValueObject => (isObject(v) ? v : Array.isArray(v) ? (v.find(isObject) ?? {}) : {});
const list = (v: Value | undefined): ValueObject[] => (Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : []);
const nums = (v: Value | undefined): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : undefined);

// ------------------------------------------------------------------ limiters

function zoneKey(ctx: ScanContext, r: Resource, v: Value | undefined): string | undefined {
  const zones = ctx.resolve(r, v, ['cloudflare_zone']);
  if (zones[0]) return zones[0].id;
  return typeof v === 'string' ? `literal:${v}` : undefined;
}

function splitUrlPattern(p: string): { host?: string; path?: string } {
  const s = p.replace(/^https?:\/\//i, '');
  if (s.startsWith('/') || s.startsWith('*/')) return { path: s.replace(/^\*/, '') };
  const i = s.indexOf('/');
  return i < 0 ? { host: s } : { host: s.slice(0, i), path: s.slice(i) };
}

/** Reads host and path constraints out of a Cloudflare Rules language expression. */
export function parseCfExpression(expr: string): { hosts: string[]; paths: string[] } {
  const hosts: string[] = [];
  const paths: string[] = [];
  for (const m of expr.matchAll(/http\.host\s+(?:eq|==|contains|wildcard|strict wildcard)\s+"([^"]+)"/g)) hosts.push(m[1]!);
  for (const m of expr.matchAll(/http\.host\s+in\s+\{([^}]*)\}/g)) for (const h of m[1]!.matchAll(/"([^"]+)"/g)) hosts.push(h[1]!);
  for (const m of expr.matchAll(/http\.request\.(?:uri\.path|uri|full_uri)\s+(?:eq|==|contains|wildcard|strict wildcard|matches|~)\s+"([^"]+)"/g)) paths.push(m[1]!);
  for (const m of expr.matchAll(/starts_with\(\s*http\.request\.uri\.path\s*,\s*"([^"]+)"\s*\)/g)) paths.push(m[1]! + '*');
  for (const m of expr.matchAll(/http\.request\.full_uri\s+(?:eq|==|contains|wildcard)\s+"https?:\/\/([^/"]+)/g)) hosts.push(m[1]!);
  return { hosts, paths };
}

function cfKeyedBy(characteristics: Value | undefined): { keyedBy: KeyedBy; keyText: string } {
  const cs = (Array.isArray(characteristics) ? characteristics : []).filter((c): c is string => typeof c === 'string');
  const principal = cs.filter((c) => /^http\.request\.(headers|cookies|uri\.args|jwt)/.test(c) || c.startsWith('http.request.body'));
  if (principal.length) return { keyedBy: 'principal', keyText: `counts per ${principal.join(', ')}` };
  if (cs.some((c) => c === 'ip.src' || c === 'cf.unique_visitor_id' || c === 'ip.src.asnum')) return { keyedBy: 'ip', keyText: `counts per client IP (characteristics ${cs.join(', ')})` };
  if (cs.length) return { keyedBy: 'global', keyText: `counts per ${cs.join(', ')} (shared by every caller)` };
  return { keyedBy: 'unknown', keyText: 'characteristics unknown' };
}

function perHourText(count: number | undefined, seconds: number | undefined): { perHour: number | undefined; rateText: string } {
  if (count === undefined || seconds === undefined || seconds <= 0) return { perHour: undefined, rateText: 'rate not known statically' };
  return { perHour: (count * 3600) / seconds, rateText: `${count} requests / ${seconds} s` };
}

const WINDOW_UNITS: Record<string, number> = { s: 1, second: 1, seconds: 1, m: 60, min: 60, minute: 60, minutes: 60, h: 3600, hour: 3600, hours: 3600, d: 86400, day: 86400, days: 86400 };

/** `1m`, `30s`, `1h`, `hour`, `3600` → seconds. */
export function parseWindow(v: Value | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)?\s*([a-z]+)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = m[1] ? Number(m[1]) : 1;
  const unit = (m[2] ?? 's').toLowerCase();
  const f = WINDOW_UNITS[unit];
  return f === undefined ? undefined : n * f;
}

function gatewayLimiter(r: Resource, spec: ValueObject, path: string): Limiter | undefined {
  const count = nums(spec.requests ?? spec.limit);
  const window = parseWindow(spec.per ?? spec.window ?? spec.period);
  const keyRaw = String(spec.key ?? spec.by ?? 'principal').toLowerCase();
  const keyedBy: KeyedBy = keyRaw === 'ip' ? 'ip' : keyRaw === 'global' || keyRaw === 'all' ? 'global' : 'principal';
  const { perHour, rateText } = perHourText(count, window);
  return {
    resource: r,
    path,
    mechanism: 'MirrorWatch gateway rate_limits',
    perHour,
    rateText,
    keyedBy,
    keyText: keyedBy === 'principal' ? `counts per ${keyRaw === 'api_key' ? 'API key' : 'principal'}` : keyedBy === 'ip' ? 'counts per client IP' : 'one counter shared by every caller',
    inferenceScope: true,
    enforcing: true,
  };
}

function gatewayLimitSpecs(v: Value | undefined): ValueObject[] {
  if (Array.isArray(v)) return v.filter(isObject);
  if (isObject(v)) {
    if ('requests' in v || 'limit' in v) return [v];
    // `rate_limits: { per_principal: { requests, per } }`
    return Object.entries(v)
      .filter(([, x]) => isObject(x))
      .map(([k, x]) => ({ key: k.replace(/^per_/, ''), ...(x as ValueObject) }));
  }
  return [];
}

export function collectLimiters(ctx: ScanContext): Limiter[] {
  const out: Limiter[] = [];
  for (const r of ctx.ofType('cloudflare_rate_limit')) {
    const a = r.attrs;
    const req = o(o(a.match).request);
    const url = typeof req.url_pattern === 'string' ? req.url_pattern : typeof req.url === 'string' ? req.url : '*';
    const { host, path } = splitUrlPattern(url);
    const mode = o(a.action).mode;
    out.push({
      resource: r,
      path: 'threshold',
      mechanism: 'Cloudflare rate limit',
      ...perHourText(nums(a.threshold), nums(a.period)),
      // The legacy rate limiting product counts requests per client IP only
      // (Cloudflare docs, "Rate Limiting": thresholds are defined by IP).
      keyedBy: 'ip',
      keyText: `counts per client IP (the legacy cloudflare_rate_limit cannot count by API key${o(a.correlate).by === 'nat' ? '; correlate by NAT still keys on IP' : ''})`,
      zone: zoneKey(ctx, r, a.zone_id),
      host: host && host !== '*' ? host : undefined,
      pathPattern: path,
      inferenceScope: INFERENCE_WORDS.test(url),
      enforcing: a.disabled !== true && mode !== 'simulate',
    });
  }
  for (const r of ctx.ofType('cloudflare_ruleset')) {
    const a = r.attrs;
    if (a.phase !== 'http_ratelimit') continue;
    list(a.rules).forEach((rule, i) => {
      if (rule.enabled === false) return;
      const rl = o(rule.ratelimit);
      const expr = typeof rule.expression === 'string' ? rule.expression : '';
      const scope = parseCfExpression(expr);
      const { keyedBy, keyText } = cfKeyedBy(rl.characteristics);
      out.push({
        resource: r,
        path: `rules.ratelimit`,
        mechanism: `Cloudflare ruleset rate limiting rule${typeof rule.description === 'string' ? ` "${rule.description}"` : ` #${i + 1}`}`,
        ...perHourText(nums(rl.requests_per_period), nums(rl.period)),
        keyedBy,
        keyText,
        zone: zoneKey(ctx, r, a.zone_id),
        host: scope.hosts[0],
        pathPattern: scope.paths[0],
        inferenceScope: INFERENCE_WORDS.test(expr),
        enforcing: rule.action !== 'log',
      });
    });
  }
  for (const r of ctx.ofType('aws_wafv2_web_acl')) {
    list(r.attrs.rule).forEach((rule) => {
      const rbs = o(o(rule.statement).rate_based_statement);
      if (Object.keys(rbs).length === 0) return;
      const agg = typeof rbs.aggregate_key_type === 'string' ? rbs.aggregate_key_type : 'IP';
      // evaluation_window_sec defaults to 300 s (AWS WAFv2 RateBasedStatement).
      const window = nums(rbs.evaluation_window_sec) ?? 300;
      let keyedBy: KeyedBy = 'ip';
      let keyText = `aggregate_key_type ${agg} counts per client IP`;
      if (agg === 'CONSTANT') {
        keyedBy = 'global';
        keyText = 'aggregate_key_type CONSTANT: one counter shared by every caller';
      } else if (agg === 'CUSTOM_KEYS') {
        const keys = list(rbs.custom_key);
        const principalKeys = keys.flatMap((k) => ['header', 'cookie', 'query_argument', 'query_string', 'label_namespace'].filter((f) => f in k).map((f) => `${f}${typeof o(k[f]).name === 'string' ? ` ${String(o(k[f]).name)}` : ''}`));
        if (principalKeys.length) {
          keyedBy = 'principal';
          keyText = `custom keys ${principalKeys.join(', ')}`;
        } else {
          keyText = 'custom keys contain no caller identity (only IP or request attributes)';
        }
      }
      const action = o(rule.action);
      const scopeDown = JSON.stringify(rbs.scope_down_statement ?? null, (_k, x: unknown) => (x instanceof Unknown ? x.text : x));
      out.push({
        resource: r,
        path: 'rule.statement.rate_based_statement',
        mechanism: `AWS WAFv2 rate-based rule${typeof rule.name === 'string' ? ` "${rule.name}"` : ''}`,
        ...perHourText(nums(rbs.limit), window),
        keyedBy,
        keyText,
        inferenceScope: INFERENCE_WORDS.test(scopeDown) || INFERENCE_WORDS.test(String(rule.name ?? '')),
        enforcing: !('count' in action),
      });
    });
  }
  for (const r of ctx.ofType('aws_api_gateway_usage_plan')) {
    const t = o(r.attrs.throttle_settings);
    const q = o(r.attrs.quota_settings);
    const candidates: { perHour: number; text: string }[] = [];
    const rate = nums(t.rate_limit);
    if (rate !== undefined) candidates.push({ perHour: rate * 3600, text: `throttle ${rate} requests/s` });
    const qlimit = nums(q.limit);
    const period = typeof q.period === 'string' ? q.period.toUpperCase() : undefined;
    const hours = period === 'DAY' ? 24 : period === 'WEEK' ? 168 : period === 'MONTH' ? 720 : undefined;
    if (qlimit !== undefined && hours) candidates.push({ perHour: qlimit / hours, text: `quota ${qlimit} per ${period!.toLowerCase()} (averaged over the period)` });
    const best = candidates.sort((x, y) => x.perHour - y.perHour)[0];
    out.push({
      resource: r,
      path: Object.keys(t).length ? 'throttle_settings' : 'quota_settings',
      mechanism: 'AWS API Gateway usage plan',
      perHour: best?.perHour,
      rateText: best ? candidates.map((c) => c.text).join('; ') : 'no throttle or quota set',
      keyedBy: 'principal',
      keyText: 'usage plans count per API key',
      inferenceScope: false,
      enforcing: candidates.length > 0,
    });
  }
  for (const r of ctx.ofType('aws_api_gateway_method_settings')) {
    const s = o(r.attrs.settings);
    const rate = nums(s.throttling_rate_limit);
    if (rate === undefined) continue;
    out.push({
      resource: r,
      path: 'settings.throttling_rate_limit',
      mechanism: 'AWS API Gateway stage throttle',
      perHour: rate * 3600,
      rateText: `${rate} requests/s for the whole stage`,
      keyedBy: 'global',
      keyText: 'stage throttles are shared by every caller',
      inferenceScope: false,
      enforcing: true,
    });
  }
  for (const r of ctx.ofType('aws_apigatewayv2_stage')) {
    const s = o(r.attrs.default_route_settings);
    const rate = nums(s.throttling_rate_limit);
    if (rate === undefined) continue;
    out.push({
      resource: r,
      path: 'default_route_settings.throttling_rate_limit',
      mechanism: 'AWS API Gateway v2 stage throttle',
      perHour: rate * 3600,
      rateText: `${rate} requests/s for the whole stage`,
      keyedBy: 'global',
      keyText: 'stage throttles are shared by every caller',
      inferenceScope: false,
      enforcing: true,
    });
  }
  for (const r of ctx.resources) {
    if (r.type !== 'MirrorWatchGateway') continue;
    gatewayLimitSpecs(r.attrs.rate_limits).forEach((spec, i) => {
      const l = gatewayLimiter(r, spec, `rate_limits.${i}`);
      if (l) out.push(l);
    });
  }
  return out;
}

/** ingress-nginx rate limits from an Ingress's annotations. */
export function ingressLimiters(ctx: ScanContext, ing: K8sObject): Limiter[] {
  const ann = annotations(ing);
  const p = 'nginx.ingress.kubernetes.io/';
  const out: Limiter[] = [];
  const at = (k: string): string => `${ing.pathPrefix}metadata.annotations.${p}${k}`;
  const rps = nums(ann[p + 'limit-rps']);
  const rpm = nums(ann[p + 'limit-rpm']);
  const burst = nums(ann[p + 'limit-burst-multiplier']) ?? 5;
  for (const [k, n, secs] of [
    ['limit-rps', rps, 1],
    ['limit-rpm', rpm, 60],
  ] as const) {
    if (n === undefined) continue;
    out.push({
      resource: ing.resource,
      path: at(k),
      mechanism: `ingress-nginx ${k}`,
      ...perHourText(n, secs),
      rateText: `${n} requests / ${secs} s (bursts up to ${burst}× that, limit-burst-multiplier)`,
      keyedBy: 'ip',
      keyText: `ingress-nginx ${k} counts per client IP ($binary_remote_addr)`,
      inferenceScope: true,
      enforcing: true,
    });
  }
  const g = nums(ann[p + 'global-rate-limit']);
  if (g !== undefined) {
    const window = parseWindow(ann[p + 'global-rate-limit-window']);
    const key = ann[p + 'global-rate-limit-key'] ?? '$remote_addr';
    const principal = /\$(http_|remote_user|cookie_|arg_)/.test(key);
    out.push({
      resource: ing.resource,
      path: at('global-rate-limit'),
      mechanism: 'ingress-nginx global-rate-limit',
      ...perHourText(g, window),
      keyedBy: principal ? 'principal' : /remote_addr|x_forwarded_for/.test(key) ? 'ip' : 'unknown',
      keyText: `global-rate-limit-key ${key}`,
      inferenceScope: true,
      enforcing: true,
    });
  }
  return out;
}

// ------------------------------------------------------------------ matching

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$', 'i');
  return re.test(s);
}

function hostMatches(limiterHost: string | undefined, host: string | undefined): boolean {
  if (!limiterHost) return true;
  if (!host) return false;
  return globMatch(limiterHost, host);
}

function pathRelevant(l: Limiter, endpointPaths: string[]): boolean {
  const p = l.pathPattern;
  if (!p || p === '*' || p === '/*' || p === '/') return true;
  if (INFERENCE_WORDS.test(p)) return true;
  return endpointPaths.some((ep) => globMatch(p.endsWith('*') ? p : p + '*', ep) || globMatch(ep.replace(/\(.*$/, '') + '*', p.replace(/\*+$/, '')));
}

// ------------------------------------------------------------------ gateway

export interface GatewayRoute {
  gateway: Resource;
  index: number;
  path: string;
  upstream: string;
  spec: ValueObject;
  line: number;
}

export function gatewayRoutes(ctx: ScanContext): GatewayRoute[] {
  const out: GatewayRoute[] = [];
  for (const g of ctx.ofType('MirrorWatchGateway')) {
    const routes = g.attrs.routes;
    const items: [string, ValueObject][] = Array.isArray(routes)
      ? routes.filter(isObject).map((r, i) => [String(i), r])
      : isObject(routes)
        ? Object.entries(routes).filter(([, r]) => isObject(r)).map(([k, r]) => [k, { path: k, ...(r as ValueObject) }])
        : [];
    items.forEach(([k, spec], i) => {
      out.push({
        gateway: g,
        index: i,
        path: String(spec.path ?? spec.match ?? k),
        upstream: String(spec.upstream ?? spec.backend ?? spec.target ?? ''),
        spec,
        line: ctx.lineOf(g, `routes.${k}`),
      });
    });
  }
  return out;
}

function gatewayRouteLimiters(ctx: ScanContext, rt: GatewayRoute, all: Limiter[]): Limiter[] {
  const own = gatewayLimitSpecs(rt.spec.rate_limit ?? rt.spec.rate_limits)
    .map((s) => gatewayLimiter(rt.gateway, s, `routes.${rt.index}.rate_limit`))
    .filter((l): l is Limiter => !!l)
    .map((l) => ({ ...l, path: `routes.${rt.index}.rate_limit` }));
  if (own.length) return own;
  return all.filter((l) => l.resource === rt.gateway);
}

/** `auth: none` (or false/anonymous/off) on a route, else the gateway default, else required. */
function gatewayAuth(ctx: ScanContext, rt: GatewayRoute): AuthFact {
  const raw = rt.spec.auth ?? rt.gateway.attrs.auth ?? 'required';
  const v = isObject(raw) ? (raw.required ?? raw.mode ?? 'required') : raw;
  const off = v === false || ['none', 'off', 'false', 'anonymous', 'disabled', 'optional'].includes(String(v).toLowerCase());
  const where = rt.spec.auth !== undefined ? `routes.${rt.index}.auth` : 'auth';
  return {
    authenticated: !off,
    how: off ? `gateway route auth is ${JSON.stringify(v)}` : `gateway requires authentication (auth ${JSON.stringify(v)})`,
    resource: rt.gateway,
    line: rt.spec.auth !== undefined || rt.gateway.attrs.auth !== undefined ? ctx.lineOf(rt.gateway, where) : rt.line,
  };
}

// ------------------------------------------------------------------ endpoints

function ingressAuth(ctx: ScanContext, ing: K8sObject): AuthFact {
  const ann = annotations(ing);
  const p = 'nginx.ingress.kubernetes.io/';
  const line = (k: string): number => ctx.lineOf(ing.resource, `${ing.pathPrefix}metadata.annotations.${p}${k}`);
  if (ann[p + 'auth-url']) return { authenticated: true, how: `external auth via auth-url ${ann[p + 'auth-url']}`, resource: ing.resource, line: line('auth-url') };
  if (ann[p + 'auth-type'] && ann[p + 'auth-secret']) return { authenticated: true, how: `${ann[p + 'auth-type']} auth (auth-secret ${ann[p + 'auth-secret']})`, resource: ing.resource, line: line('auth-type') };
  if ((ann[p + 'auth-tls-verify-client'] ?? '').toLowerCase() === 'on') return { authenticated: true, how: 'mutual TLS (auth-tls-verify-client on)', resource: ing.resource, line: line('auth-tls-verify-client') };
  const alb = Object.keys(ann).find((k) => k === 'alb.ingress.kubernetes.io/auth-type' && ann[k] !== 'none');
  if (alb) return { authenticated: true, how: `AWS ALB auth-type ${ann[alb]}`, resource: ing.resource, line: ctx.lineOf(ing.resource, `${ing.pathPrefix}metadata.annotations.${alb}`) };
  return { authenticated: false, how: 'no auth-url, auth-type/auth-secret or client-certificate annotation', resource: ing.resource, line: ing.resource.line };
}

function meshAuth(objs: K8sObject[], ns: string): K8sObject | undefined {
  const authz = objs.find((x) => x.namespace === ns && x.kind === 'AuthorizationPolicy' && x.apiVersion.startsWith('security.istio.io') && obj(x.obj.spec).action !== 'ALLOW_ALL');
  const reqAuth = objs.find((x) => x.namespace === ns && x.kind === 'RequestAuthentication');
  return authz && reqAuth ? authz : undefined;
}
const obj = (v: Value | undefined): ValueObject => (isObject(v) ? v : {});

function workloadAuth(ctx: ScanContext, w: ServingWorkload, objs: K8sObject[]): AuthFact {
  const ann = annotations(w.o);
  for (const k of ['serving.kserve.io/enable-auth', 'security.opendatahub.io/enable-auth']) {
    if ((ann[k] ?? '').toLowerCase() === 'true')
      return { authenticated: true, how: `annotation ${k}: "true"`, resource: w.o.resource, line: ctx.lineOf(w.o.resource, `${w.o.pathPrefix}metadata.annotations.${k}`) };
  }
  const mesh = meshAuth(objs, w.o.namespace);
  if (mesh) return { authenticated: true, how: `Istio RequestAuthentication and AuthorizationPolicy ${mesh.name} in namespace ${w.o.namespace}`, resource: mesh.resource, line: mesh.resource.line };
  return { authenticated: false, how: `no enable-auth annotation and no Istio RequestAuthentication + AuthorizationPolicy in namespace ${w.o.namespace}`, resource: w.o.resource, line: w.o.resource.line };
}

function clusterLocal(w: ServingWorkload): boolean {
  const l = { ...labels(w.o), ...annotations(w.o) };
  return ['networking.knative.dev/visibility', 'serving.knative.dev/visibility', 'networking.kserve.io/visibility'].some((k) => l[k] === 'cluster-local');
}

function matchesUpstream(upstream: string, names: string[], ns: string): boolean {
  const host = upstream.replace(/^[a-z]+:\/\//i, '').split(/[/:]/)[0] ?? '';
  const first = host.split('.')[0] ?? '';
  const second = host.split('.')[1];
  return names.includes(first) && (second === undefined || second === ns || second === 'svc');
}

function apiGatewayLooksInference(ctx: ScanContext, api: Resource): { yes: boolean; why: string; paths: string[] } {
  const paths: string[] = [];
  for (const res of ctx.referrers(api, ['aws_api_gateway_resource'], 'rest_api_id')) if (typeof res.attrs.path_part === 'string') paths.push('/' + res.attrs.path_part);
  for (const rt of ctx.referrers(api, ['aws_apigatewayv2_route'], 'api_id')) if (typeof rt.attrs.route_key === 'string') paths.push(rt.attrs.route_key);
  const texts = [api.name, api.attrs.name, api.attrs.description, ...paths].filter((x): x is string => typeof x === 'string');
  const hit = texts.find((t) => INFERENCE_WORDS.test(t));
  return { yes: !!hit, why: hit ? `name or route ${JSON.stringify(hit)} looks like an inference API` : '', paths };
}

export interface EndpointModel {
  endpoints: Endpoint[];
  limiters: Limiter[];
  /** Limiters that apply to at least one endpoint or whose own scope is an inference path. */
  relevantLimiters: Limiter[];
  routes: GatewayRoute[];
  objs: K8sObject[];
  workloads: ServingWorkload[];
}

const cache = new WeakMap<ScanContext, EndpointModel>();

export function endpointModel(ctx: ScanContext): EndpointModel {
  const hit = cache.get(ctx);
  if (hit) return hit;
  const limiters = collectLimiters(ctx);
  const objs = k8sObjects(ctx);
  const workloads = servingWorkloads(objs);
  const routes = gatewayRoutes(ctx);
  const endpoints: Endpoint[] = [];
  const cdnLimitersFor = (hosts: string[], paths: string[], zone?: string): Limiter[] =>
    limiters.filter(
      (l) =>
        (l.mechanism.startsWith('Cloudflare')) &&
        (zone === undefined || l.zone === undefined || l.zone === zone) &&
        (hosts.length === 0 ? l.host === undefined || zone !== undefined : hosts.some((h) => hostMatches(l.host, h))) &&
        (zone !== undefined || hosts.length > 0) &&
        pathRelevant(l, paths),
    );

  // Gateway routes.
  for (const rt of routes) {
    endpoints.push({
      resource: rt.gateway,
      kind: 'gateway-route',
      label: `gateway route ${rt.path}`,
      line: rt.line,
      hosts: [],
      paths: [rt.path],
      limiters: gatewayRouteLimiters(ctx, rt, limiters),
      auth: gatewayAuth(ctx, rt),
    });
  }

  // Ingresses and the workloads behind them.
  const fronted = new Set<ServingWorkload>();
  for (const ing of objs.filter((x) => x.kind === 'Ingress')) {
    const backends = ingressBackends(ctx, ing);
    const targets = workloads.filter((w) => w.o.namespace === ing.namespace && backends.some((b) => b.service && serviceNames(w, objs).includes(b.service)));
    const inferencePath = backends.find((b) => INFERENCE_WORDS.test(b.path) || INFERENCE_WORDS.test(b.host ?? ''));
    if (targets.length === 0 && !inferencePath) continue;
    targets.forEach((t) => fronted.add(t));
    const hosts = [...new Set(backends.map((b) => b.host).filter((h): h is string => !!h))];
    const paths = backends.map((b) => b.path);
    endpoints.push({
      resource: ing.resource,
      kind: 'ingress',
      label: `Ingress ${ing.namespace}/${ing.name}${targets.length ? ` to ${targets.map((t) => t.o.resource.address).join(', ')}` : ''}`,
      line: ing.resource.line,
      hosts,
      paths,
      limiters: [...ingressLimiters(ctx, ing), ...cdnLimitersFor(hosts, paths)],
      auth: ingressAuth(ctx, ing),
      ...(targets[0] ? { workload: targets[0] } : {}),
    });
  }

  // Workloads exposed without an Ingress in the scan.
  for (const w of workloads) {
    if (fronted.has(w)) continue;
    const names = serviceNames(w, objs);
    const viaGateway = routes.filter((rt) => matchesUpstream(rt.upstream, names, w.o.namespace));
    if (viaGateway.length) continue; // the gateway route is the endpoint
    if (w.kind === 'kserve' || (w.kind === 'seldon' && w.o.kind === 'SeldonDeployment')) {
      if (clusterLocal(w)) continue;
      endpoints.push({
        resource: w.o.resource,
        kind: w.kind,
        label: `${w.why} ${w.o.namespace}/${w.o.name} (exposed through the mesh ingress gateway by default)`,
        line: w.o.resource.line,
        hosts: [],
        paths: [],
        limiters: [],
        auth: workloadAuth(ctx, w, objs),
        workload: w,
      });
      continue;
    }
    const lb = objs.find(
      (s) => s.kind === 'Service' && s.namespace === w.o.namespace && names.includes(s.name) && ['LoadBalancer', 'NodePort'].includes(String(obj(s.obj.spec).type)),
    );
    if (lb) {
      endpoints.push({
        resource: lb.resource,
        kind: 'service',
        label: `Service ${lb.namespace}/${lb.name} (${String(obj(lb.obj.spec).type)}) to ${w.o.resource.address}`,
        line: lb.resource.line,
        hosts: [],
        paths: [],
        limiters: [],
        auth: { authenticated: false, how: `a ${String(obj(lb.obj.spec).type)} Service forwards raw traffic with no authentication layer`, resource: lb.resource, line: lb.resource.line },
        workload: w,
      });
    }
  }

  // AWS API Gateway.
  for (const api of ctx.ofType('aws_api_gateway_rest_api', 'aws_apigatewayv2_api')) {
    if (api.mode !== 'managed') continue;
    const look = apiGatewayLooksInference(ctx, api);
    if (!look.yes) continue;
    const ls: Limiter[] = [];
    const stages = ctx.referrers(api, ['aws_api_gateway_stage'], 'rest_api_id').concat(ctx.referrers(api, ['aws_apigatewayv2_stage'], 'api_id'));
    const methods = ctx.referrers(api, ['aws_api_gateway_method'], 'rest_api_id');
    const keyRequired = methods.length === 0 || methods.every((m) => m.attrs.api_key_required === true);
    for (const l of limiters) {
      if (l.mechanism === 'AWS API Gateway usage plan') {
        const apis = getAll(l.resource.attrs, 'api_stages.api_id').flatMap((v) => ctx.resolve(l.resource, v, [api.type]));
        if (apis.includes(api) && keyRequired) ls.push(l);
      } else if (l.mechanism === 'AWS API Gateway stage throttle') {
        if (ctx.resolve(l.resource, l.resource.attrs.rest_api_id, [api.type]).includes(api)) ls.push(l);
      } else if (l.mechanism === 'AWS API Gateway v2 stage throttle') {
        if (ctx.resolve(l.resource, l.resource.attrs.api_id, [api.type]).includes(api)) ls.push(l);
      } else if (l.mechanism.startsWith('AWS WAFv2')) {
        const assocs = ctx.referrers(l.resource, ['aws_wafv2_web_acl_association'], 'web_acl_arn');
        const covered = assocs.some((as) => {
          const targets = ctx.resolve(as, as.attrs.resource_arn, ['aws_api_gateway_stage', 'aws_api_gateway_rest_api']);
          return targets.includes(api) || targets.some((t) => stages.includes(t));
        });
        if (covered) ls.push(l);
      }
    }
    let auth: AuthFact;
    if (api.type === 'aws_api_gateway_rest_api') {
      const open = methods.find((m) => String(m.attrs.authorization ?? 'NONE').toUpperCase() === 'NONE' && m.attrs.api_key_required !== true);
      auth = open
        ? { authenticated: false, how: `${open.address} has authorization "NONE" and no API key requirement`, resource: open, line: ctx.lineOf(open, 'authorization') }
        : methods.length
          ? { authenticated: true, how: 'every method requires an authorizer, IAM or an API key', resource: methods[0]!, line: methods[0]!.line }
          : { authenticated: false, how: 'no aws_api_gateway_method with an authorizer was found for this API', resource: api, line: api.line };
    } else {
      const routesV2 = ctx.referrers(api, ['aws_apigatewayv2_route'], 'api_id');
      const open = routesV2.find((rt) => String(rt.attrs.authorization_type ?? 'NONE').toUpperCase() === 'NONE' && rt.attrs.api_key_required !== true);
      auth = open
        ? { authenticated: false, how: `${open.address} has authorization_type "NONE"`, resource: open, line: ctx.lineOf(open, 'authorization_type') }
        : routesV2.length
          ? { authenticated: true, how: 'every route has an authorizer', resource: routesV2[0]!, line: routesV2[0]!.line }
          : { authenticated: false, how: 'no aws_apigatewayv2_route with an authorizer was found for this API', resource: api, line: api.line };
    }
    endpoints.push({ resource: api, kind: 'api-gateway', label: `API Gateway ${api.address} (${look.why})`, line: api.line, hosts: [], paths: look.paths, limiters: ls, auth });
  }

  // Proxied Cloudflare DNS records with an inference name.
  for (const rec of ctx.ofType('cloudflare_record', 'cloudflare_dns_record')) {
    if (rec.mode !== 'managed' || (rec.attrs.proxied !== true && rec.attrs.proxied !== 'true')) continue;
    const name = typeof rec.attrs.name === 'string' ? rec.attrs.name : rec.name;
    const tokens = name.split(/[.\-_]/);
    if (!tokens.some((t) => INFERENCE_HOST_TOKENS.test(t)) && !INFERENCE_HOST_TOKENS.test(rec.name)) continue;
    const zoneRes = ctx.resolve(rec, rec.attrs.zone_id, ['cloudflare_zone'])[0];
    const zoneName = zoneRes ? (typeof zoneRes.attrs.zone === 'string' ? zoneRes.attrs.zone : typeof zoneRes.attrs.name === 'string' ? zoneRes.attrs.name : undefined) : undefined;
    const host = zoneName && !name.endsWith(zoneName) ? `${name === '@' ? '' : name + '.'}${zoneName}` : name;
    const zone = zoneKey(ctx, rec, rec.attrs.zone_id);
    const access = ctx
      .ofType('cloudflare_access_application', 'cloudflare_zero_trust_access_application')
      .find((app) => typeof app.attrs.domain === 'string' && globMatch(app.attrs.domain.split('/')[0]!, host));
    endpoints.push({
      resource: rec,
      kind: 'cdn-host',
      label: `proxied host ${host}`,
      line: rec.line,
      hosts: [host],
      paths: [],
      limiters: cdnLimitersFor([host], [], zone),
      auth: access ? { authenticated: true, how: `Cloudflare Access application ${access.address}`, resource: access, line: access.line } : undefined,
    });
  }

  // Endpoints declared in the config.
  const cfg = ctx.settings.config;
  cfg.section.endpoints.forEach((pattern, i) => {
    const { host, path } = splitUrlPattern(pattern);
    const res: Resource = {
      id: `config::endpoint.${i}`,
      root: cfg.file ?? 'config',
      address: `endpoint.config[${JSON.stringify(pattern)}]`,
      type: 'endpoint',
      name: 'config',
      key: pattern,
      mode: 'managed',
      source: 'config',
      file: cfg.file ?? 'config',
      line: cfg.lines[`endpoints.${i}`] ?? 1,
      endLine: cfg.lines[`endpoints.${i}`] ?? 1,
      attrs: { url: pattern },
      attrLines: {},
    };
    const hosts = host ? [host] : [];
    const paths = path ? [path] : [];
    endpoints.push({
      resource: res,
      kind: 'config',
      label: `configured endpoint ${pattern}`,
      line: res.line,
      hosts,
      paths,
      limiters: [...cdnLimitersFor(hosts, paths), ...routes.filter((rt) => paths.some((p) => globMatch(p, rt.path))).flatMap((rt) => gatewayRouteLimiters(ctx, rt, limiters))],
      auth: undefined,
    });
  });

  const used = new Set(endpoints.flatMap((e) => e.limiters));
  const relevantLimiters = limiters.filter((l) => used.has(l) || l.inferenceScope);
  for (const e of endpoints) for (const l of e.limiters) if (!relevantLimiters.includes(l)) relevantLimiters.push(l);
  const model = { endpoints, limiters, relevantLimiters, routes, objs, workloads };
  cache.set(ctx, model);
  return model;
}

export { getPath };
