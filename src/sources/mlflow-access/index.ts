/**
 * MLflow tracking-server access logs: what gunicorn (MLflow 2.x default
 * server), nginx in front of MLflow, or uvicorn (MLflow 3.x default server)
 * write for each HTTP request. Every line becomes a `registry` event; the
 * request path says which registry action it was. Field mapping, samples and
 * quarantine reasons are in docs/sources/mlflow-access.md.
 *
 * Line shapes (specs cited where the fields are split):
 * - gunicorn default `access_log_format`
 *   `%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"` (gunicorn
 *   settings, AccessLogFormat): host, ident, basic-auth user, `[time]`,
 *   request line, status, body bytes or `-`, referer, user agent. nginx's
 *   `combined` log_format has the same shape; the common log format (no
 *   referer / agent) and extra trailing fields are accepted too.
 * - uvicorn `AccessFormatter` default
 *   `%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s`,
 *   where client_addr is `host:port` and status_code is `200 OK`. It has no
 *   time and no user, so a line is only usable when a timestamp was added
 *   (`%(asctime)s` in the format, or a log shipper's prefix).
 *
 * Routes (MLflow REST API docs, mlflow/server/__init__.py and
 * mlflow/protos/mlflow_artifacts.proto): `/api/2.0/mlflow/...` (the UI calls
 * the same handlers under `/ajax-api/2.0/mlflow/...`), proxied artifacts under
 * `/api/2.0/mlflow-artifacts/artifacts/<path>`, and the UI's `/get-artifact`
 * and `/model-versions/get-artifact`. `--static-prefix` puts a prefix before
 * all of them, so routes are found anywhere in the path, not only at its start.
 */
import type { MwEvent, RegistryAction } from '../../events/index.js';
import { toIsoUtc } from '../../util/time.js';
import { envelope, outcomeOf } from '../shared/envelope.js';
import type { Outcome, ParseContext, RawRecord, Sample, SourceParser } from '../types.js';
import { perRecord, quarantine, refOf } from '../types.js';

/** Principal for gunicorn/nginx lines with `-` as user: the server saw no credentials. */
export const ANONYMOUS = 'anonymous';
/** Principal for uvicorn lines: its format has no user field, so the caller is unknown, not anonymous. */
export const UNKNOWN_CALLER = 'unknown';

// --- line shapes -------------------------------------------------------------

// Container runtimes (`docker logs -t`, `kubectl logs --timestamps`) prefix each line with an RFC 3339 time.
const RUNTIME_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})\s+(?=\S+ \S+ )/;
// host ident user [time] — the user is free text without `[` (basic-auth names may hold spaces).
const CLF_HEAD = /^(\S+) (\S+) ([^[]+?) \[([^\]]*)\] /;
const CLF_START = /^\S+ \S+ [^[]+? \[/;
const CLF_TIME_SHAPE = /^\d{1,2}\/\w{3}\/\d{4}:/;
// A few prefix tokens (time, level, logger), `host:port`, the request, then status and phrase without quotes.
// The bounds keep S3 server access logs (`... REST.GET.OBJECT key "GET /b/k HTTP/1.1" 200 - ...`) out.
const UVICORN = /^((?:\S+\s+){0,6}?)(\S+:\d+) - "((?:[^"\\]|\\.)*)" (\S+)([^"]*)$/;
const UVICORN_START = /^(?:\S+\s+){0,6}?\S+:\d+ - "/;
// A time anywhere in the uvicorn prefix: `%(asctime)s` (`2026-02-03 10:15:02,123`), ISO from a shipper, or CLF.
const PREFIX_TIME =
  /(\d{4}-\d{2}-\d{2}[ T]+\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?: ?(?:Z|UTC|[+-]\d{2}:?\d{2}))?|\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})/;
const SERVER_MESSAGE = /^(?:\[[^\]]*\]\s*)*(?:\[?(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL)\]?:?)\s/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const REQUEST_LINE = /^([A-Za-z]+) (\S+)(?: (HTTP\/[\d.]+))?$/;

interface AccessLine {
  shape: 'clf' | 'uvicorn';
  time: string;
  host: string | null;
  user: string;
  request: string;
  status: number;
  bytes: number | null;
  userAgent: string | null;
}

type Split = { ok: true; value: AccessLine } | { ok: false; reason: string };

