/**
 * Scores detections (alerts and incidents) against a simulator truth file
 * (`mirrorwatch evaluate`, docs/cli.md): time to detect per attack phase,
 * time to the attacker's incident, and false positives on benign principals
 * and decoys. The quality floor of issue 4 is read from this report.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { Alert } from '../detect/alert.js';
import { severityRank } from '../detect/alert.js';
import { DETECTOR_MEANING, PHASES } from '../correlate/index.js';
import type { Incident, Phase } from '../correlate/index.js';
import { MwError } from '../errors/index.js';

const isoUtc = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/, 'must be an ISO 8601 UTC time ending in Z');

/** The simulator's truth.json (docs/simulator.md, "Output files"). */
export const truthSchema = z.object({
  seed: z.number().int().nonnegative(),
  variant: z.string().min(1),
  attacker: z.string().min(1),
  accomplices: z.array(z.string().min(1)).default([]),
  resignation: isoUtc.nullable(),
  phases: z
    .array(z.object({ id: z.enum(PHASES), start: isoUtc, end: isoUtc, techniques: z.array(z.string()) }))
    .min(1)
    .refine((ps) => ps.every((p) => p.start <= p.end), 'a phase ends before it starts'),
  decoys: z.array(z.object({ principal: z.string().min(1), behaviour: z.string().min(1) })),
  benign: z.array(z.string().min(1)),
});
export type Truth = z.infer<typeof truthSchema>;

/** Validates a parsed truth object; every problem is listed in one MW_ERR_TRUTH error naming `source`. */
export function parseTruth(value: unknown, source: string): Truth {
  const r = truthSchema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
  throw new MwError('MW_ERR_TRUTH', `${source}: not a scenario truth file: ${problems.join('; ')}`, { file: source, problems });
}

