/**
 * A static evaluator for HCL native-syntax expressions, as @cdktf/hcl2json
 * hands them back (`"${aws_kms_key.k.arn}"`, `"models-${var.env}"`,
 * `"${jsonencode({ Statement = [...] })}"`).
 *
 * hcl2json parses the file (and reports syntax errors) but leaves expressions
 * as source text; calling back into its WebAssembly parser per expression
 * costs an async round trip each, which dominates a scan of thousands of
 * files, so expressions are parsed here. The grammar follows the HCL native
 * syntax specification (hashicorp/hcl, hclsyntax/spec.md): literals,
 * templates, tuples/objects, traversals with splats, function calls, for
 * expressions, unary/binary/conditional operators. Anything that cannot be
 * known before apply evaluates to `Unknown` carrying the references it used.
 */
import { isObject, isUnknown, Unknown, type Ref, type Value, type ValueObject } from './value.js';

// ---------------------------------------------------------------- handles

/** A namespace or object reachable by traversal but not a plain value (a resource, `var`, `module.m`). */
export abstract class Handle {
  abstract attr(name: string, text: string): Value | Handle;
  abstract index(key: Value, text: string): Value | Handle;
  /** The handle used as a value (`depends_on = [aws_s3_bucket.b]`, `for_each = aws_s3_bucket.b`). */
  abstract whole(text: string): Value;
}

export interface EvalEnv {
  /** Resolves a root name (`var`, `local`, `each`, `aws_s3_bucket`, an iterator variable). */
  root(name: string, text: string): Value | Handle | undefined;
  /** Reads a file relative to the module (for `file()`), or undefined. */
  readFile?(path: string): string | undefined;
}

// ---------------------------------------------------------------- lexer

type TokKind = 'num' | 'str' | 'ident' | 'punct' | 'heredoc' | 'eof';
interface Tok {
  kind: TokKind;
  text: string;
  s: number;
  e: number;
  nl: boolean;
}

const PUNCT = ['...', '=>', '==', '!=', '<=', '>=', '&&', '||', '{', '}', '[', ']', '(', ')', ',', '.', ':', '?', '=', '!', '<', '>', '+', '-', '*', '/', '%'];

export class HclExprError extends Error {}

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let nl = false;
  const n = src.length;
  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      nl = true;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    const s = i;
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i));
      i += m![0].length;
      toks.push({ kind: 'num', text: m![0], s, e: i, nl });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
      i += m![0].length;
      toks.push({ kind: 'ident', text: m![0], s, e: i, nl });
    } else if (c === '"') {
      i = skipQuoted(src, i);
      toks.push({ kind: 'str', text: src.slice(s + 1, i - 1), s, e: i, nl });
    } else if (c === '<' && src[i + 1] === '<' && /[-A-Za-z_]/.test(src[i + 2] ?? '')) {
      const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n/.exec(src.slice(i));
      if (!m) throw new HclExprError(`bad heredoc at ${i}`);
      const marker = m[2]!;
      const bodyStart = i + m[0].length;
      const endRe = new RegExp(`^[ \\t]*${marker}[ \\t]*$`, 'm');
      const rest = src.slice(bodyStart);
      const em = endRe.exec(rest);
      if (!em) throw new HclExprError(`unterminated heredoc ${marker}`);
      let body = rest.slice(0, em.index);
      if (m[1] === '-') body = dedent(body);
      i = bodyStart + em.index + em[0].length;
      toks.push({ kind: 'heredoc', text: body, s, e: i, nl });
    } else {
      const p = PUNCT.find((q) => src.startsWith(q, i));
      if (!p) throw new HclExprError(`unexpected character ${JSON.stringify(c)}`);
      i += p.length;
      toks.push({ kind: 'punct', text: p, s, e: i, nl });
    }
    nl = false;
  }
  toks.push({ kind: 'eof', text: '', s: n, e: n, nl });
  return toks;
}

function dedent(body: string): string {
  const lines = body.split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
  const min = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(min, /^[ \t]*/.exec(l)![0].length))).join('\n');
}

/** Returns the index just after the closing quote of the string starting at `i` (which is `"`). */
function skipQuoted(src: string, i: number): number {
  let j = i + 1;
  while (j < src.length) {
    const c = src[j]!;
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (c === '"') return j + 1;
    if ((c === '$' || c === '%') && src[j + 1] === c && src[j + 2] === '{') {
      // `$${` is an escaped literal; the lexer only needs to step over it.
      j += 3;
      continue;
    }
    if ((c === '$' || c === '%') && src[j + 1] === '{') {
      j = skipInterp(src, j + 2);
      continue;
    }
    j++;
  }
  throw new HclExprError('unterminated string');
}

