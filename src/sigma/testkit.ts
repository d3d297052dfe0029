/** Test helpers: where the shared Sigma data lives, and reading its files. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../util/repo-root.js';

/** `../shared/data/sigma` beside the repository; fails loudly when missing (the suites never skip silently). */
export function sigmaData(): string {
  const dir = join(repoRoot(), '..', 'shared', 'data', 'sigma');
  if (!existsSync(dir)) throw new Error(`Sigma conformance data not found at ${dir}: the sigma tests need ../shared/data/sigma beside the repository (spec, rules, regression)`);
  return dir;
}

/** Regression `.json` files hold one or more pretty-printed JSON objects back to back. */
export function splitConcatenatedJson(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{' || c === '[') {
      if (depth++ === 0) start = i;
    } else if (c === '}' || c === ']') {
      if (--depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return out;
}
