/**
 * Gateway configuration: YAML, validated with zod at start. Every problem is
 * reported at once (YAML syntax errors, schema errors and cross-references),
 * so an operator fixes a file in one pass. The JSON Schema published in
 * docs/gateway.md is generated from `configSchema` (a test keeps them equal).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { detectorById } from '../detect/registry.js';
import { MwError } from '../errors/index.js';
import { RISK_ACTIONS } from './risk.js';

export const PROTOCOLS = ['kserve-v1', 'oip-v2', 'seldon-v1', 'openai'] as const;
export type GatewayProtocol = (typeof PROTOCOLS)[number];

const hostPort = (port: number) =>
  z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(port),
    })
    .strict();

const outputPolicySchema = z
  .object({
    /** Keys deleted wherever they appear in a prediction item or at the top of the response. */
    remove_fields: z.array(z.string().min(1)).default([]),
    /** Round probabilities / confidences to this many decimals (ART's `Rounded` postprocessor). */
    round_decimals: z.number().int().min(0).max(12).nullable().default(null),
    /** Replace a probability vector with its one-hot top-1 (ART's `ClassLabels`). */
    top1_only: z.boolean().default(false),
    /** Reverse-sigmoid perturbation (Lee et al. 2019); top-1 is always kept. */
    reverse_sigmoid: z
      .object({ beta: z.number().positive().default(1), gamma: z.number().positive().default(0.1) })
      .strict()
      .nullable()
      .default(null),
    /** Uniform noise in [-max_abs, +max_abs] added to regression outputs. */
    regression_noise: z.object({ max_abs: z.number().positive() }).strict().nullable().default(null),
    /** OpenAI: clamp the request's `top_logprobs` and trim the response's lists to this many. */
    max_top_logprobs: z.number().int().min(0).max(20).nullable().default(null),
    allow_logit_bias: z.boolean().default(true),
    /** What to do with a response the policy cannot recognise. */
    on_unknown_shape: z.enum(['pass', 'strip', 'block']).default('block'),
  })
  .strict();
export type OutputPolicy = z.infer<typeof outputPolicySchema>;

const rateLimitSchema = z
  .object({
    scope: z.enum(['key', 'principal']),
    unit: z.enum(['requests', 'instances']),
    per: z.enum(['second', 'minute', 'hour']),
    limit: z.number().int().positive(),
    /** GCRA bucket depth (how much may arrive at once); defaults to `limit`. */
    burst: z.number().int().positive().optional(),
    models: z.array(z.string().min(1)).default(['*']),
    roles: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type RateLimitRule = z.infer<typeof rateLimitSchema>;

const budgetSchema = z
  .object({
    models: z.array(z.string().min(1)).default(['*']),
    roles: z.array(z.string().min(1)).optional(),
    /** Instances per principal and model per UTC day. */
    per_day: z.number().int().positive().optional(),
    /** Instances per principal and model, ever. */
    lifetime: z.number().int().positive().optional(),
  })
  .strict()
  .refine((b) => b.per_day !== undefined || b.lifetime !== undefined, { message: 'a budget needs per_day or lifetime' });
export type BudgetRule = z.infer<typeof budgetSchema>;

const modelSchema = z
  .object({
    name: z.string().min(1).regex(/^[A-Za-z0-9._:-]+$/, 'model names are letters, digits and . _ : -'),
    upstream: z.url({ protocol: /^https?$/ }),
    protocol: z.enum(PROTOCOLS),
    task: z.enum(['classification', 'regression', 'text']),
    /** Name the upstream knows the model by, when it differs. */
    upstream_model: z.string().min(1).optional(),
  })
  .strict();
export type ModelConfig = z.infer<typeof modelSchema>;

const roleSchema = z
  .object({
    output_policy: z.string().min(1),
    batch_cap: z.number().int().positive().default(100),
  })
  .strict();

const riskAction = z.enum(RISK_ACTIONS);

const inlineDefenceSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Detector ids (docs/detect.md); default every registered detector that reads inference events. */
    detectors: z.array(z.string().min(1)).min(1).optional(),
    /** Option overrides per detector id, validated by that detector's schema. */
    detector_options: z.record(z.string().min(1), z.unknown()).default({}),
    /** Containment action for an alert of each severity. */
    actions: z
      .object({ low: riskAction.default('none'), medium: riskAction.default('degrade'), high: riskAction.default('step_up'), critical: riskAction.default('block') })
      .strict()
      .default({ low: 'none', medium: 'degrade', high: 'step_up', critical: 'block' }),
    /** How long an automatic action lasts; none = until an admin lifts it. */
    action_duration_seconds: z.number().int().positive().optional(),
    /** Request rate a `throttle` action leaves the principal. */
    throttle_requests_per_second: z.number().positive().default(1),
  })
  .strict();
