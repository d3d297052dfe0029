import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { repoRoot } from './repo-root.js';

// `npm ci` refuses a lock that lacks any optional dependency, even one for
// another platform. A registry that serves only this platform's DuckDB binding
// makes `npm install` drop the others from the lock; they are kept by hand (with
// their os/cpu, so they are never fetched here) and this test keeps them.
it('package-lock.json records every optional dependency of the packages it holds', () => {
  const lock = JSON.parse(readFileSync(join(repoRoot(), 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { optionalDependencies?: Record<string, string> }>;
  };
  const missing: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
      const nested = `${path ? path + '/' : ''}node_modules/${dep}`;
      if (!(nested in lock.packages) && !(`node_modules/${dep}` in lock.packages)) missing.push(`${dep} (of ${path || 'the root'})`);
    }
  }
  assert.deepEqual(missing, [], `npm ci will fail; add these lock entries: ${missing.join(', ')}`);
});
