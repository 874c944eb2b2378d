import type { Command } from 'commander';
import type { RecordSource } from '../../pipeline/explain-record';
import type { BackendChoice } from '../../teacher/backend-choice';
import {
  backendOption,
  type CliIO,
  locationOf,
  modelOption,
  repeatable,
  wholeNumber,
  withDirs,
} from '../options';

/** `neurules explain`: one decision, its rule, the network's opinion, reasons and counterfactuals. */
export function registerExplain(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('explain')
      .description(
        'explain one decision: the rule that fired, its conditions, and what the network says',
      )
      .addOption(modelOption())
      .option('--record <json>', 'the record as a JSON object')
      .option('--input <file>', 'a .csv or .jsonl file of records (with --row)')
      .option(
        '--row <n>',
        '1-based data row of --input (the header is not a row)',
        wholeNumber('--row', 1),
      )
      .option('--json', 'print the explanation as JSON')
      .option(
        '--set <concept=value>',
        'a model with perception concepts: decide with this concept fixed, as a person correcting what was perceived (repeatable)',
        repeatable,
      )
      .addOption(backendOption()),
  ).action(async (o) => {
    const { explainRecord } = await import('../../pipeline/explain-record');
    const { formatExplanation } = await import('../../engine/explain-decision');
    const source = (
      o.record !== undefined ? { record: o.record } : { input: o.input, row: o.row }
    ) as RecordSource;
    const { record, explanation } = await explainRecord(locationOf(o), source, {
      backend: o.backend as BackendChoice,
      ...(o.set !== undefined && { set: o.set as string[] }),
    });
    if (o.json) {
      io.stdout.write(JSON.stringify({ record, ...explanation }, null, 2) + '\n');
      return;
    }
    const shown = Object.entries(record)
      .map(([k, v]) => `${k}=${v === null ? 'missing' : v}`)
      .join(', ');
    io.stdout.write(`record:   ${shown}\n${formatExplanation(explanation)}\n`);
  });
}
