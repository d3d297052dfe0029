/** `mirrorwatch incident` and `mirrorwatch evidence` through the built CLI, on a temp DuckDB store. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../store/index.js';
import { withTempDir } from '../test-support/index.js';
import { sha256Hex } from '../util/hash.js';
import { repoRoot } from '../util/repo-root.js';
import { EVIDENCE_COLLECTION, type EvidenceEntry } from './evidence.js';
import { checkStixBundle } from './stix-check.js';
import { seedIncident } from './testkit.js';

const BIN = join(repoRoot(), 'bin', 'mirrorwatch.js');

describe('mirrorwatch incident / evidence', () => {
  it('runs the playbook, acts, notes, exports, reports, verifies and catches tampering', async () => {
    await withTempDir(async (dir) => {
      const db = join(dir, 'mw.duckdb');
      const store = await openStore({ path: db });
      const inc = await seedIncident(store, 'mallory', ['extraction_via_api']);
      await store.close();
      const mw = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--db', db, '--actor', 'alice-ir'], { encoding: 'utf8' });

      const list = mw('incident', 'list', '--json');
      assert.equal(list.status, 0, list.stderr);
      assert.deepEqual((JSON.parse(list.stdout) as Array<{ id: string; run: unknown }>).map((x) => [x.id, x.run]), [[inc.id, null]]);

      const dry = mw('incident', 'run', inc.id, '--dry-run', '--at', '2026-03-02T09:03:00Z');
      assert.equal(dry.status, 0, dry.stderr);
      assert.match(dry.stdout, /decision: Rate-limit, preserve evidence, investigate within 15 minutes {2}\(owner SOC lead/);
      assert.match(dry.stdout, /would FAIL throttle: the gateway connector is not configured/);
      assert.match(dry.stdout, /clock containment due 2026-03-02T09:15:00\.000Z {2}running \(12 min left\)/);

      // Without a gateway the automatic steps fail: reported, recorded, exit 1.
      const run = mw('incident', 'run', inc.id, '--at', '2026-03-02T09:04:00Z');
      assert.equal(run.status, 1);
      assert.match(run.stdout, /FAILED throttle: the gateway connector is not configured/);
      assert.match(mw('incident', 'run', '--all').stdout, /every incident already has a playbook run/);
      const fwd = join(dir, 'fwd.jsonl');
      assert.match(mw('incident', 'forward', '--jsonl', fwd).stdout, /: 2 sent/, 'one alert and one incident');
      assert.match(mw('incident', 'forward', '--jsonl', fwd).stdout, /: 0 sent/, 'each record once per sink');
      const act = mw('incident', 'act', inc.id, 'lock_storage', '--at', '2026-03-02T09:05:00Z');
      assert.equal(act.status, 0, act.stderr);
      assert.match(act.stdout, /--- mw-deny-mallory-[0-9a-f]{8}-s3-models\.json\n/);
      assert.match(act.stdout, /"arn:aws:s3:::models\/binding-affinity-predictor\/\*"/);
      const unknown = mw('incident', 'act', inc.id, 'launch_missiles');
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /MW_ERR_RESPOND_UNKNOWN_STEP/);
      assert.equal(mw('incident', 'note', inc.id, 'called the user\'s manager').status, 0);
      const confirm = mw('incident', 'confirm', inc.id, 'insider_confirmed');
      assert.match(confirm.stdout, /decision: Notify Legal, HR, Privacy and executives.*escalate: HR, Legal, CISO/);

      const show = JSON.parse(mw('incident', 'show', inc.id, '--json').stdout) as { run: { notes: Array<{ actor: string }>; actions: unknown[] } };
      assert.equal(show.run.notes[0]!.actor, 'alice-ir');
      assert.equal(show.run.actions.length, 3);

      const stix = mw('incident', 'export-stix', inc.id);
      assert.equal(stix.status, 0, stix.stderr);
      assert.deepEqual(checkStixBundle(JSON.parse(stix.stdout) as Parameters<typeof checkStixBundle>[0]), []);
      const csv = mw('incident', 'ioc', inc.id, '--format', 'csv');
      assert.match(csv.stdout, /^type,value,context\r\nprincipal,mallory,/);

      const rep = mw('incident', 'report', inc.id, '--out', join(dir, 'rep'), '--no-pdf');
      assert.equal(rep.status, 0, rep.stderr);
      assert.deepEqual(rep.stdout.trim().split('\n').map((l) => l.slice(l.lastIndexOf('.'))), ['.md', '.html']);
      assert.match(readFileSync(join(dir, 'rep', `incident-${inc.id}.md`), 'utf8'), /called the user's manager/);

      const verify = mw('evidence', 'verify');
      assert.equal(verify.status, 0, verify.stderr);
      assert.match(verify.stdout, /evidence log verified: \d+ entries/);
      const exp = mw('evidence', 'export', inc.id, '--out', join(dir, 'ev'));
      assert.equal(exp.status, 0, exp.stderr);
      const manifest = JSON.parse(readFileSync(join(dir, 'ev', 'manifest.json'), 'utf8')) as { files: Array<{ name: string; sha256: string }>; chain: { verified: boolean } };
      assert.equal(manifest.chain.verified, true);
      assert.equal(manifest.files[0]!.sha256, sha256Hex(readFileSync(join(dir, 'ev', manifest.files[0]!.name))));

      assert.equal(mw('incident', 'close', inc.id, '--decision', 'contained; HR case opened').status, 0);
      const closed = mw('incident', 'act', inc.id, 'throttle');
      assert.equal(closed.status, 2);
      assert.match(closed.stderr, /MW_ERR_RESPOND_CLOSED/);

      // Tamper with the note in the store file: verify names it and exits 2.
      const s = await openStore({ path: db });
      const docs = await s.listDocuments<EvidenceEntry>(EVIDENCE_COLLECTION, { limit: 1000 });
      const note = docs.find((d) => d.body.kind === 'note')!;
      await s.putDocument(EVIDENCE_COLLECTION, note.id, { ...note.body, body: { text: 'nothing to see' } });
      await s.close();
      const bad = mw('evidence', 'verify');
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, new RegExp(`MW_ERR_RESPOND_EVIDENCE_BROKEN: entry ${note.body.seq} .*edited`));

      const missing = mw('incident', 'show', 'ffffffffffffffffffffffff');
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /MW_ERR_RESPOND_NOT_FOUND/);

      mkdirSync(join(dir, 'pb'));
      writeFileSync(join(dir, 'pb', 'mine.yaml'), 'id: PB-7\nname: x\nversion: 0\n');
      const badPb = mw('incident', 'show', inc.id, '--playbooks', join(dir, 'pb'));
      assert.equal(badPb.status, 2);
      assert.match(badPb.stderr, /MW_ERR_RESPOND_PLAYBOOK/);
      assert.match(badPb.stderr, /mine\.yaml:3:10: version: /);
    });
  });
});
