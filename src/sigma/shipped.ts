/** Where the package keeps its Sigma data: MirrorWatch's rules and its processing pipeline. */
import { join } from 'node:path';
import { repoRoot } from '../util/repo-root.js';

export function shippedPipelinePath(): string {
  return join(repoRoot(), 'data', 'sigma', 'mirrorwatch-pipeline.yml');
}

export function shippedRulesPath(): string {
  return join(repoRoot(), 'rules');
}
