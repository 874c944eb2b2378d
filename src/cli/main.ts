import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { formatMetricsTable } from '../audit/metrics';
import { coerceRecord } from '../data/coerce-record';
import { readRecords } from '../data/read-records';
import type { DataRecord } from '../data/types';
import { explainDecision, formatExplanation } from '../engine/explain-decision';
import { loadModelFiles } from '../artifacts/model-store';
import { writeFileAtomic } from '../artifacts/write-atomic';
import { toMlCartModel } from '../distill/export-ml-cart';
import { formatIssue, isNeurulesError, NeurulesError } from '../errors';
import { buildModel } from '../pipeline/build-model';
import { openModel } from '../pipeline/open-model';
import { predictFile } from '../pipeline/predict-file';
import { BACKEND_CHOICES, type BackendChoice } from '../teacher/backend';
import { createApp } from '../server/create-app';
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
      .option('--output <file>', 'write the JSON lines here instead of standard output')
      .addOption(
        new Option(
          '--engine <name>',
          'evaluator: compiled, or json-rules-engine itself (same decisions, slower)',
        )
          .choices(['compiled', 'json-rules-engine'])
          .default('compiled'),
      )
      .option('--strict', 'stop at the first bad record (default: skip it and report it)'),
  ).action(async (o) => {
    const model = await openModel(
      { modelsDir: o.modelsDir, rulesDir: o.rulesDir, name: o.model },
      { engine: o.engine },
    );
    const started = Date.now();
    const bar = io.isTTY
      ? (p: { records: number; bytes: number; totalBytes: number }) => {
          const share = p.totalBytes ? p.bytes / p.totalBytes : 1;
          const width = 24;
          const done = Math.round(share * width);
          io.stderr.write(
            `\rpredicting [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(share * 100).toFixed(0)}%  ${p.records} records`,
          );
        }
      : undefined;
    const summary = await predictFile({
      schema: model.schema,
      decider: model.compiled ?? model.engine,
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
      `predicted ${summary.records} records (${perClass}) in ${seconds.toFixed(1)} s with ${o.engine}; rule set ${model.ruleSetHash.slice(0, 12)}` +
        (summary.rejected ? `; rejected ${summary.rejected} bad records` : '') +
        `; peak memory ${Math.round(process.resourceUsage().maxRSS / 1024)} MB` +
        (summary.labelled
          ? `; accuracy ${(summary.correct / summary.labelled).toFixed(3)} on ${summary.labelled} labelled records\n`
          : '\n'),
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

  dirOptions(
    program
      .command('serve')
      .description(
        'serve the model over HTTP (fastify): POST /v1/predict, GET /v1/model, /v1/rules, /healthz, /metrics',
      )
      .requiredOption('--model <name>', 'model name')
      .option('--port <n>', 'port', wholeNumber('--port', 0), 8080)
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .addOption(
        new Option('--engine <name>', 'evaluator')
          .choices(['compiled', 'json-rules-engine'])
          .default('compiled'),
      )
      .option('--decision-log <file>', 'append one JSON line per decision to this file')
      .option(
        '--redact <fields>',
        'comma-separated fields written as "[redacted]" in the decision log',
      )
      .option(
        '--body-limit <bytes>',
        'largest request body',
        wholeNumber('--body-limit', 1),
        1024 * 1024,
      )
      .option('--no-network', 'do not load the network (explanations then lack its probabilities)')
      .addOption(
        new Option('--backend <name>', 'TensorFlow.js backend for the network')
          .choices(BACKEND_CHOICES)
          .default('auto'),
      ),
  ).action(async (o) => {
    const adminToken = process.env.NEURULES_ADMIN_TOKEN;
    const app = await createApp({
      model: o.model,
      modelsDir: o.modelsDir,
      rulesDir: o.rulesDir,
      engine: o.engine,
      network: o.network,
      backend: o.backend,
      bodyLimit: o.bodyLimit,
      ...(adminToken && { adminToken }),
      ...(o.decisionLog && {
        decisionLog: { file: o.decisionLog, redact: o.redact ? String(o.redact).split(',') : [] },
      }),
    });
    const address = await app.listen({ port: o.port, host: o.host });
    io.stderr.write(
      `serving model '${o.model}' (rule set ${app.ruleSetHash().slice(0, 12)}, ${o.engine}) on ${address}\n`,
    );
    if (!adminToken)
      io.stderr.write('POST /v1/admin/reload is off: set NEURULES_ADMIN_TOKEN to enable it\n');
    await new Promise<void>((resolve) => {
      process.on('SIGHUP', () => {
        void app
          .reload()
          .then((r) =>
            io.stderr.write(
              r.ok
                ? `reloaded: rule set ${r.ruleSet.slice(0, 12)}\n`
                : `reload refused, old rule set keeps serving:\n${r.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}\n`,
            ),
          );
      });
      const stop = (signal: string) => {
        io.stderr.write(`${signal}: finishing in-flight requests\n`);
        void app.close().then(() => resolve());
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
  });

  dirOptions(
    program
      .command('export')
      .description(
        "write a model's tree in another format: ml-cart's model JSON (numeric features only)",
      )
      .requiredOption('--model <name>', 'model name')
      .addOption(
        new Option('--format <name>', 'output format').choices(['ml-cart']).default('ml-cart'),
      )
      .option('--output <file>', 'write here instead of standard output'),
  ).action(async (o) => {
    const { schema, tree } = loadModelFiles({
      modelsDir: o.modelsDir,
      rulesDir: o.rulesDir,
      name: o.model,
    });
    const text = JSON.stringify(toMlCartModel(tree, schema)) + '\n';
    if (o.output) writeFileAtomic(o.output, text);
    else io.stdout.write(text);
  });

  const rules = program
    .command('rules')
    .description('expert override rules (RULES_DIR/NAME/overrides/*.yaml)');
  dirOptions(
    rules
      .command('test')
      .description("run every override's examples through the merged rule set; exit 2 on a failure")
      .requiredOption('--model <name>', 'model name'),
  ).action(async (o) => {
    const model = await openModel({ modelsDir: o.modelsDir, rulesDir: o.rulesDir, name: o.model });
    const decider = model.compiled ?? model.engine;
    let failed = 0;
    let run = 0;
    for (const override of model.overrides) {
      for (const example of override.examples) {
        run++;
        const d = await decider.decide(example.input);
        const ok = d.class === example.expect;
        if (!ok) failed++;
        io.stdout.write(
          `${ok ? 'pass' : 'FAIL'}  ${override.id}  ${override.file}:${example.line}  expected ${example.expect}, got ${d.class} (rule ${d.ruleId})\n`,
        );
      }
    }
    io.stdout.write(
      `rules test: ${run - failed} passed, ${failed} failed (${model.overrides.length} overrides)\n`,
    );
    if (failed > 0)
      throw new NeurulesError('INVALID_EXAMPLE', `${failed} override example(s) failed`, {
        field: 'examples',
      });
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
