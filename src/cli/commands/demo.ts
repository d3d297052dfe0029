import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEMO_DEFAULTS, runDemo } from '../../demo/index.js';
import type { DemoResult } from '../../demo/index.js';
import { formatEvaluation } from '../../evaluate/index.js';
import type { Evaluation } from '../../evaluate/index.js';
import { MwError } from '../../errors/index.js';
import { VARIANTS } from '../../sim/index.js';
import type { Variant } from '../../sim/index.js';
import { humanBytes, printJson } from '../shared.js';
import { serve } from './serve.js';

interface DemoCliOptions {
  seed: string;
  variant: string;
  days: string;
  scale: string;
  keep?: string;
  json?: boolean;
  progress?: boolean;
  serve?: boolean;
  port: string;
}

function int(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new MwError('MW_ERR_USAGE', `${name} must be an integer of at least ${min}, got ${JSON.stringify(v)}`);
  return n;
}

const fmtH = (h: number | null): string => (h == null ? 'none' : `${h.toFixed(1)} h`);

/** Ours beside the reference queries, one line per phase. */
function comparison(ours: Evaluation, ref: Evaluation): string {
  const lines = ['time to detect       ours          reference queries'];
  for (const p of ours.phases) {
    const r = ref.phases.find((x) => x.id === p.id);
    lines.push(`  ${p.id.padEnd(20)} ${fmtH(p.hours_to_detect).padEnd(13)} ${fmtH(r?.hours_to_detect ?? null)}`);
  }
  lines.push(`  ${'incident'.padEnd(20)} ${fmtH(ours.incident?.hours_after_first_act ?? null).padEnd(13)} ${fmtH(ref.incident?.hours_after_first_act ?? null)}`);
  const fp = (e: Evaluation): string => {
    const n = e.benign.incidents + e.unknown.incidents + e.decoys.reduce((s, d) => s + d.incidents, 0);
    const h = e.benign.high_alerts + e.unknown.high_alerts + e.decoys.reduce((s, d) => s + d.high_alerts, 0);
    return `${n} inc / ${h} high`;
  };
  lines.push(`  ${'false positives'.padEnd(20)} ${fp(ours).padEnd(13)} ${fp(ref)}`);
  return lines.join('\n') + '\n';
}

function report(r: DemoResult, o: { seed: number; variant: string; days: number; scale: number; keep: string | null }): string {
  const out: string[] = [];
  out.push(
    `MirrorWatch demo: ${o.days} simulated days, seed ${o.seed}, variant ${o.variant}, scale ${o.scale}: ${r.events} log lines, ${r.ingest.stored} events stored (${r.ingest.quarantined} quarantined), ` +
      `${r.alerts.length} alerts, ${r.incidents.length} incidents (${Object.entries(r.seconds).map(([k, v]) => `${k} ${v}s`).join(', ')})\n`,
  );
  for (const i of r.incidents) {
    out.push(
      `incident ${i.id}  ${i.severity}  risk ${i.risk}  ${i.principals.join(',')}  opened ${i.opened_at}\n` +
        `  phases ${i.phases.join(', ') || '-'}; vectors ${i.vectors.join(', ') || '-'}; ${i.alerts.length} alerts\n` +
        `  models ${i.models.map((m) => `${m.name} (${m.classification ?? '?'}${m.estimated_value != null ? `, $${(m.estimated_value / 1e6).toFixed(0)}M` : ''})`).join(', ') || '-'}\n`,
    );
    for (const t of i.timeline.slice(0, 8)) out.push(`    ${t.at}  ${t.severity.padEnd(8)} ${t.detector.padEnd(15)} ${t.explanation}\n`);
    if (i.timeline.length > 8) out.push(`    ... ${i.timeline.length - 8} more alerts (mirrorwatch detect --json)\n`);
  }
  out.push('\n' + formatEvaluation(r.evaluation, 'MirrorWatch'));
  if (r.reference) {
    out.push('\n' + formatEvaluation(r.reference.evaluation, 'reference queries (the scenario\'s five, daily, docs/detect.md)'));
    out.push('\n' + comparison(r.evaluation, r.reference.evaluation));
  }
  if (o.keep) out.push(`\nkept: logs and truth.json in ${join(o.keep, 'logs')}, store ${join(o.keep, 'demo.duckdb')} (mirrorwatch detect --db ${join(o.keep, 'demo.duckdb')})\n`);
  return out.join('');
}

