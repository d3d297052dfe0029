/**
 * Terraform `.tf` loading: parse each file with HashiCorp's HCL parser
 * (@cdktf/hcl2json), group files into modules by directory, find the root
 * modules (directories no other scanned module calls), and expand every
 * resource into its instances (`count`, `for_each`, module instances) with
 * attributes evaluated statically: locals, variable defaults, module inputs
 * and outputs, and references to other resources kept as `Unknown` refs.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { evalJsonValue, Handle, HclExprError, type EvalEnv } from './hcl/expr.js';
import { scanSource, type SourceBlock, type SourceMap } from './hcl/source.js';
import { isObject, Unknown, type Value, type ValueObject } from './hcl/value.js';
import type { Note, Resource, ScanError } from './types.js';

interface Hcl2Json {
  parse(filename: string, contents: string): Promise<Record<string, unknown>>;
}
// Loaded through require: the package's typings pull the DOM lib into the
// whole program, which the rest of the project must not see.
const require = createRequire(import.meta.url);
let hcl: Hcl2Json | undefined;
export function hclParser(): Hcl2Json {
  hcl ??= require('@cdktf/hcl2json') as Hcl2Json;
  return hcl;
}

export interface TfFile {
  abs: string;
  rel: string;
  dir: string;
  json: Record<string, unknown>;
  map: SourceMap;
  text: string;
  index: Map<string, SourceBlock>;
}

/** hcl2json errors look like `parse config: [main.tf:2,6-3,1: Invalid expression; Expected …]`. */
export function parseHclError(message: string, rel: string): ScanError {
  const m = /:(\d+),(\d+)(?:-(?:\d+,)?\d+)?: ([^\]]*)/.exec(message);
  if (m) return { file: rel, line: Number(m[1]), column: Number(m[2]), message: m[3]!.trim(), kind: 'parse' };
  return { file: rel, line: 1, message: message.replace(/^parse config: /, ''), kind: 'parse' };
}

export async function parseTfFile(abs: string, rel: string, text: string): Promise<TfFile | ScanError> {
  let json: Record<string, unknown>;
  try {
    json = await hclParser().parse(rel, text);
  } catch (e) {
    return parseHclError((e as Error).message, rel);
  }
  const map = scanSource(text);
  const index = new Map<string, SourceBlock>();
  for (const b of map.blocks) {
    const k = [b.kind, ...b.labels].join('\u0000');
    if (!index.has(k)) index.set(k, b);
  }
  return { abs, rel, dir: dirname(abs), json, map, text, index };
}

interface BlockDef {
  mode: 'managed' | 'data';
  type: string;
  name: string;
  body: Record<string, unknown>;
  file: TfFile;
  src: SourceBlock | undefined;
}

interface ModuleDef {
  dir: string;
  files: TfFile[];
  resources: BlockDef[];
  resourceTypes: Set<string>;
  locals: Map<string, { expr: unknown; file: TfFile }>;
  variables: Map<string, { body: Record<string, unknown>; file: TfFile }>;
  outputs: Map<string, { body: Record<string, unknown>; file: TfFile }>;
  calls: Map<string, { body: Record<string, unknown>; file: TfFile; src: SourceBlock | undefined }>;
}

function firstBody(v: unknown): Record<string, unknown> {
  if (Array.isArray(v)) return (v.find((x) => x && typeof x === 'object') as Record<string, unknown>) ?? {};
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}

function buildModule(dir: string, files: TfFile[]): ModuleDef {
  const m: ModuleDef = {
    dir,
    files,
    resources: [],
    resourceTypes: new Set(),
    locals: new Map(),
    variables: new Map(),
    outputs: new Map(),
    calls: new Map(),
  };
  for (const f of files) {
    for (const mode of ['resource', 'data'] as const) {
      const byType = f.json[mode];
      if (!byType || typeof byType !== 'object') continue;
      for (const [type, byName] of Object.entries(byType as Record<string, unknown>)) {
        for (const [name, bodies] of Object.entries((byName ?? {}) as Record<string, unknown>)) {
          m.resources.push({
            mode: mode === 'resource' ? 'managed' : 'data',
            type,
            name,
            body: firstBody(bodies),
            file: f,
            src: f.index.get([mode, type, name].join('\u0000')),
          });
          if (mode === 'resource') m.resourceTypes.add(type);
        }
      }
    }
    const locals = f.json.locals;
    for (const l of Array.isArray(locals) ? locals : locals ? [locals] : []) {
      for (const [k, v] of Object.entries(l as Record<string, unknown>)) m.locals.set(k, { expr: v, file: f });
    }
    for (const [kind, target] of [
      ['variable', m.variables],
      ['output', m.outputs],
    ] as const) {
      const defs = f.json[kind];
      if (!defs || typeof defs !== 'object') continue;
      for (const [k, v] of Object.entries(defs as Record<string, unknown>)) target.set(k, { body: firstBody(v), file: f });
    }
    const calls = f.json.module;
    if (calls && typeof calls === 'object') {
      for (const [k, v] of Object.entries(calls as Record<string, unknown>)) {
        m.calls.set(k, { body: firstBody(v), file: f, src: f.index.get(['module', k].join('\u0000')) });
      }
    }
  }
  return m;
}

