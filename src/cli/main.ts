import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { formatMetricsTable } from '../audit/metrics';
import { writeFileAtomic } from '../artifacts/write-atomic';
import { coerceRecord } from '../data/coerce-record';
import { readRecords } from '../data/read-records';
import type { DataRecord } from '../data/types';
import { explainDecision, formatExplanation } from '../engine/explain-decision';
import { formatIssue, isNeurulesError, NeurulesError } from '../errors';
import { buildModel } from '../pipeline/build-model';
import { openModel } from '../pipeline/open-model';
import { BACKEND_CHOICES, type BackendChoice } from '../teacher/backend';
import { buildReporter } from './progress';

/** Exit codes: 0 success, 1 unexpected failure, 2 bad input or usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

function wholeNumber(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min}, found '${value}'`);
    return n;
  };
}

function parseTypes(value: string, previous: Record<string, 'numeric' | 'categorical'> = {}) {
  for (const part of value.split(',')) {
    const [column, type] = part.split('=').map((s) => s.trim());
    if (!column || (type !== 'numeric' && type !== 'categorical')) {
      throw new InvalidArgumentError(`expected COLUMN=numeric|categorical, found '${part}'`);
    }
    previous[column] = type;
  }
  return previous;
}

const dirOptions = (cmd: Command): Command =>
  cmd
    .option('--models-dir <dir>', 'where models live', 'models')
    .option('--rules-dir <dir>', 'where rule sets live', 'rules');

/** The neurules command-line program (does not exit the process). */
export function createProgram(io: {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  isTTY: boolean;
}): Command {
  const program = new Command('neurules')
    .description(
      'Distil a TensorFlow.js network into readable json-rules-engine rules, and decide and explain with them.',
    )
    .version(require('../../package.json').version as string)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');

  dirOptions(
    program
      .command('build')
      .description(
        'train a network on a CSV file, distil it into rules, and write the model and rule set',
      )
      .requiredOption('--data <file.csv>', 'training data with a header row')
      .option('--target <column>', 'class column (default: the last column)')
      .option('--name <name>', "model name (default: the data file's base name)")
      .option(
        '--max-rules <n>',
        'most rules in the distilled rule set',
        wholeNumber('--max-rules', 1),
        16,
      )
      .option(
        '--seed <n>',
        'seed of the split, the network and distillation',
        wholeNumber('--seed', 0),
        42,
      )
      .addOption(
        new Option('--backend <name>', 'TensorFlow.js backend')
          .choices(BACKEND_CHOICES)
          .default('auto'),
      )
      .option(
        '--type <column=type,...>',
        'force column types (numeric or categorical)',
        parseTypes,
      ),
  ).action(async (o) => {
    const result = await buildModel({
      data: o.data,
      ...(o.target !== undefined && { target: o.target }),
      ...(o.name !== undefined && { name: o.name }),
      ...(o.type !== undefined && { types: o.type }),
      maxRules: o.maxRules,
      seed: o.seed,
      distill: {
        learner: o.learner,
        sampling: o.sampling,
        simplify: o.simplify,
        ...(o.samples !== undefined && { samples: o.samples }),
      },
      backend: o.backend as BackendChoice,
      modelsDir: o.modelsDir,
      rulesDir: o.rulesDir,
      onProgress: buildReporter(io.stderr, io.isTTY),
    });
    io.stdout.write(
      `\nmodel '${result.name}' (${result.seconds.toFixed(1)} s)\n${formatMetricsTable(result.metrics)}\n`,
    );
  });

  dirOptions(
    program
      .command('predict')
      .description(
        'decide every record of a CSV or JSONL file with the rules; one JSON line per record',
      )
      .requiredOption('--model <name>', 'model name')
      .requiredOption(
        '--input <file>',
        'records as .csv (header row) or .jsonl (one object per line)',
      )
      .option('--output <file>', 'write the JSON lines here instead of standard output'),
  ).action(async (o) => {
    const model = await openModel({ modelsDir: o.modelsDir, rulesDir: o.rulesDir, name: o.model });
    const input = readRecords(o.input, model.schema);
    const lines: string[] = [];
    const counts = new Map<string, number>();
    let labelled = 0;
    let correct = 0;
    for (let i = 0; i < input.records.length; i++) {
      const d = await model.engine.decide(input.records[i]!);
      lines.push(
        JSON.stringify({
          line: input.lines[i],
          class: d.class,
          ruleId: d.ruleId,
          probabilities: d.probabilities,
        }),
      );
      counts.set(d.class, (counts.get(d.class) ?? 0) + 1);
      const label = input.labels[i];
      if (label !== null && label !== undefined) {
        labelled++;
        if (model.schema.classes[label] === d.class) correct++;
      }
    }
    const text = lines.join('\n') + (lines.length ? '\n' : '');
    if (o.output) writeFileAtomic(o.output, text);
    else io.stdout.write(text);
    const perClass = [...counts].map(([c, n]) => `${c} ${n}`).join(', ');
    io.stderr.write(`predicted ${input.records.length} records (${perClass || 'none'})`);
    io.stderr.write(
      labelled
        ? `; accuracy ${(correct / labelled).toFixed(3)} on ${labelled} labelled records\n`
        : '\n',
    );
  });

  dirOptions(
    program
      .command('explain')
      .description(
        'explain one decision: the rule that fired, its conditions, and what the network says',
      )
      .requiredOption('--model <name>', 'model name')
      .option('--record <json>', 'the record as a JSON object')
      .option('--input <file>', 'a .csv or .jsonl file of records (with --row)')
      .option(
        '--row <n>',
        '1-based data row of --input (the header is not a row)',
        wholeNumber('--row', 1),
      )
      .option('--json', 'print the explanation as JSON')
      .addOption(
        new Option('--backend <name>', 'TensorFlow.js backend for the network')
          .choices(BACKEND_CHOICES)
          .default('auto'),
      ),
  ).action(async (o) => {
    if ((o.record === undefined) === (o.input === undefined)) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        'give exactly one of --record JSON or --input FILE --row N',
        { field: 'record' },
      );
    }
    if (o.input !== undefined && o.row === undefined) {
      throw new NeurulesError('INVALID_ARGUMENT', '--input needs --row N (1-based data row)', {
        field: 'row',
      });
    }
    const model = await openModel(
      { modelsDir: o.modelsDir, rulesDir: o.rulesDir, name: o.model },
      { teacher: true, backend: o.backend },
    );
    let record: DataRecord;
    if (o.record !== undefined) {
      let raw: unknown;
      try {
        raw = JSON.parse(o.record);
      } catch (e) {
        throw new NeurulesError(
          'INVALID_JSON',
          `--record is not valid JSON: ${(e as Error).message}`,
          { field: 'record' },
        );
      }
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
        throw new NeurulesError(
          'INVALID_JSON',
          '--record must be a JSON object of feature values',
          { field: 'record' },
        );
      }
      const coerced = coerceRecord(model.schema, raw as Record<string, unknown>);
      if (coerced.issues.length) throw NeurulesError.fromIssues(coerced.issues);
      record = coerced.record;
    } else {
      const input = readRecords(o.input, model.schema);
      const r = input.records[o.row - 1];
      if (!r) {
        throw new NeurulesError(
          'ROW_OUT_OF_RANGE',
          `--row ${o.row}: ${o.input} has ${input.records.length} data rows`,
          {
            file: o.input,
            field: 'row',
          },
        );
      }
      record = r;
    }
    const probabilities = model.teacher!.predictProbaFlat([record]);
    const explanation = await explainDecision(model.engine, record, probabilities);
    if (o.json) io.stdout.write(JSON.stringify({ record, ...explanation }, null, 2) + '\n');
    else {
      const shown = Object.entries(record)
        .map(([k, v]) => `${k}=${v === null ? 'missing' : v}`)
        .join(', ');
      io.stdout.write(`record:   ${shown}\n${formatExplanation(explanation)}\n`);
    }
    model.teacher!.dispose();
  });

  return program;
}

/** Run the CLI with `argv` (as in `process.argv`); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const io = {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stderr.isTTY),
  };
  const program = createProgram(io);
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    return reportError(e, io.stderr);
  }
}

/** Print an error for a person and choose the exit code. */
export function reportError(e: unknown, err: NodeJS.WritableStream): number {
  if (e instanceof CommanderError) {
    // commander has printed its message; help and version are not errors.
    return e.code === 'commander.helpDisplayed' ||
      e.code === 'commander.version' ||
      e.code === 'commander.help'
      ? EXIT.ok
      : EXIT.usage;
  }
  if (isNeurulesError(e)) {
    const issues = e.issues.length ? e.issues : [{ code: e.code, message: e.message }];
    for (const issue of issues) err.write(`error ${formatIssue(issue)}\n`);
    if (e.issues.length > 1) err.write(`${e.issues.length} problems\n`);
    return EXIT.usage;
  }
  err.write(`internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  return EXIT.failure;
}
