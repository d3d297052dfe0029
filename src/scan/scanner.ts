/**
 * The scan pipeline: find files, parse each (a file that fails to parse is
 * reported and the others are still scanned), expand Terraform modules,
 * identify model stores, run the rules, apply suppressions.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { MwError } from '../errors/index.js';
import { defaultConfig, type LoadedConfig } from './config.js';
import { ScanContext } from './context.js';
import { scanSource } from './hcl/source.js';
import { isPlanJson, loadPlan } from './plan.js';
import { RULES } from './rules/index.js';
import { pickFix, type Rule, type RawFinding } from './rules/rule.js';
import { identifyModelStores, STORE_TYPES } from './stores.js';
import { parseSuppressions, type Suppression } from './suppress.js';
import { parseTfFile, TerraformLoader, type TfFile } from './terraform.js';
import type { Finding, Note, Resource, ScanError, ScanResult } from './types.js';
import { severityRank } from './types.js';
import { loadYaml, yamlComments } from './yaml.js';

export interface ScanSettingsInput {
  /** Treat every bucket and registry as a model store. */
  allStores: boolean;
  config: LoadedConfig;
  /** Directory that file paths in the report are relative to. */
  base: string;
}

const SKIP_DIRS = new Set(['.terraform', '.git', 'node_modules', '.terragrunt-cache']);

