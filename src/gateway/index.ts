/**
 * `mirrorwatch gateway`: a protective reverse proxy in front of model
 * servers (keys, rate limits, durable query budgets, output hardening per
 * role, risk hooks for inline detection, admin API, audit events, metrics).
 * Reference: docs/gateway.md.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MemoryAuditSink, RotatingAuditWriter, SplitAuditSink, type AuditSink } from './audit.js';
import type { GatewayConfig } from './config.js';
import { keysFileOf } from './config.js';
import { JournalCounterStore, type CounterStore } from './counters.js';
import { buildAdmin } from './admin.js';
import { KeyStore } from './keys.js';
import { GatewayMetrics } from './metrics.js';
import { ContainmentState, type RiskHook } from './risk.js';
import { buildServer } from './server.js';

export * from './config.js';
export * from './counters.js';
export * from './risk.js';
export * from './keys.js';
export { hardenResponse, reverseSigmoid } from './harden.js';
export { AUDIT_SCHEMA, MemoryAuditSink, RotatingAuditWriter, SplitAuditSink } from './audit.js';
export type { AuditLine, ActionLine, AuditSink } from './audit.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Inline detectors; the strongest action wins. */
  hooks?: RiskHook[];
  /** RDKit canonical SMILES for input fingerprints; without it SMILES are hashed as text. */
  canonicalSmiles?: (s: string) => string | null;
  /** Replaces the durable local counter store (Redis later; failure injection in tests). */
  counters?: CounterStore;
  audit?: AuditSink;
  /** pino level; `silent` turns logging off. */
  logLevel?: string;
  now?: () => number;
}

export interface Gateway {
  start(): Promise<{ url: string; adminUrl: string }>;
  close(): Promise<void>;
  readonly keys: KeyStore;
  readonly containment: ContainmentState;
  readonly counters: CounterStore;
  readonly metrics: GatewayMetrics;
  readonly audit: AuditSink;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { config } = options;
  const now = options.now ?? Date.now;
  const keys = new KeyStore(keysFileOf(config), now);
  const counters = options.counters ?? new JournalCounterStore({ dir: config.data_dir, fsyncIntervalMs: config.counters.fsync_interval_ms, now });
  const containment = new ContainmentState(join(config.data_dir, 'containment.json'), now);
  const metrics = new GatewayMetrics();
  const audit =
    options.audit ??
    (config.audit.dir
      ? new SplitAuditSink(
          new RotatingAuditWriter(config.audit.dir, config.audit.max_file_bytes, config.audit.max_files),
          new RotatingAuditWriter(config.audit.actions_dir ?? join(config.data_dir, 'actions'), config.audit.max_file_bytes, config.audit.max_files, 'gateway-actions'),
        )
      : new MemoryAuditSink());
  const deps = { config, keys, counters, containment, metrics, audit, now };
  const server = buildServer({ ...deps, hooks: options.hooks ?? [], canonicalSmiles: options.canonicalSmiles ?? (() => null), logLevel: options.logLevel ?? 'info' });
  const admin = buildAdmin(deps);
  const urlOf = (host: string, a: AddressInfo): string => `http://${host.includes(':') ? `[${host}]` : host}:${a.port}`;
  return {
    keys,
    containment,
    counters,
    metrics,
    audit,
    async start() {
      await server.listen({ host: config.listen.host, port: config.listen.port });
      await admin.listen({ host: config.admin.host, port: config.admin.port });
      return { url: urlOf(config.listen.host, server.server.address() as AddressInfo), adminUrl: urlOf(config.admin.host, admin.server.address() as AddressInfo) };
    },
    async close() {
      await Promise.all([server.close(), admin.close()]);
      if (audit instanceof SplitAuditSink && audit.inference instanceof RotatingAuditWriter) metrics.auditDropped.set({}, audit.inference.dropped);
      await audit.close();
      await counters.close();
    },
  };
}
