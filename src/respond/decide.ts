/**
 * Incident facts, the decision matrix, the escalation table and the theft
 * vector classification: pure functions of the incident, what the store
 * holds about it, the playbook and what responders confirmed.
 */
import type { Incident } from '../correlate/index.js';
import type { Alert, Severity } from '../detect/alert.js';
import { severityRank } from '../detect/alert.js';
import type { Iocs } from './collect.js';
import type { Condition, DecisionRow, Fact, Playbook } from './playbook.js';
import { FACTS } from './playbook.js';

export type Facts = Record<Fact, boolean>;

export interface FactInput {
  incident: Incident;
  alerts: readonly Alert[];
  iocs: Iocs;
  hrActions: readonly string[];
  /** Facts a responder established (`incident confirm`), with their value. */
  confirmed: Partial<Record<Fact, boolean>>;
}

export interface VectorFinding {
  id: string;
  name: string;
  severity: Severity;
  alerts: string[];
}

export function classifyVectors(pb: Playbook, incident: Incident, alerts: readonly Alert[]): VectorFinding[] {
  return pb.vectors
    .map((v) => ({
      id: v.id,
      name: v.name,
      severity: v.severity,
      alerts: alerts.filter((a) => v.detectors.includes(a.detector)).map((a) => a.id),
      named: incident.vectors.includes(v.id),
    }))
    .filter((v) => v.named || v.alerts.length > 0)
    .map(({ named: _named, ...v }) => v)
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
}

/** Facts with the reason each holds (or not), for the run record and the report. */
export function computeFacts(pb: Playbook, f: FactInput): { facts: Facts; reasons: Partial<Record<Fact, string>> } {
  const { incident, iocs } = f;
  const vectors = new Set(classifyVectors(pb, incident, f.alerts).map((v) => v.id));
  const reasons: Partial<Record<Fact, string>> = {};
  const facts = Object.fromEntries(FACTS.map((k) => [k, false])) as Facts;
  const set = (k: Fact, v: boolean, why: string): void => {
    facts[k] = v;
    if (v) reasons[k] = why;
  };
  set('extraction_suspected', vectors.has('extraction_via_api') || vectors.has('side_channel'), 'extraction or side-channel vector');
  // Unauthorized is the registry-theft detector's judgement (team, role, HR status); a download alone is not theft.
  set('artifact_access', vectors.has('weight_theft'), `weight or checkpoint theft vector (${iocs.artifacts.length} artifact download(s) in the window)`);
  set('dataset_access', vectors.has('training_data_exfiltration'), 'training-data exfiltration vector');
  set('weights_stolen', vectors.has('weight_theft'), 'weight or checkpoint theft vector');
  set('training_data', vectors.has('training_data_exfiltration') || incident.phases.includes('membership_inference'), 'training data exposed (exfiltration vector or membership inference)');
  set('exfiltration', incident.phases.includes('exfiltration') || iocs.uploads.length > 0, `${iocs.uploads.length} upload(s) in the window`);
  set('insider_suspected', vectors.has('insider_copy') || f.hrActions.length > 0, vectors.has('insider_copy') ? 'insider copy vector' : `HR: ${f.hrActions.join('; ')}`);
  const regulated = incident.models.filter((m) => m.classification && pb.regulated_classifications.includes(m.classification));
  set('regulated_model', regulated.length > 0, `regulated: ${regulated.map((m) => m.name).join(', ')}`);
  const valuable = incident.models.filter((m) => m.classification === 'TRADE_SECRET' || m.classification === 'CONFIDENTIAL');
  set('high_value_model', valuable.length > 0, `${valuable.length} TRADE_SECRET/CONFIDENTIAL model(s)`);
  const principal = incident.principals[0]!;
  const approved = pb.approved_activity.find((a) => a.principal === principal && a.from <= iocs.window.start && iocs.window.end <= a.to);
  set('explained_spike', !!approved, approved ? `approved: ${approved.reason} (${approved.from} .. ${approved.to})` : '');
  for (const [k, v] of Object.entries(f.confirmed) as Array<[Fact, boolean]>) set(k, v, 'confirmed by a responder');
  return { facts, reasons };
}

export function holds(c: Condition, facts: Facts): boolean {
  if (c.all && !c.all.every((k) => facts[k])) return false;
  if (c.any && !c.any.some((k) => facts[k])) return false;
  if (c.none && c.none.some((k) => facts[k])) return false;
  return true;
}

/** First matching row of the matrix (rows are ordered gravest first); null when none matches. */
export function decide(pb: Playbook, facts: Facts): DecisionRow | null {
  return pb.decision_matrix.find((r) => holds(r.when, facts)) ?? null;
}

export function escalate(pb: Playbook, facts: Facts): Array<{ id: string; notify: string[] }> {
  return pb.escalation.filter((e) => holds(e.when, facts)).map((e) => ({ id: e.id, notify: e.notify }));
}

export function appliesTo(pb: Playbook, incident: Incident): boolean {
  return severityRank(incident.severity) >= severityRank(pb.applies_to.min_severity) && (incident.vectors.length === 0 || incident.vectors.some((v) => pb.applies_to.vectors.includes(v)));
}
