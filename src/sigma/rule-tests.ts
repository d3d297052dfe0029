/**
 * Rule tests (`mirrorwatch rules test`): each rule file `R.yml` has a test
 * file `tests/R.yml` beside it with event sequences and the rules that must
 * and must not fire on them (docs/sigma.md "Rule tests"). Events run through
 * the same enrichment, pipeline and correlation engine as `detect --rules`,
 * with the test file's own directory and model inventory.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { buildContext, type DetectionContext } from '../detect/types.js';
import { CLASSIFICATIONS } from '../events/index.js';
import { createEnricher } from './enrich.js';
import { parseTimespan, RULE_TESTS_DIR, ruleFiles } from './loader.js';
import type { Pipeline } from './pipeline.js';
import { createRuleRunner } from './runner.js';
import { loadMirrorWatchRules } from './store-rules.js';
import type { CompiledDocument, SigmaEvent, SigmaProblem } from './types.js';

const directoryItem = z
  .object({
    principal: z.string().min(1),
    email: z.string().nullable().default(null),
    team: z.string().nullable().default(null),
    projects: z.array(z.string()).default([]),
    role: z.string().nullable().default(null),
  })
  .strict();
const modelItem = z
  .object({
    name: z.string().min(1),
    team: z.string().nullable().default(null),
    project: z.string().nullable().default(null),
    classification: z.enum(CLASSIFICATIONS).default('CONFIDENTIAL'),
    artifactLocation: z.string().nullable().default(null),
  })
  .strict();

/** `{repeat: N, every: 1m, event: {...}}`: N copies, `time` advanced by `every`, `${i}` in strings replaced by 0..N-1. */
const repeatItem = z
  .object({
    repeat: z.number().int().min(1).max(100_000),
    every: z.string().refine((s) => parseTimespan(s) !== undefined, 'every must be a timespan such as 30s, 5m, 1h'),
    event: z.record(z.string(), z.unknown()).refine((e) => typeof e['time'] === 'string' && Number.isFinite(Date.parse(e['time'])), 'a repeated event needs an ISO time'),
  })
  .strict();

function substitute(v: unknown, i: number): unknown {
  if (typeof v === 'string') return v.replaceAll('${i}', String(i));
  if (Array.isArray(v)) return v.map((x) => substitute(x, i));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, i)]));
  return v;
}

/** The test's events with `repeat` items expanded. */
export function expandEvents(items: RuleTestFile['tests'][number]['events']): SigmaEvent[] {
  const out: SigmaEvent[] = [];
  for (const it of items) {
    const r = repeatItem.safeParse(it);
    if (!r.success) {
      out.push(it as SigmaEvent);
      continue;
    }
    const step = parseTimespan(r.data.every)!;
    const t0 = Date.parse(r.data.event['time'] as string);
    for (let i = 0; i < r.data.repeat; i++) out.push({ ...(substitute(r.data.event, i) as SigmaEvent), time: new Date(t0 + i * step).toISOString() });
  }
  return out;
}

export const ruleTestFileSchema = z
  .object({
    /** Reference data the events are enriched with. */
    context: z.object({ directory: z.array(directoryItem).default([]), models: z.array(modelItem).default([]) }).strict().default({ directory: [], models: [] }),
    /** Placeholder values on top of the pipeline's and those derived from `context`. */
    placeholders: z.record(z.string(), z.array(z.string())).default({}),
    tests: z
      .array(
        z
          .object({
            name: z.string().min(1),
            /** Events in time order (MirrorWatch event fields; only those the rules read are needed). */
            events: z.array(z.union([repeatItem, z.record(z.string(), z.unknown())])).min(1),
            /** Rule ids (or names) that must fire at least once. */
            fires: z.array(z.string()).default([]),
            /** Rule ids (or names) that must not fire. */
            quiet: z.array(z.string()).default([]),
          })
          .strict()
          .refine((t) => t.fires.length + t.quiet.length > 0, 'a test needs `fires` or `quiet`'),
      )
      .min(1),
  })
  .strict();
export type RuleTestFile = z.infer<typeof ruleTestFileSchema>;

export interface RuleTestResult {
  file: string;
  test: string;
  ok: boolean;
  /** Why it failed (empty when ok). */
  failures: string[];
  fired: string[];
}

export interface RuleTestReport {
  results: RuleTestResult[];
  /** Problems loading rules or test files (file:line:col when known). */
  problems: SigmaProblem[];
  /** Rule keys with neither a positive nor a negative test, and those missing one of the two. */
  untested: { rule: string; missing: ('fires' | 'quiet')[] }[];
  /** Test files found, by the rule file they test. */
  testFiles: Map<string, string>;
}

