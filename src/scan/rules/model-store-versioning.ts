import { versioningOf } from '../facts.js';
import { modelStores } from '../stores.js';
import { hcl, IMP_FAMILY, type RawFinding, type Rule } from './rule.js';

export const modelStoreVersioning: Rule = {
  id: 'MW-IMP-003',
  name: 'model-store-versioning',
  family: IMP_FAMILY,
  title: 'Versioning disabled on a model store',
  severity: 'medium',
  rationale:
    'Without versioning an overwritten or deleted model is gone: an attacker who can write can swap weights (a backdoored or degraded model) and destroy the evidence, ' +
    'and you cannot prove which artifact was served when. For registries, mutable tags have the same effect.',
  remediation:
    'Turn versioning on: `aws_s3_bucket_versioning` with `status = "Enabled"`, GCS `versioning { enabled = true }`, Azure `blob_properties { versioning_enabled = true }`; ' +
    'for ECR `image_tag_mutability = "IMMUTABLE"`, for Artifact Registry `docker_config { immutable_tags = true }`.',
  attack: ['T1565.001', 'T1485'],
  fixes: {
    aws: hcl(`
      resource "aws_s3_bucket_versioning" "models" {
        bucket = aws_s3_bucket.models.id
        versioning_configuration {
          status = "Enabled"
        }
      }
    `),
    gcp: hcl(`
      resource "google_storage_bucket" "models" {
        # ...
        versioning {
          enabled = true
        }
      }
    `),
    azure: hcl(`
      resource "azurerm_storage_account" "models" {
        # ...
        blob_properties {
          versioning_enabled = true
        }
      }
    `),
  },
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of modelStores(ctx)) {
      const v = versioningOf(ctx, s);
      if (!v || v.ok) continue;
      out.push({ resource: s, line: v.cite.resource === s ? v.cite.line : s.line, message: `versioning is off: ${v.detail}`, ...(v.cite.resource !== s ? { related: [v.cite.resource] } : {}) });
    }
    return out;
  },
};
