/**
 * Conformance against the shared Sigma data: the specification's schema
 * examples, SigmaHQ's whole rule set, and SigmaHQ's regression events as a
 * true-positive suite.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../util/repo-root.js';
import { createRuleSet, EventView, flattenEvent, formatProblem, loadRuleFiles, loadRuleText, type CompiledRule, type SigmaEvent } from './index.js';
import { sigmaData, splitConcatenatedJson } from './testkit.js';

const DATA = sigmaData();

function walk(dir: string, pred: (f: string) => boolean, out: string[] = []): string[] {
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

interface Refused {
  file: string;
  reason: string;
}
const REFUSED = (parseYaml(readFileSync(join(repoRoot(), 'src', 'sigma', 'refused.yml'), 'utf8')) as { refused: Refused[] | null }).refused ?? [];

describe('Sigma specification tests/schema examples', () => {
  const files = walk(join(DATA, 'spec', 'tests', 'schema'), (f) => f.endsWith('.yml'));
  it('finds the examples', () => assert.ok(files.length >= 12, `${files.length} examples`));
  for (const f of files) {
    it(`validates ${relative(join(DATA, 'spec'), f)}`, () => {
      // Positive examples all (the folder holds no negative ones); references to absent base rules are a linking matter, not the file's.
      const r = loadRuleText(readFileSync(f, 'utf8'), f);
      assert.deepEqual(r.problems.map(formatProblem), []);
      assert.ok(r.documents.length >= 1);
    });
  }
});

let sigmaHq: ReturnType<typeof loadRuleFiles> | undefined;
const loadSigmaHq = (): ReturnType<typeof loadRuleFiles> => (sigmaHq ??= loadRuleFiles([join(DATA, 'rules', 'rules')]));

describe('SigmaHQ rule set', () => {
  it('every rule loads with zero problems, or is in src/sigma/refused.yml with its exact reason', () => {
    const { documents, problems } = loadSigmaHq();
    const root = join(DATA, 'rules');
    const got = problems.map((p) => ({ file: relative(root, p.file), reason: `${p.code} ${p.message}` }));
    assert.deepEqual(got, REFUSED, 'refused.yml is out of date');
    const total = walk(join(DATA, 'rules', 'rules'), (f) => f.endsWith('.yml')).length;
    assert.ok(total >= 3100, `${total} rule files`);
    assert.equal(documents.length + new Set(got.map((g) => g.file)).size, total);
  });
});

describe('SigmaHQ regression data (true positives)', () => {
  it('every recorded event triggers its rule (flattened, detection only)', (t) => {
    const { documents } = loadSigmaHq();
    const byId = new Map(documents.filter((d): d is CompiledRule => d.type === 'rule' && d.id !== undefined).map((d) => [d.id!, d]));
    const infos = walk(join(DATA, 'regression'), (f) => f.endsWith('info.yml'));
    let pass = 0;
    let exactCount = 0;
    const failures: string[] = [];
    const absent: string[] = [];
    for (const info of infos) {
      const doc = parseYaml(readFileSync(info, 'utf8')) as { rule_metadata: { id: string }[]; regression_tests_info: { match_count?: number; path: string }[] };
      const id = doc.rule_metadata[0]!.id;
      const rule = byId.get(id);
      if (!rule) {
        absent.push(id);
        continue;
      }
      const dir = join(info, '..');
      const jsons = readdirSync(dir).filter((n) => n.endsWith('.json'));
      const events = jsons.flatMap((n) => splitConcatenatedJson(readFileSync(join(dir, n), 'utf8'))) as SigmaEvent[];
      const hits = events.filter((e) => rule.match(new EventView(flattenEvent(e)))).length;
      const want = doc.regression_tests_info[0]?.match_count ?? 1;
      if (hits >= 1) pass++;
      else failures.push(`${id} ${relative(DATA, dir)}`);
      if (hits === want) exactCount++;
    }
    const evaluated = infos.length - absent.length;
    t.diagnostic(`regression: ${pass}/${evaluated} true positives (${((100 * pass) / evaluated).toFixed(1)}%), ${exactCount} with the exact match_count; ${absent.length} cases name rules outside the shared rule set (rules-emerging-threats)`);
    // The shared rule set is SigmaHQ's rules/ folder only: the emerging-threats cases cannot be evaluated, and are counted, not skipped silently.
    assert.equal(absent.length, 6, `cases whose rule is absent: ${absent.join(', ')}`);
    assert.deepEqual(failures, []);
  });
});

describe('rule set index', () => {
  it('matches exactly what every rule alone matches (SigmaHQ rules over the regression events)', () => {
    const rules = loadSigmaHq().documents.filter((d): d is CompiledRule => d.type === 'rule');
    const set = createRuleSet(rules);
    assert.ok(set.indexed > 500, `${set.indexed} of ${rules.length} rules indexed`);
    const events = walk(join(DATA, 'regression'), (f) => f.endsWith('.json')).flatMap((f) => splitConcatenatedJson(readFileSync(f, 'utf8')) as SigmaEvent[]);
    let total = 0;
    for (const raw of events) {
      const view = new EventView(flattenEvent(raw));
      const want = rules.filter((r) => r.match(view)).map((r) => r.key);
      assert.deepEqual(set.match(view).map((r) => r.key), want);
      total += want.length;
    }
    assert.ok(total >= events.length);
  });
});
