/** `mirrorwatch evaluate` end to end: a temp store, a hand-made truth file, the built CLI. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventSchema } from '../events/index.js';
import { detectStore } from '../detect/run.js';
import { model, person, syntheticStream } from '../detect/testkit.js';
import { openStore } from '../store/index.js';
import { withTempDir } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';
import { evaluate, parseTruth } from './index.js';

const BIN = join(repoRoot(), 'bin', 'mirrorwatch.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, 'evaluate', ...args], { encoding: 'utf8' });

describe('mirrorwatch evaluate', () => {
  it('scores the store against a truth file, as JSON and as a report, and rejects a bad truth file with MW_ERR_TRUTH', async () => {
    await withTempDir(async (dir) => {
      const db = join(dir, 'mw.duckdb');
      const store = await openStore({ path: db });
      const events = syntheticStream({ days: 50, seed: 21 }).map((e) => eventSchema.parse(e));
      try {
        const people = ['alice', 'bob', 'frank'].map((p) => person(p, 'comp-chem', p === 'bob' ? ['binding-affinity', 'predictive-safety'] : ['binding-affinity']));
        people.push(...['carol', 'dave', 'erin'].map((p) => person(p, 'drug-discovery', ['kinase'])));
        await store.putReference('directory', 'default', people.map((entry) => ({ kind: 'directory', entry })), 'directory.csv');
        const models = [model('binding-affinity-predictor', 'comp-chem', 'binding-affinity'), model('toxicity-classifier', 'comp-chem', 'predictive-safety'), model('admet-predictor', 'comp-chem', 'admet-platform')];
        await store.putReference('models', 'default', models.map((entry) => ({ kind: 'models', entry })), 'models.json');
        await store.append(events.map((event) => ({ event, raw: '{}' })), []);
      } finally {
        await store.close();
      }
      const start = events.find((e) => e.principal.canonical === 'alice' && e.kind === 'registry')?.time ?? events[0]!.time;
      const truthValue = {
        seed: 21,
        variant: 'baseline',
        attacker: 'alice',
        accomplices: [],
        resignation: null,
        phases: [{ id: 'artifact_theft', start, end: events[events.length - 1]!.time, techniques: ['AML.T0048.004'] }],
        decoys: [{ principal: 'bob', behaviour: 'retraining_downloads' }],
        benign: ['carol', 'dave', 'erin', 'frank'],
      };
      const truthFile = join(dir, 'truth.json');
      await writeFile(truthFile, JSON.stringify(truthValue));

      const r = cli('--truth', truthFile, '--db', db, '--json');
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as Record<string, unknown>;
      const s = await openStore({ path: db, readOnly: true });
      const expected = await detectStore(s).finally(() => s.close());
      assert.deepEqual(out, { ...JSON.parse(JSON.stringify(evaluate(parseTruth(truthValue, truthFile), expected))), source: 'run' });
      assert.ok((out['incident'] as { id: string } | null)?.id, 'alice has an incident in the synthetic stream');

      const text = cli('--truth', truthFile, '--db', db);
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, /incident opened .* after the first malicious act/);
      assert.match(text.stdout, /decoy retraining_downloads \(bob\)/);

      await writeFile(truthFile, JSON.stringify({ ...truthValue, phases: 'none' }));
      const bad = cli('--truth', truthFile, '--db', db);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /MW_ERR_TRUTH/);
      assert.ok(bad.stderr.includes(truthFile) && bad.stderr.includes('phases'), bad.stderr);
      assert.equal(cli('--db', db).status, 2, '--truth is required');
    });
  });
});
