import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { MwError } from '../../errors/index.js';
import { createRuleSet, EventView, flattenEvent, formatProblem, loadPipeline, loadRuleFiles, ruleFiles, type CompiledRule, type LoadOptions, type SigmaEvent } from '../../sigma/index.js';

function checkPaths(paths: string[]): void {
  for (const p of paths) if (!existsSync(p)) throw new MwError('MW_ERR_SIGMA_PATH', `${p}: no such file or directory`);
}

function checkRulePaths(paths: string[]): void {
  checkPaths(paths);
  // An empty directory validating "clean" would hide a wrong path.
  if (ruleFiles(paths).length === 0) throw new MwError('MW_ERR_SIGMA_PATH', `no .yml or .yaml files under ${paths.join(', ')}`);
}

function loadOptions(pipelineFile: string | undefined): LoadOptions {
  if (!pipelineFile) return {};
  checkPaths([pipelineFile]);
  const { pipeline, problems } = loadPipeline(pipelineFile);
  if (!pipeline) throw new MwError('MW_ERR_SIGMA_PIPELINE', problems.map(formatProblem).join('\n'));
  return { pipeline, placeholders: pipeline.placeholders };
}

/** `rules validate`: every problem of every file, one per line; 0 when none, 1 otherwise. */
export function runValidate(paths: string[], opts: { pipeline?: string; json?: boolean }, out: (s: string) => void, err: (s: string) => void): number {
  checkRulePaths(paths);
  const { documents, problems } = loadRuleFiles(paths, loadOptions(opts.pipeline));
  if (opts.json) out(JSON.stringify({ documents: documents.length, problems }) + '\n');
  else {
    for (const p of problems) err(formatProblem(p) + '\n');
    out(`${documents.length} document(s) valid, ${problems.length} problem(s)\n`);
  }
  return problems.length ? 1 : 0;
}

/** `rules match`: evaluates the rules' detections against JSON lines; prints `{"rule","line"}` per match. */
export async function runMatch(rulePaths: string[], opts: { events: string; flatten?: boolean; json?: boolean; pipeline?: string }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  checkRulePaths(rulePaths);
  checkPaths([opts.events]);
  if (statSync(opts.events).isDirectory()) throw new MwError('MW_ERR_SIGMA_PATH', `${opts.events}: is a directory, not a JSON-lines file`);
  const { documents, problems } = loadRuleFiles(rulePaths, loadOptions(opts.pipeline));
  for (const p of problems) err(formatProblem(p) + '\n');
  const rules = documents.filter((d): d is CompiledRule => d.type === 'rule');
  const set = createRuleSet(rules);
  const rl = createInterface({ input: createReadStream(opts.events), crlfDelay: Infinity });
  let line = 0;
  let matches = 0;
  for await (const text of rl) {
    line++;
    if (!text.trim()) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new MwError('MW_ERR_SIGMA_EVENTS', `${opts.events}:${line}: ${(e as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new MwError('MW_ERR_SIGMA_EVENTS', `${opts.events}:${line}: not a JSON object`);
    const event = opts.flatten ? flattenEvent(parsed as SigmaEvent) : (parsed as SigmaEvent);
    const view = new EventView(event);
    const kind = typeof event['kind'] === 'string' ? event['kind'] : undefined;
    for (const r of set.match(view)) {
      if (r.eventKinds && (kind === undefined || !r.eventKinds.includes(kind))) continue;
      matches++;
      if (opts.json) out(JSON.stringify({ rule: r.key, line, title: r.title, level: r.level ?? null }) + '\n');
      else out(JSON.stringify({ rule: r.key, line }) + '\n');
    }
  }
  if (!opts.json) err(`${matches} match(es) over ${line} line(s), ${rules.length} rule(s)\n`);
  return problems.length ? 1 : 0;
}

export function register(program: Command): void {
  const rules = program.command('rules').description('Sigma rules: validate rule files and match them against events.');
  rules
    .command('validate')
    .description('Validate Sigma rule files (detection, correlation, filter) against the Sigma v2.1 schemas and the engine; every problem as file:line:col.')
    .argument('<paths...>', 'rule files or directories (.yml, .yaml)')
    .option('--pipeline <file>', 'processing pipeline (field and logsource mapping, placeholder values)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExit codes: 0 every document is valid; 1 problems were found; 2 usage errors.')
    .action((paths: string[], opts: { pipeline?: string; json?: boolean }) => {
      process.exitCode = runValidate(paths, opts, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    });
  rules
    .command('match')
    .description("Evaluate rules' detection sections against JSON events, one per line; print each match as {\"rule\",\"line\"}.")
    .argument('<rule-files...>', 'rule files or directories')
    .requiredOption('--events <file>', 'JSON-lines events file')
    .option('--flatten', 'lift nested objects (Event.EventData, Event.System) to top-level fields')
    .option('--pipeline <file>', 'processing pipeline (field and logsource mapping, placeholder values)')
    .option('--json', 'add the rule title and level to each match line')
    .addHelpText('after', '\nExit codes: 0 rules loaded cleanly (matches or not); 1 some rules had problems (the others still ran); 2 usage errors.')
    .action(async (files: string[], opts: { events: string; flatten?: boolean; json?: boolean; pipeline?: string }) => {
      process.exitCode = await runMatch(files, opts, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    });
}
