/** `scan --store` keeps the findings; the dashboard's posture route and overview serve them. */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { it } from 'node:test';
import { runScanCommand } from '../cli/commands/scan.js';
import { createScanner } from '../scan/index.js';
import { openStore } from '../store/index.js';
import { withTempDir } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';
import { createWebServer } from './server.js';

it('scan --store feeds the Posture page and the overview', async () => {
  await withTempDir(async (dir) => {
    const db = join(dir, 'mw.duckdb');
    const target = join(repoRoot(), 'src', 'scan', 'fixtures', 'aws-fail');
    const code = await runScanCommand([target], { format: 'json', failOn: 'critical', store: true, db }, () => undefined);
    assert.ok(code === 0 || code === 1);
    const expected = (await createScanner().scan([target])).findings.filter((f) => !f.suppressed);
    assert.ok(expected.length > 0, 'the failing fixture has findings');
    const store = await openStore({ path: db });
    const web = await createWebServer({ store });
    try {
      const { token } = await (async () => {
        await web.users.add({ username: 'vera', password: 'correct horse battery', role: 'viewer' });
        return web.users.createToken({ username: 'vera' });
      })();
      const headers = { authorization: `Bearer ${token}` };
      const posture = (await web.app.inject({ url: '/api/v1/posture', headers })).json() as { findings: Array<{ ruleId: string; severity: string; file: string; line: number }> };
      assert.equal(posture.findings.length, expected.length);
      assert.deepEqual(posture.findings.map((f) => f.ruleId).sort(), expected.map((f) => f.rule).sort());
      const overview = (await web.app.inject({ url: '/api/v1/overview', headers })).json() as { posture: { findings: number; bySeverity: Record<string, number> } };
      assert.equal(overview.posture.findings, expected.length);
      assert.equal(Object.values(overview.posture.bySeverity).reduce((a, b) => a + b, 0), expected.length);
    } finally {
      await web.close();
      await store.close();
    }
  });
});
