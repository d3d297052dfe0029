/**
 * Regular expressions from rule files written by others (the `re` modifier).
 *
 * Strategy (docs/sigma.md "Regex safety"): V8 ships a linear-time regular
 * expression engine (an automaton, no backtracking) behind the `l` flag. The
 * spec's regex flavour (modifiers appendix, "Regular Expression": `.`, anchors,
 * quantifiers, classes, alternation, groups) is exactly what that engine
 * accepts, so every `re` value is compiled with it. It lacks the `i` flag, so
 * case-insensitive expressions are rewritten with both-case classes for ASCII
 * letters. Expressions the linear engine refuses (large counted repetitions
 * such as `(.){200,}`) fall back to the backtracking engine only when they have
 * no nested quantifier (star height 1), and then only ever see the first
 * MAX_REGEX_INPUT characters of a value. Backreferences and lookaround are
 * refused at load: the spec does not allow them.
 */
import { setFlagsFromString } from 'node:v8';

// Only gates the `l` flag's parser; it changes nothing else in the VM.
setFlagsFromString('--enable-experimental-regexp-engine');

/** A RegExp on the linear-time engine (the caller knows the source is within its subset). */
export function linearRegExp(src: string, flags: string): RegExp {
  return new RegExp(src, 'l' + flags);
}

/** Characters of a value a fallback (backtracking) expression may inspect. */
export const MAX_REGEX_INPUT = 16 * 1024;

export interface SafeRegex {
  test(value: string): boolean;
  /** 'linear' (automaton) or 'bounded' (backtracking, star height 1, input capped). */
  engine: 'linear' | 'bounded';
  source: string;
}

export class RegexError extends Error {}

const INLINE_FLAGS = /^\(\?([imsx]+)\)/;

function foldCase(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      const len = n === 'x' ? 4 : n === 'u' ? 6 : n === 'c' ? 3 : n === 'p' || n === 'P' ? src.indexOf('}', i) + 1 - i : 2;
      out += src.slice(i, i + Math.max(len, 2));
      i += Math.max(len, 2) - 1;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      else if (/[a-zA-Z]/.test(c) && src[i + 1] === '-' && /[a-zA-Z]/.test(src[i + 2] ?? '')) {
        const hi = src[i + 2]!;
        out += `${c}-${hi}${swap(c)}-${swap(hi)}`;
        i += 2;
        continue;
      } else if (/[a-zA-Z]/.test(c)) {
        out += c + swap(c);
        continue;
      }
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      continue;
    }
    if (c === '(' && src.startsWith('(?<', i) && !src.startsWith('(?<=', i) && !src.startsWith('(?<!', i)) {
      const close = src.indexOf('>', i);
      out += src.slice(i, close + 1);
      i = close;
      continue;
    }
    if (c === '{') {
      const close = src.indexOf('}', i);
      if (close > i && /^\{\d*(,\d*)?\}$/.test(src.slice(i, close + 1))) {
        out += src.slice(i, close + 1);
        i = close;
        continue;
      }
    }
    out += /[a-zA-Z]/.test(c) ? `[${c}${swap(c)}]` : c;
  }
  return out;
}

function swap(c: string): string {
  const l = c.toLowerCase();
  return l === c ? c.toUpperCase() : l;
}

/**
 * The backtracking fallback accepts nesting only where the work per start
 * position stays bounded by a constant: a repeated group may not contain an
 * unbounded quantifier (`(a+)+`, `(a+){3}`), and an unboundedly repeated group
 * may not contain any variable quantifier (`(ab?)*`). Bounded-in-bounded
 * nesting such as `(?:0[0-9]{1,11}\.){3}` passes, and a group with
 * alternatives repeats at most MAX_ALTERNATION_REPEAT times. Returns the reason, or undefined.
 */
const MAX_ALTERNATION_REPEAT = 8;

