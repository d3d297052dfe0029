/**
 * MirrorWatch gateway audit lines (`mirrorwatch gateway`, `audit.dir`): one
 * JSON line per request through the gateway, written by
 * src/gateway/audit.ts. Each line carries a canonical inference event
 * without `id` and `provenance` (added here from the line, so re-ingest is
 * idempotent) and a `gateway` object (request id, applied output policy, risk
 * action and reasons, refusal code). The gateway already decoded the bodies
 * with the shared decoder, so instances are taken as written and checked
 * against the event schema. Field mapping: docs/sources/gateway-audit.md.
 */
import { inferenceEventSchema, type MwEvent } from '../../events/index.js';
import { toIsoUtc } from '../../util/time.js';
import { jsonLineShare } from '../shared/detect.js';
import { envelope, obj, str } from '../shared/envelope.js';
import type { Outcome, ParseContext, RawRecord, Sample, SourceParser } from '../types.js';
import { perRecord, quarantine, refOf } from '../types.js';

/** The `schema` value of every gateway audit line (src/gateway/audit.ts AUDIT_SCHEMA). */
export const GATEWAY_AUDIT_SCHEMA = 'mirrorwatch.gateway.audit/1';

function gatewayRecord(r: RawRecord, ctx: ParseContext): Outcome {
  let v: unknown;
  try {
    v = JSON.parse(r.text);
  } catch (e) {
    return quarantine(r, `not valid JSON: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return quarantine(r, 'record is not a JSON object');
  const o = v as Record<string, unknown>;
  if (o['schema'] !== GATEWAY_AUDIT_SCHEMA) return quarantine(r, `schema is ${JSON.stringify(o['schema'] ?? null)}, not ${GATEWAY_AUDIT_SCHEMA}`);
  const e = o['event'];
  if (!e || typeof e !== 'object' || Array.isArray(e)) return quarantine(r, 'event missing or not an object');
  const ev = e as Record<string, unknown>;
  if (ev['kind'] !== 'inference') return quarantine(r, `event.kind is ${JSON.stringify(ev['kind'] ?? null)}, not "inference"`);
  if (typeof ev['time'] !== 'string') return quarantine(r, `event.time missing or not a string: ${JSON.stringify(ev['time'] ?? null)}`);
  const time = toIsoUtc(ev['time']);
  if (!time) return quarantine(r, `event.time is not an ISO 8601 timestamp: ${JSON.stringify(ev['time'])}`);
  const principalRaw = str(obj(ev['principal'])['raw']);
  if (!principalRaw) return quarantine(r, 'event.principal.raw missing or empty');
  const refs = [refOf(r)];
  // The gateway knows the key's principal; the directory may still map it to a person.
  const candidate = { ...ev, ...envelope(ctx, refs, time, principalRaw) };
  const parsed = inferenceEventSchema.safeParse(candidate);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return quarantine(r, `event.${i.path.join('.')}: ${i.message}`);
  }
  return { type: 'event', event: parsed.data as MwEvent, records: refs };
}

function looksLikeGatewayAudit(o: Record<string, unknown>): boolean {
  return o['schema'] === GATEWAY_AUDIT_SCHEMA && typeof o['event'] === 'object';
}

function detect(sample: Sample): number {
  const { share } = jsonLineShare(sample, looksLikeGatewayAudit);
  // The schema marker is MirrorWatch's own: one matching line is unmistakable.
  return share === 0 ? 0 : 0.6 + 0.4 * share;
}

export const gatewayAuditParser: SourceParser = {
  format: 'gateway-audit',
  description: 'MirrorWatch inference gateway audit lines (canonical inference events as JSON lines)',
  framing: 'lines',
  detect,
  parse: perRecord((r, ctx) => {
    try {
      return gatewayRecord(r, ctx);
    } catch (e) {
      return quarantine(r, `unparseable gateway audit line: ${(e as Error).message}`);
    }
  }),
};
