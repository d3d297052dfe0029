/**
 * Checks a STIX 2.1 bundle against the required properties and value rules
 * of the specification (OASIS STIX Version 2.1, sections 3-6) for the object
 * types MirrorWatch exports. Returns every problem found; an empty list means
 * the bundle passes. Used by tests and by `incident export-stix` consumers'
 * sanity checks; not a full implementation of the JSON schemas.
 */
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const ID = /^([a-z0-9-]+)--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const SDO_REQUIRED: Record<string, string[]> = {
  identity: ['name'],
  indicator: ['pattern', 'pattern_type', 'valid_from'],
  'observed-data': ['first_observed', 'last_observed', 'number_observed'],
  report: ['name', 'published', 'object_refs'],
  incident: ['name'],
};
const SCO_REQUIRED: Record<string, string[]> = {
  'user-account': [],
  'ipv4-addr': ['value'],
  'ipv6-addr': ['value'],
  'domain-name': ['value'],
  url: ['value'],
  file: [],
};

export function checkStixBundle(bundle: { type: string; id: string; objects: Array<Record<string, unknown>> }): string[] {
  const problems: string[] = [];
  if (bundle.type !== 'bundle') problems.push('bundle: type must be "bundle"');
  if (!ID.test(bundle.id) || !bundle.id.startsWith('bundle--')) problems.push(`bundle: bad id ${bundle.id}`);
  const ids = new Set<string>();
  for (const o of bundle.objects) {
    const id = String(o['id']);
    const type = String(o['type']);
    const where = `${type} ${id}`;
    const m = ID.exec(id);
    if (!m || m[1] !== type) problems.push(`${where}: id must be "${type}--<uuid>"`);
    if (ids.has(id)) problems.push(`${where}: duplicate id`);
    ids.add(id);
    if (type in SDO_REQUIRED) {
      if (o['spec_version'] !== '2.1') problems.push(`${where}: spec_version must be "2.1"`);
      for (const k of ['created', 'modified', ...SDO_REQUIRED[type]!]) if (o[k] === undefined) problems.push(`${where}: missing ${k}`);
      for (const k of ['created', 'modified', 'valid_from', 'published', 'first_observed', 'last_observed']) if (o[k] !== undefined && !TS.test(String(o[k]))) problems.push(`${where}: ${k} is not a UTC timestamp`);
      if (o['modified'] !== undefined && String(o['modified']) < String(o['created'])) problems.push(`${where}: modified before created`);
    } else if (type in SCO_REQUIRED) {
      if (o['spec_version'] !== undefined && o['spec_version'] !== '2.1') problems.push(`${where}: spec_version must be "2.1"`);
      for (const k of SCO_REQUIRED[type]!) if (o[k] === undefined) problems.push(`${where}: missing ${k}`);
      if (type === 'file' && o['name'] === undefined && o['hashes'] === undefined) problems.push(`${where}: a file needs hashes or name`);
      if (type === 'user-account' && Object.keys(o).filter((k) => !['type', 'id', 'spec_version'].includes(k)).length === 0) problems.push(`${where}: a user-account needs at least one property`);
      if (type === 'file' && o['size'] !== undefined && !(Number.isInteger(o['size']) && (o['size'] as number) >= 0)) problems.push(`${where}: size must be a non-negative integer`);
    } else problems.push(`${where}: type not expected in a MirrorWatch bundle`);
    if (type === 'observed-data') {
      const n = o['number_observed'] as number;
      if (!(Number.isInteger(n) && n >= 1 && n <= 999_999_999)) problems.push(`${where}: number_observed must be 1..999999999`);
      if (String(o['last_observed']) < String(o['first_observed'])) problems.push(`${where}: last_observed before first_observed`);
      if (!Array.isArray(o['object_refs']) || !(o['object_refs'] as unknown[]).length) problems.push(`${where}: object_refs must be a non-empty list`);
    }
    if (type === 'indicator') {
      if (o['pattern_type'] === 'stix' && !/^\[[a-z0-9-]+:[A-Za-z0-9_.'-]+ = '(?:[^'\\]|\\.)*'\]$/.test(String(o['pattern']))) problems.push(`${where}: pattern ${String(o['pattern'])} is not a STIX comparison expression`);
    }
    if (type === 'report' && !(Array.isArray(o['object_refs']) && (o['object_refs'] as unknown[]).length)) problems.push(`${where}: object_refs must be a non-empty list`);
  }
  for (const o of bundle.objects) {
    for (const [k, v] of Object.entries(o)) {
      const refs = k.endsWith('_refs') ? (v as string[]) : k.endsWith('_ref') ? [v as string] : [];
      for (const ref of refs) if (!ids.has(ref)) problems.push(`${String(o['type'])} ${String(o['id'])}: ${k} points to ${ref}, not in the bundle`);
    }
  }
  return problems;
}
