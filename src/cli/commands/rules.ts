import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { MwError } from '../../errors/index.js';
import { createRuleRunner, flattenEvent, formatProblem, loadPipeline, loadRuleFiles, pipelineOrThrow, ruleFiles, shippedRulesPath, techniquesOf, type LoadOptions, type RuleHit, type SigmaEvent } from '../../sigma/index.js';
import { runRuleTests } from '../../sigma/rule-tests.js';

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

/** `rules match`: evaluates the rules (detections, then correlations in event time) against JSON lines; prints `{"rule","line"}` per match. */
export async function runMatch(rulePaths: string[], opts: { events: string; flatten?: boolean; json?: boolean; pipeline?: string }, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  checkRulePaths(rulePaths);
  checkPaths([opts.events]);
  if (statSync(opts.events).isDirectory()) throw new MwError('MW_ERR_SIGMA_PATH', `${opts.events}: is a directory, not a JSON-lines file`);
  const { documents, problems } = loadRuleFiles(rulePaths, loadOptions(opts.pipeline));
  for (const p of problems) err(formatProblem(p) + '\n');
  const runner = createRuleRunner({ documents });
  const rl = createInterface({ input: createReadStream(opts.events), crlfDelay: Infinity });
  let line = 0;
  let matches = 0;
  const print = (h: RuleHit, at: number): void => {
    matches++;
    if (h.kind === 'rule') {
      if (opts.json) out(JSON.stringify({ rule: h.rule.key, line: at, title: h.rule.title, level: h.rule.level ?? null }) + '\n');
      else out(JSON.stringify({ rule: h.rule.key, line: at }) + '\n');
      return;
    }
    const { correlation: c, match: m } = h;
    // A correlation is reported at the line that completed it (or the last line, for windows closed by the end of input).
    if (opts.json) out(JSON.stringify({ rule: c.key, line: at, title: c.title, level: c.level ?? null, correlation: c.correlationType, group: m.group, value: m.value, first: new Date(m.firstMs).toISOString(), last: new Date(m.lastMs).toISOString() }) + '\n');
    else out(JSON.stringify({ rule: c.key, line: at }) + '\n');
  };
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
    for (const h of runner.push(event)) print(h, line);
  }
  for (const h of runner.flush()) print(h, line);
  const st = runner.stats();
  if (st.untimed) err(`${st.untimed} rule match(es) on events without a time field were not correlated\n`);
  if (!opts.json) err(`${matches} match(es) over ${line} line(s), ${documents.filter((d) => d.type === 'rule').length} rule(s), ${documents.filter((d) => d.type === 'correlation').length} correlation(s)\n`);
  return problems.length ? 1 : 0;
}

/** Rule paths or, when none are given, the shipped rules (`rules/` of the package). */
function pathsOrShipped(paths: string[]): string[] {
  return paths.length ? paths : [shippedRulesPath()];
}

/** `rules list`: one line per document (id, type, level, techniques, title); `--json` for the full catalogue. */
export function runList(paths: string[], opts: { pipeline?: string; json?: boolean }, out: (s: string) => void, err: (s: string) => void): number {
  const ps = pathsOrShipped(paths);
  checkRulePaths(ps);
  const pipeline = pipelineOrThrow(opts.pipeline);
  const { documents, problems } = loadRuleFiles(ps, { pipeline, placeholders: pipeline.placeholders });
  for (const p of problems) err(formatProblem(p) + '\n');
  const rows = documents.map((d) => ({
    id: d.id ?? null,
    name: d.name ?? null,
    type: d.type === 'correlation' ? d.correlationType : d.type,
    level: d.level ?? null,
    alerts: d.type !== 'filter' && d.standalone,
    techniques: techniquesOf(d.tags),
    title: d.title,
    file: relative(process.cwd(), d.pos.file) || d.pos.file,
  }));
  if (opts.json) out(JSON.stringify(rows, null, 2) + '\n');
  else {
    for (const r of rows) out(`${(r.id ?? r.name ?? '-').padEnd(37)}${r.type.padEnd(17)}${(r.level ?? '-').padEnd(14)}${r.alerts ? 'alert' : 'feeds'}  ${r.title}  [${r.techniques.join(', ')}]\n`);
    out(`${rows.length} document(s); "feeds" rules only feed correlations\n`);
  }
  return problems.length ? 1 : 0;
}

