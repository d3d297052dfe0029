import { api } from '../api.js';
import { chemMapChart, dailyBaselineChart, focusChart, type DailyPoint } from '../charts.js';
import { badge, fmtBytes, fmtTime, h, link, table } from '../dom.js';
import type { Page } from '../app.js';

interface View {
  principal: string;
  directory: { team: string | null; role: string | null; projects: string[]; displayName: string | null } | null;
  daily: DailyPoint[];
  hrWindow: { start: string; end: string | null } | null;
  hrEvents: Array<{ at: string; action: string; lastWorkingDay: string | null }> | null;
  transfers: Array<{ at: string; kind: string; what: string; target: string; bytes: number | null; id: string }>;
  incidents: Array<{ id: string; severity: string; risk: number; opened_at: string }>;
  alerts: number;
}

export const principalPage: Page = async (main, _who, [name]) => {
  const v = await api<View>('GET', `/principals/${encodeURIComponent(name!)}`);
  main.append(h('h1', {}, 'Principal ', h('code', {}, v.principal)));
  const d = v.directory;
  main.append(
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'team'),
      h('dd', {}, d?.team ?? '-'),
      h('dt', {}, 'role'),
      h('dd', {}, d?.role ?? '-'),
      h('dt', {}, 'projects'),
      h('dd', {}, d?.projects.join(', ') || '-'),
      h('dt', {}, 'alerts'),
      h('dd', {}, link(String(v.alerts), `#/alerts?principal=${encodeURIComponent(v.principal)}`)),
      h('dt', {}, 'incidents'),
      h('dd', {}, ...v.incidents.map((i) => h('span', {}, badge(i.severity), ' ', link(`risk ${i.risk}, opened ${fmtTime(i.opened_at)}`, `#/incidents/${i.id}`)))),
      ...(v.hrEvents ? [h('dt', {}, 'HR'), h('dd', { id: 'hr' }, v.hrEvents.map((e) => `${e.action} ${fmtTime(e.at)}${e.lastWorkingDay ? ` (last day ${e.lastWorkingDay})` : ''}`).join('; ') || '-')] : []),
    ),
  );
  main.append(h('h2', {}, 'Daily queries against their baseline'));
  const chart = h('div', { class: 'chart', id: 'baseline-chart' });
  main.append(chart);
  dailyBaselineChart(chart, v.daily, v.hrWindow);
  main.append(h('p', { class: 'muted' }, 'Band: median to median + 3.5 scaled MAD of the previous 28 active days of the same kind (weekday or weekend), as the query-volume detector computes it.'));
  main.append(h('h2', {}, 'Query space'));
  const chemStatus = h('p', { class: 'muted', id: 'chem-status' }, 'Computing fingerprints…');
  const map = h('div', { class: 'chart', id: 'chem-map', hidden: true });
  const focus = h('div', { class: 'chart', id: 'focus-chart', hidden: true });
  main.append(chemStatus, map, focus);
  // After the page is shown: fingerprints take a moment on a first visit.
  void api<{ points: Array<{ x: number; y: number; group: string; smiles: string }>; explained: [number, number]; days: Array<{ day: string; focus: number | null; diversity: number | null }>; method: string }>(
    'GET',
    `/principals/${encodeURIComponent(v.principal)}/chemistry`,
  )
    .then((c) => {
      chemStatus.textContent = c.points.length ? c.method : 'No molecular queries.';
      if (c.points.length) {
        map.hidden = false;
        focus.hidden = false;
        chemMapChart(map, c.points, c.explained);
        focusChart(focus, c.days, v.hrWindow);
      }
    })
    .catch((e: unknown) => (chemStatus.textContent = e instanceof Error ? e.message : String(e)));
  main.append(h('h2', {}, 'Downloads and uploads'));
  main.append(table(['time', 'kind', 'what', 'target', 'bytes'], v.transfers.slice(-200).reverse().map((t) => [fmtTime(t.at), t.kind, t.what, t.target, fmtBytes(t.bytes)]), { id: 'transfers' }));
};
