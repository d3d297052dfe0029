/**
 * Where evaluation gets its detections: the alerts and incidents a previous
 * `mirrorwatch detect` stored, when the store keeps them, else a detection
 * run now.
 */
import type { Incident } from '../correlate/index.js';
import type { Alert } from '../detect/alert.js';
import type { Store } from '../store/index.js';

export interface Detections {
  alerts: Alert[];
  incidents: Incident[];
  source: 'stored' | 'run';
}

/** Optional store methods for persisted detections; stores that do not keep them simply lack them. */
interface DetectionStore {
  alerts?: () => Promise<Alert[]>;
  incidents?: () => Promise<Incident[]>;
}

export async function loadDetections(store: Store, run: (store: Store) => Promise<{ alerts: Alert[]; incidents: Incident[] }>): Promise<Detections> {
  const s = store as Store & DetectionStore;
  if (typeof s.alerts === 'function' && typeof s.incidents === 'function') {
    const [alerts, incidents] = await Promise.all([s.alerts(), s.incidents()]);
    if (alerts.length > 0) return { alerts, incidents, source: 'stored' };
  }
  const r = await run(store);
  return { alerts: r.alerts, incidents: r.incidents, source: 'run' };
}
