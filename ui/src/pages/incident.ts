import { api, ApiError } from '../api.js';
import { timelineChart } from '../charts.js';
import { badge, fmtTime, h, link, table } from '../dom.js';
import type { Page } from '../app.js';
import type { Alert } from '../types.js';
import { playbookPanel } from './playbook.js';

interface Incident {
  id: string;
  principals: string[];
  opened_at: string;
  updated_at: string;
  severity: string;
  risk: number;
  phases: string[];
  vectors: string[];
  models: Array<{ name: string; classification: string | null; estimated_value: number | null; team: string | null }>;
  timeline: Array<{ at: string; alert: string; detector: string; severity: string; explanation: string }>;
}
interface GatewayKey {
  id: string;
  principal: string;
  revokedAt?: string | null;
}

const ROLE_ORDER = ['viewer', 'analyst', 'responder', 'admin'];

export const incidentPage: Page = async (main, who, [id]) => {
  const { incident, alerts, notes } = await api<{ incident: Incident; alerts: Alert[]; notes: Array<{ at: string; by: string; text: string }> }>('GET', `/incidents/${id}`);
  const can = (role: string): boolean => ROLE_ORDER.indexOf(who.role) >= ROLE_ORDER.indexOf(role);
  main.append(
    h('h1', {}, 'Incident ', h('code', {}, incident.id), ' ', badge(incident.severity)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'principals'),
      h('dd', {}, ...incident.principals.map((p) => link(p, `#/principals/${encodeURIComponent(p)}`))),
      h('dt', {}, 'opened (event time)'),
      h('dd', {}, fmtTime(incident.opened_at)),
      h('dt', {}, 'risk'),
      h('dd', {}, String(incident.risk)),
      h('dt', {}, 'phases reached'),
      h('dd', { id: 'phases' }, incident.phases.join(', ') || '-'),
      h('dt', {}, 'theft vectors'),
      h('dd', {}, incident.vectors.join(', ') || '-'),
    ),
  );
  const playbook = h('section', { id: 'playbook' });
  main.append(playbook);
  void playbookPanel(playbook, incident.id, who.role).catch((e: unknown) => playbook.append(h('p', { class: 'error' }, e instanceof Error ? e.message : String(e))));
  main.append(h('h2', {}, 'Timeline (event time)'));
  const chart = h('div', { class: 'chart', id: 'timeline-chart' });
  main.append(chart);
  timelineChart(chart, incident.timeline);
  // Alerts (event time) and the response's actions in one list, oldest first.
  const run = await api<{ run: { actions: Array<{ at: string; step: string; actor: string; ok: boolean; dry_run: boolean; error: string | null }> } | null }>('GET', `/incidents/${incident.id}/playbook`);
  const rows: Array<{ at: string; cells: Array<Node | string> }> = incident.timeline.map((t) => ({ at: t.at, cells: [fmtTime(t.at), badge(t.severity), t.detector, t.explanation] }));
  for (const a of run.run?.actions ?? [])
    rows.push({ at: a.at, cells: [fmtTime(a.at), h('span', { class: 'badge action' }, 'action'), `response: ${a.step}`, `${a.actor}${a.dry_run ? ' (dry run)' : ''}: ${a.ok ? 'done' : `failed: ${a.error ?? ''}`}`] });
  rows.sort((a, b) => a.at.localeCompare(b.at));
  main.append(table(['time', 'severity', 'detector or action', 'explanation'], rows.map((r) => r.cells), { id: 'timeline' }));
  main.append(h('h2', {}, 'Affected models'));
  main.append(table(['model', 'classification', 'estimated value', 'team'], incident.models.map((m) => [m.name, m.classification ?? '-', m.estimated_value != null ? `$${m.estimated_value.toLocaleString('en')}` : '-', m.team ?? '-'])));

  main.append(h('h2', {}, 'Alerts'));
  const evidence = h('pre', { class: 'evidence', id: 'evidence' });
  main.append(
    table(
      ['time', 'severity', 'detector', 'observed', 'baseline', 'threshold', 'techniques', 'evidence'],
      alerts.map((a) => [
        fmtTime(a.at),
        badge(a.severity),
        a.detector,
        a.observed,
        a.baseline,
        a.threshold,
        a.techniques.join(' '),
        can('analyst')
          ? h('button', {
              type: 'button',
              class: 'link',
              on: {
                click: () => {
                  evidence.textContent = 'loading…';
                  void api<{ raw: string }>('GET', `/events/${a.evidence[0]}`)
                    .then((e) => (evidence.textContent = JSON.stringify(e, null, 2)))
                    .catch((err: unknown) => (evidence.textContent = err instanceof Error ? err.message : String(err)));
                },
              },
            }, `${a.evidence.length} events`)
          : `${a.evidence.length} events`,
      ]),
    ),
    evidence,
  );

  if (can('responder')) {
    main.append(h('h2', {}, 'Containment (gateway)'));
    const status = h('p', { id: 'containment-status', role: 'status' });
    const act = (label: string, fn: () => Promise<string>): HTMLButtonElement =>
      h('button', {
        type: 'button',
        class: 'danger',
        on: {
          click: () => {
            if (!window.confirm(`${label}?`)) return;
            status.textContent = 'working…';
            fn()
              .then((msg) => (status.textContent = msg))
              .catch((e: unknown) => (status.textContent = e instanceof ApiError ? `${e.message} (${e.code})` : String(e)));
          },
        },
      }, label);
    for (const p of incident.principals) {
      main.append(
        h(
          'div',
          { class: 'actions' },
          h('strong', {}, p),
          act(`Revoke all gateway keys of ${p}`, async () => {
            const gw = await api<{ keys: GatewayKey[] | { keys: GatewayKey[] } }>('GET', '/gateway');
            const keys = (Array.isArray(gw.keys) ? gw.keys : gw.keys.keys).filter((k) => k.principal === p && !k.revokedAt);
            for (const k of keys) await api('POST', `/gateway/keys/${encodeURIComponent(k.id)}/revoke`, { reason: `incident ${incident.id}` });
            return `revoked ${keys.length} key(s) of ${p}`;
          }),
          act(`Freeze ${p} at the gateway`, async () => {
            await api('POST', `/gateway/principals/${encodeURIComponent(p)}/freeze`, { reason: `incident ${incident.id}` });
            return `${p} frozen`;
          }),
          act(`Throttle ${p} to 1 request/s`, async () => {
            await api('POST', `/gateway/principals/${encodeURIComponent(p)}/throttle`, { requests_per_second: 1, reason: `incident ${incident.id}` });
            return `${p} throttled`;
          }),
        ),
      );
    }
    main.append(status);
  }

  main.append(h('h2', {}, 'Notes'));
  const list = h('ul', { id: 'notes' }, ...notes.map((n) => h('li', {}, h('span', { class: 'muted' }, `${fmtTime(n.at)} ${n.by}: `), n.text)));
  main.append(list);
  if (can('analyst')) {
    const text = h('textarea', { id: 'note-text', rows: 3, maxlength: 10000 });
    main.append(
      h(
        'form',
        {
          class: 'note-form',
          on: {
            submit: (e) => {
              e.preventDefault();
              void api<{ at: string; by: string; text: string }>('POST', `/incidents/${incident.id}/notes`, { text: text.value }).then((n) => {
                list.append(h('li', {}, h('span', { class: 'muted' }, `${fmtTime(n.at)} ${n.by}: `), n.text));
                text.value = '';
              });
            },
          },
        },
        text,
        h('button', { type: 'submit' }, 'Add note'),
      ),
    );
  }
};
