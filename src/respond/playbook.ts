/**
 * Playbooks as data: the zod schema of a playbook file and the loader. The
 * loader reports every problem at once (YAML syntax, schema, references
 * between sections), each with file, line and column, in the manner of the
 * Sigma loader (src/sigma/loader.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { VECTORS } from '../correlate/index.js';
import { SEVERITIES } from '../detect/alert.js';
import { MwError } from '../errors/index.js';
import { repoRoot } from '../util/repo-root.js';

/** Facts the decision matrix and escalation table may test; derived or confirmed per incident (docs/respond.md). */
export const FACTS = [
  'extraction_suspected',
  'artifact_access',
  'dataset_access',
  'weights_stolen',
  'training_data',
  'exfiltration',
  'insider_suspected',
  'insider_confirmed',
  'legal_impact_confirmed',
  'competitor_involved',
  'regulated_model',
  'high_value_model',
  'explained_spike',
] as const;
export type Fact = (typeof FACTS)[number];
/** Facts only a responder can establish (`incident confirm`). */
export const CONFIRMABLE_FACTS = ['insider_confirmed', 'legal_impact_confirmed', 'competitor_involved', 'explained_spike'] as const satisfies readonly Fact[];

export const TRIAGE_FILLERS = ['api_volume', 'query_patterns', 'key_identification', 'download_audit', 'access_review', 'model_inventory'] as const;
export type TriageFiller = (typeof TRIAGE_FILLERS)[number];

export const CONNECTOR_ACTIONS = {
  gateway: ['throttle', 'output_policy', 'revoke_keys', 'freeze', 'lift'],
  storage: ['deny_policy', 'disable_export'],
  webhook: ['post'],
} as const;
export type ConnectorName = keyof typeof CONNECTOR_ACTIONS;

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'ids are lower-case letters, digits, _ and -');
const isoUtc = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/, 'ISO 8601 UTC time like 2026-03-01T00:00:00Z');
const condition = z
  .object({ all: z.array(z.enum(FACTS)).optional(), any: z.array(z.enum(FACTS)).optional(), none: z.array(z.enum(FACTS)).optional() })
  .strict();
export type Condition = z.infer<typeof condition>;
const checklist = z.array(z.string().min(1));

export const playbookSchema = z
  .object({
    id: z.string().regex(/^PB-\d+$/, 'playbook ids look like PB-53'),
    name: z.string().min(1),
    version: z.number().int().positive(),
    applies_to: z.object({ vectors: z.array(z.enum(VECTORS)).min(1), min_severity: z.enum(SEVERITIES).default('low') }).strict(),
    phases: z.array(z.object({ id: z.enum(['detect', 'analyze', 'contain', 'eradicate', 'recover', 'lessons']), name: z.string().min(1), checklist }).strict()).min(1),
    triage: z.array(z.object({ id, name: z.string().min(1), fill: z.enum(TRIAGE_FILLERS).optional() }).strict()),
    vectors: z.array(z.object({ id: z.enum(VECTORS), name: z.string().min(1), severity: z.enum(SEVERITIES), detectors: z.array(z.string().min(1)) }).strict()),
    containment: z
      .object({
        target_minutes: z.number().positive(),
        steps: z.array(
          z
            .object({
              id,
              name: z.string().min(1),
              connector: z.enum(['gateway', 'storage', 'webhook']),
              action: z.string().min(1),
              params: z.record(z.string(), z.unknown()).default({}),
              /** auto: runs when the run starts; approval: a responder runs it (`incident act`); manual: outside MirrorWatch, marked done by hand. */
              mode: z.enum(['auto', 'approval', 'manual']),
            })
            .strict(),
        ),
        extraction_specific: checklist.default([]),
        insider_specific: checklist.default([]),
      })
      .strict(),
    escalation: z.array(z.object({ id, when: condition, notify: z.array(z.string().min(1)).min(1) }).strict()),
    decision_matrix: z
      .array(
        z
          .object({
            id,
            condition: z.string().min(1),
            when: condition,
            decision: z.string().min(1),
            owner: z.string().min(1),
            sla_minutes: z.number().positive(),
            actions: z.array(id),
          })
          .strict(),
      )
      .min(1),
    approved_activity: z
      .array(z.object({ principal: z.string().min(1), from: isoUtc, to: isoUtc, reason: z.string().min(1) }).strict())
      .default([]),
    regulated_classifications: z.array(z.string().min(1)).default([]),
    recovery: checklist,
    lessons: checklist,
  })
  .strict();
export type Playbook = z.infer<typeof playbookSchema>;
export type ContainmentStep = Playbook['containment']['steps'][number];
export type DecisionRow = Playbook['decision_matrix'][number];

export interface PlaybookProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export interface LoadedPlaybook {
  playbook: Playbook;
  file: string;
}

