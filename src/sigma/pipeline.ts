/**
 * A processing pipeline (in the spirit of pySigma's, docs/sigma.md
 * "Pipelines"): maps a rule's `logsource` to MirrorWatch event kinds and its
 * Sigma field names to event fields, and carries `expand` placeholder values.
 * The rule file itself is untouched, so it still converts for a SIEM.
 *
 *   name: mirrorwatch
 *   placeholders: { Administrators: [root, admin] }
 *   fields: { User: principal.canonical }          # for every logsource
 *   logsources:
 *     - logsource: { product: mirrorwatch, category: upload }
 *       kinds: [upload]
 *       fields: { DestinationHostname: destination }
 */
import { readFileSync } from 'node:fs';
import { entry, parseYamlDocuments } from './yaml-tree.js';
import type { LogSource, SigmaProblem } from './types.js';

export interface Pipeline {
  name: string;
  placeholders: Record<string, string[]>;
  route(logsource: LogSource): { kinds: string[] | undefined; mapField: (f: string) => string };
}

interface LogsourceRule {
  logsource: LogSource;
  kinds: string[] | undefined;
  fields: Record<string, string>;
}

const LS_KEYS = ['category', 'product', 'service'] as const;

export function loadPipelineText(text: string, file: string): { pipeline: Pipeline | undefined; problems: SigmaProblem[] } {
  const { docs, problems } = parseYamlDocuments(text, file);
  const d = docs[0];
  if (!d || problems.length) return { pipeline: undefined, problems };
  const bad = (pos: { file: string; line: number; col: number }, message: string): void => {
    problems.push({ ...pos, code: 'MW_ERR_SIGMA_PIPELINE', message });
  };
  const data = (d.data ?? {}) as Record<string, unknown>;
  for (const e of d.root.kind === 'map' ? d.root.entries : []) {
    if (!['name', 'placeholders', 'fields', 'logsources'].includes(e.key)) bad(e.keyPos, `unknown key '${e.key}'`);
  }
  const strMap = (v: unknown, at: { file: string; line: number; col: number }, what: string): Record<string, string> => {
    if (v === undefined) return {};
    if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
      bad(at, `${what} must map names to strings`);
      return {};
    }
    return v as Record<string, string>;
  };
  const globalFields = strMap(data['fields'], entry(d.root, 'fields')?.keyPos ?? d.root.pos, 'fields');
  const placeholders: Record<string, string[]> = {};
  const ph = data['placeholders'];
  if (ph !== undefined) {
    if (!ph || typeof ph !== 'object') bad(entry(d.root, 'placeholders')!.keyPos, 'placeholders must map names to lists of values');
    else for (const [k, v] of Object.entries(ph)) placeholders[k] = (Array.isArray(v) ? v : [v]).map(String);
  }
  const rules: LogsourceRule[] = [];
  const lsNode = entry(d.root, 'logsources');
  const ls = data['logsources'];
  if (ls !== undefined) {
    if (!Array.isArray(ls)) bad(lsNode!.keyPos, 'logsources must be a list');
    else
      ls.forEach((item: unknown, i) => {
        const pos = lsNode?.value.kind === 'seq' ? (lsNode.value.items[i]?.pos ?? lsNode.keyPos) : d.root.pos;
        const o = (item ?? {}) as Record<string, unknown>;
        const l = o['logsource'];
        if (!l || typeof l !== 'object') return bad(pos, 'each logsources item needs a logsource map');
        const kinds = o['kinds'];
        if (kinds !== undefined && (!Array.isArray(kinds) || kinds.some((k) => typeof k !== 'string'))) bad(pos, 'kinds must be a list of event kinds');
        rules.push({ logsource: l as LogSource, kinds: Array.isArray(kinds) ? kinds.map(String) : undefined, fields: strMap(o['fields'], pos, 'fields') });
      });
  }
  if (problems.length) return { pipeline: undefined, problems };
  const pipeline: Pipeline = {
    name: typeof data['name'] === 'string' ? data['name'] : file,
    placeholders,
    route(logsource) {
      // Every key the pipeline item names must equal the rule's (case-insensitive); the first item that fits wins.
      const hit = rules.find((r) => LS_KEYS.every((k) => r.logsource[k] === undefined || r.logsource[k]?.toLowerCase() === logsource[k]?.toLowerCase()));
      const fields = { ...globalFields, ...(hit?.fields ?? {}) };
      return { kinds: hit?.kinds, mapField: (f) => fields[f] ?? f };
    },
  };
  return { pipeline, problems };
}

export function loadPipeline(file: string): { pipeline: Pipeline | undefined; problems: SigmaProblem[] } {
  return loadPipelineText(readFileSync(file, 'utf8'), file);
}