/** From just inside `${`, returns the index after the matching `}`. */
export function skipInterp(src: string, i: number): number {
  let depth = 1;
  let j = i;
  while (j < src.length) {
    const c = src[j]!;
    if (c === '"') {
      j = skipQuoted(src, j);
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return j + 1;
    }
    j++;
  }
  throw new HclExprError('unterminated interpolation');
}

// ---------------------------------------------------------------- AST

type Step = { attr: string } | { index: Node } | { splat: true };

export type Node = { s: number; e: number } & (
  | { k: 'lit'; v: Value }
  | { k: 'tmpl'; parts: (string | Node)[]; directive: boolean }
  | { k: 'trav'; root: string; steps: Step[] }
  | { k: 'post'; obj: Node; steps: Step[] }
  | { k: 'call'; name: string; args: Node[]; expand: boolean }
  | { k: 'tuple'; items: Node[] }
  | { k: 'object'; items: { key: Node; value: Node }[] }
  | { k: 'unary'; op: string; x: Node }
  | { k: 'bin'; op: string; l: Node; r: Node }
  | { k: 'cond'; c: Node; t: Node; f: Node }
  | {
      k: 'for';
      obj: boolean;
      kVar: string | null;
      vVar: string;
      coll: Node;
      keyExpr: Node | null;
      valExpr: Node;
      cond: Node | null;
      group: boolean;
    }
);

const PREC: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '>': 4,
  '<=': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

