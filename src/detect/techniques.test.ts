import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../util/repo-root.js';
import { DETECTORS, EXPERIMENTAL_DETECTORS } from './registry.js';
import { TECHNIQUES, isAtlasId } from './techniques.js';

interface Shipped {
  atlas: Array<{ id: string; name: string }>;
  attack: Array<{ id: string; name: string }>;
}

describe('technique ids', () => {
  const shipped = JSON.parse(readFileSync(join(repoRoot(), 'data', 'atlas-techniques.json'), 'utf8')) as Shipped;

  it('the code list equals data/atlas-techniques.json', () => {
    const fromFile = Object.fromEntries([...shipped.atlas, ...shipped.attack].map((t) => [t.id, t.name]));
    assert.deepEqual(fromFile, { ...TECHNIQUES });
    assert.ok(shipped.atlas.every((t) => isAtlasId(t.id)) && shipped.attack.every((t) => /^T\d{4}(\.\d{3})?$/.test(t.id)));
  });

  it('every technique an alert can carry is in the list', () => {
    for (const d of [...DETECTORS, ...EXPERIMENTAL_DETECTORS]) for (const t of d.techniques) assert.ok(t in TECHNIQUES, `${d.id}: ${t}`);
  });

  // The matrix is not shipped; when the shared copy is present, check ids and names against it.
  const atlasYaml = join(repoRoot(), '..', 'shared', 'data', 'atlas', 'ATLAS.yaml');
  it('ATLAS ids and names match the ATLAS matrix', { skip: !existsSync(atlasYaml) && 'ATLAS.yaml not present' }, () => {
    const text = readFileSync(atlasYaml, 'utf8');
    for (const t of shipped.atlas) {
      const m = new RegExp(`- id: ${t.id.replace(/\./g, '\\.')}\\n\\s+name: (.+)\\n`).exec(text);
      assert.ok(m, `${t.id} is in ATLAS.yaml`);
      assert.equal(m[1]!.trim(), t.name);
    }
  });
});
