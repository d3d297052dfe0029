/**
 * Public face of detection: build the engine with the default detectors, or
 * run it over a store. See docs/detect.md.
 */
import { createChem } from '../chem/index.js';
import type { Store } from '../store/index.js';
import type { Alert } from './alert.js';
import { createEngine } from './engine.js';
import type { DetectionEngine, EngineOptions, EngineStats } from './engine.js';
import { DETECTORS } from './registry.js';
import { buildContext } from './types.js';
import type { DetectionContext } from './types.js';

export type { Alert, Severity } from './alert.js';
export { alertSchema, SEVERITIES } from './alert.js';
export type { DetectionEngine, EngineOptions, EngineStats, LateEvent } from './engine.js';
export type { AnyDetector, DetectionContext, Detector, DetectorInstance, StateBounds, StateSize } from './types.js';
export { buildContext } from './types.js';
export { DETECTORS, EXPERIMENTAL_DETECTORS, detectorById } from './registry.js';
export { TECHNIQUES } from './techniques.js';

export type CreateEngineOptions = Omit<EngineOptions, 'detectors'> & { detectors?: EngineOptions['detectors'] };

export function createDetectionEngine(options: CreateEngineOptions): DetectionEngine {
  return createEngine({ ...options, detectors: options.detectors ?? DETECTORS });
}

/**
 * Reads the read-only detection context (directory, inventory, compound sets)
 * from the store; with `chem: true` also RDKit fingerprints for the
 * chemistry-aware detectors (loading RDKit costs about a second).
 */
export async function contextFromStore(store: Store, options: { chem?: boolean } = {}): Promise<DetectionContext> {
  const chemNeeded = options.chem ?? false;
  const [directory, models, compounds, chem] = await Promise.all([
    store.directory(),
    store.models(),
    store.compounds(),
    chemNeeded ? createChem() : Promise.resolve(null),
  ]);
  return buildContext({ directory, models, compounds, ...(chem ? { fingerprint: (s: string) => chem.fingerprint(s) } : {}) });
}

export interface ReplayResult {
  alerts: Alert[];
  stats: EngineStats;
  /** Highest store sequence number processed (for incremental runs). */
  lastSeq: number;
}

/**
 * Batch replay: every event in event-time order through a fresh engine. Live
 * feeding of the same events gives the same alerts (engine.test.ts).
 */
export async function replayStore(
  store: Store,
  options: Omit<CreateEngineOptions, 'context'> & { since?: string; afterSeq?: number; context?: DetectionContext } = {},
): Promise<ReplayResult> {
  const context = options.context ?? (await contextFromStore(store));
  const engine = createDetectionEngine({ ...options, context });
  const alerts: Alert[] = [];
  let lastSeq = options.afterSeq ?? 0;
  let chunk: Parameters<DetectionEngine['push']>[0] & unknown[] = [];
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
  alerts.push(...engine.flush());
  return { alerts, stats: engine.stats(), lastSeq };
}
