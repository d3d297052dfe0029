import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Chem } from '../../chem/index.js';
import { eventSchema } from '../../events/index.js';
import type { InferenceEvent } from '../../events/index.js';
import { normalisePrincipal } from '../../events/principal.js';
import { ingestPaths } from '../../ingest/index.js';
import { collect, sharedChem, withMemoryStore } from '../../test-support/index.js';
import { sha256Hex } from '../../util/hash.js';
import { repoRoot } from '../../util/repo-root.js';
import { detectFormat } from '../index.js';
import type { Outcome, ParseContext, RawRecord, SourceParser } from '../types.js';
import {
  createKserveCloudEventsParser,
  DEFAULT_MAX_PENDING,
  detectCloudEvents,
  kserveCloudEventsParser,
  modelFromSource,
  preciseMs,
} from './index.js';

const FIXTURES = join(repoRoot(), 'src', 'sources', 'cloudevents', 'fixtures');
const fixtureLines = (name: string): string[] =>
  readFileSync(join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim());

let chem: Chem;
before(async () => {
  chem = await sharedChem();
});

function ctxOf(options: Record<string, string> = {}): ParseContext {
  return {
    file: 'test.jsonl',
    format: 'kserve-cloudevents',
    resolvePrincipal: (raw) => normalisePrincipal(raw),
    canonicalSmiles: (s) => chem.canonical(s),
    options,
  };
}

function recordsOf(lines: ReadonlyArray<string | object>): RawRecord[] {
  let offset = 0;
  return lines.map((l, i) => {
    const text = typeof l === 'string' ? l : JSON.stringify(l);
    const r = { text, line: i + 1, offset, hash: sha256Hex(text) };
    offset += Buffer.byteLength(text) + 1;
    return r;
  });
}

async function* iter<T>(xs: readonly T[]): AsyncGenerator<T> {
  for (const x of xs) yield x;
}

/** Runs the parser and checks the accounting rule: every record in exactly one outcome. */
async function run(
  lines: ReadonlyArray<string | object>,
  options: Record<string, string> = {},
  parser: SourceParser = kserveCloudEventsParser,
): Promise<{ outcomes: Outcome[]; events: InferenceEvent[]; quarantined: Array<Extract<Outcome, { type: 'quarantine' }>> }> {
  const records = recordsOf(lines);
  const outcomes = await collect(parser.parse(iter(records), ctxOf(options)));
  const seen = outcomes.flatMap((o) => o.records.map((r) => r.line)).sort((a, b) => a - b);
  assert.deepEqual(seen, records.map((r) => r.line), 'every record appears in exactly one outcome');
  const events: InferenceEvent[] = [];
  for (const o of outcomes) {
    if (o.type !== 'event') continue;
    const v = eventSchema.safeParse(o.event);
    assert.ok(v.success, `invalid event: ${JSON.stringify(v.error?.issues)}`);
    assert.equal(o.event.kind, 'inference');
    events.push(o.event as InferenceEvent);
  }
  const quarantined = outcomes.filter((o): o is Extract<Outcome, { type: 'quarantine' }> => o.type === 'quarantine');
  return { outcomes, events, quarantined };
}

const SIM_REQUEST = {
  specversion: '1.0',
  type: 'org.kubeflow.serving.inference.request',
  source: 'http://binding-affinity-predictor-predictor.ml-serving/',
  id: 'c0ffee00-1111-4222-8333-444455556666',
  time: '2026-02-03T10:15:02.123Z',
  datacontenttype: 'application/json',
  inferenceservicename: 'binding-affinity-predictor',
  namespace: 'ml-serving',
  endpoint: 'default',
  userid: 'jdoe',
  apikeyid: 'key-123',
  sourceip: '10.20.1.7',
  data: { instances: [{ smiles: 'CCO' }] },
};
const SIM_RESPONSE = {
  ...SIM_REQUEST,
  type: 'org.kubeflow.serving.inference.response',
  time: '2026-02-03T10:15:02.170Z',
  data: {
    predictions: [{ prediction: 7.2, confidence: 0.81, interval: [6.5, 7.9], attention_weights: [0.1, 0.2], binding_residues: ['ASP32'] }],
  },
};

