import { encryptionOf, rotationOf } from '../facts.js';
import { modelStores } from '../stores.js';
import { hcl, IMP_FAMILY, type RawFinding, type Rule } from './rule.js';

export const modelKeyRotation: Rule = {
  id: 'MW-IMP-002',
  name: 'model-key-rotation',
  family: IMP_FAMILY,
  title: 'Key protecting model artifacts not rotated at least every 90 days',
  severity: 'medium',
  rationale:
    'A key that never rotates keeps protecting new model versions with key material that may already be exposed (in a backup, a log, a compromised HSM session). ' +
    'The source rule ATLAS-IMP-003 requires rotation at least every 90 days; AWS KMS rotates yearly by default when rotation is merely enabled.',
  remediation:
    'Enable automatic rotation at 90 days or less: `aws_kms_key` `enable_key_rotation = true` with `rotation_period_in_days = 90`; ' +
    '`google_kms_crypto_key` `rotation_period = "7776000s"`; `azurerm_key_vault_key` `rotation_policy { automatic { time_after_creation = "P90D" } }`.',
  attack: ['T1530', 'T1552'],
  fixes: {
    aws: hcl(`
      resource "aws_kms_key" "models" {
        enable_key_rotation     = true
        rotation_period_in_days = 90
      }
    `),
    gcp: hcl(`
      resource "google_kms_crypto_key" "models" {
        name            = "models"
        key_ring        = google_kms_key_ring.ml.id
        rotation_period = "7776000s" # 90 days
      }
    `),
    azure: hcl(`
      resource "azurerm_key_vault_key" "models" {
        # ...
        rotation_policy {
          expire_after = "P180D"
          automatic {
            time_after_creation = "P90D"
          }
        }
      }
    `),
  },
  check(ctx) {
    const max = ctx.settings.config.section.key_rotation_max_days;
    const out: RawFinding[] = [];
    const seen = new Map<string, RawFinding>();
    for (const s of modelStores(ctx)) {
      const e = encryptionOf(ctx, s);
      for (const key of e.keys) {
        const r = rotationOf(ctx, key);
        if (r.days !== undefined && r.days <= max + 1e-9) continue;
        if (r.detail.endsWith('is not evaluated')) continue;
        const prev = seen.get(key.id);
        if (prev) {
          prev.related = [...(prev.related ?? []), s];
          prev.message += `, ${s.address}`;
          const why = ctx.why(s);
          if (why) prev.why = `${prev.why ?? ''}; ${s.address}: ${why}`;
          continue;
        }
        const f: RawFinding = {
          resource: key,
          line: r.cite.line,
          message: `${r.detail} (must rotate at least every ${max} days); it protects model store ${s.address}`,
          why: `${s.address}: ${ctx.why(s) ?? ''}`,
          related: [s],
        };
        seen.set(key.id, f);
        out.push(f);
      }
    }
    return out;
  },
};
