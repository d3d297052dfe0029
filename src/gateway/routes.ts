/**
 * The inference routes the gateway serves. Anything else is refused: the
 * gateway is an allow-list, never a blind reverse proxy (an open proxy would
 * expose model servers' admin and debug endpoints).
 *
 * - KServe V1 data plane: `GET /v1/models/{name}`, `POST /v1/models/{name}:predict`
 * - Open Inference Protocol V2: `POST /v2/models/{name}[/versions/{v}]/infer`,
 *   `GET /v2/models/{name}[/versions/{v}]` (metadata), `.../ready`, `GET /v2/health/{live,ready}`
 * - Seldon Core V1: `POST /api/v1.0/predictions`, `POST /seldon/{ns}/{deployment}/api/v1.0/predictions`
 * - OpenAI-compatible: `POST /v1/chat/completions`, `/v1/completions`, `/v1/embeddings` (model in the body)
 */
import type { GatewayProtocol } from './config.js';

export interface RouteMatch {
  protocol: GatewayProtocol;
  /** Inference (counted, budgeted, hardened) or metadata (authenticated, forwarded as is). */
  kind: 'infer' | 'metadata' | 'health';
  /** Model named by the path; null when the body names it (OpenAI) or the route has one model (Seldon). */
  model: string | null;
  /** The path relative to the model server, with `{model}` where the upstream model name goes. */
  upstreamPath: string;
}

const NAME = '([A-Za-z0-9._:-]+?)';
const ROUTES: Array<{ method: string; re: RegExp; build: (m: RegExpExecArray) => RouteMatch }> = [
  { method: 'POST', re: new RegExp(`^/v1/models/${NAME}:predict$`), build: (m) => ({ protocol: 'kserve-v1', kind: 'infer', model: m[1]!, upstreamPath: '/v1/models/{model}:predict' }) },
  { method: 'GET', re: new RegExp(`^/v1/models/${NAME}$`), build: (m) => ({ protocol: 'kserve-v1', kind: 'metadata', model: m[1]!, upstreamPath: '/v1/models/{model}' }) },
  {
    method: 'POST',
    re: new RegExp(`^/v2/models/${NAME}(/versions/[A-Za-z0-9._-]+)?/infer$`),
    build: (m) => ({ protocol: 'oip-v2', kind: 'infer', model: m[1]!, upstreamPath: `/v2/models/{model}${m[2] ?? ''}/infer` }),
  },
  {
    method: 'GET',
    re: new RegExp(`^/v2/models/${NAME}(/versions/[A-Za-z0-9._-]+)?(/ready)?$`),
    build: (m) => ({ protocol: 'oip-v2', kind: 'metadata', model: m[1]!, upstreamPath: `/v2/models/{model}${m[2] ?? ''}${m[3] ?? ''}` }),
  },
  { method: 'GET', re: /^\/v2\/health\/(live|ready)$/, build: (m) => ({ protocol: 'oip-v2', kind: 'health', model: null, upstreamPath: `/v2/health/${m[1]}` }) },
  { method: 'POST', re: /^\/api\/v1\.0\/predictions$/, build: () => ({ protocol: 'seldon-v1', kind: 'infer', model: null, upstreamPath: '/api/v1.0/predictions' }) },
  {
    method: 'POST',
    re: /^\/seldon\/[a-z0-9-]+\/([A-Za-z0-9._-]+)\/api\/v1\.0\/predictions$/,
    build: (m) => ({ protocol: 'seldon-v1', kind: 'infer', model: m[1]!, upstreamPath: '/api/v1.0/predictions' }),
  },
  { method: 'POST', re: /^\/v1\/chat\/completions$/, build: () => ({ protocol: 'openai', kind: 'infer', model: null, upstreamPath: '/v1/chat/completions' }) },
  { method: 'POST', re: /^\/v1\/completions$/, build: () => ({ protocol: 'openai', kind: 'infer', model: null, upstreamPath: '/v1/completions' }) },
  { method: 'POST', re: /^\/v1\/embeddings$/, build: () => ({ protocol: 'openai', kind: 'infer', model: null, upstreamPath: '/v1/embeddings' }) },
];

export function matchRoute(method: string, url: string): RouteMatch | null {
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.re.exec(path);
    if (m) return r.build(m);
  }
  return null;
}