void describe('kserve-cloudevents: joining request and response', () => {
  void it('turns the simulator request/response pair into one fully populated inference event', async () => {
    const { events, outcomes } = await run([SIM_REQUEST, SIM_RESPONSE]);
    assert.equal(outcomes.length, 1);
    const e = events[0]!;
    const [req, resp] = recordsOf([SIM_REQUEST, SIM_RESPONSE]);
    assert.deepEqual(outcomes[0]!.records.map((r) => r.line), [1, 2], 'request first');
    assert.equal(e.time, '2026-02-03T10:15:02.123Z');
    assert.deepEqual(e.principal, { raw: 'jdoe', canonical: 'jdoe' });
    assert.deepEqual(e.provenance, {
      format: 'kserve-cloudevents',
      file: 'test.jsonl',
      line: 1,
      offset: 0,
      recordHash: req!.hash,
      joined: [{ line: 2, offset: resp!.offset, hash: resp!.hash }],
    });
    assert.equal(e.model, 'binding-affinity-predictor');
    assert.equal(e.modelVersion, null);
    assert.equal(e.endpoint, 'default');
    assert.equal(e.apiKeyId, 'key-123');
    assert.equal(e.sourceIp, '10.20.1.7');
    assert.equal(e.userAgent, null);
    assert.equal(e.protocol, 'kserve-v1');
    assert.equal(e.batchSize, 1);
    assert.equal(e.outcome, 'success');
    assert.equal(e.httpStatus, 200);
    assert.equal(e.latencyMs, 47);
    assert.equal(e.bytesIn, Buffer.byteLength(JSON.stringify(SIM_REQUEST.data)));
    assert.equal(e.bytesOut, Buffer.byteLength(JSON.stringify(SIM_RESPONSE.data)));
    assert.equal(e.instances.length, 1);
    const inst = e.instances[0]!;
    assert.equal(inst.input.type, 'smiles');
    assert.equal(inst.input.type === 'smiles' && inst.input.canonical, 'CCO');
    assert.equal(inst.output?.prediction, 7.2);
    assert.equal(inst.output?.confidence, 0.81);
    assert.ok(Math.abs(inst.output!.intervalWidth! - 1.4) < 1e-9);
    assert.deepEqual(inst.output?.explanations, ['attention_weights', 'binding_residues', 'prediction_interval']);
  });

  void it('joins when the response line comes before the request line', async () => {
    const { events, outcomes } = await run([SIM_RESPONSE, SIM_REQUEST]);
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.deepEqual(outcomes[0]!.records.map((r) => r.line), [2, 1], 'request record first, response joined');
    assert.equal(e.provenance.line, 2);
    assert.deepEqual(e.provenance.joined?.map((r) => r.line), [1]);
    assert.equal(e.time, '2026-02-03T10:15:02.123Z', 'request time, not the earlier line');
    assert.equal(e.latencyMs, 47);
    // The event id is content-addressed over (request, response), so file order does not change it.
    const inOrder = await run([SIM_REQUEST, SIM_RESPONSE]);
    assert.equal(inOrder.events[0]!.id, e.id);
  });

  void it('joins pairs interleaved with other calls', async () => {
    const other = { ...SIM_REQUEST, id: 'other-1', userid: 'asmith', data: { instances: [{ smiles: 'c1ccccc1O' }] } };
    const otherResp = { ...SIM_RESPONSE, id: 'other-1', userid: 'asmith' };
    const { events } = await run([SIM_REQUEST, other, otherResp, SIM_RESPONSE]);
    assert.deepEqual(
      events.map((e) => [e.principal.raw, e.instances[0]!.output !== null]),
      [
        ['asmith', true],
        ['jdoe', true],
      ],
    );
  });

  void it('emits a request with no response at end of input, outputs null', async () => {
    const { events, quarantined } = await run([SIM_REQUEST]);
    assert.equal(quarantined.length, 0);
    const e = events[0]!;
    assert.equal(e.instances.length, 1);
    assert.equal(e.instances[0]!.output, null);
    assert.equal(e.outcome, 'unknown');
    assert.equal(e.httpStatus, null);
    assert.equal(e.latencyMs, null);
    assert.equal(e.bytesOut, null);
    assert.equal(e.provenance.joined, undefined);
  });

  void it('quarantines a response with no request by end of input', async () => {
    const { events, quarantined } = await run([SIM_RESPONSE]);
    assert.equal(events.length, 0);
    assert.equal(quarantined.length, 1);
    assert.equal(quarantined[0]!.reason, `response without matching request (id ${SIM_RESPONSE.id})`);
    assert.equal(quarantined[0]!.raw, JSON.stringify(SIM_RESPONSE));
  });

  void it('emits an earlier request unjoined when the same id is requested again before any response', async () => {
    const again = { ...SIM_REQUEST, time: '2026-02-03T10:15:03.000Z' };
    const { events } = await run([SIM_REQUEST, again, { ...SIM_RESPONSE, time: '2026-02-03T10:15:03.010Z' }]);
    assert.equal(events.length, 2);
    assert.equal(events[0]!.time, '2026-02-03T10:15:02.123Z');
    assert.equal(events[0]!.instances[0]!.output, null);
    assert.equal(events[1]!.time, '2026-02-03T10:15:03.000Z');
    assert.equal(events[1]!.latencyMs, 10);
  });

  void it('does not cross-join two KServe components that logged the same id', async () => {
    const t = { ...SIM_REQUEST, component: 'transformer' };
    const p = { ...SIM_REQUEST, component: 'predictor' };
    const { events, quarantined } = await run([t, p, { ...SIM_RESPONSE, component: 'predictor' }, { ...SIM_RESPONSE, component: 'transformer' }]);
    assert.equal(quarantined.length, 0);
    assert.deepEqual(events.map((e) => e.provenance.joined?.[0]?.line), [3, 4]);
  });

  void it('uses the response time when the request has none, and quarantines a pair with no time at all', async () => {
    const { time: _t, ...noTime } = SIM_REQUEST;
    const r1 = await run([noTime, SIM_RESPONSE]);
    assert.equal(r1.events[0]!.time, '2026-02-03T10:15:02.170Z');
    assert.equal(r1.events[0]!.latencyMs, null);
    const { time: _t2, ...noTimeResp } = SIM_RESPONSE;
    const r2 = await run([noTime, noTimeResp]);
    assert.equal(r2.events.length, 0);
    assert.deepEqual(r2.quarantined[0]!.records.map((r) => r.line), [1, 2]);
    assert.match(r2.quarantined[0]!.reason, /no time attribute on the request .* nor on its response/);
  });

  void it('keeps sub-millisecond logger times for latency', () => {
    const d = preciseMs('2021-04-10T00:23:26.080736102Z')! - preciseMs('2021-04-10T00:23:26.0789529Z')!;
    assert.ok(Math.abs(d - 1.783202) < 1e-3, String(d));
    assert.equal(preciseMs('2026-02-03T12:15:02.5+02:00'), Date.parse('2026-02-03T10:15:02.500Z'));
    assert.equal(preciseMs('not a time'), null);
  });
});

