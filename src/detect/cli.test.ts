/** `mirrorwatch detect` end to end: a temp DuckDB store, the built CLI, the JSON contract. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { incidentSchema } from '../correlate/index.js';
import { eventSchema } from '../events/index.js';
import { openStore } from '../store/index.js';
import { withTempDir } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';
import { alertSchema } from './alert.js';
import { detectStore } from './run.js';
import { model, person, syntheticStream } from './testkit.js';

const BIN = join(repoRoot(), 'bin', 'mirrorwatch.js');

function detect(db: string, ...args: string[]) {
  return spawnSync(process.execPath, [BIN, 'detect', '--db', db, ...args], { encoding: 'utf8' });
}

describe('mirrorwatch detect', () => {
  it('prints alerts and incidents as JSON, the same as a second run, and honours --since', async () => {
    await withTempDir(async (dir) => {
      const db = join(dir, 'mw.duckdb');
      const store = await openStore({ path: db });
      try {
        const people = ['alice', 'bob', 'frank'].map((p) => person(p, 'comp-chem', p === 'bob' ? ['binding-affinity', 'predictive-safety'] : ['binding-affinity']));
        people.push(...['carol', 'dave', 'erin'].map((p) => person(p, 'drug-discovery', ['kinase'])));
        await store.putReference('directory', 'default', people.map((entry) => ({ kind: 'directory', entry })), 'directory.csv');
        const models = [
          model('binding-affinity-predictor', 'comp-chem', 'binding-affinity'),
          model('toxicity-classifier', 'comp-chem', 'predictive-safety'),
          model('kinase-selectivity', 'drug-discovery', 'kinase', 'CONFIDENTIAL', 2_000_000),
          model('admet-predictor', 'comp-chem', 'admet-platform'),
        ];
        await store.putReference('models', 'default', models.map((entry) => ({ kind: 'models', entry })), 'models.json');
        const events = syntheticStream({ days: 50, seed: 21 }).map((e) => eventSchema.parse(e));
        await store.append(events.map((event) => ({ event, raw: '{}' })), []);
      } finally {
        await store.close();
      }
      const r = detect(db, '--json');
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { alerts: unknown[]; incidents: unknown[] };
      assert.deepEqual(Object.keys(out), ['alerts', 'incidents']);
      for (const a of out.alerts) alertSchema.parse(a);
      for (const i of out.incidents) incidentSchema.parse(i);
      assert.equal(out.incidents.length, 1);
      assert.deepEqual((out.incidents[0] as { principals: string[] }).principals, ['alice']);
      const s = await openStore({ path: db, readOnly: true });
      try {
        const stored = await s.listAlerts({ limit: 100_000 });
        assert.equal(stored.total, out.alerts.length, 'every alert is kept in the store');
        assert.deepEqual(
          stored.rows.map((a) => a.id).sort(),
          (out.alerts as Array<{ id: string }>).map((a) => a.id).sort(),
        );
        assert.deepEqual((await s.listIncidents()).rows, out.incidents, 'incidents are kept in the store');
        const again = await detectStore(s);
        assert.equal(JSON.stringify({ alerts: again.alerts, incidents: again.incidents }, null, 2) + '\n', r.stdout, 'same store, same output');
        const later = await detectStore(s, { since: '2099-01-01T00:00:00.000Z' });
        assert.equal(later.alerts.length, 0);
        assert.equal(later.stats.received, 0);
      } finally {
        await s.close();
      }
      const text = detect(db);
      assert.match(text.stdout, /events analysed, \d+ alerts?, 1 incident\n/);
      assert.match(text.stdout, /^0 new events analysed/, 'a later run continues from the saved state');
      assert.match(detect(db, '--full').stdout, /^\d+ events analysed, \d+ alerts?, 1 incident\n/);
      const workers = detect(db, '--workers', '0');
      assert.equal(workers.status, 2);
      assert.match(workers.stderr, /--workers must be an integer/);
      const bad = detect(db, '--since', 'yesterday');
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /MW_ERR_USAGE/);
    });
  });
});
