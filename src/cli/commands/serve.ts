/**
 * `mirrorwatch serve`: the dashboard and API on the store. Loopback unless
 * `--expose` is given with another `--host`: the pages hold insider
 * investigations and HR data.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { MwError } from '../../errors/index.js';
import { loadConfig } from '../../gateway/index.js';
import { openStore } from '../../store/index.js';
import { startAllInOne, type AllInOne } from '../../web/all-in-one.js';
import { createGatewayAdminClient } from '../../web/gateway-client.js';
import { createWebServer } from '../../web/server.js';
import { addDbOption } from '../shared.js';
import { generatedPassword } from './users.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface ServeOptions {
  db: string;
  port: string;
  host: string;
  expose?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  gatewayAdmin?: string;
  gatewayConfig?: string;
  liveInterval?: string;
  playbooks?: string;
  logLevel?: string;
}

/** Starts the dashboard and prints its URL and, on first run, the admin credentials. Resolves when it stops. */
export async function serve(opts: ServeOptions): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new MwError('MW_ERR_USAGE', `--port must be 0-65535 (got "${opts.port}")`);
  if (!LOOPBACK.has(opts.host) && !opts.expose)
    throw new MwError('MW_ERR_USAGE', `--host ${opts.host} would expose insider investigations beyond this machine; add --expose to mean it (and prefer --tls-cert/--tls-key)`);
  if ((opts.tlsCert == null) !== (opts.tlsKey == null)) throw new MwError('MW_ERR_USAGE', '--tls-cert and --tls-key go together');
  let gateway = null;
  let respondGateway: { adminUrl: string; token: string } | undefined;
  if (opts.gatewayAdmin) {
    const token = process.env['MIRRORWATCH_GATEWAY_ADMIN_TOKEN'];
    if (!token) throw new MwError('MW_ERR_USAGE', '--gateway-admin needs the admin token in MIRRORWATCH_GATEWAY_ADMIN_TOKEN');
    gateway = createGatewayAdminClient(opts.gatewayAdmin, token);
    respondGateway = { adminUrl: opts.gatewayAdmin, token };
  }
  if (opts.gatewayConfig && opts.gatewayAdmin) throw new MwError('MW_ERR_USAGE', '--gateway-config runs the gateway here; --gateway-admin points at one elsewhere: give one of them');
  const liveSeconds = Number(opts.liveInterval ?? '30');
  if (!(Number.isFinite(liveSeconds) && liveSeconds >= 1)) throw new MwError('MW_ERR_USAGE', `--live-interval must be at least 1 second (got "${opts.liveInterval}")`);
  const gwConfig = opts.gatewayConfig ? loadConfig(opts.gatewayConfig) : null;
  const store = await openStore({ path: opts.db });
  let aio: AllInOne | null = null;
  if (gwConfig) {
    aio = await startAllInOne({
      store,
      config: gwConfig,
      intervalMs: liveSeconds * 1000,
      logLevel: opts.logLevel ?? 'warn',
      onError: (e) => process.stderr.write(`mirrorwatch: live ingest and detection failed this round: ${e.message}\n`),
    });
    const token = process.env['MIRRORWATCH_GATEWAY_ADMIN_TOKEN'];
    if (token) {
      gateway = createGatewayAdminClient(aio.adminUrl, token);
      respondGateway = { adminUrl: aio.adminUrl, token };
    } else process.stderr.write('mirrorwatch: MIRRORWATCH_GATEWAY_ADMIN_TOKEN is not set: the Gateway page and containment steps are off\n');
  }
  const tls = opts.tlsCert && opts.tlsKey ? { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) } : undefined;
  const web = await createWebServer({
    store,
    host: opts.host,
    port,
    gateway,
    respond: { ...(opts.playbooks ? { playbooksDir: opts.playbooks } : {}), ...(respondGateway ? { gateway: respondGateway } : {}) },
    ...(tls ? { tls } : {}),
    logLevel: opts.logLevel ?? 'warn',
  });
  let firstRun: string | null = null;
  if ((await web.users.count()) === 0) {
    firstRun = generatedPassword();
    await web.users.add({ username: 'admin', password: firstRun, role: 'admin', hr: true });
  }
  const url = await web.start();
  process.stdout.write(`MirrorWatch dashboard: ${url.replace('127.0.0.1', 'localhost')}/\n`);
  if (aio) process.stdout.write(`gateway: ${aio.url} (admin ${aio.adminUrl}); its audit lines are ingested and detected every ${liveSeconds} s\n`);
  if (firstRun) process.stdout.write(`first run: log in as admin with password ${firstRun} (shown once; add users with mirrorwatch users add)\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void web
        .close()
        .then(() => aio?.stop())
        .then(() => store.close())
        .then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('Run the dashboard and API (/api/v1) on the store; loopback only unless --expose')
    .option('--port <n>', 'port', '8686')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--expose', 'allow binding to a non-loopback address')
    .option('--tls-cert <file>', 'TLS certificate (PEM); session cookies are then Secure')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--gateway-admin <url>', 'gateway admin API for the Gateway page and containment (token in MIRRORWATCH_GATEWAY_ADMIN_TOKEN)')
    .option('--gateway-config <file>', 'all-in-one: run the inference gateway in this process and ingest and detect its traffic live (admin token in MIRRORWATCH_GATEWAY_ADMIN_TOKEN)')
    .option('--live-interval <seconds>', 'all-in-one: seconds between live ingest-and-detect rounds', '30')
    .option('--playbooks <dir>', 'response playbooks folder (default: the shipped playbooks/)')
    .option('--log-level <level>', 'pino level (silent, error, warn, info, debug)', 'warn');
  addDbOption(cmd);
  cmd.action((opts: ServeOptions) => serve(opts));
}
