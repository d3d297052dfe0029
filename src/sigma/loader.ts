/**
 * Rule files → compiled documents. Every problem of every document is
 * collected (never only the first), each with file:line:column.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compileDetection, detectionAnchors, type DetectionOptions } from './detection.js';
import { documentKind, validateDocument } from './schema-validate.js';
import type { CompiledCorrelation, CompiledDocument, CompiledFilter, CompiledRule, CorrelationType, Level, LogSource, Range, SigmaProblem, SourcePos } from './types.js';
import { entry, parseYamlDocuments, type YNode } from './yaml-tree.js';

export interface LoadOptions extends DetectionOptions {
  /** Logsource → event kinds and field names (processing pipeline); identity when absent. */
  pipeline?: { route(logsource: LogSource): { kinds: string[] | undefined; mapField: (f: string) => string } };
}

export interface LoadResult {
  documents: CompiledDocument[];
  problems: SigmaProblem[];
}

const TIMESPAN = /^(\d+)([smhdwMy])$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3, M: 30 * 86400e3, y: 365 * 86400e3 };

export function parseTimespan(s: string): number | undefined {
  const m = TIMESPAN.exec(s);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

/** Loads every document of one file's text. */
export function loadRuleText(text: string, file: string, opts: LoadOptions = {}): LoadResult {
  const { docs, problems } = parseYamlDocuments(text, file);
  const documents: CompiledDocument[] = [];
  for (const d of docs) {
    const docProblems: SigmaProblem[] = [];
    if (d.root.kind !== 'map' || !d.data || typeof d.data !== 'object') {
      problems.push({ ...d.root.pos, code: 'MW_ERR_SIGMA_SCHEMA', message: 'a Sigma document must be a map' });
      continue;
    }
    const data = d.data as Record<string, unknown>;
    const kind = documentKind(data);
    docProblems.push(...validateDocument(kind, data, d.root));
    const pos: SourcePos = d.root.pos;
    const base = {
      key: str(data['id']) ?? str(data['name']) ?? `${file}#${d.index}`,
      id: str(data['id']),
      name: str(data['name']),
      title: str(data['title']) ?? '',
      level: str(data['level']) as Level | undefined,
      tags: strList(data['tags']),
      falsepositives: strList(data['falsepositives']),
      pos,
      raw: data,
    };
    const logsource = (data['logsource'] && typeof data['logsource'] === 'object' ? data['logsource'] : {}) as LogSource;
    if (kind === 'rule') {
      const route = opts.pipeline?.route(logsource);
      const detOpts: DetectionOptions = { ...opts, ...(route ? { mapField: route.mapField } : {}) };
      const detection = entry(d.root, 'detection')?.value;
      const match = compileDetection(detection, detOpts, docProblems, pos);
      const anchors = detectionAnchors(detection, detOpts);
      const rule: CompiledRule = { ...base, type: 'rule', logsource, match, anchors, eventKinds: route?.kinds, standalone: true, mapField: route?.mapField ?? ((f) => f) };
      if (!docProblems.length) documents.push(rule);
    } else if (kind === 'filter') {
      const f = entry(d.root, 'filter')?.value;
      const match = compileDetection(f, opts, docProblems, pos);
      const fr = (data['filter'] ?? {}) as Record<string, unknown>;
      const filter: CompiledFilter = { ...base, type: 'filter', rules: strList(fr['rules']), logsource, match };
      if (!docProblems.length) documents.push(filter);
    } else {
      const c = compileCorrelation(base, data, d.root, docProblems);
      if (c && !docProblems.length) documents.push(c);
    }
    // Reading order within a document, whatever stage found the problem.
    docProblems.sort((a, b) => a.line - b.line || a.col - b.col);
    problems.push(...docProblems);
  }
  return { documents, problems };
}

function compileCorrelation(base: Omit<CompiledCorrelation, 'type' | 'correlationType' | 'rules' | 'groupBy' | 'aliases' | 'timespanMs' | 'condition' | 'fields' | 'generate' | 'standalone'>, data: Record<string, unknown>, root: YNode, problems: SigmaProblem[]): CompiledCorrelation | undefined {
  const cNode = entry(root, 'correlation');
  const c = (data['correlation'] ?? {}) as Record<string, unknown>;
  const at = (key: string): SourcePos => entry(cNode?.value, key)?.keyPos ?? cNode?.keyPos ?? root.pos;
  const type = str(c['type']) as CorrelationType | undefined;
  if (!type) return undefined;
  const timespanMs = parseTimespan(String(c['timespan'] ?? ''));
  if (timespanMs === undefined) problems.push({ ...at('timespan'), code: 'MW_ERR_SIGMA_CORRELATION', message: `timespan '${String(c['timespan'])}' is not a number followed by s, m, h or d` });
  const cond = c['condition'] && typeof c['condition'] === 'object' ? (c['condition'] as Record<string, unknown>) : undefined;
  let condition: Range | undefined;
  let fields: string[] = [];
  if (cond) {
    condition = {};
    for (const [k, v] of Object.entries(cond)) {
      if (k === 'field') fields = strList(v);
      else if (['gt', 'gte', 'lt', 'lte', 'eq', 'neq'].includes(k) && typeof v === 'number') condition[k as keyof Range] = v;
      else problems.push({ ...at('condition'), code: 'MW_ERR_SIGMA_CORRELATION', message: `condition: '${k}' is not gt, gte, lt, lte, eq, neq or field with a number` });
    }
  }
  const needsField = type === 'value_count' || type === 'value_sum' || type === 'value_avg' || type === 'value_percentile';
  if (needsField && fields.length === 0) problems.push({ ...at('condition'), code: 'MW_ERR_SIGMA_CORRELATION', message: `${type} needs condition.field` });
  if (!type.startsWith('temporal') && !cond) problems.push({ ...at('type'), code: 'MW_ERR_SIGMA_CORRELATION', message: `${type} needs a condition` });
  const aliases: Record<string, Record<string, string>> = {};
  if (c['aliases'] && typeof c['aliases'] === 'object') {
    for (const [a, m] of Object.entries(c['aliases'] as Record<string, unknown>)) {
      if (m && typeof m === 'object') aliases[a] = Object.fromEntries(Object.entries(m as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    }
  }
  return {
    ...base,
    type: 'correlation',
    correlationType: type,
    rules: strList(c['rules']),
    groupBy: strList(c['group-by']),
    aliases,
    timespanMs: timespanMs ?? 0,
    condition,
    fields,
    // The v2.1 JSON schema puts `generate` at the top level; earlier examples nest it in `correlation`.
    generate: c['generate'] === true || data['generate'] === true,
    standalone: true,
  };
}

/** Folder name of rule tests inside a rule directory (docs/sigma.md "Rule tests"): not rules, never loaded as such. */
export const RULE_TESTS_DIR = 'tests';

/** `.yml`/`.yaml` files under the paths (directories recursively, except `tests/` folders below them), sorted. */
export function ruleFiles(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, top: boolean): void => {
    const st = statSync(p);
    if (st.isDirectory()) {
      if (!top && basename(p) === RULE_TESTS_DIR) return;
      for (const n of readdirSync(p).sort()) walk(join(p, n), false);
    }
    else if (/\.ya?ml$/i.test(p) || paths.includes(p)) out.push(p);
  };
  for (const p of paths) walk(p, true);
  return out;
}

/**
 * Links correlations to the rules they reference (by id or name, spec:
 * correlation "Related rules"): unknown references are problems, and rules
 * only referenced by correlations without `generate: true` stop being standalone.
 */
export function linkDocuments(documents: CompiledDocument[], problems: SigmaProblem[]): void {
  const byRef = new Map<string, CompiledDocument>();
  for (const d of documents) {
    if (d.id) byRef.set(d.id, d);
    if (d.name) byRef.set(d.name, d);
  }
  for (const f of documents) {
    if (f.type !== 'filter') continue;
    // A filter suppresses matches of the rules it names (spec: filters "Global filter") when their
    // logsource agrees; naming rules that are not loaded is normal for a shared filter file.
    for (const ref of f.rules) {
      const target = byRef.get(ref);
      if (target?.type !== 'rule') continue;
      const sameSource = (['category', 'product', 'service'] as const).every((k) => f.logsource[k] === undefined || f.logsource[k]?.toLowerCase() === target.logsource[k]?.toLowerCase());
      if (!sameSource) {
        problems.push({ ...f.pos, code: 'MW_ERR_SIGMA_SCHEMA', message: `filter '${f.title}': logsource differs from rule '${ref}'` });
        continue;
      }
      const inner = target.match;
      const filter = f.match;
      target.match = (e) => inner(e) && !filter(e);
    }
  }
  for (const d of documents) {
    if (d.type !== 'correlation') continue;
    for (const r of d.rules) {
      const target = byRef.get(r);
      if (!target) {
        problems.push({ ...d.pos, code: 'MW_ERR_SIGMA_CORRELATION', message: `correlation '${d.title}' references unknown rule '${r}'` });
        continue;
      }
      if (target.type !== 'filter' && !d.generate) target.standalone = false;
    }
    for (const [alias, m] of Object.entries(d.aliases)) {
      for (const r of Object.keys(m)) if (!d.rules.includes(r) && !byRef.has(r)) problems.push({ ...d.pos, code: 'MW_ERR_SIGMA_CORRELATION', message: `alias '${alias}' names rule '${r}' that the correlation does not reference` });
    }
  }
}

export function loadRuleFiles(paths: string[], opts: LoadOptions = {}): LoadResult {
  const documents: CompiledDocument[] = [];
  const problems: SigmaProblem[] = [];
  for (const f of ruleFiles(paths)) {
    const r = loadRuleText(readFileSync(f, 'utf8'), f, opts);
    documents.push(...r.documents);
    problems.push(...r.problems);
  }
  linkDocuments(documents, problems);
  return { documents, problems };
}
