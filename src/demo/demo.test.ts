/**
 * `mirrorwatch demo --serve` end to end through the built CLI: simulate,
 * ingest, detect and evaluate a small scenario, print the report, then serve
 * the dashboard on the demo store; log in with the printed first-run
 * credentials and find the insider's incident over the API.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { withTempDir } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';

const BIN = join(repoRoot(), 'bin', 'mirrorwatch.js');

it('demo --serve reports, then serves the insider incident behind a login', { timeout: 600_000 }, async () => {
  await withTempDir(async (dir) => {
    const keep = join(dir, 'demo');
    const child = spawn(process.execPath, [BIN, 'demo', '--seed', '4', '--days', '45', '--scale', '0.05', '--keep', keep, '--serve', '--port', '0', '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = await new Promise<{ url: string; password: string }>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const url = /MirrorWatch dashboard: (http:\/\/\S+?)\/?\n/.exec(out)?.[1];
        const password = /log in as admin with password (\S+)/.exec(out)?.[1];
        if (url && password) resolve({ url, password });
      });
      void exited.then((code) => reject(new Error(`demo exited ${code} before serving:\n${out}\n${err}`)));
    });
    try {
      assert.match(out, /MirrorWatch demo: 45 simulated days, seed 4/);
      assert.match(out, /^incident [0-9a-f]{24}/m, 'the report lists the incident');
      const truth = JSON.parse(readFileSync(join(keep, 'logs', 'truth.json'), 'utf8')) as { attacker: string };
      const base = ready.url.replace('localhost', '127.0.0.1');
      const anon = await fetch(`${base}/api/v1/incidents`);
      assert.equal(anon.status, 401);
      const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ready.password }) });
      assert.equal(login.status, 200);
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
      const list = (await (await fetch(`${base}/api/v1/incidents`, { headers: { cookie } })).json()) as { rows: Array<{ id: string; principals: string[] }> };
      const mine = list.rows.find((i) => i.principals.includes(truth.attacker));
      assert.ok(mine, `an incident on the insider ${truth.attacker}`);
      const detail = (await (await fetch(`${base}/api/v1/incidents/${mine.id}`, { headers: { cookie } })).json()) as { alerts: unknown[] };
      assert.ok(detail.alerts.length >= 2);
      const page = await fetch(`${base}/`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(page.status, 200, 'the dashboard page is served');
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, err);
  });
});