void describe('kserve-cloudevents: real captures', () => {
  void it('joins the Seldon Core request-logger HTTP dumps by ce-requestid (their ce-ids differ)', async () => {
    const { events } = await run(fixtureLines('seldon-request-logger.jsonl'));
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.equal(e.time, '2020-11-06T09:35:09.171Z');
    assert.equal(e.model, 'model-logs');
    assert.equal(e.endpoint, 'logging');
    assert.deepEqual(e.principal, { raw: 'unknown:seldon/model-logs', canonical: 'unknown:seldon/model-logs' });
    assert.equal(e.protocol, 'seldon-v1');
    assert.equal(e.batchSize, 1);
    assert.deepEqual(e.instances[0]!.input.type === 'features' && e.instances[0]!.input.features, [1, 2, 5]);
    assert.equal(e.instances[0]!.output?.prediction, 0.43782349911420193);
    assert.equal(e.outcome, 'success');
    assert.equal(e.httpStatus, null, 'Seldon does not say which statuses it logs');
    assert.equal(e.latencyMs, 8.674);
    assert.equal(e.bytesIn, 39, 'content-length of the logged body');
    assert.equal(e.bytesOut, 73);
    assert.equal(e.sourceIp, null, "the dump's ip is the logger's, not the caller's");
    assert.equal(e.userAgent, null, "Go-http-client is the logger's user agent");
  });

  void it('reads the KServe HTTP header dump: CloudEvents 0.2, JSON-quoted extension values, response first', async () => {
    const { events } = await run(fixtureLines('kserve-http-headers-dump.jsonl'));
    const e = events[0]!;
    assert.equal(e.model, 'iris');
    assert.equal(e.endpoint, 'default');
    assert.equal(e.principal.raw, 'unknown:default/iris');
    assert.equal(e.time, '2020-02-27T09:52:15.816Z');
    assert.equal(e.latencyMs, 4.069);
    assert.equal(e.provenance.line, 2);
    assert.equal(e.instances.length, 2);
    assert.deepEqual(
      e.instances.map((i) => i.output?.prediction),
      [1, 1],
    );
  });

  void it('reads the message-dumper content rewritten as structured JSON lines', async () => {
    const { events } = await run(fixtureLines('kserve-structured.jsonl').slice(0, 4));
    assert.equal(events.length, 2);
    assert.deepEqual(
      events.map((e) => [e.time, e.latencyMs, e.endpoint, e.model]),
      [
        ['2021-04-10T00:23:26.078Z', 1.783, null, 'sklearn-iris'],
        ['2021-04-10T01:22:16.498Z', 1.576, null, 'sklearn-iris'],
      ],
    );
  });
});

