/**
 * IoC export: a STIX 2.1 bundle (OASIS STIX Version 2.1, 2021), and flat
 * CSV / JSON lines. Cyber-observable ids are deterministic UUIDv5 over their
 * ID-contributing properties as the spec requires (section 2.9); SDO ids are
 * UUIDv5 under MirrorWatch's own namespace so one incident always exports the
 * same bundle.
 */
import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { Incident } from '../correlate/index.js';
import type { Iocs } from './collect.js';
import { canonicalJson } from './evidence.js';
import { isIdnHostname } from './stix-check.js';

/** STIX 2.1 section 2.9: namespace for SCO UUIDv5 identifiers. */
const SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';
/** MirrorWatch's namespace for SDO identifiers (a fixed random UUID). */
const MW_NAMESPACE = '6f1d2f63-5b0e-4f55-9a43-1c1e0b1c7d2a';

/** RFC 4122 section 4.3 name-based UUID with SHA-1. */
export function uuidv5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export type StixObject = Record<string, unknown> & { type: string; id: string };

/** One object per id: equal observables (the same address or file seen twice) share a deterministic id, and a bundle's ids must be unique. */
const uniqueById = (xs: readonly StixObject[]): StixObject[] => [...new Map(xs.map((x) => [x.id, x])).values()];

