/**
 * The detection section (spec: rules "Detection"): maps are AND, lists are OR,
 * lists of plain values are keyword searches, and every value modifier of the
 * modifiers appendix, chained left to right. Everything is compiled once into
 * closures; unknown or misplaced modifiers are load errors with a position.
 */
import { checkIdentifiers, compileCondition, ConditionError, ofTargets, parseCondition, type CondNode } from './condition.js';
import { compileParts, literalParts, parseWildcards, plainText, windash, withStar, type Part } from './pattern.js';
import { compileSafeRegex, RegexError } from './regex.js';
import type { EventAccess, EventPredicate, SigmaProblem, SourcePos } from './types.js';
import type { YEntry, YNode } from './yaml-tree.js';

export interface DetectionOptions {
  /** Values of `expand` placeholders, by name without the `%` (spec: rules "Placeholders"). */
  placeholders?: Record<string, string[]>;
  /** Renames a Sigma field to the event's field (processing pipeline). */
  mapField?: (field: string) => string;
}

type Scalar = string | number | boolean | null;
type Test = (e: EventAccess) => boolean;

const TIME_PARTS = ['minute', 'hour', 'day', 'week', 'month', 'year'] as const;
type TimePart = (typeof TIME_PARTS)[number];
const CMP = ['lt', 'lte', 'gt', 'gte'] as const;
type Cmp = (typeof CMP)[number];
const ENCODINGS = ['base64', 'base64offset', 'utf16le', 'utf16be', 'utf16', 'wide'] as const;
type Encoding = (typeof ENCODINGS)[number];
const KNOWN = new Set<string>([
  'contains', 'startswith', 'endswith', 'all', 'exists', 'cased', 'neq', 're', 'i', 'm', 's',
  ...ENCODINGS, 'windash', ...CMP, ...TIME_PARTS, 'cidr', 'expand', 'fieldref',
]);

interface Mods {
  contains: boolean;
  startswith: boolean;
  endswith: boolean;
  all: boolean;
  exists: boolean;
  cased: boolean;
  neq: boolean;
  re: boolean;
  reFlags: { i: boolean; m: boolean; s: boolean };
  encodings: Encoding[];
  windash: boolean;
  cmp: Cmp | undefined;
  timePart: TimePart | undefined;
  cidr: boolean;
  expand: boolean;
  fieldref: boolean;
}

class LoadProblem extends Error {
  constructor(
    readonly code: SigmaProblem['code'],
    message: string,
    readonly pos: SourcePos,
  ) {
    super(message);
  }
}

function parseMods(names: string[], keyPos: SourcePos, keyText: string): Mods {
  const m: Mods = {
    contains: false, startswith: false, endswith: false, all: false, exists: false, cased: false, neq: false, re: false,
    reFlags: { i: false, m: false, s: false }, encodings: [], windash: false, cmp: undefined, timePart: undefined,
    cidr: false, expand: false, fieldref: false,
  };
  const at = (name: string): SourcePos => ({ ...keyPos, col: keyPos.col + Math.max(0, keyText.indexOf(`|${name}`) + 1) });
  const bad = (name: string, why: string): never => {
    throw new LoadProblem('MW_ERR_SIGMA_MODIFIER', `modifier '${name}': ${why}`, at(name));
  };
  for (const name of names) {
    if (!KNOWN.has(name)) bad(name, 'unknown modifier (see the Sigma modifiers appendix)');
    switch (name) {
      case 'contains':
      case 'startswith':
      case 'endswith':
        if (m.contains || m.startswith || m.endswith) bad(name, 'only one of contains, startswith, endswith');
        m[name] = true;
        break;
      case 'i':
      case 'm':
      case 's':
        if (!m.re) bad(name, "a regex flag must follow 're'");
        m.reFlags[name] = true;
        break;
      case 'wide':
      case 'utf16le':
      case 'utf16be':
      case 'utf16':
      case 'base64':
      case 'base64offset':
        m.encodings.push(name);
        break;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        if (m.cmp) bad(name, 'only one comparison per value');
        m.cmp = name;
        break;
      case 'minute':
      case 'hour':
      case 'day':
      case 'week':
      case 'month':
      case 'year':
        if (m.timePart) bad(name, 'only one time part per value');
        m.timePart = name;
        break;
      default:
        (m as unknown as Record<string, boolean>)[name] = true;
    }
  }
  const strMods = m.contains || m.startswith || m.endswith || m.windash || m.encodings.length > 0;
  if (m.exists && names.length > 1) bad('exists', 'cannot be combined with other modifiers');
  if (m.re && (strMods || m.cidr || m.cmp || m.timePart || m.fieldref || m.expand)) bad('re', 'cannot be combined with string, encoding, numeric, cidr or fieldref modifiers');
  if (m.cidr && (strMods || m.cmp || m.timePart || m.fieldref)) bad('cidr', 'cannot be combined with string or numeric modifiers');
  if (m.cmp && (strMods || m.fieldref || m.expand)) bad(m.cmp, 'numeric comparisons take a number, not string modifiers');
  if (m.timePart && (strMods || m.fieldref)) bad(m.timePart, 'time parts take a number');
  if (m.fieldref && (m.encodings.length || m.windash || m.expand)) bad('fieldref', 'cannot be combined with encoding, windash or expand');
  if (m.encodings.includes('base64') && m.encodings.includes('base64offset')) bad('base64offset', 'only one of base64, base64offset');
  const b64 = m.encodings.findIndex((e) => e === 'base64' || e === 'base64offset');
  if (b64 >= 0 && m.encodings.slice(b64 + 1).length) bad(m.encodings[b64 + 1]!, 'no encoding may follow base64');
  return m;
}

