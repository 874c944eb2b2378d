import type { Command } from 'commander';
import { type CliIO, locationOf, modelOption, withDirs } from '../options';

/** `neurules history`: every rule set that came into force, from the model's archive. */
export function registerHistory(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('history')
      .description(
        'list every rule set that came into force (build, rules accept, rules promote, studio save, or served after a hand edit): time, hash, what made it, author and reason, held-out figures; each archived rule set is checked against its hash',
      )
      .addOption(modelOption())
      .option('--json', 'print the history as JSON'),
  ).action(async (o) => {
    const { historyReport, formatHistory } = await import('../../pipeline/model-history');
    const report = await historyReport(locationOf(o));
    if (o.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else io.stdout.write(formatHistory(report).join('\n') + '\n');
  });
}
