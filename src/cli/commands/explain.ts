import type { Command } from 'commander';
import type { RecordSource } from '../../pipeline/explain-record';
import type { BackendChoice } from '../../teacher/backend-choice';
import {
  backendOption,
  type CliIO,
  given,
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
      .option(
        '--log <file>',
        'a decision log of the model (neurules serve --decision-log), with --line: explain a logged decision with the rules then in force',
      )
      .option('--line <n>', '1-based line of --log', wholeNumber('--line', 1))
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
    const { formatLogged } = await import('../../pipeline/explain-logged');
    // Every source option given goes through: explainRecord says which do not go together.
    const source = {
      ...given('record', o.record as string | undefined),
      ...given('input', o.input as string | undefined),
      ...given('row', o.row as number | undefined),
      ...given('log', o.log as string | undefined),
      ...given('line', o.line as number | undefined),
    } as RecordSource;
    const { record, explanation, logged } = await explainRecord(locationOf(o), source, {
      backend: o.backend as BackendChoice,
      ...(o.set !== undefined && { set: o.set as string[] }),
    });
    if (o.json) {
      io.stdout.write(
        JSON.stringify({ ...(logged && { logged }), record, ...explanation }, null, 2) + '\n',
      );
      return;
    }
    // A field the log redacted is explained as missing, and shown as what the log holds.
    const redacted = new Set(logged?.redacted);
    const shown = Object.entries(record)
      .map(([k, v]) => `${k}=${redacted.has(k) ? '[redacted]' : v === null ? 'missing' : v}`)
      .join(', ');
    const head = logged ? formatLogged(logged).join('\n') + '\n' : '';
    io.stdout.write(`${head}record:   ${shown}\n${formatExplanation(explanation)}\n`);
  });
}
