import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ObjectEvent } from '../../events/index.js';
import { createPrincipalResolver } from '../../events/principal.js';
import { ingestPaths } from '../../ingest/index.js';
import { readSample } from '../../ingest/read.js';
import { collect, runParser, sharedChem, withMemoryStore, withTempDir } from '../../test-support/index.js';
import { sha256Hex } from '../../util/hash.js';
import { repoRoot } from '../../util/repo-root.js';
import { detectFormat } from '../index.js';
import type { Outcome, ParseContext, RawRecord, SourceParser } from '../types.js';
import { cloudTrailOperation, cloudTrailS3FileParser, cloudTrailS3Parser, principalOf } from './index.js';
import { lineLocator, scanRecords } from './records.js';

const fixtures = join(repoRoot(), 'src', 'sources', 'cloudtrail', 'fixtures');
const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

function ctx(format: string): ParseContext {
  const resolver = createPrincipalResolver([]);
  return { file: 'test.json', format, resolvePrincipal: (raw) => resolver.resolve(raw), canonicalSmiles: () => null, options: {} };
}

function lineRecords(text: string): RawRecord[] {
  const out: RawRecord[] = [];
  let offset = 0;
  text.split('\n').forEach((line, i) => {
    if (line.trim()) out.push({ text: line, line: i + 1, offset, hash: sha256Hex(line) });
    offset += Buffer.byteLength(line) + 1;
  });
  return out;
}

function run(parser: SourceParser, recs: RawRecord[]): Promise<Outcome[]> {
  return runParser(parser, recs, ctx(parser.format));
}

function events(outs: Outcome[]): ObjectEvent[] {
  return outs.flatMap((o) => (o.type === 'event' && o.event.kind === 'object' ? [o.event] : []));
}

describe('cloudtrail: Records scanner', () => {
  it('finds element spans, ignoring brackets and quotes inside strings', () => {
    const text = '{"x":{"Records":1},"Records":[{"a":"]}\\"["},  {"b":[1,{"c":2}]} ,3]}';
    const s = scanRecords(text);
    assert.equal(s.found, true);
    assert.deepEqual(
      s.elements.map((e) => text.slice(e.start, e.end)),
      ['{"a":"]}\\"["}', '{"b":[1,{"c":2}]}', '3'],
    );
    assert.equal(s.tail, null);
  });

  it('stops at a cut record and says where', () => {
    const text = '{"Records":[{"a":1},{"b":';
    const s = scanRecords(text);
    assert.equal(s.elements.length, 1);
    assert.equal(s.tail?.start, text.indexOf('{"b"'));
  });

  it('reports no Records for a single record or non-JSON', () => {
    assert.equal(scanRecords('{"eventVersion":"1.10","Records2":[]}').found, false);
    assert.equal(scanRecords('not json').found, false);
    assert.equal(scanRecords('[{"a":1}]').found, true, 'a bare array of records');
  });

  it('locates lines and byte offsets of line starts', () => {
    const text = 'é\nab\n\ncd';
    const at = lineLocator(text, 1, 100);
    assert.deepEqual(at(0), { line: 1, offset: 100 });
    assert.deepEqual(at(3), { line: 2, offset: 103 });
    assert.deepEqual(at(7), { line: 4, offset: 107 });
  });
});

