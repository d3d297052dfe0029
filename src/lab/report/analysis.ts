/**
 * Numbers the report derives from a result: the issue's floors with PASS/FAIL
 * and the comparison of every output policy with the unprotected baseline
 * ("where hardening helps and where it does not"). Tables, charts and the
 * Markdown all read these, so the console and the report never disagree.
 */
import type { LabAttack, LabFidelity, LabResult } from './schema.js';

/** The issue's floors (issue 10, "Floors"). */
export const FLOORS = {
  /** Every extraction and Sybil attack alerted before it reaches this many queries. */
  alertBeforeQueries: 5000,
  /** False-positive alerts allowed on the benign researcher traffic. */
  maxBenignFalsePositives: 0,
  /** Protected BACE surrogate R2 at least this far below the unprotected one. */
  minR2Gap: 0.2,
} as const;

export type FloorOptions = Partial<{ -readonly [K in keyof typeof FLOORS]: number }>;

// Differences of rounded metrics land a hair either side of the floor (0.7 - 0.5 = 0.19999999999999996).
const EPS = 1e-9;

export interface FloorCheck {
  id: 'alert-before' | 'benign-false-positives' | 'r2-gap';
  floor: string;
  measured: string;
  pass: boolean;
  /** The runs that broke the floor, when it is per run. */
  failures: string[];
}

const runLabel = (a: LabAttack): string => `${a.name} on ${a.victim} under ${a.policy}`;
export const fmtNum = (x: number | null | undefined, digits = 3): string => (x == null ? '-' : x.toFixed(digits));
export const fmtCount = (x: number | null | undefined): string => (x == null ? '-' : String(Math.round(x)));

export function floorChecks(r: LabResult, options: FloorOptions = {}): FloorCheck[] {
  const f = { ...FLOORS, ...options };
  const failures: string[] = [];
  let latest: { at: number; label: string } | null = null;
  let unreached = 0;
  for (const a of r.attacks) {
    const at = a.queries_to_first_alert;
    if (at == null) {
      // An attack stopped (rate limit, budget) before it reached the limit without an alert never reached it.
      if (a.queries_sent < f.alertBeforeQueries) unreached++;
      else failures.push(`${runLabel(a)}: no alert in ${a.queries_sent} queries`);
      continue;
    }
    if (at >= f.alertBeforeQueries) failures.push(`${runLabel(a)}: first alert at ${at} queries`);
    if (!latest || at > latest.at) latest = { at, label: runLabel(a) };
  }
  const alerted = r.attacks.length === 0
    ? 'no extraction or Sybil runs in the result'
    : `latest first alert ${latest ? `at ${latest.at} queries (${latest.label})` : 'never'}; ${failures.length} of ${r.attacks.length} runs broke the floor` +
      (unreached ? `; ${unreached} stopped without an alert before reaching ${f.alertBeforeQueries}` : '');
  const fp = r.benign.false_positive_alerts;
  const { unprotected_r2_at_max: u, protected_r2_before_block: p } = r.reference;
  const gap = u != null && p != null ? u - p : null;
  return [
    {
      id: 'alert-before',
      floor: `every extraction and Sybil attack alerted before ${f.alertBeforeQueries} queries`,
      measured: alerted,
      pass: r.attacks.length > 0 && failures.length === 0,
      failures,
    },
    {
      id: 'benign-false-positives',
      floor: `at most ${f.maxBenignFalsePositives} false-positive alerts on benign traffic`,
      measured: `${fp} false-positive alerts in ${r.benign.queries} benign queries`,
      pass: fp <= f.maxBenignFalsePositives,
      failures: [],
    },
    {
      id: 'r2-gap',
      floor: `protected BACE surrogate R2 at least ${fmtNum(f.minR2Gap, 2)} below the unprotected one`,
      measured: `unprotected ${fmtNum(u)}, protected before block ${fmtNum(p)}, gap ${fmtNum(gap)}`,
      pass: gap != null && gap >= f.minR2Gap - EPS,
      failures: [],
    },
  ];
}

/** R2 where the victim is a regressor, agreement where it is a classifier: the one number a fidelity curve plots. */
export type FidelityMetric = 'r2' | 'agreement';

export function fidelityMetric(attacks: readonly LabAttack[]): FidelityMetric {
  return attacks.some((a) => a.fidelity.some((f) => f.r2 != null)) ? 'r2' : 'agreement';
}

export function baselinePolicy(r: LabResult, override?: string): string {
  // policies[0] is the unprotected reference by convention (docs/lab.md "Report").
  return override ?? r.policies[0]!.name;
}

