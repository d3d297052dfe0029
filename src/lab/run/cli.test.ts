/** `mirrorwatch lab run` argument handling through the built CLI (the run itself is lab.test.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../util/repo-root.js';

const BIN = join(repoRoot(), 'bin', 'mirrorwatch.js');
const lab = (...args: string[]) => spawnSync(process.execPath, [BIN, 'lab', 'run', ...args], { encoding: 'utf8' });

describe('mirrorwatch lab run (CLI)', () => {
  it('lists every policy and option in its help', () => {
    const r = lab('--help');
    assert.equal(r.status, 0);
    for (const word of ['--quick', '--json', '--seed', '--out', '--policy', 'inline-block', 'reverse-sigmoid', 'docs/lab.md']) assert.ok(r.stdout.includes(word), word);
  });

  it('refuses an unknown policy or a bad seed before any work, naming the known ones', () => {
    const p = lab('--policy', 'nope', '--quick');
    assert.notEqual(p.status, 0);
    assert.match(p.stderr, /MW_ERR_USAGE: unknown --policy nope; known: full, rounded, no-interval, prediction-only, reverse-sigmoid, rate-budget, inline-degrade, inline-block/);
    const s = lab('--seed', '-3', '--quick');
    assert.notEqual(s.status, 0);
    assert.match(s.stderr, /MW_ERR_USAGE: --seed must be a non-negative integer/);
  });
});