function isLocalSource(src: unknown): src is string {
  return typeof src === 'string' && (src.startsWith('./') || src.startsWith('../'));
}

function keySuffix(key: string | number | undefined): string {
  if (key === undefined) return '';
  return typeof key === 'number' ? `[${key}]` : `[${JSON.stringify(key)}]`;
}

const META_ARGS = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection']);

class NsHandle extends Handle {
  constructor(private readonly get: (name: string, text: string) => Value | Handle) {
    super();
  }
  attr(name: string, text: string): Value | Handle {
    return this.get(name, text);
  }
  index(key: Value, text: string): Value | Handle {
    return typeof key === 'string' ? this.get(key, text) : new Unknown([], text);
  }
  whole(text: string): Value {
    return new Unknown([], text);
  }
}

class ResourceHandle extends Handle {
  constructor(
    private readonly base: string,
    private readonly key: string | number | undefined,
    private readonly data?: () => ValueObject | undefined,
  ) {
    super();
  }
  private get address(): string {
    return this.base + keySuffix(this.key);
  }
  attr(name: string, text: string): Value | Handle {
    if (this.data) {
      const d = this.data();
      if (d && name in d) return d[name]!;
    }
    return new Unknown([{ address: this.address, attr: name }], text);
  }
  index(key: Value, text: string): Value | Handle {
    if (this.key !== undefined) return new Unknown([{ address: this.address, attr: null }], text);
    if (typeof key === 'string' || typeof key === 'number') return new ResourceHandle(this.base, key, this.data);
    return new ResourceHandle(this.base, undefined, this.data);
  }
  whole(text: string): Value {
    return new Unknown([{ address: this.address, attr: null }], text);
  }
}

/** Turns an `aws_iam_policy_document` data block into the policy object its `.json` renders. */
function policyDocument(attrs: ValueObject): ValueObject {
  const statements: Value[] = [];
  for (const src of ['source_policy_documents', 'source_json']) {
    const docs = attrs[src];
    for (const d of Array.isArray(docs) ? docs : docs ? [docs] : []) {
      const obj = typeof d === 'string' ? safeJson(d) : d;
      const st = isObject(obj) ? obj.Statement : undefined;
      if (Array.isArray(st)) statements.push(...st);
    }
  }
  const list = attrs.statement;
  for (const s of Array.isArray(list) ? list : []) {
    if (!isObject(s)) continue;
    const st: ValueObject = { Effect: s.effect ?? 'Allow' };
    if (s.sid !== undefined) st.Sid = s.sid;
    if (s.actions !== undefined) st.Action = s.actions;
    if (s.not_actions !== undefined) st.NotAction = s.not_actions;
    if (s.resources !== undefined) st.Resource = s.resources;
    if (s.not_resources !== undefined) st.NotResource = s.not_resources;
    const principals = (Array.isArray(s.principals) ? s.principals : []).filter(isObject);
    if (principals.length) {
      const p: ValueObject = {};
      for (const pr of principals) {
        const type = typeof pr.type === 'string' ? pr.type : 'AWS';
        const ids = Array.isArray(pr.identifiers) ? pr.identifiers : [pr.identifiers ?? null];
        if (type === '*') st.Principal = '*';
        else p[type] = [...(Array.isArray(p[type]) ? (p[type] as Value[]) : []), ...ids];
      }
      if (st.Principal === undefined) st.Principal = p;
    }
    const conds = (Array.isArray(s.condition) ? s.condition : []).filter(isObject);
    if (conds.length) {
      const c: ValueObject = {};
      for (const cd of conds) {
        const test = String(cd.test ?? 'StringEquals');
        const o = isObject(c[test]) ? (c[test] as ValueObject) : {};
        o[String(cd.variable ?? '')] = cd.values ?? null;
        c[test] = o;
      }
      st.Condition = c;
    }
    statements.push(st);
  }
  return { Version: '2012-10-17', Statement: statements };
}

