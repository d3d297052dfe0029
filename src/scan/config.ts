/**
 * The scanner's section of a MirrorWatch configuration file (`--config FILE`,
 * YAML). Only the `scan:` mapping is read, so the same file can carry other
 * components' settings; inside it, unknown keys are errors so a typo such as
 * `model_store:` does not silently disable the setting.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { MwError } from '../errors/index.js';

export const DEFAULTS = {
  /** 1,000 requests per hour per principal: the ceiling of the reference scenario in the source rule ATLAS-EXF-002. */
  rateLimitCeilingPerHour: 1000,
  /** 90 days: the rotation interval required by the source rule ATLAS-IMP-003. */
  keyRotationMaxDays: 90,
  /**
   * 64 items per request: no source rule fixes a number; this is the scanner's
   * own default (a typical online-serving batch), configurable per deployment.
   */
  batchCapCeiling: 64,
} as const;

const scanSection = z
  .object({
    model_stores: z.array(z.string().min(1)).default([]),
    all_stores: z.boolean().default(false),
    exclude: z.array(z.string().min(1)).default([]),
    endpoints: z.array(z.string().min(1)).default([]),
    ai_namespaces: z.array(z.string().min(1)).default([]),
    rate_limit_ceiling_per_hour: z.number().positive().default(DEFAULTS.rateLimitCeilingPerHour),
    key_rotation_max_days: z.number().positive().default(DEFAULTS.keyRotationMaxDays),
    batch_cap_ceiling: z.number().int().positive().default(DEFAULTS.batchCapCeiling),
    broad_principals: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type ScanSection = z.infer<typeof scanSection>;

export interface LoadedConfig {
  section: ScanSection;
  /** The config file as given (for citations), or undefined when defaults apply. */
  file?: string;
  /** Line of each `endpoints` / `model_stores` entry, for citations. */
  lines: Record<string, number>;
}

export function defaultConfig(): LoadedConfig {
  return { section: scanSection.parse({}), lines: {} };
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? 1;
    throw new MwError('MW_ERR_SCAN_CONFIG', `${file}:${line}: ${e.message.split('\n')[0]}`);
  }
  const js = (doc.toJS() ?? {}) as Record<string, unknown>;
  if (typeof js !== 'object' || Array.isArray(js)) throw new MwError('MW_ERR_SCAN_CONFIG', `${file}: expected a mapping with a "scan:" section`);
  const raw = js.scan ?? {};
  const parsed = scanSection.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = ['scan', ...issue.path.map(String)].join('.');
    throw new MwError('MW_ERR_SCAN_CONFIG', `${file}: ${path}: ${issue.message}`);
  }
  const lines: Record<string, number> = {};
  for (const key of ['endpoints', 'model_stores'] as const) {
    const seq = doc.getIn(['scan', key], true) as { items?: { range?: [number, number, number] }[] } | undefined;
    seq?.items?.forEach((it, i) => {
      if (it.range) lines[`${key}.${i}`] = lc.linePos(it.range[0]).line;
    });
  }
  return { section: parsed.data, file, lines };
}

export function loadConfigFile(path: string, shownAs: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MwError('MW_ERR_SCAN_CONFIG', `${shownAs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseConfigText(text, shownAs);
}