class Parser {
  private p = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly src: string,
    private readonly base: number,
  ) {}

  private peek(o = 0): Tok {
    return this.toks[Math.min(this.p + o, this.toks.length - 1)]!;
  }
  private next(): Tok {
    const t = this.peek();
    if (this.p < this.toks.length - 1) this.p++;
    return t;
  }
  private isP(text: string, o = 0): boolean {
    const t = this.peek(o);
    return t.kind === 'punct' && t.text === text;
  }
  private expect(text: string): Tok {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== text) throw new HclExprError(`expected "${text}" but found "${t.text || 'end of expression'}"`);
    return t;
  }

  parseAll(): Node {
    const n = this.expr();
    if (this.peek().kind !== 'eof') throw new HclExprError(`unexpected "${this.peek().text}"`);
    return n;
  }

  expr(): Node {
    const c = this.binary(0);
    if (this.isP('?')) {
      this.next();
      const t = this.expr();
      this.expect(':');
      const f = this.expr();
      return { k: 'cond', c, t, f, s: c.s, e: f.e };
    }
    return c;
  }

  private binary(minPrec: number): Node {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === 'punct' ? PREC[t.text] : undefined;
      if (prec === undefined || prec <= minPrec) return l;
      this.next();
      const r = this.binary(prec);
      l = { k: 'bin', op: t.text, l, r, s: l.s, e: r.e };
    }
  }

  private unary(): Node {
    if (this.isP('!') || this.isP('-')) {
      const t = this.next();
      const x = this.unary();
      return { k: 'unary', op: t.text, x, s: t.s, e: x.e };
    }
    return this.postfix(this.primary());
  }

  private steps(): Step[] {
    const steps: Step[] = [];
    for (;;) {
      if (this.isP('.')) {
        const t1 = this.peek(1);
        if (t1.kind === 'punct' && t1.text === '*') {
          this.next();
          this.next();
          steps.push({ splat: true });
          continue;
        }
        if (t1.kind !== 'ident' && t1.kind !== 'num') return steps;
        this.next();
        const name = this.next().text;
        steps.push(/^[0-9]+$/.test(name) ? { index: { k: 'lit', v: Number(name), s: 0, e: 0 } } : { attr: name });
        continue;
      }
      if (this.isP('[') && !this.peek().nl) {
        if (this.isP('*', 1) && this.isP(']', 2)) {
          this.next();
          this.next();
          this.next();
          steps.push({ splat: true });
          continue;
        }
        this.next();
        const idx = this.expr();
        this.expect(']');
        steps.push({ index: idx });
        continue;
      }
      return steps;
    }
  }

  private postfix(n: Node): Node {
    if (n.k === 'trav') {
      const more = this.steps();
      n.steps.push(...more);
      n.e = this.prevEnd(n.e);
      return n;
    }
    const steps = this.steps();
    if (steps.length === 0) return n;
    return { k: 'post', obj: n, steps, s: n.s, e: this.prevEnd(n.e) };
  }

  private prevEnd(fallback: number): number {
    return this.p > 0 ? this.toks[this.p - 1]!.e : fallback;
  }

  private primary(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'num':
        return { k: 'lit', v: Number(t.text), s: t.s, e: t.e };
      case 'str':
        return parseTemplate(t.text, this.src, this.base + t.s + 1, t.s, t.e, true);
      case 'heredoc':
        return parseTemplate(t.text, this.src, -1, t.s, t.e, false);
      case 'ident': {
        if (t.text === 'true' || t.text === 'false') return { k: 'lit', v: t.text === 'true', s: t.s, e: t.e };
        if (t.text === 'null') return { k: 'lit', v: null, s: t.s, e: t.e };
        if (this.isP('(')) return this.call(t);
        // `provider::name::fn(...)` function namespaces
        if (this.isP(':') && this.isP(':', 1)) {
          let name = t.text;
          while (this.isP(':') && this.isP(':', 1)) {
            this.next();
            this.next();
            name += '::' + this.next().text;
          }
          return this.call({ ...t, text: name });
        }
        return { k: 'trav', root: t.text, steps: [], s: t.s, e: t.e };
      }
      case 'punct':
        if (t.text === '(') {
          const x = this.expr();
          const c = this.expect(')');
          return { ...x, s: t.s, e: c.e };
        }
        if (t.text === '[') return this.tuple(t);
        if (t.text === '{') return this.object(t);
        break;
      default:
        break;
    }
    throw new HclExprError(`unexpected "${t.text || 'end of expression'}"`);
  }

  private call(name: Tok): Node {
    this.expect('(');
    const args: Node[] = [];
    let expand = false;
    while (!this.isP(')')) {
      args.push(this.expr());
      if (this.isP('...')) {
        this.next();
        expand = true;
      }
      if (this.isP(',')) this.next();
      else break;
    }
    const c = this.expect(')');
    return { k: 'call', name: name.text, args, expand, s: name.s, e: c.e };
  }

  private tuple(open: Tok): Node {
    if (this.peek().kind === 'ident' && this.peek().text === 'for' && !this.isP('=', 1) && !this.isP(',', 1)) return this.forExpr(open, false);
    const items: Node[] = [];
    while (!this.isP(']')) {
      items.push(this.expr());
      if (this.isP(',')) this.next();
      else break;
    }
    const c = this.expect(']');
    return { k: 'tuple', items, s: open.s, e: c.e };
  }

  private object(open: Tok): Node {
    if (this.peek().kind === 'ident' && this.peek().text === 'for' && !this.isP('=', 1) && !this.isP(':', 1)) return this.forExpr(open, true);
    const items: { key: Node; value: Node }[] = [];
    while (!this.isP('}')) {
      const kt = this.peek();
      let key: Node;
      if (kt.kind === 'ident' && (this.isP('=', 1) || this.isP(':', 1))) {
        this.next();
        key = { k: 'lit', v: kt.text, s: kt.s, e: kt.e };
      } else {
        key = this.expr();
      }
      if (this.isP('=') || this.isP(':')) this.next();
      else throw new HclExprError(`expected "=" in object but found "${this.peek().text}"`);
      const value = this.expr();
      items.push({ key, value });
      if (this.isP(',')) this.next();
      else if (!this.isP('}') && !this.peek().nl) throw new HclExprError(`expected "," or newline in object but found "${this.peek().text}"`);
    }
    const c = this.expect('}');
    return { k: 'object', items, s: open.s, e: c.e };
  }

  private forExpr(open: Tok, obj: boolean): Node {
    this.next(); // for
    const a = this.next().text;
    let kVar: string | null = null;
    let vVar = a;
    if (this.isP(',')) {
      this.next();
      kVar = a;
      vVar = this.next().text;
    }
    const inTok = this.next();
    if (inTok.text !== 'in') throw new HclExprError('expected "in" in for expression');
    const coll = this.expr();
    this.expect(':');
    let keyExpr: Node | null = null;
    let valExpr = this.expr();
    let group = false;
    if (obj) {
      this.expect('=>');
      keyExpr = valExpr;
      valExpr = this.expr();
      if (this.isP('...')) {
        this.next();
        group = true;
      }
    }
    let cond: Node | null = null;
    if (this.peek().kind === 'ident' && this.peek().text === 'if') {
      this.next();
      cond = this.expr();
    }
    const c = this.expect(obj ? '}' : ']');
    return { k: 'for', obj, kVar, vVar, coll, keyExpr, valExpr, cond, group, s: open.s, e: c.e };
  }
}

/**
 * Parses a template body (the inside of a quoted string or heredoc, or a whole
 * hcl2json attribute string) into literal parts and interpolations.
 * `quoted` decides whether backslash escapes apply.
 */
