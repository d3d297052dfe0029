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
import { RedisCounterStore } from './redis-counters.js';
import { createDetectionHook, inferenceDetectors, type DetectionHook } from './detection-hook.js';
import { detectorById } from '../detect/registry.js';
import type { AnyDetector, DetectionContext } from '../detect/types.js';
import { buildServer } from './server.js';
import { MwError } from '../errors/index.js';

export * from './config.js';
export * from './counters.js';
export * from './risk.js';
export * from './detection-hook.js';
export * from './redis-counters.js';
export * from './keys.js';
export { hardenResponse, reverseSigmoid } from './harden.js';
export { AUDIT_SCHEMA, MemoryAuditSink, RotatingAuditWriter, SplitAuditSink } from './audit.js';
export type { AuditLine, ActionLine, AuditSink } from './audit.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** Risk hooks besides the config's `inline_defence` detectors; the strongest action wins. */
  hooks?: RiskHook[];
  /** Reference data for the inline detectors (directory, inventory, RDKit fingerprints); default empty. */
  detectionContext?: DetectionContext;
  /** RDKit canonical SMILES for input fingerprints; without it SMILES are hashed as text. */
  canonicalSmiles?: (s: string) => string | null;
  /** Replaces the counter store the config selects (failure injection in tests). */
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
  /** The inline detection hook built from `inline_defence`, when enabled. */
  readonly detection: DetectionHook | null;
}

/** The counter store `counters.store` selects. */
export function countersFromConfig(config: GatewayConfig, now: () => number = Date.now): CounterStore {
  const c = config.counters;
  if (c.store === 'redis') {
    const url = c.redis.url ?? process.env['MIRRORWATCH_REDIS_URL'];
    if (!url) throw new Error('counters.store is redis but no URL is configured');
    return new RedisCounterStore({ url, keyPrefix: c.redis.key_prefix, commandTimeoutMs: c.redis.command_timeout_ms, now });
  }
  return new JournalCounterStore({ dir: config.data_dir, fsyncIntervalMs: c.fsync_interval_ms, now });
}

function detectionHookOf(config: GatewayConfig, context: DetectionContext | undefined, metrics: GatewayMetrics): DetectionHook | null {
  const d = config.inline_defence;
  if (!d?.enabled) return null;
  const detectors: AnyDetector[] = d.detectors ? d.detectors.map((id) => detectorById(id)!) : inferenceDetectors();
  return createDetectionHook({
    detectors,
    detectorOptions: d.detector_options,
    ...(context ? { context } : {}),
    actions: d.actions,
    ...(d.action_duration_seconds !== undefined ? { durationMs: d.action_duration_seconds * 1000 } : {}),
    throttleRequestsPerSecond: d.throttle_requests_per_second,
    onAlert: (a) => metrics.detectorAlerts.add({ detector: a.detector, severity: a.severity }),
  });
}

export function createGateway(options: GatewayOptions): Gateway {
  const { config } = options;
  const now = options.now ?? Date.now;
  const keys = new KeyStore(keysFileOf(config), now);
  const counters = options.counters ?? countersFromConfig(config, now);
  const containment = new ContainmentState(join(config.data_dir, 'containment.json'), now);
  const metrics = new GatewayMetrics();
  const detection = detectionHookOf(config, options.detectionContext, metrics);
  const audit =
    options.audit ??
    (config.audit.dir
      ? new SplitAuditSink(
          new RotatingAuditWriter(config.audit.dir, config.audit.max_file_bytes, config.audit.max_files),
          new RotatingAuditWriter(config.audit.actions_dir ?? join(config.data_dir, 'actions'), config.audit.max_file_bytes, config.audit.max_files, 'gateway-actions'),
        )
      : new MemoryAuditSink());
  const deps = { config, keys, counters, containment, metrics, audit, now };
  const server = buildServer({ ...deps, hooks: [...(options.hooks ?? []), ...(detection ? [detection] : [])], canonicalSmiles: options.canonicalSmiles ?? (() => null), logLevel: options.logLevel ?? 'info' });
  const admin = buildAdmin(deps);
  const urlOf = (host: string, a: AddressInfo): string => `http://${host.includes(':') ? `[${host}]` : host}:${a.port}`;
  return {
    keys,
    containment,
    counters,
    metrics,
    audit,
    detection,
    async start() {
      try {
        await counters.ready?.();
      } catch (e) {
        // Fail open serves unbudgeted until the store is back; fail closed refuses to start without it.
        if (config.counters.on_unavailable === 'fail_closed') {
          await counters.close().catch(() => undefined);
          throw new MwError('MW_ERR_GW_COUNTERS_UNAVAILABLE', (e as Error).message);
        }
      }
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
