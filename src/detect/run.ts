/** One detection run over a store: replay, detect, correlate. Used by `mirrorwatch detect`. */
import { createCorrelator } from '../correlate/index.js';
import type { Incident } from '../correlate/index.js';
import type { Store } from '../store/index.js';
import type { Alert } from './alert.js';
import { compareAlerts } from './alert.js';
import type { EngineStats } from './engine.js';
import { contextFromStore, replayStore } from './index.js';
import { DETECTORS } from './registry.js';

export interface DetectionRun {
  alerts: Alert[];
  incidents: Incident[];
  stats: EngineStats;
  lastSeq: number;
}

export async function detectStore(store: Store, options: { since?: string; afterSeq?: number } = {}): Promise<DetectionRun> {
  const context = await contextFromStore(store, { chem: DETECTORS.some((d) => d.needs?.includes('fingerprints')) });
  const { alerts, stats, lastSeq } = await replayStore(store, { context, ...options });
  alerts.sort(compareAlerts);
  const correlator = createCorrelator(context);
  correlator.add(alerts);
  return { alerts, incidents: correlator.incidents(), stats, lastSeq };
}