function parseTemplate(body: string, _src: string, _base: number, s: number, e: number, quoted: boolean): Node {
  const parts: (string | Node)[] = [];
  let lit = '';
  let directive = false;
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (quoted && c === '\\') {
      const d = body[i + 1];
      if (d === 'n') lit += '\n';
      else if (d === 't') lit += '\t';
      else if (d === 'r') lit += '\r';
      else if (d === '"') lit += '"';
      else if (d === '\\') lit += '\\';
      else if (d === 'u' || d === 'U') {
        const len = d === 'u' ? 4 : 8;
        lit += String.fromCodePoint(parseInt(body.slice(i + 2, i + 2 + len), 16));
        i += len;
      } else lit += d ?? '';
      i += 2;
      continue;
    }
    if ((c === '$' || c === '%') && body[i + 1] === c && body[i + 2] === '{') {
      lit += c + '{';
      i += 3;
      continue;
    }
    if ((c === '$' || c === '%') && body[i + 1] === '{') {
      const end = skipInterp(body, i + 2);
      let inner = body.slice(i + 2, end - 1);
      if (c === '%') {
        directive = true;
        i = end;
        continue;
      }
      // strip whitespace-control markers `${~ x ~}`
      inner = inner.replace(/^~/, '').replace(/~$/, '');
      if (lit) parts.push(lit);
      lit = '';
      parts.push(parseExpression(inner));
      i = end;
      continue;
    }
    lit += c;
    i++;
  }
  if (lit || parts.length === 0) parts.push(lit);
  return { k: 'tmpl', parts, directive, s, e };
}

const exprCache = new Map<string, Node>();
const SRC = new WeakMap<object, string>();

/** Parses an expression (the text inside `${ }`). Throws HclExprError on bad syntax. */
export function parseExpression(src: string): Node {
  const hit = exprCache.get(src);
  if (hit) return hit;
  const n = new Parser(lex(src), src, 0).parseAll();
  attachSource(n, src);
  if (exprCache.size > 50_000) exprCache.clear();
  exprCache.set(src, n);
  return n;
}

/** Parses an hcl2json string value as a template (`"a-${var.x}"`, `"${local.y}"`). */
export function parseTemplateString(value: string): Node {
  const key = '\u0000t' + value;
  const hit = exprCache.get(key);
  if (hit) return hit;
  const n = parseTemplate(value, value, 0, 0, value.length, false);
  SRC.set(n, value);
  exprCache.set(key, n);
  return n;
}

