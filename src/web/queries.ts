/**
 * What the dashboard shows, computed over the Store face (so PostgreSQL can
 * serve it later). HR data is dropped here, before anything is serialised,
 * for identities without `hr` access: resignation and last-day events, the
 * HR window on charts, and departure wording in alert explanations.
 */
import type { Alert } from '../detect/alert.js';
import { SEVERITIES } from '../detect/alert.js';
import { DAY_MS, isWeekend, median, scaledMad } from '../detect/stats.js';
import type { Incident } from '../correlate/index.js';
import type { EventKind, MwEvent } from '../events/index.js';
import type { Store } from '../store/index.js';
import type { Identity } from './users.js';

/** Detectors whose alerts are about HR facts through and through (resignation baselines). */
const HR_DETECTORS = new Set(['departing-user']);
const HR_HIDDEN = 'Departure-related detail hidden: your role has no HR access.';
const HR_WORDS = /resign|notice period|last working day|departure|departing/i;

/**
 * Removes HR facts from an explanation and keeps the rest: an analyst without
 * HR access still needs to know a model was pulled, just not that its puller
 * has resigned. Known HR clauses are replaced; anything else that still
 * mentions HR hides the whole sentence (fail closed).
 */
export function redactExplanation(detector: string, text: string): string {
  if (HR_DETECTORS.has(detector)) return HR_HIDDEN;
  const out = text
    .replace(/;\s*raised from (\w+) because the principal is in a departing-user watch window\./, '; raised from $1 for an HR reason (details need HR access).')
    .replace(/,? and it is a TRADE_SECRET model and they are in their notice period/, ', and an HR condition applies (details need HR access)')
    .replace(/\bit is a TRADE_SECRET model and they are in their notice period/, 'an HR condition applies to this TRADE_SECRET model (details need HR access)');
  return HR_WORDS.test(out) ? HR_HIDDEN : out;
}

export function redactAlert(a: Alert, who: Identity): Alert {
  return who.hr ? a : { ...a, explanation: redactExplanation(a.detector, a.explanation) };
}

export function redactIncident(i: Incident, who: Identity): Incident {
  if (who.hr) return i;
  return { ...i, timeline: i.timeline.map((t) => ({ ...t, explanation: redactExplanation(t.detector, t.explanation) })) };
}

