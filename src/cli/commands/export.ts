import { type Command, Option } from 'commander';
import { type CliIO, locationOf, modelOption, withDirs } from '../options';

/** `neurules export`: a model's tree in another format. */
export function registerExport(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('export')
      .description(
        "write a model's tree in another format: ml-cart's model JSON (numeric features only)",
      )
      .addOption(modelOption())
      .addOption(
        new Option('--format <name>', 'output format').choices(['ml-cart']).default('ml-cart'),
      )
      .option('--output <file>', 'write here instead of standard output'),
  ).action(async (o) => {
    const { exportModel } = await import('../../pipeline/export-model');
    const text = exportModel(locationOf(o), {
      format: o.format,
      ...(o.output !== undefined && { out: o.output as string }),
    });
    if (o.output === undefined) io.stdout.write(text);
  });
}
