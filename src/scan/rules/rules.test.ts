/**
 * Every rule against a fixture where it must fire and one where it must not.
 * Fixtures live in src/scan/fixtures/<name>/ and are described in docs/scan.md.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { findingsOf, scanFixture } from '../testkit.js';
import type { ScanResult } from '../types.js';

const results = new Map<string, ScanResult>();
async function scan(dir: string): Promise<ScanResult> {
  let r = results.get(dir);
  if (!r) {
    r = await scanFixture(dir);
    results.set(dir, r);
  }
  return r;
}
const addrs = (r: ScanResult, rule: string): string[] => findingsOf(r, rule).map((f) => f.resource).sort();

describe('MW-IMP-001 model-store-cmk', () => {
  it('fails for provider-managed keys on every cloud', async () => {
    assert.deepEqual(addrs(await scan('aws-fail'), 'MW-IMP-001'), ['aws_s3_bucket.checkpoints']);
    assert.match(findingsOf(await scan('aws-fail'), 'MW-IMP-001')[0]!.message, /aws:kms.*without kms_master_key_id/);
    assert.deepEqual(addrs(await scan('gcp-fail'), 'MW-IMP-001'), ['google_storage_bucket.checkpoints']);
    assert.deepEqual(addrs(await scan('azure-fail'), 'MW-IMP-001'), ['azurerm_storage_account.weights']);
  });
  it('passes customer-managed keys, also through aliases, separate resources and external ARNs', async () => {
    for (const d of ['aws-pass', 'azure-pass', 'reference', 'crossfile']) assert.deepEqual(addrs(await scan(d), 'MW-IMP-001'), [], d);
    assert.deepEqual(addrs(await scan('azure-fail'), 'MW-IMP-001').includes('azurerm_storage_account.registry'), false);
  });
});

describe('MW-IMP-002 model-key-rotation', () => {
  it('fails keys that never rotate or rotate slower than 90 days', async () => {
    assert.deepEqual(addrs(await scan('aws-fail'), 'MW-IMP-002'), ['aws_kms_key.unrotated', 'aws_kms_key.yearly']);
    assert.match(findingsOf(await scan('aws-fail'), 'MW-IMP-002', 'aws_kms_key.yearly')[0]!.message, /365 days/);
    assert.deepEqual(addrs(await scan('gcp-fail'), 'MW-IMP-002'), ['google_kms_crypto_key.never', 'google_kms_crypto_key.yearly']);
    assert.deepEqual(addrs(await scan('azure-fail'), 'MW-IMP-002'), ['azurerm_key_vault_key.stale']);
    assert.deepEqual(addrs(await scan('plan'), 'MW-IMP-002'), ['aws_kms_key.models']);
  });
  it('passes 90-day rotation (value from a variable default too)', async () => {
    for (const d of ['aws-pass', 'azure-pass', 'reference', 'crossfile', 'modules']) assert.deepEqual(addrs(await scan(d), 'MW-IMP-002'), [], d);
  });
  it('points at the key and says which store it protects', async () => {
    const f = findingsOf(await scan('gcp-fail'), 'MW-IMP-002', 'google_kms_crypto_key.yearly')[0]!;
    assert.equal(f.line, 8);
    assert.match(f.message, /google_storage_bucket\.yearly/);
    assert.match(f.why!, /acme-model-archive/);
  });
});

describe('MW-IMP-003 model-store-versioning', () => {
  it('fails missing, disabled and suspended versioning', async () => {
    assert.deepEqual(addrs(await scan('aws-fail'), 'MW-IMP-003'), ['aws_s3_bucket.checkpoints', 'aws_s3_bucket.registry', 'aws_s3_bucket.weights']);
    assert.deepEqual(addrs(await scan('gcp-fail'), 'MW-IMP-003'), ['google_storage_bucket.checkpoints', 'google_storage_bucket.weights']);
    assert.deepEqual(addrs(await scan('azure-fail'), 'MW-IMP-003'), ['azurerm_storage_account.weights']);
  });
  it('passes enabled versioning (also when the versioning resource names the bucket literally)', async () => {
    for (const d of ['aws-pass', 'azure-pass', 'reference']) assert.deepEqual(addrs(await scan(d), 'MW-IMP-003'), [], d);
    assert.deepEqual(addrs(await scan('crossfile'), 'MW-IMP-003'), ['aws_s3_bucket.external_key']);
  });
});

describe('MW-IMP-004 model-store-public-access', () => {
  it('fails public ACLs, Principal *, missing or partial public-access blocks, allUsers, non-uniform access, public containers', async () => {
    const aws = findingsOf(await scan('aws-fail'), 'MW-IMP-004').map((f) => f.message);
    assert.ok(aws.some((m) => /acl = "public-read"/.test(m)));
    assert.ok(aws.some((m) => /"Principal": "\*"/.test(m)));
    assert.ok(aws.some((m) => /no aws_s3_bucket_public_access_block/.test(m)));
    assert.ok(aws.some((m) => /leaves block_public_policy off/.test(m)));
    const gcp = findingsOf(await scan('gcp-fail'), 'MW-IMP-004').map((f) => f.message);
    assert.ok(gcp.some((m) => /allUsers/.test(m)));
    assert.ok(gcp.some((m) => /uniform_bucket_level_access is not true/.test(m)));
    const az = findingsOf(await scan('azure-fail'), 'MW-IMP-004').map((f) => f.message);
    assert.ok(az.some((m) => /container_access_type "blob"/.test(m)));
    assert.ok(az.some((m) => /allow_nested_items_to_be_public/.test(m)));
  });
  it('passes locked-down stores', async () => {
    for (const d of ['aws-pass', 'azure-pass', 'reference']) assert.deepEqual(addrs(await scan(d), 'MW-IMP-004'), [], d);
  });
});

describe('MW-IMP-005 model-store-broad-read', () => {
  it('fails domain-wide, organisation-group, project-level, account-wide and subscription-wide read', async () => {
    assert.deepEqual(addrs(await scan('gcp-fail'), 'MW-IMP-005'), ['google_project_iam_member.eng_reads_everything', 'google_storage_bucket_iam_member.whole_domain']);
    assert.deepEqual(addrs(await scan('aws-fail'), 'MW-IMP-005'), ['aws_iam_group_policy.everyone_reads']);
    assert.deepEqual(addrs(await scan('azure-fail'), 'MW-IMP-005'), ['azurerm_role_assignment.sub_wide']);
  });
  it('passes per-project grants (prefix policy for one role, container-scoped assignment)', async () => {
    for (const d of ['aws-pass', 'azure-pass', 'modules']) assert.deepEqual(addrs(await scan(d), 'MW-IMP-005'), [], d);
  });
});

describe('MW-IMP-006 model-store-access-logging', () => {
  it('fails stores whose reads are not recorded', async () => {
    assert.deepEqual(addrs(await scan('aws-fail'), 'MW-IMP-006'), ['aws_s3_bucket.checkpoints', 'aws_s3_bucket.registry']);
    assert.deepEqual(addrs(await scan('azure-fail'), 'MW-IMP-006'), ['azurerm_storage_account.registry', 'azurerm_storage_account.weights']);
  });
  it('passes access logging and diagnostic settings', async () => {
    for (const d of ['aws-pass', 'azure-pass']) assert.deepEqual(addrs(await scan(d), 'MW-IMP-006'), [], d);
    assert.ok(!addrs(await scan('aws-fail'), 'MW-IMP-006').includes('aws_s3_bucket.weights'));
  });
});

describe('MW-IMP-007 audit-log-retention-lock', () => {
  it('fails an audit-log bucket without object lock', async () => {
    assert.deepEqual(addrs(await scan('aws-fail'), 'MW-IMP-007'), ['aws_s3_bucket.logs']);
    assert.match(findingsOf(await scan('aws-fail'), 'MW-IMP-007')[0]!.why!, /aws_s3_bucket\.weights/);
  });
  it('passes COMPLIANCE object lock and a locked Azure immutability policy', async () => {
    for (const d of ['aws-pass', 'azure-pass']) assert.deepEqual(addrs(await scan(d), 'MW-IMP-007'), [], d);
  });
});

describe('MW-IMP-008 ai-namespace-egress', () => {
  it('fails AI namespaces without egress policy, and allow-all egress policies', async () => {
    assert.deepEqual(addrs(await scan('k8s-fail'), 'MW-IMP-008'), ['Deployment.mlflow/mlflow', 'Namespace.ml-serving', 'SeldonDeployment.seldon-models/churn']);
    assert.match(findingsOf(await scan('k8s-fail'), 'MW-IMP-008', 'SeldonDeployment.seldon-models/churn')[0]!.message, /allow every destination/);
  });
  it('passes default-deny egress with DNS and a private CIDR', async () => {
    assert.deepEqual(addrs(await scan('k8s-pass'), 'MW-IMP-008'), []);
  });
});

describe('MW-EXF-001 endpoint-no-rate-limit', () => {
  it('fails endpoints with no limiter (mesh-exposed Seldon, LoadBalancer MLflow, API, gateway route)', async () => {
    assert.deepEqual(addrs(await scan('k8s-fail'), 'MW-EXF-001'), ['SeldonDeployment.seldon-models/churn', 'Service.mlflow/mlflow']);
    assert.deepEqual(addrs(await scan('apigw-fail'), 'MW-EXF-001'), ['aws_apigatewayv2_api.scoring']);
    assert.deepEqual(addrs(await scan('gateway-fail'), 'MW-EXF-001'), ['MirrorWatchGateway.gateway-nocap']);
  });
  it('passes limited endpoints, including the reference Cloudflare rate limit on the predict URL', async () => {
    for (const d of ['reference', 'k8s-pass', 'apigw-pass', 'gateway-pass']) assert.deepEqual(addrs(await scan(d), 'MW-EXF-001'), [], d);
  });
});

describe('MW-EXF-002 rate-limit-keyed-by-ip', () => {
  it('flags the reference cloudflare_rate_limit as keyed by IP, and IP-keyed WAF, nginx and gateway limits', async () => {
    assert.deepEqual(addrs(await scan('reference'), 'MW-EXF-002'), ['cloudflare_rate_limit.predict']);
    assert.deepEqual(addrs(await scan('apigw-fail'), 'MW-EXF-002'), ['aws_wafv2_web_acl.edge']);
    assert.deepEqual(addrs(await scan('k8s-fail'), 'MW-EXF-002'), ['Ingress.ml-serving/fraud']);
    assert.deepEqual(addrs(await scan('gateway-fail'), 'MW-EXF-002'), ['MirrorWatchGateway.edge']);
  });
  it('passes per-API-key limits (WAF custom header key, usage plan, nginx global-rate-limit-key, gateway per principal)', async () => {
    for (const d of ['apigw-pass', 'k8s-pass', 'gateway-pass']) assert.deepEqual(addrs(await scan(d), 'MW-EXF-002'), [], d);
  });
});

describe('MW-EXF-003 rate-limit-above-ceiling', () => {
  it('fails limits above 1,000 per hour', async () => {
    assert.match(findingsOf(await scan('apigw-fail'), 'MW-EXF-003')[0]!.message, /24,000 requests per hour/);
    assert.match(findingsOf(await scan('k8s-fail'), 'MW-EXF-003')[0]!.message, /36,000/);
    assert.match(findingsOf(await scan('gateway-fail'), 'MW-EXF-003')[0]!.message, /5,000/);
  });
  it('passes limits at or under the ceiling, including the reference 1,000/hour', async () => {
    for (const d of ['reference', 'apigw-pass', 'k8s-pass', 'gateway-pass']) assert.deepEqual(addrs(await scan(d), 'MW-EXF-003'), [], d);
  });
  it('honours a configured ceiling', async () => {
    const r = await scanFixture('reference', { config: { rate_limit_ceiling_per_hour: 500 } });
    assert.deepEqual(addrs(r, 'MW-EXF-003'), ['cloudflare_rate_limit.predict']);
  });
});

describe('MW-EXF-004 endpoint-no-auth', () => {
  it('fails open Ingress, mesh-exposed Seldon, LoadBalancer, API Gateway NONE and gateway auth: none', async () => {
    assert.deepEqual(addrs(await scan('k8s-fail'), 'MW-EXF-004'), ['Ingress.ml-serving/fraud', 'SeldonDeployment.seldon-models/churn', 'Service.mlflow/mlflow']);
    assert.deepEqual(addrs(await scan('apigw-fail'), 'MW-EXF-004'), ['aws_api_gateway_rest_api.inference', 'aws_apigatewayv2_api.scoring']);
    const g = findingsOf(await scan('gateway-fail'), 'MW-EXF-004');
    assert.equal(g.length, 1);
    assert.match(g[0]!.message, /fraud:predict.*"none"/);
  });
  it('passes auth-url, IAM + API key, gateway auth: required', async () => {
    for (const d of ['k8s-pass', 'apigw-pass', 'gateway-pass', 'reference']) assert.deepEqual(addrs(await scan(d), 'MW-EXF-004'), [], d);
  });
});

describe('MW-EXF-005 endpoint-exposes-scores', () => {
  it('fails explainers and gateway roles exposing logits or confidences to everyone', async () => {
    assert.deepEqual(addrs(await scan('k8s-fail'), 'MW-EXF-005'), ['InferenceService.ml-serving/fraud', 'SeldonDeployment.seldon-models/churn']);
    const g = findingsOf(await scan('gateway-fail'), 'MW-EXF-005').map((f) => f.message);
    assert.ok(g.some((m) => /role "default" returns logits/.test(m)));
    assert.ok(g.some((m) => /confidence to every role/.test(m)));
  });
  it('passes label-only defaults with confidence for one named role', async () => {
    for (const d of ['gateway-pass', 'k8s-pass']) assert.deepEqual(addrs(await scan(d), 'MW-EXF-005'), [], d);
  });
});

describe('MW-EXF-006 batch-cap', () => {
  it('fails caps above the ceiling, missing caps and unbounded request bodies', async () => {
    const g = findingsOf(await scan('gateway-fail'), 'MW-EXF-006').map((f) => f.message);
    assert.ok(g.some((m) => /batch_cap 512/.test(m)));
    assert.ok(g.some((m) => /batch_cap 1024/.test(m)));
    assert.ok(g.some((m) => /no batch_cap/.test(m)));
    assert.deepEqual(addrs(await scan('k8s-fail'), 'MW-EXF-006'), ['Ingress.ml-serving/fraud']);
  });
  it('passes caps within the ceiling', async () => {
    for (const d of ['gateway-pass', 'k8s-pass']) assert.deepEqual(addrs(await scan(d), 'MW-EXF-006'), [], d);
  });
});

describe('MW-SUP-001 suppression-without-reason', () => {
  let r: ScanResult;
  before(async () => {
    r = await scan('suppress');
  });
  it('reports suppressions without a reason or with an unknown rule, and they suppress nothing', () => {
    const meta = findingsOf(r, 'MW-SUP-001');
    assert.deepEqual(meta.map((f) => f.line).sort(), [12, 27]);
    assert.ok(findingsOf(r, 'MW-IMP-003', 'google_storage_bucket.scratch_models').length === 1);
    assert.ok(findingsOf(r, 'MW-IMP-003', 'google_storage_bucket.typo_models').length === 1);
  });
  it('honours a reasoned suppression above the block, and a family alias inside it', () => {
    assert.equal(findingsOf(r, 'MW-IMP-003', 'google_storage_bucket.demo_models').length, 0);
    assert.ok(r.suppressed.some((f) => f.rule === 'MW-IMP-003' && f.resource === 'google_storage_bucket.demo_models' && /SEC-123/.test(f.suppressed!.reason)));
    assert.equal(r.findings.filter((f) => f.resource === 'google_storage_bucket.family_models').length, 0);
    assert.equal(r.suppressed.filter((f) => f.resource === 'google_storage_bucket.family_models').length, 4);
  });
});

describe('catalogue', () => {
  it('has unique ids and names, and docs/scan.md documents every rule with its severity and family', async () => {
    const { RULES } = await import('./index.js');
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { repoRoot } = await import('../../util/repo-root.js');
    assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length);
    assert.equal(new Set(RULES.map((r) => r.name)).size, RULES.length);
    const doc = readFileSync(join(repoRoot(), 'docs', 'scan.md'), 'utf8');
    for (const r of RULES) {
      assert.ok(doc.includes(`### ${r.id} ${r.name}: ${r.title}`), r.id);
      assert.ok(doc.includes(`- **Severity:** ${r.severity}. **Family:** ${r.family.id}.`), `${r.id} severity`);
      assert.ok(Object.keys(r.fixes).length > 0, `${r.id} has a fix snippet`);
    }
  });
});