/** Records the source text on every node of a tree that does not have one yet (nested templates keep theirs). */
function attachSource(n: Node, src: string): void {
  if (SRC.has(n)) return;
  SRC.set(n, src);
  const visit = (x: Node | null | undefined): void => {
    if (x) attachSource(x, src);
  };
  const visitSteps = (steps: Step[]): void => {
    for (const st of steps) if ('index' in st) visit(st.index);
  };
  switch (n.k) {
    case 'tmpl':
      for (const p of n.parts) if (typeof p !== 'string') visit(p);
      break;
    case 'trav':
      visitSteps(n.steps);
      break;
    case 'post':
      visit(n.obj);
      visitSteps(n.steps);
      break;
    case 'call':
      n.args.forEach(visit);
      break;
    case 'tuple':
      n.items.forEach(visit);
      break;
    case 'object':
      for (const it of n.items) {
        visit(it.key);
        visit(it.value);
      }
      break;
    case 'unary':
      visit(n.x);
      break;
    case 'bin':
      visit(n.l);
      visit(n.r);
      break;
    case 'cond':
      visit(n.c);
      visit(n.t);
      visit(n.f);
      break;
    case 'for':
      visit(n.coll);
      visit(n.keyExpr);
      visit(n.valExpr);
      visit(n.cond);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- evaluation

export interface EvalCtx {
  env: EvalEnv;
  /** Source text of the expression being evaluated, for Unknown texts. */
  src: string;
  /** Local variables from for-expressions and dynamic-block iterators. */
  scope: Map<string, Value>;
}

type EV = Value | Handle;

function unk(refs: Ref[], text: string): Unknown {
  return new Unknown(refs, text.trim());
}

function mergeRefs(...vs: (Value | undefined)[]): Ref[] {
  const out: Ref[] = [];
  const add = (v: Value | undefined): void => {
    if (v instanceof Unknown) {
      for (const r of v.refs) if (!out.some((o) => o.address === r.address && o.attr === r.attr)) out.push(r);
    } else if (Array.isArray(v)) v.forEach(add);
    else if (isObject(v)) Object.values(v).forEach(add);
  };
  vs.forEach(add);
  return out;
}

function hasUnknown(v: Value): boolean {
  if (v instanceof Unknown) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (isObject(v)) return Object.values(v).some(hasUnknown);
  return false;
}

function text(ctx: EvalCtx, n: Node): string {
  const src = SRC.get(n) ?? ctx.src;
  return n.s < n.e && n.e <= src.length ? src.slice(n.s, n.e) : ctx.src;
}

function finish(v: EV, t: string): Value {
  return v instanceof Handle ? v.whole(t) : v;
}

/** Evaluates a parsed expression. Never throws for unknowns; throws HclExprError only for impossible operations. */
export function evaluate(n: Node, ctx: EvalCtx): Value {
  return finish(ev(n, ctx), text(ctx, n));
}

function applyStep(cur: EV, step: Step, ctx: EvalCtx, t: string): EV {
  if ('attr' in step) {
    if (cur instanceof Handle) return cur.attr(step.attr, t);
    if (cur instanceof Unknown) return cur;
    if (isObject(cur)) return step.attr in cur ? cur[step.attr]! : null;
    if (cur === null) return unk([], t);
    return unk([], t);
  }
  if ('index' in step) {
    const key = evaluate(step.index, ctx);
    if (cur instanceof Handle) return cur.index(key, t);
    if (cur instanceof Unknown) return unk(mergeRefs(cur, key), t);
    if (key instanceof Unknown) return unk(mergeRefs(cur as Value, key), t);
    if (Array.isArray(cur) && typeof key === 'number') return cur[key] ?? unk([], t);
    if (isObject(cur) && (typeof key === 'string' || typeof key === 'number')) return cur[String(key)] ?? unk([], t);
    return unk([], t);
  }
  return cur;
}

function traverse(start: EV, steps: Step[], ctx: EvalCtx, t: string): EV {
  let cur = start;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if ('splat' in step) {
      const rest = steps.slice(i + 1);
      if (cur instanceof Handle) {
        // `aws_s3_bucket.b[*].arn`: every instance; we keep the reference.
        const v = traverse(cur, rest, ctx, t);
        const fin = finish(v, t);
        return fin instanceof Unknown ? fin : unk(mergeRefs(fin), t);
      }
      if (cur instanceof Unknown) return cur;
      const list = Array.isArray(cur) ? cur : cur === null ? [] : [cur];
      return list.map((x) => finish(traverse(x, rest, ctx, t), t));
    }
    cur = applyStep(cur, step, ctx, t);
  }
  return cur;
}

function ev(n: Node, ctx: EvalCtx): EV {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'tmpl': {
      if (n.directive) {
        const refs: Ref[] = [];
        for (const p of n.parts) if (typeof p !== 'string') refs.push(...mergeRefs(evaluate(p, ctx)));
        return unk(refs, text(ctx, n));
      }
      if (n.parts.length === 1 && typeof n.parts[0] !== 'string') {
        // A lone interpolation keeps its type (`"${var.n}"` is a number).
        return ev(n.parts[0]!, ctx);
      }
      let out = '';
      const vals: Value[] = [];
      let unknown = false;
      for (const p of n.parts) {
        if (typeof p === 'string') {
          out += p;
          continue;
        }
        const v = evaluate(p, ctx);
        vals.push(v);
        if (v instanceof Unknown || hasUnknown(v)) unknown = true;
        else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out += String(v);
        else if (v === null) out += '';
        else unknown = true;
      }
      return unknown ? unk(mergeRefs(...vals), text(ctx, n)) : out;
    }
    case 'trav': {
      const t = text(ctx, n);
      let start: EV | undefined;
      if (ctx.scope.has(n.root)) start = ctx.scope.get(n.root)!;
      else start = ctx.env.root(n.root, t);
      if (start === undefined) return unk([], t);
      return traverse(start, n.steps, ctx, t);
    }
    case 'post':
      return traverse(ev(n.obj, ctx), n.steps, ctx, text(ctx, n));
    case 'tuple':
      return n.items.map((x) => evaluate(x, ctx));
    case 'object': {
      const o: ValueObject = {};
      const refs: Ref[] = [];
      let bad = false;
      for (const it of n.items) {
        const k = evaluate(it.key, ctx);
        const v = evaluate(it.value, ctx);
        if (typeof k === 'string' || typeof k === 'number' || typeof k === 'boolean') o[String(k)] = v;
        else {
          bad = true;
          refs.push(...mergeRefs(k, v));
        }
      }
      return bad ? unk(mergeRefs(o, ...refs.map((r) => new Unknown([r], ''))), text(ctx, n)) : o;
    }
    case 'unary': {
      const x = evaluate(n.x, ctx);
      if (x instanceof Unknown) return unk(x.refs.slice(), text(ctx, n));
      if (n.op === '!') return !truthy(x);
      const num = toNum(x);
      return num === undefined ? unk([], text(ctx, n)) : -num;
    }
    case 'bin':
      return binary(n.op, evaluate(n.l, ctx), evaluate(n.r, ctx), text(ctx, n));
    case 'cond': {
      const c = evaluate(n.c, ctx);
      if (c instanceof Unknown) {
        const t = evaluate(n.t, ctx);
        const f = evaluate(n.f, ctx);
        return unk(mergeRefs(c, t, f), text(ctx, n));
      }
      return truthy(c) ? evaluate(n.t, ctx) : evaluate(n.f, ctx);
    }
    case 'call':
      return callFn(n, ctx);
    case 'for':
      return forExpr(n, ctx);
  }
}

