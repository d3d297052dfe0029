import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeAlert } from '../detect/alert.js';
import type { Alert, Severity } from '../detect/alert.js';
import { createCorrelator } from '../correlate/index.js';
import { buildContext } from '../detect/types.js';
import { withMemoryStore, withTempDir } from '../test-support/index.js';
import { openStore } from './index.js';

const T0 = Date.parse('2026-03-02T00:00:00Z');
const H = 3_600_000;

function alert(principal: string, hour: number, severity: Severity, detector = 'query-volume'): Alert {
  return makeAlert({
    detector,
    severity,
    principal,
    models: ['m1'],
    atMs: T0 + hour * H,
    windowStartMs: T0 + (hour - 1) * H,
    windowEndMs: T0 + hour * H,
    techniques: ['AML.T0024.002', 'T1119'],
    observed: 10 + hour,
    baseline: 2,
    threshold: 8,
    evidence: ['0'.repeat(31) + (hour % 10)],
    explanation: `Test alert for ${principal} at hour ${hour}.`,
  });
}

test('alerts: upsert by id, filters, paging and event-time order', async () => {
  await withMemoryStore(async (store) => {
    const a = [alert('alice', 5, 'low'), alert('bob', 2, 'high'), alert('alice', 1, 'medium'), alert("o'hara", 3, 'critical')];
    await store.putAlerts(a);
    await store.putAlerts([{ ...a[0]!, severity: 'high' }]); // same id: replaced, not added
    const all = await store.listAlerts();
    assert.equal(all.total, 4);
    assert.deepEqual(
      all.rows.map((r) => r.at),
      [...a].map((r) => r.at).sort(),
    );
    assert.equal(all.rows.find((r) => r.id === a[0]!.id)!.severity, 'high');
    assert.deepEqual((await store.listAlerts({ principal: "o'hara" })).rows, [a[3]]);
    const alice = await store.listAlerts({ principal: 'alice', severities: ['high'] });
    assert.equal(alice.total, 1);
    const since = await store.listAlerts({ since: new Date(T0 + 2 * H).toISOString(), until: new Date(T0 + 5 * H).toISOString() });
    assert.deepEqual(since.rows.map((r) => r.principal), ['bob', "o'hara"]);
    const paged = await store.listAlerts({ limit: 2, offset: 1 });
    assert.equal(paged.total, 4);
    assert.deepEqual(paged.rows, all.rows.slice(1, 3));
    assert.deepEqual((await store.listAlerts({ ids: [] })).rows, []);
    assert.deepEqual((await store.listAlerts({ ids: [a[1]!.id] })).rows, [a[1]]);
  });
});

test('incidents: upsert, whole-name principal filter, get by id', async () => {
  await withMemoryStore(async (store) => {
    const correlator = createCorrelator(buildContext({ directory: [], models: [], compounds: [] }));
    correlator.add([alert('alice', 1, 'critical', 'registry-theft'), alert('al', 2, 'critical', 'registry-theft')]);
    const incidents = correlator.incidents();
    assert.equal(incidents.length, 2);
    await store.putIncidents(incidents);
    await store.putIncidents(incidents);
    assert.equal((await store.listIncidents()).total, 2);
    const al = await store.listIncidents({ principal: 'al' });
    assert.deepEqual(al.rows.map((i) => i.principals), [['al']]);
    assert.deepEqual(await store.getIncident(incidents[0]!.id), incidents[0]);
    assert.equal(await store.getIncident('f'.repeat(24)), null);
  });
});

test('documents: put, get, list by prefix, delete; survive reopening the file', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'x.duckdb');
    let store = await openStore({ path });
    await store.putDocument('runs', 'inc-1', { step: 1, note: "it's; DROP TABLE documents" });
    await store.putDocument('runs', 'inc-2', { step: 2 });
    await store.putDocument('other', 'inc-1', [1, 2]);
    await store.putDocument('runs', 'inc-1', { step: 3 });
    await store.close();
    store = await openStore({ path });
    try {
      assert.deepEqual((await store.getDocument('runs', 'inc-1'))?.body, { step: 3 });
      assert.match((await store.getDocument('runs', 'inc-1'))!.updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual((await store.listDocuments('runs')).map((d) => d.id), ['inc-1', 'inc-2']);
      assert.deepEqual((await store.listDocuments('runs', { prefix: 'inc-2' })).map((d) => d.body), [{ step: 2 }]);
      assert.equal(await store.deleteDocument('runs', 'inc-1'), true);
      assert.equal(await store.deleteDocument('runs', 'inc-1'), false);
      assert.equal(await store.getDocument('runs', 'inc-1'), null);
      assert.deepEqual((await store.getDocument('other', 'inc-1'))?.body, [1, 2]);
      await assert.rejects(store.putDocument('runs', 'x', undefined), /JSON-serialisable/);
    } finally {
      await store.close();
    }
  });
});

test('ingest health: events per source format and event-time hour over the last hours, quarantine by format', async () => {
  const { inference, registry } = await import('../detect/testkit.js');
  const { eventSchema } = await import('../events/index.js');
  await withMemoryStore(async (store) => {
    assert.deepEqual(await store.ingestHealth(), { perHour: [], quarantined: [], latest: null });
    const at = (h: number, m = 0): number => T0 + h * H + m * 60_000;
    const evs = [
      { ...inference('alice', at(0, 5)), provenance: { format: 'ml-platform-logs', file: 'a', line: 1, offset: 0, recordHash: '0'.repeat(64) } },
      { ...inference('alice', at(60, 5)), provenance: { format: 'ml-platform-logs', file: 'a', line: 2, offset: 0, recordHash: '1'.repeat(64) } },
      { ...inference('bob', at(60, 40)), provenance: { format: 'ml-platform-logs', file: 'a', line: 3, offset: 0, recordHash: '2'.repeat(64) } },
      { ...registry('bob', at(61, 1), 'list_models'), provenance: { format: 'mlflow-access', file: 'b', line: 1, offset: 0, recordHash: '3'.repeat(64) } },
    ].map((e) => eventSchema.parse(e));
    await store.append(evs.map((event) => ({ event, raw: '{}' })), [
      { format: 'minio-audit', file: 'c', line: 9, offset: 0, recordHash: '4'.repeat(64), reason: 'bad json', raw: '{' },
    ]);
    const h = await store.ingestHealth(48);
    assert.equal(h.latest, new Date(at(61, 1)).toISOString());
    assert.deepEqual(h.perHour, [
      { hour: new Date(at(60)).toISOString().replace('.000Z', 'Z'), format: 'ml-platform-logs', events: 2 },
      { hour: new Date(at(61)).toISOString().replace('.000Z', 'Z'), format: 'mlflow-access', events: 1 },
    ], 'the event 61 hours earlier is outside the 48-hour window');
    assert.deepEqual(h.quarantined, [{ format: 'minio-audit', records: 1 }]);
    assert.equal((await store.ingestHealth(100)).perHour.length, 3);
  });
});
