import type { Command } from 'commander';
import { ingestPaths } from '../../ingest/index.js';
import { addDbOption, printJson, withStore } from '../shared.js';
import { readSample } from '../../ingest/read.js';
import { basename } from 'node:path';
import { MwError } from '../../errors/index.js';

export function register(program: Command): void {
  const ref = program.command('reference').description('Versioned reference data: directory, model inventory, sensitive compound sets');
  const add = ref
    .command('add')
    .description('Load a reference file as a new version (identical content is a no-op)')
    .argument('<kind>', 'directory | models | compounds')
    .argument('<file>', 'directory CSV, MLflow registered-models JSON, or compounds (CSV with a smiles column, or one SMILES per line)')
    .option('--name <name>', 'compound set name (compounds only), e.g. internal-library')
    .option('--json', 'print the counts as JSON');
  addDbOption(add);
  add.action(async (kind: string, file: string, opts: { db: string; name?: string; json?: boolean }) => {
    let format: string;
    if (kind === 'directory') format = 'directory-csv';
    else if (kind === 'models') format = 'mlflow-models';
    else if (kind === 'compounds') {
      if (!opts.name) throw new MwError('MW_ERR_USAGE', 'reference add compounds needs --name NAME');
      const sample = await readSample(file, basename(file));
      format = /(^|,)\s*"?(smiles|canonical_smiles|mol)"?\s*(,|$)/i.test(sample.lines[0] ?? '') ? 'compounds-csv' : 'compounds-list';
    } else throw new MwError('MW_ERR_USAGE', `unknown reference kind "${kind}": use directory, models or compounds`);
    const summary = await withStore(opts.db, (store) =>
      ingestPaths([file], { store, format, parserOptions: opts.name ? { 'compounds.name': opts.name } : {} }),
    );
    if (summary.errors.length) {
      for (const e of summary.errors) process.stderr.write(`mirrorwatch: ${e.code}: ${e.message}\n`);
      process.exitCode = 1;
    }
    if (summary.stored + summary.duplicates === 0 && summary.errors.length === 0) {
      throw new MwError('MW_ERR_REFERENCE_EMPTY', `${file}: no usable ${kind} rows (${summary.quarantined} quarantined)`);
    }
    const { read, stored, duplicates, quarantined } = summary;
    if (opts.json) printJson({ kind, name: opts.name ?? 'default', read, stored, duplicates, quarantined });
    else
      process.stdout.write(
        `${kind}${opts.name ? ` "${opts.name}"` : ''}: read ${read}, ${stored > 0 ? `new version stored (${stored})` : `unchanged (${duplicates} already loaded)`}, quarantined ${quarantined}\n`,
      );
  });
  const list = ref.command('list').description('Reference loads: kind, name, version, records, when').option('--json', 'print as JSON');
  addDbOption(list);
  list.action(async (opts: { db: string; json?: boolean }) => {
    const loads = await withStore(opts.db, (s) => s.referenceLoads());
    if (opts.json) printJson(loads);
    else if (loads.length === 0) process.stdout.write('no reference data loaded\n');
    else for (const l of loads) process.stdout.write(`${l.kind.padEnd(10)} ${l.name.padEnd(20)} ${l.version}  ${String(l.records).padStart(7)} records  ${l.loadedAt}  ${l.file}\n`);
  });
}
