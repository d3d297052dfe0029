/** A filterable, paginated table over a list endpoint; filters live in the hash so a view can be shared. */
import { api, qs } from '../api.js';
import { clear, h, table } from '../dom.js';

export interface ListSpec<R> {
  title: string;
  endpoint: string;
  filters: Array<{ name: string; label: string; options?: string[] }>;
  headers: string[];
  row(r: R): Array<Node | string | number | null>;
  pageSize?: number;
}

function hashParams(): URLSearchParams {
  const q = window.location.hash.split('?')[1] ?? '';
  return new URLSearchParams(q);
}

export async function listPage<R>(main: HTMLElement, spec: ListSpec<R>): Promise<void> {
  const params = hashParams();
  const limit = spec.pageSize ?? 50;
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const values: Record<string, string> = {};
  for (const f of spec.filters) values[f.name] = params.get(f.name) ?? '';
  const data = await api<{ total: number | null; rows: R[] }>('GET', `${spec.endpoint}${qs({ ...values, limit, offset })}`);
  main.append(h('h1', {}, spec.title));
  const inputs = spec.filters.map((f) =>
    f.options
      ? h('select', { name: f.name, 'aria-label': f.label }, h('option', { value: '' }, `any ${f.label}`), ...f.options.map((o) => h('option', { value: o, selected: o === values[f.name] }, o)))
      : h('input', { name: f.name, placeholder: f.label, value: values[f.name], 'aria-label': f.label }),
  );
  const go = (newOffset: number): void => {
    const p = new URLSearchParams();
    for (const i of inputs) if (i.value) p.set(i.name, i.value);
    if (newOffset) p.set('offset', String(newOffset));
    const base = window.location.hash.split('?')[0];
    window.location.hash = `${base}${p.toString() ? `?${p.toString()}` : ''}`;
  };
  main.append(
    h(
      'form',
      { class: 'filters', on: { submit: (e) => (e.preventDefault(), go(0)) } },
      ...inputs,
      h('button', { type: 'submit' }, 'Filter'),
    ),
  );
  const holder = h('div', {});
  clear(holder);
  holder.append(table(spec.headers, data.rows.map((r) => spec.row(r)), { class: 'list' }));
  main.append(holder);
  const total = data.total;
  main.append(
    h(
      'div',
      { class: 'pager' },
      h('button', { type: 'button', disabled: offset === 0, on: { click: () => go(Math.max(0, offset - limit)) } }, '‹ previous'),
      ` ${offset + 1}-${offset + data.rows.length} of ${total ?? 'many'} `,
      h('button', { type: 'button', disabled: total != null ? offset + limit >= total : data.rows.length < limit, on: { click: () => go(offset + limit) } }, 'next ›'),
    ),
  );
}
