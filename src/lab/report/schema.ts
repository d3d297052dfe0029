/**
 * The lab's result: what `mirrorwatch lab run --json` prints and what the
 * tables, charts and Markdown report render. The issue's `--json` shape is the
 * core (victims, attacks with detection points and a fidelity curve,
 * membership, benign); docs/lab.md adds the context a reader needs (policies,
 * query and key counts, benign utility, the reference floor, timings).
 *
 * Objects are strict: a field the schema does not know is an error, not
 * silently dropped, so the schema stays the documentation of the shape.
 * Metrics are null where they do not apply (R2 for the classifier, agreement
 * for the regressor, a detection point that never happened).
 */
import { z } from 'zod';
import { MwError } from '../../errors/index.js';

const count = z.number().int().nonnegative();
/** A detection point: the attacker's queries sent when it happened, null when it never did. */
const point = count.nullable();
const unit = z.number().min(0).max(1);
const name = z.string().min(1);

export const victimSchema = z.strictObject({
  name,
  /** e.g. `r2` (BACE pIC50 regressor) or `mean_auc` (Tox21 classifier), on held-out molecules. */
  metric: name,
  value: z.number(),
  n_train: count,
  n_test: count,
});

export const policySchema = z.strictObject({ name, description: z.string() });

export const fidelitySchema = z.strictObject({
  /** Queries the attacker had sent when the surrogate was trained (on everything answered by then); the detection points count the same way. */
  queries: count,
  r2: z.number().nullable(),
  spearman: z.number().min(-1).max(1).nullable(),
  top100_overlap: unit.nullable(),
  agreement: unit.nullable(),
  mae: z.number().nonnegative().nullable(),
  rmse: z.number().nonnegative().nullable(),
  auc: unit.nullable(),
});

export const attackSchema = z.strictObject({
  name,
  victim: name,
  strategy: name,
  /** API keys the attack used: 1, or several for a Sybil split. */
  keys: z.number().int().positive(),
  policy: name,
  queries_sent: count,
  queries_answered: count,
  queries_to_first_alert: point,
  queries_to_incident: point,
  queries_to_block: point,
  fidelity: z.array(fidelitySchema),
});

export const membershipSchema = z.strictObject({
  policy: name,
  victim: name,
  attack: name,
  auc: unit,
  // Null when the run has too few held-out members for the FPR to be measured.
  tpr_at_1pct_fpr: unit.nullable(),
  tpr_at_01pct_fpr: unit.nullable(),
});

export const utilitySchema = z.strictObject({ policy: name, victim: name, metric: name, value: z.number() });

export const benignSchema = z.strictObject({
  queries: count,
  false_positive_alerts: count,
  utility: z.array(utilitySchema),
});

export const referenceSchema = z.strictObject({
  /** BACE surrogate R2 from the largest unprotected query count (50,000 in a full run). */
  unprotected_r2_at_max: z.number().nullable(),
  /** BACE surrogate R2 from everything the attacker received before the default policy blocked it. */
  protected_r2_before_block: z.number().nullable(),
  gap: z.number().nullable(),
});

const GAP_TOLERANCE = 1e-9;

export const labResultSchema = z
  .strictObject({
    seed: z.number().int(),
    quick: z.boolean(),
    victims: z.array(victimSchema).min(1),
    policies: z.array(policySchema).min(1),
    attacks: z.array(attackSchema),
    membership: z.array(membershipSchema),
    benign: benignSchema,
    reference: referenceSchema,
    timings_ms: z.record(z.string(), z.number().nonnegative()),
  })
  .superRefine((r, ctx) => {
    const issue = (path: Array<string | number>, message: string): void => ctx.addIssue({ code: 'custom', path, message });
    const unique = (names: string[], path: string): void => {
      const seen = new Set<string>();
      names.forEach((n, i) => (seen.has(n) ? issue([path, i, 'name'], `duplicate name ${JSON.stringify(n)}`) : seen.add(n)));
    };
    unique(r.victims.map((v) => v.name), 'victims');
    unique(r.policies.map((p) => p.name), 'policies');
    const victims = new Set(r.victims.map((v) => v.name));
    const policies = new Set(r.policies.map((p) => p.name));
    const known = (set: Set<string>, value: string, path: Array<string | number>, what: string): void => {
      if (!set.has(value)) issue(path, `unknown ${what} ${JSON.stringify(value)}`);
    };
    const runs = new Set<string>();
    r.attacks.forEach((a, i) => {
      known(victims, a.victim, ['attacks', i, 'victim'], 'victim');
      known(policies, a.policy, ['attacks', i, 'policy'], 'policy');
      const run = JSON.stringify([a.name, a.victim, a.policy]);
      if (runs.has(run)) issue(['attacks', i], `duplicate run of ${a.name} on ${a.victim} under ${a.policy}`);
      runs.add(run);
      if (a.queries_answered > a.queries_sent) issue(['attacks', i, 'queries_answered'], 'more queries answered than sent');
      a.fidelity.forEach((f, j) => {
        const prev = a.fidelity[j - 1];
        if (prev && f.queries <= prev.queries) issue(['attacks', i, 'fidelity', j, 'queries'], 'fidelity checkpoints must have strictly increasing query counts');
      });
    });
    r.membership.forEach((m, i) => {
      known(victims, m.victim, ['membership', i, 'victim'], 'victim');
      known(policies, m.policy, ['membership', i, 'policy'], 'policy');
    });
    r.benign.utility.forEach((u, i) => {
      known(victims, u.victim, ['benign', 'utility', i, 'victim'], 'victim');
      known(policies, u.policy, ['benign', 'utility', i, 'policy'], 'policy');
    });
    const { unprotected_r2_at_max: u, protected_r2_before_block: p, gap } = r.reference;
    const expected = u != null && p != null ? u - p : null;
    if ((expected == null) !== (gap == null) || (expected != null && gap != null && Math.abs(expected - gap) > GAP_TOLERANCE)) {
      issue(['reference', 'gap'], `gap must be unprotected_r2_at_max - protected_r2_before_block (${expected ?? 'null'})`);
    }
  });

export type LabResult = z.infer<typeof labResultSchema>;
export type LabVictim = LabResult['victims'][number];
export type LabPolicyRow = LabResult['policies'][number];
export type LabAttack = LabResult['attacks'][number];
export type LabFidelity = LabAttack['fidelity'][number];
export type LabMembership = LabResult['membership'][number];

/** Validates a result (the CLI checks its own output before printing it) and returns it; every problem is listed in the error. */
export function validateLabResult(value: unknown): LabResult {
  const parsed = labResultSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  throw new MwError('MW_ERR_LAB_RESULT', `lab result does not match the schema:\n  ${problems.join('\n  ')}`, { problems });
}
