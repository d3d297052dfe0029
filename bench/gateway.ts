/**
 * `npm run bench:gateway`: the inference gateway on loopback against a fixed
 * upstream (the in-process KServe V1 test model server, a trained softmax
 * classifier), with a load generator written with undici. Upstream and
 * gateway run in child processes so the load generator does not share their
 * event loop.
 *
 * Rows: direct to the upstream, through a bare fastify + undici proxy (the
 * same stack without any policy: the floor), through the gateway with a full policy (key,
 * two GCRA rate limits, daily + lifetime budget reservations on the durable
 * journal, reverse sigmoid + rounding, audit lines written to disk), and
 * through nginx (`proxy_pass` with `limit_req`) when nginx is installed.
 * Two measurements each: the maximum closed-loop throughput, and latency at
 * a fixed 2,000 requests/s (open loop, latency measured from the scheduled
 * send time so queueing is not hidden: "coordinated omission", Tene).
 * Floors (issue 6): added p99 < 2 ms at 2,000 req/s; throughput >= 50% of nginx.
 * Fairness: nginx runs as many worker processes as the gateway runs processes
 * (one), with the same number of keep-alive upstream connections (128).
 * Every row carries the CPU time per request of the process that answered it
 * (the upstream for the direct rows, nginx's master and worker from /proc)
 * and the 1-minute load average when it finished: on a shared
 * machine the absolute numbers measure the queue for the CPU, so compare the
 * ratios within one round, and repeat rounds.
 *
 *   node dist/bench/gateway.js [seconds=5] [concurrency=32] [rounds=1]
 *   MW_BENCH_WARMUP=<seconds> (default 5): closed-loop warm-up of each Node process before the rows
 *   MW_BENCH_PROF=<dir> [MW_BENCH_PROF_ROLE=gateway|bare|upstream]: that child runs with --cpu-prof
 *   (summarise with `node dist/bench/profile-top.js <dir>/<file>.cpuprofile`).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { createGateway, tokenSha256 } from '../src/gateway/index.js';
import { startModelServer, testConfig } from '../src/gateway/testkit.js';

const SECONDS = Number(process.argv[2] ?? 5);
const CONCURRENCY = Number(process.argv[3] ?? 32);
const ROUNDS = Number(process.argv[4] ?? 1);
const RATE = 2000;
/** Closed-loop warm-up of each Node process before the rows, seconds (`MW_BENCH_WARMUP`). */
const WARMUP_SECONDS = Number(process.env['MW_BENCH_WARMUP'] ?? 5);
/** Processes the gateway runs as; nginx gets as many worker processes (a fair comparison). */
const GATEWAY_PROCESSES = 1;
/** Issue 6 floors. */
const FLOOR_ADDED_P99_MS = 2;
const FLOOR_NGINX_SHARE = 0.5;
const BODY = JSON.stringify({ instances: [[0.3, -0.2, 0.5, 0.1]] });

// --- child roles -------------------------------------------------------------

/** Answers the parent's 'cpu' messages with this process's CPU time (every thread). */
function reportCpu(): void {
  process.on('message', (m) => {
    if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
  });
}

async function childUpstream(): Promise<void> {
  const s = await startModelServer();
  process.send!({ url: s.url });
  reportCpu();
  process.once('SIGTERM', () => {
    void s.close().then(() => process.exit(0));
  });
}

