/**
 * The detection condition (spec: rules "Condition"): a recursive-descent
 * parser. Precedence, least to most binding: or, and, not, `x of`, brackets.
 * Keywords are case-insensitive; identifiers are not.
 */

export type CondNode =
  | { op: 'id'; name: string; offset: number }
  | { op: 'and' | 'or'; left: CondNode; right: CondNode }
  | { op: 'not'; arg: CondNode }
  | { op: 'of'; quantifier: 'all' | 'any'; count: number; pattern: string | null; offset: number };

export class ConditionError extends Error {
  /** 0-based character offset in the condition text. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

interface Token {
  text: string;
  offset: number;
}

const TOKEN = /\s*(\(|\)|\||[^\s()|]+)/y;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  for (;;) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (text.slice(start).trim()) throw new ConditionError('unexpected character', start);
      return out;
    }
    out.push({ text: m[1]!, offset: m.index + m[0].length - m[1]!.length });
  }
}

const IDENT = /^[A-Za-z0-9_.\-*]+$/;
const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all']);

export function parseCondition(text: string): CondNode {
  const toks = tokenize(text);
  let i = 0;
  const peek = (): Token | undefined => toks[i];
  const kw = (t: Token | undefined, k: string): boolean => t !== undefined && t.text.toLowerCase() === k;
  const end = (): number => text.length;

  const parseOr = (): CondNode => {
    let left = parseAnd();
    while (kw(peek(), 'or')) {
      i++;
      left = { op: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): CondNode => {
    let left = parseNot();
    while (kw(peek(), 'and')) {
      i++;
      left = { op: 'and', left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): CondNode => {
    if (kw(peek(), 'not')) {
      i++;
      return { op: 'not', arg: parseNot() };
    }
    return parsePrimary();
  };
  const parsePrimary = (): CondNode => {
    const t = peek();
    if (!t) throw new ConditionError('unexpected end of condition', end());
    if (t.text === '(') {
      i++;
      const inner = parseOr();
      const close = peek();
      if (close?.text !== ')') throw new ConditionError("missing ')'", close?.offset ?? end());
      i++;
      return inner;
    }
    if (t.text === '|') throw new ConditionError('aggregation expressions (`| count() ...`) were removed from Sigma; use a correlation rule', t.offset);
    const next = toks[i + 1];
    if ((/^\d+$/.test(t.text) || kw(t, 'all')) && kw(next, 'of')) {
      i += 2;
      const target = peek();
      if (!target || target.text === '(' || target.text === ')') throw new ConditionError("expected 'them' or a search-identifier pattern after 'of'", target?.offset ?? end());
      i++;
      const quantifier = kw(t, 'all') ? 'all' : 'any';
      const count = quantifier === 'all' ? 0 : Number(t.text);
      if (quantifier === 'any' && count < 1) throw new ConditionError("'N of' needs N of at least 1", t.offset);
      if (kw(target, 'them')) return { op: 'of', quantifier, count, pattern: null, offset: t.offset };
      if (!IDENT.test(target.text)) throw new ConditionError(`invalid search-identifier pattern '${target.text}'`, target.offset);
      return { op: 'of', quantifier, count, pattern: target.text, offset: target.offset };
    }
    if (t.text === ')') throw new ConditionError("unexpected ')'", t.offset);
    if (KEYWORDS.has(t.text.toLowerCase())) throw new ConditionError(`unexpected '${t.text}'`, t.offset);
    if (!IDENT.test(t.text) || t.text.includes('*')) throw new ConditionError(`invalid search identifier '${t.text}'`, t.offset);
    i++;
    return { op: 'id', name: t.text, offset: t.offset };
  };

  const node = parseOr();
  const rest = peek();
  if (rest) throw new ConditionError(`unexpected '${rest.text}'`, rest.offset);
  return node;
}

/** `*` matches any run of characters in `x of pattern` (spec: "Matching is done with * wildcards"). */
export function identifierPattern(pattern: string): RegExp {
  return new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.\\^$+?()[\]{}|-]/g, '\\$&')).join('.*') + '$');
}

/** Search identifiers a `x of` covers: `them` excludes `_`-prefixed ones (spec: rules "Condition"). */
export function ofTargets(node: Extract<CondNode, { op: 'of' }>, identifiers: readonly string[]): string[] {
  if (node.pattern === null) return identifiers.filter((n) => !n.startsWith('_'));
  const re = identifierPattern(node.pattern);
  return identifiers.filter((n) => re.test(n));
}

/** Every problem of the condition against the detection's identifiers; empty when consistent. */
export function checkIdentifiers(node: CondNode, identifiers: readonly string[]): { message: string; offset: number }[] {
  const out: { message: string; offset: number }[] = [];
  const walk = (n: CondNode): void => {
    switch (n.op) {
      case 'id':
        if (!identifiers.includes(n.name)) out.push({ message: `unknown search identifier '${n.name}'`, offset: n.offset });
        return;
      case 'of':
        if (ofTargets(n, identifiers).length === 0) out.push({ message: `'${n.pattern ?? 'them'}' matches no search identifier`, offset: n.offset });
        return;
      case 'not':
        walk(n.arg);
        return;
      default:
        walk(n.left);
        walk(n.right);
    }
  };
  walk(node);
  return out;
}

/** Compiles the condition tree to a predicate over already-compiled search identifiers. */
export function compileCondition<E>(node: CondNode, ids: ReadonlyMap<string, (e: E) => boolean>): (e: E) => boolean {
  switch (node.op) {
    case 'id': {
      const f = ids.get(node.name)!;
      return f;
    }
    case 'and': {
      const a = compileCondition(node.left, ids);
      const b = compileCondition(node.right, ids);
      return (e) => a(e) && b(e);
    }
    case 'or': {
      const a = compileCondition(node.left, ids);
      const b = compileCondition(node.right, ids);
      return (e) => a(e) || b(e);
    }
    case 'not': {
      const a = compileCondition(node.arg, ids);
      return (e) => !a(e);
    }
    case 'of': {
      const fs = ofTargets(node, [...ids.keys()]).map((n) => ids.get(n)!);
      if (node.quantifier === 'all') return (e) => fs.every((f) => f(e));
      const need = node.count;
      if (need === 1) return (e) => fs.some((f) => f(e));
      return (e) => {
        let n = 0;
        for (const f of fs) if (f(e) && ++n >= need) return true;
        return false;
      };
    }
  }
}