export type InlineDefenceConfig = z.infer<typeof inlineDefenceSchema>;

export const configSchema = z
  .object({
    listen: hostPort(8080).default({ host: '127.0.0.1', port: 8080 }),
    admin: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8081),
        /** sha256 (hex) of the admin bearer token; the token itself is never in the file. */
        token_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'token_sha256 must be 64 lower-case hex digits'),
        /** Binding the admin API to a non-loopback address needs this on purpose. */
        allow_remote: z.boolean().default(false),
      })
      .strict(),
    /** Folder for the gateway's own durable files: counters journal, containment state, keys (default). */
    data_dir: z.string().min(1),
    keys_file: z.string().min(1).optional(),
    limits: z
      .object({
        max_body_bytes: z.number().int().positive().default(1_048_576),
        client_timeout_ms: z.number().int().positive().default(10_000),
        upstream_timeout_ms: z.number().int().positive().default(30_000),
        upstream_connect_timeout_ms: z.number().int().positive().default(2_000),
        upstream_connections: z.number().int().positive().default(64),
      })
      .strict()
      .default({ max_body_bytes: 1_048_576, client_timeout_ms: 10_000, upstream_timeout_ms: 30_000, upstream_connect_timeout_ms: 2_000, upstream_connections: 64 }),
    counters: z
      .object({
        /** `journal`: local durable files in data_dir (one gateway process); `redis`: shared by replicas. */
        store: z.enum(['journal', 'redis']).default('journal'),
        on_unavailable: z.enum(['fail_closed', 'fail_open']).default('fail_closed'),
        /** Journal writes reach the OS before the request is forwarded; fsync runs at most this often. */
        fsync_interval_ms: z.number().int().min(0).default(50),
        redis: z
          .object({
            /** redis://[user:password@]host:port/db; prefer the MIRRORWATCH_REDIS_URL environment variable for a password. */
            url: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional(),
            /** Prefix of every key the gateway writes (several gateways can share one Redis). */
            key_prefix: z.string().min(1).default('mirrorwatch:gw:'),
            /** A command not answered within this is a store failure (fail_closed / fail_open). */
            command_timeout_ms: z.number().int().positive().default(1000),
          })
          .strict()
          .default({ key_prefix: 'mirrorwatch:gw:', command_timeout_ms: 1000 }),
      })
      .strict()
      .default({ store: 'journal', on_unavailable: 'fail_closed', fsync_interval_ms: 50, redis: { key_prefix: 'mirrorwatch:gw:', command_timeout_ms: 1000 } }),
    audit: z
      .object({
        /** Inference audit lines (the `gateway-audit` log source); none = kept in memory only. */
        dir: z.string().min(1).optional(),
        /** Containment action lines (alerts); default `<data_dir>/actions`. */
        actions_dir: z.string().min(1).optional(),
        max_file_bytes: z.number().int().positive().default(64 * 1024 * 1024),
        max_files: z.number().int().positive().default(20),
      })
      .strict()
      .default({ max_file_bytes: 64 * 1024 * 1024, max_files: 20 }),
    models: z.array(modelSchema).min(1),
    output_policies: z.record(z.string().min(1), outputPolicySchema),
    roles: z.record(z.string().min(1), roleSchema),
    /** The most restricted output policy: what `degrade` switches a principal to. */
    degrade_policy: z.string().min(1),
    rate_limits: z.array(rateLimitSchema).default([]),
    budgets: z.array(budgetSchema).default([]),
    /** Inline extraction defence: the detection engine's detectors on the live request stream. */
    inline_defence: inlineDefenceSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const policies = new Set(Object.keys(c.output_policies));
    if (!policies.has(c.degrade_policy)) ctx.addIssue({ code: 'custom', path: ['degrade_policy'], message: `unknown output policy "${c.degrade_policy}"` });
    for (const [name, r] of Object.entries(c.roles)) {
      if (!policies.has(r.output_policy)) ctx.addIssue({ code: 'custom', path: ['roles', name, 'output_policy'], message: `unknown output policy "${r.output_policy}"` });
    }
    const names = new Set<string>();
    const seen = new Set<string>();
    c.models.forEach((m, i) => {
      // One model may be served over several protocols (its budget is shared); a name twice per protocol is ambiguous.
      const id = `${m.name}\u0000${m.protocol}`;
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['models', i, 'name'], message: `duplicate model "${m.name}" for protocol ${m.protocol}` });
      seen.add(id);
      names.add(m.name);
    });
    const checkRefs = (list: Array<{ models: string[]; roles?: string[] | undefined }>, key: string): void =>
      list.forEach((r, i) => {
        r.models.forEach((m, j) => {
          if (m !== '*' && !names.has(m)) ctx.addIssue({ code: 'custom', path: [key, i, 'models', j], message: `unknown model "${m}"` });
        });
        r.roles?.forEach((role, j) => {
          if (!(role in c.roles)) ctx.addIssue({ code: 'custom', path: [key, i, 'roles', j], message: `unknown role "${role}"` });
        });
      });
    checkRefs(c.rate_limits, 'rate_limits');
    checkRefs(c.budgets, 'budgets');
    const inline = c.inline_defence;
    inline?.detectors?.forEach((id, i) => {
      const det = detectorById(id);
      if (!det) ctx.addIssue({ code: 'custom', path: ['inline_defence', 'detectors', i], message: `unknown detector "${id}"` });
      else if (!det.accepts.includes('inference')) ctx.addIssue({ code: 'custom', path: ['inline_defence', 'detectors', i], message: `detector "${id}" does not read inference events` });
    });
    for (const [id, opts] of Object.entries(inline?.detector_options ?? {})) {
      const det = detectorById(id);
      if (!det) {
        ctx.addIssue({ code: 'custom', path: ['inline_defence', 'detector_options', id], message: `unknown detector "${id}"` });
        continue;
      }
      const r = det.options.safeParse(opts);
      if (!r.success) for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: ['inline_defence', 'detector_options', id, ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: i.message });
    }
    if (c.counters.store === 'redis' && !c.counters.redis.url && !process.env['MIRRORWATCH_REDIS_URL']) {
      ctx.addIssue({ code: 'custom', path: ['counters', 'redis', 'url'], message: 'counters.store is redis: give counters.redis.url or set MIRRORWATCH_REDIS_URL' });
    }
    const loopback = c.admin.host === '127.0.0.1' || c.admin.host === '::1' || c.admin.host === 'localhost';
    if (!loopback && !c.admin.allow_remote) {
      ctx.addIssue({ code: 'custom', path: ['admin', 'host'], message: 'the admin API binds to loopback unless admin.allow_remote is true' });
    }
  });

