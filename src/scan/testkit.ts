/** Helpers for the scanner's tests: fixtures are found from the repository root, never by absolute path. */
import { join } from 'node:path';
import { createScanner, type ScannerOptions } from './index.js';
import { repoRoot } from '../util/repo-root.js';
import type { Finding, ScanResult } from './types.js';

export const FIXTURES = join(repoRoot(), 'src', 'scan', 'fixtures');

export async function scanFixture(dirs: string | string[], options: Omit<ScannerOptions, 'base'> = {}): Promise<ScanResult> {
  return createScanner({ ...options, base: FIXTURES }).scan(Array.isArray(dirs) ? dirs : [dirs]);
}

export function findingsOf(r: ScanResult, rule: string, resource?: string): Finding[] {
  return r.findings.filter((f) => f.rule === rule && (resource === undefined || f.resource === resource));
}
