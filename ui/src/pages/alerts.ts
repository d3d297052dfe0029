import { badge, fmtTime, h, link } from '../dom.js';
import type { Page } from '../app.js';
import type { Alert } from '../types.js';
import { listPage } from './list.js';


export const alertsPage: Page = (main) =>
  listPage<Alert>(main, {
    title: 'Alerts',
    endpoint: '/alerts',
    filters: [
      { name: 'principal', label: 'principal' },
      { name: 'detector', label: 'detector' },
      { name: 'severity', label: 'severity', options: ['low', 'medium', 'high', 'critical'] },
      { name: 'since', label: 'since (YYYY-MM-DD)' },
      { name: 'until', label: 'until (YYYY-MM-DD)' },
    ],
    headers: ['time', 'severity', 'detector', 'principal', 'models', 'observed / baseline / threshold', 'techniques', 'explanation'],
    row: (a) => [
      fmtTime(a.at),
      badge(a.severity),
      a.detector,
      link(a.principal, `#/principals/${encodeURIComponent(a.principal)}`),
      a.models.join(', '),
      h('span', {}, `${a.observed} / ${a.baseline} / ${a.threshold}`),
      a.techniques.join(' '),
      a.explanation,
    ],
  });
