/**
 * Writes simulated actions as the log lines of the systems that would record
 * them. Every action goes to exactly one log, so ingesting the whole output
 * directory never counts an action twice:
 *   - predictions to gateway-fronted models  -> MLPlatformLogs.jsonl (prediction_request)
 *   - predictions to KServe / Seldon models  -> kserve-cloudevents.jsonl (request + response)
 *   - platform portal actions                -> MLPlatformLogs.jsonl (registry_*, endpoint_list, bucket_list, model_download)
 *   - MLflow REST / UI / artifact proxy      -> mlflow-access.log (gunicorn)
 *   - direct object storage access           -> minio-audit.jsonl
 *   - uploads seen by DLP                    -> DLPLogs.jsonl
 *   - HR system                              -> HREvents.jsonl
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { ModelOracle, Query } from './models.js';
import type { Rng } from './rng.js';
import type { ModelDef, Person, World } from './world.js';

export const OUTPUT_FILES = {
  platform: 'MLPlatformLogs.jsonl',
  dlp: 'DLPLogs.jsonl',
  hr: 'HREvents.jsonl',
  cloudevents: 'kserve-cloudevents.jsonl',
  mlflow: 'mlflow-access.log',
  minio: 'minio-audit.jsonl',
} as const;
export type StreamName = keyof typeof OUTPUT_FILES;

export const PHASES = ['recon', 'api_extraction', 'side_channel', 'artifact_theft', 'membership_inference', 'exfiltration'] as const;
export type PhaseId = (typeof PHASES)[number];

export interface TraceRecord {
  phase: PhaseId;
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  time: number;
  /** The identity the log line names (user id, basic-auth user, access key). */
  identity: string;
}

