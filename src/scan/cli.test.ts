/** End to end through the real binary: `node bin/mirrorwatch.js scan …`. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../util/repo-root.js';
import { FIXTURES } from './testkit.js';

const BIN = join(repoRoot(), 'bin', 'mirrorwatch.js');
function run(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'scan', ...args], { cwd: FIXTURES, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('mirrorwatch scan (CLI)', () => {
  it('text report, exit 1 on findings at or above --fail-on, 0 below', () => {
    const hi = run('aws-fail');
    assert.equal(hi.code, 1, hi.err);
    assert.match(hi.out, /aws_s3_bucket\.checkpoints {2}\(aws-fail\/main\.tf:11\)/);
    const ref = run('reference', '--fail-on', 'high');
    assert.equal(ref.code, 0, ref.err);
    assert.equal(run('reference', '--fail-on', 'medium').code, 1);
  });
  it('--format json and sarif', () => {
    const j = run('reference', '--format', 'json', '--fail-on', 'none');
    assert.equal(j.code, 0, j.err);
    const doc = JSON.parse(j.out) as { findings: { rule: string; resource: string }[] };
    assert.deepEqual(
      doc.findings.filter((f) => f.rule.startsWith('MW-EXF')).map((f) => [f.rule, f.resource]),
      [['MW-EXF-002', 'cloudflare_rate_limit.predict']],
    );
    const s = run('reference', '--format', 'sarif', '--fail-on', 'none');
    assert.equal((JSON.parse(s.out) as { version: string }).version, '2.1.0');
  });
  it('exit 2 on parse errors, with the other files still scanned', () => {
    const r = run('broken', '--format', 'json');
    assert.equal(r.code, 2);
    const doc = JSON.parse(r.out) as { errors: { file: string; line: number }[]; findings: unknown[] };
    assert.ok(doc.errors.some((e) => e.file === 'broken/bad.tf' && e.line === 3));
    assert.ok(doc.findings.length > 0);
    assert.match(r.err, /broken\/bad\.tf:3/);
  });
  it('exit 2 on usage errors', () => {
    assert.equal(run('reference', '--format', 'xml').code, 2);
    const missing = run('does-not-exist');
    assert.equal(missing.code, 2);
    assert.match(missing.err, /MW_ERR_SCAN_PATH/);
  });
  it('--list-rules prints the catalogue with family aliases', () => {
    const r = run('--list-rules');
    assert.equal(r.code, 0);
    for (const id of ['MW-IMP-001', 'MW-IMP-008', 'MW-EXF-001', 'MW-EXF-006', 'MW-SUP-001', 'ATLAS-IMP-003', 'ATLAS-EXF-002']) assert.ok(r.out.includes(id), id);
  });
  it('--evidence to stdout and to a file, --output, --all-stores, --config', () => {
    const ev = run('reference', '--evidence', '--fail-on', 'none');
    assert.equal(ev.code, 0);
    assert.match(ev.out, /^# MirrorWatch model-theft posture evidence/m);
    const dir = mkdtempSync(join(tmpdir(), 'mw-scan-cli-'));
    try {
      const r = run('gcp-fail', '--all-stores', '--format', 'json', '-o', join(dir, 'out.json'), '--evidence', join(dir, 'ev.md'));
      assert.equal(r.code, 1, r.err);
      assert.equal(r.out, '');
      const doc = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { resources: { address: string; model_store: boolean }[] };
      assert.ok(doc.resources.find((x) => x.address === 'google_storage_bucket.website')!.model_store);
      assert.match(readFileSync(join(dir, 'ev.md'), 'utf8'), /## 2\. Who can read the model stores\?/);
      const bad = run('reference', '--config', join(dir, 'missing.yaml'));
      assert.equal(bad.code, 2);
      assert.match(bad.err, /MW_ERR_SCAN_CONFIG/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
