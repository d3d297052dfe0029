/**
 * A synthetic lab result for the report's tests: made-up curves of a plausible
 * shape, not measured data. Fidelity follows a saturating curve per attack
 * strategy and policy so tests can reason about which policy hurts which
 * attack; every number is a function of the parameters below.
 */
import type { LabAttack, LabResult } from './schema.js';

const QUERIES = [500, 1000, 2000, 5000];

/** Saturating learning curve: `cap * (1 - exp(-q / scale))`, rounded like a report would. */
const curve = (cap: number, scale: number, q: number): number => Math.round(cap * (1 - Math.exp(-q / scale)) * 1000) / 1000;

interface RunSpec {
  name: string;
  victim: 'bace-pic50' | 'tox21';
  strategy: string;
  keys: number;
  policy: string;
  /** Fidelity ceiling under this policy. */
  cap: number;
  alert: number | null;
  incident: number | null;
  block: number | null;
}

function run(s: RunSpec): LabAttack {
  const reg = s.victim === 'bace-pic50';
  const sent = s.block ?? QUERIES.at(-1)!;
  return {
    name: s.name,
    victim: s.victim,
    strategy: s.strategy,
    keys: s.keys,
    policy: s.policy,
    queries_sent: QUERIES.at(-1)!,
    queries_answered: sent,
    queries_to_first_alert: s.alert,
    queries_to_incident: s.incident,
    queries_to_block: s.block,
    fidelity: QUERIES.filter((q) => q <= sent).map((q) => {
      const v = curve(s.cap, 1500, q);
      return reg
        ? { queries: q, r2: v, spearman: Math.min(1, v + 0.03), top100_overlap: Math.min(1, v * 0.9), agreement: null, mae: Math.round((1 - v) * 800) / 1000, rmse: Math.round((1 - v) * 1000) / 1000, auc: null }
        : { queries: q, r2: null, spearman: null, top100_overlap: null, agreement: v, mae: null, rmse: null, auc: Math.min(1, v * 0.95) };
    }),
  };
}

export interface FixtureOptions {
  /** Queries to the first alert of every extraction run (default 1200). */
  alertAt?: number | null;
  falsePositives?: number;
  unprotectedR2?: number;
  protectedR2?: number;
  /** Replaces the name of the `rounded` policy everywhere (to test escaping). */
  roundedName?: string;
}

export function syntheticResult(o: FixtureOptions = {}): LabResult {
  const alert = o.alertAt === undefined ? 1200 : o.alertAt;
  const rounded = o.roundedName ?? 'rounded';
  // Ceilings per (strategy, policy): the confidence-using active learner loses most under rounding and label-only.
  const caps: Record<string, Record<string, number>> = {
    random: { full: 0.8, [rounded]: 0.79, 'label-only': 0.77, 'inline-block': 0.8 },
    'least-confident': { full: 0.9, [rounded]: 0.6, 'label-only': 0.55, 'inline-block': 0.9 },
  };
  const attacks: LabAttack[] = [];
  for (const policy of ['full', rounded, 'label-only', 'inline-block']) {
    const block = policy === 'inline-block' ? 2000 : null;
    const incident = alert == null ? null : alert + 300;
    attacks.push(run({ name: 'extract-random', victim: 'bace-pic50', strategy: 'random', keys: 1, policy, cap: caps['random']![policy]!, alert, incident, block }));
    attacks.push(run({ name: 'extract-active', victim: 'bace-pic50', strategy: 'least-confident', keys: 1, policy, cap: caps['least-confident']![policy]!, alert, incident, block }));
    attacks.push(run({ name: 'sybil-random', victim: 'bace-pic50', strategy: 'random', keys: 4, policy, cap: caps['random']![policy]!, alert, incident, block }));
    attacks.push(run({ name: 'extract-random', victim: 'tox21', strategy: 'random', keys: 1, policy, cap: caps['random']![policy]! + 0.1, alert, incident, block }));
  }
  const mia = (policy: string, conf: number): LabResult['membership'] => [
    { policy, victim: 'bace-pic50', attack: 'confidence-threshold', auc: conf, tpr_at_1pct_fpr: Math.round((conf - 0.5) * 100) / 1000, tpr_at_01pct_fpr: null },
    { policy, victim: 'bace-pic50', attack: 'shadow-model', auc: conf - 0.02, tpr_at_1pct_fpr: 0.02, tpr_at_01pct_fpr: 0.004 },
  ];
  const unprotected = o.unprotectedR2 ?? 0.78;
  const prot = o.protectedR2 ?? 0.49;
  return {
    seed: 7,
    quick: true,
    victims: [
      { name: 'bace-pic50', metric: 'r2', value: 0.712, n_train: 1210, n_test: 303 },
      { name: 'tox21', metric: 'mean_auc', value: 0.803, n_train: 6264, n_test: 1567 },
    ],
    policies: [
      { name: 'full', description: 'prediction, confidence and interval as the model returns them' },
      { name: rounded, description: 'confidences rounded to one decimal' },
      { name: 'label-only', description: 'point prediction or top-1 label only' },
      { name: 'inline-block', description: 'full outputs, inline detection blocks the key' },
    ],
    attacks,
    membership: [...mia('full', 0.68), ...mia(rounded, 0.66), ...mia('label-only', 0.52), ...mia('inline-block', 0.68)],
    benign: {
      queries: 3000,
      false_positive_alerts: o.falsePositives ?? 0,
      utility: [
        { policy: 'full', victim: 'bace-pic50', metric: 'r2', value: 1 },
        { policy: rounded, victim: 'bace-pic50', metric: 'r2', value: 0.998 },
        { policy: 'label-only', victim: 'bace-pic50', metric: 'r2', value: 1 },
        { policy: 'inline-block', victim: 'bace-pic50', metric: 'r2', value: 1 },
      ],
    },
    reference: { unprotected_r2_at_max: unprotected, protected_r2_before_block: prot, gap: unprotected - prot },
    timings_ms: { train: 4200, attacks: 61000, report: 300 },
  };
}
