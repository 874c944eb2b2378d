import type { Command } from 'commander';
import { CheckFailed } from '../check-failed';
import { type CliIO, locationOf, modelOption, withDirs } from '../options';

/** `neurules replay`: re-decide logged decisions with the rules then in force. */
export function registerReplay(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('replay')
      .description(
        'replay decision logs: re-decide every logged decision with the archived rule set its line names, and list those that do not reproduce; exit 1 unless all do',
      )
      .addOption(modelOption())
      .requiredOption(
        '--log <file...>',
        'decision logs of the model (neurules serve --decision-log), read as one (a log per replica)',
      )
      .option('--json', 'print the counts and every line not reproduced as JSON (same exit codes)'),
  ).action(async (o) => {
    const { replayDecisions } = await import('../../pipeline/replay-decisions');
    const { allReproduced, formatReplay, replaySummary } = await import('../../audit/replay-log');
    const report = await replayDecisions(locationOf(o), o.log as string[]);
    if (o.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else for (const line of formatReplay(report)) io.stdout.write(`${line}\n`);
    if (!allReproduced(report)) throw new CheckFailed(replaySummary(report));
  });
}
