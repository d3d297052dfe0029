import { api } from '../api.js';
import { h, table } from '../dom.js';
import type { Page } from '../app.js';

export const gatewayPage: Page = async (main) => {
  const gw = await api<{ url: string; keys: unknown; principals: unknown }>('GET', '/gateway');
  main.append(h('h1', {}, 'Gateway'), h('p', { class: 'muted' }, `admin API ${gw.url}`));
  const keys = (Array.isArray(gw.keys) ? gw.keys : ((gw.keys as { keys?: unknown[] }).keys ?? [])) as Array<Record<string, unknown>>;
  main.append(h('h2', {}, 'Keys'));
  main.append(
    table(
      ['id', 'principal', 'team', 'role', 'created', 'expires', 'revoked'],
      keys.map((k) => [String(k['id'] ?? ''), String(k['principal'] ?? ''), String(k['team'] ?? '-'), String(k['role'] ?? ''), String(k['createdAt'] ?? '-'), String(k['expiresAt'] ?? '-'), String(k['revokedAt'] ?? '-')]),
      { id: 'gateway-keys' },
    ),
  );
  main.append(h('h2', {}, 'Containment by principal'));
  main.append(h('pre', { class: 'evidence' }, JSON.stringify(gw.principals, null, 2)));
};