export interface HardeningOptions {
  /** The unprotected policy every other one is compared with; default policies[0]. */
  baseline?: string;
  /** A change in fidelity or membership advantage smaller than this is reported as no effect (our reporting choice, not a published number). */
  threshold?: number;
}

export interface FidelityEffect {
  victim: string;
  attack: string;
  strategy: string;
  policy: string;
  metric: FidelityMetric;
  /** Largest query count both runs measured: the output policy's own effect. */
  queries: number | null;
  baseline: number | null;
  value: number | null;
  delta: number | null;
  /** What the attacker ends with under each policy (their largest checkpoint): adds the effect of being stopped. */
  finalBaseline: number | null;
  finalValue: number | null;
  finalDelta: number | null;
  helps: boolean;
}

export interface MembershipEffect {
  victim: string;
  attack: string;
  policy: string;
  baseline: number;
  value: number;
  /** Reduction of the attacker's advantage |AUC - 0.5|; positive is good for the defender. */
  reduction: number;
  helps: boolean;
}

export interface StrategySummary {
  victim: string;
  strategy: string;
  metric: FidelityMetric;
  meanDelta: number;
  policies: number;
}

export interface Hardening {
  baseline: string;
  threshold: number;
  fidelity: FidelityEffect[];
  membership: MembershipEffect[];
  strategies: StrategySummary[];
}

const DEFAULT_THRESHOLD = 0.05;

const last = (fid: readonly LabFidelity[], m: FidelityMetric): LabFidelity | undefined => [...fid].reverse().find((f) => f[m] != null);

export function hardening(r: LabResult, options: HardeningOptions = {}): Hardening {
  const baseline = baselinePolicy(r, options.baseline);
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const metricOf = new Map<string, FidelityMetric>();
  for (const v of r.victims) metricOf.set(v.name, fidelityMetric(r.attacks.filter((a) => a.victim === v.name)));
  const fidelity: FidelityEffect[] = [];
  for (const a of r.attacks) {
    if (a.policy === baseline) continue;
    const base = r.attacks.find((b) => b.policy === baseline && b.name === a.name && b.victim === a.victim);
    if (!base) continue;
    const m = metricOf.get(a.victim) ?? 'r2';
    const common = a.fidelity.filter((f) => f[m] != null && base.fidelity.some((g) => g.queries === f.queries && g[m] != null)).at(-1);
    const b = common ? base.fidelity.find((g) => g.queries === common.queries)![m] : null;
    const v = common ? common[m] : null;
    const delta = b != null && v != null ? v - b : null;
    const fb = last(base.fidelity, m)?.[m] ?? null;
    const fv = last(a.fidelity, m)?.[m] ?? null;
    const finalDelta = fb != null && fv != null ? fv - fb : null;
    const helps = Math.min(delta ?? 0, finalDelta ?? 0) <= -threshold + EPS;
    fidelity.push({ victim: a.victim, attack: a.name, strategy: a.strategy, policy: a.policy, metric: m, queries: common?.queries ?? null, baseline: b, value: v, delta, finalBaseline: fb, finalValue: fv, finalDelta, helps });
  }
  const membership: MembershipEffect[] = [];
  for (const mm of r.membership) {
    if (mm.policy === baseline) continue;
    const base = r.membership.find((b) => b.policy === baseline && b.attack === mm.attack && b.victim === mm.victim);
    if (!base) continue;
    const reduction = Math.abs(base.auc - 0.5) - Math.abs(mm.auc - 0.5);
    membership.push({ victim: mm.victim, attack: mm.attack, policy: mm.policy, baseline: base.auc, value: mm.auc, reduction, helps: reduction >= threshold - EPS });
  }
  const groups = new Map<string, { victim: string; strategy: string; metric: FidelityMetric; deltas: number[] }>();
  for (const e of fidelity) {
    if (e.delta == null) continue;
    const k = JSON.stringify([e.victim, e.strategy]);
    const g = groups.get(k) ?? { victim: e.victim, strategy: e.strategy, metric: e.metric, deltas: [] };
    g.deltas.push(e.delta);
    groups.set(k, g);
  }
  const strategies = [...groups.values()]
    .map((g) => ({ victim: g.victim, strategy: g.strategy, metric: g.metric, meanDelta: g.deltas.reduce((s, d) => s + d, 0) / g.deltas.length, policies: g.deltas.length }))
    .sort((x, y) => (x.victim < y.victim ? -1 : x.victim > y.victim ? 1 : x.meanDelta - y.meanDelta));
  return { baseline, threshold, fidelity, membership, strategies };
}
