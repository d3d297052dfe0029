/**
 * The MirrorWatch event model: one validated discriminated union that every
 * part of the product (ingest, detect, gateway, respond) reasons about.
 *
 * Times are ISO 8601 UTC strings ending in `Z` (event time, never ingest time).
 * OCSF class mapping per kind is in docs/events.md.
 */
import { z } from 'zod';

const isoUtc = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/, 'event time must be ISO 8601 UTC ending in Z');

export const principalSchema = z.object({
  /** Identity exactly as the source wrote it (user id, email, IAM ARN, access key, basic-auth user). */
  raw: z.string().min(1),
  /** Resolved identity: directory principal when known, else a normalised form of `raw`. */
  canonical: z.string().min(1),
});
export type Principal = z.infer<typeof principalSchema>;

export const recordRefSchema = z.object({
  /** 1-based line of the record in its file (for document formats, the line the record starts on, or 1). */
  line: z.number().int().nonnegative(),
  /** Byte offset of the record's line in the (decompressed) file. */
  offset: z.number().int().nonnegative(),
  /** sha256 (hex) of the original record text. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type RecordRef = z.infer<typeof recordRefSchema>;

export const provenanceSchema = z.object({
  format: z.string().min(1),
  file: z.string(),
  line: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  recordHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** Further records merged into this event (a CloudEvents response joined to its request). */
  joined: z.array(recordRefSchema).optional(),
});
export type Provenance = z.infer<typeof provenanceSchema>;

const base = {
  id: z.string().regex(/^[0-9a-f]{32}$/),
  time: isoUtc,
  principal: principalSchema,
  provenance: provenanceSchema,
  sourceIp: z.string().nullable().default(null),
  userAgent: z.string().nullable().default(null),
  /** What the source says about the caller's team and role at the time (not the directory's view). */
  context: z.object({ team: z.string().nullable(), role: z.string().nullable() }).nullable().default(null),
};

export const EXPLANATION_FIELDS = ['attention_weights', 'feature_importance', 'logprobs', 'binding_residues', 'prediction_interval'] as const;
export type ExplanationField = (typeof EXPLANATION_FIELDS)[number];

export const instanceInputSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('smiles'),
    smiles: z.string(),
    /** RDKit canonical SMILES; null when RDKit cannot parse the input (edge-case probes are evidence too). */
    canonical: z.string().nullable(),
    /** Stable hash of the canonical form (or of the raw text when it does not parse). */
    hash: z.string(),
  }),
  z.object({
    type: z.literal('features'),
    hash: z.string(),
    /** Numeric features when the input is a flat numeric vector (kept short: at most 64 values). */
    features: z.array(z.number()).nullable(),
  }),
  z.object({ type: z.literal('text'), hash: z.string(), length: z.number().int().nonnegative() }),
]);
export type InstanceInput = z.infer<typeof instanceInputSchema>;

export const instanceOutputSchema = z.object({
  prediction: z.union([z.number(), z.string(), z.array(z.number()), z.null()]),
  confidence: z.number().nullable(),
  intervalWidth: z.number().nullable(),
  explanations: z.array(z.enum(EXPLANATION_FIELDS)),
});
export type InstanceOutput = z.infer<typeof instanceOutputSchema>;

export const instanceSchema = z.object({
  input: instanceInputSchema,
  output: instanceOutputSchema.nullable(),
});
export type Instance = z.infer<typeof instanceSchema>;

export const outcomeSchema = z.enum(['success', 'failure', 'unknown']);

export const inferenceEventSchema = z.object({
  ...base,
  kind: z.literal('inference'),
  model: z.string().min(1),
  modelVersion: z.string().nullable(),
  endpoint: z.string().nullable(),
  apiKeyId: z.string().nullable(),
  /** Wire protocol of the request body: how `instances` were found. */
  protocol: z.enum(['seldon-v1', 'kserve-v1', 'oip-v2', 'openai', 'list', 'unknown']),
  batchSize: z.number().int().nonnegative(),
  instances: z.array(instanceSchema),
  outcome: outcomeSchema,
  httpStatus: z.number().int().nullable(),
  latencyMs: z.number().nullable(),
  bytesIn: z.number().int().nonnegative().nullable(),
  bytesOut: z.number().int().nonnegative().nullable(),
});
export type InferenceEvent = z.infer<typeof inferenceEventSchema>;

export const REGISTRY_ACTIONS = [
  'list_models',
  'search_models',
  'get_model',
  'get_version',
  'get_download_uri',
  'download_artifact',
  'list_artifacts',
  'list_endpoints',
  'create_or_update',
  'delete',
  'other',
] as const;
export type RegistryAction = (typeof REGISTRY_ACTIONS)[number];

export const registryEventSchema = z.object({
  ...base,
  kind: z.literal('registry'),
  action: z.enum(REGISTRY_ACTIONS),
  model: z.string().nullable(),
  modelVersion: z.string().nullable(),
  artifactUri: z.string().nullable(),
  bytes: z.number().int().nonnegative().nullable(),
  outcome: outcomeSchema,
  httpStatus: z.number().int().nullable(),
  /** The request path or API operation as the source recorded it. */
  operation: z.string().nullable(),
});
export type RegistryEvent = z.infer<typeof registryEventSchema>;

