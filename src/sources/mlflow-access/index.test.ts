import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventSchema } from '../../events/index.js';
import type { RegistryEvent } from '../../events/index.js';
import { createPrincipalResolver } from '../../events/principal.js';
import { ingestPaths } from '../../ingest/index.js';
import { readSample } from '../../ingest/read.js';
import { collect, sharedChem, withMemoryStore } from '../../test-support/index.js';
import { sha256Hex } from '../../util/hash.js';
import { repoRoot } from '../../util/repo-root.js';
import { detectFormat } from '../index.js';
import type { Outcome, ParseContext, RawRecord, Sample } from '../types.js';
import { ANONYMOUS, mlflowAccessParser, UNKNOWN_CALLER } from './index.js';

const FIXTURES = join(repoRoot(), 'src', 'sources', 'mlflow-access', 'fixtures');
const SIMULATOR_LINE =
  '10.20.1.7 - jdoe [03/Feb/2026:10:15:02 +0000] "GET /api/2.0/mlflow/model-versions/get-download-uri?name=toxicity-classifier&version=8 HTTP/1.1" 200 87 "-" "mlflow-python-client/2.14.1"';

const resolver = createPrincipalResolver([
  {
    principal: 'john.doe',
    email: 'john.doe@example.com',
    displayName: null,
    team: 'chem-ml',
    projects: [],
    role: null,
    manager: null,
    aliases: ['jdoe'],
  },
]);

const ctx: ParseContext = {
  file: 'access.log',
  format: 'mlflow-access',
  resolvePrincipal: (raw) => resolver.resolve(raw),
  canonicalSmiles: () => null,
  options: {},
};

function recordsOf(lines: readonly string[]): RawRecord[] {
  let offset = 0;
  return lines.map((text, i) => {
    const r = { text, line: i + 1, offset, hash: sha256Hex(text) };
    offset += Buffer.byteLength(text) + 1;
    return r;
  });
}

async function* iter<T>(xs: readonly T[]): AsyncGenerator<T> {
  for (const x of xs) yield x;
}

async function parse(lines: readonly string[]): Promise<Outcome[]> {
  const records = recordsOf(lines);
  const out = await collect(mlflowAccessParser.parse(iter(records), ctx));
  // Accounting rule: every record in exactly one outcome.
  const seen = out.flatMap((o) => o.records.map((r) => r.hash));
  assert.deepEqual(seen.sort(), records.map((r) => r.hash).sort());
  return out;
}

async function one(line: string): Promise<RegistryEvent> {
  const [o] = await parse([line]);
  assert.ok(o);
  assert.equal(o.type, 'event', o.type === 'quarantine' ? o.reason : '');
  const ev = (o as Extract<Outcome, { type: 'event' }>).event;
  const checked = eventSchema.safeParse(ev);
  assert.ok(checked.success, checked.success ? '' : JSON.stringify(checked.error.issues));
  assert.equal(ev.kind, 'registry');
  return ev as RegistryEvent;
}

async function reasonOf(line: string): Promise<string> {
  const [o] = await parse([line]);
  assert.ok(o);
  assert.equal(o.type, 'quarantine', `expected quarantine for ${line}`);
  return (o as Extract<Outcome, { type: 'quarantine' }>).reason;
}

/** A gunicorn line for a request line, as the simulator writes it. */
const g = (request: string, status = 200, bytes = '87', user = 'jdoe'): string =>
  `10.20.1.7 - ${user} [03/Feb/2026:10:15:02 +0000] "${request}" ${status} ${bytes} "-" "mlflow-python-client/2.14.1"`;

function sampleOf(text: string, fileName = 'access.log'): Sample {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 20);
  return { fileName, head: text, lines };
}

void describe('mlflow-access: the simulator line', () => {
  void it('maps every field precisely', async () => {
    const ev = await one(SIMULATOR_LINE);
    assert.equal(ev.time, '2026-02-03T10:15:02.000Z');
    assert.deepEqual(ev.principal, { raw: 'jdoe', canonical: 'john.doe' });
    assert.equal(ev.action, 'get_download_uri');
    assert.equal(ev.model, 'toxicity-classifier');
    assert.equal(ev.modelVersion, '8');
    assert.equal(ev.artifactUri, null);
    assert.equal(ev.bytes, 87);
    assert.equal(ev.httpStatus, 200);
    assert.equal(ev.outcome, 'success');
    assert.equal(ev.sourceIp, '10.20.1.7');
    assert.equal(ev.userAgent, 'mlflow-python-client/2.14.1');
    assert.equal(ev.operation, 'GET /api/2.0/mlflow/model-versions/get-download-uri');
    assert.equal(ev.context, null);
    assert.deepEqual(
      { format: ev.provenance.format, file: ev.provenance.file, line: ev.provenance.line, hash: ev.provenance.recordHash },
      { format: 'mlflow-access', file: 'access.log', line: 1, hash: sha256Hex(SIMULATOR_LINE) },
    );
    assert.match(ev.id, /^[0-9a-f]{32}$/);
  });
});

