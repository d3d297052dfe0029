import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MwError } from '../../errors/index.js';
import { runLab } from '../../lab/run/index.js';
import { LAB_POLICIES } from '../../lab/policies/index.js';
import { createLabReporter } from '../../lab/report/index.js';
import { printJson } from '../shared.js';

interface LabCliOptions {
  seed: string;
  quick?: boolean;
  json?: boolean;
  out: string;
  policy?: string[];
  progress?: boolean;
}

export function register(program: Command): void {
  const lab = program.command('lab').description('Extraction-risk lab: real models on real chemistry data, attacked through the gateway under each defence, measured');
  const run = lab
    .command('run')
    .description('Train the victims, serve them behind the gateway, run the attacks and benign traffic under each output policy, report fidelity, leakage and detection')
    .option('--seed <n>', 'seed of splits, query pools and traffic (same seed, same tables)', '1')
    .option('--quick', 'the few-minute run: smaller pool and Tox21 subset, query counts up to 5,000')
    .option('--json', 'print the result as JSON (victims, attacks, membership, benign, reference) instead of tables')
    .option('--out <dir>', 'folder for the Markdown report and its SVG charts', 'lab-report')
    .option('--policy <name...>', `policies to run besides full and inline-block (default all): ${LAB_POLICIES.map((p) => p.name).join(', ')}`)
    .option('--no-progress', 'no progress bar even on a terminal');
  run.addHelpText('after', '\nWhat each policy does, the attacks and the measured full-run numbers: docs/lab.md.');
  run.action(async (opts: LabCliOptions) => {
    const seed = Number(opts.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new MwError('MW_ERR_USAGE', `--seed must be a non-negative integer, got ${JSON.stringify(opts.seed)}`);
    const unknown = (opts.policy ?? []).filter((p) => !LAB_POLICIES.some((q) => q.name === p));
    if (unknown.length > 0) throw new MwError('MW_ERR_USAGE', `unknown --policy ${unknown.join(', ')}; known: ${LAB_POLICIES.map((p) => p.name).join(', ')}`);
    const interactive = Boolean(process.stderr.isTTY) && opts.progress !== false && !opts.json;
    const bar = interactive ? new cliProgress.SingleBar({ format: '{stage} |{bar}| {value}/{total}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
    let stage = '';
    const result = await runLab({
      seed,
      quick: Boolean(opts.quick),
      ...(opts.policy ? { policies: opts.policy } : {}),
      onProgress: (p) => {
        if (p.stage !== stage) {
          stage = p.stage;
          if (bar) {
            bar.stop();
            bar.start(p.total, p.done, { stage: p.stage.padEnd(28) });
          } else if (!opts.json) process.stderr.write(`lab: ${p.stage}...\n`);
        }
        bar?.setTotal(p.total);
        bar?.update(p.done, { stage: p.stage.padEnd(28) });
      },
    }).finally(() => bar?.stop());
    const out = resolve(opts.out);
    await mkdir(out, { recursive: true });
    const reporter = createLabReporter();
    const written = await reporter.write(result, out);
    if (opts.json) printJson(result);
    else process.stdout.write(reporter.tables(result) + `\nreport: ${written[0]}\n`);
  });
}
