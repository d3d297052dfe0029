import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { RULES } from '../rules/index.js';
import { repoRoot } from '../../util/repo-root.js';
import { scanFixture } from '../testkit.js';
import { toSarif } from './sarif.js';

// ajv-formats is CommonJS; under NodeNext its default export may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: (a: Ajv) => void }).default ?? addFormatsModule) as unknown as (a: Ajv) => void;

/**
 * The vendored schema is draft-04 (`id`); Ajv 8 speaks draft-07 (`$id`).
 * Nothing else in this schema differs between the drafts (it uses no boolean
 * exclusiveMinimum/exclusiveMaximum), so renaming the id is the whole port.
 */
function sarifValidator(): (doc: unknown) => boolean {
  const raw = JSON.parse(readFileSync(join(repoRoot(), 'src', 'scan', 'schema', 'sarif-schema-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>;
  const { id, $schema: _draft, ...rest } = raw;
  const schema = { ...rest, $id: String(id), $schema: 'http://json-schema.org/draft-07/schema#' };
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }) // the schema's language pattern is not valid with the u flag;
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return (doc) => {
    const ok = validate(doc);
    if (!ok) console.error(JSON.stringify(validate.errors?.slice(0, 5), null, 2));
    return ok;
  };
}

describe('SARIF output', () => {
  it('validates against the SARIF 2.1.0 schema, with errors, suppressions and related locations', async () => {
    const r = await scanFixture(['aws-fail', 'suppress', 'broken', 'k8s-fail', 'gateway-fail']);
    assert.ok(r.suppressed.length > 0 && r.errors.length > 0);
    assert.ok(sarifValidator()(toSarif(r, RULES)));
  });
  it('meets GitHub code scanning needs: rule help and security-severity, results with file and line', async () => {
    const r = await scanFixture('reference');
    const doc = toSarif(r, RULES) as { runs: { tool: { driver: { rules: Record<string, unknown>[] } }; results: Record<string, unknown>[] }[] };
    const run = doc.runs[0]!;
    assert.equal(run.tool.driver.rules.length, RULES.length);
    for (const rule of run.tool.driver.rules) {
      const props = rule.properties as Record<string, unknown>;
      assert.match(String(props['security-severity']), /^\d+(\.\d+)?$/);
      assert.ok((rule.help as { text: string }).text.length > 20);
      assert.ok((props.tags as string[]).includes('security'));
    }
    const res = run.results.find((x) => x.ruleId === 'MW-EXF-002')!;
    const loc = (res.locations as { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[])[0]!.physicalLocation;
    assert.equal(loc.artifactLocation.uri, 'reference/cloudflare.tf');
    assert.equal(loc.region.startLine, 18);
    assert.ok(res.partialFingerprints);
  });
  it('a clean scan is valid SARIF too', async () => {
    assert.ok(sarifValidator()(toSarif(await scanFixture('azure-pass'), RULES)));
  });
});
