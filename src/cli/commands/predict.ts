import type { Command } from 'commander';
import { formatIssue } from '../../errors';
import type { EngineName } from '../../pipeline/predict-file';
import { type CliIO, engineOption, locationOf, modelOption, withDirs } from '../options';

/** `neurules predict`: decide every record of a file; one JSON line per record. */
export function registerPredict(program: Command, io: CliIO): void {
  withDirs(
    program
      .command('predict')
      .description(
        'decide every record of a CSV or JSONL file with the rules; one JSON line per record',
      )
      .addOption(modelOption())
      .requiredOption(
        '--input <file>',
        'records as .csv (header row) or .jsonl (one object per line)',
      )
      .option('--output <file>', 'write the JSON lines here instead of standard output')
      .addOption(
        engineOption('evaluator: compiled, or json-rules-engine itself (same decisions, slower)'),
      )
      .option('--strict', 'stop at the first bad record (default: skip it and report it)'),
  ).action(async (o) => {
    const { predictModel } = await import('../../pipeline/predict-file');
    const started = Date.now();
    const bar = io.isTTY ? progressBar(io.stderr) : undefined;
    const summary = await predictModel(locationOf(o), {
      engine: o.engine as EngineName,
      input: o.input,
      output: o.output ?? io.stdout,
      strict: Boolean(o.strict),
      ...(bar && { onProgress: bar }),
    });
    if (bar) io.stderr.write('\n');
    for (const issue of summary.problems) io.stderr.write(`rejected ${formatIssue(issue)}\n`);
    const perClass = Object.entries(summary.classes)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    const seconds = (Date.now() - started) / 1000;
    io.stderr.write(
      `predicted ${summary.records} records (${perClass}) in ${seconds.toFixed(1)} s with ${summary.engine}; rule set ${summary.ruleSetHash.slice(0, 12)}` +
        (summary.rejected ? `; rejected ${summary.rejected} bad records` : '') +
        `; peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MB` +
        (summary.labelled
          ? `; accuracy ${(summary.correct / summary.labelled).toFixed(3)} on ${summary.labelled} labelled records\n`
          : '\n'),
    );
  });
}

/** A redrawn progress bar on a terminal. */
function progressBar(out: NodeJS.WritableStream) {
  return (p: { records: number; bytes: number; totalBytes: number }): void => {
    const share = p.totalBytes ? p.bytes / p.totalBytes : 1;
    const width = 24;
    const done = Math.round(share * width);
    out.write(
      `\rpredicting [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(share * 100).toFixed(0)}%  ${p.records} records`,
    );
  };
}
