import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DirectoryEntry, ObjectEvent } from '../../events/index.js';
import { createPrincipalResolver } from '../../events/principal.js';
import { repoRoot } from '../../util/repo-root.js';
import { PARSERS } from '../index.js';
import type { Outcome, ParseContext } from '../types.js';
import { minioAuditParser, minioOperation, minioPrincipal } from './index.js';
import { runParser } from '../../test-support/index.js';

const fixtures = join(repoRoot(), 'src', 'sources', 'minio-audit', 'fixtures');
const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

const directory: DirectoryEntry[] = [
  {
    principal: 'asmith',
    email: 'alice@example.com',
    displayName: 'Alice Smith',
    team: 'chem-ml',
    projects: ['gnn'],
    role: 'scientist',
    manager: null,
    aliases: ['MWALICE7K2Q9EXAMPLE'],
  },
];

function ctx(dir: DirectoryEntry[] = directory): ParseContext {
  const resolver = createPrincipalResolver(dir);
  return { file: 'audit.jsonl', format: 'minio-audit', resolvePrincipal: (raw) => resolver.resolve(raw), canonicalSmiles: () => null, options: {} };
}

function parse(text: string): Promise<Outcome[]> {
  return runParser(minioAuditParser, text, ctx());
}

function events(outs: Outcome[]): ObjectEvent[] {
  return outs.flatMap((o) => (o.type === 'event' && o.event.kind === 'object' ? [o.event] : []));
}