/** A STIX pattern string literal: backslash and quote escaped (STIX 2.1 patterning, section 9.2). */
const lit = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const baseName = (p: string): string => p.replace(/[?#].*$/, '').replace(/\/+$/, '').split('/').pop() || p;
/** STIX file `size` is a non-negative integer (the schema's `minimum: 0`); log fields such as -1 for "unknown" are left out. */
const byteCount = (n: number | null | undefined): number | undefined => (Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : undefined);
const iso = (t: string): string => (Number.isNaN(Date.parse(t)) ? t : new Date(Date.parse(t)).toISOString());

/**
 * The observable of a source address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a
 * dual-stack Node socket reports) is the IPv4 client it maps; other IPv6 addresses are written
 * in the canonical hex form (RFC 5952), which the schema's pattern accepts where a dotted tail is not.
 */
export function addressObservable(ip: string): { type: 'ipv4-addr' | 'ipv6-addr'; value: string } | null {
  if (isIPv4(ip)) return { type: 'ipv4-addr', value: ip };
  if (!isIPv6(ip)) return null;
  const [addr, zone] = ip.split('%') as [string, string | undefined];
  const canon = new URL(`http://[${addr}]`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canon);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return { type: 'ipv4-addr', value: [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.') };
  }
  return { type: 'ipv6-addr', value: zone ? `${canon}%${zone}` : canon };
}

export function stixBundle(incident: Incident, iocs: Iocs, extra: { decision?: string | null; owner?: string | null } = {}): { type: 'bundle'; id: string; objects: StixObject[] } {
  const ts = new Date(Date.parse(incident.updated_at)).toISOString();
  const sdoId = (type: string, key: string): string => `${type}--${uuidv5(`${incident.id}\0${type}\0${key}`, MW_NAMESPACE)}`;
  const scoId = (type: string, idProps: Record<string, unknown>): string => `${type}--${uuidv5(canonicalJson(idProps), SCO_NAMESPACE)}`;
  const sdo = (type: string, key: string, props: Record<string, unknown>): StixObject => ({ type, spec_version: '2.1', id: sdoId(type, key), created: ts, modified: ts, created_by_ref: creator.id, ...props });
  const creator: StixObject = { type: 'identity', spec_version: '2.1', id: `identity--${uuidv5('MirrorWatch', MW_NAMESPACE)}`, created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', name: 'MirrorWatch', identity_class: 'system' };
  const objects: StixObject[] = [creator];
  const indicators: StixObject[] = [];
  const principal = incident.principals[0]!;
  const validFrom = new Date(Date.parse(iocs.window.start)).toISOString();
  const indicator = (key: string, name: string, pattern: string): void => {
    indicators.push(sdo('indicator', key, { name, pattern, pattern_type: 'stix', valid_from: validFrom, indicator_types: ['malicious-activity'], labels: ['model-theft'] }));
  };

  const person = sdo('identity', `principal:${principal}`, { name: principal, identity_class: 'individual', description: 'Principal named by the incident' });
  objects.push(person);
  const accounts: StixObject[] = [...new Set([principal, ...iocs.accessKeys, ...iocs.apiKeyIds])].map((u, i) => {
    const account_type = i === 0 ? 'ldap' : undefined;
    const idProps = { ...(account_type ? { account_type } : {}), user_id: u };
    return { type: 'user-account', spec_version: '2.1', id: scoId('user-account', idProps), user_id: u, ...(account_type ? { account_type, account_login: u } : { display_name: `credential of ${principal}` }) };
  });
  objects.push(...accounts);
  accounts.forEach((a) => indicator(`account:${String(a['user_id'])}`, `Account or key ${String(a['user_id'])}`, `[user-account:user_id = ${lit(String(a['user_id']))}]`));

  const ips = uniqueById(
    iocs.sourceIps.map(addressObservable).filter((a): a is NonNullable<typeof a> => !!a).map(({ type, value }) => ({ type, spec_version: '2.1', id: scoId(type, { value }), value }) as StixObject),
  );
  objects.push(...ips);
  ips.forEach((o) => indicator(`ip:${String(o['value'])}`, `Source address ${String(o['value'])}`, `[${o.type}:value = ${lit(String(o['value']))}]`));

  // Only real host names become domain-name observables (the schema's idn-hostname); every raw
  // destination stays on the uploads' observed-data and in the flat IoCs.
  const domains = [...new Set(iocs.uploads.map((u) => u.host).filter((h): h is string => !!h && isIdnHostname(h)))].sort().map((h) => ({ type: 'domain-name', spec_version: '2.1', id: scoId('domain-name', { value: h }), value: h }) as StixObject);
  objects.push(...domains);
  domains.forEach((o) => indicator(`domain:${String(o['value'])}`, `Upload destination ${String(o['value'])}`, `[domain-name:value = ${lit(String(o['value']))}]`));

  const uploadFiles = uniqueById(iocs.uploads.map((u) => {
    // The hash comes from the upload's log line: only a real SHA-256 goes into `hashes` (the
    // schema's pattern); anything else is kept, as reported, in a custom property.
    const real = u.sha256 && /^[0-9a-f]{64}$/i.test(u.sha256) ? u.sha256.toLowerCase() : null;
    const hashes = real ? { 'SHA-256': real } : undefined;
    const idProps = { ...(hashes ? { hashes } : {}), name: u.fileName };
    const size = byteCount(u.size);
    return { type: 'file', spec_version: '2.1', id: scoId('file', idProps), name: u.fileName, ...(hashes ? { hashes } : {}), ...(size !== undefined ? { size } : {}), ...(u.sha256 && !real ? { x_mirrorwatch_reported_sha256: u.sha256 } : {}) } as StixObject;
  }));
  const artifactFiles = uniqueById(iocs.artifacts.map((a) => {
    const size = byteCount(a.bytes);
    return { type: 'file', spec_version: '2.1', id: scoId('file', { name: baseName(a.uri) + (a.version ? `@${a.version}` : '') }), name: baseName(a.uri) + (a.version ? `@${a.version}` : ''), ...(size !== undefined ? { size } : {}), x_mirrorwatch_uri: a.uri } as StixObject;
  }));
  const files = uniqueById([...uploadFiles, ...artifactFiles]);
  objects.push(...files);
  for (const f of uploadFiles) {
    const h = (f['hashes'] as Record<string, string> | undefined)?.['SHA-256'];
    indicator(`file:${f.id}`, `Uploaded file ${String(f['name'])}`, h ? `[file:hashes.'SHA-256' = ${lit(h)}]` : `[file:name = ${lit(String(f['name']))}]`);
  }

  const observed: StixObject[] = [];
  const refs = (xs: readonly StixObject[]): string[] => xs.map((x) => x.id);
  for (const v of iocs.queryVolumes) {
    observed.push(sdo('observed-data', `volume:${v.day}`, { first_observed: `${v.day}T00:00:00.000Z`, last_observed: `${v.day}T23:59:59.999Z`, number_observed: Math.max(1, Math.min(999_999_999, v.requests)), object_refs: refs(accounts.slice(0, 1)), x_mirrorwatch_instances: v.instances }));
  }
  if (artifactFiles.length) {
    const first = iocs.artifacts.reduce((m, a) => (a.first < m ? a.first : m), iocs.artifacts[0]!.first);
    const last = iocs.artifacts.reduce((m, a) => (a.last > m ? a.last : m), iocs.artifacts[0]!.last);
    observed.push(sdo('observed-data', 'downloads', { first_observed: iso(first), last_observed: iso(last), number_observed: Math.min(999_999_999, Math.max(1, iocs.artifacts.reduce((s, a) => s + a.count, 0))), object_refs: [...new Set([accounts[0]!.id, ...refs(artifactFiles)])] }));
  }
  if (uploadFiles.length) {
    const times = iocs.uploads.map((u) => iso(u.at)).sort();
    observed.push(sdo('observed-data', 'uploads', { first_observed: times[0], last_observed: times[times.length - 1], number_observed: Math.min(999_999_999, iocs.uploads.length), object_refs: [...new Set([accounts[0]!.id, ...refs(uploadFiles), ...refs(domains)])], x_mirrorwatch_destinations: [...new Set(iocs.uploads.map((u) => u.destination))] }));
  }
  objects.push(...observed, ...indicators);

  const inc = sdo('incident', 'incident', {
    name: `Model theft incident ${incident.id}`,
    description: `Principal ${principal}; severity ${incident.severity}; risk ${incident.risk}; phases ${incident.phases.join(', ') || '-'}; vectors ${incident.vectors.join(', ') || '-'}; models ${iocs.models.join(', ') || '-'}${extra.decision ? `; decision: ${extra.decision} (${extra.owner ?? '-'})` : ''}`,
    external_references: [{ source_name: 'mirrorwatch', external_id: incident.id }],
  });
  objects.push(inc);
  const report = sdo('report', 'report', {
    name: `MirrorWatch IoCs for incident ${incident.id}`,
    published: ts,
    report_types: ['threat-actor', 'indicator', 'observed-data'],
    description: `Indicators of compromise of model-theft incident ${incident.id} (${iocs.window.start} .. ${iocs.window.end}).`,
    object_refs: objects.filter((o) => o.id !== creator.id).map((o) => o.id),
  });
  objects.push(report);
  return { type: 'bundle', id: `bundle--${uuidv5(`${incident.id}\0bundle\0${ts}`, MW_NAMESPACE)}`, objects };
}

export interface FlatIoc {
  type: string;
  value: string;
  context: string;
}

export function flatIocs(iocs: Iocs): FlatIoc[] {
  const out: FlatIoc[] = [];
  for (const p of iocs.principals) out.push({ type: 'principal', value: p, context: 'incident principal' });
  for (const k of iocs.apiKeyIds) out.push({ type: 'api_key_id', value: k, context: 'gateway API key seen in the window' });
  for (const k of iocs.accessKeys) out.push({ type: 'access_key', value: k, context: 'directory alias of the principal' });
  for (const ip of iocs.sourceIps) out.push({ type: 'source_ip', value: ip, context: 'source address in the window' });
  for (const ua of iocs.userAgents) out.push({ type: 'user_agent', value: ua, context: 'user agent in the window' });
  for (const v of iocs.queryVolumes) out.push({ type: 'query_volume', value: `${v.day}:${v.instances}`, context: `${v.requests} requests, ${v.instances} instances` });
  for (const a of iocs.artifacts) out.push({ type: 'artifact_uri', value: a.uri, context: `${a.count} download(s), ${a.bytes ?? '?'} bytes` });
  for (const o of iocs.objects) out.push({ type: 'object', value: `${o.provider}://${o.bucket ?? ''}/${o.key}`, context: `${o.count} read(s), ${o.bytes ?? '?'} bytes` });
  for (const u of iocs.uploads) {
    out.push({ type: 'destination', value: u.destination, context: `upload of ${u.fileName} at ${u.at}` });
    out.push({ type: 'file_name', value: u.fileName, context: `${u.size ?? '?'} bytes to ${u.host ?? u.destination}` });
    if (u.sha256) out.push({ type: 'sha256', value: u.sha256, context: u.fileName });
  }
  for (const m of iocs.models) out.push({ type: 'model', value: m, context: 'targeted model' });
  return out;
}

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are prefixed with a quote (OWASP CSV injection). */
export function iocsCsv(rows: readonly FlatIoc[]): string {
  const cell = (s: string): string => {
    const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return ['type,value,context', ...rows.map((r) => [r.type, r.value, r.context].map(cell).join(','))].join('\r\n') + '\r\n';
}