void describe('mlflow-access: path → registry action', () => {
  const RUN = '5f1c0a9e8d7b4c2a9e6f1d3b7a8c9e0f';
  const cases: Array<[string, string, string | null, string | null, string | null]> = [
    // request line, action, model, version, artifactUri
    ['GET /api/2.0/mlflow/registered-models/list HTTP/1.1', 'list_models', null, null, null],
    ['GET /api/2.0/mlflow/registered-models/search?max_results=100 HTTP/1.1', 'search_models', null, null, null],
    ['GET /api/2.0/mlflow/registered-models/get?name=toxicity-classifier HTTP/1.1', 'get_model', 'toxicity-classifier', null, null],
    ['GET /api/2.0/mlflow/model-versions/get?name=tox&version=3 HTTP/1.1', 'get_version', 'tox', '3', null],
    ['GET /api/2.0/mlflow/model-versions/search?filter=name%3D%27tox%27 HTTP/1.1', 'search_models', 'tox', null, null],
    ["GET /api/2.0/mlflow/model-versions/search?filter=name+LIKE+'%25tox%25' HTTP/1.1", 'search_models', null, null, null],
    ['GET /api/2.0/mlflow/model-versions/get-download-uri?name=tox&version=3 HTTP/1.1', 'get_download_uri', 'tox', '3', null],
    ['POST /api/2.0/mlflow/registered-models/get-latest-versions HTTP/1.1', 'get_version', null, null, null],
    ['GET /api/2.0/mlflow/registered-models/alias?name=tox&alias=champion HTTP/1.1', 'get_version', 'tox', null, null],
    ['POST /api/2.0/mlflow/registered-models/alias HTTP/1.1', 'create_or_update', null, null, null],
    ['POST /api/2.0/mlflow/registered-models/create HTTP/1.1', 'create_or_update', null, null, null],
    ['PATCH /api/2.0/mlflow/registered-models/update HTTP/1.1', 'create_or_update', null, null, null],
    ['POST /api/2.0/mlflow/registered-models/rename HTTP/1.1', 'create_or_update', null, null, null],
    ['POST /api/2.0/mlflow/model-versions/create HTTP/1.1', 'create_or_update', null, null, null],
    ['PATCH /api/2.0/mlflow/model-versions/update HTTP/1.1', 'create_or_update', null, null, null],
    ['POST /api/2.0/mlflow/model-versions/transition-stage HTTP/1.1', 'create_or_update', null, null, null],
    ['DELETE /api/2.0/mlflow/registered-models/delete HTTP/1.1', 'delete', null, null, null],
    ['DELETE /api/2.0/mlflow/model-versions/delete HTTP/1.1', 'delete', null, null, null],
    [`GET /api/2.0/mlflow/artifacts/list?run_id=${RUN}&path=model HTTP/1.1`, 'list_artifacts', null, null, `runs:/${RUN}/model`],
    ['GET /api/2.0/mlflow-artifacts/artifacts HTTP/1.1', 'list_artifacts', null, null, 'mlflow-artifacts:/'],
    [`GET /api/2.0/mlflow-artifacts/artifacts?path=3%2F${RUN}%2Fartifacts HTTP/1.1`, 'list_artifacts', null, null, `mlflow-artifacts:/3/${RUN}/artifacts`],
    [`GET /api/2.0/mlflow-artifacts/artifacts/3/${RUN}/artifacts/model/ HTTP/1.1`, 'list_artifacts', null, null, `mlflow-artifacts:/3/${RUN}/artifacts/model`],
    [`GET /api/2.0/mlflow-artifacts/artifacts/3/${RUN}/artifacts/model/model.pkl HTTP/1.1`, 'download_artifact', null, null, `mlflow-artifacts:/3/${RUN}/artifacts/model/model.pkl`],
    [`PUT /api/2.0/mlflow-artifacts/artifacts/3/${RUN}/artifacts/model/model.pkl HTTP/1.1`, 'create_or_update', null, null, `mlflow-artifacts:/3/${RUN}/artifacts/model/model.pkl`],
    [`DELETE /api/2.0/mlflow-artifacts/artifacts/3/${RUN}/artifacts/old HTTP/1.1`, 'delete', null, null, `mlflow-artifacts:/3/${RUN}/artifacts/old`],
    [`GET /get-artifact?path=model%2FMLmodel&run_uuid=${RUN} HTTP/1.1`, 'download_artifact', null, null, `runs:/${RUN}/model/MLmodel`],
    ['GET /model-versions/get-artifact?path=MLmodel&name=tox&version=3 HTTP/1.1', 'download_artifact', 'tox', '3', 'models:/tox/3/MLmodel'],
    ['GET /ajax-api/2.0/mlflow/registered-models/search?max_results=25 HTTP/1.1', 'search_models', null, null, null],
    ['GET /ajax-api/2.0/mlflow/model-versions/get?name=tox&version=2 HTTP/1.1', 'get_version', 'tox', '2', null],
    ['GET /api/2.0/serving-endpoints HTTP/1.1', 'list_endpoints', null, null, null],
    ['GET /api/2.0/mlflow/logged-models/m-4f2a/artifacts/files?artifact_file_path=model.pkl HTTP/1.1', 'download_artifact', null, null, 'models:/m-4f2a/model.pkl'],
    // --static-prefix /mlflow and absolute-form targets from a proxy.
    ['GET /mlflow/api/2.0/mlflow/registered-models/get?name=tox HTTP/1.1', 'get_model', 'tox', null, null],
    ['GET /mlflow/model-versions/get-artifact?path=MLmodel&name=tox&version=3 HTTP/1.1', 'download_artifact', 'tox', '3', 'models:/tox/3/MLmodel'],
    ['GET http://mlflow.internal:5000/api/2.0/mlflow/registered-models/list HTTP/1.1', 'list_models', null, null, null],
    // Everything else under MLflow, and non-MLflow paths, are kept as `other`.
    ['POST /api/2.0/mlflow/runs/log-metric HTTP/1.1', 'other', null, null, null],
    ['GET /api/2.0/mlflow/experiments/search HTTP/1.1', 'other', null, null, null],
    ['GET /health HTTP/1.1', 'other', null, null, null],
    ['GET /static-files/static/js/main.4f2b8c1e.js HTTP/1.1', 'other', null, null, null],
    // An artifact path that merely contains an API path stays an artifact download.
    ['GET /api/2.0/mlflow-artifacts/artifacts/3/x/api/2.0/mlflow/registered-models/list HTTP/1.1', 'download_artifact', null, null, 'mlflow-artifacts:/3/x/api/2.0/mlflow/registered-models/list'],
  ];
  for (const [request, action, model, version, uri] of cases) {
    void it(`${request.split(' ').slice(0, 2).join(' ')} → ${action}`, async () => {
      const ev = await one(g(request));
      assert.deepEqual(
        { action: ev.action, model: ev.model, modelVersion: ev.modelVersion, artifactUri: ev.artifactUri },
        { action, model, modelVersion: version, artifactUri: uri },
      );
      assert.equal(ev.operation, `${request.split(' ')[0]} ${request.split(' ')[1]!.replace(/^https?:\/\/[^/]+/, '').split('?')[0]}`);
    });
  }
});

