import type { Command } from 'commander';
import { addDbOption, printJson, withStore } from '../shared.js';

export function register(program: Command): void {
  const q = program.command('quarantine').description('Records that could not be ingested, with file, line and reason');
  const list = q
    .command('list')
    .description('List quarantined records (file, line, format, reason, raw text)')
    .option('--file <path>', 'only records from this file (as it was given to ingest)')
    .option('--limit <n>', 'rows to show', '50')
    .option('--offset <n>', 'rows to skip', '0')
    .option('--json', 'print as JSON');
  addDbOption(list);
  list.action(async (opts: { db: string; file?: string; limit: string; offset: string; json?: boolean }) => {
    const res = await withStore(opts.db, (s) =>
      s.quarantine({ limit: Number(opts.limit), offset: Number(opts.offset), ...(opts.file ? { file: opts.file } : {}) }),
    );
    if (opts.json) {
      printJson(res);
      return;
    }
    if (res.total === 0) {
      process.stdout.write('no quarantined records\n');
      return;
    }
    for (const r of res.rows) {
      // Raw text is attacker-controlled: shown JSON-escaped on one line so control characters cannot move the terminal.
      process.stdout.write(`${r.file}:${r.line}  [${r.format}]  ${r.reason}\n    ${JSON.stringify(r.raw.slice(0, 300))}\n`);
    }
    const shown = Number(opts.offset) + res.rows.length;
    process.stdout.write(`${res.rows.length} of ${res.total} shown${shown < res.total ? ` (next: --offset ${shown})` : ''}\n`);
  });
}
