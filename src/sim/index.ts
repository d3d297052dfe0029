/**
 * Public face of the scenario simulator (`mirrorwatch simulate`): a
 * deterministic simulation of an ML platform with benign users, decoys and
 * one insider thief, written as real-format logs plus truth.json.
 * docs/simulator.md describes the scenario, knobs, variants and outputs.
 */
import type { ConfigOverrides, Variant } from './config.js';
import { VARIANTS, parseOverrides } from './config.js';
import type { TraceRecord } from './emit.js';
import { runSimulation } from './engine.js';
import type { SimulationSummary } from './engine.js';

export { DEFAULT_CONFIG, VARIANTS, mergeConfig, parseOverrides } from './config.js';
export type { ConfigOverrides, ScenarioConfig, Variant } from './config.js';
export { OUTPUT_FILES, PHASES } from './emit.js';
export type { PhaseId, TraceRecord } from './emit.js';
export { STATIC_FILES, TECHNIQUES } from './engine.js';
export type { SimulationSummary, Truth } from './engine.js';

export interface SimulateOptions {
  /** Non-negative integer; the same seed (and options) gives the same bytes. */
  seed: number;
  /** Output directory (created if missing). */
  out: string;
  /** Simulated days (default 90). */
  days?: number;
  /** First day, YYYY-MM-DD (UTC; default 2026-02-01). */
  start?: string;
  /** Multiplies the benign population and its traffic (default 1; fractions shrink it, for tests). */
  scale?: number;
  variant?: Variant;
  /** Overrides of any scenario number (see DEFAULT_CONFIG); validated. */
  config?: ConfigOverrides | Record<string, unknown>;
  onProgress?: (p: { day: number; days: number; events: number }) => void;
  /** Test hook: called for every log line that belongs to an attack phase. */
  trace?: (r: TraceRecord) => void;
}

export const DEFAULTS = { days: 90, start: '2026-02-01', scale: 1, variant: 'baseline' as Variant };

/** Checks options; throws an Error whose message names the bad option. */
export function validateOptions(o: SimulateOptions): Required<Pick<SimulateOptions, 'seed' | 'out' | 'days' | 'start' | 'scale' | 'variant'>> {
  const days = o.days ?? DEFAULTS.days;
  const start = o.start ?? DEFAULTS.start;
  const scale = o.scale ?? DEFAULTS.scale;
  const variant = o.variant ?? DEFAULTS.variant;
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new Error(`--seed must be a non-negative integer (got ${o.seed})`);
  if (!Number.isInteger(days) || days < 1 || days > 3660) throw new Error(`--days must be an integer from 1 to 3660 (got ${days})`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || Number.isNaN(Date.parse(`${start}T00:00:00Z`)) || new Date(`${start}T00:00:00Z`).toISOString().slice(0, 10) !== start) {
    throw new Error(`--start must be a date YYYY-MM-DD (got ${start})`);
  }
  if (!(Number.isFinite(scale) && scale > 0 && scale <= 1000)) throw new Error(`--scale must be a number above 0 and at most 1000 (got ${scale})`);
  if (!(VARIANTS as readonly string[]).includes(variant)) throw new Error(`--variant must be one of ${VARIANTS.join(', ')} (got ${variant})`);
  if (!o.out) throw new Error('--out is required');
  return { seed: o.seed, out: o.out, days, start, scale, variant };
}

/** Runs one simulation and writes its output directory. */
export async function simulate(options: SimulateOptions): Promise<SimulationSummary> {
  const v = validateOptions(options);
  const config = parseOverrides(options.config ?? {});
  return runSimulation({ ...v, config, onProgress: options.onProgress, trace: options.trace });
}
