import { fmtTime, link } from '../dom.js';
import type { Page } from '../app.js';
import { listPage } from './list.js';

interface Row {
  id: string;
  time: string;
  kind: string;
  principal: string;
  summary: string;
  sourceIp: string | null;
  userAgent: string | null;
  file: string;
  line: number;
}

export const eventsPage: Page = (main, who) =>
  listPage<Row>(main, {
    title: 'Events',
    endpoint: '/events',
    filters: [
      { name: 'kind', label: 'kind', options: ['inference', 'registry', 'object', 'upload', ...(who.hr ? ['hr'] : [])] },
      { name: 'principal', label: 'principal' },
      { name: 'since', label: 'since (YYYY-MM-DD)' },
      { name: 'until', label: 'until (YYYY-MM-DD)' },
      { name: 'q', label: 'search' },
    ],
    headers: ['time', 'kind', 'principal', 'summary', 'source IP', 'user agent', 'source'],
    row: (e) => [fmtTime(e.time), e.kind, link(e.principal, `#/principals/${encodeURIComponent(e.principal)}`), e.summary, e.sourceIp ?? '-', e.userAgent ?? '-', `${e.file}:${e.line}`],
  });