// ---------------------------------------------------------------------------
// Value transformations

function utf16(s: string, kind: Encoding): Buffer {
  const le = Buffer.from(s, 'utf16le');
  if (kind === 'utf16be') return le.swap16();
  if (kind === 'utf16') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  return le;
}

/**
 * base64offset (modifiers appendix "Encoding"): the value shifted by 0, 1 and
 * 2 bytes, keeping only the characters that do not depend on the bytes around it.
 */
function base64Offsets(b: Buffer): string[] {
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const enc = Buffer.concat([Buffer.alloc(shift), b]).toString('base64');
    const head = [0, 2, 3][shift]!;
    const total = shift + b.length;
    const tail = total % 3 === 0 ? 0 : total % 3 === 1 ? 3 : 2;
    out.push(enc.slice(head, enc.length - tail));
  }
  return out;
}

/** The string patterns one rule value stands for (more than one after expand, base64offset). */
function valuePatterns(raw: string, m: Mods, opts: DetectionOptions, pos: SourcePos): Part[][] {
  let texts = [raw];
  if (m.expand) texts = expandPlaceholders(raw, opts.placeholders ?? {}, pos);
  const out: Part[][] = [];
  for (const text of texts) {
    if (m.encodings.length) {
      // Encodings work on the plain value: wildcards cannot survive an encoding.
      let cur: { bytes: Buffer; texts?: string[] } = { bytes: Buffer.from(text, 'utf8') };
      for (const enc of m.encodings) {
        if (enc === 'base64') cur = { bytes: cur.bytes, texts: [cur.bytes.toString('base64')] };
        else if (enc === 'base64offset') cur = { bytes: cur.bytes, texts: base64Offsets(cur.bytes) };
        else cur = { bytes: utf16(cur.bytes.toString('utf8'), enc) };
      }
      const finals = cur.texts ?? [cur.bytes.toString('latin1')];
      for (const f of finals) out.push(literalParts(f));
    } else {
      out.push(parseWildcards(text));
    }
  }
  return out.map((p) => {
    let parts = m.windash ? windash(p) : p;
    parts = withStar(parts, m.contains || m.endswith, m.contains || m.startswith);
    return parts;
  });
}

function expandPlaceholders(raw: string, placeholders: Record<string, string[]>, pos: SourcePos): string[] {
  // `\%` is a plain percent (spec: rules "Placeholders").
  const re = /(\\%)|%([^%\s]+)%/g;
  let results = [''];
  let last = 0;
  for (const mt of raw.matchAll(re)) {
    const plain = raw.slice(last, mt.index);
    last = mt.index + mt[0].length;
    if (mt[1]) {
      results = results.map((r) => r + plain + '%');
      continue;
    }
    const values = placeholders[mt[2]!];
    if (!values) throw new LoadProblem('MW_ERR_SIGMA_PLACEHOLDER', `placeholder %${mt[2]}% has no values in the configuration`, pos);
    results = results.flatMap((r) => values.map((v) => r + plain + v));
  }
  return results.map((r) => r + raw.slice(last));
}

// ---------------------------------------------------------------------------
// Event-side coercion