/** `rules test`: runs every rule's test file; exit 1 on a failure, a problem, or (with requireTests) a rule without both kinds of test. */
export function runTest(paths: string[], opts: { pipeline?: string; json?: boolean; requireTests?: boolean }, out: (s: string) => void, err: (s: string) => void): number {
  const ps = pathsOrShipped(paths);
  checkRulePaths(ps);
  const report = runRuleTests(ps, pipelineOrThrow(opts.pipeline));
  const failed = report.results.filter((r) => !r.ok);
  if (opts.json) out(JSON.stringify({ results: report.results, problems: report.problems, untested: report.untested }, null, 2) + '\n');
  else {
    for (const p of report.problems) err(formatProblem(p) + '\n');
    for (const r of report.results) {
      out(`${r.ok ? 'ok  ' : 'FAIL'} ${relative(process.cwd(), r.file) || r.file}: ${r.test}\n`);
      for (const f of r.failures) out(`       ${f}\n`);
    }
    for (const u of report.untested) err(`untested: ${u.rule} has no test where it ${u.missing.map((m) => (m === 'fires' ? 'fires' : 'stays quiet')).join(' nor one where it ')}\n`);
    out(`${report.results.length - failed.length} of ${report.results.length} test(s) passed, ${report.testFiles.size} test file(s), ${report.untested.length} rule(s) not fully tested\n`);
  }
  return failed.length || report.problems.length || (opts.requireTests && report.untested.length) ? 1 : 0;
}

/**
 * `rules export`: the rules as portable Sigma for a SIEM. Every file is
 * validated first (nothing is exported from a broken set); to standard output
 * as one multi-document YAML stream, or with `--out` one file per rule file.
 */
export function runExport(paths: string[], opts: { out?: string; pipeline?: string }, out: (s: string) => void, err: (s: string) => void): number {
  const ps = pathsOrShipped(paths);
  checkRulePaths(ps);
  const pipeline = pipelineOrThrow(opts.pipeline);
  const { documents, problems } = loadRuleFiles(ps, { pipeline, placeholders: pipeline.placeholders });
  if (problems.length) {
    for (const p of problems) err(formatProblem(p) + '\n');
    return 1;
  }
  const files = ruleFiles(ps);
  if (opts.out) {
    mkdirSync(opts.out, { recursive: true });
    const names = new Set<string>();
    for (const f of files) {
      const name = basename(f);
      if (names.has(name)) throw new MwError('MW_ERR_SIGMA_PATH', `two rule files are named ${name}; export them separately`);
      names.add(name);
      copyFileSync(f, join(opts.out, name));
    }
    err(`exported ${files.length} file(s), ${documents.length} document(s) to ${opts.out}\n`);
  } else {
    files.forEach((f, i) => {
      const text = readFileSync(f, 'utf8').replace(/^---\s*\n/, '');
      out(`${i ? '---\n' : ''}# ${relative(process.cwd(), f) || f}\n${text.endsWith('\n') ? text : text + '\n'}`);
    });
  }
  return 0;
}

export function register(program: Command): void {
  const rules = program.command('rules').description("Sigma rules: list, validate, test and export rule files (MirrorWatch's own by default), and match them against events.");
  // list, test and export work on the shipped rules unless given paths, with the shipped pipeline unless given one.
  const onShipped = (name: string, description: string): Command =>
    rules
      .command(name)
      .description(description)
      .argument('[paths...]', 'rule files or directories (default: the shipped rules/)')
      .option('--pipeline <file>', 'processing pipeline (default: data/sigma/mirrorwatch-pipeline.yml)');
  onShipped('list', "List rules and correlations (default: MirrorWatch's shipped rules): id, type, level, whether it alerts, title, techniques.")
    .option('--json', 'print the catalogue as JSON')
    .action((paths: string[], opts: { pipeline?: string; json?: boolean }) => {
      process.exitCode = runList(paths, opts, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    });
  onShipped('test', "Run the rules' own tests (tests/<rule-file> beside each rule file): events that must and must not make each rule fire.")
    .option('--require-tests', 'fail when a rule lacks a test where it fires or one where it stays quiet')
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExit codes: 0 every test passed; 1 a test failed or a rule or test file has problems; 2 usage errors.')
    .action((paths: string[], opts: { pipeline?: string; json?: boolean; requireTests?: boolean }) => {
      process.exitCode = runTest(paths, opts, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    });
  onShipped('export', 'Export rules as portable Sigma files for a SIEM (convert them with sigma-cli / pySigma); validated first.')
    .option('--out <dir>', 'write one file per rule file here (default: one YAML stream on standard output)')
    .action((paths: string[], opts: { out?: string; pipeline?: string }) => {
      process.exitCode = runExport(paths, opts, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
    });
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
    .description("Evaluate rules (detections, and correlations in event time) against JSON events, one per line; print each match as {\"rule\",\"line\"}.")
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
