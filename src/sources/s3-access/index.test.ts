import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DirectoryEntry, ObjectEvent } from '../../events/index.js';
import { createPrincipalResolver } from '../../events/principal.js';
import { repoRoot } from '../../util/repo-root.js';
import type { Outcome, ParseContext } from '../types.js';
import { s3Operation, s3ServerAccessParser, splitS3Fields } from './index.js';
import { runParser } from '../../test-support/index.js';

const fixtures = join(repoRoot(), 'src', 'sources', 's3-access', 'fixtures');

function ctx(directory: DirectoryEntry[] = []): ParseContext {
  const resolver = createPrincipalResolver(directory);
  return {
    file: 'test.log',
    format: s3ServerAccessParser.format,
    resolvePrincipal: (raw) => resolver.resolve(raw),
    canonicalSmiles: () => null,
    options: {},
  };
}


function parse(text: string, c = ctx()): Promise<Outcome[]> {
  return runParser(s3ServerAccessParser, text, c);
}

function objectEvents(outs: Outcome[]): ObjectEvent[] {
  return outs.map((o) => {
    assert.equal(o.type, 'event', o.type === 'quarantine' ? o.reason : '');
    assert.ok(o.type === 'event' && o.event.kind === 'object');
    return o.event;
  });
}

const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

describe('s3-server-access: field splitting', () => {
  it('keeps quoted and bracketed fields whole and unescapes quotes', () => {
    const r = splitS3Fields('a [06/Feb/2019:00:00:38 +0000] "GET /x y HTTP/1.1" "ua \\"q\\"" -');
    assert.deepEqual(r, { fields: ['a', '[06/Feb/2019:00:00:38 +0000]', 'GET /x y HTTP/1.1', 'ua "q"', '-'] });
  });

  it('reports an unterminated quote instead of guessing', () => {
    const r = splitS3Fields('a b "GET /x');
    assert.ok('error' in r && /unterminated quoted field 3/.test(r.error));
  });
});

describe('s3-server-access: operations', () => {
  const cases: Array<[string, ObjectEvent['operation']]> = [
    ['REST.GET.OBJECT', 'get'],
    ['WEBSITE.GET.OBJECT', 'get'],
    ['REST.PUT.OBJECT', 'put'],
    ['REST.POST.OBJECT', 'put'],
    ['REST.POST.UPLOAD', 'put'],
    ['REST.POST.UPLOADS', 'put'],
    ['REST.PUT.PART', 'put'],
    ['REST.GET.BUCKET', 'list'],
    ['REST.GET.BUCKETVERSIONS', 'list'],
    ['REST.HEAD.OBJECT', 'head'],
    ['REST.HEAD.BUCKET', 'head'],
    ['REST.COPY.OBJECT', 'copy'],
    ['REST.COPY.OBJECT_GET', 'copy'],
    ['REST.COPY.PART', 'copy'],
    ['REST.DELETE.OBJECT', 'delete'],
    ['BATCH.DELETE.OBJECT', 'delete'],
    ['REST.POST.MULTI_OBJECT_DELETE', 'delete'],
    ['S3.EXPIRE.OBJECT', 'delete'],
    ['REST.GET.VERSIONING', 'other'],
    ['REST.GET.ACL', 'other'],
    ['REST.DELETE.UPLOAD', 'other'],
    ['SOAP.CreateBucket', 'other'],
  ];
  for (const [raw, op] of cases) it(`${raw} → ${op}`, () => assert.equal(s3Operation(raw), op));
});

