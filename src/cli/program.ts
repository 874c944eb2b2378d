import { Command } from 'commander';
import { registerAudit } from './commands/audit';
import { registerBuild } from './commands/build';
import { registerDiff } from './commands/diff';
import { registerExplain } from './commands/explain';
import { registerExport } from './commands/export';
import { registerHistory } from './commands/history';
import { registerPerceive } from './commands/perceive';
import { registerPredict } from './commands/predict';
import { registerReplay } from './commands/replay';
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
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(codedUsageError(s)),
    })
    .showHelpAfterError('(run with --help for usage)');
  registerBuild(program, io);
  registerPredict(program, io);
  registerPerceive(program, io);
  registerExplain(program, io);
  registerServe(program, io);
  registerExport(program, io);
  registerRules(program, io);
  registerAudit(program, io);
  registerReplay(program, io);
  registerStudio(program, io);
  registerHistory(program, io);
  registerDiff(program, io);
  return program;
}

/**
 * A usage error of commander's (`error: option '--format <name>' argument 'xml' is
 * invalid. Allowed choices are ...`) in the form of every other error: `error
 * INVALID_ARGUMENT [--format] ...`, the option as its place, commander's words kept.
 */
export function codedUsageError(text: string): string {
  const message = text.replace(/^error: /, '');
  const option = /'(--[\w-]+)/.exec(message)?.[1];
  return `error INVALID_ARGUMENT ${option ? `[${option}] ` : ''}${message}`;
}
