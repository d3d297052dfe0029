/** Test support for response tests: a stored incident with its alerts, and edited copies of the shipped playbook. Not shipped behaviour. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Incident, Vector } from '../correlate/index.js';
import { makeAlert, type Alert } from '../detect/alert.js';
import type { TechniqueId } from '../detect/techniques.js';
import type { Store } from '../store/index.js';
import { sha256Hex } from '../util/hash.js';
import { defaultPlaybooksDir } from './playbook.js';

export const T0 = Date.parse('2026-03-02T09:00:00.000Z');
export const MIN = 60_000;
const DETECTOR_OF: Record<Vector, string> = { extraction_via_api: 'query-volume', weight_theft: 'registry-theft', insider_copy: 'split-exfil', training_data_exfiltration: 'query-volume', side_channel: 'query-volume' };
const TECH: TechniqueId = 'AML.T0024.002' as TechniqueId;

/** Stores the incident, its alerts, and the model inventory entry of its model. */
export async function seedIncident(store: Store, principal: string, vectors: Vector[], classification = 'TRADE_SECRET'): Promise<Incident> {
  const alerts: Alert[] = vectors.map((v, i) =>
    makeAlert({ detector: DETECTOR_OF[v], severity: 'high', principal, models: ['binding-affinity-predictor'], atMs: T0 + i * MIN, windowStartMs: T0 - 86_400_000, windowEndMs: T0, techniques: [TECH], observed: 9000, baseline: 300, threshold: 1000, evidence: [sha256Hex(`${principal}${v}`).slice(0, 32)], explanation: `${principal} did ${v} in the test`, key: v }),
  );
  await store.putAlerts(alerts);
  const entry = { name: 'binding-affinity-predictor', team: 'comp-chem', classification: 'TRADE_SECRET' as const, estimatedValue: 45e6, artifactLocation: 's3://models/binding-affinity-predictor/', architecture: null, latestVersion: '3', tags: {} };
  await store.putReference('models', 'default', [{ kind: 'models', entry }], 'models.json');
  const incident: Incident = {
    id: sha256Hex(`incident ${principal}`).slice(0, 24),
    principals: [principal],
    opened_at: new Date(T0).toISOString(),
    updated_at: new Date(T0 + (vectors.length - 1) * MIN).toISOString(),
    severity: 'critical',
    risk: 90,
    phases: [],
    vectors,
    models: [{ name: 'binding-affinity-predictor', classification, estimated_value: 45_000_000, team: 'comp-chem' }],
    alerts: alerts.map((a) => a.id),
    timeline: alerts.map((a) => ({ at: a.at, alert: a.id, detector: a.detector, severity: a.severity, explanation: a.explanation })),
  };
  await store.putIncidents([incident]);
  return incident;
}

/** A copy of the shipped playbook with text replaced, in a temp folder. */
export function customPlaybooks(edit: (text: string) => string): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mw-pb-'));
  writeFileSync(join(dir, 'model-theft.yaml'), edit(readFileSync(join(defaultPlaybooksDir(), 'model-theft.yaml'), 'utf8')));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

