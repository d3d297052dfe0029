/**
 * Sigma string values: `*` and `?` wildcards with the spec's escape rules
 * (spec: rules "String Wildcard", "Escape Character"), compiled to the fastest
 * test that fits (equality, prefix, suffix, substring, else a regex).
 */
import { linearRegExp } from './regex.js';

export type Part = { t: 'lit'; s: string } | { t: 'star' } | { t: 'one' } | { t: 'class'; chars: string };

/**
 * `\*` and `\?` are literal wildcards, `\\` is one backslash, and a backslash
 * before anything else is itself (so `C:\Windows` and `C:\\Windows` agree).
 */
export function parseWildcards(value: string): Part[] {
  const parts: Part[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit) parts.push({ t: 'lit', s: lit });
    lit = '';
  };
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') {
      const n = value[i + 1];
      if (n === '*' || n === '?' || n === '\\') {
        lit += n;
        i++;
      } else lit += '\\';
    } else if (c === '*') {
      flush();
      if (parts.at(-1)?.t !== 'star') parts.push({ t: 'star' });
    } else if (c === '?') {
      flush();
      parts.push({ t: 'one' });
    } else lit += c;
  }
  flush();
  return parts;
}

export function literalParts(value: string): Part[] {
  return value ? [{ t: 'lit', s: value }] : [];
}

export function withStar(parts: Part[], start: boolean, end: boolean): Part[] {
  const out = [...parts];
  if (start && out[0]?.t !== 'star') out.unshift({ t: 'star' });
  if (end && out.at(-1)?.t !== 'star') out.push({ t: 'star' });
  return out;
}

/** windash (modifiers appendix): each dash-like character stands for all five. */
export const WINDASH = '-/\u2013\u2014\u2015';
export function windash(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    if (p.t !== 'lit') {
      out.push(p);
      continue;
    }
    let buf = '';
    for (const ch of p.s) {
      if (WINDASH.includes(ch)) {
        if (buf) out.push({ t: 'lit', s: buf });
        buf = '';
        out.push({ t: 'class', chars: WINDASH });
      } else buf += ch;
    }
    if (buf) out.push({ t: 'lit', s: buf });
  }
  return out;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * A test over one string value; case-insensitive unless `cased`, in which
 * case the caller passes the value already lower-cased (once per event field,
 * not once per rule value).
 */
export function compileParts(parts: Part[], cased: boolean): (v: string) => boolean {
  const norm = (s: string): string => (cased ? s : s.toLowerCase());
  const lits = parts.filter((p): p is { t: 'lit'; s: string } => p.t === 'lit');
  const shape = parts.map((p) => (p.t === 'lit' ? 'L' : p.t === 'star' ? 'S' : 'X')).join('');
  switch (shape) {
    case '':
      return (v) => v === '';
    case 'S':
      return () => true;
    case 'L': {
      const a = norm(lits[0]!.s);
      return (v) => v.length === a.length && v === a;
    }
    case 'LS': {
      const a = norm(lits[0]!.s);
      return (v) => v.length >= a.length && v.startsWith(a);
    }
    case 'SL': {
      const a = norm(lits[0]!.s);
      return (v) => v.length >= a.length && v.endsWith(a);
    }
    case 'SLS': {
      const a = norm(lits[0]!.s);
      return (v) => v.length >= a.length && v.includes(a);
    }
  }
  // Several `*` between literals backtrack polynomially in V8's default engine; the linear engine (see regex.ts) does not.
  const src = parts
    .map((p) => (p.t === 'lit' ? escapeRe(norm(p.s)) : p.t === 'star' ? '.*' : p.t === 'one' ? '.' : `[${p.chars.replace(/[-\\\]^]/g, '\\$&')}]`))
    .join('');
  const re = linearRegExp(`^${src}$`, 's');
  return (v) => re.test(v);
}

/** The plain text a pattern of literals only stands for (undefined when it has wildcards). */
export function plainText(parts: Part[]): string | undefined {
  if (parts.every((p) => p.t === 'lit')) return parts.map((p) => (p as { s: string }).s).join('');
  return undefined;
}