describe('minio-audit: mapping', () => {
  it('maps operations', () => {
    const cases: Array<[string, ObjectEvent['operation']]> = [
      ['GetObject', 'get'],
      ['PutObject', 'put'],
      ['PutObjectPart', 'put'],
      ['CompleteMultipartUpload', 'put'],
      ['ListObjectsV2', 'list'],
      ['ListObjectsV1', 'list'],
      ['ListObjectVersions', 'list'],
      ['ListBuckets', 'list'],
      ['HeadObject', 'head'],
      ['CopyObject', 'copy'],
      ['DeleteObject', 'delete'],
      ['DeleteMultipleObjects', 'delete'],
      ['PutBucketPolicy', 'other'],
    ];
    for (const [n, op] of cases) assert.equal(minioOperation(n), op, n);
  });

  it('picks the principal: IdP name, then parentUser, then access key, then the signed credential', () => {
    assert.equal(minioPrincipal({ accessKey: 'TMP', parentUser: 'openid:x', requestClaims: { preferred_username: 'carol' } }), 'carol');
    assert.equal(minioPrincipal({ accessKey: 'TMP', requestClaims: { ldapUsername: 'dave', ldapUser: 'uid=dave,ou=people' } }), 'dave');
    assert.equal(minioPrincipal({ accessKey: 'svcacct', parentUser: 'bob' }), 'bob');
    assert.equal(minioPrincipal({ accessKey: 'MWALICE7K2Q9EXAMPLE' }), 'MWALICE7K2Q9EXAMPLE');
    assert.equal(minioPrincipal({ requestClaims: { accessKey: 'K1' } }), 'K1');
    assert.equal(
      minioPrincipal({ requestHeader: { Authorization: 'AWS4-HMAC-SHA256 Credential=minio/20190812/us-east-1/s3/aws4_request, SignedHeaders=host' } }),
      'minio',
    );
    assert.equal(minioPrincipal({}), 'anonymous');
  });

  it('maps every entry of the fixture', async () => {
    const evs = events(await parse(fixture('minio_audit.jsonl')));
    assert.equal(evs.length, 13);
    const get = evs[0]!;
    assert.equal(get.time, '2024-03-11T09:15:02.187Z', 'nanoseconds kept to the millisecond, UTC');
    assert.deepEqual(get.principal, { raw: 'MWALICE7K2Q9EXAMPLE', canonical: 'asmith' }, 'access key resolved through directory aliases');
    assert.equal(get.provider, 'minio');
    assert.equal(get.bucket, 'models');
    assert.equal(get.key, 'chem-gnn/v3/model.pt');
    assert.equal(get.operation, 'get');
    assert.equal(get.operationRaw, 'GetObject');
    assert.equal(get.bytes, 104857600, 'tx for reads');
    assert.equal(get.httpStatus, 200);
    assert.equal(get.outcome, 'success');
    assert.equal(get.sourceIp, '10.20.4.17');
    assert.match(get.userAgent!, /^MinIO \(linux; amd64\) minio-go/);
    assert.equal(get.requestId, '17BC00019A3D5E6F7');

    const put = evs[1]!;
    assert.equal(put.operation, 'put');
    assert.equal(put.bytes, 2048, 'rx for writes');

    assert.equal(evs[2]!.operation, 'list');
    assert.equal(evs[2]!.key, null);
    assert.equal(evs[3]!.operation, 'head');
    assert.equal(evs[4]!.operation, 'copy');
    assert.equal(evs[5]!.operation, 'delete');
    assert.equal(evs[5]!.httpStatus, 204);

    const denied = evs[6]!;
    assert.equal(denied.outcome, 'failure');
    assert.equal(denied.httpStatus, 403);

    assert.deepEqual(evs[7]!.principal, { raw: 'carol', canonical: 'carol' });
    assert.deepEqual(evs[8]!.principal, { raw: 'bob', canonical: 'bob' });
    assert.deepEqual(evs[9]!.principal, { raw: 'anonymous', canonical: 'anonymous' });
    assert.equal(evs[10]!.operation, 'list');
    assert.equal(evs[10]!.bucket, null);
    assert.equal(evs[11]!.operation, 'other');

    const old = evs[12]!;
    assert.equal(old.time, '2019-08-12T21:34:37.187Z');
    assert.equal(old.principal.raw, 'minio');
    assert.equal(old.bytes, null, 'older servers did not log rx/tx');
    assert.equal(old.outcome, 'success');
  });

  it('falls back to the status text when statusCode is absent', async () => {
    const [ev] = events(await parse(JSON.stringify({ time: '2024-01-01T00:00:00Z', api: { name: 'GetObject', bucket: 'b', object: 'o', status: 'Access Denied' }, remotehost: '192.0.2.1' })));
    assert.equal(ev!.outcome, 'failure');
    assert.equal(ev!.httpStatus, null);
  });

  it('quarantines broken entries with the field and the problem', async () => {
    const outs = await parse(fixture('minio_audit_broken.jsonl'));
    assert.equal(outs.length, 12);
    const reasons = outs.flatMap((o) => (o.type === 'quarantine' ? [o.reason] : []));
    assert.deepEqual(
      reasons.map((r) => r.replace(/: .*$/, '')),
      [
        'not valid JSON',
        'api missing or not an object',
        'api.name missing or not a string',
        'time is not an RFC 3339 timestamp',
        'api.statusCode is not an HTTP status',
        'api.tx is not a non-negative byte count',
        'record is not a JSON object',
      ],
    );
  });
});

describe('minio-audit: detection', () => {
  const sample = (text: string) => ({ fileName: 'x', head: text, lines: text.split('\n').filter((l) => l.trim()).slice(0, 20) });

  it('claims MinIO audit lines and no other parser outbids it', () => {
    const s = sample(fixture('minio_audit.jsonl'));
    const mine = minioAuditParser.detect(s);
    assert.ok(mine > 0.9);
    for (const p of PARSERS) if (p !== minioAuditParser) assert.ok(p.detect(s) < mine, `${p.format} outbids minio-audit`);
    assert.ok(minioAuditParser.detect(sample(fixture('minio_audit_broken.jsonl'))) >= 0.5);
  });

  it('leaves CloudTrail and other JSON lines alone', () => {
    assert.equal(minioAuditParser.detect(sample('{"eventVersion":"1.10","eventSource":"s3.amazonaws.com","eventName":"GetObject"}')), 0);
    assert.equal(minioAuditParser.detect(sample('{"TimeGenerated":"2024-01-01T00:00:00Z","EventType":"bucket_list"}')), 0);
  });
});
