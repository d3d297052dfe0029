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
}

export function createGatewayAdminClient(url: string, token: string, timeoutMs = 5000): GatewayAdminClient {
  const base = url.replace(/\/+$/, '');
  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
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
  return { url: base, get: (p) => call('GET', p), post: (p, b) => call('POST', p, b ?? {}) };
}