/** Buffered line writer: lines are encoded straight into large buffers, handed to the stream whole, and drain is awaited. */
export class LineWriter {
  private static readonly SIZE = 4 << 20;
  private buf: Buffer = Buffer.allocUnsafeSlow(LineWriter.SIZE);
  private pos = 0;
  private readonly full: Array<{ base: Buffer; len: number }> = [];
  /** Buffers the stream has finished with: allocating external memory at this rate would drive the GC. */
  private readonly free: Buffer[] = [];
  lines = 0;
  bytes = 0;
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { highWaterMark: 8 << 20 });
  }

  write(line: string): number {
    // Worst case 3 bytes per UTF-16 unit (the lines are ASCII, so this rarely rotates early).
    if (this.pos + line.length * 3 + 1 > this.buf.length) this.rotate(line.length * 3 + 1);
    this.pos += this.buf.write(line, this.pos, 'utf8');
    this.buf[this.pos++] = 10;
    return ++this.lines;
  }

  /** Appends a piece of the current line (lines may span buffers: the stream concatenates them). */
  part(s: string): void {
    if (this.pos + s.length * 3 > this.buf.length) this.rotate(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Ends the line built with part(); returns its line number. */
  endLine(): number {
    if (this.pos + 1 > this.buf.length) this.rotate(1);
    this.buf[this.pos++] = 10;
    return ++this.lines;
  }

  private rotate(need: number): void {
    if (this.pos > 0) this.full.push({ base: this.buf, len: this.pos });
    const size = Math.max(LineWriter.SIZE, need);
    this.buf = (size === LineWriter.SIZE ? this.free.pop() : undefined) ?? Buffer.allocUnsafeSlow(size);
    this.pos = 0;
  }

  get needsFlush(): boolean {
    return this.full.length > 0;
  }

  async flush(): Promise<void> {
    if (this.pos > 0) this.rotate(0);
    let ok = true;
    for (const { base, len } of this.full.splice(0)) {
      this.bytes += len;
      ok = this.stream.write(base.subarray(0, len), () => {
        if (base.length === LineWriter.SIZE && this.free.length < 3) this.free.push(base);
      });
    }
    if (!ok) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
}

// --- time formatting (integer epoch ms, UTC) --------------------------------

let dayKey = -1;
let dayPrefix = '';
const p2 = (n: number): string => (n < 10 ? '0' + n : String(n));
const p3 = (n: number): string => (n < 10 ? '00' + n : n < 100 ? '0' + n : String(n));

/** ISO 8601 UTC with milliseconds and Z. */
export function iso(t: number): string {
  const day = Math.floor(t / 86400000);
  if (day !== dayKey) {
    dayKey = day;
    dayPrefix = new Date(day * 86400000).toISOString().slice(0, 11);
  }
  let ms = t - day * 86400000;
  const h = Math.floor(ms / 3600000);
  ms -= h * 3600000;
  const m = Math.floor(ms / 60000);
  ms -= m * 60000;
  const s = Math.floor(ms / 1000);
  ms -= s * 1000;
  return `${dayPrefix}${p2(h)}:${p2(m)}:${p2(s)}.${p3(ms)}Z`;
}

/** ISO with nanoseconds (MinIO, CloudEvents): the sub-millisecond digits come from `sub` (0..999999). */
export function isoNano(t: number, sub: number): string {
  return iso(t).slice(0, -1) + String(sub).padStart(6, '0') + 'Z';
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Common log format time: 03/Feb/2026:10:15:02 +0000 */
export function clf(t: number): string {
  const d = new Date(t);
  return `${p2(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

export function isoDate(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}

/** Characters that JSON strings must escape; SMILES almost never contain them, so test before paying for JSON.stringify. */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** The body of a JSON string literal holding `s` (JSON text embedded as a string, as InputData is). */
export function escapeJson(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s).slice(1, -1) : s;
}

// --- user agents --------------------------------------------------------------

export const UA = {
  requests: 'python-requests/2.31.0',
  httpx: 'python-httpx/0.27.0',
  mlflow: 'mlflow-python-client/2.14.1',
  browser: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36',
  browserMac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  mc: 'MinIO (linux; amd64) minio-go/v7.0.66 mc/RELEASE.2024-01-13T08-44-48Z',
  boto3: 'Boto3/1.34.34 md/Botocore#1.34.34 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.34',
  locust: 'locust/2.23.1',
  airflow: 'python-requests/2.31.0 airflow/2.8.1',
};

export interface PredictOptions {
  /** The identity the key belongs to, when not the actor's own (borrowed keys). */
  keyOwner?: Person;
  ip?: string;
  ua?: string;
  phase?: PhaseId;
}

export interface PhaseStats {
  start: number;
  end: number;
  count: number;
}

/** Formats and routes every simulated action. One per simulation. */
export class Emitter {
  readonly writers: Record<StreamName, LineWriter>;
  readonly phases = new Map<PhaseId, PhaseStats>();
  /** HR lines written (few): who, what, when. */
  readonly hrEvents: Array<{ principal: string; type: string; t: number }> = [];
  private seq = 0;
  private readonly errorRate: number;

  constructor(
    private readonly world: World,
    private readonly oracle: ModelOracle,
    private readonly rng: Rng,
    outDir: string,
    private readonly trace?: (r: TraceRecord) => void,
  ) {
    this.errorRate = rng.uniform(world.cfg.platform.serverErrorRate[0], world.cfg.platform.serverErrorRate[1]);
    const w = {} as Record<StreamName, LineWriter>;
    for (const [k, f] of Object.entries(OUTPUT_FILES)) w[k as StreamName] = new LineWriter(join(outDir, f));
    this.writers = w;
  }

  get events(): number {
    let n = 0;
    for (const w of Object.values(this.writers)) n += w.lines;
    return n;
  }

  get needsFlush(): boolean {
    for (const w of Object.values(this.writers)) if (w.needsFlush) return true;
    return false;
  }

  async flush(): Promise<void> {
    for (const w of Object.values(this.writers)) await w.flush();
  }

  async close(): Promise<void> {
    for (const w of Object.values(this.writers)) await w.close();
  }

  private mark(phase: PhaseId | undefined, stream: StreamName, line: number, t: number, identity: string): void {
    if (!phase) return;
    const s = this.phases.get(phase);
    if (!s) this.phases.set(phase, { start: t, end: t, count: 1 });
    else {
      if (t < s.start) s.start = t;
      if (t > s.end) s.end = t;
      s.count++;
    }
    this.trace?.({ phase, file: OUTPUT_FILES[stream], line, time: t, identity });
  }

  private requestId(): string {
    // MinIO request ids are 16 upper-case hex digits (a nanosecond clock); a counter keeps them unique.
    this.seq++;
    return (0x1890000000000000n + BigInt(this.seq) * 7919n + BigInt(Math.floor(this.rng.next() * 7919))).toString(16).toUpperCase();
  }

  // --- predictions --------------------------------------------------------

  private readonly hourKey = new Map<number, number>();
  private readonly hourCount = new Map<number, number>();
  /** Identities exempt from the per-user rate limit (the approved load test). */
  readonly rateExempt = new Set<number>();

  /** Counts a request against the caller's hourly rate limit; true when it is over the limit. */
  private limited(who: Person, t: number): boolean {
    if (this.rateExempt.has(who.idx)) return false;
    const hour = Math.floor(t / 3_600_000);
    if (this.hourKey.get(who.idx) !== hour) {
      this.hourKey.set(who.idx, hour);
      this.hourCount.set(who.idx, 0);
    }
    const n = this.hourCount.get(who.idx)! + 1;
    this.hourCount.set(who.idx, n);
    return n > this.world.cfg.platform.rateLimitPerHour;
  }

  /** Sends one prediction request; returns each instance's confidence (null for failures). */
  predict(actor: Person, t: number, model: ModelDef, queries: readonly Query[], o: PredictOptions = {}): Array<number | null> {
    const who = o.keyOwner ?? actor;
    const ip = o.ip ?? actor.ip;
    const ua = o.ua ?? UA.requests;
    const rng = this.rng;
    const throttled = this.limited(who, t);
    const failed = throttled || rng.chance(this.errorRate);
    const confs: Array<number | null> = [];
    const seldon = model.protocol === 'seldon';
    const target = model.output === 'affinity' && seldon ? (model.name.startsWith('kinase') ? 'JAK2' : 'BACE1') : null;
    const status = throttled ? 429 : failed ? (rng.chance(0.5) ? 503 : 500) : 200;
    const latency = Math.max(3, Math.round(rng.lognormal(25 + 4 * queries.length, 0.35)));
    if (model.serving === 'gateway') {
      // The bodies are embedded as JSON strings: written piece by piece, already escaped, straight into the output buffer.
      const w = this.writers.platform;
      w.part(`{"TimeGenerated":"${iso(t)}","EventType":"prediction_request","UserId":"${who.email}","ModelName":"${model.name}","ModelVersion":"${model.version}","InputData":"`);
      w.part(seldon ? '{\\"data\\":{\\"ndarray\\":[' : '{\\"instances\\":[');
      let inLen = Math.max(0, queries.length - 1) + (seldon ? 23 : 16);
      const tail = target ? `,\\"target\\":\\"${target}\\"}` : '}';
      for (let i = 0; i < queries.length; i++) {
        const q = queries[i]!;
        if (model.input === 'features') {
          const f = `${i ? ',' : ''}[${(q.features ?? []).join(',')}]`;
          w.part(f);
          inLen += f.length - (i ? 1 : 0);
        } else if (!NEEDS_ESCAPE.test(q.smiles)) {
          w.part(`${i ? ',' : ''}{\\"smiles\\":\\"${q.smiles}\\"${tail}`);
          inLen += 13 + q.smiles.length + (target ? 12 + target.length : 0);
        } else {
          const raw = JSON.stringify(q.smiles);
          w.part(`${i ? ',' : ''}{\\"smiles\\":${escapeJson(raw)}${tail}`);
          inLen += 11 + raw.length + (target ? 12 + target.length : 0);
        }
      }
      w.part(seldon ? ']}}"' : ']}"');
      let outLen = 0;
      if (!failed) {
        w.part(',"OutputData":"{\\"predictions\\":[');
        for (let i = 0; i < queries.length; i++) {
          const a = this.oracle.answer(model, queries[i]!);
          if (i) w.part(',');
          w.part((a.esc ??= a.json.replaceAll('"', '\\"')));
          outLen += a.json.length;
          confs.push(a.confidence);
        }
        w.part(']}"');
        outLen += Math.max(0, queries.length - 1) + 18;
      } else for (let i = 0; i < queries.length; i++) confs.push(null);
      const endpoint = seldon ? `/seldon/${this.world.cfg.company.namespace}/${model.name}/api/v1.0/predictions` : `/v1/models/${model.name}:predict`;
      w.part(
        `,"BatchSize":${queries.length},"Details":{"api_key_id":"${who.apiKey}","source_ip":"${ip}","endpoint":"${endpoint}","status":${status},"latency_ms":${latency},"bytes_in":${inLen},"bytes_out":${outLen},"model_team":"${model.team}","user_agent":"${ua}"},` +
          `"UserContext":{"team":"${who.team}","role":"${who.role}"}}`,
      );
      const n = w.endLine();
      this.mark(o.phase, 'platform', n, t, who.email);
      return confs;
    }
    // KServe / Seldon request logger: request and response CloudEvents, identity in extension attributes.
    const w = this.writers.cloudevents;
    const ns = this.world.cfg.company.namespace;
    const common = `"datacontenttype":"application/json","inferenceservicename":"${model.name}","namespace":"${ns}","endpoint":"default","component":"predictor","userid":"${who.principal}","apikeyid":"${who.apiKey}","sourceip":"${ip}"`;
    const tail = target ? `,"target":"${target}"}` : '}';
    const writeInputs = (): void => {
      for (let i = 0; i < queries.length; i++) {
        const q = queries[i]!;
        if (model.input === 'features') w.part(`${i ? ',' : ''}[${(q.features ?? []).join(',')}]`);
        else w.part(`${i ? ',' : ''}{"smiles":${NEEDS_ESCAPE.test(q.smiles) ? JSON.stringify(q.smiles) : `"${q.smiles}"`}${tail}`);
      }
    };
    const writeOutputs = (): void => {
      for (let i = 0; i < queries.length; i++) {
        const a = this.oracle.answer(model, queries[i]!);
        if (i) w.part(',');
        w.part(a.json);
        confs.push(a.confidence);
      }
    };
    const tResp = t + latency;
    let n: number;
    if (seldon) {
      const rid = rng.uuid();
      const src = `http://${model.name}-default.${ns}:8000/`;
      w.part(`{"specversion":"1.0","type":"io.seldon.serving.inference.request","source":"${src}","id":"${rng.uuid()}","time":"${isoNano(t, rng.int(0, 999999))}",${common},"modelid":"${model.name}","requestid":"${rid}","data":{"data":{"ndarray":[`);
      writeInputs();
      w.part(']}}}');
      n = w.endLine();
      w.part(`{"specversion":"1.0","type":"io.seldon.serving.inference.response","source":"${src}","id":"${rng.uuid()}","time":"${isoNano(tResp, rng.int(0, 999999))}",${common},"modelid":"${model.name}","requestid":"${rid}","data":`);
      if (failed) w.part(`{"status":{"code":${status},"info":"model server error","status":"FAILURE"}}`);
      else {
        w.part('{"data":{"names":[],"ndarray":[');
        writeOutputs();
        w.part(`]},"meta":{"requestPath":{"${model.name}":"registry.${this.world.cfg.company.domain}/models/${model.name}:${model.version}"}}}`);
      }
      w.part('}');
      w.endLine();
    } else {
      const id = rng.uuid();
      const src = `http://${model.name}-predictor.${ns}/`;
      w.part(`{"specversion":"1.0","type":"org.kubeflow.serving.inference.request","source":"${src}","id":"${id}","time":"${isoNano(t, rng.int(0, 999999))}",${common},"data":{"instances":[`);
      writeInputs();
      w.part(']}}');
      n = w.endLine();
      w.part(`{"specversion":"1.0","type":"org.kubeflow.serving.inference.response","source":"${src}","id":"${id}","time":"${isoNano(tResp, rng.int(0, 999999))}",${common},"data":`);
      if (failed) w.part(`{"error":"${throttled ? 'rate limit exceeded' : 'model server error'} (HTTP ${status})"}`);
      else {
        w.part('{"predictions":[');
        writeOutputs();
        w.part(']}');
      }
      w.part('}');
      w.endLine();
    }
    if (failed) for (let i = 0; i < queries.length; i++) confs.push(null);
    this.mark(o.phase, 'cloudevents', n, t, who.principal);
    return confs;
  }

  // --- platform portal ------------------------------------------------------

  platform(
    actor: Person,
    t: number,
    type: 'registry_list' | 'registry_get' | 'endpoint_list' | 'bucket_list' | 'model_download' | 'artifact_download',
    f: { model?: ModelDef; bucket?: string; prefix?: string; artifactUri?: string; bytes?: number; count?: number; ip?: string; ua?: string; phase?: PhaseId } = {},
  ): void {
    const d: string[] = [`"source_ip":"${f.ip ?? actor.ip}"`, `"status":200`, `"user_agent":"${f.ua ?? UA.browser}"`];
    let endpoint = '/api/v1/registry/models';
    if (type === 'endpoint_list') endpoint = '/api/v1/serving/endpoints';
    if (type === 'bucket_list') endpoint = `/api/v1/storage/buckets/${f.bucket}/objects`;
    if (type === 'registry_get' && f.model) endpoint = `/api/v1/registry/models/${f.model.name}`;
    if ((type === 'model_download' || type === 'artifact_download') && f.model) endpoint = `/api/v1/registry/models/${f.model.name}/versions/${f.model.version}/download`;
    d.push(`"endpoint":"${endpoint}"`);
    if (f.model) d.push(`"model_team":"${f.model.team}"`);
    if (f.artifactUri) d.push(`"artifact_uri":"${f.artifactUri}"`);
    if (f.bytes !== undefined) d.push(`"artifact_size_bytes":${f.bytes}`, `"bytes_out":${f.bytes}`);
    if (f.bucket) d.push(`"bucket":"${f.bucket}"`);
    if (f.prefix !== undefined) d.push(`"prefix":"${f.prefix}"`);
    if (f.count !== undefined) d.push(`"result_count":${f.count}`);
    d.push(`"latency_ms":${Math.round(this.rng.lognormal(type === 'model_download' ? 900 : 60, 0.4))}`);
    const model = f.model ? `"ModelName":"${f.model.name}","ModelVersion":"${f.model.version}",` : '';
    const line = `{"TimeGenerated":"${iso(t)}","EventType":"${type}","UserId":"${actor.email}",${model}"Details":{${d.join(',')}},"UserContext":{"team":"${actor.team}","role":"${actor.role}"}}`;
    const n = this.writers.platform.write(line);
    this.mark(f.phase, 'platform', n, t, actor.email);
  }

  // --- MLflow tracking server (gunicorn access log) --------------------------

  mlflow(actor: Person, t: number, method: 'GET' | 'POST' | 'PATCH', path: string, f: { status?: number; bytes?: number; ua?: string; ip?: string; referer?: string; phase?: PhaseId } = {}): void {
    const line = `${f.ip ?? actor.ip} - ${actor.principal} [${clf(t)}] "${method} ${path} HTTP/1.1" ${f.status ?? 200} ${f.bytes ?? this.rng.int(60, 900)} "${f.referer ?? '-'}" "${f.ua ?? UA.mlflow}"`;
    const n = this.writers.mlflow.write(line);
    this.mark(f.phase, 'mlflow', n, t, actor.principal);
  }

  // --- MinIO audit log --------------------------------------------------------

  minio(
    actor: Person,
    t: number,
    api: 'GetObject' | 'PutObject' | 'ListObjectsV2' | 'HeadObject' | 'ListBuckets',
    bucket: string,
    f: { object?: string; prefix?: string; bytes?: number; ua?: string; ip?: string; status?: number; phase?: PhaseId } = {},
  ): void {
    const rng = this.rng;
    const status = f.status ?? 200;
    const bytes = f.bytes ?? 0;
    const ttr = Math.round(api === 'GetObject' || api === 'PutObject' ? 2_000_000 + bytes * rng.uniform(4, 9) : rng.uniform(800_000, 9_000_000));
    const rx = api === 'PutObject' ? bytes : rng.int(0, 40);
    const tx = api === 'PutObject' ? 0 : api === 'GetObject' ? bytes : api === 'HeadObject' ? 0 : rng.int(400, 40_000);
    const obj = f.object ? `,"object":${JSON.stringify(f.object)}` : '';
    const ttfb = api === 'GetObject' ? `,"timeToFirstByte":"${Math.round(ttr * 0.02)}ns"` : '';
    const query =
      api === 'ListObjectsV2' ? `,"requestQuery":{"delimiter":"/","list-type":"2","prefix":${JSON.stringify(f.prefix ?? '')}}` : '';
    const host = `minio.${this.world.cfg.company.domain}:9000`;
    const path = api === 'ListBuckets' ? '/' : `/${bucket}/${f.object ?? ''}`;
    const line =
      `{"version":"1","deploymentid":"${this.world.cfg.company.minioDeploymentId}","time":"${isoNano(t, rng.int(0, 999999))}","event":"","trigger":"incoming",` +
      `"api":{"name":"${api}"${api === 'ListBuckets' ? '' : `,"bucket":"${bucket}"`}${obj},"status":"${status === 200 ? 'OK' : status === 404 ? 'Not Found' : 'Access Denied'}","statusCode":${status},"rx":${rx},"tx":${tx},"txHeaders":${rng.int(180, 420)}${ttfb},"timeToResponse":"${ttr}ns","timeToResponseInNS":"${ttr}"},` +
      `"remotehost":"${f.ip ?? actor.ip}","requestID":"${this.requestId()}","userAgent":"${f.ua ?? UA.mc}","requestPath":${JSON.stringify(path)},"requestHost":"${host}"${query},` +
      `"requestHeader":{"User-Agent":"${f.ua ?? UA.mc}","X-Amz-Content-Sha256":"UNSIGNED-PAYLOAD","X-Amz-Date":"${iso(t).replace(/[-:]/g, '').slice(0, 15)}Z"},` +
      `"responseHeader":{"Content-Length":"${tx}","Server":"MinIO","X-Amz-Request-Id":"${this.requestId()}"},"accessKey":"${actor.accessKey}"}`;
    const n = this.writers.minio.write(line);
    this.mark(f.phase, 'minio', n, t, actor.accessKey ?? actor.principal);
  }

  // --- DLP and HR ---------------------------------------------------------------

  dlp(actor: Person, t: number, destination: string, file: { name: string; size: number; entropy: number }, f: { phase?: PhaseId; app?: string } = {}): void {
    const line =
      `{"TimeGenerated":"${iso(t)}","Action":"upload","Destination":"${destination}","UserId":"${actor.email}",` +
      `"FileDetails":{"name":${JSON.stringify(file.name)},"size":${file.size},"sha256":"${this.rng.hex(64)}","entropy":${file.entropy.toFixed(4)}},` +
      `"DeviceName":"HTX-${actor.service ? 'SRV' : 'LT'}-${String(1000 + actor.idx).padStart(4, '0')}","Application":"${f.app ?? (actor.service ? 'rclone' : 'chrome.exe')}"}`;
    const n = this.writers.dlp.write(line);
    this.mark(f.phase, 'dlp', n, t, actor.email);
  }

  hr(actor: Person, t: number, type: 'resignation_submitted' | 'last_working_day' | 'termination' | 'role_change', details: Record<string, string>): void {
    const line = `{"TimeGenerated":"${iso(t)}","EventType":"${type}","UserId":"${actor.email}","Details":${JSON.stringify({ employee_id: `E${String(10000 + actor.idx * 37).padStart(6, '0')}`, ...details })}}`;
    this.writers.hr.write(line);
    this.hrEvents.push({ principal: actor.principal, type, t });
  }
}
