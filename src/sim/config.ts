/**
 * Every number of the scenario, with its default. A range `[lo, hi]` is drawn
 * from per seed (and often per actor or per day), never used as a constant:
 * detectors are judged on seeds they were not tuned on. `--config FILE`
 * (YAML or JSON) overrides any subset; `--print-config` shows the whole tree.
 */
import { z } from 'zod';

export type Range = [number, number];

export const VARIANTS = ['baseline', 'low-and-slow', 'sybil', 'no-hr'] as const;
export type Variant = (typeof VARIANTS)[number];

export const DEFAULT_CONFIG = {
  company: {
    name: 'Halcyon Therapeutics',
    domain: 'halcyontx.example',
    /** Kubernetes namespace of the model servers. */
    namespace: 'ml-serving',
    mlflowHost: 'mlflow.halcyontx.example',
    minioDeploymentId: 'b7e1c0de-5a1e-4c7a-9d3e-2f6a8b4c1d90',
  },
  teams: {
    /** Data scientists: train, deploy and download their team's models. */
    compChem: 12,
    /** Researchers: query the prediction APIs. */
    drugDiscovery: 45,
    /** Analysts: aggregated predictions. */
    clinicalOps: 20,
    /** Platform engineers who own the service accounts. */
    mlPlatform: 3,
  },
  platform: {
    rateLimitPerHour: 1000,
    maxBatch: 100,
    /** Share of UTC+1 (Basel) staff; the rest work from Boston (UTC-5). Fixed offsets, no DST. */
    baselShare: 0.65,
    /** Probability that a request fails server-side (5xx). */
    serverErrorRate: [0.0005, 0.003] as Range,
  },
  benign: {
    activeDayProb: [0.86, 0.97] as Range,
    weekendWorkProb: [0.0, 0.08] as Range,
    vacationProb: 0.45,
    vacationWorkingDays: [3, 10] as Range,
    /** Median prediction requests on an active day, per user (drawn from the range), by team. */
    requestsPerDay: { drugDiscovery: [12, 70] as Range, compChem: [4, 18] as Range, clinicalOps: [6, 30] as Range },
    /** Day-to-day log-normal sigma of a user's volume. */
    dailySigma: [0.5, 0.9] as Range,
    /** Mean molecules per interactive request. */
    meanBatch: [1.2, 4] as Range,
    /** Probability of a batch job (many full batches from the focus area) on an active day. */
    batchJobProb: [0.01, 0.04] as Range,
    batchJobRequests: [5, 30] as Range,
    /** Share of a researcher's molecules taken from the focus area. */
    focusShare: [0.72, 0.92] as Range,
    /** Per-week rates for comp-chem data scientists. */
    ownModelDownloadsPerWeek: [0.3, 2] as Range,
    trainingRunsPerWeek: [0.5, 4] as Range,
    registrySearchesPerWeek: [0.5, 5] as Range,
    endpointListsPerWeek: [0.1, 2] as Range,
    /** DLP-visible uploads per week and the chance one goes to a personal destination. */
    uploadsPerWeek: [0.3, 3] as Range,
    personalUploadProb: 0.04,
    roleChanges: [1, 3] as Range,
  },
  decoys: {
    loadTest: { days: [1, 3] as Range, requestsPerDay: [8000, 25000] as Range, distinctMolecules: [6, 24] as Range },
    virtualScreening: { days: [6, 12] as Range, moleculesPerDay: [1500, 4500] as Range },
    retraining: { models: [3, 5] as Range },
    resigner: { noticeDays: [14, 30] as Range },
    backup: { chunkMiB: [128, 512] as Range, chunksPerNight: [12, 60] as Range },
    batchScoring: { requestsPerNight: [20, 80] as Range },
  },
  attack: {
    noticeDays: 30,
    extraction: {
      molecules: [42000, 55000] as Range,
      batchesPerDay: [15, 22] as Range,
      weekendDayProb: [0.4, 0.8] as Range,
      /** Legitimate-looking focus-area requests mixed in, per extraction day. */
      camouflagePerDay: [3, 12] as Range,
      /** Shares of the diverse pool, combinatorial enumeration, drug interpolations. */
      mix: { diverse: [0.55, 0.7] as Range, enumeration: [0.15, 0.25] as Range, interpolation: [0.08, 0.15] as Range },
      /** Edge cases and boundary probes per extraction batch. */
      probesPerBatch: [1, 6] as Range,
      /** Probability that a second, KServe-served model is also extracted, and its share. */
      secondaryTargetProb: 0.5,
      secondaryShare: [0.1, 0.3] as Range,
    },
    sideChannel: { requestsPerDay: [6, 16] as Range, lowConfidence: 0.55 },
    artifactTheft: { days: [1, 2] as Range },
    membershipInference: { queries: [17000, 23000] as Range, batchSize: [50, 100] as Range },
    exfiltration: { chunkMiB: [24, 26] as Range, archiveGiB: [1.6, 2.4] as Range, days: [19, 23] as Range },
    lowAndSlow: { extractionDays: 60, batchesPerDay: [2, 5] as Range, batchSize: [20, 50] as Range, miBatchesPerDay: [2, 5] as Range },
  },
  library: { size: [22000, 26000] as Range, trainingShare: [0.5, 0.7] as Range },
};

export type ScenarioConfig = typeof DEFAULT_CONFIG;

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type ConfigOverrides = DeepPartial<ScenarioConfig>;

/** Structural check of an override file against the defaults (unknown keys and wrong types are errors). */
function schemaFor(value: unknown): z.ZodType {
  if (Array.isArray(value)) return z.tuple([z.number(), z.number()]).refine(([a, b]) => a <= b, 'range must be [low, high]');
  if (typeof value === 'number') return z.number();
  if (typeof value === 'string') return z.string();
  if (typeof value === 'boolean') return z.boolean();
  const shape: Record<string, z.ZodType> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) shape[k] = schemaFor(v).optional();
  return z.strictObject(shape);
}
const overridesSchema = schemaFor(DEFAULT_CONFIG);

export function parseOverrides(value: unknown): ConfigOverrides {
  const r = overridesSchema.safeParse(value ?? {});
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw new Error(`config: ${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  return r.data as ConfigOverrides;
}

export function mergeConfig(overrides: ConfigOverrides | undefined): ScenarioConfig {
  const merge = (base: unknown, over: unknown): unknown => {
    if (over === undefined) return structuredClone(base);
    if (Array.isArray(base) || typeof base !== 'object' || base === null) return structuredClone(over);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base as Record<string, unknown>)) out[k] = merge(v, (over as Record<string, unknown>)[k]);
    return out;
  };
  return merge(DEFAULT_CONFIG, overrides) as ScenarioConfig;
}
