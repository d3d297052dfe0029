/**
 * Incidents: alerts correlated per principal. An incident opens on a
 * critical alert, or when the principal's recent alerts add up to the risk
 * threshold; afterwards every alert of the principal joins it. A principal
 * never has two incidents open at once, and the incident id is derived from
 * the principal and the alert that opened it, so a replay reproduces it.
 *
 * Phases are the campaign phases of the scenario (recon, api_extraction,
 * side_channel, artifact_theft, membership_inference, exfiltration); vectors
 * are the theft vectors of the model-theft playbook (extraction via API,
 * weight or checkpoint theft, training-data exfiltration, insider copy,
 * side-channel).
 */
import { z } from 'zod';
import type { Alert, Severity } from '../detect/alert.js';
import { compareAlerts, SEVERITIES, severityRank } from '../detect/alert.js';
import type { DetectionContext } from '../detect/types.js';
import { sha256Hex } from '../util/hash.js';
import { DAY_MS } from '../detect/stats.js';

export const PHASES = ['recon', 'api_extraction', 'side_channel', 'artifact_theft', 'membership_inference', 'exfiltration'] as const;
export type Phase = (typeof PHASES)[number];
export const VECTORS = ['extraction_via_api', 'weight_theft', 'training_data_exfiltration', 'insider_copy', 'side_channel'] as const;
export type Vector = (typeof VECTORS)[number];

/** What each detector's alerts say about the campaign. Detectors not listed add risk only. */
export const DETECTOR_MEANING: Readonly<Record<string, { phases: readonly Phase[]; vectors: readonly Vector[] }>> = {
  'query-volume': { phases: ['api_extraction'], vectors: ['extraction_via_api'] },
  'registry-theft': { phases: ['artifact_theft'], vectors: ['weight_theft'] },
  'split-exfil': { phases: ['exfiltration'], vectors: ['insider_copy'] },
  'departing-user': { phases: [], vectors: ['insider_copy'] },
  recon: { phases: ['recon'], vectors: [] },
  prada: { phases: ['api_extraction'], vectors: ['extraction_via_api'] },
  coverage: { phases: ['api_extraction'], vectors: ['extraction_via_api'] },
  'focus-drift': { phases: ['api_extraction'], vectors: ['extraction_via_api'] },
  'side-channel': { phases: ['side_channel'], vectors: ['side_channel'] },
  membership: { phases: ['membership_inference'], vectors: ['training_data_exfiltration'] },
  collusion: { phases: ['api_extraction'], vectors: ['extraction_via_api'] },
};

const isoUtc = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/);

export const incidentSchema = z
  .object({
    id: z.string().regex(/^[0-9a-f]{24}$/),
    principals: z.array(z.string()).min(1),
    opened_at: isoUtc,
    updated_at: isoUtc,
    severity: z.enum(SEVERITIES),
    risk: z.number().min(0).max(100),
    phases: z.array(z.enum(PHASES)),
    vectors: z.array(z.enum(VECTORS)),
    models: z.array(
      z.object({ name: z.string(), classification: z.string().nullable(), estimated_value: z.number().nullable(), team: z.string().nullable() }).strict(),
    ),
    alerts: z.array(z.string()),
    timeline: z.array(z.object({ at: isoUtc, alert: z.string(), detector: z.string(), severity: z.enum(SEVERITIES), explanation: z.string() }).strict()),
  })
  .strict();
export type Incident = z.infer<typeof incidentSchema>;

export const correlatorOptions = z
  .object({
    /** Risk (0-100) at which a principal's alerts open an incident. */
    openRisk: z.number().min(0).max(100).default(50),
    /** Alerts older than this no longer count towards opening an incident, days. */
    riskWindowDays: z.number().positive().default(14),
    /** Risk per alert by severity; further alerts of the same detector count `repeatFactor` of this. */
    severityRisk: z.object({ low: z.number(), medium: z.number(), high: z.number(), critical: z.number() }).default({ low: 5, medium: 15, high: 35, critical: 60 }),
    repeatFactor: z.number().min(0).max(1).default(0.25),
    /**
     * Ceiling on the risk of alerts that all come from one detector: one noisy
     * signal repeated (a researcher's batch jobs) must not open an incident
     * alone; that takes a critical alert or a second, independent detector.
     */
    singleDetectorMaxRisk: z.number().min(0).max(100).default(45),
    /** Risk added per campaign phase beyond the first: breadth across phases is what a campaign looks like. */
    phaseRisk: z.number().nonnegative().default(10),
    /** Risk from which the incident is critical whatever its alerts' severities. */
    criticalRisk: z.number().min(0).max(100).default(80),
  })
  .strict();
export type CorrelatorOptions = z.infer<typeof correlatorOptions>;

export interface Correlator {
  /** Adds alerts (any order within the batch); returns the incidents opened or changed. */
  add(alerts: readonly Alert[]): Incident[];
  incidents(): Incident[];
  /** JSON state for incremental runs: alerts awaiting an incident, open incidents, ids seen. */
  snapshot(): CorrelatorSnapshot;
  /** Continues from a snapshot; only on a fresh correlator with the same options and context. */
  restore(snapshot: CorrelatorSnapshot): void;
}