void describe('mlflow-access: gunicorn / nginx fields', () => {
  void it('a `-` user is the anonymous principal and keeps the caller IP', async () => {
    const ev = await one(g('GET /api/2.0/mlflow/registered-models/search HTTP/1.1', 401, '-', '-'));
    assert.deepEqual(ev.principal, { raw: ANONYMOUS, canonical: ANONYMOUS });
    assert.equal(ev.sourceIp, '10.20.1.7');
    assert.equal(ev.outcome, 'failure');
    assert.equal(ev.httpStatus, 401);
    assert.equal(ev.bytes, null);
  });

  void it('a basic-auth user is the principal even when the server refused it', async () => {
    const ev = await one(g('GET /api/2.0/mlflow/registered-models/search HTTP/1.1', 401, '19', 'Mallory'));
    assert.deepEqual(ev.principal, { raw: 'Mallory', canonical: 'mallory' });
    assert.equal(ev.outcome, 'failure');
  });

  void it('converts the CLF time zone to UTC', async () => {
    const ev = await one(SIMULATOR_LINE.replace('10:15:02 +0000', '11:15:02 +0100'));
    assert.equal(ev.time, '2026-02-03T10:15:02.000Z');
  });

  void it('3xx is success; `0` bytes is zero, not null', async () => {
    const ev = await one(g('GET /static-files/main.js HTTP/1.1', 304, '0'));
    assert.equal(ev.outcome, 'success');
    assert.equal(ev.bytes, 0);
  });

  void it('accepts the common log format (no referer, no agent) and extra trailing fields', async () => {
    const common = await one('10.1.2.3 - jdoe [03/Feb/2026:10:15:02 +0000] "GET /api/2.0/mlflow/registered-models/list HTTP/1.1" 200 10');
    assert.equal(common.action, 'list_models');
    assert.equal(common.userAgent, null);
    const extra = await one(`${SIMULATOR_LINE} 0.004 "10.9.9.9"`);
    assert.equal(extra.action, 'get_download_uri');
    assert.equal(extra.userAgent, 'mlflow-python-client/2.14.1');
  });

  void it('accepts a container-runtime timestamp before the line (time still from the CLF field)', async () => {
    const ev = await one(`2026-02-03T10:15:02.918273645Z ${SIMULATOR_LINE.replace('10:15:02', '10:15:01')}`);
    assert.equal(ev.time, '2026-02-03T10:15:01.000Z');
    assert.equal(ev.action, 'get_download_uri');
  });

  void it('keeps an unparseable request line (TLS probe) as `other`, escaped as logged', async () => {
    const ev = await one('203.0.113.77 - - [03/Feb/2026:11:19:00 +0100] "\\x16\\x03\\x01\\x00\\xFC" 400 157 "-" "-"');
    assert.equal(ev.action, 'other');
    assert.equal(ev.operation, '\\x16\\x03\\x01\\x00\\xFC');
    assert.equal(ev.userAgent, null);
    assert.equal(ev.outcome, 'failure');
  });

  void it('unescapes \\" inside quoted fields', async () => {
    const ev = await one(SIMULATOR_LINE.replace('"mlflow-python-client/2.14.1"', '"evil \\"agent\\""'));
    assert.equal(ev.userAgent, 'evil "agent"');
  });

  void it('identical lines get identical ids; different lines different ids', async () => {
    const out = await parse([SIMULATOR_LINE, SIMULATOR_LINE, SIMULATOR_LINE.replace('version=8', 'version=7')]);
    const ids = out.map((o) => (o.type === 'event' ? o.event.id : ''));
    assert.equal(ids[0], ids[1]);
    assert.notEqual(ids[0], ids[2]);
  });
});

