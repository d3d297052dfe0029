import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { MwError } from '../../errors/index.js';
import { createScanner, FAIL_ON, FORMATS, type FailOn, type OutputFormat } from '../../scan/index.js';
import { EU_AI_ACT, ISO_42001 } from '../../scan/rules/rule.js';
import { RULES } from '../../scan/rules/index.js';
import { openStore, DEFAULT_DB } from '../../store/index.js';

export interface ScanCliOptions {
  format: OutputFormat;
  output?: string;
  failOn: FailOn;
  allStores?: boolean;
  config?: string;
  listRules?: boolean;
  evidence?: string | boolean;
  /** Keep the findings in this store for the dashboard's Posture page. */
  store?: boolean;
  db?: string;
}

/** The rule catalogue for `--list-rules`, as text or JSON. */
export function listRules(format: OutputFormat): string {
  if (format === 'json' || format === 'sarif') {
    return (
      JSON.stringify(
        RULES.map((r) => ({
          id: r.id,
          name: r.name,
          family: r.family.id,
          title: r.title,
          severity: r.severity,
          rationale: r.rationale,
          remediation: r.remediation,
          mappings: {
            atlas_techniques: r.family.atlasTechniques,
            atlas_mitigations: r.family.atlasMitigations,
            attack: r.attack,
            eu_ai_act: EU_AI_ACT,
            iso_42001: ISO_42001,
          },
          fixes: r.fixes,
        })),
        null,
        2,
      ) + '\n'
    );
  }
  const lines = [`${'ID'.padEnd(11)} ${'SEVERITY'.padEnd(9)} ${'FAMILY'.padEnd(14)} TITLE`];
  for (const r of RULES) {
    lines.push(`${r.id.padEnd(11)} ${r.severity.padEnd(9)} ${r.family.id.padEnd(14)} ${r.title}`);
    lines.push(`${''.padEnd(36)}name ${r.name}; ATLAS ${[...r.family.atlasTechniques, ...r.family.atlasMitigations].join(' ') || 'n/a'}; ATT&CK ${r.attack.join(' ') || 'n/a'}`);
  }
  lines.push('', `Every rule also maps to ${EU_AI_ACT} and ${ISO_42001}.`, 'Family aliases ATLAS-IMP-003 and ATLAS-EXF-002 select every rule of the family in suppressions.');
  return lines.join('\n') + '\n';
}

function write(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new MwError('MW_ERR_SCAN_OUTPUT', `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Runs the scan command; returns the exit code (0 clean, 1 findings at or above --fail-on, 2 parse errors). */
export async function runScanCommand(paths: string[], opts: ScanCliOptions, stdout: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  if (opts.listRules) {
    stdout(listRules(opts.format));
    return 0;
  }
  const scanner = createScanner({ allStores: opts.allStores === true, ...(opts.config ? { configFile: opts.config } : {}) });
  const scanned = paths.length ? paths : ['.'];
  const result = await scanner.scan(scanned);
  const report = scanner.format(result, opts.format);
  const evidenceToStdout = opts.evidence === true;
  if (opts.output) write(opts.output, report);
  else if (!evidenceToStdout) stdout(report);
  if (opts.evidence) {
    const md = scanner.evidence(result, scanned);
    if (typeof opts.evidence === 'string') write(opts.evidence, md);
    else stdout(md);
  }
  if (result.errors.length && (opts.output || evidenceToStdout || opts.format !== 'text')) {
    // The text report lists errors itself; other outputs still need them on stderr for people.
    for (const e of result.errors) process.stderr.write(`mirrorwatch: ${e.file}:${e.line}${e.column ? `:${e.column}` : ''}: ${e.message}\n`);
  }
  if (opts.store) {
    const store = await openStore({ path: opts.db ?? DEFAULT_DB });
    try {
      // Wall-clock time of the scan: posture is a property of now, not of the logs' event time.
      await store.putDocument('posture', 'latest', {
        scannedAt: new Date().toISOString(),
        path: scanned.join(' '),
        findings: result.findings
          .filter((f) => !f.suppressed)
          .map((f) => ({ ruleId: f.rule, severity: f.severity, title: f.title, resource: f.resource, file: f.file, line: f.line, message: f.message })),
      });
    } finally {
      await store.close();
    }
  }
  return scanner.exitCode(result, opts.failOn);
}

export function register(program: Command): void {
  program
    .command('scan')
    .description('Scan Terraform, plan JSON, Kubernetes and gateway config for model-theft exposure (model stores, keys, inference endpoints).')
    .argument('[paths...]', 'files or directories to scan', [])
    .addOption(new Option('--format <format>', 'report format').choices([...FORMATS]).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of standard output')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding at or above this severity exists').choices([...FAIL_ON]).default('high'))
    .option('--all-stores', 'treat every bucket and registry as a model store')
    .option('--config <file>', 'MirrorWatch YAML config with a scan: section (model_stores, endpoints, ceilings)')
    .option('--list-rules', 'print the rule catalogue and exit')
    .option('--evidence [file]', 'write the Markdown evidence report for auditors (to standard output, or to FILE)')
    .option('--store', 'also keep the findings in the store (--db) for the dashboard\'s Posture page')
    .option('--db <file>', 'DuckDB store file for --store', process.env['MIRRORWATCH_DB'] ?? DEFAULT_DB)
    .addHelpText(
      'after',
      '\nExit codes: 0 no finding at or above --fail-on; 1 findings at or above it; 2 usage errors or files that failed to parse (the others are still scanned).\n' +
        'Suppress a finding inline with "# mirrorwatch:ignore RULE reason" on or above the resource (the reason is required).',
    )
    .action(async (paths: string[], opts: ScanCliOptions) => {
      process.exitCode = await runScanCommand(paths, opts);
    });
}