describe('s3-server-access: field mapping', () => {
  it('maps the AWS documentation PUT record exactly', async () => {
    const lines = fixture('awsdocs_LogFormat_example.log').trim().split('\n');
    const [ev] = objectEvents(await parse(lines[4]!));
    assert.equal(ev!.time, '2019-02-06T00:01:57.000Z');
    assert.deepEqual(ev!.principal, {
      raw: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
      canonical: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be',
    });
    assert.equal(ev!.provider, 's3');
    assert.equal(ev!.bucket, 'awsexamplebucket1');
    assert.equal(ev!.key, 's3-dg.pdf');
    assert.equal(ev!.operation, 'put');
    assert.equal(ev!.operationRaw, 'REST.PUT.OBJECT');
    // Bytes Sent is "-" for a PUT; the uploaded size is Object Size.
    assert.equal(ev!.bytes, 4406583);
    assert.equal(ev!.httpStatus, 200);
    assert.equal(ev!.outcome, 'success');
    assert.equal(ev!.requestId, 'DD6CC733AEXAMPLE');
    assert.equal(ev!.sourceIp, '192.0.2.3');
    assert.equal(ev!.userAgent, 'S3Console/0.4');
    assert.equal(ev!.provenance.format, 's3-server-access');
    assert.equal(ev!.provenance.line, 1);
  });

  it('maps a 27-field GET by an IAM user and resolves the ARN through the directory', async () => {
    const dir: DirectoryEntry[] = [
      {
        principal: 'asmith',
        email: 'alice@example.com',
        displayName: null,
        team: 'chem-ml',
        projects: [],
        role: null,
        manager: null,
        aliases: ['arn:aws:iam::111122223333:user/alice'],
      },
    ];
    const line = fixture('s3_access_newer_fields.log').split('\n')[0]!;
    const split = splitS3Fields(line);
    assert.ok('fields' in split && split.fields.length === 27);
    const [ev] = objectEvents(await parse(line, ctx(dir)));
    assert.deepEqual(ev!.principal, { raw: 'arn:aws:iam::111122223333:user/alice', canonical: 'asmith' });
    assert.equal(ev!.time, '2024-03-11T09:15:02.000Z');
    assert.equal(ev!.operation, 'get');
    assert.equal(ev!.bucket, 'mw-model-artifacts');
    assert.equal(ev!.key, 'models/chem-gnn/v3/model.pt');
    assert.equal(ev!.bytes, 104857600);
    assert.equal(ev!.requestId, '7Q2MZ1T9XK4EXAMPL');
    assert.match(ev!.userAgent!, /^aws-cli\/2\.15\.30 Python/);
  });

  it('maps every record of the newer-fields fixture', async () => {
    const evs = objectEvents(await parse(fixture('s3_access_newer_fields.log')));
    assert.equal(evs.length, 14);
    const by = (id: string): ObjectEvent => evs.find((e) => e.requestId === id)!;

    const denied = by('8R3NA2U0YL5EXAMPL');
    assert.deepEqual(denied.principal, { raw: 'anonymous', canonical: 'anonymous' });
    assert.equal(denied.outcome, 'failure');
    assert.equal(denied.httpStatus, 403);
    assert.equal(denied.key, 'models/team a/weights.bin', 'keys are logged URL-encoded and decoded once');
    assert.equal(denied.bytes, 243);

    const list = by('9S4OB3V1ZM6EXAMPL');
    assert.equal(list.operation, 'list');
    assert.equal(list.key, null);
    assert.deepEqual(list.principal, { raw: 'arn:aws:sts::111122223333:assumed-role/ml-training/bob', canonical: 'bob' });

    const head = by('AT5PC4W2AN7EXAMPL');
    assert.equal(head.operation, 'head');
    assert.equal(head.bytes, 0, 'Bytes Sent "-" means zero per the format');

    assert.equal(by('BU6QD5X3BO8EXAMPL').bytes, 2048);
    assert.equal(by('CV7RE6Y4CP9EXAMPL').operation, 'copy');
    assert.equal(by('DW8SF7Z5DQ0EXAMPL').operation, 'copy');
    const del = by('EX9TG8A6ER1EXAMPL');
    assert.equal(del.operation, 'delete');
    assert.equal(del.httpStatus, 204);
    assert.equal(by('FY0UH9B7FS2EXAMPL').bytes, 8388608);
    assert.equal(by('GZ1VI0C8GT3EXAMPL').operation, 'put');
    assert.equal(by('HA2WJ1D9HU4EXAMPL').operation, 'list');
    assert.equal(by('IB3XK2E0IV5EXAMPL').operation, 'other', 'unknown trailing fields are ignored');

    const legacy = by('3E57427F33A59F07');
    assert.deepEqual(legacy.principal, { raw: 'anonymous', canonical: 'anonymous' }, 'older logs wrote "Anonymous"');
    assert.equal(legacy.time, '2012-01-02T17:45:11.000Z');
    assert.equal(legacy.userAgent, 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)');

    const offset = by('JC4YL3F1JW6EXAMPL');
    assert.equal(offset.time, '2024-03-11T15:02:19.000Z', '-0500 is normalised to UTC');
    assert.equal(offset.userAgent, 'S3Console/0.4 "beta"');
    assert.equal(offset.httpStatus, 304);
    assert.equal(offset.outcome, 'success');
  });

  it('treats a "-" status with an error code as a failure', async () => {
    const line = fixture('awsdocs_LogFormat_example.log').split('\n')[2]!.replace(' 404 NoSuchBucketPolicy ', ' - NoSuchBucketPolicy ');
    const [ev] = objectEvents(await parse(line));
    assert.equal(ev!.httpStatus, null);
    assert.equal(ev!.outcome, 'failure');
  });

  it('quarantines broken records with the field and the problem', async () => {
    const outs = await parse(fixture('s3_access_broken.log'));
    assert.equal(outs.length, 12);
    const reasons = outs.filter((o) => o.type === 'quarantine').map((o) => (o.type === 'quarantine' ? o.reason : ''));
    assert.equal(reasons.length, 7);
    assert.match(reasons[0]!, /unterminated quoted field 17/);
    assert.match(reasons[1]!, /only 10 fields/);
    assert.match(reasons[2]!, /^time \(field 3\) is not a timestamp/);
    assert.match(reasons[3]!, /^httpStatus \(field 10\)/);
    assert.match(reasons[4]!, /^bytesSent \(field 12\)/);
    assert.match(reasons[5]!, /^operation \(field 7\) missing/);
    assert.match(reasons[6]!, /only \d+ fields/);
    for (const o of outs) assert.equal(o.records.length, 1);
  });

  it('never throws on garbage', async () => {
    const outs = await parse('\u0000\u0001 " [ ]\n' + 'x'.repeat(5000) + '\n[[[["""');
    assert.ok(outs.every((o) => o.type === 'quarantine'));
  });
});

describe('s3-server-access: detection', () => {
  const sample = (text: string) => ({ fileName: 'x', head: text, lines: text.split('\n').filter((l) => l.trim()).slice(0, 20) });
  it('claims S3 access logs with high confidence', () => {
    assert.ok(s3ServerAccessParser.detect(sample(fixture('awsdocs_LogFormat_example.log'))) > 0.9);
    assert.ok(s3ServerAccessParser.detect(sample(fixture('s3_access_broken.log'))) >= 0.5);
  });
  it('leaves Apache/gunicorn access logs and JSON alone', () => {
    assert.equal(
      s3ServerAccessParser.detect(sample('192.0.2.1 - alice [06/Feb/2019:00:00:38 +0000] "GET /api/2.0/mlflow/experiments/list HTTP/1.1" 200 123 "-" "curl/8"')),
      0,
    );
    assert.equal(s3ServerAccessParser.detect(sample('{"eventVersion":"1.10"}')), 0);
  });
});
