/** The incident's playbook panel: decision, owner, SLA clocks, triage, containment steps, IoCs, exports. */
import { api, ApiError } from '../api.js';
import { badge, clear, fmtTime, h, table } from '../dom.js';

interface Clock { id: string; name: string; target_minutes: number; started_at: string; due_at: string; stopped_at: string | null; state: string; minutes: number }
interface Run {
  playbook: { id: string; name: string };
  decision: { decision: string; owner: string; sla_minutes: number; condition: string } | null;
  escalation: Array<{ id: string; notify: string[] }>;
  vectors: Array<{ id: string; name: string; severity: string }>;
  triage: Array<{ id: string; name: string; status: string; query: string; summary: string }>;
  steps: Array<{ id: string; name: string; connector: string; action: string; mode: string; status: string; attempts: number }>;
  actions: Array<{ seq: number; step: string; actor: string; at: string; dry_run: boolean; ok: boolean; manual: boolean; error: string | null }>;
  status: string;
}

const ROLE_ORDER = ['viewer', 'analyst', 'responder', 'admin'];

function download(name: string, type: string, text: string): void {
  // A blob URL made here from our own API's answer; the dom helper refuses non-http links on purpose.
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export async function playbookPanel(holder: HTMLElement, incidentId: string, role: string): Promise<void> {
  const can = (r: string): boolean => ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(r);
  clear(holder);
  const { run, clocks } = await api<{ run: Run | null; clocks: Clock[] }>('GET', `/incidents/${incidentId}/playbook`);
  const status = h('p', { role: 'status', id: 'playbook-status' });
  const reload = (): void => void playbookPanel(holder, incidentId, role);
  const fail = (e: unknown): void => {
    status.textContent = e instanceof ApiError ? `${e.message} (${e.code})` : String(e);
  };
  holder.append(h('h2', {}, 'Response playbook'));
  if (!run) {
    holder.append(h('p', { class: 'muted' }, 'The playbook has not been started on this incident.'));
    if (can('analyst'))
      holder.append(
        h('button', { type: 'button', id: 'start-playbook', on: { click: () => void api('POST', `/incidents/${incidentId}/playbook`, { dryRun: false }).then(reload, fail) } }, 'Start the model-theft playbook'),
      );
    holder.append(status);
    return;
  }
  holder.append(
    h(
      'dl',
      { class: 'facts', id: 'decision' },
      h('dt', {}, 'playbook'),
      h('dd', {}, `${run.playbook.id} ${run.playbook.name} (${run.status})`),
      h('dt', {}, 'decision'),
      h('dd', {}, run.decision ? run.decision.decision : 'no decision row matched'),
      h('dt', {}, 'owner'),
      h('dd', {}, run.decision?.owner ?? '-'),
      h('dt', {}, 'escalate to'),
      h('dd', {}, [...new Set(run.escalation.flatMap((e) => e.notify))].join(', ') || '-'),
      h('dt', {}, 'theft vectors'),
      h('dd', {}, ...run.vectors.map((v) => h('span', {}, badge(v.severity), ` ${v.name} `))),
    ),
  );
  holder.append(h('h3', {}, 'SLA clocks'));
  holder.append(table(['clock', 'target', 'started (event time)', 'due', 'stopped', 'state'], clocks.map((c) => [c.name, `${c.target_minutes} min`, fmtTime(c.started_at), fmtTime(c.due_at), fmtTime(c.stopped_at), h('span', { class: `clock-${c.state}` }, `${c.state}${c.state === 'breached' ? ` by ${c.minutes} min` : ''}`)]), { id: 'clocks' }));
  holder.append(h('h3', {}, 'Triage'));
  holder.append(table(['check', 'status', 'finding', 'how'], run.triage.map((t) => [t.name, t.status, t.summary, h('code', {}, t.query)]), { id: 'triage' }));
  holder.append(h('h3', {}, 'Containment steps'));
  holder.append(
    table(
      ['step', 'through', 'mode', 'status', ''],
      run.steps.map((s) => [
        s.name,
        `${s.connector}: ${s.action}`,
        s.mode,
        s.status,
        can('responder')
          ? h(
              'span',
              { class: 'actions' },
              h('button', { type: 'button', class: 'danger', 'data-step': s.id, on: { click: () => { if (window.confirm(`${s.name}: run it now?`)) void api('POST', `/incidents/${incidentId}/playbook/steps/${s.id}`, {}).then(reload, fail); } } }, s.mode === 'manual' ? 'Generate' : 'Run'),
              h('button', { type: 'button', on: { click: () => void api('POST', `/incidents/${incidentId}/playbook/steps/${s.id}`, { dryRun: true }).then(reload, fail) } }, 'Dry run'),
              s.mode === 'manual' ? h('button', { type: 'button', on: { click: () => { if (window.confirm(`Mark "${s.name}" as done?`)) void api('POST', `/incidents/${incidentId}/playbook/steps/${s.id}`, { markDone: true }).then(reload, fail); } } }, 'Mark done') : null,
            )
          : '',
      ]),
      { id: 'steps' },
    ),
  );
  holder.append(h('h3', {}, 'Actions'));
  holder.append(table(['#', 'time', 'step', 'by', 'result'], run.actions.map((a) => [a.seq, fmtTime(a.at), a.step, a.actor, `${a.dry_run ? 'dry run, ' : ''}${a.ok ? 'ok' : `failed: ${a.error ?? ''}`}${a.manual ? ' (manual)' : ''}`]), { id: 'actions' }));
  if (can('analyst')) {
    const iocHolder = h('div', { id: 'iocs' });
    holder.append(
      h('h3', {}, 'Indicators and exports'),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', id: 'show-iocs', on: { click: () => void api<{ flat: Array<{ type: string; value: string; context?: string }> }>('GET', `/incidents/${incidentId}/iocs`).then((r) => { clear(iocHolder); iocHolder.append(table(['type', 'value', 'context'], r.flat.map((i) => [i.type, i.value, i.context ?? '']))); }, fail) } }, 'Show IoCs'),
        h('button', { type: 'button', id: 'export-stix', on: { click: () => void api('GET', `/incidents/${incidentId}/stix`).then((b) => download(`incident-${incidentId}.stix.json`, 'application/json', JSON.stringify(b, null, 2)), fail) } }, 'Export STIX 2.1'),
        h('button', { type: 'button', id: 'download-report', on: { click: () => void api<{ markdown: string }>('GET', `/incidents/${incidentId}/report`).then((r) => download(`incident-${incidentId}.md`, 'text/markdown', r.markdown), fail) } }, 'Download report'),
      ),
      iocHolder,
    );
  }
  holder.append(status);
}
