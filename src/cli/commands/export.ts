import { type Command, Option } from 'commander';
import { type CliIO, locationOf, modelOption, withDirs } from '../options';

/** `neurules export`: a model in another format. */
export function registerExport(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('export')
      .description(
        "write a model in another format: ml-cart's model JSON of the tree, one SQL query that decides a table's records as the rule set does, or the rule set as a DMN decision table",
      )
      .addOption(modelOption())
      .addOption(
        new Option('--format <name>', 'output format')
          .choices(['ml-cart', 'sql', 'dmn'])
          .default('ml-cart'),
      )
      .addOption(
        new Option('--dialect <name>', 'sql: the SQL dialect (default duckdb)').choices([
          'duckdb',
          'postgres',
          'sqlite',
          'ansi',
          'clickhouse',
        ]),
      )
      .option('--table <name>', 'sql: the table of records the query reads (default records)')
      .addOption(
        new Option(
          '--feel-names <form>',
          "dmn: feature names in FEEL as the DMN standard writes them, or in backticks as Camunda's FEEL engine reads them (default standard)",
        ).choices(['standard', 'backtick']),
      )
      .option('--output <file>', 'write here instead of standard output'),
  ).action(async (o) => {
    const { exportModel } = await import('../../pipeline/export-model');
    const text = await exportModel(locationOf(o), {
      format: o.format,
      ...(o.dialect !== undefined && { dialect: o.dialect as string }),
      ...(o.table !== undefined && { table: o.table as string }),
      ...(o.feelNames !== undefined && { feelNames: o.feelNames as string }),
      ...(o.output !== undefined && { out: o.output as string }),
    });
    if (o.output === undefined) io.stdout.write(text);
  });
}