export function nestingProblem(src: string): string | undefined {
  interface G {
    unbounded: boolean;
    variable: boolean;
    alternation: boolean;
  }
  const stack: G[] = [{ unbounded: false, variable: false, alternation: false }];
  let closed: G | undefined;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    const after = closed;
    closed = undefined;
    let q: { min: number; max: number } | undefined;
    if (c === '\\') i++;
    else if (c === '[') {
      for (i++; i < src.length && src[i] !== ']'; i++) if (src[i] === '\\') i++;
    } else if (c === '(') {
      stack.push({ unbounded: false, variable: false, alternation: false });
      if (src[i + 1] === '?') {
        // Skip the group's own syntax: `(?:`, `(?<name>`.
        i = src[i + 2] === '<' ? src.indexOf('>', i) : i + 2;
      }
    } else if (c === ')') {
      closed = stack.pop();
      const top = stack[stack.length - 1]!;
      if (closed) {
        top.unbounded ||= closed.unbounded;
        top.variable ||= closed.variable;
        top.alternation ||= closed.alternation;
      }
    } else if (c === '|') {
      stack[stack.length - 1]!.alternation = true;
    } else if (c === '*') q = { min: 0, max: Infinity };
    else if (c === '+') q = { min: 1, max: Infinity };
    else if (c === '?') q = { min: 0, max: 1 };
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (m) {
        q = { min: Number(m[1]), max: m[2] === undefined ? Number(m[1]) : m[3] ? Number(m[3]) : Infinity };
        i += m[0].length - 1;
      }
    }
    if (!q) continue;
    // A `?` right after a quantifier makes it lazy: same shape, no new repetition.
    if (src[i + 1] === '?' && c !== '?') i++;
    const top = stack[stack.length - 1]!;
    if (after && q.max > 1) {
      if (after.unbounded) return 'a repeated group contains an unbounded quantifier (catastrophic backtracking)';
      if (q.max === Infinity && after.variable) return 'an unboundedly repeated group contains a variable quantifier (catastrophic backtracking)';
      // Overlapping alternatives double the paths per repetition: only a few repetitions are tolerable.
      if (after.alternation && q.max > MAX_ALTERNATION_REPEAT) return `a group with alternatives is repeated more than ${MAX_ALTERNATION_REPEAT} times (catastrophic backtracking)`;
    }
    if (q.max === Infinity) top.unbounded = true;
    if (q.min !== q.max) top.variable = true;
  }
  return undefined;
}

const FORBIDDEN: [RegExp, string][] = [
  [/\\[1-9]|\\k</, 'backreferences are not part of the Sigma regex flavour'],
  [/\(\?<?[=!]/, 'lookaround is not part of the Sigma regex flavour'],
];

/** Compiles a Sigma `re` value; throws RegexError with the reason when invalid or refused. */
export function compileSafeRegex(pattern: string, opts: { i?: boolean; m?: boolean; s?: boolean } = {}): SafeRegex {
  let src = pattern;
  let { i = false, m = false, s = false } = opts;
  const inline = INLINE_FLAGS.exec(src);
  if (inline) {
    // PCRE's leading `(?i)` (common in SigmaHQ rules) has no JavaScript syntax: lift it into flags.
    if (inline[1]!.includes('x')) throw new RegexError('the (?x) extended flag is not supported');
    i ||= inline[1]!.includes('i');
    m ||= inline[1]!.includes('m');
    s ||= inline[1]!.includes('s');
    src = src.slice(inline[0].length);
  }
  for (const [re, why] of FORBIDDEN) if (re.test(src)) throw new RegexError(why);
  try {
    new RegExp(src);
  } catch (e) {
    throw new RegexError((e as Error).message);
  }
  const body = i ? foldCase(src) : src;
  const flags = (m ? 'm' : '') + (s ? 's' : '');
  try {
    const re = new RegExp(body, 'l' + flags);
    return { test: (v) => re.test(v), engine: 'linear', source: pattern };
  } catch {
    // The automaton refuses large counted repetitions; fall through to the bounded check.
  }
  const nesting = nestingProblem(src);
  if (nesting) throw new RegexError(nesting);
  const re = new RegExp(src, flags + (i ? 'i' : ''));
  return { test: (v) => re.test(v.length > MAX_REGEX_INPUT ? v.slice(0, MAX_REGEX_INPUT) : v), engine: 'bounded', source: pattern };
}
