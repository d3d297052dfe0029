/**
 * YAML inputs: Kubernetes manifests (multi-document, `kind: List` too) and the
 * MirrorWatch gateway's own configuration. Line numbers come from the YAML
 * parser's node ranges through a LineCounter.
 */
import { basename } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';
import { isObject, type Value, type ValueObject } from './hcl/value.js';
import type { Resource, ScanError } from './types.js';

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'Node',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'IngressClass',
  'PriorityClass',
  'MirrorWatchGateway',
]);

function fromJs(x: unknown): Value {
  if (Array.isArray(x)) return x.map(fromJs);
  if (x instanceof Date) return x.toISOString();
  if (x && typeof x === 'object') {
    const o: ValueObject = {};
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) o[k] = fromJs(v);
    return o;
  }
  if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return x;
  return null;
}

/** Dotted key path → line, for every map key in the node (array items use their index). */
function collectLines(node: YamlNode | null | undefined, lc: LineCounter, prefix: string, out: Record<string, number>, offset = 0): void {
  if (!node) return;
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const path = prefix ? `${prefix}.${key}` : key;
      const range = (pair.key as YamlNode | null)?.range;
      if (range && !(path in out)) out[path] = lc.linePos(range[0]).line + offset;
      collectLines(pair.value as YamlNode | null, lc, path, out, offset);
    }
  } else if (isSeq(node)) {
    node.items.forEach((it, i) => {
      const path = prefix ? `${prefix}.${i}` : String(i);
      const range = (it as YamlNode | null)?.range;
      if (range && !(path in out)) out[path] = lc.linePos(range[0]).line + offset;
      collectLines(it as YamlNode | null, lc, path, out, offset);
    });
  }
}

export interface YamlLoad {
  resources: Resource[];
  errors: ScanError[];
}

export function looksLikeGateway(obj: ValueObject, rel: string): boolean {
  if (obj.kind === 'MirrorWatchGateway') return true;
  return /gateway[^/]*\.ya?ml$/i.test(basename(rel)) && ('routes' in obj || 'roles' in obj || 'rate_limits' in obj);
}

export function loadYaml(text: string, rel: string): YamlLoad {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const resources: Resource[] = [];
  const errors: ScanError[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, di) => {
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
      errors.push({ file: rel, line: pos.line, column: pos.col, message: e.message.split('\n')[0]!, kind: 'parse' });
      return;
    }
    let js: unknown;
    try {
      js = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      errors.push({ file: rel, line: 1, message: (e as Error).message, kind: 'parse' });
      return;
    }
    const obj = fromJs(js);
    if (!isObject(obj)) return;
    const docLine = doc.contents?.range ? lc.linePos(doc.contents.range[0]).line : 1;
    const docEnd = doc.contents?.range ? lc.linePos(doc.contents.range[2] > 0 ? doc.contents.range[2] - 1 : 0).line : docLine;
    const lines: Record<string, number> = {};
    collectLines(doc.contents as YamlNode | null, lc, '', lines);

    if (looksLikeGateway(obj, rel)) {
      const meta = isObject(obj.metadata) ? obj.metadata : {};
      const name = typeof meta.name === 'string' ? meta.name : basename(rel).replace(/\.ya?ml$/i, '');
      resources.push({
        id: `${rel}::MirrorWatchGateway.${name}#${di}`,
        root: rel,
        address: `MirrorWatchGateway.${name}`,
        type: 'MirrorWatchGateway',
        name,
        mode: 'managed',
        source: 'gateway',
        file: rel,
        line: docLine,
        endLine: docEnd,
        attrs: obj,
        attrLines: lines,
      });
      return;
    }

    const items: { obj: ValueObject; prefix: string }[] = [];
    if (obj.kind === 'List' && Array.isArray(obj.items)) {
      obj.items.forEach((it, i) => {
        if (isObject(it)) items.push({ obj: it, prefix: `items.${i}` });
      });
    } else items.push({ obj, prefix: '' });

    for (const { obj: o, prefix } of items) {
      if (typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') continue;
      const meta = isObject(o.metadata) ? o.metadata : {};
      const name = typeof meta.name === 'string' ? meta.name : typeof meta.generateName === 'string' ? `${meta.generateName}*` : '(unnamed)';
      const cluster = CLUSTER_SCOPED.has(o.kind);
      const ns = cluster ? undefined : typeof meta.namespace === 'string' ? meta.namespace : 'default';
      const address = cluster ? `${o.kind}.${name}` : `${o.kind}.${ns}/${name}`;
      const sub: Record<string, number> = {};
      if (prefix) {
        for (const [k, v] of Object.entries(lines)) if (k.startsWith(prefix + '.')) sub[k.slice(prefix.length + 1)] = v;
      }
      const own = prefix ? sub : lines;
      const line = prefix ? (lines[prefix] ?? docLine) : docLine;
      resources.push({
        id: `${rel}::${address}#${di}${prefix}`,
        root: rel,
        address,
        type: o.kind,
        name,
        mode: 'managed',
        source: 'kubernetes',
        file: rel,
        line,
        endLine: prefix ? line : docEnd,
        attrs: o,
        attrLines: own,
        ...(ns !== undefined ? { namespace: ns } : {}),
      });
    }
  });
  return { resources, errors };
}

/** Comments in a YAML file with their lines (for inline suppressions). */
export function yamlComments(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /(^|\s)(#.*)$/.exec(l);
    if (m) out.push({ line: i + 1, text: m[2]! });
  });
  return out;
}