function safeJson(s: string): Value {
  try {
    return JSON.parse(s) as Value;
  } catch {
    return null;
  }
}

class ModuleInstance implements EvalEnv {
  readonly children = new Map<string, ModuleInstance[]>();
  private readonly localCache = new Map<string, Value>();
  private readonly outputCache = new Map<string, Value>();
  private readonly evaluating = new Set<string>();
  private readonly dataCache = new Map<string, ValueObject>();

  constructor(
    readonly def: ModuleDef,
    readonly prefix: string,
    readonly rootDir: string,
    private readonly inputs: Map<string, () => Value>,
    readonly loader: TerraformLoader,
    readonly depth: number,
  ) {}

  private guarded(key: string, text: string, f: () => Value): Value {
    if (this.evaluating.has(key)) return new Unknown([], text);
    this.evaluating.add(key);
    try {
      return f();
    } finally {
      this.evaluating.delete(key);
    }
  }

  variable(name: string, text: string): Value {
    const input = this.inputs.get(name);
    if (input) return this.guarded('var.' + name, text, input);
    const v = this.def.variables.get(name);
    if (v && 'default' in v.body) return this.guarded('var.' + name, text, () => evalJsonValue(v.body.default, this));
    return new Unknown([], text);
  }

  local(name: string, text: string): Value {
    if (this.localCache.has(name)) return this.localCache.get(name)!;
    const l = this.def.locals.get(name);
    if (!l) return new Unknown([], text);
    const v = this.guarded('local.' + name, text, () => evalJsonValue(l.expr, this));
    this.localCache.set(name, v);
    return v;
  }

  output(name: string, text: string): Value {
    if (this.outputCache.has(name)) return this.outputCache.get(name)!;
    const o = this.def.outputs.get(name);
    if (!o) return new Unknown([], text);
    const v = this.guarded('output.' + name, text, () => evalJsonValue(o.body.value, this));
    this.outputCache.set(name, v);
    return v;
  }

  private dataAttrs(type: string, name: string): ValueObject | undefined {
    const key = `${type}.${name}`;
    if (this.dataCache.has(key)) return this.dataCache.get(key);
    const d = this.def.resources.find((r) => r.mode === 'data' && r.type === type && r.name === name);
    if (!d || type !== 'aws_iam_policy_document') return undefined;
    const attrs = this.guarded('data.' + key, key, () => this.evalBody(d.body, new Map()));
    const doc = isObject(attrs) ? policyDocument(attrs) : undefined;
    const out = doc ? { json: doc, minified_json: doc } : undefined;
    if (out) this.dataCache.set(key, out);
    return out;
  }

  root(name: string, text: string): Value | Handle | undefined {
    switch (name) {
      case 'var':
        return new NsHandle((n, t) => this.variable(n, t));
      case 'local':
        return new NsHandle((n, t) => this.local(n, t));
      case 'path':
        return { module: this.def.dir, root: this.rootDir, cwd: this.rootDir };
      case 'terraform':
        return { workspace: 'default' };
      case 'module':
        return new NsHandle((n) => this.moduleHandle(n));
      case 'data':
        return new NsHandle(
          (type) =>
            new NsHandle(
              (dname) =>
                new ResourceHandle(`${this.prefix}data.${type}.${dname}`, undefined, () => this.dataAttrs(type, dname)),
            ),
        );
      case 'each':
      case 'count':
      case 'self':
        return new Unknown([], text);
      default:
        if (this.def.resourceTypes.has(name) || /^[a-z0-9]+_[a-z0-9_]+$/.test(name)) {
          return new NsHandle((rname) => new ResourceHandle(`${this.prefix}${name}.${rname}`, undefined));
        }
        return undefined;
    }
  }

  private moduleHandle(name: string): Value | Handle {
    const inst = this.children.get(name);
    if (!inst || inst.length === 0) return new Unknown([], `module.${name}`);
    const outputsOf = (i: ModuleInstance): Handle => new NsHandle((out, t) => i.output(out, t));
    if (inst.length === 1 && !inst[0]!.prefix.endsWith(']' + '.')) return outputsOf(inst[0]!);
    const ownPrefix = this.prefix;
    return new (class extends Handle {
      attr(out: string, t: string): Value | Handle {
        return new Unknown(
          inst.flatMap((i) => collectRefs(i.output(out, t))),
          t,
        );
      }
      index(key: Value, t: string): Value | Handle {
        const want = `${ownPrefix}module.${name}${keySuffix(typeof key === 'number' || typeof key === 'string' ? key : undefined)}.`;
        const hit = inst.find((i) => i.prefix === want);
        return hit ? outputsOf(hit) : new Unknown([], t);
      }
      whole(t: string): Value {
        return new Unknown([], t);
      }
    })();
  }

