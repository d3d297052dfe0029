/** Processing pipelines: logsource → event kinds, Sigma field → event field, placeholders. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../util/repo-root.js';
import { loadPipelineText, loadRuleText, match, type CompiledRule } from './index.js';

const PIPELINE = readFileSync(join(repoRoot(), 'data', 'sigma', 'mirrorwatch-pipeline.yml'), 'utf8');

describe('processing pipeline', () => {
  it('the shipped MirrorWatch pipeline loads', () => {
    const { pipeline, problems } = loadPipelineText(PIPELINE, 'mirrorwatch.yml');
    assert.deepEqual(problems, []);
    assert.deepEqual(pipeline!.route({ product: 'mirrorwatch', category: 'upload' }).kinds, ['upload']);
    assert.equal(pipeline!.route({ product: 'mirrorwatch', category: 'registry' }).mapField('User'), 'principal.canonical');
  });
  it('maps fields and routes the logsource, leaving the rule file portable', () => {
    const { pipeline } = loadPipelineText(PIPELINE, 'mirrorwatch.yml');
    const rule = `title: artifact download
logsource: {product: mirrorwatch, category: registry}
detection:
    sel:
        Action: download_artifact
        User|expand: '%Administrators%'
    condition: sel
`;
    const r = loadRuleText(rule, 'r.yml', { pipeline: pipeline!, placeholders: { Administrators: ['root'] } });
    assert.deepEqual(r.problems, []);
    const compiled = r.documents[0] as CompiledRule;
    assert.deepEqual(compiled.eventKinds, ['registry']);
    assert.ok(match(compiled, { kind: 'registry', action: 'download_artifact', principal: { canonical: 'root' } }));
    assert.ok(!match(compiled, { kind: 'registry', action: 'list_models', principal: { canonical: 'root' } }));
  });
  it('reports every problem with its position', () => {
    const { pipeline, problems } = loadPipelineText('name: x\nfieldz: {}\nlogsources:\n  - kinds: [upload]\n  - logsource: {product: p}\n    fields: {A: 1}\n', 'p.yml');
    assert.equal(pipeline, undefined);
    assert.deepEqual(
      problems.map((p) => [p.code, p.line, p.message]),
      [
        ['MW_ERR_SIGMA_PIPELINE', 2, "unknown key 'fieldz'"],
        ['MW_ERR_SIGMA_PIPELINE', 4, 'each logsources item needs a logsource map'],
        ['MW_ERR_SIGMA_PIPELINE', 5, 'fields must map names to strings'],
      ],
    );
  });
});
