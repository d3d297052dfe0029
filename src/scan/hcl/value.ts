/**
 * Values produced by evaluating Terraform configuration statically.
 *
 * Most of what matters for posture (names, flags, numbers, policy documents)
 * is known before `terraform apply`; what is not (ARNs, ids, values from data
 * sources) becomes an `Unknown` that still remembers which resources the
 * expression referenced, so rules can follow `kms_master_key_id =
 * aws_kms_key.models.arn` to the key even though its ARN does not exist yet.
 */

/** A reference from an expression to a resource (or data source) attribute. */
export interface Ref {
  /** Address within its root module, e.g. `aws_kms_key.k`, `module.m.aws_s3_bucket.b["a"]`, `data.aws_iam_policy_document.p`. */
  address: string;
  /** Attribute read (`arn`, `id`), or null when the whole object is referenced. */
  attr: string | null;
}

export class Unknown {
  constructor(
    readonly refs: readonly Ref[],
    /** The source text of the expression, for messages. */
    readonly text: string,
  ) {}
}

export type Value = null | boolean | number | string | Value[] | ValueObject | Unknown;
export interface ValueObject {
  [key: string]: Value;
}

export function isUnknown(v: unknown): v is Unknown {
  return v instanceof Unknown;
}

export function isObject(v: unknown): v is ValueObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Unknown);
}

/** Every reference reachable inside a value (deduplicated). */
export function refsOf(v: Value | undefined, out: Ref[] = []): Ref[] {
  if (v instanceof Unknown) {
    for (const r of v.refs) if (!out.some((o) => o.address === r.address && o.attr === r.attr)) out.push(r);
  } else if (Array.isArray(v)) {
    for (const x of v) refsOf(x, out);
  } else if (isObject(v)) {
    for (const x of Object.values(v)) refsOf(x, out);
  }
  return out;
}

/** The first block of a nested block list (hcl2json renders `versioning { }` as a one-element array). */
export function block(v: Value | undefined): ValueObject | undefined {
  if (Array.isArray(v)) {
    const first = v.find(isObject);
    return first;
  }
  return isObject(v) ? v : undefined;
}

/** All blocks of a nested block list. */
export function blocks(v: Value | undefined): ValueObject[] {
  if (Array.isArray(v)) return v.filter(isObject);
  return isObject(v) ? [v] : [];
}

/** Reads a dotted path through blocks and objects: `get(attrs, 'rule.apply_server_side_encryption_by_default.sse_algorithm')`. */
export function get(v: Value | undefined, path: string): Value | undefined {
  let cur: Value | undefined = v;
  for (const part of path.split('.')) {
    const b = block(cur);
    if (!b) return undefined;
    cur = b[part];
  }
  return cur;
}

export function str(v: Value | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: Value | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Terraform coerces "true"/"false" strings to bool; so do we. */
export function bool(v: Value | undefined): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

/** A short human rendering of a value for messages. */
export function show(v: Value | undefined): string {
  if (v === undefined) return '(unset)';
  if (v instanceof Unknown) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Unknown ? `\${${x.text}}` : x));
}

/** Converts a value to plain JSON, rendering unknowns as `${expr}` (how Terraform shows them in plans). */
export function toPlain(v: Value | undefined): unknown {
  if (v === undefined) return null;
  if (v instanceof Unknown) return `\${${v.text}}`;
  if (Array.isArray(v)) return v.map(toPlain);
  if (isObject(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = toPlain(x);
    return o;
  }
  return v;
}