function truthy(v: Value): boolean {
  return v === true || v === 'true';
}

function toNum(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function binary(op: string, l: Value, r: Value, t: string): Value {
  if (op === '&&' && (l === false || r === false)) return false;
  if (op === '||' && (truthy(l) || truthy(r))) return true;
  if (l instanceof Unknown || r instanceof Unknown) return unk(mergeRefs(l, r), t);
  switch (op) {
    case '==':
      return JSON.stringify(l) === JSON.stringify(r);
    case '!=':
      return JSON.stringify(l) !== JSON.stringify(r);
    case '&&':
      return truthy(l) && truthy(r);
    case '||':
      return truthy(l) || truthy(r);
    default: {
      const a = toNum(l);
      const b = toNum(r);
      if (a === undefined || b === undefined) return unk([], t);
      switch (op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return a / b;
        case '%':
          return a % b;
        case '<':
          return a < b;
        case '>':
          return a > b;
        case '<=':
          return a <= b;
        case '>=':
          return a >= b;
      }
      return unk([], t);
    }
  }
}

function forExpr(n: Extract<Node, { k: 'for' }>, ctx: EvalCtx): Value {
  const coll = evaluate(n.coll, ctx);
  const t = text(ctx, n);
  if (coll instanceof Unknown) {
    return unk(coll.refs.slice(), t);
  }
  const entries: [Value, Value][] = Array.isArray(coll)
    ? coll.map((v, i) => [i, v])
    : isObject(coll)
      ? Object.entries(coll).map(([k, v]) => [k, v])
      : [];
  const outList: Value[] = [];
  const outObj: ValueObject = {};
  const refs: Ref[] = [];
  for (const [k, v] of entries) {
    const scope = new Map(ctx.scope);
    if (n.kVar) scope.set(n.kVar, k);
    scope.set(n.vVar, v);
    const sub: EvalCtx = { ...ctx, scope };
    if (n.cond) {
      const c = evaluate(n.cond, sub);
      if (c instanceof Unknown) {
        refs.push(...c.refs);
        continue;
      }
      if (!truthy(c)) continue;
    }
    const val = evaluate(n.valExpr, sub);
    if (n.obj) {
      const key = evaluate(n.keyExpr!, sub);
      if (key instanceof Unknown || (typeof key !== 'string' && typeof key !== 'number')) {
        refs.push(...mergeRefs(key));
        continue;
      }
      if (n.group) {
        const prev = outObj[String(key)];
        outObj[String(key)] = Array.isArray(prev) ? [...prev, val] : [val];
      } else outObj[String(key)] = val;
    } else outList.push(val);
  }
  if (refs.length) return unk(mergeRefs(n.obj ? outObj : outList, ...refs.map((r) => new Unknown([r], ''))), t);
  return n.obj ? outObj : outList;
}

// ---------------------------------------------------------------- functions

function asList(v: Value): Value[] | undefined {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Object.values(v);
  return undefined;
}

function toJson(v: Value): unknown {
  if (Array.isArray(v)) return v.map(toJson);
  if (isObject(v)) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) o[k] = toJson(v[k]!);
    return o;
  }
  return v;
}

function fromJson(x: unknown): Value {
  if (Array.isArray(x)) return x.map(fromJson);
  if (x && typeof x === 'object') {
    const o: ValueObject = {};
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) o[k] = fromJson(v);
    return o;
  }
  if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return x;
  return null;
}

