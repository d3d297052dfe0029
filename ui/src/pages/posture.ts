import { api } from '../api.js';
import { badge, fmtTime, h, table } from '../dom.js';
import type { Page } from '../app.js';

interface Finding {
  rule?: string;
  ruleId?: string;
  id?: string;
  severity: string;
  title?: string;
  message?: string;
  resource?: string;
  file?: string;
  line?: number;
}

export const posturePage: Page = async (main) => {
  const report = await api<{ scannedAt: string; path?: string; findings: Finding[] } | null>('GET', '/posture');
  main.append(h('h1', {}, 'Posture'));
  if (!report) {
    main.append(h('p', { class: 'muted' }, 'No scan stored yet: run mirrorwatch scan PATH --store.'));
    return;
  }
  main.append(h('p', {}, `${report.findings.length} findings, scanned ${fmtTime(report.scannedAt)}${report.path ? ` (${report.path})` : ''}`));
  main.append(
    table(
      ['severity', 'rule', 'resource', 'where', 'finding'],
      report.findings.map((f) => [badge(f.severity), f.ruleId ?? f.rule ?? f.id ?? '-', f.resource ?? '-', f.file ? `${f.file}:${f.line ?? ''}` : '-', f.title ?? f.message ?? '']),
    ),
  );
};
