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
    .option('--json', 'print {"alerts":[...],"incidents":[...]} as JSON')
    .option('--rules <paths...>', 'also run these Sigma rule files or directories (docs/sigma.md); their matches are alerts');
  addDbOption(cmd);
  cmd.addHelpText('after', '\nDetectors, options and techniques: docs/detect.md. Output fields: docs/cli.md.');
  cmd.action(async (opts: { db: string; since?: string; json?: boolean; rules?: string[] }) => {
    let since: string | undefined;
    if (opts.since != null) {
      since = toIsoUtc(opts.since) ?? toIsoUtc(`${opts.since}T00:00:00Z`) ?? undefined;
      if (!since) throw new MwError('MW_ERR_USAGE', `--since must be an ISO 8601 time or a date YYYY-MM-DD (got "${opts.since}")`);
    }
    const run = await withStore(opts.db, async (store) => addSigmaRules(store, await detectStore(store, since ? { since } : {}), opts.rules, { ...(since ? { since } : {}), warn: (s) => process.stderr.write(s) }), true);
    if (run.stats.late > 0) process.stderr.write(`mirrorwatch: ${run.stats.late} events arrived behind the watermark and were not analysed\n`);
    if (opts.json) {
      printJson({ alerts: run.alerts, incidents: run.incidents });
      return;
    }
    const s = run.stats;
    const n = (k: number, one: string, many: string): string => `${k} ${k === 1 ? one : many}`;
    process.stdout.write(`${n(s.delivered, 'event', 'events')} analysed, ${n(run.alerts.length, 'alert', 'alerts')}, ${n(run.incidents.length, 'incident', 'incidents')}\n`);
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