export async function readTruth(file: string): Promise<Truth> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new MwError('MW_ERR_TRUTH', `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new MwError('MW_ERR_TRUTH', `${file}: not JSON: ${(e as Error).message}`, { file });
  }
  return parseTruth(value, file);
}

/** Which campaign phases an alert speaks for. */
export type PhaseOf = (alert: Alert) => readonly Phase[];

/**
 * Default attribution: the correlator's detector table; a detector it does
 * not know yet speaks for the phases whose truth techniques share an ATLAS id
 * with the alert (ATT&CK ids like T1078 are too generic to attribute a phase).
 */
export function defaultPhaseOf(truth: Truth): PhaseOf {
  return (a) => {
    const known = DETECTOR_MEANING[a.detector];
    if (known) return known.phases;
    const atlas: readonly string[] = a.techniques.filter((t) => t.startsWith('AML.'));
    return truth.phases.filter((p) => p.techniques.some((t) => atlas.includes(t))).map((p) => p.id);
  };
}

export interface AlertRef {
  id: string;
  at: string;
  detector: string;
  severity: Alert['severity'];
  principal: string;
}

export interface PhaseScore {
  id: Phase;
  start: string;
  end: string;
  /** First alert attributed to this phase on the attacker (or an accomplice) at or after the phase start. */
  first_alert: AlertRef | null;
  hours_to_detect: number | null;
  within_24h: boolean;
  /** First alert of any kind on the attacker at or after the phase start (context for unattributed phases). */
  first_any_alert: AlertRef | null;
  hours_to_any_alert: number | null;
}

export interface FalsePositiveScore {
  principal: string;
  incidents: number;
  /** Alerts of high or critical severity. */
  high_alerts: number;
  alerts: number;
}

export interface Evaluation {
  seed: number;
  variant: string;
  attacker: string;
  accomplices: string[];
  /** Earliest phase start: the first malicious act. */
  first_act: string;
  phases: PhaseScore[];
  incident: { id: string; opened_at: string; hours_after_first_act: number; within_24h: boolean; risk: number; severity: string; phases: string[] } | null;
  benign: { incidents: number; high_alerts: number; alerts: number; principals: FalsePositiveScore[] };
  decoys: Array<FalsePositiveScore & { behaviour: string }>;
  /** Principals in alerts that truth.json does not name (unresolved identities), with their counts. */
  unknown: { incidents: number; high_alerts: number; alerts: number; principals: FalsePositiveScore[] };
  floor: { phases_within_24h: boolean; incident_within_24h: boolean; no_false_positives: boolean; met: boolean };
}

const HOUR_MS = 3_600_000;
const hours = (fromIso: string, toIso: string): number => Math.round(((Date.parse(toIso) - Date.parse(fromIso)) / HOUR_MS) * 10) / 10;
const ref = (a: Alert): AlertRef => ({ id: a.id, at: a.at, detector: a.detector, severity: a.severity, principal: a.principal });
const isHigh = (a: Alert): boolean => severityRank(a.severity) >= severityRank('high');

export function evaluate(
  truth: Truth,
  detections: { alerts: readonly Alert[]; incidents: readonly Incident[] },
  options: { phaseOf?: PhaseOf } = {},
): Evaluation {
  const phaseOf = options.phaseOf ?? defaultPhaseOf(truth);
  const actors = new Set([truth.attacker, ...truth.accomplices]);
  const alerts = [...detections.alerts].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const onActors = alerts.filter((a) => actors.has(a.principal));
  const firstAct = truth.phases.map((p) => p.start).reduce((m, s) => (s < m ? s : m));

  const phases: PhaseScore[] = truth.phases.map((p) => {
    const after = onActors.filter((a) => a.at >= p.start);
    const hit = after.find((a) => phaseOf(a).includes(p.id)) ?? null;
    const any = after[0] ?? null;
    const h = hit ? hours(p.start, hit.at) : null;
    return {
      id: p.id,
      start: p.start,
      end: p.end,
      first_alert: hit ? ref(hit) : null,
      hours_to_detect: h,
      within_24h: h != null && h <= 24,
      first_any_alert: any ? ref(any) : null,
      hours_to_any_alert: any ? hours(p.start, any.at) : null,
    };
  });

  // An accomplice's incident counts only once the attack has begun: before it, the key was still its owner's.
  const mine = detections.incidents
    .filter((i) => i.principals.includes(truth.attacker) || (i.opened_at >= firstAct && i.principals.some((p) => actors.has(p))))
    .sort((a, b) => (a.opened_at < b.opened_at ? -1 : 1));
  const inc = mine[0];
  const incident = inc
    ? (() => {
        const h = hours(firstAct, inc.opened_at);
        return { id: inc.id, opened_at: inc.opened_at, hours_after_first_act: h, within_24h: h <= 24, risk: inc.risk, severity: inc.severity, phases: inc.phases };
      })()
    : null;

  const score = (principal: string): FalsePositiveScore => {
    const own = alerts.filter((a) => a.principal === principal);
    return {
      principal,
      incidents: detections.incidents.filter((i) => i.principals.includes(principal)).length,
      high_alerts: own.filter(isHigh).length,
      alerts: own.length,
    };
  };
  const total = (rows: FalsePositiveScore[]): { incidents: number; high_alerts: number; alerts: number; principals: FalsePositiveScore[] } => ({
    incidents: rows.reduce((s, r) => s + r.incidents, 0),
    high_alerts: rows.reduce((s, r) => s + r.high_alerts, 0),
    alerts: rows.reduce((s, r) => s + r.alerts, 0),
    // Only the principals something happened to: the benign list is hundreds long.
    principals: rows.filter((r) => r.alerts > 0 || r.incidents > 0),
  });

  const decoyNames = new Set(truth.decoys.map((d) => d.principal));
  const benignNames = [...new Set(truth.benign)].filter((p) => !decoyNames.has(p) && !actors.has(p));
  const known = new Set([...actors, ...decoyNames, ...benignNames]);
  const unknownNames = [...new Set([...alerts.map((a) => a.principal), ...detections.incidents.flatMap((i) => i.principals)])].filter((p) => !known.has(p)).sort();

  const benign = total(benignNames.map(score));
  const unknown = total(unknownNames.map(score));
  const decoys = truth.decoys.map((d) => ({ ...score(d.principal), behaviour: d.behaviour }));

  const phasesOk = phases.every((p) => p.within_24h);
  const incidentOk = incident?.within_24h ?? false;
  const fpOk = benign.incidents + benign.high_alerts + unknown.incidents + unknown.high_alerts + decoys.reduce((s, d) => s + d.incidents + d.high_alerts, 0) === 0;
  return {
    seed: truth.seed,
    variant: truth.variant,
    attacker: truth.attacker,
    accomplices: [...truth.accomplices],
    first_act: firstAct,
    phases,
    incident,
    benign,
    decoys,
    unknown,
    floor: { phases_within_24h: phasesOk, incident_within_24h: incidentOk, no_false_positives: fpOk, met: phasesOk && incidentOk && fpOk },
  };
}

const fmtH = (h: number | null): string => (h == null ? 'not detected' : `${h.toFixed(1)} h`);

/** The human report of one evaluation (used by `evaluate` and `demo`). */
export function formatEvaluation(e: Evaluation, title = 'ours'): string {
  const lines: string[] = [];
  lines.push(`${title}: seed ${e.seed}, variant ${e.variant}, attacker ${e.attacker}${e.accomplices.length ? ` (accomplices ${e.accomplices.join(', ')})` : ''}`);
  lines.push(`  phase                  started (UTC)         time to detect   first alert`);
  for (const p of e.phases) {
    const mark = p.within_24h ? 'ok ' : 'MISS';
    const first = p.first_alert ? `${p.first_alert.detector} (${p.first_alert.severity}) at ${p.first_alert.at}` : p.first_any_alert ? `- (first other alert ${fmtH(p.hours_to_any_alert)}: ${p.first_any_alert.detector})` : '-';
    lines.push(`  ${mark} ${p.id.padEnd(21)} ${p.start.slice(0, 19)}   ${fmtH(p.hours_to_detect).padEnd(15)}  ${first}`);
  }
  lines.push(
    e.incident
      ? `  ${e.incident.within_24h ? 'ok ' : 'MISS'} incident opened ${e.incident.opened_at} = ${fmtH(e.incident.hours_after_first_act)} after the first malicious act (${e.first_act}); risk ${e.incident.risk}, ${e.incident.severity}, phases ${e.incident.phases.join(',') || '-'}`
      : `  MISS no incident on the attacker (first malicious act ${e.first_act})`,
  );
  lines.push(
    `  ${e.benign.incidents + e.benign.high_alerts === 0 ? 'ok ' : 'FP  '} benign principals: ${e.benign.incidents} incidents, ${e.benign.high_alerts} high/critical alerts (${e.benign.alerts} alerts in all)` +
      (e.benign.principals.length ? `; ${e.benign.principals.map((p) => `${p.principal} ${p.incidents}i/${p.high_alerts}h/${p.alerts}a`).join(', ')}` : ''),
  );
  for (const d of e.decoys) {
    lines.push(`  ${d.incidents + d.high_alerts === 0 ? 'ok ' : 'FP  '} decoy ${d.behaviour} (${d.principal}): ${d.incidents} incidents, ${d.high_alerts} high/critical alerts (${d.alerts} alerts)`);
  }
  if (e.unknown.principals.length) {
    lines.push(`  ${e.unknown.incidents + e.unknown.high_alerts === 0 ? 'ok ' : 'FP  '} principals not in truth.json: ${e.unknown.principals.map((p) => `${p.principal} ${p.incidents}i/${p.high_alerts}h/${p.alerts}a`).join(', ')}`);
  }
  lines.push(`  quality floor (issue 4): ${e.floor.met ? 'met' : 'NOT met'} (phases within 24 h: ${e.floor.phases_within_24h ? 'yes' : 'no'}, incident within 24 h: ${e.floor.incident_within_24h ? 'yes' : 'no'}, no false positives: ${e.floor.no_false_positives ? 'yes' : 'no'})`);
  return lines.join('\n') + '\n';
}