export const OBJECT_OPERATIONS = ['get', 'put', 'list', 'head', 'delete', 'copy', 'other'] as const;
export const objectEventSchema = z.object({
  ...base,
  kind: z.literal('object'),
  provider: z.enum(['s3', 'minio', 'gcs', 'unknown']),
  bucket: z.string().nullable(),
  key: z.string().nullable(),
  operation: z.enum(OBJECT_OPERATIONS),
  /** Operation as the source named it (REST.GET.OBJECT, GetObject, s3.GetObject). */
  operationRaw: z.string(),
  bytes: z.number().int().nonnegative().nullable(),
  httpStatus: z.number().int().nullable(),
  outcome: outcomeSchema,
  requestId: z.string().nullable(),
});
export type ObjectEvent = z.infer<typeof objectEventSchema>;

export const uploadEventSchema = z.object({
  ...base,
  kind: z.literal('upload'),
  action: z.string(),
  destination: z.string(),
  /** Host part of the destination, lower-cased, when it has one. */
  destinationHost: z.string().nullable(),
  fileName: z.string(),
  size: z.number().int().nonnegative().nullable(),
  sha256: z.string().nullable(),
  /** Shannon entropy of the content in bits per byte (0..8), when the DLP tool reports it. */
  entropy: z.number().min(0).max(8).nullable(),
});
export type UploadEvent = z.infer<typeof uploadEventSchema>;

export const HR_ACTIONS = ['resignation_submitted', 'last_working_day', 'termination', 'role_change'] as const;
export type HrAction = (typeof HR_ACTIONS)[number];
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'date must start with YYYY-MM-DD');
export const hrEventSchema = z.object({
  ...base,
  kind: z.literal('hr'),
  action: z.enum(HR_ACTIONS),
  effectiveDate: isoDate.nullable(),
  lastWorkingDay: isoDate.nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type HrEvent = z.infer<typeof hrEventSchema>;

export const eventSchema = z.discriminatedUnion('kind', [
  inferenceEventSchema,
  registryEventSchema,
  objectEventSchema,
  uploadEventSchema,
  hrEventSchema,
]);
export type MwEvent = z.infer<typeof eventSchema>;

/**
 * The schema ingestion checks each event against. Identical to `eventSchema`
 * except that inference instances are checked for shape only: instances are
 * built by the shared body decoder (src/sources/shared/bodies.ts), whose
 * output is property-tested against the full `instanceSchema`; a zod walk of
 * up to 100 instances per request costs ~1.5 µs each, more than the rest of
 * ingestion (measured with bench:ingest). Tests validate every stored event against `eventSchema`.
 */
export const ingestEventSchema = z.discriminatedUnion('kind', [
  inferenceEventSchema.extend({ instances: z.custom<Instance[]>((v) => Array.isArray(v), 'instances must be an array') }),
  registryEventSchema,
  objectEventSchema,
  uploadEventSchema,
  hrEventSchema,
]);
export type EventKind = MwEvent['kind'];
export const EVENT_KINDS: readonly EventKind[] = ['inference', 'registry', 'object', 'upload', 'hr'];

/** The model an event concerns, when it has one (used for store columns and incident scoping). */
export function eventModel(e: MwEvent): string | null {
  switch (e.kind) {
    case 'inference':
    case 'registry':
      return e.model;
    default:
      return null;
  }
}

/** Event time in epoch milliseconds. */
export function eventMs(e: Pick<MwEvent, 'time'>): number {
  return Date.parse(e.time);
}

// ---------------------------------------------------------------------------
// Reference data: not events (they have no event time) but versioned facts.

export const directoryEntrySchema = z.object({
  principal: z.string().min(1),
  email: z.string().nullable(),
  displayName: z.string().nullable(),
  team: z.string().nullable(),
  projects: z.array(z.string()),
  role: z.string().nullable(),
  manager: z.string().nullable(),
  /** Other identities of the same person: IAM ARNs, access keys, service accounts they own. */
  aliases: z.array(z.string()),
});
export type DirectoryEntry = z.infer<typeof directoryEntrySchema>;

export const CLASSIFICATIONS = ['TRADE_SECRET', 'CONFIDENTIAL', 'INTERNAL', 'PUBLIC', 'UNCLASSIFIED'] as const;
export const modelEntrySchema = z.object({
  name: z.string().min(1),
  team: z.string().nullable(),
  classification: z.enum(CLASSIFICATIONS),
  estimatedValue: z.number().nonnegative().nullable(),
  artifactLocation: z.string().nullable(),
  architecture: z.string().nullable(),
  latestVersion: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
});
export type ModelEntry = z.infer<typeof modelEntrySchema>;

export const compoundEntrySchema = z.object({
  smiles: z.string().min(1),
  canonical: z.string().nullable(),
  id: z.string().nullable(),
});
export type CompoundEntry = z.infer<typeof compoundEntrySchema>;

export type ReferenceRecord =
  | { kind: 'directory'; entry: DirectoryEntry }
  | { kind: 'models'; entry: ModelEntry }
  | { kind: 'compounds'; entry: CompoundEntry };
export type ReferenceKind = ReferenceRecord['kind'];