function eventStrings(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return [String(v)];
  if (Array.isArray(v)) return v.flatMap((x) => eventStrings(x) ?? []);
  return undefined;
}

function eventNumbers(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? [n] : [];
  }
  if (Array.isArray(v)) return v.flatMap(eventNumbers);
  return [];
}

function compare(cmp: Cmp | undefined, a: number, b: number): boolean {
  switch (cmp) {
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    default:
      return a === b;
  }
}

function timePartOf(v: unknown, part: TimePart): number | undefined {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  switch (part) {
    case 'minute':
      return d.getUTCMinutes();
    case 'hour':
      return d.getUTCHours();
    case 'day':
      return d.getUTCDate();
    case 'month':
      return d.getUTCMonth() + 1;
    case 'year':
      return d.getUTCFullYear();
    case 'week': {
      // ISO 8601 week number.
      const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
      const day = t.getUTCDay() || 7;
      t.setUTCDate(t.getUTCDate() + 4 - day);
      const y0 = Date.UTC(t.getUTCFullYear(), 0, 1);
      return Math.ceil(((t.getTime() - y0) / 86400000 + 1) / 7);
    }
  }
}

// ---------------------------------------------------------------------------
// CIDR

function parseIp(s: string): { v6: boolean; n: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const o = s.split('.').map(Number);
    if (o.some((x) => x > 255)) return undefined;
    return { v6: false, n: o.reduce((a, x) => (a << 8n) | BigInt(x), 0n) };
  }
  if (!s.includes(':')) return undefined;
  let str = s.split('%')[0]!;
  const v4tail = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(str);
  if (v4tail) {
    const v4 = parseIp(v4tail[1]!);
    if (!v4) return undefined;
    str = str.slice(0, -v4tail[1]!.length) + ((v4.n >> 16n) & 0xffffn).toString(16) + ':' + (v4.n & 0xffffn).toString(16);
  }
  const halves = str.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(0, fill)).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { v6: true, n: groups.reduce((a, g) => (a << 16n) | BigInt(parseInt(g, 16)), 0n) };
}

function compileCidr(spec: string): ((ip: string) => boolean) | undefined {
  const [addr, len] = spec.split('/');
  const ip = parseIp(addr ?? '');
  if (!ip) return undefined;
  const bits = ip.v6 ? 128 : 32;
  const prefix = len === undefined ? bits : Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits || (len !== undefined && !/^\d+$/.test(len))) return undefined;
  const shift = BigInt(bits - prefix);
  const net = ip.n >> shift;
  return (s) => {
    const x = parseIp(s);
    return x !== undefined && x.v6 === ip.v6 && x.n >> shift === net;
  };
}

// ---------------------------------------------------------------------------
// Field items

function scalarValues(node: YNode, keyPos: SourcePos): { values: Scalar[]; positions: SourcePos[] } {
  if (node.kind === 'scalar') return { values: [node.value], positions: [node.pos] };
  if (node.kind === 'seq') {
    const values: Scalar[] = [];
    const positions: SourcePos[] = [];
    for (const it of node.items) {
      if (it.kind !== 'scalar') throw new LoadProblem('MW_ERR_SIGMA_SCHEMA', 'a field value list may only hold plain values', it.pos);
      values.push(it.value);
      positions.push(it.pos);
    }
    return { values, positions };
  }
  throw new LoadProblem('MW_ERR_SIGMA_SCHEMA', 'a field value must be a plain value or a list of them', keyPos);
}

