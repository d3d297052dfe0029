/**
 * The whole shipped rule set (rules/), as detection-rules repositories test
 * theirs: every document validates, ids are unique UUIDs, the metadata a SOC
 * needs is there, every technique tag is one MirrorWatch knows, alerting
 * rules carry ATT&CK and ATLAS ids, and every rule has tests that pass,
 * with a case where it fires and one where it stays quiet.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../util/repo-root.js';
import { formatProblem, loadRuleFiles, pipelineOrThrow, ruleFiles, shippedRulesPath, techniqueOfTag, type CompiledDocument } from './index.js';
import { runRuleTests, testFileFor } from './rule-tests.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const pipeline = pipelineOrThrow();
const { documents, problems } = loadRuleFiles([shippedRulesPath()], { pipeline, placeholders: pipeline.placeholders });
const known = (() => {
  const j = JSON.parse(readFileSync(join(repoRoot(), 'data', 'atlas-techniques.json'), 'utf8')) as { atlas: { id: string }[]; attack: { id: string }[] };
  return new Set([...j.atlas, ...j.attack].map((t) => t.id));
})();

describe('shipped Sigma rules (rules/)', () => {
  it('load with zero problems, with the shipped pipeline', () => {
    assert.deepEqual(problems.map(formatProblem), []);
    assert.ok(documents.length >= 15, `${documents.length} documents`);
  });

  it('have unique UUIDv4 ids and unique names', () => {
    const ids = documents.map((d) => d.id);
    for (const d of documents) assert.match(d.id ?? '', UUID, `${d.title}: id`);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    const names = documents.flatMap((d) => (d.name ? [d.name] : []));
    assert.equal(new Set(names).size, names.length, 'names are unique');
  });

  it('carry title, status, description, author, date, level, tags and false positives', () => {
    for (const d of documents) {
      for (const k of ['title', 'status', 'description', 'author', 'date', 'level']) assert.ok(typeof d.raw[k] === 'string' && (d.raw[k] as string).length > 0, `${d.key}: ${k}`);
      assert.ok(d.tags.length > 0, `${d.key}: tags`);
      assert.ok(d.falsepositives.length > 0, `${d.key}: falsepositives`);
    }
  });

  it('use only ATT&CK and ATLAS tags, every technique id known in data/atlas-techniques.json', () => {
    for (const d of documents) {
      for (const t of d.tags) {
        assert.match(t, /^(attack|atlas)\./, `${d.key}: tag ${t} namespace`);
        if (/^(attack\.t\d|atlas\.aml\.)/.test(t)) {
          const id = techniqueOfTag(t);
          assert.ok(id && known.has(id), `${d.key}: tag ${t} is not a technique MirrorWatch knows`);
        }
      }
    }
  });

  it('alerting documents carry at least one ATT&CK and one ATLAS technique, and correlations group by User', () => {
    const alerting = documents.filter((d): d is Exclude<CompiledDocument, { type: 'filter' }> => d.type !== 'filter' && d.standalone);
    assert.ok(alerting.length >= 10);
    for (const d of alerting) {
      const ids = d.tags.map(techniqueOfTag).filter((x): x is string => !!x);
      assert.ok(ids.some((i) => i.startsWith('T')), `${d.key}: an ATT&CK technique`);
      assert.ok(ids.some((i) => i.startsWith('AML.')), `${d.key}: an ATLAS technique`);
      if (d.type === 'correlation') assert.ok(d.groupBy.includes('User'), `${d.key}: group-by User (the alert's principal)`);
    }
  });

  it('route every rule to MirrorWatch event kinds through the pipeline', () => {
    for (const d of documents) if (d.type === 'rule') assert.ok(d.eventKinds?.length, `${d.key}: logsource ${JSON.stringify(d.logsource)} routes to no event kind`);
  });

  it('every rule file has a test file, every document a passing test where it fires and one where it stays quiet', () => {
    for (const f of ruleFiles([shippedRulesPath()])) assert.ok(testFileFor(f), `${f} has no tests/ file`);
    const report = runRuleTests([shippedRulesPath()], pipeline);
    assert.deepEqual(report.problems.map(formatProblem), []);
    assert.deepEqual(
      report.results.filter((r) => !r.ok).map((r) => `${r.file}: ${r.test}: ${r.failures.join('; ')}`),
      [],
    );
    assert.deepEqual(report.untested, []);
    assert.ok(report.results.length >= 30);
  });
});