void describe('kserve-cloudevents: bodies', () => {
  void it('decodes Open Inference Protocol V2 bodies and takes the model version from the response', async () => {
    const lines = fixtureLines('kserve-structured.jsonl').slice(6, 8);
    const { events } = await run(lines);
    const e = events[0]!;
    assert.equal(e.protocol, 'oip-v2');
    assert.equal(e.model, 'tox21-classifier');
    assert.equal(e.modelVersion, '3');
    assert.equal(e.batchSize, 2);
    assert.deepEqual(
      e.instances.map((i) => [i.input.type === 'smiles' ? i.input.canonical : null, i.output?.prediction]),
      [
        ['CCO', 0.12],
        ['Oc1ccccc1', 0.87],
      ],
    );
    // Caller, client address and user agent from KServe's metadata extension (forwarded request headers).
    assert.equal(e.principal.raw, 'asmith');
    assert.equal(e.sourceIp, '10.20.4.11', 'first hop of X-Forwarded-For');
    assert.equal(e.userAgent, 'python-requests/2.32.3');
  });

  void it('decodes data_base64 payloads', async () => {
    const { events } = await run(fixtureLines('kserve-structured.jsonl').slice(8, 10));
    const e = events[0]!;
    assert.equal(e.batchSize, 2);
    assert.deepEqual(
      e.instances.map((i) => i.output?.prediction),
      [5.1, 6.3],
    );
    assert.equal(e.principal.raw, 'bwong');
  });

  void it('treats a non-JSON payload as one opaque instance', async () => {
    const req = { ...SIM_REQUEST, datacontenttype: 'text/plain', data: 'c1ccccc1O' };
    const { events } = await run([req]);
    assert.equal(events[0]!.protocol, 'unknown');
    assert.equal(events[0]!.batchSize, 1);
    assert.equal(events[0]!.instances[0]!.input.type, 'smiles');
  });

  void it('marks an error response as a failure', async () => {
    const { events } = await run([SIM_REQUEST, { ...SIM_RESPONSE, data: { error: 'model not ready' } }]);
    assert.equal(events[0]!.outcome, 'failure');
    const seldon = await run([
      { ...SIM_REQUEST, type: 'io.seldon.serving.inference.request', data: { data: { ndarray: [[1, 2]] } } },
      { ...SIM_RESPONSE, type: 'io.seldon.serving.inference.response', data: { status: { code: 500, info: 'boom', status: 'FAILURE' } } },
    ]);
    assert.equal(seldon.events[0]!.outcome, 'failure');
  });

  void it('quarantines a capture whose JSON content-type body is not JSON', async () => {
    const [reqLine] = fixtureLines('seldon-request-logger.jsonl');
    const broken = JSON.parse(reqLine!) as Record<string, unknown>;
    broken['body'] = '{"data": {"ndarray":[[1.0,';
    delete broken['json'];
    const { quarantined } = await run([broken]);
    assert.match(quarantined[0]!.reason, /^body is not valid JSON although the content type is application\/json/);
  });
});