/** `dir/R.yml` → `dir/tests/R.yml` (also `.yaml`). */
export function testFileFor(ruleFile: string): string | undefined {
  const stem = basename(ruleFile).replace(/\.ya?ml$/i, '');
  for (const ext of ['.yml', '.yaml']) {
    const f = join(dirname(ruleFile), RULE_TESTS_DIR, stem + ext);
    if (existsSync(f) && statSync(f).isFile()) return f;
  }
  return undefined;
}

function contextOf(t: RuleTestFile): DetectionContext {
  return buildContext({
    directory: t.context.directory.map((d) => ({ ...d, displayName: null, manager: null, aliases: [] })),
    models: t.context.models.map((m) => ({
      name: m.name,
      team: m.team,
      classification: m.classification,
      estimatedValue: null,
      artifactLocation: m.artifactLocation,
      architecture: null,
      latestVersion: null,
      tags: (m.project ? { project: m.project } : {}) as Record<string, string>,
    })),
  });
}

/** Reads one test file; problems carry the file (and line 1: the file is data, not a rule). */
export function readTestFile(file: string): { tests?: RuleTestFile; problems: SigmaProblem[] } {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const pos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    return { problems: [{ file, line: pos?.line ?? 1, col: pos?.col ?? 1, code: 'MW_ERR_SIGMA_TESTS', message: (e as Error).message.split('\n')[0]! }] };
  }
  const r = ruleTestFileSchema.safeParse(data);
  if (!r.success) return { problems: r.error.issues.map((i) => ({ file, line: 1, col: 1, code: 'MW_ERR_SIGMA_TESTS' as const, message: `${i.path.join('.') || '(file)'}: ${i.message}` })) };
  return { tests: r.data, problems: [] };
}

const refsOf = (d: CompiledDocument): string[] => [d.key, ...(d.id ? [d.id] : []), ...(d.name ? [d.name] : [])];

/**
 * Runs every test file of the given rule paths. Rules are loaded per test
 * file (placeholders depend on its context), and always with every rule of
 * the paths, so correlations find rules of other files.
 */
export function runRuleTests(paths: string[], pipeline: Pipeline): RuleTestReport {
  const files = ruleFiles(paths);
  const base = loadMirrorWatchRules(paths, pipeline, undefined);
  const problems: SigmaProblem[] = [...base.problems];
  const results: RuleTestResult[] = [];
  const testFiles = new Map<string, string>();
  const covered = new Map<string, Set<'fires' | 'quiet'>>();
  for (const rf of files) {
    const tf = testFileFor(rf);
    if (!tf) continue;
    testFiles.set(rf, tf);
    const { tests, problems: tp } = readTestFile(tf);
    problems.push(...tp);
    if (!tests) continue;
    const ctx = contextOf(tests);
    const merged = { ...pipeline, placeholders: { ...pipeline.placeholders, ...tests.placeholders } };
    const loaded = loadMirrorWatchRules(paths, merged, ctx);
    if (loaded.problems.length) {
      problems.push(...loaded.problems.filter((p) => !base.problems.some((b) => b.file === p.file && b.line === p.line && b.message === p.message)));
      continue;
    }
    const byRef = new Map<string, string>();
    for (const d of loaded.documents) for (const r of refsOf(d)) byRef.set(r, d.key);
    const enrich = createEnricher(ctx);
    for (const t of tests.tests) {
      const runner = createRuleRunner({ documents: loaded.documents, prepare: enrich, includeNonStandalone: true });
      const fired = new Set<string>();
      const note = (key: string): void => void fired.add(key);
      for (const e of expandEvents(t.events)) for (const h of runner.push(e)) note(h.kind === 'rule' ? h.rule.key : h.correlation.key);
      for (const h of runner.flush()) note(h.kind === 'rule' ? h.rule.key : h.correlation.key);
      const failures: string[] = [];
      for (const want of t.fires) {
        const key = byRef.get(want);
        if (!key) failures.push(`fires: unknown rule '${want}'`);
        else if (!fired.has(key)) failures.push(`expected ${want} to fire; it did not`);
        else covered.set(key, (covered.get(key) ?? new Set()).add('fires'));
      }
      for (const no of t.quiet) {
        const key = byRef.get(no);
        if (!key) failures.push(`quiet: unknown rule '${no}'`);
        else if (fired.has(key)) failures.push(`expected ${no} to stay quiet; it fired`);
        else covered.set(key, (covered.get(key) ?? new Set()).add('quiet'));
      }
      results.push({ file: tf, test: t.name, ok: failures.length === 0, failures, fired: [...fired].sort() });
    }
  }
  const untested: RuleTestReport['untested'] = [];
  for (const d of base.documents) {
    const c = covered.get(d.key) ?? new Set();
    const missing = (['fires', 'quiet'] as const).filter((k) => !c.has(k));
    if (missing.length) untested.push({ rule: d.key, missing });
  }
  return { results, problems, untested, testFiles };
}
