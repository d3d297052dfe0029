import { api } from '../api.js';
import { alertsPerDayChart, ingestChart } from '../charts.js';
import { badge, fmtTime, h, link, table } from '../dom.js';
import type { Page } from '../app.js';

interface Overview {
  incidents: { total: number; bySeverity: Record<string, number> };
  alertsPerDay: Array<Record<string, number | string>>;
  topPrincipals: Array<{ principal: string; risk: number; severity: string; incidents: number; alerts: number }>;
  posture: { scannedAt: string; bySeverity: Record<string, number>; findings: number } | null;
  ingestion: {
    events: number;
    byKind: Record<string, number>;
    quarantined: number;
    health: { perHour: Array<{ hour: string; format: string; events: number }>; quarantined: Array<{ format: string; records: number }>; latest: string | null };
  };
}
interface Incident {
  id: string;
  principals: string[];
  opened_at: string;
  severity: string;
  risk: number;
  phases: string[];
  vectors: string[];
  response: { status: string; decision: string | null; owner: string | null; sla: string | null } | null;
}

export const overviewPage: Page = async (main) => {
  const [o, inc] = await Promise.all([api<Overview>('GET', '/overview'), api<{ total: number; rows: Incident[] }>('GET', '/incidents?limit=200')]);
  main.append(h('h1', {}, 'Overview'));
  main.append(
    h(
      'section',
      { class: 'cards' },
      ...['critical', 'high', 'medium', 'low'].map((s) => h('div', { class: `card stat sev-border-${s}` }, h('div', { class: 'big' }, o.incidents.bySeverity[s] ?? 0), h('div', {}, `${s} incidents`))),
      h('div', { class: 'card stat' }, h('div', { class: 'big', id: 'sla-breached' }, inc.rows.filter((i) => i.response?.sla === 'breached').length), h('div', {}, 'SLA breached')),
      h('div', { class: 'card stat' }, h('div', { class: 'big' }, o.ingestion.events.toLocaleString('en')), h('div', {}, 'events stored')),
      h('div', { class: 'card stat' }, h('div', { class: 'big' }, o.ingestion.quarantined.toLocaleString('en')), h('div', {}, 'records quarantined')),
    ),
  );
  main.append(h('h2', {}, 'Incidents'));
  main.append(
    inc.rows.length
      ? table(
          ['opened (event time)', 'severity', 'risk', 'principals', 'phases', 'vectors', 'response', 'SLA', ''],
          inc.rows.map((i) => [
            fmtTime(i.opened_at),
            badge(i.severity),
            i.risk,
            h('span', {}, ...i.principals.map((p) => link(p, `#/principals/${encodeURIComponent(p)}`))),
            i.phases.join(', '),
            i.vectors.join(', '),
            i.response ? `${i.response.status}${i.response.owner ? `, ${i.response.owner}` : ''}` : 'playbook not started',
            i.response?.sla ? h('span', { class: `clock-${i.response.sla}` }, i.response.sla) : '-',
            link('open', `#/incidents/${i.id}`),
          ]),
          { id: 'incidents' },
        )
      : h('p', { class: 'muted' }, 'No incidents. Run `mirrorwatch detect` after ingesting logs.'),
  );
  main.append(h('h2', {}, 'Alerts per day (event time)'));
  const chart = h('div', { class: 'chart', id: 'alerts-chart' });
  main.append(chart);
  alertsPerDayChart(chart, o.alertsPerDay);
  main.append(h('h2', {}, 'Top principals by risk'));
  main.append(table(['principal', 'risk', 'severity', 'alerts'], o.topPrincipals.map((p) => [link(p.principal, `#/principals/${encodeURIComponent(p.principal)}`), p.risk, badge(p.severity), p.alerts])));
  main.append(h('h2', {}, 'Posture and ingestion'));
  main.append(
    h(
      'div',
      { class: 'cards' },
      h('div', { class: 'card' }, h('h3', {}, 'Posture'), o.posture ? h('p', {}, `${o.posture.findings} findings (${Object.entries(o.posture.bySeverity).map(([k, v]) => `${v} ${k}`).join(', ')}), scanned ${fmtTime(o.posture.scannedAt)}`) : h('p', { class: 'muted' }, 'No scan stored (mirrorwatch scan PATH --store).')),
      h('div', { class: 'card' }, h('h3', {}, 'Events by kind'), table(['kind', 'events'], Object.entries(o.ingestion.byKind).map(([k, v]) => [k, v.toLocaleString('en')]))),
      h('div', { class: 'card' }, h('h3', {}, 'Quarantined by source'), o.ingestion.health.quarantined.length ? table(['source', 'records'], o.ingestion.health.quarantined.map((q) => [q.format, q.records])) : h('p', { class: 'muted' }, 'none')),
    ),
  );
  main.append(h('h2', {}, `Ingestion: events per source per hour (last 48 h of event time, up to ${fmtTime(o.ingestion.health.latest)})`));
  const ingest = h('div', { class: 'chart', id: 'ingest-chart' });
  main.append(ingest);
  ingestChart(ingest, o.ingestion.health.perHour);
};
