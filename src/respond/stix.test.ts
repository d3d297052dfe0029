import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Incident } from '../correlate/index.js';
import type { Iocs } from './collect.js';
import { createStorageConnector, storagePolicies, shellQuote } from './connectors.js';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { repoRoot } from '../util/repo-root.js';
import { MwError } from '../errors/index.js';
import { addressObservable, flatIocs, iocsCsv, stixBundle, uuidv5, type StixObject } from './stix.js';
import { assertValidStix, checkStixBundle, stixSchemas, validateStixBundle } from './stix-check.js';

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
    assert.deepEqual(validateStixBundle(b), []);
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
  });

  it('validates against the vendored OASIS STIX 2.1 schemas, resolving every $ref locally', () => {
    const set = stixSchemas();
    // Every type the export writes has its own official schema; the rest of the STIX types stand in as reject-all.
    for (const t of ['identity', 'indicator', 'observed-data', 'report', 'incident', 'user-account', 'ipv4-addr', 'ipv6-addr', 'domain-name', 'file']) assert.ok(set.byType.has(t), t);
    assert.ok(set.absent.includes('sdos/malware.json') && !set.absent.some((a) => /identity|indicator|observed-data|report|user-account|ipv4|ipv6|domain-name|\/file|core/.test(a)), set.absent.join(' '));
    const b = stixBundle(incident, iocs);
    assert.deepEqual(validateStixBundle(b), []);
    const malware = { type: 'malware', spec_version: '2.1', id: 'malware--00000000-0000-4000-8000-000000000000', created: incident.updated_at, modified: incident.updated_at, name: 'x', is_family: false };
    assert.match(checkStixBundle({ ...b, objects: [...b.objects, malware] }).join('\n'), /\/objects\/\d+\/type \(malware--[^)]+\): "malware" is not a STIX type with a vendored schema/);
  });

  it('ships exactly the schema files data/README.md lists, with the hashes it records', () => {
    const root = join(repoRoot(), 'data');
    const listed = new Map([...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/^\| `((?:oasis-open|707eric)\/schemas\/[^`]+)` \|.*\| ([0-9a-f]{12}) \|$/gm)].map((m) => [`stix/${m[1]!}`, m[2]!]));
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    const shipped = walk(join(root, 'stix')).map((f) => relative(root, f).split('\\').join('/'));
    assert.deepEqual(shipped.sort(), [...listed.keys()].sort());
    for (const f of shipped) assert.equal(createHash('sha256').update(readFileSync(join(root, f))).digest('hex').slice(0, 12), listed.get(f), f);
  });

  it('rejects a broken bundle with the JSON path, object id and reason of each problem', () => {
    const b = stixBundle(incident, iocs);
    const at = (type: string): number => b.objects.findIndex((o) => o.type === type);
    const edit = (i: number, f: (o: StixObject) => StixObject): StixObject[] => b.objects.map((o, j) => (j === i ? f(structuredClone(o)) : o));
    const cases: Array<[string, StixObject[] | null, Record<string, unknown> | null, RegExp]> = [
      ['missing spec_version', edit(at('indicator'), ({ spec_version: _x, ...o }) => o as StixObject), null, new RegExp(`^/objects/${at('indicator')} \\(indicator--[0-9a-f-]+\\): missing required property 'spec_version'$`)],
      ['bad id format', edit(at('identity'), (o) => ({ ...o, id: 'identity--1234' })), null, new RegExp(`^/objects/${at('identity')}/id \\(identity--1234\\): "identity--1234" does not match`)],
      ['bad timestamp', edit(at('indicator'), (o) => ({ ...o, valid_from: '2026-03-01 00:00:00' })), null, new RegExp(`^/objects/${at('indicator')}/valid_from \\(indicator--[0-9a-f-]+\\): "2026-03-01 00:00:00" does not match`)],
      ['created without milliseconds', edit(at('report'), (o) => ({ ...o, created: '2026-03-04T09:00:00Z' })), null, /\/created \(report--[0-9a-f-]+\): "2026-03-04T09:00:00Z" does not match \/T\\d\{2\}/],
      ['observation pointing at an SDO', edit(at('observed-data'), (o) => ({ ...o, object_refs: [b.objects[0]!.id] })), null, new RegExp(`^/objects/${at('observed-data')}/object_refs/0 \\(observed-data--[0-9a-f-]+\\): "identity--[0-9a-f-]+" matches none of the allowed forms`)],
      ['report pointing outside the bundle', edit(at('report'), (o) => ({ ...o, object_refs: ['file--00000000-0000-4000-8000-000000000000'] })), null, /\/object_refs\/0 \(report--[0-9a-f-]+\): file--00000000-0000-4000-8000-000000000000 is not in the bundle$/],
      ['modified before created', edit(at('incident'), (o) => ({ ...o, modified: '2026-01-01T00:00:00.000Z' })), null, /\/modified \(incident--[0-9a-f-]+\): modified 2026-01-01T00:00:00.000Z is before created/],
      ['duplicate id', [...b.objects, b.objects[1]!], null, /\/id \(identity--[0-9a-f-]+\): duplicate id \(also \/objects\/1\)$/],
      ['negative file size', edit(at('file'), (o) => ({ ...o, size: -1 })), null, /\/size \(file--[0-9a-f-]+\): must be >= 0/],
      ['bundle id of another type', null, { id: 'report--00000000-0000-4000-8000-000000000000' }, /^\/id: "report--00000000-0000-4000-8000-000000000000" does not match \/\^bundle--\/$/],
    ];
    for (const [name, objects, envelope, expect] of cases) {
      const broken = { ...b, ...(envelope ?? {}), ...(objects ? { objects } : {}) };
      const problems = checkStixBundle(broken);
      assert.ok(problems.some((p) => expect.test(p)), `${name}:\n${problems.join('\n')}`);
      assert.throws(() => assertValidStix(broken, 'incident X'), (e: unknown) => e instanceof MwError && e.code === 'MW_ERR_RESPOND_STIX_INVALID' && e.message.includes(problems[0]!), name);
    }
  });

  it('exports attacker-controlled IoC values as valid STIX (mapped IPv6, bad hashes, non-host names, repeats, negative sizes)', () => {
    const hostile: Iocs = {
      ...iocs,
      sourceIps: ['::ffff:10.0.0.9', '10.0.0.9', '2001:DB8::7', '2001:db8::7', '::dc:a94:215:28.188.173.156'],
      uploads: [
        { destination: 'https://my_bucket.s3.example.com/up', host: 'my_bucket.s3.example.com', fileName: 'a.7z', size: -1, sha256: 'not-a-hash', at: '2026-03-04T08:00:00.000Z' },
        { destination: 'https://my_bucket.s3.example.com/up', host: 'my_bucket.s3.example.com', fileName: 'a.7z', size: -1, sha256: 'not-a-hash', at: '2026-03-04T08:01:00.000Z' },
      ],
    };
    const b = stixBundle(incident, hostile);
    assert.deepEqual(validateStixBundle(b), []);
    const values = b.objects.filter((o) => o.type === 'ipv4-addr' || o.type === 'ipv6-addr').map((o) => `${o.type}:${String(o['value'])}`);
    assert.deepEqual(values.sort(), ['ipv4-addr:10.0.0.9', 'ipv6-addr:2001:db8::7', 'ipv6-addr:::dc:a94:215:1cbc:ad9c']);
    const file = b.objects.find((o) => o.type === 'file' && o['name'] === 'a.7z')!;
    assert.equal(file['hashes'], undefined);
    assert.equal(file['x_mirrorwatch_reported_sha256'], 'not-a-hash', 'the reported value is kept, not dropped');
    assert.ok(!b.objects.some((o) => o.type === 'domain-name'), 'a name with "_" is no host name');
    const up = b.objects.find((o) => o.type === 'observed-data' && (o['x_mirrorwatch_destinations'] as string[] | undefined))!;
    assert.deepEqual(up['x_mirrorwatch_destinations'], ['https://my_bucket.s3.example.com/up']);
    assert.equal(up['number_observed'], 2);
    assert.deepEqual(addressObservable('fe80::1%eth0'), { type: 'ipv6-addr', value: 'fe80::1%eth0' });
    assert.equal(addressObservable('not-an-ip'), null);
  });

  for (const seed of [1, 7, 42]) {
    it(`any IoC values give a bundle the schemas accept (property test, seed ${seed})`, () => {
      const text = fc.string({ maxLength: 40 });
      const hex64 = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'.split('')), minLength: 64, maxLength: 64 });
      fc.assert(
        fc.property(
          fc.record({
            principal: text,
            ips: fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((v) => `::ffff:${v}`), text), { maxLength: 6 }),
            host: fc.oneof(fc.domain(), text, fc.constant(null)),
            fileName: text,
            sha: fc.oneof(hex64, text, fc.constant(null)),
            size: fc.oneof(fc.integer({ min: -10, max: 2 ** 40 }), fc.double(), fc.constant(null)),
            uri: text,
            repeat: fc.boolean(),
          }),
          (r) => {
            const up = { destination: `https://${r.host ?? 'x'}/u`, host: r.host, fileName: r.fileName, size: r.size, sha256: r.sha, at: '2026-03-04T08:00:00.000Z' };
            const v: Iocs = { ...iocs, principals: [r.principal], sourceIps: r.repeat ? [...r.ips, ...r.ips] : r.ips, uploads: r.repeat ? [up, up] : [up], artifacts: [{ ...iocs.artifacts[0]!, uri: r.uri, bytes: r.size }] };
            const problems = checkStixBundle(stixBundle({ ...incident, principals: [r.principal] }, v));
            assert.deepEqual(problems, []);
          },
        ),
        { seed, numRuns: 150 },
      );
    });
  }

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
