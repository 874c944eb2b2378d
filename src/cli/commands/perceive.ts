import type { Command } from 'commander';
import { formatIssue } from '../../errors';
import type { BackendChoice } from '../../teacher/backend-choice';
import { backendOption, type CliIO, locationOf, modelOption, withDirs } from '../options';

/** `neurules perceive`: what a model's perception networks read of every record of a file. */
export function registerPerceive(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('perceive')
      .description(
        "write what a model's perception networks read of every record (each concept's value and confidence, and the other facts the rules read), for a warehouse to run the SQL or DMN export on",
      )
      .addOption(modelOption())
      .requiredOption('--input <file>', 'raw records as .csv (header row) or .jsonl')
      .option(
        '--output <file>',
        'write here instead of standard output: .csv, .parquet, else JSON lines',
      )
      .option('--strict', 'stop at the first bad record (default: skip it and report it)')
      .addOption(backendOption('TensorFlow.js backend for the perception networks')),
  ).action(async (o) => {
    const { perceiveModel } = await import('../../pipeline/perceive-model');
    const started = Date.now();
    const summary = await perceiveModel(locationOf(o), {
      input: o.input,
      output: o.output ?? io.stdout,
      strict: Boolean(o.strict),
      backend: o.backend as BackendChoice,
    });
    for (const issue of summary.problems) io.stderr.write(`rejected ${formatIssue(issue)}\n`);
    io.stderr.write(
      `perceived ${summary.records} records in ${((Date.now() - started) / 1000).toFixed(1)} s; columns line, ${summary.columns.join(', ')}` +
        (summary.rejected ? `; rejected ${summary.rejected} bad records\n` : '\n'),
    );
  });
}