  readFile(p: string): string | undefined {
    const abs = isAbsolute(p) ? p : resolve(this.rootDir, p);
    if (!abs.startsWith(this.loader.base + sep) && abs !== this.loader.base) return undefined;
    try {
      return readFileSync(abs, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Evaluates a block body, expanding `dynamic` blocks. */
  evalBody(body: Record<string, unknown>, scope: Map<string, Value>): ValueObject {
    const out: ValueObject = {};
    for (const [k, v] of Object.entries(body)) {
      if (k === 'dynamic') continue;
      if (META_ARGS.has(k) && scope.get('\u0000top') === true) continue;
      out[k] = this.evalNested(v, scope);
    }
    const dyn = body.dynamic;
    if (dyn && typeof dyn === 'object') {
      for (const [blockName, defs] of Object.entries(dyn as Record<string, unknown>)) {
        for (const d of Array.isArray(defs) ? defs : [defs]) {
          const def = d as Record<string, unknown>;
          const iter = typeof def.iterator === 'string' ? def.iterator : blockName;
          const content = firstBody(def.content);
          const coll = evalJsonValue(def.for_each, this, scope);
          const entries: [Value, Value][] =
            coll instanceof Unknown
              ? [[coll, coll]]
              : Array.isArray(coll)
                ? coll.map((x, i) => [i, x])
                : isObject(coll)
                  ? Object.entries(coll)
                  : [];
          const list = Array.isArray(out[blockName]) ? (out[blockName] as Value[]) : out[blockName] !== undefined ? [out[blockName]!] : [];
          for (const [key, value] of entries) {
            const sub = new Map(scope);
            sub.delete('\u0000top');
            sub.set(iter, { key, value });
            list.push(this.evalBody(content, sub));
          }
          out[blockName] = list;
        }
      }
    }
    return out;
  }

  private evalNested(v: unknown, scope: Map<string, Value>): Value {
    if (Array.isArray(v)) {
      const inner = new Map(scope);
      inner.delete('\u0000top');
      return v.map((x) => (x && typeof x === 'object' && !Array.isArray(x) ? this.evalBody(x as Record<string, unknown>, inner) : evalJsonValue(x, this, inner)));
    }
    if (v && typeof v === 'object') {
      const inner = new Map(scope);
      inner.delete('\u0000top');
      return this.evalBody(v as Record<string, unknown>, inner);
    }
    return evalJsonValue(v, this, scope);
  }

  /** The instance keys of a `count` / `for_each` block: undefined key means a single unkeyed instance. */
  instanceKeys(body: Record<string, unknown>, where: string, notes: Note[], file: string, line: number): { key: string | number | undefined; each: Value }[] {
    if ('for_each' in body) {
      const fe = evalJsonValue(body.for_each, this);
      if (fe instanceof Unknown) {
        notes.push({ file, line, message: `${where}: for_each is not known before apply (${fe.text}); evaluated once with unknown each.key` });
        return [{ key: undefined, each: { key: fe, value: fe } }];
      }
      if (Array.isArray(fe)) return fe.map((x) => ({ key: String(x), each: { key: String(x), value: x } }));
      if (isObject(fe)) return Object.entries(fe).map(([k, x]) => ({ key: k, each: { key: k, value: x } }));
      return [];
    }
    if ('count' in body) {
      const c = evalJsonValue(body.count, this);
      const n = typeof c === 'number' ? c : typeof c === 'string' && /^\d+$/.test(c) ? Number(c) : undefined;
      if (n === undefined) {
        notes.push({ file, line, message: `${where}: count is not known before apply; evaluated once` });
        return [{ key: undefined, each: null }];
      }
      return Array.from({ length: Math.min(n, 1000) }, (_, i) => ({ key: i, each: i }));
    }
    return [{ key: undefined, each: null }];
  }
}

function collectRefs(v: Value): { address: string; attr: string | null }[] {
  const out: { address: string; attr: string | null }[] = [];
  const walk = (x: Value): void => {
    if (x instanceof Unknown) out.push(...x.refs);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (isObject(x)) Object.values(x).forEach(walk);
  };
  walk(v);
  return out;
}

export class TerraformLoader {
  readonly notes: Note[] = [];
  readonly resources: Resource[] = [];
  private readonly modules = new Map<string, ModuleDef>();

  constructor(
    readonly base: string,
    private readonly files: TfFile[],
  ) {
    const byDir = new Map<string, TfFile[]>();
    for (const f of files) {
      const l = byDir.get(f.dir) ?? [];
      l.push(f);
      byDir.set(f.dir, l);
    }
    for (const [dir, fs] of byDir) this.modules.set(dir, buildModule(dir, fs));
  }

  private rel(p: string): string {
    return relative(this.base, p).split(sep).join('/') || '.';
  }

  run(): Resource[] {
    const called = new Set<string>();
    for (const m of this.modules.values()) {
      for (const c of m.calls.values()) {
        if (isLocalSource(c.body.source)) called.add(resolve(m.dir, c.body.source));
      }
    }
    const roots = [...this.modules.keys()].filter((d) => !called.has(d)).sort();
    for (const dir of roots) {
      const inst = new ModuleInstance(this.modules.get(dir)!, '', dir, new Map(), this, 0);
      this.instantiate(inst);
    }
    return this.resources;
  }

  private instantiate(inst: ModuleInstance): void {
    const rootRel = this.rel(inst.rootDir);
    // Children first so module outputs are available to this module's resources.
    for (const [name, call] of inst.def.calls) {
      const line = call.src?.line ?? 1;
      const file = call.file.rel;
      if (!isLocalSource(call.body.source)) {
        this.notes.push({ file, line, message: `module.${name}: source ${JSON.stringify(call.body.source)} is not in the scanned tree; its resources are not scanned` });
        continue;
      }
      const dir = resolve(inst.def.dir, call.body.source);
      const def = this.modules.get(dir);
      if (!def) {
        this.notes.push({ file, line, message: `module.${name}: ${call.body.source} has no .tf files in the scanned tree` });
        continue;
      }
      if (inst.depth > 16) {
        this.notes.push({ file, line, message: `module.${name}: nesting deeper than 16 levels; stopped` });
        continue;
      }
      const list: ModuleInstance[] = [];
      for (const { key, each } of inst.instanceKeys(call.body, `module.${name}`, this.notes, file, line)) {
        const scope = new Map<string, Value>();
        if ('for_each' in call.body) scope.set('each', each);
        if ('count' in call.body) scope.set('count', { index: each });
        const inputs = new Map<string, () => Value>();
        for (const [arg, expr] of Object.entries(call.body)) {
          if (arg === 'source' || arg === 'version' || META_ARGS.has(arg) || arg === 'providers') continue;
          let memo: Value | undefined;
          inputs.set(arg, () => (memo ??= evalJsonValue(expr, inst, scope)));
        }
        const prefix = `${inst.prefix}module.${name}${keySuffix(key)}.`;
        const child = new ModuleInstance(def, prefix, inst.rootDir, inputs, this, inst.depth + 1);
        list.push(child);
      }
      inst.children.set(name, list);
    }
    for (const list of inst.children.values()) for (const c of list) this.instantiate(c);

    for (const b of inst.def.resources) {
      const line = b.src?.line ?? 1;
      const base = `${inst.prefix}${b.mode === 'data' ? 'data.' : ''}${b.type}.${b.name}`;
      let keys: { key: string | number | undefined; each: Value }[];
      try {
        keys = inst.instanceKeys(b.body, base, this.notes, b.file.rel, line);
      } catch (e) {
        this.notes.push({ file: b.file.rel, line, message: `${base}: ${(e as Error).message}` });
        keys = [{ key: undefined, each: null }];
      }
      for (const { key, each } of keys) {
        const scope = new Map<string, Value>([['\u0000top', true]]);
        if ('for_each' in b.body) scope.set('each', each);
        if ('count' in b.body) scope.set('count', { index: each });
        let attrs: ValueObject;
        try {
          attrs = inst.evalBody(b.body, scope);
        } catch (e) {
          if (!(e instanceof HclExprError)) throw e;
          this.notes.push({ file: b.file.rel, line, message: `${base}: an expression could not be read (${e.message}); attributes left unknown` });
          attrs = {};
        }
        const address = base + keySuffix(key);
        const attrLines: Record<string, number> = { ...(b.src?.deepLines ?? {}), ...(b.src?.attrLines ?? {}) };
        this.resources.push({
          id: `${rootRel}::${address}`,
          root: rootRel,
          address,
          type: b.type,
          name: b.name,
          key,
          mode: b.mode,
          source: 'terraform',
          file: b.file.rel,
          line,
          endLine: b.src?.endLine ?? line,
          attrs,
          attrLines,
        });
      }
    }
  }
}

export function joinRel(base: string, p: string): string {
  return relative(base, join(p)).split(sep).join('/');
}
