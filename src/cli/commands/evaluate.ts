import type { Command } from 'commander';
import { detectStore } from '../../detect/run.js';
import { evaluate, formatEvaluation, readTruth } from '../../evaluate/index.js';
import { MwError } from '../../errors/index.js';
import { loadDetections } from '../../evaluate/detections.js';
import { addDbOption, printJson, withStore } from '../shared.js';

export function register(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('Score the store\'s alerts and incidents against a simulator truth file: time to detect per phase, time to incident, false positives')
    .requiredOption('--truth <file>', 'truth.json written by `mirrorwatch simulate`')
    .option('--json', 'print the evaluation as JSON');
  addDbOption(cmd);
  cmd.addHelpText('after', '\nUses the alerts and incidents stored by `mirrorwatch detect` when the store has them, else runs detection.\nReport fields: docs/cli.md.');
  cmd.action(async (opts: { db: string; truth: string; json?: boolean }) => {
    if (!opts.truth) throw new MwError('MW_ERR_USAGE', '--truth <file> is required');
    const truth = await readTruth(opts.truth);
    const detections = await withStore(opts.db, (store) => loadDetections(store, detectStore), true);
    const result = evaluate(truth, detections);
    if (opts.json) {
      printJson({ ...result, source: detections.source });
      return;
    }
    process.stdout.write(`${detections.alerts.length} alerts, ${detections.incidents.length} incidents (${detections.source === 'stored' ? 'stored by detect' : 'detection run now'})\n`);
    process.stdout.write(formatEvaluation(result));
  });
}