export interface CorrelatorSnapshot {
  pending: Array<[string, Alert[]]>;
  open: Array<[string, { incident: Incident; alerts: Alert[] }]>;
  seen: string[];
}

/** Risk of a set of alerts: strongest alert per detector in full, repeats discounted, plus phase breadth. */
export function riskOf(alerts: readonly Alert[], o: CorrelatorOptions): number {
  const byDetector = new Map<string, number[]>();
  for (const a of alerts) byDetector.set(a.detector, [...(byDetector.get(a.detector) ?? []), o.severityRisk[a.severity]]);
  let risk = 0;
  for (const ws of byDetector.values()) {
    ws.sort((x, y) => y - x);
    risk += ws[0]! + o.repeatFactor * ws.slice(1).reduce((s, w) => s + w, 0);
  }
  if (byDetector.size === 1) risk = Math.min(risk, o.singleDetectorMaxRisk);
  const phases = new Set(alerts.flatMap((a) => DETECTOR_MEANING[a.detector]?.phases ?? []));
  risk += o.phaseRisk * Math.max(0, phases.size - 1);
  return Math.min(100, Math.round(risk * 10) / 10);
}

const MAX_PENDING = 256;

export function createCorrelator(ctx: DetectionContext, input: Partial<CorrelatorOptions> = {}): Correlator {
  const o = correlatorOptions.parse(input);
  const pending = new Map<string, Alert[]>();
  const open = new Map<string, { incident: Incident; alerts: Alert[] }>();
  const seen = new Set<string>();

  function rebuild(principal: string, id: string, openedAt: string, alerts: Alert[]): Incident {
    const risk = riskOf(alerts, o);
    let sev: Severity = 'low';
    for (const a of alerts) if (severityRank(a.severity) > severityRank(sev)) sev = a.severity;
    if (risk >= o.criticalRisk) sev = 'critical';
    const names = [...new Set(alerts.flatMap((a) => a.models))].sort();
    return {
      id,
      principals: [principal],
      opened_at: openedAt,
      updated_at: alerts[alerts.length - 1]!.at,
      severity: sev,
      risk,
      phases: PHASES.filter((p) => alerts.some((a) => DETECTOR_MEANING[a.detector]?.phases.includes(p))),
      vectors: VECTORS.filter((v) => alerts.some((a) => DETECTOR_MEANING[a.detector]?.vectors.includes(v))),
      models: names.map((n) => {
        const m = ctx.models.get(n);
        return { name: n, classification: m?.classification ?? null, estimated_value: m?.estimatedValue ?? null, team: m?.team ?? null };
      }),
      alerts: alerts.map((a) => a.id),
      timeline: alerts.map((a) => ({ at: a.at, alert: a.id, detector: a.detector, severity: a.severity, explanation: a.explanation })),
    };
  }

  function addOne(a: Alert): Incident | null {
    if (seen.has(a.id)) return null;
    seen.add(a.id);
    const p = a.principal;
    const current = open.get(p);
    if (current) {
      current.alerts.push(a);
      current.incident = rebuild(p, current.incident.id, current.incident.opened_at, current.alerts);
      return current.incident;
    }
    const atMs = Date.parse(a.at);
    const recent = (pending.get(p) ?? []).filter((x) => atMs - Date.parse(x.at) <= o.riskWindowDays * DAY_MS);
    recent.push(a);
    // Bounded per principal: the strongest evidence is in the newest alerts of the window.
    if (recent.length > MAX_PENDING) recent.splice(0, recent.length - MAX_PENDING);
    if (a.severity === 'critical' || riskOf(recent, o) >= o.openRisk) {
      pending.delete(p);
      const id = sha256Hex(`incident\0${p}\0${a.id}`).slice(0, 24);
      const entry = { incident: rebuild(p, id, a.at, recent), alerts: recent };
      open.set(p, entry);
      return entry.incident;
    }
    pending.set(p, recent);
    return null;
  }

  return {
    add(alerts) {
      const changed = new Map<string, Incident>();
      for (const a of [...alerts].sort(compareAlerts)) {
        const inc = addOne(a);
        if (inc) changed.set(inc.id, inc);
      }
      return [...changed.values()];
    },
    snapshot: () => ({
      pending: [...pending].map(([p, xs]) => [p, [...xs]]),
      open: [...open].map(([p, x]) => [p, { incident: x.incident, alerts: [...x.alerts] }]),
      seen: [...seen],
    }),
    restore(snap) {
      if (seen.size > 0) throw new Error('restore() needs a fresh correlator');
      for (const [p, xs] of snap.pending) pending.set(p, [...xs]);
      for (const [p, x] of snap.open) open.set(p, { incident: x.incident, alerts: [...x.alerts] });
      for (const id of snap.seen) seen.add(id);
    },
    incidents: () => [...open.values()].map((x) => x.incident).sort((a, b) => (a.opened_at < b.opened_at ? -1 : a.opened_at > b.opened_at ? 1 : a.id < b.id ? -1 : 1)),
  };
}