function globRe(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function discoverFiles(paths: string[], base: string, exclude: string[]): string[] {
  const ex = exclude.map(globRe);
  const out: string[] = [];
  const rel = (p: string): string => relative(base, p).split(sep).join('/');
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      throw new MwError('MW_ERR_SCAN_PATH', `${rel(dir) || '.'}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const n of names) {
      const p = resolve(dir, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (ex.some((re) => re.test(rel(p)))) continue;
      if (st.isDirectory()) {
        if (!SKIP_DIRS.has(n)) walk(p);
      } else if (/\.(tf|ya?ml|json)$/i.test(n) && !/\.tf\.json$/i.test(n)) out.push(p);
    }
  };
  for (const p of paths) {
    const abs = resolve(base, p);
    let st;
    try {
      st = statSync(abs);
    } catch (e) {
      throw new MwError('MW_ERR_SCAN_PATH', `${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
    if (st.isDirectory()) walk(abs);
    else out.push(abs);
  }
  return [...new Set(out)];
}

interface Loaded {
  resources: Resource[];
  errors: ScanError[];
  notes: Note[];
  comments: Map<string, { comments: { line: number; text: string }[]; lines: string[] }>;
  files: number;
}

export async function loadFiles(files: string[], base: string): Promise<Loaded> {
  const rel = (p: string): string => relative(base, p).split(sep).join('/');
  const errors: ScanError[] = [];
  const notes: Note[] = [];
  const resources: Resource[] = [];
  const comments: Loaded['comments'] = new Map();
  const tf: TfFile[] = [];
  const tfJobs: Promise<void>[] = [];
  for (const abs of files) {
    const r = rel(abs);
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (e) {
      errors.push({ file: r, line: 1, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, kind: 'read' });
      continue;
    }
    if (/\.tf$/i.test(abs)) {
      tfJobs.push(
        parseTfFile(abs, r, text).then((res) => {
          if ('json' in res) {
            tf.push(res);
            comments.set(r, { comments: res.map.comments, lines: text.split('\n') });
          } else {
            errors.push(res);
            // Suppressions still need the file's comments if it later parses; not here.
            comments.set(r, { comments: scanSource(text).comments, lines: text.split('\n') });
          }
        }),
      );
    } else if (/\.ya?ml$/i.test(abs)) {
      const y = loadYaml(text, r);
      errors.push(...y.errors);
      resources.push(...y.resources);
      comments.set(r, { comments: yamlComments(text), lines: text.split('\n') });
    } else {
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch (e) {
        // Only plan JSON is an input; a broken file that looks like one is an error, other JSON is ignored.
        if (/"format_version"/.test(text.slice(0, 2000))) {
          const m = /position (\d+)/.exec((e as Error).message);
          const line = m ? text.slice(0, Number(m[1])).split('\n').length : 1;
          errors.push({ file: r, line, message: (e as Error).message, kind: 'parse' });
        }
        continue;
      }
      if (isPlanJson(doc)) resources.push(...loadPlan(doc as Record<string, unknown>, text, r));
    }
  }
  await Promise.all(tfJobs);
  tf.sort((a, b) => a.rel.localeCompare(b.rel));
  const loader = new TerraformLoader(base, tf);
  resources.push(...loader.run());
  notes.push(...loader.notes);
  return { resources, errors, notes, comments, files: files.length };
}

function fileResource(file: string, line: number): Resource {
  return { id: `${file}::file`, root: file, address: `file.${file}`, type: 'file', name: file, mode: 'managed', source: 'config', file, line, endLine: line, attrs: {}, attrLines: {} };
}

export function toFinding(rule: Rule, raw: RawFinding, ctx: ScanContext): Finding {
  const r = raw.resource;
  const fix = pickFix(rule, r);
  const why = raw.why ?? (STORE_TYPES.includes(r.type) && ctx.isModelStore(r) ? ctx.why(r) : undefined);
  return {
    rule: rule.id,
    family: rule.family.id,
    severity: rule.severity,
    title: rule.title,
    resource: r.address,
    resourceType: r.type,
    file: r.file,
    line: raw.line ?? r.line,
    message: raw.message,
    ...(why ? { why } : {}),
    ...(fix ? { fix } : {}),
    ...(raw.related?.length ? { related: raw.related.map((x) => ({ address: x.address, file: x.file, line: x.line })) } : {}),
  };
}

export interface ScanRun {
  result: ScanResult;
  ctx: ScanContext;
}

export async function runScan(paths: string[], settings: ScanSettingsInput, rules: readonly Rule[] = RULES): Promise<ScanRun> {
  const t0 = performance.now();
  const files = discoverFiles(paths, settings.base, settings.config.section.exclude);
  if (files.length === 0) throw new MwError('MW_ERR_SCAN_NO_INPUT', `no .tf, .yaml/.yml or plan .json files under ${paths.join(', ')}`);
  const loaded = await loadFiles(files, settings.base);
  const ctx = new ScanContext(loaded.resources, { allStores: settings.allStores, config: settings.config });
  identifyModelStores(ctx);

  const raw: Finding[] = [];
  for (const rule of rules) {
    for (const f of rule.check(ctx)) raw.push(toFinding(rule, f, ctx));
  }

  // Suppressions.
  const sups: Suppression[] = [];
  for (const [file, c] of loaded.comments) sups.push(...parseSuppressions(file, c.comments, c.lines, loaded.resources));
  const meta = rules.find((r) => r.id === 'MW-SUP-001');
  const findings: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const f of raw) {
    const s = sups.find((x) => x.problems.length === 0 && x.rules.some((r) => r.id === f.rule) && x.targets.some((t) => t.address === f.resource && t.file === f.file));
    if (s) suppressed.push({ ...f, suppressed: { reason: s.reason, file: s.file, line: s.line } });
    else findings.push(f);
  }
  if (meta) {
    for (const s of sups) {
      if (s.problems.length === 0) continue;
      const target = s.targets[0] ?? fileResource(s.file, s.line);
      findings.push(toFinding(meta, { resource: target, line: s.line, message: `suppression comment ${s.problems.join(' and ')}; it suppresses nothing` }, ctx));
    }
  }
  findings.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));

  const resources = loaded.resources
    .filter((r) => r.mode === 'managed')
    .map((r) => ({ address: r.address, type: r.type, file: r.file, line: r.line, model_store: ctx.isModelStore(r), why: ctx.why(r) ?? '' }));
  const result: ScanResult = {
    findings,
    suppressed,
    resources,
    errors: loaded.errors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line),
    notes: loaded.notes,
    stats: { files: loaded.files, resources: loaded.resources.length, durationMs: performance.now() - t0 },
  };
  Object.defineProperty(result, 'context', { value: ctx, enumerable: false });
  return { result, ctx };
}

export { defaultConfig };
