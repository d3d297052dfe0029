/**
 * `npm run bench:sigma`: events per second evaluating 200 SigmaHQ cloud and
 * application rules (from ../shared/data/sigma/rules) over synthetic events,
 * beside the same loop with no rules loaded (the floor: building each event's
 * view). Rules run through the rule set (indexed by required field
 * values) and, for comparison, one by one. Events are built from the rules' own field names and values, so a
 * share of them match, the rest come near (same fields, other values).
 *
 * A second run adds MirrorWatch's own rules (rules/, with their correlations)
 * and goes through the whole path `detect --rules` takes: enrichment from a
 * directory and inventory, pipeline routing, the rule set, correlations in
 * event time; a third of its events are MirrorWatch events of every kind.
 *
 *   node dist/bench/sigma.js [events=1000000] [rules=200]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildContext } from '../src/detect/types.js';
import { createEnricher, createRuleRunner, createRuleSet, EventView, loadMirrorWatchRules, loadRuleFiles, pipelineOrThrow, ruleFiles, shippedRulesPath, type CompiledRule, type SigmaEvent } from '../src/sigma/index.js';
import { repoRoot } from '../src/util/repo-root.js';

const EVENTS = Number(process.argv[2] ?? 1_000_000);
const RULES = Number(process.argv[3] ?? 200);
const DISTINCT = 100_000;

const base = join(repoRoot(), '..', 'shared', 'data', 'sigma', 'rules', 'rules');
if (!existsSync(base)) {
  console.error(`bench:sigma needs the SigmaHQ rules at ${base}`);
  process.exit(1);
}
const files = ruleFiles([join(base, 'cloud'), join(base, 'application')]).slice(0, RULES);
const t0 = performance.now();
const { documents, problems } = loadRuleFiles(files);
const loadMs = performance.now() - t0;
const rules = documents.filter((d): d is CompiledRule => d.type === 'rule');

// Field → values seen in the rules' detections (the synthetic events draw on them).
const pool = new Map<string, string[]>();
const collect = (v: unknown): void => {
  if (!v || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'condition') continue;
    const field = k.split('|')[0]!;
    const vals = (Array.isArray(x) ? x : [x]).filter((y): y is string | number => typeof y === 'string' || typeof y === 'number').map((y) => String(y).replace(/[*?]/g, ''));
    if (field && vals.length) pool.set(field, [...(pool.get(field) ?? []), ...vals]);
    if (Array.isArray(x)) x.forEach(collect);
    else if (x && typeof x === 'object') collect(x);
  }
};
for (const r of rules) collect(r.raw['detection']);
const fields = [...pool.keys()];

let seed = 42;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const events: SigmaEvent[] = [];
for (let i = 0; i < DISTINCT; i++) {
  const e: SigmaEvent = { eventTime: '2026-01-01T00:00:00Z', requestID: `req-${i}` };
  for (let j = 0; j < 10; j++) {
    const f = pick(fields);
    const value = rand() < 0.3 ? pick(pool.get(f)!) : `value-${Math.floor(rand() * 1e6)}`;
    // Dotted rule fields (userIdentity.type) are nested objects in real cloud logs.
    const path = f.split('.');
    let obj = e;
    for (const p of path.slice(0, -1)) obj = (obj[p] && typeof obj[p] === 'object' ? obj[p] : (obj[p] = {})) as SigmaEvent;
    obj[path.at(-1)!] = value;
  }
  events.push(e);
}

function loop(rs: CompiledRule[]): { ms: number; matches: number } {
  let matches = 0;
  const t = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    const view = new EventView(events[i % DISTINCT]!);
    for (const r of rs) if (r.match(view)) matches++;
  }
  return { ms: performance.now() - t, matches };
}

function loopSet(rs: CompiledRule[]): { ms: number; matches: number } {
  const set = createRuleSet(rs);
  let matches = 0;
  const t = performance.now();
  for (let i = 0; i < EVENTS; i++) matches += set.match(new EventView(events[i % DISTINCT]!)).length;
  return { ms: performance.now() - t, matches };
}

loop(rules.slice(0, 10)); // warm-up
const none = loop([]);
const all = loop(rules);
const indexed = loopSet(rules);
if (indexed.matches !== all.matches) throw new Error(`rule set found ${indexed.matches} matches, rule by rule ${all.matches}`);
const rate = (ms: number): string => Math.round(EVENTS / (ms / 1000)).toLocaleString('en-US');
console.log(`rules: ${rules.length} loaded from ${files.length} files in ${loadMs.toFixed(0)} ms (${problems.length} problems)`);
console.log(`events: ${EVENTS.toLocaleString('en-US')} (${DISTINCT.toLocaleString('en-US')} distinct, ${fields.length} fields drawn from the rules)`);
console.log(`no rules:   ${rate(none.ms)} events/s (${none.ms.toFixed(0)} ms)`);
console.log(`${rules.length} rules, rule set (${createRuleSet(rules).indexed} indexed): ${rate(indexed.ms)} events/s (${indexed.ms.toFixed(0)} ms)`);
console.log(`${rules.length} rules, one by one: ${rate(all.ms)} events/s (${all.ms.toFixed(0)} ms), ${all.matches.toLocaleString('en-US')} rule matches, ${((all.ms * 1e6) / EVENTS / rules.length).toFixed(1)} ns per rule per event`);

// --- MirrorWatch's rules + the SigmaHQ rules through the full runner -------------------------------
const ctx = buildContext({
  directory: Array.from({ length: 50 }, (_, i) => ({ principal: `u${i}`, email: `u${i}@acme.example`, displayName: null, team: i % 2 ? 'comp-chem' : 'clinical-ops', projects: [`p${i % 5}`], role: null, manager: null, aliases: [] })),
  models: Array.from({ length: 20 }, (_, i) => ({ name: `m${i}`, team: i % 2 ? 'comp-chem' : 'clinical-ops', classification: i % 3 ? ('CONFIDENTIAL' as const) : ('TRADE_SECRET' as const), estimatedValue: null, artifactLocation: `s3://models/m${i}/`, architecture: null, latestVersion: null, tags: { project: `p${i % 5}` } })),
});
const mw = loadMirrorWatchRules([shippedRulesPath()], pipelineOrThrow(), ctx);
if (mw.problems.length) throw new Error(`shipped rules have ${mw.problems.length} problems`);
const T0 = Date.UTC(2026, 2, 1);
const mwEvent = (i: number): SigmaEvent => {
  const principal = { canonical: `u${i % 50}`, raw: `u${i % 50}` };
  const id = i.toString(16).padStart(32, '0');
  const model = `m${i % 20}`;
  switch (i % 5) {
    case 0:
      return { id, kind: 'inference', principal, model, outcome: 'success', batchSize: 2, instances: [{ input: { hash: `h${i % 5000}` } }, { input: { hash: `h${(i * 7) % 5000}` } }] };
    case 1:
      return { id, kind: 'registry', principal, action: ['get_model', 'get_download_uri', 'list_models', 'search_models'][i % 4], model };
    case 2:
      return { id, kind: 'object', principal, operation: i % 3 ? 'get' : 'list', bucket: 'models', key: `${model}/1/part-${i % 10}` };
    case 3:
      return { id, kind: 'upload', principal, destinationHost: i % 4 ? 'acme.sharepoint.com' : 'drive.google.com', fileName: `notes_a${'abcdefgh'[i % 8]}`, size: 26214400 };
    default:
      return { id, kind: 'hr', principal, action: i % 1000 ? 'role_change' : 'resignation_submitted' };
  }
};
const MW_DISTINCT = 50_000;
const mwEvents = Array.from({ length: MW_DISTINCT }, (_, i) => mwEvent(i));
const full = createRuleRunner({ documents: [...documents, ...mw.documents], prepare: createEnricher(ctx) });
const noneRunner = createRuleRunner({ documents: [], prepare: createEnricher(ctx) });
function loopRunner(r: typeof full): { ms: number; hits: number } {
  let hits = 0;
  const t = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    // A third MirrorWatch events, one every 100 ms of event time; correlations see time advance.
    const e = i % 3 === 0 ? { ...mwEvents[(i / 3) % MW_DISTINCT]!, time: new Date(T0 + i * 100).toISOString() } : events[i % DISTINCT]!;
    hits += r.push(e).length;
  }
  hits += r.flush().length;
  return { ms: performance.now() - t, hits };
}
const baseRun = loopRunner(noneRunner);
const fullRun = loopRunner(full);
const st = full.stats();
console.log(`full path (enrichment, pipeline, rule set, correlations), a third MirrorWatch events:`);
console.log(`  no rules: ${rate(baseRun.ms)} events/s`);
console.log(`  ${mw.documents.length} MirrorWatch documents + ${rules.length} SigmaHQ rules: ${rate(fullRun.ms)} events/s (${fullRun.ms.toFixed(0)} ms), ${st.ruleMatches.toLocaleString('en-US')} rule matches, ${st.correlationMatches.toLocaleString('en-US')} correlation matches, ${fullRun.hits.toLocaleString('en-US')} reported hits`);