void describe('kserve-cloudevents: model and identity', () => {
  void it('falls back to the source URI for the model', async () => {
    assert.equal(modelFromSource('http://binding-affinity-predictor-predictor.ml-serving/'), 'binding-affinity-predictor');
    assert.equal(modelFromSource('http://sklearn-iris-predictor-default.default.svc.cluster.local'), 'sklearn-iris');
    assert.equal(modelFromSource('http://models.internal/v1/models/solubility:predict'), 'solubility');
    assert.equal(modelFromSource('/apis/serving/ml/pka-model'), 'pka-model');
    assert.equal(modelFromSource('http://localhost:9081/'), null);
    assert.equal(modelFromSource('http://:8000/'), null);
    const { inferenceservicename: _i, ...noName } = SIM_REQUEST;
    const { events } = await run([noName]);
    assert.equal(events[0]!.model, 'binding-affinity-predictor');
  });

  void it('takes the Seldon modelid when there is no inferenceservicename', async () => {
    const { inferenceservicename: _i, ...rest } = SIM_REQUEST;
    const { events } = await run([{ ...rest, type: 'io.seldon.serving.inference.request', modelid: 'classifier', source: 'http://:8000/' }]);
    assert.equal(events[0]!.model, 'classifier');
  });

  void it('quarantines a call that names no model anywhere', async () => {
    const { inferenceservicename: _i, ...rest } = SIM_REQUEST;
    const req = { ...rest, source: 'http://localhost:9081/' };
    const resp = { ...req, type: SIM_RESPONSE.type, data: SIM_RESPONSE.data };
    const { quarantined } = await run([req, resp]);
    assert.equal(quarantined.length, 1);
    assert.deepEqual(quarantined[0]!.records.map((r) => r.line), [1, 2]);
    assert.match(quarantined[0]!.reason, /^no model/);
  });

  void it('defaults the caller to unknown:<namespace>/<model>', async () => {
    const { userid: _u, ...anon } = SIM_REQUEST;
    const { events } = await run([anon]);
    assert.deepEqual(events[0]!.principal, {
      raw: 'unknown:ml-serving/binding-affinity-predictor',
      canonical: 'unknown:ml-serving/binding-affinity-predictor',
    });
  });

  void it('reads the caller from the attributes named by cloudevents.identity, in order', async () => {
    const req = { ...SIM_REQUEST, owner: 'svc-batch', tenantuser: 'Carol@Example.com' };
    assert.equal((await run([req])).events[0]!.principal.raw, 'jdoe', 'default list finds userid');
    assert.equal((await run([req], { 'cloudevents.identity': 'owner' })).events[0]!.principal.raw, 'svc-batch');
    const ordered = (await run([req], { 'cloudevents.identity': 'missing, tenant-user ,owner' })).events[0]!.principal;
    assert.deepEqual(ordered, { raw: 'Carol@Example.com', canonical: 'carol@example.com' }, 'tenant-user matches extension tenantuser');
    const none = (await run([req], { 'cloudevents.identity': 'nobody' })).events[0]!.principal.raw;
    assert.equal(none, 'unknown:ml-serving/binding-affinity-predictor');
  });

  void it('reads the caller from ce- headers, plain headers and metadata of an HTTP capture', async () => {
    const [reqLine, respLine] = fixtureLines('seldon-request-logger.jsonl');
    const withHeaders = (line: string, extra: Record<string, string>): object => {
      const o = JSON.parse(line) as { headers: Record<string, string> };
      return { ...o, headers: { ...o.headers, ...extra } };
    };
    const viaCe = await run([withHeaders(reqLine!, { 'ce-userid': 'dana' }), respLine!]);
    assert.equal(viaCe.events[0]!.principal.raw, 'dana');
    const viaPlain = await run([withHeaders(reqLine!, { 'X-Forwarded-User': 'erin', 'X-Forwarded-For': '10.1.2.3, 10.9.9.9' }), respLine!]);
    assert.equal(viaPlain.events[0]!.principal.raw, 'erin');
    assert.equal(viaPlain.events[0]!.sourceIp, '10.1.2.3');
    const viaOption = await run([withHeaders(reqLine!, { 'x-team-user': 'frank' }), respLine!], { 'cloudevents.identity': 'x-team-user' });
    assert.equal(viaOption.events[0]!.principal.raw, 'frank');
    const viaMeta = await run([withHeaders(reqLine!, { 'ce-metadata': '{"X-Auth-Request-User":["gina"]}' }), respLine!]);
    assert.equal(viaMeta.events[0]!.principal.raw, 'gina');
  });
});

