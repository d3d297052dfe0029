/**
 * `mirrorwatch demo`: simulate a scenario, ingest it, detect, run the
 * reference queries, and evaluate both against the truth, in one go.
 * Also the engine of the quality-floor benchmark (bench/evaluate.ts) and the
 * scenario test.
 */
import { join } from 'node:path';
import type { Incident } from '../correlate/index.js';
import type { Alert } from '../detect/alert.js';
import { runReferenceQueries } from '../baseline/index.js';
import { detectStore } from '../detect/run.js';
import { evaluate, parseTruth } from '../evaluate/index.js';
import type { Evaluation } from '../evaluate/index.js';
import { ingestPaths } from '../ingest/index.js';
import type { IngestProgress, IngestSummary } from '../ingest/index.js';
import { simulate } from '../sim/index.js';
import type { Variant } from '../sim/index.js';
import { openStore } from '../store/index.js';

/**
 * 60 days hold the whole campaign of every variant (the low-and-slow
 * extraction runs ~60 days from the start); scale 0.2 keeps the benign
 * population at about 30 people, so a run takes about a minute on 2 cores,
 * most of it RDKit canonicalising the insider's ~70k query molecules.
 */
export const DEMO_DEFAULTS = { days: 60, scale: 0.2 };

export type DemoStage = 'simulate' | 'ingest' | 'detect' | 'reference' | 'evaluate';

export interface DemoOptions {
  seed: number;
  variant: Variant;
  /** Simulated days. */
  days: number;
  /** Benign population multiplier (docs/simulator.md). */
  scale: number;
  /** Scenario overrides (docs/simulator.md, "Knobs"). */
  config?: Record<string, unknown>;
  /** Folder for the logs and truth.json. */
  logDir: string;
  /** DuckDB store file (a file, not ':memory:', so the reference queries can read it). */
  dbPath: string;
  /** Also run and score the reference queries (default true). */
  reference?: boolean;
  onStage?: (stage: DemoStage) => void;
  onSimulateProgress?: (p: { day: number; days: number; events: number }) => void;
  onIngestProgress?: (p: IngestProgress) => void;
}

export interface DemoResult {
  events: number;
  ingest: Pick<IngestSummary, 'read' | 'stored' | 'duplicates' | 'quarantined'>;
  alerts: Alert[];
  incidents: Incident[];
  evaluation: Evaluation;
  reference: { alerts: Alert[]; incidents: Incident[]; evaluation: Evaluation } | null;
  seconds: Record<DemoStage, number>;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const seconds: Record<DemoStage, number> = { simulate: 0, ingest: 0, detect: 0, reference: 0, evaluate: 0 };
  let t = performance.now();
  const lap = (s: DemoStage): void => {
    const now = performance.now();
    seconds[s] = Math.round((now - t) / 100) / 10;
    t = now;
  };
  o.onStage?.('simulate');
  const sim = await simulate({ seed: o.seed, out: o.logDir, days: o.days, scale: o.scale, variant: o.variant, ...(o.config ? { config: o.config } : {}), ...(o.onSimulateProgress ? { onProgress: o.onSimulateProgress } : {}) });
  const truth = parseTruth(sim.truth, join(o.logDir, 'truth.json'));
  lap('simulate');
  o.onStage?.('ingest');
  const store = await openStore({ path: o.dbPath });
  let ingest: IngestSummary;
  let run;
  try {
    ingest = await ingestPaths([o.logDir], { store, ...(o.onIngestProgress ? { onProgress: o.onIngestProgress } : {}) });
    lap('ingest');
    o.onStage?.('detect');
    run = await detectStore(store);
    // Kept like `mirrorwatch detect` keeps them, for evaluate, the playbook and the dashboard (demo --serve).
    await store.putAlerts(run.alerts);
    await store.putIncidents(run.incidents);
    lap('detect');
  } finally {
    await store.close();
  }
  let reference: DemoResult['reference'] = null;
  if (o.reference !== false) {
    o.onStage?.('reference');
    const ref = await runReferenceQueries({ dbPath: o.dbPath });
    lap('reference');
    reference = { ...ref, evaluation: evaluate(truth, ref, { phaseOf: ref.phaseOf }) };
  }
  o.onStage?.('evaluate');
  const evaluation = evaluate(truth, run);
  lap('evaluate');
  return {
    events: sim.events,
    ingest: { read: ingest.read, stored: ingest.stored, duplicates: ingest.duplicates, quarantined: ingest.quarantined },
    alerts: run.alerts,
    incidents: run.incidents,
    evaluation,
    reference,
    seconds,
  };
}
