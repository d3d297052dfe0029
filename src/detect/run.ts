/**
 * One detection run over a store: replay, detect, correlate. Used by
 * `mirrorwatch detect`.
 *
 * Incremental runs: the engine's and the correlator's state, taken before the
 * final flush (so the last minutes' buffered events stay open for late
 * arrivals), is kept in the store as a document with the last store sequence
 * number processed and a fingerprint of everything the alerts depend on
 * (detector set, versions, code and options, engine options, correlator,
 * reference data). A later run restores it and replays only events ingested
 * since; its alerts are exactly those a single full run would add. A changed
 * fingerprint forces a full replay.
 */
import { createCorrelator } from '../correlate/index.js';
import type { CorrelatorSnapshot, Incident } from '../correlate/index.js';
import type { Store } from '../store/index.js';
import { sha256Hex } from '../util/hash.js';
import type { Alert } from './alert.js';
import { compareAlerts } from './alert.js';
import { createEngine, SnapshotUnsupportedError } from './engine.js';
import type { EngineOptions, EngineSnapshot, EngineStats } from './engine.js';
import type { ContextOptions } from './index.js';
import { contextFromStore, replayStore } from './index.js';
import { DETECTORS } from './registry.js';
import type { AnyDetector, DetectionContext } from './types.js';

/** Document collection and id of the saved detection state. */
export const STATE_COLLECTION = 'detection-state';
export const STATE_ID = 'default';

export interface DetectionRun {
  /** Alerts of this run (on an incremental run, the new ones). */
  alerts: Alert[];
  /** Every incident known after the run (opened now or earlier). */
  incidents: Incident[];
  stats: EngineStats;
  lastSeq: number;
  /** `incremental`: continued from saved state; `full`: replayed everything. */
  mode: 'full' | 'incremental';
}

export interface DetectStoreOptions extends Pick<ContextOptions, 'workers' | 'onFingerprintProgress' | 'onFingerprintPrefetch'> {
  /** Only events at or after this event time; such a run neither reads nor saves state. */
  since?: string;
  /** Continue from the saved state (only events ingested since) and save the new state. */
  incremental?: boolean;
  /** With `incremental`: ignore the saved state, replay everything, save afresh. */
  full?: boolean;
  detectors?: readonly AnyDetector[];
  detectorOptions?: EngineOptions['detectorOptions'];
  allowedLatenessSeconds?: number;
  watchMarginDays?: number;
  noticeDays?: number;
  /** Why a run is not incremental (for standard error). */
  onNotice?: (message: string) => void;
}

interface SavedState {
  version: 1;
  fingerprint: string;
  lastSeq: number;
  engine: EngineSnapshot;
  correlator: CorrelatorSnapshot;
  /** Alerts already reported by the previous run's flush (the restored engine releases them again; not in `correlator`). */
  reported: string[];
}

/**
 * What the alerts depend on besides the events: a different value means the
 * saved state cannot be continued. The source text of each detector's
 * `create` stands in for its code, so tuning a detector forces a full replay
 * even when nobody bumps its `version`.
 */
export async function stateFingerprint(store: Store, o: DetectStoreOptions): Promise<string> {
  const detectors = (o.detectors ?? DETECTORS).map((d) => ({
    id: d.id,
    version: d.version ?? 1,
    code: sha256Hex(String(d.create)),
    options: d.options.parse(o.detectorOptions?.[d.id] ?? {}) as unknown,
  }));
  const references = (await store.referenceLoads()).map((r) => `${r.kind}/${r.name}/${r.version}`).sort();
  return sha256Hex(
    JSON.stringify({
      detectors,
      engine: { lateness: o.allowedLatenessSeconds ?? 300, margin: o.watchMarginDays ?? 14, notice: o.noticeDays ?? 30 },
      correlator: sha256Hex(String(createCorrelator)),
      references,
    }),
  ).slice(0, 32);
}

/** Whether every detector can snapshot (else incremental runs are impossible); the offending id otherwise. */
function unsnapshottable(detectors: readonly AnyDetector[], context: DetectionContext): string | null {
  try {
    createEngine({ context, detectors }).snapshot();
    return null;
  } catch (e) {
    if (e instanceof SnapshotUnsupportedError) return e.detector;
    throw e;
  }
}

async function loadState(store: Store, o: DetectStoreOptions, fingerprint: string): Promise<SavedState | null> {
  if (o.full) return null;
  const doc = await store.getDocument<SavedState>(STATE_COLLECTION, STATE_ID);
  if (!doc) return null;
  const s = doc.body;
  if (s.version !== 1 || s.fingerprint !== fingerprint) {
    o.onNotice?.('the detector set, their code or options, or the reference data changed since the last run: full replay');
    return null;
  }
  const { maxSeq } = await store.counts();
  if (s.lastSeq > maxSeq) {
    o.onNotice?.(`the saved detection state is ahead of the store (seq ${s.lastSeq} > ${maxSeq}): full replay`);
    return null;
  }
  return s;
}

export async function detectStore(store: Store, options: DetectStoreOptions = {}): Promise<DetectionRun> {
  const detectors = options.detectors ?? DETECTORS;
  const chem = detectors.some((d) => d.needs?.includes('fingerprints'));
  const context = await contextFromStore(store, { ...options, chem });
  let incremental = options.incremental === true && !options.since;
  if (incremental) {
    const bad = unsnapshottable(detectors, context);
    if (bad) {
      options.onNotice?.(`detector ${bad} cannot save its state: every run is a full replay`);
      incremental = false;
    }
  }
  const fingerprint = incremental ? await stateFingerprint(store, options) : '';
  const saved = incremental ? await loadState(store, options, fingerprint) : null;

  const engineOptions = {
    detectors,
    ...(options.detectorOptions ? { detectorOptions: options.detectorOptions } : {}),
    ...(options.allowedLatenessSeconds != null ? { allowedLatenessSeconds: options.allowedLatenessSeconds } : {}),
    ...(options.watchMarginDays != null ? { watchMarginDays: options.watchMarginDays } : {}),
    ...(options.noticeDays != null ? { noticeDays: options.noticeDays } : {}),
  };
  const r = await replayStore(store, {
    ...engineOptions,
    context,
    keepState: incremental,
    ...(options.since ? { since: options.since } : {}),
    ...(saved ? { state: saved.engine, afterSeq: saved.lastSeq } : {}),
  });
  const reported = new Set(saved?.reported ?? []);
  const flushed = new Set(r.flushedIds);
  const all = r.alerts.sort(compareAlerts);
  const correlator = createCorrelator(context);
  if (saved) correlator.restore(saved.correlator);
  // The saved correlator has not seen the final flush's alerts: the next run releases them again
  // (its engine continues from before the flush), so they reach the correlator in full-run order.
  correlator.add(all.filter((a) => !flushed.has(a.id)));
  if (incremental && r.state) {
    const state: SavedState = { version: 1, fingerprint, lastSeq: r.lastSeq, engine: r.state, correlator: correlator.snapshot(), reported: r.flushedIds };
    await store.putDocument(STATE_COLLECTION, STATE_ID, state);
  }
  correlator.add(all.filter((a) => flushed.has(a.id)));
  const alerts = all.filter((a) => !reported.has(a.id));
  return { alerts, incidents: correlator.incidents(), stats: r.stats, lastSeq: r.lastSeq, mode: saved ? 'incremental' : 'full' };
}
