/** The dashboard shell: hash routes, navigation by role, one page at a time. */
import { ApiError, me, type Me } from './api.js';
import { clear, h } from './dom.js';
import { alertsPage } from './pages/alerts.js';
import { eventsPage } from './pages/events.js';
import { gatewayPage } from './pages/gateway.js';
import { incidentPage } from './pages/incident.js';
import { overviewPage } from './pages/overview.js';
import { posturePage } from './pages/posture.js';
import { principalPage } from './pages/principal.js';

export type Page = (main: HTMLElement, who: Me['user'], args: string[]) => Promise<void>;

const ROUTES: Array<{ pattern: RegExp; page: Page; nav?: [string, string] }> = [
  { pattern: /^#?\/?$/, page: overviewPage, nav: ['Overview', '#/'] },
  { pattern: /^#\/alerts$/, page: alertsPage, nav: ['Alerts', '#/alerts'] },
  { pattern: /^#\/events$/, page: eventsPage, nav: ['Events', '#/events'] },
  { pattern: /^#\/posture$/, page: posturePage, nav: ['Posture', '#/posture'] },
  { pattern: /^#\/gateway$/, page: gatewayPage, nav: ['Gateway', '#/gateway'] },
  { pattern: /^#\/incidents\/([0-9a-f]{24})$/, page: incidentPage },
  { pattern: /^#\/principals\/(.+)$/, page: principalPage },
];

async function render(who: Me['user']): Promise<void> {
  const main = document.getElementById('main')!;
  const hash = window.location.hash || '#/';
  const route = ROUTES.find((r) => r.pattern.test(hash.split('?')[0]!));
  clear(main);
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.getAttribute('href') === hash.split('?')[0]);
  if (!route) {
    main.append(h('p', { class: 'error' }, 'No such page.'));
    return;
  }
  const args = (route.pattern.exec(hash.split('?')[0]!) ?? []).slice(1).map((a) => decodeURIComponent(a));
  main.append(h('p', { class: 'muted', id: 'loading' }, 'Loading…'));
  try {
    const page = h('div', { class: 'page' });
    await route.page(page, who, args);
    clear(main);
    main.append(page);
  } catch (e) {
    clear(main);
    const msg = e instanceof ApiError ? `${e.message} (${e.code})` : e instanceof Error ? e.message : String(e);
    main.append(h('p', { class: 'error', role: 'alert' }, msg));
  }
}

async function start(): Promise<void> {
  const m = await me();
  const nav = document.getElementById('nav')!;
  for (const r of ROUTES) if (r.nav) nav.append(h('a', { href: r.nav[1] }, r.nav[0]));
  const whoEl = document.getElementById('who')!;
  whoEl.append(
    `${m.user.username} · ${m.user.role}${m.user.hr ? ' · HR' : ''} `,
    h('button', {
      type: 'button',
      id: 'logout',
      class: 'link',
      on: {
        click: () => {
          void fetch('/api/v1/auth/logout', { method: 'POST', headers: { 'x-csrf-token': m.csrfToken } }).finally(() => window.location.assign('/login'));
        },
      },
    }, 'Log out'),
  );
  window.addEventListener('hashchange', () => void render(m.user));
  await render(m.user);
}

void start();
