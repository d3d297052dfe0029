import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createScanner } from './index.js';
import { toJsonReport } from './output/json.js';
import { FIXTURES, findingsOf, scanFixture } from './testkit.js';

describe('reference remediation (source rules ATLAS-IMP-003 / ATLAS-EXF-002)', () => {
  it('a 90-day google_kms_crypto_key protecting a versioned, uniform-access bucket passes encryption, rotation, versioning and public access', async () => {
    const r = await scanFixture('reference');
    const bucket = r.resources.find((x) => x.address === 'google_storage_bucket.models')!;
    assert.equal(bucket.model_store, true);
    for (const rule of ['MW-IMP-001', 'MW-IMP-002', 'MW-IMP-003', 'MW-IMP-004']) assert.deepEqual(findingsOf(r, rule), [], rule);
  });
  it('its 1,000/hour cloudflare_rate_limit on the predict URL passes no-rate-limit and the ceiling but is flagged as keyed by IP', async () => {
    const r = await scanFixture('reference');
    assert.deepEqual(findingsOf(r, 'MW-EXF-001'), []);
    assert.deepEqual(findingsOf(r, 'MW-EXF-003'), []);
    const ip = findingsOf(r, 'MW-EXF-002');
    assert.equal(ip.length, 1);
    assert.equal(ip[0]!.resource, 'cloudflare_rate_limit.predict');
    assert.equal(ip[0]!.file, 'reference/cloudflare.tf');
    assert.equal(ip[0]!.line, 18);
  });
});

describe('Terraform resolution', () => {
  it('follows references across files: alias → key, literal bucket names, locals and variable defaults, external key ARNs', async () => {
    const r = await scanFixture('crossfile');
    const models = r.resources.find((x) => x.address === 'aws_s3_bucket.models')!;
    assert.equal(models.file, 'crossfile/buckets.tf');
    assert.equal(models.line, 1);
    assert.deepEqual(findingsOf(r, 'MW-IMP-001'), []); // CMK through aws_kms_alias in another file
    assert.deepEqual(findingsOf(r, 'MW-IMP-002'), []); // rotation_period_in_days = var.rotation_days (90)
    assert.deepEqual(findingsOf(r, 'MW-IMP-003', 'aws_s3_bucket.models'), []); // versioning names "acme-models-prod" = local.models_name
  });
  it('expands modules in the same tree with for_each keys in addresses and count = 0 instances dropped', async () => {
    const r = await scanFixture('modules');
    const addrs = r.resources.map((x) => x.address);
    assert.ok(addrs.includes('module.stores["fraud"].aws_s3_bucket.this'));
    assert.ok(addrs.includes('module.stores["churn"].aws_s3_bucket.this'));
    assert.ok(addrs.includes('module.stores["fraud"].aws_s3_bucket_versioning.this[0]'));
    assert.ok(!addrs.some((a) => a.startsWith('module.stores["churn"].aws_s3_bucket_versioning')));
    assert.deepEqual(findingsOf(r, 'MW-IMP-003').map((f) => f.resource), ['module.stores["churn"].aws_s3_bucket.this']);
    assert.deepEqual(findingsOf(r, 'MW-IMP-001'), []);
    const f = findingsOf(r, 'MW-IMP-003')[0]!;
    assert.equal(f.file, 'modules/modules/model_store/main.tf');
    assert.match(f.why!, /acme-churn-models/);
    assert.ok(r.notes.some((n) => /module\.remote.*not in the scanned tree/.test(n.message)));
  });
  it('reads plan JSON: resolved values, references from the configuration section, child module addresses and lines', async () => {
    const r = await scanFixture('plan');
    const arch = r.resources.find((x) => x.address === 'module.archive.aws_s3_bucket.this[0]')!;
    assert.equal(arch.file, 'plan/plan.json');
    assert.ok(arch.line > 1);
    assert.ok(findingsOf(r, 'MW-IMP-004', 'module.archive.aws_s3_bucket.this[0]').some((f) => /public-read/.test(f.message)));
    // kms_master_key_id is unknown in the plan; the configuration's references lead to the key.
    assert.deepEqual(findingsOf(r, 'MW-IMP-001', 'aws_s3_bucket.models'), []);
    assert.match(findingsOf(r, 'MW-IMP-002')[0]!.message, /180 days/);
    assert.ok(findingsOf(r, 'MW-IMP-003', 'aws_s3_bucket.models').some((f) => /Suspended/.test(f.message)));
    assert.ok(!r.errors.length, 'non-plan JSON is ignored, not an error');
  });
});