/** One `field|mods: value(s)` pair, or a keyword search when the field part is empty. */
function compileFieldItem(entry: YEntry, opts: DetectionOptions): Test {
  const [fieldRaw = '', ...modNames] = entry.key.split('|');
  const m = parseMods(modNames, entry.keyPos, entry.key);
  const { values, positions } = scalarValues(entry.value, entry.keyPos);
  const keyword = fieldRaw === '';
  const field = keyword ? '' : (opts.mapField?.(fieldRaw) ?? fieldRaw);
  const problem = (code: SigmaProblem['code'], msg: string, pos: SourcePos = entry.keyPos): never => {
    throw new LoadProblem(code, msg, pos);
  };
  if (keyword && (m.neq || m.fieldref)) problem('MW_ERR_SIGMA_MODIFIER', `modifier '${m.neq ? 'neq' : 'fieldref'}' needs a field`);
  if (values.length === 0) problem('MW_ERR_SIGMA_SCHEMA', `'${entry.key}' has an empty value list`);
  if (m.all && values.length < 2) problem('MW_ERR_SIGMA_MODIFIER', "modifier 'all' needs a list of at least two values (spec: modifiers appendix)");
  if (values.length > 1 && values.includes(null)) problem('MW_ERR_SIGMA_SCHEMA', 'null cannot be part of a list of values (spec: rules "Special Field Values")');

  if (m.exists) {
    const want = values[0];
    if (typeof want !== 'boolean' || values.length !== 1) problem('MW_ERR_SIGMA_MODIFIER', "modifier 'exists' takes true or false");
    if (keyword) problem('MW_ERR_SIGMA_MODIFIER', "modifier 'exists' needs a field");
    return (e) => e.has(field) === want;
  }
  if (values[0] === null && values.length === 1) {
    if (modNames.length) problem('MW_ERR_SIGMA_MODIFIER', 'null takes no modifiers');
    if (keyword) problem('MW_ERR_SIGMA_SCHEMA', 'a keyword cannot be null');
    // Absent or null (spec: rules "Special Field Values").
    return (e) => {
      const v = e.get(field);
      return v === undefined || v === null;
    };
  }

  // Each value becomes a test over one event string (or number), combined by OR, or AND with `all`.
  type ValueTest = (e: EventAccess, v: unknown) => boolean;
  const tests: ValueTest[] = [];
  interface StrTest {
    num: number | undefined;
    f: (s: string) => boolean;
  }
  const strTests: StrTest[] = [];
  values.forEach((raw, idx) => {
    const pos = positions[idx] ?? entry.keyPos;
    if (raw === null) return;
    if (m.cmp || m.timePart) {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) problem('MW_ERR_SIGMA_MODIFIER', `'${m.cmp ?? m.timePart}' needs a number, got ${JSON.stringify(raw)}`, pos);
      const cmp = m.cmp;
      if (m.timePart) {
        const part = m.timePart;
        tests.push((_e, v) => {
          const got = timePartOf(v, part);
          return got !== undefined && compare(cmp, got, n);
        });
      } else tests.push((_e, v) => eventNumbers(v).some((x) => compare(cmp, x, n)));
      return;
    }
    if (m.cidr) {
      const f = compileCidr(String(raw));
      if (!f) problem('MW_ERR_SIGMA_MODIFIER', `'${String(raw)}' is not a CIDR range`, pos);
      tests.push((_e, v) => (eventStrings(v) ?? []).some((s) => f!(s)));
      return;
    }
    if (m.re) {
      if (typeof raw !== 'string') problem('MW_ERR_SIGMA_REGEX', 're needs a string', pos);
      let re;
      try {
        re = compileSafeRegex(String(raw), m.reFlags);
      } catch (err) {
        if (err instanceof RegexError) problem('MW_ERR_SIGMA_REGEX', `regex ${JSON.stringify(raw)}: ${err.message}`, pos);
        throw err;
      }
      tests.push((_e, v) => (eventStrings(v) ?? []).some((s) => re!.test(s)));
      return;
    }
    if (m.fieldref) {
      if (typeof raw !== 'string') problem('MW_ERR_SIGMA_MODIFIER', 'fieldref needs a field name', pos);
      const ref = opts.mapField?.(String(raw)) ?? String(raw);
      const cased = m.cased;
      const mode = m.contains ? 'c' : m.startswith ? 's' : m.endswith ? 'e' : '=';
      tests.push((e, v) => {
        const other = eventStrings(e.get(ref));
        const mine = eventStrings(v);
        if (!other || !mine) return false;
        return mine.some((a0) =>
          other.some((b0) => {
            const a = cased ? a0 : a0.toLowerCase();
            const b = cased ? b0 : b0.toLowerCase();
            return mode === '=' ? a === b : mode === 'c' ? a.includes(b) : mode === 's' ? a.startsWith(b) : a.endsWith(b);
          }),
        );
      });
      return;
    }
    const text = typeof raw === 'string' ? raw : String(raw);
    // Keywords match anywhere in the event's values (spec: rules "Keywords search"): an implicit contains.
    const km = keyword ? { ...m, contains: !m.startswith && !m.endswith } : m;
    const matchers = valuePatterns(text, km, opts, pos).map((p) => compileParts(p, m.cased));
    const one = matchers.length === 1 ? matchers[0]! : (s: string): boolean => matchers.some((f) => f(s));
    const num = typeof raw === 'number' ? raw : undefined;
    strTests.push({ num, f: one });
  });

  // String tests see each event string once, lower-cased once unless `cased`.
  const cased = m.cased;
  const strTest = (t: StrTest, v: unknown): boolean => {
    if (typeof v === 'string') return t.f(cased ? v : v.toLowerCase());
    if (typeof v === 'number') return v === t.num || t.f(String(v));
    if (typeof v === 'boolean') return t.f(String(v));
    if (Array.isArray(v)) return v.some((x) => strTest(t, x));
    return false;
  };
  for (const t of strTests) tests.push((_e, v) => strTest(t, v));
  if (keyword && !m.all && tests.length === strTests.length) {
    // The common keyword list: any value anywhere, over the event's cached (lower-cased) leaves.
    const fs = strTests.map((t) => t.f);
    return (e) => {
      const leaves = cased ? e.leaves() : e.leavesLower();
      for (const s of leaves) for (const f of fs) if (f(s)) return true;
      return false;
    };
  }
  if (!keyword && !m.all && !m.neq && tests.length === strTests.length) {
    // The common field item: fold the event value once, then try each rule value.
    const fs = strTests.map((t) => t.f);
    const nums = strTests.map((t) => t.num).filter((n): n is number => n !== undefined);
    const anyStr = (s: string): boolean => {
      const x = cased ? s : s.toLowerCase();
      for (const f of fs) if (f(x)) return true;
      return false;
    };
    const test = (v: unknown): boolean => {
      if (typeof v === 'string') return anyStr(v);
      if (typeof v === 'number') return nums.includes(v) || anyStr(String(v));
      if (typeof v === 'boolean') return anyStr(String(v));
      if (Array.isArray(v)) return v.some(test);
      return false;
    };
    return (e) => test(e.get(field));
  }

  const combine = (e: EventAccess, v: unknown): boolean => (m.all ? tests.every((t) => t(e, v)) : tests.some((t) => t(e, v)));
  if (keyword) {
    const anyLeaf = (e: EventAccess, t: ValueTest): boolean => e.leaves().some((s) => t(e, s));
    return m.all ? (e) => tests.every((t) => anyLeaf(e, t)) : (e) => tests.some((t) => anyLeaf(e, t));
  }
  if (m.neq) {
    // Spec: "The field is different from the specified values": every listed value must differ.
    return (e) => {
      const v = e.get(field);
      if (v === undefined || v === null) return true;
      return !tests.some((t) => t(e, v));
    };
  }
  return (e) => {
    const v = e.get(field);
    return v !== undefined && v !== null && combine(e, v);
  };
}