export function register(program: Command): void {
  const cmd = program
    .command('demo')
    .description('Simulate an insider stealing models, ingest, detect and evaluate in one go, with the reference queries beside ours')
    .option('--seed <n>', 'scenario seed', '1')
    .option('--variant <name>', `attack variant: ${VARIANTS.join(', ')}`, 'baseline')
    .option('--days <n>', 'simulated days', String(DEMO_DEFAULTS.days))
    .option('--scale <k>', 'benign population multiplier', String(DEMO_DEFAULTS.scale))
    .option('--keep <dir>', 'keep the logs (DIR/logs) and the store (DIR/demo.duckdb) here')
    .option('--json', 'print {"evaluation","reference","alerts","incidents",...} as JSON')
    .option('--no-progress', 'no progress bar even on a terminal')
    .option('--serve', 'then open the dashboard on the demo store (prints the URL and first-run credentials; Ctrl-C stops it)')
    .option('--port <n>', 'dashboard port for --serve', '8686');
  cmd.addHelpText('after', '\nDefaults run in about a minute on a 2-core machine (docs/cli.md). Scenario: docs/simulator.md.');
  cmd.action(async (opts: DemoCliOptions) => {
    const seed = int('--seed', opts.seed, 0);
    const days = int('--days', opts.days, 1);
    const scale = Number(opts.scale);
    if (!(Number.isFinite(scale) && scale > 0)) throw new MwError('MW_ERR_USAGE', `--scale must be a number above 0, got ${JSON.stringify(opts.scale)}`);
    if (!(VARIANTS as readonly string[]).includes(opts.variant)) throw new MwError('MW_ERR_USAGE', `--variant must be one of ${VARIANTS.join(', ')}, got ${JSON.stringify(opts.variant)}`);
    const keep = opts.keep ? resolve(opts.keep) : null;
    const base = keep ?? (await mkdtemp(join(tmpdir(), 'mirrorwatch-demo-')));
    if (keep) {
      await mkdir(keep, { recursive: true });
      await rm(join(keep, 'demo.duckdb'), { force: true });
      await rm(join(keep, 'demo.duckdb.wal'), { force: true });
    }
    const interactive = Boolean(process.stderr.isTTY) && opts.progress !== false && !opts.json;
    const bar = interactive
      ? new cliProgress.SingleBar({ format: '{stage} |{bar}| {percentage}% | {detail}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
      : null;
    let result: DemoResult;
    try {
      result = await runDemo({
        seed,
        variant: opts.variant as Variant,
        days,
        scale,
        logDir: join(base, 'logs'),
        dbPath: join(base, 'demo.duckdb'),
        onStage: (stage) => {
          if (!bar) {
            if (!opts.json) process.stderr.write(`demo: ${stage}...\n`);
            return;
          }
          bar.stop();
          bar.start(100, stage === 'simulate' || stage === 'ingest' ? 0 : 100, { stage: stage.padEnd(9), detail: '' });
        },
        onSimulateProgress: (p) => bar?.update(Math.round((100 * p.day) / p.days), { detail: `day ${p.day}/${p.days}, ${p.events} events` }),
        onIngestProgress: (p) => bar?.update(p.bytesTotal > 0 ? Math.min(100, Math.round((100 * p.bytesRead) / p.bytesTotal)) : 0, { detail: `${p.file.split(/[\\/]/).pop() ?? ''} ${humanBytes(p.bytesRead)}` }),
      });
    } catch (e) {
      bar?.stop();
      if (!keep) await rm(base, { recursive: true, force: true });
      throw e;
    }
    bar?.stop();
    try {
      if (opts.json) printJson({ seed, variant: opts.variant, days, scale, ...result, kept: keep });
      else process.stdout.write(report(result, { seed, variant: opts.variant, days, scale, keep }));
      if (opts.serve) {
        process.stdout.write('\n');
        await serve({ db: join(base, 'demo.duckdb'), port: opts.port, host: '127.0.0.1', logLevel: 'warn' });
      }
    } finally {
      if (!keep) await rm(base, { recursive: true, force: true });
    }
  });
}