void describe('kserve-cloudevents: bounded join buffer', () => {
  const req = (i: number): object => ({ ...SIM_REQUEST, id: `req-${i}`, time: `2026-02-03T10:00:${String(i % 60).padStart(2, '0')}.000Z` });

  void it('defaults to 100,000 pending events', () => {
    assert.equal(DEFAULT_MAX_PENDING, 100_000);
  });

  void it('emits the oldest request unjoined once the buffer is full, while input is still being read', async () => {
    const maxPending = 3;
    const parser = createKserveCloudEventsParser({ maxPending });
    const records = recordsOf(Array.from({ length: 50 }, (_, i) => req(i)));
    let consumed = 0;
    async function* counting(): AsyncGenerator<RawRecord> {
      for (const r of records) {
        consumed++;
        yield r;
      }
    }
    let emitted = 0;
    let maxLag = 0;
    for await (const o of parser.parse(counting(), ctxOf())) {
      assert.equal(o.type, 'event');
      emitted++;
      maxLag = Math.max(maxLag, consumed - emitted);
    }
    assert.equal(emitted, 50);
    assert.ok(maxLag <= maxPending + 1, `at most ${maxPending} events wait (lag ${maxLag})`);
  });

  void it('quarantines a response that arrives after its request was evicted', async () => {
    const lines = [req(0), req(1), req(2), { ...SIM_RESPONSE, id: 'req-0' }];
    const { events, quarantined } = await run(lines, { 'cloudevents.maxPending': '2' });
    assert.equal(events.length, 3);
    assert.ok(events.every((e) => e.instances[0]!.output === null));
    assert.equal(quarantined[0]!.reason, 'response without matching request (id req-0)');
  });

  void it('evicts waiting responses as orphans', async () => {
    const resp = (i: number): object => ({ ...SIM_RESPONSE, id: `resp-${i}` });
    const { quarantined } = await run([resp(0), resp(1), resp(2)], { 'cloudevents.maxPending': '2' });
    assert.match(quarantined[0]!.reason, /^response without matching request \(id resp-0\); evicted from the join buffer of 2/);
    assert.equal(quarantined.length, 3);
  });

  void it('still joins everything that fits in the buffer', async () => {
    const lines: object[] = [];
    for (let i = 0; i < 20; i++) lines.push(req(i));
    for (let i = 19; i >= 0; i--) lines.push({ ...SIM_RESPONSE, id: `req-${i}` });
    const { events } = await run(lines, { 'cloudevents.maxPending': '20' });
    assert.equal(events.length, 20);
    assert.ok(events.every((e) => e.instances[0]!.output !== null));
  });
});

