import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Incident } from '../correlate/index.js';
import type { Iocs } from './collect.js';
import { createStorageConnector, storagePolicies, shellQuote } from './connectors.js';
import { flatIocs, iocsCsv, stixBundle, uuidv5 } from './stix.js';
import { checkStixBundle } from './stix-check.js';

const incident: Incident = {
  id: 'a'.repeat(24),
  principals: ["o'brien"],
  opened_at: '2026-03-02T09:00:00.000Z',
  updated_at: '2026-03-04T09:00:00.000Z',
  severity: 'critical',
  risk: 95,
  phases: ['api_extraction', 'artifact_theft', 'exfiltration'],
  vectors: ['extraction_via_api', 'weight_theft', 'insider_copy'],
  models: [{ name: 'binding-affinity-predictor', classification: 'TRADE_SECRET', estimated_value: 45e6, team: 'comp-chem' }],
  alerts: [],
  timeline: [],
};
const iocs: Iocs = {
  principals: ["o'brien", 'ob@example.com'],
  apiKeyIds: ['f5de5908d1df'],
  accessKeys: ['AKIAEXAMPLE000000001', 'f5de5908d1df', 'arn:aws:iam::123456789012:user/obrien'],
  sourceIps: ['10.0.0.5', '2001:db8::7', 'not-an-ip'],
  userAgents: ['python-requests/2.32'],
  queryVolumes: [{ day: '2026-03-02', requests: 120, instances: 6000 }, { day: '2026-03-03', requests: 0, instances: 0 }],
  artifacts: [{ uri: 's3://models/binding-affinity-predictor/3/model.pt', model: 'binding-affinity-predictor', version: '3', bytes: 1048576, first: '2026-03-03T10:00:00.000Z', last: '2026-03-03T10:05:00.000Z', count: 2 }],
  objects: [{ provider: 's3', bucket: 'models', key: 'binding-affinity-predictor/3/model.pt', bytes: 1048576, first: '2026-03-03T10:00:00.000Z', count: 1 }, { provider: 'minio', bucket: 'datasets', key: 'assays/train/part-0001.parquet', bytes: 5000, first: '2026-03-03T11:00:00.000Z', count: 1 }],
  uploads: [{ destination: 'https://drive.example.net/upload', host: 'drive.example.net', fileName: '=cmd|backup.7z.001', size: 52428800, sha256: 'AB'.repeat(32), at: '2026-03-04T08:00:00.000Z' }],
  models: ['binding-affinity-predictor'],
  window: { start: '2026-03-01T00:00:00.000Z', end: '2026-03-04T09:00:00.000Z' },
};

