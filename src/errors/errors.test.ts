import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { repoRoot } from '../util/repo-root.js';
import { ERRORS } from './index.js';

const doc = readFileSync(join(repoRoot(), 'docs', 'errors.md'), 'utf8');

it('every error code is documented in docs/errors.md with its status', () => {
  for (const [code, def] of Object.entries(ERRORS)) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    assert.ok(row, `${code} has no row in docs/errors.md`);
    assert.match(row, new RegExp(`\\|\\s*${def.status}\\s*\\|`), `${code}: docs status differs from ${def.status}`);
  }
});

it('docs/errors.md lists no code that the catalogue lacks', () => {
  const documented = [...doc.matchAll(/^\| `(MW_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
  const unknown = documented.filter((c) => !(c in ERRORS));
  assert.deepEqual(unknown, []);
});

it('every MW_ERR_ code used in the source exists in the catalogue', () => {
  const used = new Set<string>();
  const walk = (dir: string): void => {
    for (const n of readdirSync(dir)) {
      const p = join(dir, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.ts') && !n.endsWith('.test.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/'(MW_ERR_[A-Z0-9_]+)'/g)) used.add(m[1]!);
    }
  };
  walk(join(repoRoot(), 'src'));
  const missing = [...used].filter((c) => !(c in ERRORS));
  assert.deepEqual(missing, []);
});