void describe('kserve-cloudevents: malformed records and detection', () => {
  void it('quarantines broken records with precise reasons', async () => {
    const { events, quarantined } = await run(fixtureLines('mixed-broken.jsonl'));
    assert.equal(events.length, 3);
    assert.deepEqual(
      quarantined.map((q) => [q.records[0]!.line, q.reason.replace(/:.*$/, '').slice(0, 40)]),
      [
        [2, 'not valid JSON'],
        [3, 'type attribute missing (required by Clou'],
        [4, 'id attribute missing (required by CloudE'],
        [5, 'time attribute "yesterday at noon" is no'],
        [6, 'type attribute "dev.knative.sources.ping'],
        [7, 'id attribute is {"value"'],
        [8, 'data_base64 is not valid base64'],
        [10, 'response without matching request (id 0e'],
      ],
    );
    const seldon = events.find((e) => e.model === 'solubility')!;
    assert.equal(seldon.latencyMs, 12.5);
    assert.equal(seldon.provenance.line, 12);
  });

  void it('never throws on mutated records and accounts for every one', async () => {
    const lines = [...fixtureLines('kserve-structured.jsonl'), ...fixtureLines('seldon-request-logger.jsonl')];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(lines.length - 1), fc.nat(4000), fc.constantFrom('cut', 'drop-quote', 'keep', 'swap-colon')), {
          maxLength: 30,
        }),
        async (picks) => {
          const mutated = picks.map(([i, at, how]) => {
            const l = lines[i]!;
            if (how === 'cut') return l.slice(0, at % l.length) || '{';
            if (how === 'drop-quote') return l.slice(0, at % l.length) + l.slice((at % l.length) + 1);
            if (how === 'swap-colon') return l.replace(/:/, ',');
            return l;
          });
          await run(mutated);
        },
      ),
      { numRuns: 60 },
    );
  });

  void it('detects logger captures and leaves other JSON lines alone', () => {
    const sample = (lines: string[]): { fileName: string; head: string; lines: string[] } => ({
      fileName: 'x.jsonl',
      head: lines.join('\n'),
      lines,
    });
    for (const f of ['kserve-structured.jsonl', 'seldon-request-logger.jsonl', 'kserve-http-headers-dump.jsonl', 'mixed-broken.jsonl']) {
      assert.ok(detectCloudEvents(sample(fixtureLines(f))) >= 0.7, f);
    }
    // A sample line cut at 64 KiB still counts.
    assert.ok(detectCloudEvents(sample([JSON.stringify(SIM_REQUEST).slice(0, 200)])) > 0.9);
    assert.equal(detectCloudEvents(sample(['{"specversion":"1.0","type":"dev.knative.sources.ping","id":"1"}'])), 0);
    assert.equal(detectCloudEvents(sample(['{"TimeGenerated":"2026-01-01T00:00:00Z","EventType":"prediction_request"}'])), 0);
    assert.equal(detectCloudEvents(sample(['not json'])), 0);
  });

  void it('ingests the gzip fixture exactly like the plain file', async () => {
    await withMemoryStore(async (store) => {
      const gz = await ingestPaths([join(FIXTURES, 'kserve-structured.jsonl.gz')], { store, chem });
      assert.deepEqual(gz.files.map((f) => [f.format, f.read, f.stored, f.quarantined]), [['kserve-cloudevents', 11, 11, 0]]);
      assert.equal(gz.events, 6);
      // Event ids are content-addressed: the plain copy adds nothing.
      const plain = await ingestPaths([join(FIXTURES, 'kserve-structured.jsonl')], { store, chem });
      assert.equal(plain.duplicates, 11);
      assert.equal(plain.stored, 0);
    });
  });

  void it('is picked by format detection in the registry', async () => {
    const { readSample } = await import('../../ingest/read.js');
    for (const f of ['kserve-structured.jsonl.gz', 'seldon-request-logger.jsonl']) {
      const d = detectFormat(await readSample(join(FIXTURES, f), f));
      assert.equal(d?.parser.format, 'kserve-cloudevents', f);
    }
  });
});
