import { encryptionOf } from '../facts.js';
import { modelStores } from '../stores.js';
import { hcl, IMP_FAMILY, type RawFinding, type Rule } from './rule.js';

export const modelStoreCmk: Rule = {
  id: 'MW-IMP-001',
  name: 'model-store-cmk',
  family: IMP_FAMILY,
  title: 'Model store not encrypted with a customer-managed key',
  severity: 'high',
  rationale:
    'With provider-owned keys (S3 SSE-S3 or the aws/s3 managed key, Google- or Microsoft-managed keys) anyone who can read the objects gets plaintext weights. ' +
    'A customer-managed key adds a second, separately audited permission (kms:Decrypt / cloudkms.cryptoKeyVersions.useToDecrypt) between a leaked storage credential and the model, ' +
    'and lets you revoke access to every copy at once by disabling the key.',
  remediation:
    'Encrypt the store with a key you own: S3 `aws_s3_bucket_server_side_encryption_configuration` with `sse_algorithm = "aws:kms"` and `kms_master_key_id` set to your `aws_kms_key` ' +
    '(not `aws:kms` alone, which uses the AWS managed key); GCS `encryption { default_kms_key_name }`; Azure `customer_managed_key`; ECR `encryption_type = "KMS"` with `kms_key`.',
  attack: ['T1530'],
  fixes: {
    aws: hcl(`
      resource "aws_kms_key" "models" {
        description             = "Model artifacts"
        enable_key_rotation     = true
        rotation_period_in_days = 90
      }

      resource "aws_s3_bucket_server_side_encryption_configuration" "models" {
        bucket = aws_s3_bucket.models.id
        rule {
          apply_server_side_encryption_by_default {
            sse_algorithm     = "aws:kms"
            kms_master_key_id = aws_kms_key.models.arn
          }
          bucket_key_enabled = true
        }
      }
    `),
    gcp: hcl(`
      resource "google_kms_crypto_key" "models" {
        name            = "models"
        key_ring        = google_kms_key_ring.ml.id
        rotation_period = "7776000s" # 90 days
      }

      resource "google_storage_bucket" "models" {
        # ...
        encryption {
          default_kms_key_name = google_kms_crypto_key.models.id
        }
      }
    `),
    azure: hcl(`
      resource "azurerm_storage_account_customer_managed_key" "models" {
        storage_account_id = azurerm_storage_account.models.id
        key_vault_id       = azurerm_key_vault.ml.id
        key_name           = azurerm_key_vault_key.models.name
      }
    `),
  },
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of modelStores(ctx)) {
      const e = encryptionOf(ctx, s);
      if (e.status !== 'provider-managed') continue;
      out.push({
        resource: s,
        line: e.cite.resource === s ? e.cite.line : s.line,
        message: `model store is not encrypted with a customer-managed key: ${e.detail}`,
        ...(e.cite.resource !== s ? { related: [e.cite.resource] } : {}),
      });
    }
    return out;
  },
};