async function childGateway(upstream: string, dir: string): Promise<void> {
  const cfg = testConfig(upstream, join(dir, 'data'), tokenSha256('bench-admin'), {
    limits: { upstream_timeout_ms: 5000, client_timeout_ms: 10_000, max_body_bytes: 65536, upstream_connections: 128 },
    audit: { dir: join(dir, 'audit') },
    rate_limits: [
      { scope: 'principal', unit: 'instances', per: 'second', limit: 1_000_000 },
      { scope: 'key', unit: 'requests', per: 'minute', limit: 100_000_000 },
    ],
    budgets: [{ models: ['*'], per_day: 1_000_000_000, lifetime: 1_000_000_000 }],
    counters: { on_unavailable: 'fail_closed', fsync_interval_ms: Number(process.env['MW_BENCH_FSYNC_MS'] ?? 50) },
  });
  const gw = createGateway({ config: cfg, logLevel: 'warn' });
  const { url } = await gw.start();
  const key = gw.keys.create({ principal: 'bench', role: 'scientist' }).secret;
  process.send!({ url, key });
  // CPU time is what the gateway costs per request regardless of how busy the machine is.
  reportCpu();
  process.once('SIGTERM', () => {
    void gw.close().then(() => process.exit(0));
  });
}

/** Reference: the same stack (fastify + undici pool) proxying with no policy at all: the floor the policy adds to. */
async function childBare(upstream: string): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const pool = new Pool(upstream, { connections: 128 });
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/*', async (req, reply) => {
    const r = await pool.request({ path: req.url, method: 'POST', headers: { 'content-type': 'application/json' }, body: req.body as Buffer });
    const text = await r.body.text();
    return reply.code(r.statusCode).type('application/json').send(text);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  process.send!({ url: `http://127.0.0.1:${addr.port}` });
  reportCpu();
  // A clean exit writes the --cpu-prof profile.
  process.once('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}

// --- load generation ---------------------------------------------------------

interface Result {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** CPU time of the process answering the row, per request (µs). */
  cpuUsPerReq?: number;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summarise(lat: number[], errors: number, seconds: number): Result {
  lat.sort((a, b) => a - b);
  return { requests: lat.length, errors, seconds, rps: lat.length / seconds, p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function one(pool: Pool, path: string, headers: Record<string, string>): Promise<boolean> {
  const r = await pool.request({ path, method: 'POST', headers, body: BODY });
  await r.body.dump();
  return r.statusCode === 200;
}

/** Closed loop: CONCURRENCY workers, each sending its next request when the last one returned. */
async function closedLoop(origin: string, path: string, headers: Record<string, string>, seconds: number): Promise<Result> {
  const pool = new Pool(origin, { connections: CONCURRENCY, pipelining: 1 });
  const lat: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        try {
          if (await one(pool, path, headers)) lat.push(performance.now() - s);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const r = summarise(lat, errors, (performance.now() - t0) / 1000);
  await pool.close();
  return r;
}

/** Open loop at a fixed rate; latency counted from each request's scheduled time. */
async function openLoop(origin: string, path: string, headers: Record<string, string>, seconds: number, rate: number): Promise<Result> {
  const pool = new Pool(origin, { connections: 256, pipelining: 1 });
  const lat: number[] = [];
  let errors = 0;
  const total = Math.round(seconds * rate);
  const interval = 1000 / rate;
  const t0 = performance.now();
  const pending: Array<Promise<void>> = [];
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor((now - t0) / interval) + 1);
    for (; sent < due; sent++) {
      const scheduled = t0 + sent * interval;
      pending.push(
        one(pool, path, headers).then(
          (ok) => (ok ? void lat.push(performance.now() - scheduled) : void errors++),
          () => void errors++,
        ),
      );
    }
    // A 1 ms timer, not setImmediate: a spinning generator would take a core from the gateway it measures.
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(pending);
  const r = summarise(lat, errors, (performance.now() - t0) / 1000);
  await pool.close();
  return r;
}

// --- nginx -------------------------------------------------------------------

function nginxPath(): string | null {
  try {
    return execFileSync('which', ['nginx'], { encoding: 'utf8' }).trim() || null;
  } catch {
    // Debian installs it in /usr/sbin, which a non-root PATH often lacks.
    return existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null;
  }
}

async function startNginx(bin: string, upstream: string, dir: string): Promise<{ origin: string; proc: ChildProcess }> {
  const u = new URL(upstream);
  // A port the OS just handed out: a random one could belong to another listener, which would then be measured.
  const port = await new Promise<number>((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const conf = `
worker_processes ${GATEWAY_PROCESSES};
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  limit_req_zone $binary_remote_addr zone=per_ip:10m rate=1000000r/s;
  upstream model { server ${u.hostname}:${u.port}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      limit_req zone=per_ip burst=100000 nodelay;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://model;
    }
  }
}`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  const proc = spawn(bin, ['-c', file, '-p', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  if (proc.exitCode !== null) throw new Error(`nginx exited with ${proc.exitCode} (see its error log in ${dir})`);
  return { origin: `http://127.0.0.1:${port}`, proc };
}

// --- main --------------------------------------------------------------------

function startChild(args: string[]): Promise<{ proc: ChildProcess; msg: Record<string, string> }> {
  const prof = process.env['MW_BENCH_PROF'];
  const profiled = prof && args[0] === (process.env['MW_BENCH_PROF_ROLE'] ?? 'gateway');
  const proc = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: profiled ? ['--cpu-prof', '--cpu-prof-dir=' + prof] : [] });
  return new Promise((resolve, reject) => {
    proc.once('message', (msg) => resolve({ proc, msg: msg as Record<string, string> }));
    proc.once('exit', (c) => reject(new Error(`child ${args[0]} exited ${c}`)));
  });
}

function cpuOf(proc: ChildProcess): Promise<NodeJS.CpuUsage> {
  return new Promise((resolve) => {
    const on = (m: unknown): void => {
      const cpu = (m as { cpu?: NodeJS.CpuUsage }).cpu;
      if (!cpu) return;
      proc.off('message', on);
      resolve(cpu);
    };
    proc.on('message', on);
    proc.send('cpu');
  });
}

/** Clock ticks per second of /proc's CPU times. */
const CLK_TCK = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (µs) of a non-Node process and its children (nginx's master and workers) from /proc; null elsewhere. */
function procCpuUs(pid: number): number | null {
  try {
    const one = (p: string): number => {
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      return Number(f[11]) + Number(f[12]);
    };
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return ((one(String(pid)) + kids.reduce((a, k) => a + one(k), 0)) * 1e6) / CLK_TCK;
  } catch {
    return null;
  }
}

/** CPU time (µs) of the process that answers a row: a Node child over IPC, nginx from /proc. */
async function cpuUs(proc: ChildProcess, node: boolean): Promise<number | null> {
  if (!node) return procCpuUs(proc.pid!);
  const c = await cpuOf(proc);
  return c.user + c.system;
}

/** Runs one row and adds the answering process's CPU time per request. */
async function measured(proc: ChildProcess | null, node: boolean, run: () => Promise<Result>): Promise<Result> {
  const c0 = proc ? await cpuUs(proc, node) : null;
  const r = await run();
  const c1 = proc ? await cpuUs(proc, node) : null;
  if (c0 !== null && c1 !== null) r.cpuUsPerReq = (c1 - c0) / Math.max(1, r.requests + r.errors);
  return r;
}

function load1(): string {
  return loadavg()[0]!.toFixed(2);
}

/** Said beside a verdict when other work queued for the CPUs: the rows then measure that queue, not the proxies. */
function busy(): string {
  const l = loadavg()[0]!;
  const n = cpus().length;
  return l > n ? ` [machine busy: load1 ${l.toFixed(1)} > ${n} CPUs, so this verdict is not a measurement of the gateway; rerun on a quiet machine]` : '';
}

function row(name: string, r: Result | null, note = ''): string {
  if (!r) return `${name.padEnd(34)} ${'skipped'.padStart(9)}  ${note}`;
  const cpu = r.cpuUsPerReq === undefined ? '-' : r.cpuUsPerReq.toFixed(0);
  return `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(9)} ${r.p50.toFixed(3).padStart(9)} ${r.p99.toFixed(3).padStart(9)} ${String(r.errors).padStart(7)} ${cpu.padStart(8)} ${load1().padStart(6)}  ${note}`;
}

interface Round {
  addedP99: number;
  nginxShare: number | null;
  cpuPerReq: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-bench-gw-'));
  const kids: ChildProcess[] = [];
  try {
    const up = await startChild(['upstream']);
    kids.push(up.proc);
    const gw = await startChild(['gateway', up.msg['url']!, dir]);
    kids.push(gw.proc);
    const bare = await startChild(['bare', up.msg['url']!]);
    kids.push(bare.proc);
    const upstream = up.msg['url']!;
    const gateway = gw.msg['url']!;
    const plain = { 'content-type': 'application/json' };
    const authed = { ...plain, authorization: `Bearer ${gw.msg['key']}` };
    const path = '/v1/models/clf:predict';

    // Warm-up: JIT, connection pools, journal file. V8 compiles the gateway's request path (its own
    // code, fastify's and undici's) on background threads for several seconds: after 1 s its
    // compiler threads still took 20-40 µs of CPU per request, after 10 s 8 (docs/gateway.md). Every
    // Node process gets the same warm-up; nginx needs none but gets 1 s for its connections.
    await closedLoop(upstream, path, plain, WARMUP_SECONDS);
    await closedLoop(gateway, path, authed, WARMUP_SECONDS);
    await closedLoop(bare.msg['url']!, path, plain, WARMUP_SECONDS);

    const nginx = nginxPath();
    let ngx: { origin: string; proc: ChildProcess } | null = null;
    if (nginx) {
      ngx = await startNginx(nginx, upstream, dir);
      kids.push(ngx.proc);
      await closedLoop(ngx.origin, path, plain, 1);
    }

    console.log(`gateway benchmark: loopback, ${SECONDS} s per row, closed loop with ${CONCURRENCY} connections; open loop at ${RATE} req/s; ${ROUNDS} round(s); ${cpus().length} CPUs; ${WARMUP_SECONDS} s warm-up per Node process`);
    console.log(`fairness: gateway ${GATEWAY_PROCESSES} process, nginx worker_processes ${GATEWAY_PROCESSES}; both keep up to 128 upstream connections`);
    const rounds: Round[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      console.log('');
      console.log(`round ${round} (load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
      console.log(`${'row'.padEnd(34)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'errors'.padStart(7)} ${'CPU µs/r'.padStart(8)} ${'load1'.padStart(6)}`);
      const dMax = await measured(up.proc, true, () => closedLoop(upstream, path, plain, SECONDS));
      console.log(row('direct, max throughput', dMax, 'CPU: the upstream'));
      const gMax = await measured(gw.proc, true, () => closedLoop(gateway, path, authed, SECONDS));
      const cpuPerReq = gMax.cpuUsPerReq!;
      console.log(row('gateway (full policy), max', gMax, `CPU: the gateway (~${(1e6 / cpuPerReq).toFixed(0)} req/s per core)`));
      const bMax = await measured(bare.proc, true, () => closedLoop(bare.msg['url']!, path, plain, SECONDS));
      console.log(row('bare fastify+undici proxy, max', bMax, 'reference: same stack, no policy'));
      const nMax = ngx ? await measured(ngx.proc, false, () => closedLoop(ngx.origin, path, plain, SECONDS)) : null;
      console.log(row('nginx proxy_pass + limit_req, max', nMax, nginx ? 'CPU: nginx master + worker' : 'nginx is not installed (bench/install-nginx.sh): row skipped'));
      const dRate = await measured(up.proc, true, () => openLoop(upstream, path, plain, SECONDS, RATE));
      console.log(row(`direct @ ${RATE} req/s`, dRate));
      const gRate = await measured(gw.proc, true, () => openLoop(gateway, path, authed, SECONDS, RATE));
      console.log(row(`gateway @ ${RATE} req/s`, gRate));
      const bRate = await measured(bare.proc, true, () => openLoop(bare.msg['url']!, path, plain, SECONDS, RATE));
      console.log(row(`bare proxy @ ${RATE} req/s`, bRate));
      const nRate = ngx ? await measured(ngx.proc, false, () => openLoop(ngx.origin, path, plain, SECONDS, RATE)) : null;
      console.log(row(`nginx @ ${RATE} req/s`, nRate, nginx ? '' : 'skipped'));

      const added = gRate.p99 - dRate.p99;
      const share = nMax ? gMax.rps / nMax.rps : null;
      rounds.push({ addedP99: added, nginxShare: share, cpuPerReq });
      console.log(`gateway / direct throughput: ${(gMax.rps / dMax.rps).toFixed(2)}; gateway / bare proxy: ${(gMax.rps / bMax.rps).toFixed(2)}`);
      console.log(`added p99 over the bare proxy at ${RATE} req/s: ${(gRate.p99 - bRate.p99).toFixed(3)} ms`);
      // A generator that fell behind its schedule measured its own backlog, not the gateway: say so.
      const kept = [dRate, gRate].every((r) => r.errors === 0 && r.requests >= 0.99 * RATE * SECONDS);
      console.log(`${added < FLOOR_ADDED_P99_MS ? 'PASS' : 'FAIL'} added p99 at ${RATE} req/s: ${added.toFixed(3)} ms (gateway ${gRate.p99.toFixed(3)} - direct ${dRate.p99.toFixed(3)}; floor < ${FLOOR_ADDED_P99_MS} ms; load1 ${load1()})${kept ? '' : ' [a row did not complete every scheduled request]'}${busy()}`);
      if (share !== null) console.log(`${share >= FLOOR_NGINX_SHARE ? 'PASS' : 'FAIL'} gateway / nginx throughput: ${share.toFixed(2)} (${gMax.rps.toFixed(0)} / ${nMax!.rps.toFixed(0)} req/s; floor >= ${FLOOR_NGINX_SHARE.toFixed(2)}; load1 ${load1()})${busy()}`);
      else console.log('SKIP gateway / nginx throughput: nginx not installed (bench/install-nginx.sh installs it from Debian)');
    }
    if (ROUNDS > 1) {
      console.log('');
      const shares = rounds.flatMap((r) => (r.nginxShare === null ? [] : [r.nginxShare]));
      const mAdded = median(rounds.map((r) => r.addedP99));
      console.log(`median over ${ROUNDS} rounds: gateway CPU ${median(rounds.map((r) => r.cpuPerReq)).toFixed(0)} µs/request`);
      console.log(`${mAdded < FLOOR_ADDED_P99_MS ? 'PASS' : 'FAIL'} median added p99 at ${RATE} req/s: ${mAdded.toFixed(3)} ms (rounds: ${rounds.map((r) => r.addedP99.toFixed(2)).join(', ')})${busy()}`);
      if (shares.length > 0) {
        const mShare = median(shares);
        console.log(`${mShare >= FLOOR_NGINX_SHARE ? 'PASS' : 'FAIL'} median gateway / nginx throughput: ${mShare.toFixed(2)} (rounds: ${shares.map((x) => x.toFixed(2)).join(', ')})${busy()}`);
      }
    }
  } finally {
    // Wait for the children to exit: the gateway flushes its journal and audit into `dir` on SIGTERM.
    await Promise.all(kids.map((k) => (k.exitCode !== null ? Promise.resolve() : new Promise((r) => k.once('exit', r).kill('SIGTERM')))));
    rmSync(dir, { recursive: true, force: true });
  }
}

const role = process.argv[2];
if (role === 'upstream') await childUpstream();
else if (role === 'bare') await childBare(process.argv[3]!);
else if (role === 'gateway') await childGateway(process.argv[3]!, process.argv[4]!);
else await main();