/**
 * Tokens after the CLF `[time]`: quoted strings and bare words. nginx writes `"` and non-ASCII bytes as
 * `\xHH`, which stays as written (a TLS probe's request line is evidence in that form); only `\"` is unescaped.
 */
const FIELD_NAMES = ['request line', 'status', 'response size', 'referer', 'user agent'];

function tokens(s: string): { ok: true; tokens: Array<{ quoted: boolean; text: string }> } | { ok: false; reason: string } {
  const out: Array<{ quoted: boolean; text: string }> = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    if (s[i] === ' ' || s[i] === '\t') {
      i++;
      continue;
    }
    if (s[i] === '"') {
      let j = i + 1;
      let from = j;
      let text = '';
      let closed = false;
      while (j < n) {
        const c = s.charCodeAt(j);
        if (c === 0x5c && s.charCodeAt(j + 1) === 0x22) {
          text += s.slice(from, j) + '"';
          j += 2;
          from = j;
          continue;
        }
        if (c === 0x22) {
          closed = true;
          break;
        }
        j++;
      }
      text += s.slice(from, j);
      if (!closed) return { ok: false, reason: `${FIELD_NAMES[out.length] ?? 'extra field'}: closing quote missing (line truncated?)` };
      if (j + 1 < n && s[j + 1] !== ' ' && s[j + 1] !== '\t') {
        return { ok: false, reason: `${FIELD_NAMES[out.length] ?? 'extra field'}: closing quote followed by ${JSON.stringify(s[j + 1])}, not a space` };
      }
      out.push({ quoted: true, text });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < n && s[j] !== ' ' && s[j] !== '\t') j++;
    out.push({ quoted: false, text: s.slice(i, j) });
    i = j;
  }
  return { ok: true, tokens: out };
}

function statusOf(text: string): number | null {
  if (!/^\d{3}$/.test(text)) return null;
  const n = Number(text);
  return n >= 100 && n <= 599 ? n : null;
}

