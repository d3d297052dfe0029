/**
 * Terraform plan JSON (`terraform show -json plan.out`, or of a state). The
 * plan has values resolved wherever Terraform knew them before apply; where
 * it did not (a new key's ARN), the configuration section still lists the
 * references of each expression, which become `Unknown` refs exactly like
 * the static `.tf` evaluation produces.
 */
import { isObject, Unknown, type Ref, type Value, type ValueObject } from './hcl/value.js';
import type { Resource } from './types.js';

export function isPlanJson(doc: unknown): boolean {
  return (
    isObject(doc as Value) &&
    typeof (doc as Record<string, unknown>).format_version === 'string' &&
    ('planned_values' in (doc as object) || 'values' in (doc as object) || 'resource_changes' in (doc as object))
  );
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

/** `aws_kms_key.k.arn` → { address: 'aws_kms_key.k', attr: 'arn' } under a module prefix. */
export function parseRefString(ref: string, prefix: string): Ref | undefined {
  const parts: string[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_-]*)((?:\[[^\]]*\])*)\.?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(ref)) && m[0] !== '') parts.push(m[1]! + (m[2] ?? ''));
  if (parts.length === 0) return undefined;
  const head = parts[0]!.replace(/\[.*$/, '');
  if (['var', 'local', 'each', 'count', 'path', 'terraform', 'self', 'module'].includes(head)) return undefined;
  if (head === 'data') {
    if (parts.length < 3) return undefined;
    return { address: `${prefix}data.${parts[1]}.${parts[2]}`, attr: parts[3]?.replace(/\[.*$/, '') ?? null };
  }
  if (parts.length < 2) return undefined;
  return { address: `${prefix}${parts[0]}.${parts[1]}`, attr: parts[2]?.replace(/\[.*$/, '') ?? null };
}

interface ConfigResource {
  expressions: Record<string, unknown>;
  prefix: string;
}

function collectConfig(mod: Record<string, unknown> | undefined, prefix: string, out: Map<string, ConfigResource>): void {
  if (!mod) return;
  for (const r of (mod.resources as Record<string, unknown>[] | undefined) ?? []) {
    out.set(prefix + String(r.address), { expressions: (r.expressions as Record<string, unknown>) ?? {}, prefix });
  }
  const calls = (mod.module_calls as Record<string, Record<string, unknown>> | undefined) ?? {};
  for (const [name, call] of Object.entries(calls)) {
    collectConfig(call.module as Record<string, unknown> | undefined, `${prefix}module.${name}.`, out);
  }
}

/** Replaces values Terraform did not know (null) with Unknown refs from the configuration expressions. */
function overlayRefs(value: Value, expr: unknown, prefix: string): Value {
  if (expr && typeof expr === 'object' && !Array.isArray(expr)) {
    const e = expr as Record<string, unknown>;
    if (Array.isArray(e.references)) {
      const refs = (e.references as string[]).map((r) => parseRefString(r, prefix)).filter((r): r is Ref => !!r);
      const uniq = refs.filter((r, i) => refs.findIndex((o) => o.address === r.address && o.attr === r.attr) === i);
      if ((value === null || value === undefined) && uniq.length) return new Unknown(uniq, String((e.references as string[])[0]));
      return value;
    }
    if ('constant_value' in e) return value;
    // A nested block: expressions is an object of attribute expressions.
    if (isObject(value)) {
      const o: ValueObject = { ...value };
      for (const [k, sub] of Object.entries(e)) o[k] = overlayRefs(o[k] ?? null, sub, prefix);
      return o;
    }
    if (value === null) {
      const o: ValueObject = {};
      let any = false;
      for (const [k, sub] of Object.entries(e)) {
        const v = overlayRefs(null, sub, prefix);
        if (v !== null) any = true;
        o[k] = v;
      }
      return any ? o : value;
    }
    return value;
  }
  if (Array.isArray(expr)) {
    const list = Array.isArray(value) ? value : value === null ? [] : [value];
    const n = Math.max(list.length, value === null ? expr.length : 0);
    const out: Value[] = [];
    for (let i = 0; i < n; i++) out.push(overlayRefs(list[i] ?? null, expr[i] ?? expr[0], prefix));
    return out;
  }
  return value;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function lineAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Strips instance keys: `module.m["a"].aws_s3_bucket.b[0]` → `module.m.aws_s3_bucket.b`. */
function configAddress(address: string): string {
  return address.replace(/\[[^\]]*\]/g, '');
}

export function loadPlan(doc: Record<string, unknown>, text: string, rel: string): Resource[] {
  const starts = lineStarts(text);
  const config = new Map<string, ConfigResource>();
  collectConfig((doc.configuration as Record<string, unknown> | undefined)?.root_module as Record<string, unknown> | undefined, '', config);
  const values = (doc.planned_values ?? doc.values) as Record<string, unknown> | undefined;
  const out: Resource[] = [];
  const seen = new Set<string>();
  const visit = (mod: Record<string, unknown> | undefined): void => {
    if (!mod) return;
    for (const r of (mod.resources as Record<string, unknown>[] | undefined) ?? []) {
      const address = String(r.address);
      if (seen.has(address)) continue;
      seen.add(address);
      const cfg = config.get(configAddress(address));
      let attrs = fromJson(r.values ?? {}) as ValueObject;
      if (cfg) attrs = overlayRefs(attrs, cfg.expressions, cfg.prefix) as ValueObject;
      const at = text.indexOf(`"address": ${JSON.stringify(address)}`);
      const at2 = at >= 0 ? at : text.indexOf(`"address":${JSON.stringify(address)}`);
      const line = at2 >= 0 ? lineAt(starts, at2) : 1;
      const index = r.index;
      out.push({
        id: `${rel}::${address}`,
        root: rel,
        address,
        type: String(r.type),
        name: String(r.name),
        key: typeof index === 'string' || typeof index === 'number' ? index : undefined,
        mode: r.mode === 'data' ? 'data' : 'managed',
        source: 'plan',
        file: rel,
        line,
        endLine: line,
        attrs,
        attrLines: {},
      });
    }
    for (const c of (mod.child_modules as Record<string, unknown>[] | undefined) ?? []) visit(c);
  };
  visit(values?.root_module as Record<string, unknown> | undefined);
  // A plan that only deletes or has unknown planned values still lists changes.
  for (const rc of (doc.resource_changes as Record<string, unknown>[] | undefined) ?? []) {
    const address = String(rc.address);
    if (seen.has(address)) continue;
    const change = rc.change as Record<string, unknown> | undefined;
    const actions = (change?.actions as string[] | undefined) ?? [];
    if (actions.length === 1 && actions[0] === 'delete') continue;
    seen.add(address);
    const cfg = config.get(configAddress(address));
    let attrs = fromJson(change?.after ?? {}) as ValueObject;
    if (cfg) attrs = overlayRefs(attrs, cfg.expressions, cfg.prefix) as ValueObject;
    const at = text.indexOf(`"address": ${JSON.stringify(address)}`);
    const line = at >= 0 ? lineAt(starts, at) : 1;
    out.push({
      id: `${rel}::${address}`,
      root: rel,
      address,
      type: String(rc.type),
      name: String(rc.name),
      mode: rc.mode === 'data' ? 'data' : 'managed',
      source: 'plan',
      file: rel,
      line,
      endLine: line,
      attrs,
      attrLines: {},
    });
  }
  return out;
}
