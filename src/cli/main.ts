/**
 * `mirrorwatch` command line. Each command lives in src/cli/commands/<name>.ts
 * and exports `register(program)`; this file only assembles them.
 */
import { Command } from 'commander';
import { register as registerDetect } from './commands/detect.js';
import { register as registerEvaluate } from './commands/evaluate.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerIngest } from './commands/ingest.js';
import { register as registerQuarantine } from './commands/quarantine.js';
import { register as registerReference } from './commands/reference.js';
import { register as registerRules } from './commands/rules.js';
import { register as registerScan } from './commands/scan.js';
import { register as registerGateway } from './commands/gateway.js';
import { register as registerKeys } from './commands/keys.js';
import { register as registerSimulate } from './commands/simulate.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerUsers } from './commands/users.js';
import { register as registerIncident } from './commands/incident.js';
import { register as registerLab } from './commands/lab.js';
import { runMain } from './run.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mirrorwatch')
    .description('Find and stop the theft of machine-learning models.')
    .version('0.1.0')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false });
  registerIngest(program);
  registerQuarantine(program);
  registerReference(program);
  registerSimulate(program);
  registerScan(program);
  registerRules(program);
  registerDetect(program);
  registerEvaluate(program);
  registerDemo(program);
  registerGateway(program);
  registerKeys(program);
  registerServe(program);
  registerUsers(program);
  registerIncident(program);
  registerLab(program);
  return program;
}

await runMain(buildProgram(), process.argv);
