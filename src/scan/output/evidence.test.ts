import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScanner } from '../index.js';
import { FIXTURES } from '../testkit.js';

describe('evidence report', () => {
  it('answers each audit question with citations', async () => {
    const s = createScanner({ base: FIXTURES });
    const paths = ['reference', 'aws-pass', 'k8s-pass', 'gateway-pass'];
    const md = s.evidence(await s.scan(paths), paths);
    for (const q of [
      '## 1. How are model weights encrypted, and with which keys?',
      '## 2. Who can read the model stores?',
      '## 3. What is the rate limit per API key?',
      '## 4. Are logits or confidences exposed?',
      '## 5. What egress monitoring exists?',
    ])
      assert.ok(md.includes(q), q);
    assert.match(md, /google_storage_bucket\.models `reference\/storage\.tf:1`/);
    assert.match(md, /google_kms_crypto_key\.models `reference\/kms\.tf:8`/);
    assert.match(md, /rotation_period 7776000s \(90 days\) `reference\/kms\.tf:11`/);
    assert.match(md, /Cloudflare rate limit `reference\/cloudflare\.tf:18` \| 1,000\/h .*\*\*per IP, not per API key\*\*/);
    assert.match(md, /per principal: counts per principal/);
    assert.match(md, /aws_iam_role_policy\.fraud_serving/);
    assert.match(md, /namespace \*\*ml-serving\*\*.*egress restricted by NetworkPolicy default-deny-egress `k8s-pass\/serving\.yaml:6`/);
    assert.match(md, /aws_s3_bucket\.audit `aws-pass\/main\.tf:\d+`: locked \(S3 Object Lock in COMPLIANCE mode\)/);
    assert.match(md, /risk-analyst: \["label","confidence"\]/);
  });
  it('says when the scan is incomplete', async () => {
    const s = createScanner({ base: FIXTURES });
    const md = s.evidence(await s.scan(['broken']), ['broken']);
    assert.match(md, /\*\*Scan incomplete:\*\*.*broken\/bad\.tf:3/);
  });
});
