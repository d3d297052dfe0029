/**
 * The defences the lab compares, each a gateway configuration fragment: the
 * output policy every lab principal's role gets, and what the inline
 * detection engine may do. Detection runs under every policy (alert only
 * where the policy does not act on it), so queries-to-first-alert is measured
 * everywhere while only the inline policies contain the attacker.
 */
import type { RiskAction } from '../../gateway/index.js';

export interface LabPolicy {
  name: string;
  description: string;
  /** Output policy (gateway `output_policies` entry) for every lab role. */
  output: Record<string, unknown>;
  /** Severity -> action of the inline defence; all `none` = alert only. */
  actions: Record<'low' | 'medium' | 'high' | 'critical', RiskAction>;
  rate_limits?: Array<Record<string, unknown>>;
  budgets?: Array<Record<string, unknown>>;
}

const ALERT_ONLY = { low: 'none', medium: 'none', high: 'none', critical: 'none' } as const;

/**
 * What a degraded principal gets: labels and noisy point predictions only
 * (the most restricted output the scenario's APIs can still serve).
 */
export const DEGRADED_OUTPUT = {
  remove_fields: ['prediction_interval', 'confidence'],
  top1_only: true,
  round_decimals: 1,
  // ±0.5 pIC50, about a third of BACE's spread (σ ≈ 1.3): still ranks series, no longer copies the model.
  regression_noise: { max_abs: 0.5 },
  on_unknown_shape: 'block',
};

export const LAB_POLICIES: readonly LabPolicy[] = [
  { name: 'full', description: 'Everything the model returns: prediction, confidence, 95% interval, per-label probabilities.', output: { on_unknown_shape: 'pass' }, actions: ALERT_ONLY },
  {
    name: 'rounded',
    description: 'Confidences, probabilities and point predictions rounded to 1 decimal (ART Rounded); the interval left as is.',
    output: { round_decimals: 1, on_unknown_shape: 'block' },
    actions: ALERT_ONLY,
  },
  {
    name: 'no-interval',
    description: 'The prediction interval removed; prediction, confidence and probabilities kept.',
    output: { remove_fields: ['prediction_interval'], on_unknown_shape: 'block' },
    actions: ALERT_ONLY,
  },
  {
    name: 'prediction-only',
    description: 'Point prediction only for the regressor (no confidence, no interval); top-1 label per task for the classifier.',
    output: { remove_fields: ['prediction_interval', 'confidence'], top1_only: true, on_unknown_shape: 'block' },
    actions: ALERT_ONLY,
  },
  {
    name: 'reverse-sigmoid',
    description: 'Reverse-sigmoid perturbation of probabilities (Lee et al. 2019; beta 0.8, gamma 0.2), bounded noise of ±0.3 on regressions, interval removed.',
    output: { remove_fields: ['prediction_interval'], reverse_sigmoid: { beta: 0.8, gamma: 0.2 }, regression_noise: { max_abs: 0.3 }, on_unknown_shape: 'block' },
    actions: ALERT_ONLY,
  },
  {
    name: 'rate-budget',
    description: 'Full outputs with per-principal rate limits (600 instances/min, 6,000/h) and budgets (2,000 instances/day, 10,000 lifetime per model).',
    output: { on_unknown_shape: 'pass' },
    actions: ALERT_ONLY,
    rate_limits: [
      { scope: 'principal', unit: 'instances', per: 'minute', limit: 600 },
      { scope: 'principal', unit: 'instances', per: 'hour', limit: 6000 },
    ],
    budgets: [{ per_day: 2000, lifetime: 10_000 }],
  },
  {
    name: 'inline-degrade',
    description: 'Full outputs until the inline detectors alert (medium or worse); then the principal gets the degraded output (labels, noisy predictions).',
    output: { on_unknown_shape: 'pass' },
    actions: { low: 'none', medium: 'degrade', high: 'degrade', critical: 'degrade' },
  },
  {
    name: 'inline-block',
    description: 'Default. Full outputs until the inline detectors raise a medium or worse alert; then the principal is blocked (403) until an admin reviews it.',
    output: { on_unknown_shape: 'pass' },
    // Medium, not high: PRADA's within-day test is what fires while an extraction runs (the daily detectors
    // speak when the day closes, thousands of queries later), and it raises medium alerts.
    actions: { low: 'none', medium: 'block', high: 'block', critical: 'block' },
  },
];

export const DEFAULT_POLICY = 'inline-block';

export function policyByName(name: string): LabPolicy | undefined {
  return LAB_POLICIES.find((p) => p.name === name);
}