void describe('mlflow-access: uvicorn lines', () => {
  const body = '10.20.1.7:51844 - "GET /api/2.0/mlflow/model-versions/get?name=tox&version=3 HTTP/1.1" 200 OK';

  for (const [label, line, time] of [
    ['asctime with comma milliseconds', `2026-02-03 10:15:02,123 INFO: ${body}`, '2026-02-03T10:15:02.123Z'],
    ['ISO with Z from a shipper', `2026-02-03T10:15:02.512931Z INFO:     ${body}`, '2026-02-03T10:15:02.512Z'],
    ['asctime with an offset and a logger name', `2026-02-03 11:15:02,123+0100 INFO [uvicorn.access] ${body}`, '2026-02-03T10:15:02.123Z'],
    ['level prefix then bracketed asctime', `INFO:     [2026-02-03 10:15:02] ${body}`, '2026-02-03T10:15:02.000Z'],
    ['colourised output', `2026-02-03 10:15:02,123 \x1b[32mINFO\x1b[0m:     ${body.replace('200 OK', '\x1b[32m200 OK\x1b[0m')}`, '2026-02-03T10:15:02.123Z'],
  ] as const) {
    void it(`accepts ${label}`, async () => {
      const ev = await one(line);
      assert.equal(ev.time, time);
      assert.equal(ev.action, 'get_version');
      assert.equal(ev.model, 'tox');
      assert.equal(ev.modelVersion, '3');
      assert.equal(ev.sourceIp, '10.20.1.7');
      assert.equal(ev.httpStatus, 200);
      assert.equal(ev.bytes, null);
      assert.equal(ev.userAgent, null);
      assert.deepEqual(ev.principal, { raw: UNKNOWN_CALLER, canonical: UNKNOWN_CALLER });
    });
  }

  void it('takes the host from an IPv6 client address', async () => {
    const ev = await one(`2026-02-03 10:15:02,123 INFO: ${body.replace('10.20.1.7:51844', '::1:51844')}`);
    assert.equal(ev.sourceIp, '::1');
  });

  void it('quarantines the default format, which has no timestamp', async () => {
    assert.equal(await reasonOf(`INFO:     ${body}`), 'uvicorn line without timestamp');
  });

  void it('quarantines a bad status and a bad prefix time', async () => {
    assert.match(await reasonOf(`2026-02-03 10:15:02,123 INFO: ${body.replace('200 OK', '2x0 OK')}`), /status "2x0"/);
    assert.match(await reasonOf(`2026-02-33 10:15:02,123 INFO: ${body}`), /not a valid time/);
  });

  void it('quarantines uvicorn server messages', async () => {
    assert.match(await reasonOf('INFO:     Started server process [1]'), /server log message/);
  });
});