describe('Terraform expansion details', () => {
  it('handles for_each over sets, count.index, dynamic blocks and data policy documents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-scan-'));
    try {
      writeFileSync(
        join(dir, 'main.tf'),
        [
          'variable "limits" {',
          '  default = { predict = 5000 }',
          '}',
          'resource "aws_s3_bucket" "w" {',
          '  for_each = toset(["a", "b"])',
          '  bucket   = "weights-${each.key}"',
          '}',
          'resource "aws_s3_bucket_versioning" "w" {',
          '  count  = 1',
          '  bucket = aws_s3_bucket.w["a"].id',
          '  versioning_configuration {',
          '    status = count.index == 0 ? "Enabled" : "Suspended"',
          '  }',
          '}',
          'data "aws_iam_policy_document" "open" {',
          '  statement {',
          '    actions   = ["s3:GetObject"]',
          '    resources = ["${aws_s3_bucket.w["b"].arn}/*"]',
          '    principals {',
          '      type        = "*"',
          '      identifiers = ["*"]',
          '    }',
          '  }',
          '}',
          'resource "aws_s3_bucket_policy" "open" {',
          '  bucket = aws_s3_bucket.w["b"].id',
          '  policy = data.aws_iam_policy_document.open.json',
          '}',
          'resource "aws_api_gateway_rest_api" "predict" {',
          '  name = "predict-api"',
          '}',
          'resource "aws_api_gateway_stage" "prod" {',
          '  rest_api_id = aws_api_gateway_rest_api.predict.id',
          '  stage_name  = "prod"',
          '}',
          'resource "aws_wafv2_web_acl" "acl" {',
          '  name = "acl"',
          '  dynamic "rule" {',
          '    for_each = var.limits',
          '    content {',
          '      name = rule.key',
          '      action {',
          '        block {}',
          '      }',
          '      statement {',
          '        rate_based_statement {',
          '          limit = rule.value',
          '        }',
          '      }',
          '    }',
          '  }',
          '}',
          'resource "aws_wafv2_web_acl_association" "a" {',
          '  resource_arn = aws_api_gateway_stage.prod.arn',
          '  web_acl_arn  = aws_wafv2_web_acl.acl.arn',
          '}',
          '',
        ].join('\n'),
      );
      const r = await createScanner({ base: dir }).scan(['.']);
      const addrs = r.resources.map((x) => x.address);
      assert.ok(addrs.includes('aws_s3_bucket.w["a"]') && addrs.includes('aws_s3_bucket.w["b"]'));
      assert.deepEqual(findingsOf(r, 'MW-IMP-003').map((f) => f.resource), ['aws_s3_bucket.w["b"]']);
      assert.ok(findingsOf(r, 'MW-IMP-004', 'aws_s3_bucket.w["b"]').some((f) => /Principal/.test(f.message)));
      assert.ok(!findingsOf(r, 'MW-IMP-004', 'aws_s3_bucket.w["a"]').some((f) => /Principal/.test(f.message)));
      const waf = findingsOf(r, 'MW-EXF-003');
      assert.equal(waf.length, 1);
      assert.match(waf[0]!.message, /"predict" allows 60,000 requests per hour/);
      assert.equal(waf[0]!.line, 46); // the rate_based_statement block inside the dynamic content
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parse errors', () => {
  it('reports file, line and the parser message, and still scans the other files', async () => {
    const r = await scanFixture('broken');
    const tf = r.errors.find((e) => e.file === 'broken/bad.tf')!;
    assert.equal(tf.line, 3);
    assert.match(tf.message, /Invalid expression/);
    assert.ok(r.errors.some((e) => e.file === 'broken/bad.yaml'));
    assert.ok(r.resources.some((x) => x.address === 'aws_s3_bucket.models'));
    assert.ok(findingsOf(r, 'MW-IMP-001').length === 1);
    const s = createScanner({ base: FIXTURES });
    assert.equal(s.exitCode(r, 'critical'), 2);
  });
});

