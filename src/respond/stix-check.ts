/**
 * STIX 2.1 bundle validation. Structure is checked by the OASIS STIX 2.1
 * JSON schemas themselves (oasis-open/cti-stix2-json-schemas, JSON Schema
 * draft 2020-12, vendored unchanged in data/stix/, sources in data/README.md)
 * with ajv; $refs resolve against the vendored files only, never the network.
 * On top come the rules the schemas' own README says they cannot express:
 * references resolve within the bundle, `modified` is not before `created`,
 * ids are unique; plus the observation window order and the STIX pattern
 * shape of the indicators MirrorWatch writes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { domainToASCII } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { MwError } from '../errors/index.js';
import { repoRoot } from '../util/repo-root.js';

/** Where the OASIS schemas say they live (their `$id` base). */
const OASIS_BASE = 'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/';
/** The `$id` base of the one file taken from a fork of the OASIS repository (data/README.md says why). */
const FORK_BASE = 'https://raw.githubusercontent.com/707eric/cti-stix2-json-schemas/refs/heads/master/schemas/';

export interface StixProblem {
  /** JSON pointer into the bundle, e.g. `/objects/3/valid_from`. */
  path: string;
  /** The id of the object the problem is in, when there is one. */
  object: string | null;
  message: string;
}

export const formatStixProblem = (p: StixProblem): string => `${p.path || '/'}${p.object ? ` (${p.object})` : ''}: ${p.message}`;

/** JSON Schema's `idn-hostname` (RFC 5890), which ajv-formats lacks: a name whose ASCII (punycode) form is a hostname. */
export function isIdnHostname(s: string): boolean {
  const ascii = domainToASCII(s);
  return ascii !== '' && (fullFormats.hostname as RegExp).test(ascii);
}

interface SchemaSet {
  bundle: ValidateFunction;
  byType: Map<string, ValidateFunction>;
  /** Files the vendored schemas $ref that are not vendored: registered as reject-all. */
  absent: string[];
}

let cached: SchemaSet | undefined;

function listJson(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listJson(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : []));
}

function collectRefs(node: unknown, base: string, out: Set<string>): void {
  if (Array.isArray(node)) for (const x of node) collectRefs(x, base, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) out.add(new URL(v, base).href.replace(/#.*$/, ''));
      else collectRefs(v, base, out);
    }
  }
}

/** Compiles the vendored schemas once. Exported for the tests and docs (which files stand in as reject-all). */
export function stixSchemas(): SchemaSet {
  if (cached) return cached;
  // The published patterns use escapes (`\-`, `\/`) that JavaScript's unicode regexp mode rejects;
  // they are the schemas' own text, so they are compiled in non-unicode mode rather than edited.
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: false, validateSchema: false, unicodeRegExp: false });
  (addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addFormat('idn-hostname', isIdnHostname);
  const schemas = new Map<string, Record<string, unknown>>();
  for (const file of listJson(join(repoRoot(), 'data', 'stix'))) {
    const { $schema: _declared, ...schema } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    schemas.set(String(schema['$id']), schema);
  }
  const refs = new Set<string>();
  for (const [id, s] of schemas) collectRefs(s, id, refs);
  const absent: string[] = [];
  for (const ref of refs) {
    if (schemas.has(ref)) continue;
    const other = ref.startsWith(FORK_BASE) ? OASIS_BASE + ref.slice(FORK_BASE.length) : ref.startsWith(OASIS_BASE) ? FORK_BASE + ref.slice(OASIS_BASE.length) : null;
    // The fork file refers to its siblings by the fork's URLs, and the OASIS files to core.json by
    // OASIS's: each points to the vendored file of the same path.
    if (other && schemas.has(other)) ajv.addSchema({ $id: ref, $ref: other });
    else {
      // A type MirrorWatch never writes (artifact, process, malware, ...): anything claiming it fails.
      absent.push(ref.startsWith(OASIS_BASE) ? ref.slice(OASIS_BASE.length) : ref);
      ajv.addSchema({ $id: ref, not: {} });
    }
  }
  for (const s of schemas.values()) ajv.addSchema(s);
  const byType = new Map<string, ValidateFunction>();
  for (const [id, s] of schemas) {
    const m = /\/schemas\/(sdos|sros|observables)\/([a-z0-9-]+)\.json$/.exec(id);
    if (m && typeof s['title'] === 'string') byType.set(m[2]!, ajv.getSchema(id)!);
  }
  cached = { bundle: ajv.getSchema(`${OASIS_BASE}common/bundle.json`)!, byType, absent: absent.sort() };
  return cached;
}

