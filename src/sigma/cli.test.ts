/** End to end through the real binary: `node bin/mirrorwatch.js rules …`. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from '../util/repo-root.js';
import { sigmaData, splitConcatenatedJson } from './testkit.js';

const BIN = join(repoRoot(), 'bin', 'mirrorwatch.js');
const DIR = mkdtempSync(join(tmpdir(), 'mw-sigma-cli-'));
after(() => rmSync(DIR, { recursive: true, force: true }));

function run(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, 'rules', ...args], { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const GOOD = `title: download by a stranger
id: 9a0a2b0e-4c39-4f7a-9a51-3f1f7f0f0001
logsource: {product: mirrorwatch, category: registry}
detection:
    sel:
        action: download_artifact
        context.team|fieldref|neq: modelTeam
    condition: sel
level: high
`;
const BAD = `title: broken
logsource: {product: x}
detection:
    sel:
        a|startwith: x
        b|re: '(?<=a)b'
    condition: sel and nope
level: severe
`;

describe('mirrorwatch rules validate', () => {
  it('exit 0 on valid rules', () => {
    writeFileSync(join(DIR, 'good.yml'), GOOD);
    const r = run('validate', 'good.yml');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /1 document\(s\) valid, 0 problem\(s\)/);
  });
  it('exit 1 with every problem as file:line:col', () => {
    writeFileSync(join(DIR, 'bad.yml'), BAD);
    const r = run('validate', 'good.yml', 'bad.yml');
    assert.equal(r.code, 1);
    const lines = r.err.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.split(' ')[0]),
      ['bad.yml:5:11:', 'bad.yml:6:15:', 'bad.yml:7:24:', 'bad.yml:8:1:'],
    );
    assert.match(r.err, /MW_ERR_SIGMA_MODIFIER modifier 'startwith': unknown modifier/);
    assert.match(r.err, /bad\.yml:8:1: MW_ERR_SIGMA_SCHEMA level: must be one of informational, low, medium, high, critical/);
  });
  it('exit 2 on a missing path or a directory without rule files', () => {
    const r = run('validate', 'nope.yml');
    assert.equal(r.code, 2);
    assert.match(r.err, /MW_ERR_SIGMA_PATH/);
    const empty = mkdtempSync(join(DIR, 'empty-'));
    const e = run('validate', empty);
    assert.equal(e.code, 2);
    assert.match(e.err, /MW_ERR_SIGMA_PATH: no \.yml or \.yaml files/);
  });
});

describe('mirrorwatch rules match', () => {
  it('prints {"rule","line"} per match; --json adds title and level', () => {
    writeFileSync(
      join(DIR, 'events.jsonl'),
      [
        { kind: 'registry', action: 'download_artifact', context: { team: 'bio' }, modelTeam: 'chem' },
        { kind: 'registry', action: 'download_artifact', context: { team: 'chem' }, modelTeam: 'chem' },
        {},
        { kind: 'registry', action: 'download_artifact', context: { team: 'x' }, modelTeam: 'y' },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n',
    );
    const r = run('match', 'good.yml', '--events', 'events.jsonl');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      r.out.trim().split('\n').map((l) => JSON.parse(l) as unknown),
      [
        { rule: '9a0a2b0e-4c39-4f7a-9a51-3f1f7f0f0001', line: 1 },
        { rule: '9a0a2b0e-4c39-4f7a-9a51-3f1f7f0f0001', line: 4 },
      ],
    );
    const j = run('match', 'good.yml', '--events', 'events.jsonl', '--json');
    assert.equal((JSON.parse(j.out.split('\n')[0]!) as { level: string }).level, 'high');
  });
  it('--flatten lifts Event.EventData and Event.System (a SigmaHQ regression event)', () => {
    const data = sigmaData();
    const dir = join(data, 'regression', 'regression_data', 'rules', 'windows', 'file', 'file_event', 'file_event_win_creation_system_file');
    const events = splitConcatenatedJson(readFileSync(join(dir, 'd5866ddf-ce8f-4aea-b28e-d96485a20d3d.json'), 'utf8'));
    writeFileSync(join(DIR, 'win.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const rule = join(data, 'rules', 'rules', 'windows', 'file', 'file_event', 'file_event_win_creation_system_file.yml');
    const flat = run('match', rule, '--events', 'win.jsonl', '--flatten');
    assert.equal(flat.code, 0, flat.err);
    assert.deepEqual(JSON.parse(flat.out.trim()), { rule: 'd5866ddf-ce8f-4aea-b28e-d96485a20d3d', line: 1 });
    assert.equal(run('match', rule, '--events', 'win.jsonl').out, '');
  });
  it('exit 2 on a line that is not JSON', () => {
    writeFileSync(join(DIR, 'broken.jsonl'), '{"a":1}\nnot json\n');
    const r = run('match', 'good.yml', '--events', 'broken.jsonl');
    assert.equal(r.code, 2);
    assert.match(r.err, /MW_ERR_SIGMA_EVENTS: broken\.jsonl:2/);
  });
});

describe('mirrorwatch rules match with correlations', () => {
  it('evaluates correlations in event time and reports the line that completed them', () => {
    writeFileSync(
      join(DIR, 'burst.yml'),
      `title: upload
id: 9a0a2b0e-4c39-4f7a-9a51-3f1f7f0f0010
name: upload
logsource: {product: dlp}
detection: {sel: {Action: upload}, condition: sel}
level: low
---
title: three uploads in an hour
id: 9a0a2b0e-4c39-4f7a-9a51-3f1f7f0f0011
correlation: {type: event_count, rules: [upload], group-by: [UserId], timespan: 1h, condition: {gte: 3}}
level: high
`,
    );
    const ev = (min: number, user: string): string => JSON.stringify({ TimeGenerated: `2026-03-02T10:${String(min).padStart(2, '0')}:00Z`, Action: 'upload', UserId: user });
    writeFileSync(join(DIR, 'uploads.jsonl'), [ev(0, 'a'), ev(1, 'b'), ev(10, 'a'), ev(59, 'a')].join('\n') + '\n');
    const r = run('match', 'burst.yml', '--events', 'uploads.jsonl', '--json');
    assert.equal(r.code, 0, r.err);
    const corr = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: string; line: number; group?: unknown; value?: number })
      .filter((m) => m.rule.endsWith('0011'));
    assert.deepEqual(corr.map((m) => [m.line, m.group, m.value]), [[4, { UserId: 'a' }, 3]]);
  });
});

describe('mirrorwatch rules list | test | export (shipped rules by default)', () => {
  it('list shows every shipped document with its level and techniques', () => {
    const r = run('list', '--json');
    assert.equal(r.code, 0, r.err);
    const rows = JSON.parse(r.out) as { id: string; level: string; alerts: boolean; techniques: string[] }[];
    assert.ok(rows.length >= 15);
    assert.ok(rows.some((x) => x.level === 'critical' && x.alerts && x.techniques.includes('AML.T0048.004')));
  });
  it('test runs the shipped rules\' tests and fails on a broken expectation', () => {
    const ok = run('test', '--require-tests');
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /(\d+) of \1 test\(s\) passed/);
    // A copy of one rule with a test that expects the opposite must fail.
    const dir = mkdtempSync(join(DIR, 'rt-'));
    mkdirSync(join(dir, 'tests'));
    writeFileSync(join(dir, 'r.yml'), GOOD.replace('context.team|fieldref|neq: modelTeam', 'model: m'));
    writeFileSync(join(dir, 'tests', 'r.yml'), `tests:\n  - name: wrong\n    events: [{kind: registry, action: download_artifact, model: other}]\n    fires: [9a0a2b0e-4c39-4f7a-9a51-3f1f7f0f0001]\n`);
    const bad = run('test', dir);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /FAIL .*r\.yml: wrong\n\s+expected 9a0a2b0e-4c39-4f7a-9a51-3f1f7f0f0001 to fire; it did not/);
  });
  it('export writes the rule files, validated, without their tests', () => {
    const out = join(DIR, 'export');
    const r = run('export', '--out', out);
    assert.equal(r.code, 0, r.err);
    const files = readdirSync(out).sort();
    assert.ok(files.includes('split-upload-burst.yml') && !files.includes('tests'));
    const v = run('validate', out);
    assert.equal(v.code, 1, 'without the pipeline, the placeholders have no values');
    assert.match(v.err, /MW_ERR_SIGMA_PLACEHOLDER/);
    const s = run('export');
    assert.equal(s.code, 0);
    assert.match(s.out, /title: Burst of Large Uploads to One Unsanctioned Destination/);
  });
});
