import { Command } from 'commander';
import { registerAudit } from './commands/audit';
import { registerBuild } from './commands/build';
import { registerExplain } from './commands/explain';
import { registerExport } from './commands/export';
import { registerPredict } from './commands/predict';
import { registerRules } from './commands/rules';
import { registerServe } from './commands/serve';
import { registerStudio } from './commands/studio';
import type { CliIO } from './options';

/**
 * The neurules command-line program (does not exit the process). Declaring the commands
 * loads no stage: each command imports what it runs when it runs, so `--help`,
 * `--version` and rule-only commands start without TensorFlow.js.
 */
export function createProgram(io: CliIO): Command {
  const program = new Command('neurules')
    .description(
      'Distil a TensorFlow.js network into readable json-rules-engine rules, and decide and explain with them.',
    )
    .version(require('../../package.json').version as string)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  registerBuild(program, io);
  registerPredict(program, io);
  registerExplain(program, io);
  registerServe(program, io);
  registerExport(program, io);
  registerRules(program, io);
  registerAudit(program, io);
  registerStudio(program, io);
  return program;
}
