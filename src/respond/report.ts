/**
 * The incident report: one document model rendered as Markdown and as a
 * self-contained HTML page (inline CSS, no scripts, every string escaped),
 * and as PDF when Chromium is present (playwright-core).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Incident } from '../correlate/index.js';
import type { Iocs } from './collect.js';
import type { Playbook } from './playbook.js';
import type { PlaybookRun } from './run.js';
import { clockStatus } from './run.js';
import { flatIocs } from './stix.js';

type Block = { h: string } | { p: string } | { list: string[] } | { checklist: Array<{ text: string; done: boolean }> } | { table: { head: string[]; rows: string[][] } };

export interface ReportInput {
  incident: Incident;
  run: PlaybookRun;
  playbook: Playbook;
  iocs: Iocs;
  evidence: { entries: number; head: string; ok: boolean };
  now: number;
}

const money = (v: number | null): string => (v == null ? '-' : `$${v.toLocaleString('en-US')}`);

export function reportBlocks(r: ReportInput): { title: string; blocks: Block[] } {
  const { incident: i, run } = r;
  const phasesReached = r.playbook.phases.filter((p) => {
    if (p.id === 'detect' || p.id === 'analyze') return true;
    if (p.id === 'contain') return run.actions.some((a) => a.ok && !a.dry_run);
    return run.status === 'closed';
  });
  const clocks = run.clocks.map((c) => clockStatus(c, r.now));
  const blocks: Block[] = [
    { h: 'Summary' },
    {
      p: `Incident ${i.id} on principal ${i.principals.join(', ')}: severity ${i.severity}, risk ${i.risk}, opened ${i.opened_at} (event time), last activity ${i.updated_at}. Campaign phases: ${i.phases.join(', ') || 'none'}. Status: ${run.status}${run.closed ? ` (closed ${run.closed.at} by ${run.closed.actor}: ${run.closed.decision})` : ''}.`,
    },
    { h: 'Decision and owners' },
    { p: run.decision ? `${run.decision.condition} → ${run.decision.decision}. Owner: ${run.decision.owner}. SLA ${run.decision.sla_minutes} minutes.` : 'No decision row matched.' },
    { table: { head: ['fact', 'holds', 'why'], rows: Object.entries(run.facts).filter(([, v]) => v).map(([k]) => [k, 'yes', run.fact_reasons[k as keyof typeof run.fact_reasons] ?? '']) } },
    { p: `Escalation: ${run.escalation.length ? run.escalation.map((e) => `${e.id} → ${e.notify.join(', ')}`).join('; ') : 'none'}.` },
    { h: 'Theft vectors' },
    { table: { head: ['vector', 'severity', 'alerts'], rows: run.vectors.map((v) => [v.name, v.severity, String(v.alerts.length)]) } },
    { h: 'Affected models' },
    { table: { head: ['model', 'classification', 'estimated value', 'team'], rows: i.models.map((m) => [m.name, m.classification ?? '-', money(m.estimated_value), m.team ?? '-']) } },
    { p: `Total estimated value: ${money(i.models.reduce((s, m) => s + (m.estimated_value ?? 0), 0))}.` },
    { h: 'Timeline' },
    { table: { head: ['event time', 'detector', 'severity', 'explanation'], rows: i.timeline.map((t) => [t.at, t.detector, t.severity, t.explanation]) } },
    { h: 'Triage' },
    { table: { head: ['check', 'finding', 'query'], rows: run.triage.map((t) => [t.name, t.summary, t.query]) } },
    { h: 'Phases reached' },
    { checklist: r.playbook.phases.map((p) => ({ text: p.name, done: phasesReached.includes(p) })) },
    { h: 'Actions taken' },
    {
      table: {
        head: ['#', 'time', 'step', 'who', 'mode', 'result'],
        rows: run.actions.map((a) => [String(a.seq), a.at, a.step, a.actor, a.mode, a.dry_run ? 'dry run' : a.ok ? (a.manual ? (a.marked_done ? 'done (manual)' : 'manual: commands generated') : 'ok') : `failed: ${a.error ?? ''}`]),
      },
    },
    { table: { head: ['step', 'status', 'attempts'], rows: run.steps.filter((s) => s.status !== 'not_planned').map((s) => [s.name, s.status, String(s.attempts)]) } },
    { h: 'SLA compliance' },
    { table: { head: ['clock', 'target', 'started (event time)', 'due', 'stopped', 'state'], rows: clocks.map((c) => [c.name, `${c.target_minutes} min`, c.started_at, c.due_at, c.stopped_at ?? '-', c.state === 'running' ? `running, ${c.minutes} min left` : c.state === 'breached' ? `breached by ${c.minutes} min` : c.state]) } },
    { h: 'Indicators of compromise' },
    { table: { head: ['type', 'value', 'context'], rows: flatIocs(r.iocs).map((x) => [x.type, x.value, x.context]) } },
    { h: 'Notes' },
    run.notes.length ? { list: run.notes.map((n) => `${n.at} ${n.actor}: ${n.text}`) } : { p: 'None.' },
    { h: 'Recovery checklist' },
    { checklist: r.playbook.recovery.map((t) => ({ text: t, done: false })) },
    { h: 'Lessons checklist' },
    { checklist: r.playbook.lessons.map((t) => ({ text: t, done: false })) },
    { h: 'Evidence' },
    { p: `Evidence log: ${r.evidence.entries} entries, head ${r.evidence.head}, verification ${r.evidence.ok ? 'passed' : 'FAILED'}. Legal hold: ${run.held ? 'yes' : 'no'}. Playbook ${run.playbook.id} v${run.playbook.version} (sha256 ${run.playbook.sha256}).` },
  ];
  return { title: `${run.playbook.id} ${run.playbook.name}: incident ${i.id}`, blocks };
}

/** Markdown table cells: pipes and newlines would break the row. */
const mdCell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const mdText = (s: string): string => s.replace(/([\\`*_[\]<>])/g, '\\$1');

export function renderMarkdown(doc: { title: string; blocks: Block[] }): string {
  const out = [`# ${mdText(doc.title)}`, ''];
  for (const b of doc.blocks) {
    if ('h' in b) out.push(`## ${b.h}`, '');
    else if ('p' in b) out.push(mdText(b.p), '');
    else if ('list' in b) out.push(...b.list.map((x) => `- ${mdText(x)}`), '');
    else if ('checklist' in b) out.push(...b.checklist.map((x) => `- [${x.done ? 'x' : ' '}] ${mdText(x.text)}`), '');
    else if (b.table.rows.length) out.push(`| ${b.table.head.join(' | ')} |`, `|${b.table.head.map(() => '---').join('|')}|`, ...b.table.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`), '');
    else out.push('(none)', '');
  }
  return out.join('\n');
}

export const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

export function renderHtml(doc: { title: string; blocks: Block[] }): string {
  const body = doc.blocks
    .map((b) => {
      if ('h' in b) return `<h2>${escapeHtml(b.h)}</h2>`;
      if ('p' in b) return `<p>${escapeHtml(b.p)}</p>`;
      if ('list' in b) return `<ul>${b.list.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>`;
      if ('checklist' in b) return `<ul class="check">${b.checklist.map((x) => `<li>${x.done ? '&#9745;' : '&#9744;'} ${escapeHtml(x.text)}</li>`).join('')}</ul>`;
      if (!b.table.rows.length) return '<p>(none)</p>';
      return `<table><thead><tr>${b.table.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${b.table.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>${escapeHtml(doc.title)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#111}table{border-collapse:collapse;margin:.5em 0 1em;width:100%}th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top;word-break:break-word}th{background:#eee}ul.check{list-style:none;padding-left:1em}h2{border-bottom:1px solid #ccc;margin-top:1.5em}</style>
</head><body><h1>${escapeHtml(doc.title)}</h1>
${body}
</body></html>
`;
}

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Writes report.md and report.html (and report.pdf when Chromium is installed); returns the files written. */
export async function writeReport(input: ReportInput, outDir: string, options: { pdf?: boolean; onWarning?: (message: string) => void } = {}): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const doc = reportBlocks(input);
  const base = `incident-${input.incident.id}`;
  const md = join(outDir, `${base}.md`);
  const html = join(outDir, `${base}.html`);
  const htmlText = renderHtml(doc);
  await writeFile(md, renderMarkdown(doc));
  await writeFile(html, htmlText);
  const files = [md, html];
  const exe = [process.env['MIRRORWATCH_CHROMIUM'], ...CHROMIUM].find((p): p is string => !!p && existsSync(p));
  if (options.pdf !== false && exe) {
    try {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: exe });
      try {
        const page = await browser.newPage();
        await page.setContent(htmlText, { waitUntil: 'load' });
        const pdf = join(outDir, `${base}.pdf`);
        await page.pdf({ path: pdf, format: 'A4', printBackground: true });
        files.push(pdf);
      } finally {
        await browser.close();
      }
    } catch (e) {
      // The PDF is a convenience: Markdown and HTML are written, the reason is reported.
      options.onWarning?.(`no PDF: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return files;
}