describe('model-store identification', () => {
  it('gives every resource a why, and finds stores by serving references without any model word', async () => {
    const r = await scanFixture('k8s-fail');
    for (const x of r.resources) assert.ok(x.why.length > 0, x.address);
    const blobs = r.resources.find((x) => x.address === 'aws_s3_bucket.blobs')!;
    assert.equal(blobs.model_store, true);
    assert.match(blobs.why, /InferenceService\.ml-serving\/fraud storageUri s3:\/\/acme-prod-blobs\/fraud\/v3 \(k8s-fail\/serving\.yaml:16\)/);
    assert.match(r.resources.find((x) => x.address === 'aws_s3_bucket.tracking')!.why, /args s3:\/\/acme-tracking-store/);
    assert.match(r.resources.find((x) => x.address === 'google_storage_bucket.gcs_blobs')!.why, /SeldonDeployment.*modelUri/);
  });
  it('leaves ordinary buckets alone unless --all-stores or scan.model_stores says otherwise', async () => {
    const plain = await scanFixture('gcp-fail');
    const site = plain.resources.find((x) => x.address === 'google_storage_bucket.website')!;
    assert.equal(site.model_store, false);
    assert.match(site.why, /no model-store signal/);
    assert.equal(findingsOf(plain, 'MW-IMP-001', 'google_storage_bucket.website').length, 0);
    const all = await scanFixture('gcp-fail', { allStores: true });
    assert.match(all.resources.find((x) => x.address === 'google_storage_bucket.website')!.why, /--all-stores/);
    assert.equal(findingsOf(all, 'MW-IMP-001', 'google_storage_bucket.website').length, 1);
    const cfg = await scanFixture('gcp-fail', { config: { model_stores: ['acme-website-*'] } });
    assert.match(cfg.resources.find((x) => x.address === 'google_storage_bucket.website')!.why, /scan\.model_stores/);
  });
  it('reads scan.model_stores and endpoints from a --config file, with line citations', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-scan-'));
    try {
      writeFileSync(join(dir, 'mirrorwatch.yaml'), 'ingest: {}\nscan:\n  model_stores:\n    - google_storage_bucket.website\n  endpoints:\n    - inference.example.com/v1/*\n');
      const r = await createScanner({ base: FIXTURES, configFile: join(dir, 'mirrorwatch.yaml') }).scan(['gcp-fail', 'reference']);
      assert.match(r.resources.find((x) => x.address === 'google_storage_bucket.website')!.why, /mirrorwatch\.yaml:4/);
      assert.deepEqual(findingsOf(r, 'MW-EXF-001'), []);
      writeFileSync(join(dir, 'bad.yaml'), 'scan:\n  model_store: [x]\n');
      assert.throws(() => createScanner({ base: FIXTURES, configFile: join(dir, 'bad.yaml') }), (e: Error & { code?: string }) => e.code === 'MW_ERR_SCAN_CONFIG');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reports and exit codes', () => {
  it('JSON has the issue shape: findings with rule/family/severity/resource/file/line/message, resources with address/model_store/why, errors', async () => {
    const r = await scanFixture(['aws-fail', 'broken']);
    const j = toJsonReport(r) as { findings: Record<string, unknown>[]; resources: Record<string, unknown>[]; errors: Record<string, unknown>[] };
    for (const f of j.findings) for (const k of ['rule', 'family', 'severity', 'resource', 'file', 'line', 'message']) assert.ok(k in f, k);
    for (const x of j.resources) {
      assert.equal(typeof x.address, 'string');
      assert.equal(typeof x.model_store, 'boolean');
      assert.equal(typeof x.why, 'string');
    }
    assert.ok(j.errors.length > 0);
    assert.ok(!JSON.stringify(j).includes(FIXTURES), 'no absolute paths in reports');
  });
  it('exits 1 at or above --fail-on, 0 below it or with none', async () => {
    const s = createScanner({ base: FIXTURES });
    const r = await s.scan(['reference']); // medium findings only
    assert.equal(s.exitCode(r, 'high'), 0);
    assert.equal(s.exitCode(r, 'medium'), 1);
    assert.equal(s.exitCode(r, 'none'), 0);
    const pass = await s.scan(['azure-pass']);
    assert.equal(s.exitCode(pass, 'low'), 0);
  });
  it('text groups by resource and shows file:line', async () => {
    const s = createScanner({ base: FIXTURES });
    const text = s.format(await s.scan(['aws-fail']), 'text');
    assert.match(text, /^aws_s3_bucket\.checkpoints {2}\(aws-fail\/main\.tf:11\)$/m);
    assert.match(text, /aws-fail\/main\.tf:13 {2}acl = "public-read"/);
  });
  it('rejects missing paths and empty trees with scan error codes', async () => {
    const s = createScanner({ base: FIXTURES });
    await assert.rejects(s.scan(['no-such-dir']), (e: Error & { code?: string }) => e.code === 'MW_ERR_SCAN_PATH');
    const dir = mkdtempSync(join(tmpdir(), 'mw-scan-'));
    try {
      await assert.rejects(createScanner({ base: dir }).scan(['.']), (e: Error & { code?: string }) => e.code === 'MW_ERR_SCAN_NO_INPUT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
