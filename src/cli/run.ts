import type { Command } from 'commander';
import { isMwError } from '../errors/index.js';

/** Parse and run; errors become one clear line (code and message) and a non-zero exit. */
export async function runMain(program: Command, argv: string[]): Promise<void> {
  // `mirrorwatch ... | head` closes the pipe early: that is the reader's choice, not a crash.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  // Every command, not only the root: a usage error in `ingest` or `scan` must exit 2 too.
  const override = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const err = e as { code?: string; exitCode?: number };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      // help and version exit 0; usage errors have already been printed by commander.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isMwError(e)) {
      process.stderr.write(`mirrorwatch: ${e.code}: ${e.message}\n`);
      process.exitCode = e.status >= 500 ? 1 : 2;
      return;
    }
    process.stderr.write(`mirrorwatch: MW_ERR_INTERNAL: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