export type GatewayConfig = z.infer<typeof configSchema>;

/** The JSON Schema of the config file (input side: defaults are optional). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}

function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(root)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

/** Validates a parsed config; throws MW_ERR_GW_CONFIG listing every problem. */
export function validateConfig(raw: unknown, source = 'config'): GatewayConfig {
  const r = configSchema.safeParse(raw);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${pathText(i.path)}: ${i.message}`);
  throw new MwError('MW_ERR_GW_CONFIG', `${source}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`, { problems });
}

/** Parses YAML text; YAML errors and schema errors are reported together. */
export function parseConfig(text: string, source = 'config', baseDir = process.cwd()): GatewayConfig {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => `YAML line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new MwError('MW_ERR_GW_CONFIG', `${source}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`, { problems });
  }
  const cfg = validateConfig(doc.toJS(), source);
  // Relative paths are relative to the config file, so a config moves with its data.
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  cfg.data_dir = abs(cfg.data_dir);
  if (cfg.keys_file) cfg.keys_file = abs(cfg.keys_file);
  if (cfg.audit.dir) cfg.audit.dir = abs(cfg.audit.dir);
  if (cfg.audit.actions_dir) cfg.audit.actions_dir = abs(cfg.audit.actions_dir);
  return cfg;
}

export function loadConfig(file: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MwError('MW_ERR_GW_CONFIG', `${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseConfig(text, file, dirname(resolve(file)));
}

export function keysFileOf(cfg: GatewayConfig): string {
  return cfg.keys_file ?? resolve(cfg.data_dir, 'keys.json');
}
