import type { Command } from 'commander';
import { constants } from 'node:os';
import { formatIssue, NeurulesError } from '../../errors';
import { ENGINE_NAMES, type EngineName } from '../../predict/engines';
import type { BackendChoice } from '../../teacher/backend-choice';
import {
  backendOption,
  type CliIO,
  engineOption,
  locationOf,
  modelOption,
  repeatable,
  wholeNumber,
  withDirs,
} from '../options';

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
        'records as .csv (header row), .jsonl (one object per line) or, with --engine duckdb, .parquet',
      )
      .option(
        '--output <file>',
        'write the decisions here instead of standard output: .csv, .parquet, else JSON lines (a FIFO, a device or /dev/stdout is written into, never replaced)',
      )
      .addOption(
        engineOption(
          'evaluator: compiled; json-rules-engine itself (same decisions, slower); duckdb (same decisions, CSV and Parquet files on every core)',
          ENGINE_NAMES,
        ),
      )
      .option(
        '--threads <n>',
        'with --engine duckdb: threads (default: every core)',
        wholeNumber('--threads', 1),
      )
      .option('--strict', 'stop at the first bad record (default: skip it and report it)')
      .addOption(
        backendOption(
          'a model with perception concepts: TensorFlow.js backend for its perception networks',
        ),
      )
      .option(
        '--set <concept=value>',
        'a model with perception concepts: decide every record with this concept fixed, as a person correcting what was perceived (repeatable)',
        repeatable,
      ),
  ).action(async (o) => {
    if (o.threads !== undefined && o.engine !== 'duckdb') {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `--threads applies to --engine duckdb, not to --engine ${o.engine}`,
        { field: 'threads' },
      );
    }
    const { predictModel } = await import('../../pipeline/predict-model');
    const started = Date.now();
    const bar = io.isTTY ? progressBar(io.stderr) : undefined;
    const predict = (signal?: AbortSignal) =>
      predictModel(locationOf(o), {
        engine: o.engine as EngineName,
        input: o.input,
        output: o.output ?? io.stdout,
        strict: Boolean(o.strict),
        ...(o.set !== undefined && { set: o.set as string[] }),
        backend: o.backend as BackendChoice,
        ...(o.threads !== undefined && { threads: o.threads as number }),
        onNote: (note: string) => io.stderr.write(`note: ${note}\n`),
        ...(bar && { onProgress: bar }),
        ...(signal && { signal }),
      });
    // A named output may have a temporary file to remove (a regular file's, or a Parquet
    // file's on its way into a FIFO) and a descriptor to close; on standard output a signal
    // ends the process as it always does.
    const summary = o.output !== undefined ? await onSignals(predict) : await predict();
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

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Run `task` with a signal that SIGINT and SIGTERM abort, so it can remove its temporary
 * file; once it has settled, the process ends as the signal would have ended it (the
 * signal is raised again, so a shell sees exit status 130 or 143), whether the task
 * failed or finished. The handlers are removed when the task settles.
 */
async function onSignals<T>(task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let received: (typeof SIGNALS)[number] | undefined;
  const handlers = SIGNALS.map((name) => {
    const handler = (): void => {
      received ??= name;
      controller.abort();
    };
    process.once(name, handler);
    return [name, handler] as const;
  });
  try {
    return await task(controller.signal);
  } finally {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
    if (received !== undefined) {
      // With no listener left the signal's default action ends the process; if some other
      // code listens for it, end with the conventional status instead.
      if (process.listenerCount(received) === 0) process.kill(process.pid, received);
      process.exit(128 + constants.signals[received]);
    }
  }
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