function compileSearch(node: YNode, opts: DetectionOptions, problems: SigmaProblem[]): Test {
  const guard = (f: () => Test): Test => {
    try {
      return f();
    } catch (err) {
      if (err instanceof LoadProblem) {
        problems.push({ ...err.pos, code: err.code, message: err.message });
        return () => false;
      }
      throw err;
    }
  };
  if (node.kind === 'map') {
    if (node.entries.length === 0) {
      problems.push({ ...node.pos, code: 'MW_ERR_SIGMA_SCHEMA', message: 'an empty search identifier matches nothing' });
      return () => false;
    }
    const items = node.entries.map((en) => guard(() => compileFieldItem(en, opts)));
    if (items.length === 1) return items[0]!;
    return (e) => {
      for (const t of items) if (!t(e)) return false;
      return true;
    };
  }
  if (node.kind === 'seq') {
    if (node.items.length === 0) {
      problems.push({ ...node.pos, code: 'MW_ERR_SIGMA_SCHEMA', message: 'an empty search identifier matches nothing' });
      return () => false;
    }
    const scalars = node.items.filter((i) => i.kind === 'scalar');
    const others = node.items.filter((i) => i.kind !== 'scalar').map((i) => compileSearch(i, opts, problems));
    const tests = [...others];
    if (scalars.length) {
      // A list of plain values is one keyword search with OR between the values.
      const fake: YEntry = { key: '', keyPos: node.pos, value: { kind: 'seq', pos: node.pos, items: scalars } };
      tests.push(guard(() => compileFieldItem(fake, opts)));
    }
    return (e) => tests.some((t) => t(e));
  }
  return guard(() => compileFieldItem({ key: '', keyPos: node.pos, value: node }, opts));
}

