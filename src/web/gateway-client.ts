/**
 * The dashboard's view of the gateway: its admin API (docs/gateway.md,
 * "Admin API") over undici, with a timeout, so a slow or absent gateway
 * degrades one page instead of the dashboard.
 */
import { request } from 'undici';
import { MwError } from '../errors/index.js';

export interface GatewayAdminClient {
  readonly url: string;
  get(path: string): Promise<unknown>;
  post(path: string, body?: unknown): Promise<unknown>;
  /** Prometheus metrics of the gateway, as samples. */
  metrics(): Promise<MetricSample[]>;
}

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Reads the Prometheus text exposition format (0.0.4) that the gateway's
 * /metrics writes: `name{label="value",...} number` lines, `#` comments.
 */
export function parsePrometheusText(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    const value = Number(m[4]);
    if (Number.isFinite(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

export function createGatewayAdminClient(url: string, token: string, timeoutMs = 5000): GatewayAdminClient {
  const base = url.replace(/\/+$/, '');
  async function call(method: 'GET' | 'POST', path: string, body?: unknown, raw = false): Promise<unknown> {
    let res;
    try {
      res = await request(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (e) {
      throw new MwError('MW_ERR_GW_UPSTREAM_UNAVAILABLE', `gateway admin API at ${base} cannot be reached: ${(e as Error).message}`);
    }
    const text = await res.body.text();
    if (raw && res.statusCode < 400) return text;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { text };
    }
    if (res.statusCode >= 400) {
      const msg = (parsed as { error?: { message?: string } } | null)?.error?.message ?? text.slice(0, 200);
      throw new MwError(res.statusCode === 404 ? 'MW_ERR_WEB_NOT_FOUND' : 'MW_ERR_GW_UPSTREAM_UNAVAILABLE', `gateway admin ${method} ${path}: ${res.statusCode} ${msg}`);
    }
    return parsed;
  }
  return {
    url: base,
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b ?? {}),
    metrics: async () => parsePrometheusText(String(await call('GET', '/metrics', undefined, true))),
  };
}
