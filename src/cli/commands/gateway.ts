/**
 * `mirrorwatch gateway --config FILE`: runs the protective inference gateway
 * (docs/gateway.md) until SIGINT/SIGTERM, then drains and flushes counters
 * and audit files.
 */
import type { Command } from 'commander';
import { createChem } from '../../chem/index.js';
import { buildContext } from '../../detect/types.js';
import { configJsonSchema, createGateway, loadConfig, tokenSha256 } from '../../gateway/index.js';
import { printJson } from '../shared.js';

export function register(program: Command): void {
  program
    .command('gateway')
    .description('Run the inference gateway: keys, rate limits, query budgets, output hardening, audit events')
    .option('--config <file>', 'gateway YAML config (docs/gateway.md)')
    .option('--check', 'validate the config, print every problem, and exit')
    .option('--print-schema', 'print the JSON Schema of the config and exit')
    .option('--hash-token <token>', 'print the sha256 of an admin token for admin.token_sha256 and exit')
    .option('--log-level <level>', 'pino log level (fatal, error, warn, info, debug, silent)', 'info')
    .action(async (opts: { config?: string; check?: boolean; printSchema?: boolean; hashToken?: string; logLevel: string }) => {
      if (opts.printSchema) return printJson(configJsonSchema());
      if (opts.hashToken !== undefined) return void process.stdout.write(tokenSha256(opts.hashToken) + '\n');
      if (!opts.config) {
        process.stderr.write('mirrorwatch: MW_ERR_USAGE: --config <file> is required\n');
        process.exitCode = 2;
        return;
      }
      const config = loadConfig(opts.config);
      if (opts.check) return void process.stdout.write(`${opts.config}: ok (${config.models.length} models, ${Object.keys(config.roles).length} roles)\n`);
      // RDKit canonical SMILES make molecule fingerprints in audit events match the other sources'.
      const chem = await createChem();
      // The same fingerprints the chemistry-aware detectors (prada) get in `mirrorwatch detect`.
      const detectionContext = buildContext({ fingerprint: (s) => chem.fingerprint(s) });
      const gw = createGateway({ config, canonicalSmiles: (s) => chem.canonical(s), detectionContext, logLevel: opts.logLevel });
      const { url, adminUrl } = await gw.start();
      const inline = gw.detection ? `, inline detectors: ${config.inline_defence?.detectors?.join(', ') ?? 'all that read inference events'}` : '';
      process.stderr.write(`mirrorwatch gateway: serving on ${url}, admin on ${adminUrl}, counters: ${config.counters.store}${inline}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await gw.close();
      process.stderr.write('mirrorwatch gateway: stopped\n');
    });
}
