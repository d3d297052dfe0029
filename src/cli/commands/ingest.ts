import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { stat } from 'node:fs/promises';
import { ingestPaths } from '../../ingest/index.js';
import type { IngestSummary } from '../../ingest/index.js';
import { PARSERS } from '../../sources/index.js';
import { pino } from 'pino';
import { MwError } from '../../errors/index.js';
import { addDbOption, humanBytes, printJson, withStore } from '../shared.js';

interface IngestCliOptions {
  db: string;
  format?: string;
  json?: boolean;
  identityAttr?: string;
  progress?: boolean;
  batchSize: string;
  workers: string;
  logLevel: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('ingest')
    .description('Read log files (any size, gzip or plain) into the store; every record is stored, a duplicate, or quarantined')
    .argument('<paths...>', 'files or folders (folders are read recursively)')
    .option('--format <name>', `force a format instead of detecting it: ${PARSERS.map((p) => p.format).join(', ')}`)
    .option('--identity-attr <names>', 'CloudEvents: extension attribute or header naming the caller (comma-separated)')
    .option('--json', 'print the counts as JSON')
    .option('--no-progress', 'no progress bar even on a terminal')
    .option('--batch-size <n>', 'events per store transaction (memory vs commit overhead)', '5000')
    .option('--workers <n>', "parse threads for large line-framed files: a number (0: parse on the main thread) or 'auto'", 'auto')
    .option('--log-level <level>', 'JSON logs on stderr (pino): info logs each committed batch', 'warn');
  addDbOption(cmd);
  cmd.addHelpText(
    'after',
    `
Formats (detected from content unless --format is given):
${PARSERS.map((p) => `  ${p.format.padEnd(20)} ${p.description}`).join('\n')}

Exit status: 0 when every path was read; 1 when some path could not be read or
its format was not recognised (the readable ones are still ingested).`,
  );
  cmd.action(async (paths: string[], opts: IngestCliOptions) => {
    const started = performance.now();
    const batchSize = Number(opts.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new MwError('MW_ERR_USAGE', `--batch-size must be a positive integer, got ${opts.batchSize}`);
    const workers = opts.workers === 'auto' ? ('auto' as const) : Number(opts.workers);
    if (workers !== 'auto' && (!Number.isInteger(workers) || workers < 0 || workers > 64))
      throw new MwError('MW_ERR_USAGE', `--workers must be 'auto' or an integer from 0 to 64, got ${opts.workers}`);
    const log = pino({ level: opts.logLevel, base: { cmd: 'ingest' } }, pino.destination(2));
    const interactive = Boolean(process.stderr.isTTY) && opts.progress !== false && !opts.json;
    let totalBytes = 0;
    for (const p of paths) totalBytes += await stat(p).then((s) => (s.isFile() ? s.size : 0), () => 0);
    const bar = interactive
      ? new cliProgress.SingleBar(
          {
            format: 'ingest |{bar}| {percentage}% {done}/{size} | {rate} records/s | ETA {eta_formatted} | {file}',
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    const doneBefore = new Map<string, number>();
    let lastFile = '';
    bar?.start(Math.max(totalBytes, 1), 0, { done: '0 B', size: humanBytes(totalBytes), rate: 0, file: '' });
    const parserOptions: Record<string, string> = {};
    if (opts.identityAttr) parserOptions['cloudevents.identity'] = opts.identityAttr;
    const summary: IngestSummary = await withStore(opts.db, (store) =>
      ingestPaths(paths, {
        store,
        ...(opts.format ? { format: opts.format } : {}),
        parserOptions,
        batchSize,
        workers,
        onCommit: (c) => log.info({ ...c }, 'batch committed'),
        onProgress: (p) => {
          if (!bar) return;
          if (p.file !== lastFile) {
            doneBefore.set(p.file, [...doneBefore.values()].reduce((a, b) => a + b, 0));
            lastFile = p.file;
          }
          const done = Math.min((doneBefore.get(p.file) ?? 0) + p.bytesRead, totalBytes);
          const secs = (performance.now() - started) / 1000;
          bar.update(done, {
            done: humanBytes(done),
            size: humanBytes(totalBytes),
            rate: Math.round(p.records / Math.max(secs, 1e-3)),
            file: p.file.length > 40 ? '…' + p.file.slice(-39) : p.file,
          });
        },
      }),
    );
    bar?.update(totalBytes);
    bar?.stop();
    const secs = (performance.now() - started) / 1000;
    if (opts.json) {
      printJson({
        read: summary.read,
        stored: summary.stored,
        duplicates: summary.duplicates,
        quarantined: summary.quarantined,
        events: summary.events,
        by_format: summary.by_format,
        files: summary.files,
        errors: summary.errors,
        skipped: summary.skipped,
      });
    } else {
      process.stdout.write(
        `ingested ${summary.files.filter((f) => !f.error).length} file(s) in ${secs.toFixed(1)}s: read ${summary.read}, stored ${summary.stored}, duplicates ${summary.duplicates}, quarantined ${summary.quarantined}` +
          ` (${Object.entries(summary.by_format)
            .map(([f, c]) => `${f} ${c.read}`)
            .join(', ')})\n`,
      );
      for (const k of summary.skipped) process.stdout.write(`skipped ${k.file}: ${k.reason}\n`);
      if (summary.quarantined > 0) process.stdout.write(`see them with: mirrorwatch quarantine list --db ${opts.db}\n`);
    }
    for (const e of summary.errors) process.stderr.write(`mirrorwatch: ${e.code}: ${e.message}\n`);
    if (summary.errors.length > 0) process.exitCode = 1;
  });
}