describe('IoC export', () => {
  it('UUIDv5 matches the RFC 4122 reference (python uuid5(NAMESPACE_DNS, "python.org"))', () => {
    assert.equal(uuidv5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('builds a STIX 2.1 bundle with every required property, resolvable refs and escaped patterns', () => {
    const b = stixBundle(incident, iocs, { decision: 'Contain immediately and revoke', owner: 'Incident commander' });
    assert.deepEqual(checkStixBundle(b), []);
    const types = new Set(b.objects.map((o) => o.type));
    for (const t of ['identity', 'user-account', 'ipv4-addr', 'ipv6-addr', 'file', 'domain-name', 'indicator', 'observed-data', 'report', 'incident']) assert.ok(types.has(t), t);
    // SCO ids follow the spec's deterministic UUIDv5 over ID-contributing properties.
    const ip = b.objects.find((o) => o.type === 'ipv4-addr')!;
    assert.equal(ip.id, `ipv4-addr--${uuidv5('{"value":"10.0.0.5"}', '00abedb4-aa42-466c-9c01-fed23315a9b7')}`);
    assert.ok(!b.objects.some((o) => o['value'] === 'not-an-ip'), 'only addresses become ip observables');
    const pat = b.objects.filter((o) => o.type === 'indicator').map((o) => String(o['pattern']));
    assert.ok(pat.includes("[user-account:user_id = 'o\\'brien']"), pat.join('\n'));
    assert.ok(pat.includes(`[file:hashes.'SHA-256' = '${'ab'.repeat(32)}']`));
    // Zero-request days still give a valid count.
    assert.ok(b.objects.filter((o) => o.type === 'observed-data').every((o) => (o['number_observed'] as number) >= 1));
    const report = b.objects.find((o) => o.type === 'report')!;
    assert.equal((report['object_refs'] as string[]).length, b.objects.length - 2, 'the report ties every object but the creator and itself');
    assert.deepEqual(stixBundle(incident, iocs), stixBundle(incident, iocs), 'deterministic');
    // The checker itself catches what it should.
    const broken = { ...b, objects: b.objects.map((o) => (o.type === 'indicator' ? { ...o, valid_from: undefined } : o.type === 'report' ? { ...o, object_refs: ['file--00000000-0000-4000-8000-000000000000'] } : o)) };
    const problems = checkStixBundle(broken);
    assert.ok(problems.some((p) => /missing valid_from/.test(p)) && problems.some((p) => /not in the bundle/.test(p)));
  });

  it('writes CSV safe for spreadsheets and flat JSON rows', () => {
    const rows = flatIocs(iocs);
    assert.ok(rows.some((r) => r.type === 'sha256'));
    const csv = iocsCsv(rows);
    assert.ok(csv.startsWith('type,value,context\r\n'));
    assert.ok(csv.includes("'=cmd|backup.7z.001"), 'formula-looking cells are neutralised');
  });

  it('generates storage deny policies for the model prefixes and quotes names in commands', () => {
    const step = { id: 'lock_storage', name: 'lock', connector: 'storage' as const, action: 'deny_policy', params: {}, mode: 'manual' as const };
    const models = [
      { name: 'binding-affinity-predictor', team: 'comp-chem', classification: 'TRADE_SECRET' as const, estimatedValue: 1, artifactLocation: 's3://models/binding-affinity-predictor/', architecture: null, latestVersion: '3', tags: {} },
      { name: 'other', team: 'x', classification: 'INTERNAL' as const, estimatedValue: 1, artifactLocation: 's3://models/other/', architecture: null, latestVersion: '1', tags: {} },
    ];
    const out = storagePolicies({ incident, step, iocs, models, reason: 'r', dryRun: false });
    assert.deepEqual(out.prefixes, ['minio://datasets/assays/train/', 's3://models/binding-affinity-predictor/']);
    const s3 = JSON.parse(Object.entries(out.files).find(([f]) => f.includes('-s3-'))![1]) as { Statement: Array<{ Effect: string; Resource: string[] | string; Principal: unknown }> };
    assert.ok(s3.Statement.every((s) => s.Effect === 'Deny'));
    assert.deepEqual(s3.Statement[0]!.Resource, ['arn:aws:s3:::models/binding-affinity-predictor/*']);
    assert.deepEqual(s3.Statement[2]!.Principal, { AWS: ['arn:aws:iam::123456789012:user/obrien'] });
    assert.ok(out.commands.some((c) => c.includes(`--user ${shellQuote("o'brien")}`)));
    assert.equal(shellQuote("o'brien"), `'o'\\''brien'`);
    const exp = storagePolicies({ incident, step: { ...step, action: 'disable_export' }, iocs, models, reason: 'r', dryRun: false });
    assert.ok(exp.commands[0]!.includes('NO_PERMISSIONS') && exp.commands[0]!.includes('binding-affinity-predictor'));
  });

  it('refuses to report a storage lock when no location is known', async () => {
    const step = { id: 'lock_storage', name: 'lock', connector: 'storage' as const, action: 'deny_policy', params: {}, mode: 'manual' as const };
    const r = await createStorageConnector().execute({ incident, step, iocs: { ...iocs, objects: [] }, models: [], reason: 'r', dryRun: false });
    assert.equal(r.ok, false);
    assert.match(r.error!, /model inventory/);
  });
});