void describe('mlflow-access: malformed lines are quarantined with a reason', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['truncated inside the user agent', SIMULATOR_LINE.slice(0, -10), /user agent: closing quote missing/],
    ['truncated inside the request line', SIMULATOR_LINE.slice(0, 80), /request line: closing quote missing/],
    ['truncated inside the timestamp', SIMULATOR_LINE.slice(0, 30), /timestamp bracket not closed/],
    ['truncated after the status', SIMULATOR_LINE.replace(/ 87 .*$/, ''), /response size missing/],
    ['truncated after the referer', SIMULATOR_LINE.replace(/ "mlflow-python-client\/2.14.1"$/, ''), /user agent missing/],
    ['bad month', SIMULATOR_LINE.replace('Feb', 'Fbr'), /timestamp \[03\/Fbr\/2026:10:15:02 \+0000\] is not a CLF time/],
    ['impossible day', SIMULATOR_LINE.replace('03/Feb', '31/Feb'), /is not a CLF time/],
    ['not a CLF time at all', SIMULATOR_LINE.replace('03/Feb/2026:10:15:02 +0000', 'yesterday'), /timestamp \[yesterday\]/],
    ['status with letters', SIMULATOR_LINE.replace(' 200 ', ' 2OO '), /status "2OO" is not an HTTP status code/],
    ['status out of range', SIMULATOR_LINE.replace(' 200 ', ' 999 '), /status "999"/],
    ['size with a unit', SIMULATOR_LINE.replace(' 87 ', ' 12k '), /response size "12k"/],
    ['unquoted request', SIMULATOR_LINE.replace(/"GET ([^"]*)"/, 'GET'), /request line missing or not quoted/],
    ['gunicorn error-log line', '[2026-02-03 10:15:11 +0000] [12] [ERROR] Error handling request /api/2.0/mlflow-artifacts/artifacts/x', /server log message/],
    ['JSON', '{"level":"info","msg":"hello"}', /not a gunicorn\/nginx combined or uvicorn access-log line/],
    ['binary junk', '\u0000\u0001\u0002 \ufffd\ufffd', /not a gunicorn/],
  ];
  for (const [label, line, reason] of cases) {
    void it(label, async () => {
      assert.match(await reasonOf(line), reason);
    });
  }

  void it('never throws and accounts for every record on truncations of every fixture line', async () => {
    const lines = ['gunicorn-access.log', 'nginx-combined.log', 'uvicorn-access.log']
      .flatMap((f) => readFileSync(join(FIXTURES, f), 'utf8').split('\n'))
      .filter((l) => l.trim());
    const mutated: string[] = [];
    for (const l of lines) {
      for (let cut = 1; cut < l.length; cut += 7) mutated.push(l.slice(0, cut));
      mutated.push(l.replace(/"/g, ''), l.replace(/\[|\]/g, ''), l.replace(/ /g, '  '), `${l}"`);
    }
    const out = await parse(mutated);
    assert.equal(out.length, mutated.length);
    for (const o of out) if (o.type === 'event') assert.ok(eventSchema.safeParse(o.event).success);
  });
});

void describe('mlflow-access: detection', () => {
  void it('claims MLflow access logs with high confidence', async () => {
    for (const f of ['gunicorn-access.log', 'nginx-combined.log', 'uvicorn-access.log', 'gunicorn-access-broken.log', 'gunicorn-access.log.gz']) {
      const d = detectFormat(await readSample(join(FIXTURES, f), f));
      assert.equal(d?.parser.format, 'mlflow-access', f);
      assert.ok(d.confidence >= 0.8, `${f}: ${d.confidence}`);
    }
  });

  void it('finds MLflow paths beyond the first lines (a log opening with health checks)', () => {
    const health = Array.from({ length: 30 }, () => '10.0.3.5 - - [03/Feb/2026:10:30:00 +0000] "GET /health HTTP/1.1" 200 2 "-" "kube-probe/1.29"');
    assert.ok(mlflowAccessParser.detect(sampleOf([...health, SIMULATOR_LINE].join('\n'))) >= 0.8);
  });

  void it('leaves a generic web access log below the claim threshold', () => {
    const generic = [
      '192.0.2.10 - - [03/Feb/2026:10:30:00 +0000] "GET /index.html HTTP/1.1" 200 5120 "-" "Mozilla/5.0"',
      '192.0.2.11 - - [03/Feb/2026:10:30:01 +0000] "GET /css/site.css HTTP/1.1" 200 812 "http://example.com/" "Mozilla/5.0"',
    ].join('\n');
    const c = mlflowAccessParser.detect(sampleOf(generic));
    assert.ok(c > 0 && c < 0.5, String(c));
  });

  void it('does not claim S3 server access logs of an MLflow artifact bucket', () => {
    const s3 =
      '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be mlflow-artifacts [06/Feb/2019:00:00:38 +0000] 192.0.2.3 ' +
      '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.BUCKET - ' +
      '"GET /mlflow-artifacts?list-type=2&prefix=mlflow-artifacts%2F HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - ' +
      's9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV2 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader ' +
      'mlflow-artifacts.s3.us-west-1.amazonaws.com TLSV1.1';
    assert.equal(mlflowAccessParser.detect(sampleOf(s3)), 0);
  });

  void it('does not claim JSON lines', () => {
    assert.equal(mlflowAccessParser.detect(sampleOf('{"TimeGenerated":"2026-02-03T10:15:02Z","EventType":"model_download","Details":{"uri":"/api/2.0/mlflow"}}')), 0);
  });
});

void describe('mlflow-access: fixtures through the pipeline', () => {
  const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<
    string,
    { format: string; read: number; stored: number; quarantined: number; duplicates?: number }
  >;

  for (const [file, exp] of Object.entries(expected)) {
    void it(`${file}: counts as expected.json says`, async () => {
      const chem = await sharedChem();
      await withMemoryStore(async (store) => {
        const s = await ingestPaths([join(FIXTURES, file)], { store, chem });
        assert.deepEqual(s.errors, []);
        assert.equal(s.files[0]?.format, exp.format);
        assert.deepEqual(
          { read: s.read, stored: s.stored, duplicates: s.duplicates, quarantined: s.quarantined },
          { read: exp.read, stored: exp.stored, duplicates: exp.duplicates ?? 0, quarantined: exp.quarantined },
        );
      });
    });
  }

  void it('the gzip copy yields the same events as the plain file', async () => {
    const chem = await sharedChem();
    const idsOf = (file: string): Promise<string[]> =>
      withMemoryStore(async (store) => {
        await ingestPaths([join(FIXTURES, file)], { store, chem });
        const ids: string[] = [];
        for await (const e of store.replay()) ids.push(e.id);
        return ids.sort();
      });
    const plain = await idsOf('gunicorn-access.log');
    assert.equal(plain.length, 26);
    assert.deepEqual(await idsOf('gunicorn-access.log.gz'), plain);
  });

  void it('re-ingesting a file adds nothing', async () => {
    const chem = await sharedChem();
    await withMemoryStore(async (store) => {
      const file = join(FIXTURES, 'nginx-combined.log');
      await ingestPaths([file], { store, chem });
      const again = await ingestPaths([file], { store, chem });
      assert.equal(again.stored, 0);
      assert.equal(again.duplicates, again.read);
    });
  });

  void it('stores the broken file with precise quarantine reasons', async () => {
    const chem = await sharedChem();
    await withMemoryStore(async (store) => {
      await ingestPaths([join(FIXTURES, 'gunicorn-access-broken.log')], { store, chem });
      const q = await store.quarantine();
      const byLine = Object.fromEntries(q.rows.map((r) => [r.line, r.reason]));
      assert.match(byLine[2] ?? '', /user agent: closing quote missing/);
      assert.match(byLine[3] ?? '', /not a CLF time/);
      assert.match(byLine[4] ?? '', /status "2OO"/);
      assert.match(byLine[6] ?? '', /response size "12k"/);
      assert.match(byLine[7] ?? '', /timestamp bracket not closed/);
      assert.match(byLine[8] ?? '', /server log message/);
      assert.match(byLine[10] ?? '', /not a gunicorn/);
    });
  });
});
