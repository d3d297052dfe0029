/** The rule catalogue, in id order. Ids are stable: never renumber, only add. */
import { aiNamespaceEgress } from './ai-namespace-egress.js';
import { auditLogRetentionLock } from './audit-log-retention-lock.js';
import { batchCap } from './batch-cap.js';
import { endpointExposesScores } from './endpoint-exposes-scores.js';
import { endpointNoAuth } from './endpoint-no-auth.js';
import { endpointNoRateLimit } from './endpoint-no-rate-limit.js';
import { modelKeyRotation } from './model-key-rotation.js';
import { modelStoreAccessLogging } from './model-store-access-logging.js';
import { modelStoreBroadRead } from './model-store-broad-read.js';
import { modelStoreCmk } from './model-store-cmk.js';
import { modelStorePublicAccess } from './model-store-public-access.js';
import { modelStoreVersioning } from './model-store-versioning.js';
import { rateLimitAboveCeiling } from './rate-limit-above-ceiling.js';
import { rateLimitKeyedByIp } from './rate-limit-keyed-by-ip.js';
import type { Rule } from './rule.js';
import { suppressionWithoutReason } from './suppression-without-reason.js';

export const RULES: readonly Rule[] = [
  modelStoreCmk,
  modelKeyRotation,
  modelStoreVersioning,
  modelStorePublicAccess,
  modelStoreBroadRead,
  modelStoreAccessLogging,
  auditLogRetentionLock,
  aiNamespaceEgress,
  endpointNoRateLimit,
  rateLimitKeyedByIp,
  rateLimitAboveCeiling,
  endpointNoAuth,
  endpointExposesScores,
  batchCap,
  suppressionWithoutReason,
];

/** Finds a rule by id or kebab-case name (case-insensitive). */
export function findRule(token: string): Rule | undefined {
  const t = token.toLowerCase();
  return RULES.find((r) => r.id.toLowerCase() === t || r.name === t);
}

/** Rules a suppression token selects: one rule, or a whole family by its source rule id. */
export function rulesFor(token: string): Rule[] {
  const one = findRule(token);
  if (one) return [one];
  const t = token.toUpperCase();
  return RULES.filter((r) => r.family.id === t && r.family.id !== 'MW-META');
}

export type { Rule };
