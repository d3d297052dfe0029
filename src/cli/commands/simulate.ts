import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { readFile } from 'node:fs/promises';
import { Document, parse as parseYaml, visit } from 'yaml';
import { MwError } from '../../errors/index.js';
import { DEFAULTS, VARIANTS, mergeConfig, parseOverrides, simulate } from '../../sim/index.js';
import type { Variant } from '../../sim/index.js';
import { humanBytes, printJson } from '../shared.js';

interface SimulateCliOptions {
  seed: string;
  out?: string;
  days: string;
  start: string;
  scale: string;
  variant: string;
  config?: string;
  printConfig?: boolean;
  json?: boolean;
  progress?: boolean;
}

function number(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new MwError('MW_ERR_USAGE', `${name} must be a number, got ${JSON.stringify(v)}`);
  return n;
}

export function register(program: Command): void {
  const cmd = program
    .command('simulate')
    .description('Write a deterministic simulated ML platform (benign users, decoys, one insider thief) as real-format logs with truth.json')
    .option('--seed <n>', 'random seed (non-negative integer); same seed, same bytes', '1')
    .option('--out <dir>', 'output directory (created if missing)')
    .option('--days <n>', 'simulated days', String(DEFAULTS.days))
    .option('--start <date>', 'first day, YYYY-MM-DD (UTC)', DEFAULTS.start)
    .option('--scale <k>', 'multiply the benign population and traffic (100 = tens of millions of events; fractions shrink it)', String(DEFAULTS.scale))
    .option('--variant <name>', `attack variant: ${VARIANTS.join(', ')}`, DEFAULTS.variant)
    .option('--config <file>', 'YAML or JSON overriding any scenario number (see --print-config)')
    .option('--print-config', 'print the scenario configuration (defaults merged with --config) as YAML and exit')
    .option('--json', 'print the summary (files, line counts, truth) as JSON')
    .option('--no-progress', 'no progress bar even on a terminal');
  cmd.addHelpText(
    'after',
    `
Writes into --out: MLPlatformLogs.jsonl, DLPLogs.jsonl, HREvents.jsonl,
kserve-cloudevents.jsonl, mlflow-access.log, minio-audit.jsonl,
directory.csv, model-inventory.json, compound-library.csv and truth.json.
Scenario, knobs, variants and formats: docs/simulator.md.

Examples:
  mirrorwatch simulate --seed 7 --out sim7
  mirrorwatch simulate --seed 7 --out sim7-slow --variant low-and-slow
  mirrorwatch ingest sim7`,
  );
  cmd.action(async (opts: SimulateCliOptions) => {
    let overrides: unknown = {};
    if (opts.config) {
      let text: string;
      try {
        text = await readFile(opts.config, 'utf8');
      } catch (e) {
        throw new MwError('MW_ERR_USAGE', `--config ${opts.config}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      try {
        overrides = parseYaml(text) ?? {};
      } catch (e) {
        throw new MwError('MW_ERR_USAGE', `--config ${opts.config}: not YAML or JSON: ${(e as Error).message}`);
      }
    }
    if (opts.printConfig) {
      let merged;
      try {
        merged = mergeConfig(parseOverrides(overrides));
      } catch (e) {
        throw new MwError('MW_ERR_USAGE', (e as Error).message);
      }
      // Ranges [low, high] read best on one line.
      const doc = new Document(merged);
      visit(doc, {
        Seq(_, node) {
          node.flow = true;
        },
      });
      process.stdout.write(doc.toString({ flowCollectionPadding: false }));
      return;
    }
    if (!opts.out) throw new MwError('MW_ERR_USAGE', '--out <dir> is required');
    const seed = number('--seed', opts.seed);
    const days = number('--days', opts.days);
    const scale = number('--scale', opts.scale);
    const interactive = Boolean(process.stderr.isTTY) && opts.progress !== false && !opts.json;
    const bar = interactive
      ? new cliProgress.SingleBar({ format: 'simulate |{bar}| day {value}/{total} | {events} events | {rate} events/s | ETA {eta_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic)
      : null;
    const started = performance.now();
    bar?.start(days, 0, { events: 0, rate: 0 });
    let summary;
    try {
      summary = await simulate({
        seed,
        out: opts.out,
        days,
        start: opts.start,
        scale,
        variant: opts.variant as Variant,
        config: overrides as Record<string, unknown>,
        onProgress: (p) => bar?.update(p.day, { events: p.events, rate: Math.round(p.events / Math.max(1e-3, (performance.now() - started) / 1000)) }),
      });
    } catch (e) {
      bar?.stop();
      if (e instanceof MwError) throw e;
      const msg = (e as Error).message;
      if (/^(--|config:)/.test(msg)) throw new MwError('MW_ERR_USAGE', msg);
      throw e;
    }
    bar?.stop();
    const secs = (performance.now() - started) / 1000;
    if (opts.json) {
      printJson({ ...summary, seconds: Number(secs.toFixed(1)) });
      return;
    }
    const bytes = Object.values(summary.files).reduce((s, f) => s + f.bytes, 0);
    process.stdout.write(
      `simulated ${summary.days} days (seed ${summary.seed}, variant ${summary.variant}, scale ${summary.scale}) in ${secs.toFixed(1)}s: ` +
        `${summary.events} events, ${humanBytes(bytes)} in ${opts.out} (attacker ${summary.truth.attacker}; truth.json has the phases)\n`,
    );
  });
}