/** Parses and validates one playbook text; every problem is returned, never only the first. */
export function parsePlaybook(text: string, file: string): { playbook: Playbook | null; problems: PlaybookProblem[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, message: string): PlaybookProblem => ({ file, ...lc.linePos(offset), message });
  const problems: PlaybookProblem[] = doc.errors.map((e) => at(e.pos[0], e.message.split('\n')[0] ?? e.message));
  if (problems.length) return { playbook: null, problems };
  // The deepest node the path reaches: a missing key is reported where its parent is.
  const posOf = (path: readonly PropertyKey[], atKey = false): number => {
    let node: unknown = doc.contents;
    let offset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
    for (const k of path) {
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value) === String(k));
        next = atKey && k === path[path.length - 1] ? pair?.key : (pair?.value ?? (pair?.key as unknown));
      } else if (isSeq(node) && typeof k === 'number') next = node.items[k];
      const range = (next as YamlNode | undefined)?.range;
      if (!range) break;
      offset = range[0];
      node = next;
    }
    return offset;
  };
  const parsed = playbookSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      const where = path.length ? path.join('.') : 'playbook';
      // One problem per unknown key, reported at the key itself.
      if (i.code === 'unrecognized_keys') for (const k of i.keys) problems.push(at(posOf([...path, k], true), `${where}: unknown key "${k}"`));
      else problems.push(at(posOf(path), `${where}: ${i.message}`));
    }
    return { playbook: null, problems: sortProblems(problems) };
  }
  const pb = parsed.data;
  const steps = new Set<string>();
  pb.containment.steps.forEach((s, i) => {
    if (steps.has(s.id)) problems.push(at(posOf(['containment', 'steps', i, 'id']), `containment step id "${s.id}" appears twice`));
    steps.add(s.id);
    const allowed: readonly string[] = CONNECTOR_ACTIONS[s.connector];
    if (!allowed.includes(s.action)) problems.push(at(posOf(['containment', 'steps', i, 'action']), `connector ${s.connector} has no action "${s.action}" (one of ${allowed.join(', ')})`));
    if (s.connector === 'gateway' && s.action === 'throttle' && !(typeof s.params['requests_per_second'] === 'number' && s.params['requests_per_second'] > 0)) {
      problems.push(at(posOf(['containment', 'steps', i, 'params']), 'gateway throttle needs params.requests_per_second > 0'));
    }
    if (s.connector === 'gateway' && s.action === 'output_policy' && typeof s.params['policy'] !== 'string') {
      problems.push(at(posOf(['containment', 'steps', i, 'params']), 'gateway output_policy needs params.policy (a policy name of the gateway config)'));
    }
  });
  const seen = new Set<string>();
  pb.decision_matrix.forEach((row, i) => {
    if (seen.has(row.id)) problems.push(at(posOf(['decision_matrix', i, 'id']), `decision row id "${row.id}" appears twice`));
    seen.add(row.id);
    row.actions.forEach((a, j) => {
      if (!steps.has(a)) problems.push(at(posOf(['decision_matrix', i, 'actions', j]), `unknown containment step "${a}"`));
    });
  });
  const triageIds = new Set<string>();
  pb.triage.forEach((t, i) => {
    if (triageIds.has(t.id)) problems.push(at(posOf(['triage', i, 'id']), `triage check id "${t.id}" appears twice`));
    triageIds.add(t.id);
  });
  pb.approved_activity.forEach((a, i) => {
    if (a.from >= a.to) problems.push(at(posOf(['approved_activity', i, 'to']), 'approved activity must end after it starts'));
  });
  return problems.length ? { playbook: null, problems: sortProblems(problems) } : { playbook: pb, problems };
}

function sortProblems(p: PlaybookProblem[]): PlaybookProblem[] {
  return p.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

export function formatProblems(problems: readonly PlaybookProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('\n');
}

/** The playbooks folder shipped with the package. */
export function defaultPlaybooksDir(): string {
  return join(repoRoot(), 'playbooks');
}

/**
 * Loads every `*.yaml`/`*.yml` playbook of a folder. Any problem in any file
 * fails the load with all of them listed (MW_ERR_RESPOND_PLAYBOOK).
 */
export function loadPlaybooks(dir: string = defaultPlaybooksDir()): LoadedPlaybook[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (e) {
    throw new MwError('MW_ERR_RESPOND_PLAYBOOK', `cannot read the playbooks folder ${dir}: ${(e as Error).message}`);
  }
  if (!names.length) throw new MwError('MW_ERR_RESPOND_PLAYBOOK', `no playbooks (*.yaml) in ${dir}`);
  const out: LoadedPlaybook[] = [];
  const problems: PlaybookProblem[] = [];
  const ids = new Map<string, string>();
  for (const n of names) {
    const file = join(dir, n);
    const r = parsePlaybook(readFileSync(file, 'utf8'), file);
    problems.push(...r.problems);
    if (!r.playbook) continue;
    const other = ids.get(r.playbook.id);
    if (other) problems.push({ file, line: 1, col: 1, message: `playbook id ${r.playbook.id} is also used by ${other}` });
    ids.set(r.playbook.id, file);
    out.push({ playbook: r.playbook, file });
  }
  if (problems.length) throw new MwError('MW_ERR_RESPOND_PLAYBOOK', `${problems.length} problem(s) in playbooks:\n${formatProblems(problems)}`, { problems });
  return out;
}
