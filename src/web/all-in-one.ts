/**
 * The all-in-one mode of `mirrorwatch serve`: the inference gateway runs in
 * the same process as the dashboard, and a live loop ingests the gateway's
 * audit lines into the store and runs incremental detection on them, so an
 * extraction through the gateway shows up on the dashboard while it runs.
 *
 * DuckDB allows one writing process, which is why the loop lives here rather
 * than in a second `detect` process. Each tick re-reads the audit files
 * (ingest is idempotent: lines already stored count as duplicates) and
 * continues detection from the saved state.
 */
import { createGateway, type Gateway, type GatewayConfig } from '../gateway/index.js';
import { detectStore } from '../detect/run.js';
import { ingestPaths } from '../ingest/index.js';
import type { Store } from '../store/index.js';

export interface AllInOneOptions {
  store: Store;
  config: GatewayConfig;
  /** How often the live loop ingests and detects, ms (default 30 s). */
  intervalMs?: number;
  logLevel?: string;
  onTick?: (t: TickResult) => void;
  onError?: (e: Error) => void;
}

export interface TickResult {
  stored: number;
  duplicates: number;
  quarantined: number;
  alerts: number;
  incidents: number;
}

export interface AllInOne {
  readonly gateway: Gateway;
  readonly url: string;
  readonly adminUrl: string;
  /** One ingest-and-detect pass now (ticks never overlap). */
  tick(): Promise<TickResult>;
  stop(): Promise<void>;
}

export async function startAllInOne(o: AllInOneOptions): Promise<AllInOne> {
  const auditDir = o.config.audit.dir;
  if (!auditDir) throw new Error('the all-in-one mode needs audit.dir in the gateway config: the live loop ingests those lines');
  const gateway = createGateway({ config: o.config, logLevel: o.logLevel ?? 'warn' });
  const { url, adminUrl } = await gateway.start();
  let chain: Promise<unknown> = Promise.resolve();
  async function pass(): Promise<TickResult> {
    const ingest = await ingestPaths([auditDir!], { store: o.store, format: 'gateway-audit' });
    const run = await detectStore(o.store, { incremental: true });
    await o.store.putAlerts(run.alerts);
    await o.store.putIncidents(run.incidents);
    const r = { stored: ingest.stored, duplicates: ingest.duplicates, quarantined: ingest.quarantined, alerts: run.alerts.length, incidents: run.incidents.length };
    o.onTick?.(r);
    return r;
  }
  const tick = (): Promise<TickResult> => {
    const next = chain.then(pass, pass);
    chain = next.catch(() => undefined);
    return next;
  };
  const timer = setInterval(() => {
    tick().catch((e: unknown) => o.onError?.(e as Error));
  }, o.intervalMs ?? 30_000);
  timer.unref();
  return {
    gateway,
    url,
    adminUrl,
    tick,
    async stop() {
      clearInterval(timer);
      await chain;
      await gateway.close();
    },
  };
}