describe('cloudtrail: mapping', () => {
  it('maps operations', () => {
    const cases: Array<[string, ObjectEvent['operation']]> = [
      ['GetObject', 'get'],
      ['PutObject', 'put'],
      ['UploadPart', 'put'],
      ['CompleteMultipartUpload', 'put'],
      ['ListObjects', 'list'],
      ['ListObjectsV2', 'list'],
      ['ListObjectVersions', 'list'],
      ['ListBuckets', 'list'],
      ['HeadObject', 'head'],
      ['CopyObject', 'copy'],
      ['DeleteObject', 'delete'],
      ['DeleteObjects', 'delete'],
      ['GetBucketVersioning', 'other'],
      ['PutBucketAcl', 'other'],
    ];
    for (const [n, op] of cases) assert.equal(cloudTrailOperation(n), op, n);
  });

  it('takes the principal from userIdentity', () => {
    assert.equal(principalOf({ type: 'IAMUser', arn: 'arn:aws:iam::1:user/alice', userName: 'alice' }), 'arn:aws:iam::1:user/alice');
    assert.equal(principalOf({ type: 'AWSAccount', principalId: '', accountId: 'ANONYMOUS_PRINCIPAL' }), 'anonymous');
    assert.equal(principalOf({ type: 'AWSService', invokedBy: 'cloudfront.amazonaws.com' }), 'cloudfront.amazonaws.com');
    assert.equal(principalOf({ type: 'IAMUser', userName: 'carol', principalId: 'AIDA1' }), 'carol');
    assert.equal(principalOf({ type: 'AWSAccount', principalId: 'AIDA2:x', accountId: '444455556666' }), 'AIDA2:x');
    assert.equal(principalOf({}), null);
  });

  it('maps every record of a delivered (pretty-printed) file', async () => {
    const text = fixture('cloudtrail_records_pretty.json');
    const doc: RawRecord = { text, line: 1, offset: 0, hash: sha256Hex(text) };
    const outs = await run(cloudTrailS3FileParser, [doc]);
    assert.equal(outs.length, 11);
    // The first outcome carries the framed document's own ref; the others refs of their own.
    assert.deepEqual(outs[0]!.records, [{ line: 1, offset: 0, hash: doc.hash }]);
    const parsed = JSON.parse(text) as { Records: unknown[] };
    const lines = text.split('\n');
    for (const o of outs.slice(1)) {
      const [ref] = o.records;
      assert.equal(o.records.length, 1);
      assert.equal(lines[ref!.line - 1]!.trim(), '{', 'a ref points at the line its record starts on');
      assert.equal(Buffer.byteLength(lines.slice(0, ref!.line - 1).join('\n')) + (ref!.line > 1 ? 1 : 0), ref!.offset);
    }
    const q = outs.filter((o) => o.type === 'quarantine');
    assert.equal(q.length, 1);
    assert.ok(q[0]!.type === 'quarantine' && q[0]!.reason === 'not an S3 event (eventSource "ec2.amazonaws.com")');
    assert.equal(sha256Hex(q[0]!.type === 'quarantine' ? q[0]!.raw : ''), q[0]!.records[0]!.hash, 'inner hash is over the inner text');

    const evs = events(outs);
    assert.equal(evs.length, 10);
    assert.equal(parsed.Records.length, 11);
    const get = evs.find((e) => e.operationRaw === 'GetObject' && e.key === 'models/chem-gnn/v3/model.pt')!;
    assert.equal(get.time, '2024-03-11T09:15:02.000Z');
    assert.deepEqual(get.principal, { raw: 'arn:aws:iam::111122223333:user/alice', canonical: 'alice' });
    assert.equal(get.provider, 's3');
    assert.equal(get.bucket, 'mw-model-artifacts');
    assert.equal(get.operation, 'get');
    assert.equal(get.bytes, 104857600);
    assert.equal(get.httpStatus, null);
    assert.equal(get.outcome, 'success');
    assert.equal(get.sourceIp, '192.0.2.10');
    assert.match(get.userAgent!, /^\[aws-cli\/2\.15\.30/);
    assert.match(get.requestId!, /C3A4D5E6F7A8$/);
    assert.equal(get.provenance.line, 42);

    const put = evs.find((e) => e.operationRaw === 'PutObject')!;
    assert.deepEqual(put.principal, { raw: 'arn:aws:sts::111122223333:assumed-role/ml-training/bob', canonical: 'bob' });
    assert.equal(put.operation, 'put');
    assert.equal(put.bytes, 2048, 'writes count bytesTransferredIn');

    const denied = evs.find((e) => e.outcome === 'failure')!;
    assert.deepEqual(denied.principal, { raw: 'anonymous', canonical: 'anonymous' });
    assert.equal(denied.key, 'models/team a/weights.bin');

    const listBuckets = evs.find((e) => e.operationRaw === 'ListBuckets')!;
    assert.equal(listBuckets.operation, 'list');
    assert.equal(listBuckets.bucket, null);
    assert.equal(evs.find((e) => e.operationRaw === 'GetBucketVersioning')!.operation, 'other');
    assert.equal(evs.find((e) => e.operationRaw === 'CopyObject')!.operation, 'copy');
    assert.equal(evs.find((e) => e.operationRaw === 'DeleteObject')!.operation, 'delete');
    assert.equal(evs.find((e) => e.operationRaw === 'HeadObject')!.operation, 'head');
    assert.equal(evs.find((e) => e.operationRaw === 'ListObjects')!.operation, 'list');
    assert.equal(evs.find((e) => e.principal.raw === 'cloudfront.amazonaws.com')!.key, 'public/index.json');
  });

  it('expands a {"Records":[...]} line: the first outcome carries the line ref, the rest the line position and their own hash', async () => {
    const recs = lineRecords(fixture('cloudtrail_records_minified.json'));
    const outs = await run(cloudTrailS3Parser, recs);
    assert.equal(outs.length, 6);
    const line1 = recs[0]!;
    const inner = scanRecords(line1.text).elements.map((s) => line1.text.slice(s.start, s.end));
    assert.deepEqual(outs[0]!.records, [{ line: 1, offset: 0, hash: line1.hash }]);
    assert.deepEqual(outs[1]!.records, [{ line: 1, offset: 0, hash: sha256Hex(inner[1]!) }]);
    assert.deepEqual(outs[2]!.records, [{ line: 1, offset: 0, hash: sha256Hex(inner[2]!) }]);
    assert.deepEqual(outs[3]!.records, [{ line: 2, offset: recs[1]!.offset, hash: recs[1]!.hash }]);
  });

  it('unwraps EventBridge envelopes and quarantines non-S3 sources', async () => {
    const outs = await run(cloudTrailS3Parser, lineRecords(fixture('cloudtrail_s3_events.jsonl')));
    const [eb] = events(outs);
    assert.equal(eb!.time, '2024-03-14T16:45:10.000Z');
    assert.equal(eb!.principal.canonical, 'bob');
    const q = outs.find((o) => o.type === 'quarantine');
    assert.ok(q?.type === 'quarantine' && q.reason === 'not an S3 event (eventSource "s3-outposts.amazonaws.com")');
  });

  it('quarantines broken records with the field and the problem', async () => {
    const outs = await run(cloudTrailS3Parser, lineRecords(fixture('cloudtrail_s3_broken.jsonl')));
    assert.equal(outs.length, 13);
    const reasons = outs.flatMap((o) => (o.type === 'quarantine' ? [o.reason] : []));
    assert.deepEqual(
      reasons.map((r) => r.replace(/: .*$/, '')),
      [
        'not valid JSON',
        'eventTime missing or not a string',
        'eventTime is not an ISO 8601 timestamp',
        'additionalEventData.bytesTransferredOut is not a non-negative number',
        'requestParameters.bucketName is not a string',
        'not an S3 event (eventSource "iam.amazonaws.com")',
        'Records element 2 is not a JSON object',
        'Records element 3',
        'Records array is empty',
        'userIdentity missing or not an object',
      ],
    );
    assert.match(reasons[7]!, /truncated/);
  });

  it('accepts a bare JSON array of records as a document', async () => {
    const recs = JSON.parse(fixture('cloudtrail_records_pretty.json')) as { Records: unknown[] };
    const text = JSON.stringify(recs.Records.slice(1, 3), null, 1);
    const outs = await run(cloudTrailS3FileParser, [{ text, line: 1, offset: 0, hash: sha256Hex(text) }]);
    assert.deepEqual(
      events(outs).map((e) => e.operation),
      ['get', 'put'],
    );
  });

  it('never throws on garbage', async () => {
    for (const p of [cloudTrailS3Parser, cloudTrailS3FileParser]) {
      const outs = await run(p, lineRecords('{"Records":[{"a":\n[[[[\n{"Records":"x"}\n{"Records":[1,2,}\n\u0000'));
      assert.ok(outs.every((o) => o.type === 'quarantine'));
    }
  });
});

describe('cloudtrail: detection and ingestion', () => {
  it('prefers the document parser for pretty-printed files and the line parser for minified ones', async () => {
    const pick = async (name: string) => detectFormat(await readSample(join(fixtures, name), name))?.parser.format;
    assert.equal(await pick('cloudtrail_records_pretty.json'), 'cloudtrail-s3-file');
    assert.equal(await pick('cloudtrail_records_truncated.json'), 'cloudtrail-s3-file');
    assert.equal(await pick('cloudtrail_records_minified.json'), 'cloudtrail-s3');
    assert.equal(await pick('cloudtrail_s3_events.jsonl'), 'cloudtrail-s3');
  });

  it('counts inner records: read = stored + duplicates + quarantined', async () => {
    await withMemoryStore(async (store) => {
      const s = await ingestPaths([join(fixtures, 'cloudtrail_s3_broken.jsonl')], { store, chem: await sharedChem() });
      assert.deepEqual([s.read, s.stored, s.duplicates, s.quarantined], [13, 3, 0, 10]);
    });
  });

  it('hands a one-line delivered file longer than the detection sample to the document parser, with the same results', async () => {
    const base = JSON.parse(fixture('cloudtrail_records_pretty.json')) as { Records: Array<Record<string, unknown>> };
    const many = Array.from({ length: 120 }, (_, i) => ({ ...base.Records[1]!, eventID: `big-${i}` }));
    await withTempDir(async (dir) => {
      const f = join(dir, '111122223333_CloudTrail_us-east-1_20240311T0915Z_big.json');
      await writeFile(f, JSON.stringify({ Records: many }));
      assert.equal(detectFormat(await readSample(f, 'big.json'))?.parser.format, 'cloudtrail-s3-file');
      await withMemoryStore(async (store) => {
        const s = await ingestPaths([f], { store, chem: await sharedChem() });
        assert.deepEqual([s.read, s.stored, s.quarantined], [120, 120, 0]);
        const again = await ingestPaths([f], { store, chem: await sharedChem(), format: 'cloudtrail-s3' });
        assert.deepEqual([again.read, again.stored, again.duplicates], [120, 0, 120], 'same events whichever parser reads them');
      });
    });
  });

  it('stores an event once when it arrives both in a delivered file and from a shipper', async () => {
    const base = JSON.parse(fixture('cloudtrail_records_pretty.json')) as { Records: Array<Record<string, unknown>> };
    await withTempDir(async (dir) => {
      const f = join(dir, 'shipped.jsonl');
      await writeFile(f, JSON.stringify(base.Records[1]) + '\n' + JSON.stringify(base.Records[2]) + '\n');
      await withMemoryStore(async (store) => {
        await ingestPaths([join(fixtures, 'cloudtrail_records_pretty.json')], { store, chem: await sharedChem() });
        const s = await ingestPaths([f], { store, chem: await sharedChem() });
        assert.deepEqual([s.read, s.stored, s.duplicates], [2, 0, 2]);
        const evs = await collect(store.replay());
        assert.equal(evs.length, 10);
      });
    });
  });
});

void it('stores each inner record of a Records line with its own original text as raw evidence', async () => {
  const rec = (n: number): Record<string, unknown> => ({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/jdoe', userName: 'jdoe' },
    eventTime: `2026-02-04T22:41:0${n}Z`,
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'us-east-1',
    sourceIPAddress: '10.20.1.7',
    userAgent: 'aws-cli/2',
    requestParameters: { bucketName: 'ml-models', key: `toxicity-classifier/8/part-${n}` },
    additionalEventData: { bytesTransferredOut: 1000 + n },
    requestID: `REQ${n}`,
    eventID: `00000000-0000-0000-0000-00000000000${n}`,
    readOnly: true,
    eventType: 'AwsApiCall',
  });
  await withTempDir(async (dir) => {
    const f = join(dir, 'ct.jsonl');
    await writeFile(f, JSON.stringify({ Records: [rec(1), rec(2), rec(3)] }) + '\n');
    await withMemoryStore(async (store) => {
      const s = await ingestPaths([f], { store, chem: await sharedChem() });
      assert.equal(s.read, 3);
      assert.equal(s.stored, 3);
      const ids = [];
      for await (const e of store.replay()) ids.push(e.id);
      const events = await store.getEvents(ids);
      assert.equal(events.length, 3);
      for (const e of events) {
        const raw = JSON.parse(e.raw) as { requestID: string };
        assert.ok(e.kind === 'object' && e.key?.endsWith(`part-${raw.requestID.slice(3)}`), 'raw is the event\'s own record');
      }
    });
  });
});
