/**
 * The lab's Markdown report: the console tables with one sentence each, the
 * SVG charts beside it, the floors with their measured values, and where
 * output hardening helps and where it does not, worked out from the numbers.
 * Names from the result are escaped: Markdown renders raw HTML and links.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { floorChecks, fmtCount, fmtNum, hardening, type FidelityEffect, type FloorOptions, type HardeningOptions, type MembershipEffect } from './analysis.js';
import { labCharts } from './charts.js';
import type { LabResult } from './schema.js';
import { allTables, plain, type Table } from './tables.js';

export const REPORT_FILE = 'lab-report.md';

export interface ReportOptions {
  floors?: FloorOptions;
  hardening?: HardeningOptions;
}

/** Names are never put in code spans (escapes do not work there). Every ASCII punctuation a Markdown renderer might act on is backslash-escaped (CommonMark allows it); newlines would end a table row. */
export const mdText = (s: string): string => plain(s).replace(/[\\`*_{}[\]()<>#+!|~&]/g, '\\$&');

function mdTable(t: Table): string[] {
  if (t.rows.length === 0) return ['(none)'];
  return [
    `| ${t.head.map(mdText).join(' | ')} |`,
    `|${t.numeric.map((n) => (n ? '---:' : '---')).join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(mdText).join(' | ')} |`),
  ];
}

const signed = (x: number | null): string => (x == null ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(3)}`);
const METRIC: Record<string, string> = { r2: 'R²', agreement: 'agreement' };

function effectText(e: FidelityEffect): string {
  const eq = e.queries == null ? 'no common checkpoint' : `${METRIC[e.metric]} ${fmtNum(e.baseline)} → ${fmtNum(e.value)} (${signed(e.delta)}) at ${e.queries} queries`;
  return `${mdText(e.attack)} on ${mdText(e.victim)}: ${eq}; at the end ${fmtNum(e.finalBaseline)} → ${fmtNum(e.finalValue)} (${signed(e.finalDelta)})`;
}

const membershipText = (e: MembershipEffect): string =>
  `${mdText(e.attack)} on ${mdText(e.victim)}: AUC ${fmtNum(e.baseline)} → ${fmtNum(e.value)} (advantage over chance ${e.reduction >= 0 ? 'down' : 'up'} ${fmtNum(Math.abs(e.reduction))})`;

function hardeningSection(r: LabResult, options: HardeningOptions | undefined): string[] {
  const h = hardening(r, options);
  const t = fmtNum(h.threshold, 2);
  const out = [
    '## Where hardening helps and where it does not',
    '',
    `Each policy is compared with **${mdText(h.baseline)}** (the unprotected baseline) for the same attack on the same victim, at the largest query count both runs measured (the output policy's own effect) and at the end of each run (adding the effect of being rate limited or blocked). A change smaller than ${t} is counted as no effect.`,
    '',
  ];
  for (const p of r.policies) {
    if (p.name === h.baseline) continue;
    const fid = h.fidelity.filter((e) => e.policy === p.name);
    const mem = h.membership.filter((e) => e.policy === p.name);
    if (!fid.length && !mem.length) continue;
    out.push(`### ${mdText(p.name)}`, '', mdText(p.description), '');
    const helped = fid.filter((e) => e.helps);
    const not = fid.filter((e) => !e.helps);
    if (fid.length) out.push(`- Extraction: lowered fidelity by at least ${t} in ${helped.length} of ${fid.length} attack runs.`);
    for (const e of helped) out.push(`  - helps: ${effectText(e)}`);
    for (const e of not) out.push(`  - does not help: ${effectText(e)}`);
    if (mem.length) out.push(`- Membership inference: cut the attacker's advantage over chance by at least ${t} for ${mem.filter((e) => e.helps).length} of ${mem.length} attacks.`);
    for (const e of mem) out.push(`  - ${e.helps ? 'helps' : 'does not help'}: ${membershipText(e)}`);
    out.push('');
  }
  const victims = [...new Set(h.strategies.map((s) => s.victim))];
  if (victims.length) out.push('### By attack strategy', '');
  for (const v of victims) {
    const s = h.strategies.filter((x) => x.victim === v);
    const list = s.map((x) => `${mdText(x.strategy)} ${signed(x.meanDelta)} (${x.policies} policies)`).join(', ');
    let line = `- ${mdText(v)}: mean change in ${METRIC[s[0]!.metric]} under the other policies at equal query counts: ${list}.`;
    const most = s[0]!;
    const least = s.at(-1)!;
    if (s.length > 1) {
      line += least.meanDelta - most.meanDelta >= h.threshold
        ? ` Hardening cost the ${mdText(most.strategy)} strategy most and the ${mdText(least.strategy)} strategy least.`
        : ` The strategies are affected alike (spread under ${t}).`;
    }
    out.push(line);
  }
  if (victims.length) out.push('');
  if (!h.fidelity.length && !h.membership.length) out.push(`No run under another policy has a **${mdText(h.baseline)}** run to compare with.`, '');
  return out;
}

/** The report's Markdown text; `charts` are the file names and titles written beside it. */
export function renderReport(r: LabResult, charts: ReadonlyArray<{ file: string; title: string }>, options: ReportOptions = {}): string {
  const tables = allTables(r, options.floors);
  const byTitle = new Map(tables.map((t) => [t.title, t]));
  const section = (title: string, extra: string[] = []): string[] => {
    const t = byTitle.get(title)!;
    return [`## ${t.title}`, '', t.caption, '', ...extra, ...mdTable(t), ''];
  };
  const img = (c: { file: string; title: string }): string => `![${mdText(c.title)}](${c.file})`;
  const fidelityCharts = charts.filter((c) => c.file.startsWith('fidelity-')).flatMap((c) => [img(c), '']);
  const membershipCharts = charts.filter((c) => c.file.startsWith('membership-')).flatMap((c) => [img(c), '']);
  const floors = floorChecks(r, options.floors);
  const total = Object.values(r.timings_ms).reduce((s, x) => s + x, 0);
  return [
    '# MirrorWatch extraction-risk lab',
    '',
    `Seed ${r.seed}, ${r.quick ? 'quick run (subsampled pool, smaller query counts)' : 'full run'}; ${r.attacks.length} attack runs under ${r.policies.length} output policies, ${r.membership.length} membership measurements, ${r.benign.queries} benign queries.`,
    '',
    '## Floors',
    '',
    ...floors.map((c) => `- **${c.pass ? 'PASS' : 'FAIL'}** ${mdText(c.floor)}: ${mdText(c.measured)}.`),
    ...floors.flatMap((c) => c.failures.map((f) => `  - ${mdText(f)}`)),
    '',
    ...section('Victims'),
    '## Policies',
    '',
    ...r.policies.map((p) => `- **${mdText(p.name)}**: ${mdText(p.description)}`),
    '',
    ...section('Surrogate fidelity', fidelityCharts),
    ...section('Detection points'),
    ...section('Membership inference', membershipCharts),
    ...section('Benign traffic'),
    ...hardeningSection(r, options.hardening),
    '## Timings',
    '',
    `Total ${fmtCount(total)} ms: ${Object.entries(r.timings_ms).map(([k, v]) => `${mdText(k)} ${fmtCount(v)} ms`).join(', ') || 'none recorded'}.`,
    '',
  ].join('\n');
}

/** Writes lab-report.md and its SVG charts into `dir` (created if needed); returns the paths written, the report first. */
export async function writeReport(r: LabResult, dir: string, options: ReportOptions = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const charts = labCharts(r);
  const paths: string[] = [];
  for (const c of charts) {
    const p = join(dir, c.file);
    await writeFile(p, c.svg);
    paths.push(p);
  }
  const md = join(dir, REPORT_FILE);
  await writeFile(md, renderReport(r, charts, options));
  return [md, ...paths];
}
