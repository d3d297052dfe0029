import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { MwError } from '../../errors/index.js';
import { detectStore } from '../../detect/run.js';
import { addSigmaRules } from '../../sigma/index.js';
import { toIsoUtc } from '../../util/time.js';
import { addDbOption, printJson, withStore } from '../shared.js';

export function register(program: Command): void {
  const cmd = program
    .command('detect')
    .description('Run the detectors over the stored events (event-time order) and correlate alerts into incidents')
    .option('--since <time>', 'only events at or after this event time (ISO 8601, UTC if no zone)')
    .option('--full', 'replay every event instead of continuing from the saved detection state')
    .option('--workers <n>', 'worker threads for fingerprints not yet cached (default: cores minus one)')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print {"alerts":[...],"incidents":[...]} as JSON')
    .option('--rules <paths...>', 'also run these Sigma rule files or directories (docs/sigma.md); their matches are alerts');
  addDbOption(cmd);
  cmd.addHelpText('after', '\nDetectors, options and techniques: docs/detect.md. Output fields: docs/cli.md.');
  cmd.action(async (opts: { db: string; since?: string; json?: boolean; full?: boolean; workers?: string; progress?: boolean; rules?: string[] }) => {
    let since: string | undefined;
    if (opts.since != null) {
      since = toIsoUtc(opts.since) ?? toIsoUtc(`${opts.since}T00:00:00Z`) ?? undefined;
      if (!since) throw new MwError('MW_ERR_USAGE', `--since must be an ISO 8601 time or a date YYYY-MM-DD (got "${opts.since}")`);
    }
    const workers = opts.workers != null ? Number(opts.workers) : undefined;
    if (workers != null && !(Number.isInteger(workers) && workers >= 1 && workers <= 64)) {
      throw new MwError('MW_ERR_USAGE', `--workers must be an integer from 1 to 64 (got "${opts.workers}")`);
    }
    const say = (m: string): void => void process.stderr.write(`mirrorwatch: ${m}\n`);
    // A bar only where someone watches and the cold work is long (a few thousand molecules is seconds).
    let bar: cliProgress.SingleBar | null = null;
    const onFingerprintProgress = (done: number, total: number): void => {
      if (!bar && process.stderr.isTTY && opts.progress !== false && total >= 5000) {
        bar = new cliProgress.SingleBar(
          { format: 'fingerprints |{bar}| {percentage}% {value}/{total} molecules | ETA {eta_formatted}', hideCursor: true, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0);
      }
      bar?.update(done);
      if (done >= total) bar?.stop();
    };
    const run = await withStore(opts.db, async (store) => {
      const detected = await detectStore(store, {
        ...(since ? { since } : { incremental: true }),
        // Sigma rules run over the whole store and are correlated with the detectors' alerts, so a run with rules is a full one.
        ...(opts.full || opts.rules?.length ? { full: true } : {}),
        ...(workers ? { workers } : {}),
        onFingerprintProgress,
        onFingerprintPrefetch: (p) => {
          if (p.computed > 0) say(`fingerprints: ${p.computed} computed and cached, ${p.cached} already cached`);
        },
        onNotice: say,
      });
      const r = await addSigmaRules(store, detected, opts.rules, { ...(since ? { since } : {}), warn: (m) => process.stderr.write(m) });
      // Kept in the store for the response playbook, the dashboard and later runs.
      await store.putAlerts(r.alerts);
      await store.putIncidents(r.incidents);
      return r;
    });
    if (run.stats.late > 0) process.stderr.write(`mirrorwatch: ${run.stats.late} events arrived behind the watermark and were not analysed\n`);
    if (opts.json) {
      printJson({ alerts: run.alerts, incidents: run.incidents });
      return;
    }
    const s = run.stats;
    const n = (k: number, one: string, many: string): string => `${k} ${k === 1 ? one : many}`;
    // An incremental run counts the events new since the last run (it also re-reads the few buffered then).
    const analysed = run.mode === 'incremental' ? n(s.received, 'new event', 'new events') : n(s.delivered, 'event', 'events');
    process.stdout.write(`${analysed} analysed, ${n(run.alerts.length, 'alert', 'alerts')}, ${n(run.incidents.length, 'incident', 'incidents')}\n`);
    for (const a of run.alerts) {
      process.stdout.write(`${a.at}  ${a.severity.padEnd(8)} ${a.detector.padEnd(15)} ${a.principal.padEnd(20)} ${a.explanation}\n`);
    }
    for (const i of run.incidents) {
      process.stdout.write(
        `incident ${i.id}  ${i.severity}  risk ${i.risk}  ${i.principals.join(',')}  opened ${i.opened_at}  phases ${i.phases.join(',') || '-'}  models ${i.models.map((m) => m.name).join(',') || '-'}  (${i.alerts.length} alerts)\n`,
      );
    }
  });
}