/** One readable message per failing location: the alternatives of an anyOf/oneOf are summarised, not listed one by one. */
function describe(errors: readonly ErrorObject[], prefix: string, object: string | null): StixProblem[] {
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  const out: StixProblem[] = [];
  for (const [path, list] of byPath) {
    const where = prefix + path;
    const alt = list.find((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
    const leaves = list.filter((e) => !['anyOf', 'oneOf', 'allOf', 'if'].includes(e.keyword));
    const missing = leaves.filter((e) => e.keyword === 'required').map((e) => String((e.params as { missingProperty: string }).missingProperty));
    if (alt && !leaves.some((e) => e.keyword === 'type' || e.keyword === 'format')) {
      const forms = [...new Set(leaves.filter((e) => e.keyword !== 'not').map((e) => (e.keyword === 'pattern' ? `/${String((e.params as { pattern: string }).pattern)}/` : e.keyword === 'required' ? `with ${String((e.params as { missingProperty: string }).missingProperty)}` : e.message ?? e.keyword)))];
      const value = alt.data !== undefined && typeof alt.data !== 'object' ? `${JSON.stringify(alt.data)} ` : '';
      out.push({ path: where, object, message: `${value}matches none of the ${alt.keyword === 'oneOf' ? 'exclusive' : 'allowed'} forms${forms.length ? ` (${forms.slice(0, 4).join(', ')}${forms.length > 4 ? `, ${forms.length - 4} more` : ''})` : ''}` });
      continue;
    }
    if (missing.length) out.push({ path: where, object, message: `missing required propert${missing.length > 1 ? 'ies' : 'y'} ${missing.map((m) => `'${m}'`).join(', ')}` });
    for (const e of leaves) {
      if (e.keyword === 'required') continue;
      const msg =
        e.keyword === 'additionalProperties' ? `property '${String((e.params as { additionalProperty: string }).additionalProperty)}' is not allowed`
        : e.keyword === 'enum' ? `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(e.data)})`
        : e.keyword === 'pattern' ? `${JSON.stringify(e.data)} does not match /${String((e.params as { pattern: string }).pattern)}/`
        : e.keyword === 'not' && path.endsWith('/type') ? `type ${JSON.stringify(e.data)} is not allowed here`
        : e.keyword === 'not' ? 'is of a form the schema excludes (a reserved property or an unsupported type)'
        : e.keyword === 'format' ? `${JSON.stringify(e.data)} is not a valid ${String((e.params as { format: string }).format)}`
        : `${e.message ?? e.keyword}${e.data !== undefined && typeof e.data !== 'object' ? ` (got ${JSON.stringify(e.data)})` : ''}`;
      out.push({ path: where, object, message: msg });
    }
  }
  return dedupe(out);
}

function dedupe(ps: StixProblem[]): StixProblem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = formatStixProblem(p);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
/** The shape of the single-comparison patterns MirrorWatch writes (STIX 2.1 section 9); the schemas only require a string. */
const SIMPLE_PATTERN = /^\[[a-z0-9-]+:[A-Za-z0-9_.'-]+ = '(?:[^'\\]|\\.)*'\]$/;

/**
 * Every problem of a bundle, schema and semantic, in bundle order. An empty
 * list means the bundle is valid STIX 2.1 as far as the schemas and these
 * checks can tell.
 */
export function validateStixBundle(bundle: unknown): StixProblem[] {
  const set = stixSchemas();
  const problems: StixProblem[] = [];
  if (!set.bundle(bundle)) problems.push(...describe((set.bundle.errors ?? []).filter((e) => !/^\/objects\/\d+/.test(e.instancePath)), '', null));
  const objects = isObj(bundle) && Array.isArray(bundle['objects']) ? (bundle['objects'] as unknown[]) : [];
  const ids = new Map<string, number>();
  objects.forEach((o, i) => {
    const at = `/objects/${i}`;
    if (!isObj(o)) return void problems.push({ path: at, object: null, message: 'must be an object' });
    const id = typeof o['id'] === 'string' ? o['id'] : null;
    const type = String(o['type']);
    const v = set.byType.get(type);
    if (!v) problems.push({ path: `${at}/type`, object: id, message: `${JSON.stringify(o['type'])} is not a STIX type with a vendored schema (data/stix)` });
    else if (!v(o)) problems.push(...describe(v.errors ?? [], at, id));
    if (id) {
      if (ids.has(id)) problems.push({ path: `${at}/id`, object: id, message: `duplicate id (also /objects/${ids.get(id)!})` });
      else ids.set(id, i);
    }
    if (typeof o['created'] === 'string' && typeof o['modified'] === 'string' && Date.parse(o['modified']) < Date.parse(o['created'])) problems.push({ path: `${at}/modified`, object: id, message: `modified ${o['modified']} is before created ${o['created']}` });
    if (typeof o['first_observed'] === 'string' && typeof o['last_observed'] === 'string' && Date.parse(o['last_observed']) < Date.parse(o['first_observed'])) problems.push({ path: `${at}/last_observed`, object: id, message: `last_observed ${o['last_observed']} is before first_observed ${o['first_observed']}` });
    if (type === 'indicator' && o['pattern_type'] === 'stix' && typeof o['pattern'] === 'string' && !SIMPLE_PATTERN.test(o['pattern'])) problems.push({ path: `${at}/pattern`, object: id, message: `${JSON.stringify(o['pattern'])} is not a STIX comparison expression` });
  });
  // STIX 2.1 section 3.3 (and the schemas README): references must resolve; in an exported bundle, within the bundle.
  objects.forEach((o, i) => {
    if (!isObj(o)) return;
    for (const [k, v] of Object.entries(o)) {
      const refs = k.endsWith('_refs') && Array.isArray(v) ? v : k.endsWith('_ref') ? [v] : [];
      refs.forEach((ref, j) => {
        if (typeof ref === 'string' && !ids.has(ref)) problems.push({ path: `/objects/${i}/${k}${k.endsWith('_refs') ? `/${j}` : ''}`, object: typeof o['id'] === 'string' ? o['id'] : null, message: `${ref} is not in the bundle` });
      });
    }
  });
  return dedupe(problems);
}

/** The problems as `path (object id): message` lines; empty when the bundle is valid. */
export function checkStixBundle(bundle: unknown): string[] {
  return validateStixBundle(bundle).map(formatStixProblem);
}

/** Returns the bundle if it validates; otherwise MW_ERR_RESPOND_STIX_INVALID listing every problem (nothing invalid is exported). */
export function assertValidStix<T>(bundle: T, what: string): T {
  const problems = validateStixBundle(bundle);
  if (problems.length) throw new MwError('MW_ERR_RESPOND_STIX_INVALID', `the STIX bundle of ${what} fails validation against the STIX 2.1 schemas (${problems.length} problem(s)):\n${problems.map(formatStixProblem).join('\n')}`, { problems });
  return bundle;
}