/** Compiles a rule's `detection` map: every problem lands in `problems`; the predicate is usable only when none did. */
export function compileDetection(detection: YNode | undefined, opts: DetectionOptions, problems: SigmaProblem[], at: SourcePos): EventPredicate {
  if (!detection || detection.kind !== 'map') {
    problems.push({ ...(detection?.pos ?? at), code: 'MW_ERR_SIGMA_SCHEMA', message: 'detection must be a map of search identifiers and a condition' });
    return () => false;
  }
  const ids = new Map<string, Test>();
  let condEntry: YEntry | undefined;
  for (const en of detection.entries) {
    if (en.key === 'condition') condEntry = en;
    else if (en.key === 'timeframe') continue;
    else ids.set(en.key, compileSearch(en.value, opts, problems));
  }
  if (!condEntry) {
    problems.push({ ...detection.pos, code: 'MW_ERR_SIGMA_SCHEMA', message: 'detection: missing required key \'condition\'' });
    return () => false;
  }
  // The condition may be a list: its items are ORed (spec: rules "Condition").
  const conds: YNode[] = condEntry.value.kind === 'seq' ? condEntry.value.items : [condEntry.value];
  const names = [...ids.keys()];
  const preds: ((e: EventAccess) => boolean)[] = [];
  for (const c of conds) {
    if (c.kind !== 'scalar' || typeof c.value !== 'string') {
      problems.push({ ...c.pos, code: 'MW_ERR_SIGMA_CONDITION', message: 'condition must be a string' });
      continue;
    }
    const text = c.value;
    // Column inside a plain scalar: offset from the scalar's start (quoted scalars shift by one).
    const colAt = (offset: number): SourcePos => ({ ...c.pos, col: c.pos.col + offset });
    let tree: CondNode;
    try {
      tree = parseCondition(text);
    } catch (err) {
      if (err instanceof ConditionError) {
        problems.push({ ...colAt(err.offset), code: 'MW_ERR_SIGMA_CONDITION', message: `condition: ${err.message}` });
        continue;
      }
      throw err;
    }
    const bad = checkIdentifiers(tree, names);
    for (const b of bad) problems.push({ ...colAt(b.offset), code: 'MW_ERR_SIGMA_CONDITION', message: `condition: ${b.message}` });
    if (!bad.length) preds.push(compileCondition(tree, ids));
  }
  if (preds.length === 1) return preds[0]!;
  return (e) => preds.some((p) => p(e));
}

/** A field whose value the rule needs to equal one of a few plain values (an index key). */
export interface Anchor {
  field: string;
  /** Lower-cased exact values. */
  values: string[];
}

/**
 * An equality every match of the rule requires: a modifier-free field item
 * with plain values (no wildcards) inside a search identifier the condition
 * needs unconditionally (reached through `and` and `all of` only). A rule set
 * uses one of them to skip rules without evaluating them. All such equalities, in rule order.
 */
export function detectionAnchors(detection: YNode | undefined, opts: DetectionOptions = {}): Anchor[] {
  const out: Anchor[] = [];
  if (detection?.kind !== 'map') return out;
  const cond = detection.entries.find((e) => e.key === 'condition')?.value;
  if (cond?.kind !== 'scalar' || typeof cond.value !== 'string') return out;
  let tree: CondNode;
  try {
    tree = parseCondition(cond.value);
  } catch {
    return out;
  }
  const names = detection.entries.filter((e) => e.key !== 'condition').map((e) => e.key);
  const required = (n: CondNode): string[] => {
    if (n.op === 'id') return [n.name];
    if (n.op === 'and') return [...required(n.left), ...required(n.right)];
    if (n.op === 'of' && n.quantifier === 'all') return ofTargets(n, names);
    return [];
  };
  for (const id of required(tree)) {
    const node = detection.entries.find((e) => e.key === id)?.value;
    if (node?.kind !== 'map') continue;
    for (const en of node.entries) {
      if (en.key.includes('|') || en.key === '') continue;
      const items = en.value.kind === 'scalar' ? [en.value] : en.value.kind === 'seq' ? en.value.items : [];
      const values: string[] = [];
      for (const it of items) {
        if (it.kind !== 'scalar' || (typeof it.value !== 'string' && typeof it.value !== 'number')) break;
        const text = plainText(parseWildcards(String(it.value)));
        if (text === undefined) break;
        values.push(text.toLowerCase());
      }
      if (values.length && values.length === items.length) out.push({ field: opts.mapField?.(en.key) ?? en.key, values });
    }
  }
  return out;
}
