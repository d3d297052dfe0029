/**
 * The only way the dashboard puts data on the page: text nodes and
 * attributes, never HTML strings. Log fields (SMILES, file names, user
 * agents, principal names) are attacker-controlled, so nothing here parses
 * markup; `href` accepts only in-app hash links and http(s).
 */
type Child = Node | string | number | null | undefined | false;
type Handlers = Partial<Record<keyof HTMLElementEventMap, (e: Event) => void>>;
type Attrs = { [name: string]: string | number | boolean | null | undefined | Handlers; on?: Handlers };

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'on' || v == null || v === false || typeof v === 'object') continue;
    if (k === 'style' || k.startsWith('on')) throw new Error(`attribute ${k} is not allowed`);
    if (k === 'href' && typeof v === 'string' && !/^(#|\/|https?:)/.test(v)) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  if (attrs.on) for (const [ev, fn] of Object.entries(attrs.on)) if (fn) el.addEventListener(ev, fn);
  for (const c of children) if (c != null && c !== false) el.append(typeof c === 'object' ? c : String(c));
  return el;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

export function table(headers: string[], rows: Child[][], attrs: Attrs = {}): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

export function badge(severity: string): HTMLSpanElement {
  return h('span', { class: `badge sev-${/^[a-z]+$/.test(severity) ? severity : 'unknown'}` }, severity);
}

export function link(text: string, hash: string): HTMLAnchorElement {
  return h('a', { href: hash }, text);
}

export function fmtTime(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '-';
}

export function fmtBytes(n: number | null | undefined): string {
  if (n == null) return '-';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${u[i]}`;
}
