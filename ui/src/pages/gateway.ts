import { api } from '../api.js';
import { h, table } from '../dom.js';
import type { Page } from '../app.js';

type Row = Record<string, string | number>;
interface GatewayView {
  url: string;
  keys: { keys?: Row[] } | Row[];
  principals: { principals?: Record<string, unknown> } | unknown;
  requests: Row[];
  rejections: Row[];
  budgets: Row[];
  riskActions: Row[];
  limits: { rate_limits: Row[]; budgets: Row[]; roles: Record<string, Row> };
}

const s = (v: unknown): string => (v == null ? '-' : String(v));

export const gatewayPage: Page = async (main) => {
  const gw = await api<GatewayView>('GET', '/gateway');
  main.append(h('h1', {}, 'Gateway'), h('p', { class: 'muted' }, `admin API ${gw.url}`));
  const keys = Array.isArray(gw.keys) ? gw.keys : (gw.keys.keys ?? []);
  main.append(h('h2', {}, 'Keys'));
  main.append(table(['id', 'principal', 'team', 'role', 'created', 'expires', 'revoked'], keys.map((k) => [s(k['id']), s(k['principal']), s(k['team']), s(k['role']), s(k['createdAt']), s(k['expiresAt']), s(k['revokedAt'])]), { id: 'gateway-keys' }));
  main.append(h('h2', {}, 'Rate limits'));
  const list = (v: unknown): string => (Array.isArray(v) ? v.join(', ') : v == null ? 'all' : String(v));
  main.append(
    table(
      ['scope', 'limit', 'burst', 'models', 'roles'],
      gw.limits.rate_limits.map((r) => [s(r['scope']), `${s(r['limit'])} ${s(r['unit'])} per ${s(r['per'])}`, s(r['burst'] ?? r['limit']), list(r['models']), list(r['roles'])]),
      { id: 'gateway-limits' },
    ),
  );
  main.append(h('h2', {}, 'Budgets (instances per principal and model)'));
  main.append(table(['per day', 'lifetime', 'models', 'roles'], gw.limits.budgets.map((b) => [s(b['per_day']), s(b['lifetime']), list(b['models']), list(b['roles'])])));
  main.append(h('h2', {}, 'Roles'));
  main.append(table(['role', 'output policy', 'batch cap'], Object.entries(gw.limits.roles).map(([name, r]) => [name, s(r['output_policy']), s(r['batch_cap'])])));
  main.append(h('h2', {}, 'Budgets remaining'));
  main.append(table(['principal', 'model', 'budget', 'remaining instances'], gw.budgets.map((b) => [s(b['principal']), s(b['model']), s(b['budget']), Number(b['value']).toLocaleString('en')]), { id: 'gateway-budgets' }));
  main.append(h('h2', {}, 'Rejections'));
  main.append(table(['reason', 'count'], gw.rejections.map((r) => [s(r['reason']), s(r['value'])]), { id: 'gateway-rejections' }));
  main.append(h('h2', {}, 'Requests'));
  main.append(table(['model', 'protocol', 'status', 'count'], gw.requests.map((r) => [s(r['model']), s(r['protocol']), s(r['status']), s(r['value'])])));
  main.append(h('h2', {}, 'Risk and containment actions'));
  main.append(table(['action', 'source', 'count'], gw.riskActions.map((r) => [s(r['action']), s(r['source']), s(r['value'])])));
  const principals = (gw.principals as { principals?: Record<string, unknown> }).principals ?? gw.principals;
  main.append(h('h2', {}, 'Containment by principal'));
  main.append(h('pre', { class: 'evidence', id: 'gateway-containment' }, JSON.stringify(principals, null, 2)));
};