function format(fmt: string, args: Value[]): string {
  let i = 0;
  return fmt.replace(/%(%|[-+ 0#]*\d*(?:\.\d+)?[sdvqfgtbxXeo])/g, (m) => {
    if (m === '%%') return '%';
    const a = args[i++];
    if (m.endsWith('q')) return JSON.stringify(a);
    if (typeof a === 'number' && /f$/.test(m)) {
      const p = /\.(\d+)/.exec(m);
      return a.toFixed(p ? Number(p[1]) : 6);
    }
    return typeof a === 'string' ? a : JSON.stringify(toJson(a ?? null));
  });
}

function callFn(n: Extract<Node, { k: 'call' }>, ctx: EvalCtx): Value {
  const t = text(ctx, n);
  const name = n.name.replace(/^provider::[^:]+::/, '');
  if (name === 'try') {
    for (const a of n.args) {
      try {
        const v = evaluate(a, ctx);
        if (v instanceof Unknown && v.refs.length === 0) continue;
        return v;
      } catch {
        continue;
      }
    }
    return unk([], t);
  }
  if (name === 'can') {
    try {
      const v = evaluate(n.args[0]!, ctx);
      return v instanceof Unknown ? unk(v.refs.slice(), t) : true;
    } catch {
      return false;
    }
  }
  let args = n.args.map((a) => evaluate(a, ctx));
  if (n.expand && args.length) {
    const last = args[args.length - 1]!;
    if (Array.isArray(last)) args = [...args.slice(0, -1), ...last];
  }
  // jsonencode of a structure with unknowns still yields a useful object: the
  // policy rules read the structure, and the unknowns keep their references.
  if (name === 'jsonencode') return args[0] ?? null;
  if (name === 'yamlencode') return args[0] ?? null;
  if (args.some((a) => a instanceof Unknown)) return unk(mergeRefs(...args), t);
  const [a0, a1, a2] = args;
  const s0 = typeof a0 === 'string' ? a0 : a0 == null ? '' : String(a0);
  switch (name) {
    case 'jsondecode':
      try {
        return typeof a0 === 'string' ? fromJson(JSON.parse(a0)) : unk([], t);
      } catch {
        return unk([], t);
      }
    case 'file': {
      const content = typeof a0 === 'string' ? ctx.env.readFile?.(a0) : undefined;
      return content === undefined ? unk([], t) : content;
    }
    case 'tostring':
      return a0 === null ? null : typeof a0 === 'object' ? unk([], t) : String(a0);
    case 'tonumber':
      return a0 === null ? null : (toNum(a0 as Value) ?? unk([], t));
    case 'tobool':
      return a0 === null ? null : truthy(a0 as Value);
    case 'tolist':
    case 'toset':
      return asList(a0 ?? null) ?? unk([], t);
    case 'tomap':
      return isObject(a0) ? a0 : unk([], t);
    case 'lower':
      return s0.toLowerCase();
    case 'upper':
      return s0.toUpperCase();
    case 'title':
      return s0.replace(/\b\w/g, (c) => c.toUpperCase());
    case 'trimspace':
      return s0.trim();
    case 'trimprefix':
      return typeof a1 === 'string' && s0.startsWith(a1) ? s0.slice(a1.length) : s0;
    case 'trimsuffix':
      return typeof a1 === 'string' && s0.endsWith(a1) ? s0.slice(0, s0.length - a1.length) : s0;
    case 'trim':
      return typeof a1 === 'string' ? s0.replace(new RegExp(`^[${escapeRe(a1)}]+|[${escapeRe(a1)}]+$`, 'g'), '') : s0;
    case 'startswith':
      return typeof a1 === 'string' && s0.startsWith(a1);
    case 'endswith':
      return typeof a1 === 'string' && s0.endsWith(a1);
    case 'strcontains':
      return typeof a1 === 'string' && s0.includes(a1);
    case 'substr':
      return typeof a1 === 'number' && typeof a2 === 'number' ? (a2 < 0 ? s0.slice(a1) : s0.substr(a1, a2)) : unk([], t);
    case 'replace': {
      if (typeof a1 !== 'string' || typeof a2 !== 'string') return unk([], t);
      if (a1.length > 1 && a1.startsWith('/') && a1.endsWith('/')) {
        try {
          return s0.replace(new RegExp(a1.slice(1, -1), 'g'), a2.replace(/\$\{?(\d+)\}?/g, '$$$1'));
        } catch {
          return unk([], t);
        }
      }
      return s0.split(a1).join(a2);
    }
    case 'format':
      return format(s0, args.slice(1));
    case 'join': {
      const l = asList(a1 ?? null);
      return l ? l.map((x) => (x === null ? '' : String(x))).join(s0) : unk([], t);
    }
    case 'split':
      return typeof a1 === 'string' ? a1.split(s0) : unk([], t);
    case 'concat':
      return args.flatMap((x) => asList(x) ?? []);
    case 'merge': {
      const o: ValueObject = {};
      for (const x of args) if (isObject(x)) Object.assign(o, x);
      return o;
    }
    case 'lookup':
      return isObject(a0) && typeof a1 === 'string' ? (a1 in a0 ? a0[a1]! : (a2 ?? unk([], t))) : unk([], t);
    case 'element': {
      const l = asList(a0 ?? null);
      return l && l.length && typeof a1 === 'number' ? l[a1 % l.length]! : unk([], t);
    }
    case 'length':
      return Array.isArray(a0) ? a0.length : isObject(a0) ? Object.keys(a0).length : typeof a0 === 'string' ? a0.length : unk([], t);
    case 'keys':
      return isObject(a0) ? Object.keys(a0).sort() : unk([], t);
    case 'values':
      return isObject(a0) ? Object.keys(a0).sort().map((k) => a0[k]!) : unk([], t);
    case 'contains':
      return Array.isArray(a0) ? a0.some((x) => JSON.stringify(x) === JSON.stringify(a1)) : unk([], t);
    case 'coalesce':
      return args.find((x) => x !== null && x !== '') ?? null;
    case 'coalescelist':
      return args.find((x) => Array.isArray(x) && x.length > 0) ?? [];
    case 'compact':
      return (asList(a0 ?? null) ?? []).filter((x) => x !== null && x !== '');
    case 'distinct': {
      const seen = new Set<string>();
      return (asList(a0 ?? null) ?? []).filter((x) => {
        const k = JSON.stringify(x);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    case 'flatten': {
      const flat = (l: Value[]): Value[] => l.flatMap((x) => (Array.isArray(x) ? flat(x) : [x]));
      return flat(asList(a0 ?? null) ?? []);
    }
    case 'zipmap': {
      const ks = asList(a0 ?? null) ?? [];
      const vs = asList(a1 ?? null) ?? [];
      const o: ValueObject = {};
      ks.forEach((k, i) => (o[String(k)] = vs[i] ?? null));
      return o;
    }
    case 'range': {
      const nums = args.map((x) => toNum(x));
      if (nums.some((x) => x === undefined)) return unk([], t);
      const [start, end, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
      const out: number[] = [];
      for (let i = start; step > 0 ? i < end : i > end; i += step) {
        out.push(i);
        if (out.length > 10_000) break;
      }
      return out;
    }
    case 'min':
    case 'max': {
      const nums = args.flatMap((x) => (Array.isArray(x) ? x : [x])).map((x) => toNum(x));
      if (nums.some((x) => x === undefined) || nums.length === 0) return unk([], t);
      return name === 'min' ? Math.min(...(nums as number[])) : Math.max(...(nums as number[]));
    }
    case 'abs':
      return Math.abs(toNum(a0 ?? null) ?? NaN);
    case 'ceil':
      return Math.ceil(toNum(a0 ?? null) ?? NaN);
    case 'floor':
      return Math.floor(toNum(a0 ?? null) ?? NaN);
    case 'one': {
      const l = asList(a0 ?? null);
      return l && l.length ? l[0]! : null;
    }
    case 'sort':
      return (asList(a0 ?? null) ?? []).slice().sort();
    case 'reverse':
      return (asList(a0 ?? null) ?? []).slice().reverse();
    case 'slice':
      return Array.isArray(a0) && typeof a1 === 'number' && typeof a2 === 'number' ? a0.slice(a1, a2) : unk([], t);
    case 'timeadd':
    case 'timestamp':
    case 'uuid':
    default:
      return unk(mergeRefs(...args), t);
  }
}

function escapeRe(s: string): string {
  return s.replace(/[\\\]^-]/g, '\\$&');
}

/**
 * Evaluates an hcl2json attribute value: strings are templates (`"${x}"`),
 * arrays and objects are walked, other JSON stays as is. `isUnknown` results
 * keep their references.
 */
export function evalJsonValue(v: unknown, env: EvalEnv, scope: Map<string, Value> = new Map()): Value {
  if (typeof v === 'string') {
    if (!v.includes('${') && !v.includes('%{')) return v;
    const node = parseTemplateString(v);
    return evaluate(node, { env, src: v, scope });
  }
  if (Array.isArray(v)) return v.map((x) => evalJsonValue(x, env, scope));
  if (v && typeof v === 'object') {
    const o: ValueObject = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = evalJsonValue(x, env, scope);
    return o;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  return null;
}

export { isUnknown };
