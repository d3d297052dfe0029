/**
 * Public face of detection: build the engine with the default detectors, or
 * run it over a store. See docs/detect.md.
 */
import { createChem, FINGERPRINT_KIND } from '../chem/index.js';
import { fingerprintAll } from '../chem/fingerprint-pool.js';
import type { Store } from '../store/index.js';
import type { Alert } from './alert.js';
import { createEngine } from './engine.js';
import type { DetectionEngine, EngineOptions, EngineSnapshot, EngineStats } from './engine.js';
import type { MwEvent } from '../events/index.js';
import { DETECTORS } from './registry.js';
import { buildContext } from './types.js';
import type { DetectionContext } from './types.js';

export type { Alert, Severity } from './alert.js';
export { alertSchema, SEVERITIES } from './alert.js';
export type { DetectionEngine, EngineOptions, EngineSnapshot, EngineStats, LateEvent } from './engine.js';
export { SnapshotUnsupportedError } from './engine.js';
export type { AnyDetector, DetectionContext, Detector, DetectorInstance, DetectorNeed, StateBounds, StateSize } from './types.js';
export { buildContext } from './types.js';
export { DETECTORS, EXPERIMENTAL_DETECTORS, detectorById } from './registry.js';
export { TECHNIQUES } from './techniques.js';

export type CreateEngineOptions = Omit<EngineOptions, 'detectors'> & { detectors?: EngineOptions['detectors'] };

export function createDetectionEngine(options: CreateEngineOptions): DetectionEngine {
  return createEngine({ ...options, detectors: options.detectors ?? DETECTORS });
}

export interface ContextOptions {
  /** Load RDKit fingerprints for chemistry-aware detectors (prefetching the store's cache first). */
  chem?: boolean;
  /** Worker threads for cold fingerprints (default: cores minus one). */
  workers?: number;
  /** Fingerprint prefetch progress: molecules computed so far and to compute. */
  onFingerprintProgress?: (done: number, total: number) => void;
  /** Told how many fingerprints were cached and how many had to be computed. */
  onFingerprintPrefetch?: (p: { cached: number; computed: number }) => void;
}

/**
 * Computes the fingerprints missing from the store's cache, for every
 * distinct canonical SMILES queried (the `inference_instances` view) and every
 * compound-set entry, on worker threads, and stores them. Returns the whole
 * cache. A second call finds nothing to compute.
 */
export async function prefetchFingerprints(
  store: Store,
  options: Pick<ContextOptions, 'workers' | 'onFingerprintProgress'> & { extra?: readonly string[] } = {},
): Promise<{ fingerprints: Map<string, Uint8Array | null>; computed: number }> {
  const missing = await store.missingFingerprints(FINGERPRINT_KIND, options.extra);
  if (missing.length) {
    const fps = await fingerprintAll(missing, { ...(options.workers ? { workers: options.workers } : {}), ...(options.onFingerprintProgress ? { onProgress: options.onFingerprintProgress } : {}) });
    try {
      // Written in slices so that a very large cold start does not build one huge transaction.
      for (let i = 0; i < missing.length; i += 50_000) {
        await store.putFingerprints(FINGERPRINT_KIND, missing.slice(i, i + 50_000).map((s, j) => [s, fps[i + j]!] as const));
      }
    } catch (e) {
      // A store opened read-only (a second reader, an evidence copy) cannot keep the cache: use it for this run only.
      if (!/read-?only/i.test((e as Error).message)) throw e;
      const cached = await store.getFingerprints(FINGERPRINT_KIND);
      missing.forEach((s, i) => cached.set(s, fps[i]!));
      return { fingerprints: cached, computed: missing.length };
    }
  }
  return { fingerprints: await store.getFingerprints(FINGERPRINT_KIND), computed: missing.length };
}

/**
 * Reads the read-only detection context (directory, inventory, compound sets)
 * from the store; with `chem: true` also fingerprints for the
 * chemistry-aware detectors: computed once per distinct molecule and kept in
 * the store (`prefetchFingerprints`), served synchronously from memory. RDKit
 * is also loaded on this thread (about a second) for molecules outside the
 * store, whose fingerprints are memoised for the run.
 */
export async function contextFromStore(store: Store, options: ContextOptions = {}): Promise<DetectionContext> {
  const chemNeeded = options.chem ?? false;
  const [directory, models, compounds] = await Promise.all([store.directory(), store.models(), store.compounds()]);
  if (!chemNeeded) return buildContext({ directory, models, compounds });
  const [chem, cache] = await Promise.all([
    createChem(),
    prefetchFingerprints(store, { ...options, extra: [...new Set(compounds.map((c) => c.canonical ?? c.smiles))] }),
  ]);
  options.onFingerprintPrefetch?.({ cached: cache.fingerprints.size - cache.computed, computed: cache.computed });
  const fps = cache.fingerprints;
  const fingerprint = (s: string): Uint8Array | null => {
    let fp = fps.get(s);
    if (fp === undefined) fps.set(s, (fp = chem.fingerprint(s)));
    return fp;
  };
  return buildContext({ directory, models, compounds, fingerprint });
}

export interface ReplayResult {
  alerts: Alert[];
  stats: EngineStats;
  /** Highest store sequence number processed (for incremental runs). */
  lastSeq: number;
  /** With `keepState`: the engine state before the final flush, to continue from (buffered tail included). */
  state?: EngineSnapshot;
  /** Ids of the alerts the final flush released (a run continuing from `state` releases them again). */
  flushedIds: string[];
}

/**
 * Batch replay: every event in event-time order through a fresh engine (or
 * one restored from `state`, with only events after `afterSeq`). Live feeding
 * of the same events gives the same alerts (engine.test.ts).
 */
export async function replayStore(
  store: Store,
  options: Omit<CreateEngineOptions, 'context'> & {
    since?: string;
    afterSeq?: number;
    context?: DetectionContext;
    state?: EngineSnapshot;
    keepState?: boolean;
  } = {},
): Promise<ReplayResult> {
  const context = options.context ?? (await contextFromStore(store));
  const engine = createDetectionEngine({ ...options, context });
  if (options.state) engine.restore(options.state);
  const alerts: Alert[] = [];
  let lastSeq = options.afterSeq ?? 0;
  let chunk: MwEvent[] = [];
  const replay = store.replay({ order: 'time', ...(options.afterSeq != null ? { afterSeq: options.afterSeq } : {}), ...(options.since ? { since: options.since } : {}) });
  for await (const e of replay) {
    if (e.seq > lastSeq) lastSeq = e.seq;
    chunk.push(e);
    if (chunk.length >= 4096) {
      alerts.push(...engine.push(chunk));
      chunk = [];
    }
  }
  alerts.push(...engine.push(chunk));
  const state = options.keepState ? engine.snapshot() : undefined;
  const flushed = engine.flush();
  alerts.push(...flushed);
  return { alerts, stats: engine.stats(), lastSeq, flushedIds: flushed.map((a) => a.id), ...(state ? { state } : {}) };
}