function dashNull(s: string | undefined): string | null {
  return s === undefined || s === '' || s === '-' ? null : s;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Date.parse rolls `31/Feb` over into March; a log line with an impossible day is corrupt, not early March. */
function realDay(clf: string): boolean {
  const m = /^(\d{1,2})\/(\w{3})\/(\d{4}):/.exec(clf);
  if (!m) return true;
  const day = Number(m[1]);
  const month = MONTHS.indexOf(m[2]!);
  return month === -1 || new Date(Date.UTC(Number(m[3]), month, day)).getUTCDate() === day;
}

function splitClf(body: string, head: RegExpExecArray): Split {
  const [, host, , userField, rawTime] = head;
  const time = realDay(rawTime!) ? toIsoUtc(`[${rawTime}]`) : null;
  if (!time) return { ok: false, reason: `timestamp [${rawTime}] is not a CLF time (dd/Mon/yyyy:HH:MM:SS +zzzz)` };
  const t = tokens(body.slice(head[0].length));
  if (!t.ok) return t;
  const [req, st, by, ref, ua] = t.tokens;
  if (!req || !req.quoted) return { ok: false, reason: 'request line missing or not quoted after the timestamp' };
  if (!st) return { ok: false, reason: 'status missing after the request line (line truncated?)' };
  const status = statusOf(st.text);
  if (status === null) return { ok: false, reason: `status ${JSON.stringify(st.text)} is not an HTTP status code` };
  if (!by) return { ok: false, reason: 'response size missing after the status (line truncated?)' };
  if (by.text !== '-' && !/^\d+$/.test(by.text)) {
    return { ok: false, reason: `response size ${JSON.stringify(by.text)} is neither a byte count nor "-"` };
  }
  // Referer and agent come as a quoted pair (combined) or not at all (common); a referer alone means a cut
  // line, while an unquoted field after the size is an extra field of a custom format (`$request_time`).
  const combined = ref?.quoted === true;
  if (combined && !ua) return { ok: false, reason: 'user agent missing after the referer (line truncated?)' };
  if (combined && !ua!.quoted) return { ok: false, reason: `user agent ${JSON.stringify(ua!.text)} is not quoted` };
  const user = userField!.trim();
  return {
    ok: true,
    value: {
      shape: 'clf',
      time,
      host: dashNull(host),
      user: user === '-' || user === '' ? ANONYMOUS : user,
      request: req.text,
      status,
      bytes: by.text === '-' ? null : Number(by.text),
      userAgent: combined ? dashNull(ua?.text) : null,
    },
  };
}

function prefixTime(prefix: string): string | null | undefined {
  const m = PREFIX_TIME.exec(prefix);
  if (!m) return undefined;
  const s = m[1]!;
  if (s.includes('/')) return toIsoUtc(s);
  // `%(asctime)s` uses a comma before milliseconds and a space before the time; a missing zone is UTC.
  const norm = s
    .replace(',', '.')
    .replace(/^(\d{4}-\d{2}-\d{2})[ T]+/, '$1T')
    .replace(/ ?UTC$/, 'Z')
    .replace(/ ([+-]\d{2}:?\d{2})$/, '$1');
  return toIsoUtc(norm);
}

function clientHost(addr: string): string | null {
  // uvicorn writes `host:port` (IPv6 unbracketed, so only the last `:port` is the port).
  const b = /^\[(.+)\]:\d+$/.exec(addr);
  if (b) return b[1]!;
  const p = /^(.+):\d+$/.exec(addr);
  return dashNull(p ? p[1] : addr);
}

function splitUvicorn(m: RegExpExecArray): Split {
  const [, prefix, client, request, st] = m;
  const time = prefixTime(prefix!);
  if (time === undefined) return { ok: false, reason: 'uvicorn line without timestamp' };
  if (time === null) return { ok: false, reason: `timestamp in ${JSON.stringify(prefix!.trim())} is not a valid time` };
  const status = statusOf(st!);
  if (status === null) return { ok: false, reason: `status ${JSON.stringify(st)} is not an HTTP status code` };
  return {
    ok: true,
    value: {
      shape: 'uvicorn',
      time,
      host: clientHost(client!),
      user: UNKNOWN_CALLER,
      request: request!.replace(/\\(["\\])/g, '$1'),
      status,
      bytes: null,
      userAgent: null,
    },
  };
}

export function splitLine(text: string): Split {
  let line = text.includes('\x1b') ? text.replace(ANSI, '') : text;
  line = line.trim();
  const body = line.replace(RUNTIME_PREFIX, '');
  const head = CLF_HEAD.exec(body);
  // A uvicorn format with `[%(name)s]` or `[%(process)d]` in its prefix also has host-ident-user-[x] shape;
  // only a bracket holding a CLF time makes the line a combined-format one.
  if (head && CLF_TIME_SHAPE.test(head[4]!)) return splitClf(body, head);
  const u = UVICORN.exec(line);
  if (u) return splitUvicorn(u);
  // gunicorn's error log (`[time] [pid] [INFO] Booting worker`) often shares the file with the access log.
  if (SERVER_MESSAGE.test(line) && !line.includes('"')) return { ok: false, reason: 'server log message, not an access-log line' };
  if (head) return splitClf(body, head);
  if (CLF_START.test(body)) return { ok: false, reason: 'timestamp bracket not closed (line truncated?)' };
  if (UVICORN_START.test(line)) return { ok: false, reason: 'uvicorn request line not closed or status missing (line truncated?)' };
  if (SERVER_MESSAGE.test(line)) return { ok: false, reason: 'server log message, not an access-log line' };
  return { ok: false, reason: 'not a gunicorn/nginx combined or uvicorn access-log line' };
}

// --- routes ------------------------------------------------------------------

export interface Route {
  action: RegistryAction;
  model: string | null;
  modelVersion: string | null;
  artifactUri: string | null;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Model name from a search filter such as `name='toxicity-classifier'` (equality only: LIKE names no one model). */
function nameFromFilter(filter: string | null): string | null {
  if (!filter) return null;
  const m = /(?:^|[\s(])name\s*=\s*(['"])(.*?)\1/i.exec(filter);
  return m ? m[2]! || null : null;
}

function joinUri(base: string, path: string | null): string {
  if (!path) return base;
  return `${base}/${path.replace(/^\/+/, '')}`;
}

const REGISTRY_ROUTES: Record<string, RegistryAction> = {
  'registered-models/list': 'list_models',
  'registered-models/search': 'search_models',
  'registered-models/get': 'get_model',
  // Returns each stage's latest version with its source URI: as revealing as model-versions/get.
  'registered-models/get-latest-versions': 'get_version',
  'registered-models/create': 'create_or_update',
  'registered-models/update': 'create_or_update',
  'registered-models/rename': 'create_or_update',
  'registered-models/set-tag': 'create_or_update',
  'registered-models/delete-tag': 'create_or_update',
  'registered-models/delete': 'delete',
  'model-versions/get': 'get_version',
  'model-versions/search': 'search_models',
  'model-versions/get-download-uri': 'get_download_uri',
  'model-versions/get-artifact': 'download_artifact',
  'model-versions/create': 'create_or_update',
  'model-versions/update': 'create_or_update',
  'model-versions/transition-stage': 'create_or_update',
  'model-versions/set-tag': 'create_or_update',
  'model-versions/delete-tag': 'create_or_update',
  'model-versions/delete': 'delete',
  'artifacts/list': 'list_artifacts',
  'get-artifact': 'download_artifact',
};

const API_ROOT = /\/(?:ajax-)?api\/\d+\.\d+\//;
const MLFLOW_API = /^\/(?:ajax-)?api\/\d+\.\d+\/mlflow\/(.*)$/;
const ARTIFACTS_API = /^\/(?:ajax-)?api\/\d+\.\d+\/mlflow-artifacts\/(.*)$/;
const ENDPOINTS_API = /^\/api\/\d+\.\d+\/(?:serving-endpoints|endpoints)(?:\/.*)?$/;

/** What the request did, from method, path (without query) and query parameters. */
export function routeOf(method: string, path: string, query: URLSearchParams): Route {
  const q = (k: string): string | null => {
    const v = query.get(k);
    return v === null || v === '' ? null : v;
  };
  const none: Route = { action: 'other', model: null, modelVersion: null, artifactUri: null };
  const p0 = path.replace(/\/{2,}/g, '/');
  // Routes sit after an optional --static-prefix; the first `/api/X.Y/` decides, so an artifact path that
  // happens to contain `/api/2.0/mlflow/...` is not mistaken for a registry call.
  const at = p0.search(API_ROOT);
  const p = at > 0 ? p0.slice(at) : p0;

  const api = MLFLOW_API.exec(p);
  if (api) {
    const rest = api[1]!.replace(/\/+$/, '');
    if (rest === 'registered-models/alias') {
      return { action: method === 'GET' ? 'get_version' : 'create_or_update', model: q('name'), modelVersion: null, artifactUri: null };
    }
    // MLflow 3 logged models: files and directories under a logged model's artifact root.
    const lm = /^logged-models\/([^/]+)\/artifacts\/(files|directories)$/.exec(rest);
    if (lm && method === 'GET') {
      const uri = joinUri(`models:/${decode(lm[1]!)}`, q('artifact_file_path') ?? q('artifact_directory_path') ?? q('path'));
      return { action: lm[2] === 'files' ? 'download_artifact' : 'list_artifacts', model: null, modelVersion: null, artifactUri: uri };
    }
    const action = REGISTRY_ROUTES[rest];
    if (!action) return none;
    return routeWith(action, rest, q);
  }

  const art = ARTIFACTS_API.exec(p);
  if (art) {
    const rest = art[1]!;
    if (rest === 'artifacts' || rest.startsWith('artifacts/')) {
      const sub = rest.slice('artifacts'.length).replace(/^\/+/, '');
      const listing = sub === '' || sub.endsWith('/') || query.has('path');
      const artPath = sub === '' ? q('path') : decode(sub.replace(/\/+$/, ''));
      const artifactUri = artPath ? `mlflow-artifacts:/${artPath.replace(/^\/+/, '')}` : 'mlflow-artifacts:/';
      let action: RegistryAction = 'other';
      if (method === 'GET') action = listing ? 'list_artifacts' : 'download_artifact';
      else if (method === 'PUT') action = 'create_or_update';
      else if (method === 'DELETE') action = 'delete';
      return { action, model: null, modelVersion: null, artifactUri };
    }
    // Multipart upload of a large artifact (mpu/create, mpu/complete) writes into the store.
    if (/^mpu\/(create|complete)\b/.test(rest)) {
      return { action: 'create_or_update', model: null, modelVersion: null, artifactUri: q('path') ? `mlflow-artifacts:/${q('path')}` : null };
    }
    return none;
  }

  if (ENDPOINTS_API.test(p)) {
    return method === 'GET' && !p.endsWith('/invocations') ? { ...none, action: 'list_endpoints' } : none;
  }

  // The UI's own artifact routes, served outside /api (optionally under --static-prefix).
  if (/\/model-versions\/get-artifact$/.test(p)) return routeWith('download_artifact', 'model-versions/get-artifact', q);
  if (/\/get-artifact$/.test(p)) return routeWith('download_artifact', 'get-artifact', q);
  return none;
}

function routeWith(action: RegistryAction, rest: string, q: (k: string) => string | null): Route {
  if (rest === 'get-artifact' || rest === 'artifacts/list') {
    const run = q('run_id') ?? q('run_uuid');
    return { action, model: null, modelVersion: null, artifactUri: run ? joinUri(`runs:/${run}`, q('path')) : null };
  }
  const model = q('name') ?? nameFromFilter(q('filter'));
  const isVersion = rest.startsWith('model-versions/');
  const modelVersion = isVersion ? q('version') : null;
  let artifactUri: string | null = null;
  if (rest === 'model-versions/get-artifact' && model) {
    artifactUri = joinUri(`models:/${model}${modelVersion ? `/${modelVersion}` : ''}`, q('path'));
  }
  return { action, model, modelVersion, artifactUri };
}

/** Method and path of a request line; absolute-form targets (`GET http://host/p`) keep only the path. */
export function requestOf(request: string): { method: string; path: string; query: URLSearchParams } | null {
  const m = REQUEST_LINE.exec(request.trim());
  if (!m) return null;
  let target = m[2]!;
  const abs = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(target);
  if (abs) target = abs[1] || '/';
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const qi = target.indexOf('?');
  const path = qi === -1 ? target : target.slice(0, qi);
  let query: URLSearchParams;
  try {
    query = new URLSearchParams(qi === -1 ? '' : target.slice(qi + 1));
  } catch {
    query = new URLSearchParams();
  }
  return { method: m[1]!.toUpperCase(), path: path || '/', query };
}

// --- parser ------------------------------------------------------------------

function mlflowRecord(r: RawRecord, ctx: ParseContext): Outcome {
  const s = splitLine(r.text);
  if (!s.ok) return quarantine(r, s.reason);
  const a = s.value;
  const req = requestOf(a.request);
  // A request line the server could not parse (TLS probe, `-`) is still a request: kept as `other`.
  const route = req ? routeOf(req.method, req.path, req.query) : { action: 'other' as const, model: null, modelVersion: null, artifactUri: null };
  const st = outcomeOf(a.status);
  const ev: MwEvent = {
    ...envelope(ctx, [refOf(r)], a.time, a.user),
    kind: 'registry',
    sourceIp: a.host,
    userAgent: a.userAgent,
    context: null,
    action: route.action,
    model: route.model,
    modelVersion: route.modelVersion,
    artifactUri: route.artifactUri,
    bytes: a.bytes,
    outcome: st.outcome,
    httpStatus: st.httpStatus,
    operation: req ? `${req.method} ${req.path}` : a.request || null,
  };
  return { type: 'event', event: ev, records: [refOf(r)] };
}

const MLFLOW_MARKERS = /\/(?:ajax-)?api\/\d+\.\d+\/mlflow[/-]|\/ajax-api\/|\/get-artifact\b|mlflow-artifacts|mlflow-python-client\//;

/** Shape of a line for detection only: a full split is not needed to recognise an access log. */
function looksLikeAccessLine(text: string): boolean {
  const line = text.includes('\x1b') ? text.replace(ANSI, '') : text;
  const body = line.replace(RUNTIME_PREFIX, '');
  return CLF_HEAD.test(body) ? /\] "/.test(body) : UVICORN.test(line);
}

export const mlflowAccessParser: SourceParser = {
  format: 'mlflow-access',
  description: 'MLflow tracking-server access logs (gunicorn / nginx combined / timestamped uvicorn): registry reads, downloads, listings',
  framing: 'lines',
  detect(sample: Sample): number {
    const lines = sample.lines;
    if (lines.length === 0) return 0;
    let hits = 0;
    for (const l of lines) if (looksLikeAccessLine(l)) hits++;
    const share = hits / lines.length;
    if (hits === 0) return 0;
    // The whole head, not just the first lines: a log can open with a run of health checks.
    if (MLFLOW_MARKERS.test(sample.head)) return share >= 0.25 ? 0.6 + 0.35 * share : 0.3;
    // A generic web access log: recognisable but not ours to claim (below the 0.5 detection floor).
    return 0.3 * share;
  },
  parse: perRecord(mlflowRecord),
  parseRecord: mlflowRecord,
};