export function visibleEvent(e: MwEvent, who: Identity): boolean {
  return who.hr || e.kind !== 'hr';
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface Overview {
  incidents: { total: number; bySeverity: Record<string, number> };
  alertsPerDay: Array<{ day: string } & Record<(typeof SEVERITIES)[number], number>>;
  topPrincipals: Array<{ principal: string; risk: number; severity: string; incidents: number; alerts: number }>;
  posture: { scannedAt: string; bySeverity: Record<string, number>; findings: number } | null;
  ingestion: { events: number; byKind: Record<string, number>; quarantined: number; health: Awaited<ReturnType<Store['ingestHealth']>> };
}

export async function overview(store: Store): Promise<Overview> {
  const incidents = (await store.listIncidents({ limit: 100_000 })).rows;
  const bySeverity: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  for (const i of incidents) bySeverity[i.severity]!++;
  const alerts = (await store.listAlerts({ limit: 100_000 })).rows;
  const perDay = new Map<string, Record<string, number>>();
  const perPrincipal = new Map<string, number>();
  for (const a of alerts) {
    const d = a.at.slice(0, 10);
    const row = perDay.get(d) ?? Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
    row[a.severity]!++;
    perDay.set(d, row);
    perPrincipal.set(a.principal, (perPrincipal.get(a.principal) ?? 0) + 1);
  }
  const top = new Map<string, { risk: number; severity: string; incidents: number }>();
  for (const i of incidents)
    for (const p of i.principals) {
      const cur = top.get(p);
      if (!cur || i.risk > cur.risk) top.set(p, { risk: i.risk, severity: i.severity, incidents: (cur?.incidents ?? 0) + 1 });
    }
  const posture = await store.getDocument<{ scannedAt: string; findings: Array<{ severity: string }> }>('posture', 'latest');
  const counts = await store.counts();
  return {
    incidents: { total: incidents.length, bySeverity },
    alertsPerDay: [...perDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([d, r]) => ({ day: d, ...r }) as Overview['alertsPerDay'][number]),
    topPrincipals: [...top.entries()]
      .map(([principal, v]) => ({ principal, ...v, alerts: perPrincipal.get(principal) ?? 0 }))
      .sort((a, b) => b.risk - a.risk || a.principal.localeCompare(b.principal))
      .slice(0, 10),
    posture: posture
      ? {
          scannedAt: posture.body.scannedAt,
          findings: posture.body.findings.length,
          bySeverity: posture.body.findings.reduce<Record<string, number>>((m, f) => ((m[f.severity] = (m[f.severity] ?? 0) + 1), m), {}),
        }
      : null,
    ingestion: { events: counts.events, byKind: counts.byKind, quarantined: counts.quarantined, health: await store.ingestHealth(48) },
  };
}

export interface DailyPoint {
  day: string;
  instances: number;
  requests: number;
  /** The principal's robust band from earlier days of the same kind (weekday/weekend): median and median + 3.5 scaled MAD. */
  baselineMedian: number | null;
  baselineHigh: number | null;
  distinctInputs: number;
}

export interface PrincipalView {
  principal: string;
  directory: { team: string | null; role: string | null; projects: string[]; displayName: string | null } | null;
  daily: DailyPoint[];
  /** Present only for identities with HR access. */
  hrWindow: { start: string; end: string | null } | null;
  hrEvents: Array<{ at: string; action: string; lastWorkingDay: string | null }> | null;
  transfers: Array<{ at: string; kind: EventKind; what: string; target: string; bytes: number | null; id: string }>;
  incidents: Array<{ id: string; severity: string; risk: number; opened_at: string }>;
  alerts: number;
}

/** Days of history in the band, as the query-volume detector's default look-back (docs/detect.md). */
const BAND_DAYS = 28;
/** Iglewicz & Hoaglin's (1993) outlier cut, the detectors' default. */
const BAND_MADS = 3.5;

export async function principalView(store: Store, principal: string, who: Identity): Promise<PrincipalView | null> {
  const dir = (await store.directory()).find((d) => d.principal === principal) ?? null;
  const perDay = new Map<number, { instances: number; requests: number; inputs: Set<string> }>();
  const transfers: PrincipalView['transfers'] = [];
  const hr: NonNullable<PrincipalView['hrEvents']> = [];
  let seen = 0;
  for await (const e of store.replay({ principal })) {
    seen++;
    const t = Date.parse(e.time);
    if (e.kind === 'inference') {
      const d = Math.floor(t / DAY_MS) * DAY_MS;
      const row = perDay.get(d) ?? { instances: 0, requests: 0, inputs: new Set<string>() };
      row.instances += e.batchSize;
      row.requests++;
      // Bounded: the count of distinct inputs saturates at 50k a day.
      if (row.inputs.size < 50_000) for (const i of e.instances) row.inputs.add(i.input.type === 'smiles' ? (i.input.canonical ?? i.input.smiles) : i.input.hash);
      perDay.set(d, row);
    } else if (e.kind === 'registry' && (e.action === 'download_artifact' || e.action === 'get_download_uri')) {
      transfers.push({ at: e.time, kind: e.kind, what: e.action, target: `${e.model ?? '?'}${e.modelVersion ? ` v${e.modelVersion}` : ''}`, bytes: e.bytes, id: e.id });
    } else if (e.kind === 'object' && (e.operation === 'get' || e.operation === 'put')) {
      transfers.push({ at: e.time, kind: e.kind, what: e.operation, target: `${e.bucket ?? ''}/${e.key ?? ''}`, bytes: e.bytes, id: e.id });
    } else if (e.kind === 'upload') {
      transfers.push({ at: e.time, kind: e.kind, what: 'upload', target: `${e.destination} ${e.fileName}`, bytes: e.size, id: e.id });
    } else if (e.kind === 'hr' && who.hr) {
      hr.push({ at: e.time, action: e.action, lastWorkingDay: e.lastWorkingDay });
    }
  }
  if (seen === 0 && !dir) return null;
  const days = [...perDay.keys()].sort((a, b) => a - b);
  const daily: DailyPoint[] = [];
  const history: { weekday: number[]; weekend: number[] } = { weekday: [], weekend: [] };
  for (const d of days) {
    const r = perDay.get(d)!;
    const hist = isWeekend(d) ? history.weekend : history.weekday;
    const base = hist.slice(-BAND_DAYS);
    const med = base.length >= 5 ? median(base) : null;
    daily.push({
      day: day(d),
      instances: r.instances,
      requests: r.requests,
      distinctInputs: r.inputs.size,
      baselineMedian: med,
      baselineHigh: med == null ? null : med + BAND_MADS * Math.max(scaledMad(base, med), 0.25 * med),
    });
    hist.push(r.instances);
  }
  const resign = hr.find((h) => h.action === 'resignation_submitted');
  const last = hr.find((h) => h.lastWorkingDay)?.lastWorkingDay ?? null;
  const incidents = (await store.listIncidents({ principal })).rows.map((i) => ({ id: i.id, severity: i.severity, risk: i.risk, opened_at: i.opened_at }));
  return {
    principal,
    directory: dir ? { team: dir.team, role: dir.role, projects: dir.projects, displayName: dir.displayName } : null,
    daily,
    hrWindow: who.hr && resign ? { start: resign.at, end: last } : null,
    hrEvents: who.hr ? hr : null,
    transfers: transfers.slice(-500),
    incidents,
    alerts: (await store.listAlerts({ principal, limit: 0 })).total,
  };
}

export interface EventPage {
  total: number | null;
  rows: Array<Record<string, unknown>>;
}

/** A compact row for the events table: the fields an analyst scans, never the raw record. */
export function eventRow(e: MwEvent): Record<string, unknown> {
  const base = { id: e.id, time: e.time, kind: e.kind, principal: e.principal.canonical, sourceIp: e.sourceIp, userAgent: e.userAgent, format: e.provenance.format, file: e.provenance.file, line: e.provenance.line };
  switch (e.kind) {
    case 'inference':
      return { ...base, summary: `${e.model} batch ${e.batchSize} status ${e.httpStatus ?? '-'}`, model: e.model };
    case 'registry':
      return { ...base, summary: `${e.action} ${e.model ?? ''} ${e.modelVersion ?? ''}`.trim(), model: e.model };
    case 'object':
      return { ...base, summary: `${e.operation} ${e.bucket ?? ''}/${e.key ?? ''}`, model: null };
    case 'upload':
      return { ...base, summary: `upload ${e.fileName} to ${e.destination}`, model: null };
    case 'hr':
      return { ...base, summary: `${e.action} ${e.effectiveDate ?? ''}`.trim(), model: null };
  }
}

export async function eventPage(
  store: Store,
  who: Identity,
  q: { kind?: EventKind; principal?: string; since?: string; until?: string; text?: string; limit: number; offset: number },
): Promise<EventPage> {
  const rows: Array<Record<string, unknown>> = [];
  let matched = 0;
  const needle = q.text?.toLowerCase();
  const kinds = q.kind ? [q.kind] : who.hr ? undefined : (['inference', 'registry', 'object', 'upload'] as const);
  for await (const e of store.replay({ ...(kinds ? { kinds } : {}), ...(q.principal ? { principal: q.principal } : {}), ...(q.since ? { since: q.since } : {}), ...(q.until ? { until: q.until } : {}) })) {
    if (!visibleEvent(e, who)) continue;
    const row = eventRow(e);
    if (needle && !JSON.stringify(row).toLowerCase().includes(needle)) continue;
    if (matched >= q.offset && rows.length < q.limit) rows.push(row);
    matched++;
    // Stop counting far past the page: totals beyond this are reported as unknown.
    if (matched > q.offset + q.limit + 10_000) return { total: null, rows };
  }
  return { total: matched, rows };
}
