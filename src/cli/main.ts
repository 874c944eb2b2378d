import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { formatMetricsTable } from '../audit/metrics';
import { gatherAudit } from '../audit/gather-audit';
import { formatImpactTable, overrideImpact } from '../audit/override-impact';
import { readDecisionLog } from '../audit/read-decision-log';
import { renderHtml } from '../report/render-html';
import { renderMarkdown } from '../report/render-markdown';
import { coerceRecord } from '../data/coerce-record';
import { readRecords } from '../data/read-records';
import type { DataRecord } from '../data/types';
import { explainDecision, formatExplanation } from '../engine/explain-decision';
import { loadModelFiles, loadRuleSet, modelPaths } from '../artifacts/model-store';
import type { ModelLocation } from '../artifacts/types';
import { writeFileAtomic } from '../files/write-atomic';
import { toMlCartModel } from '../distill/export-ml-cart';
import { comparePlaces, formatIssue, isNeurulesError, NeurulesError } from '../errors';
import { lintOverrides } from '../overrides/lint-overrides';
import { safeLoadOverrides } from '../overrides/merge-overrides';
import { buildModel } from '../pipeline/build-model';
import { loadModelData } from '../pipeline/open-dataset';
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

/** A commander parser for `KEY=VALUE,...` lists whose values are one of `allowed`. */
function keyValues<V extends string>(what: string, allowed: readonly V[]) {
  return (value: string, previous: Record<string, V> = {}): Record<string, V> => {
    for (const part of value.split(',')) {
      const [key, v] = part.split('=').map((s) => s.trim());
      if (!key || !allowed.includes(v as V)) {
        throw new InvalidArgumentError(`expected ${what}=${allowed.join('|')}, found '${part}'`);
      }
      previous[key] = v as V;
    }
    return previous;
  };
}

const parseTypes = keyValues('COLUMN', ['numeric', 'categorical'] as const);
const parseMonotone = keyValues('FEATURE', ['increasing', 'decreasing'] as const);

function parseList(value: string, previous: string[] = []): string[] {
  for (const part of value.split(',')) {
    const name = part.trim();
    if (!name) throw new InvalidArgumentError(`expected FEATURE,FEATURE,..., found '${value}'`);
    previous.push(name);
  }
  return previous;
}

const dirOptions = (cmd: Command): Command =>
  cmd
    .option('--models-dir <dir>', 'where models live', 'models')
    .option('--rules-dir <dir>', 'where rule sets live', 'rules');

/** `--backend`: which TensorFlow.js backend loads the network. */
const backendOption = (what: string): Option =>
  new Option('--backend <name>', what).choices(BACKEND_CHOICES).default('auto');

/** What `--data` means where a model is measured. */
const MEASURE_ON =
  "a labelled .csv or .jsonl file to measure on (default: the build's held-out test split)";

/** The model a command names, from its `--model`, `--models-dir` and `--rules-dir`. */
const locationOf = (o: { modelsDir: string; rulesDir: string; model: string }): ModelLocation => ({
  modelsDir: o.modelsDir,
  rulesDir: o.rulesDir,
  name: o.model,
});

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
      .addOption(backendOption('TensorFlow.js backend'))
      .option('--type <column=type,...>', 'force column types (numeric or categorical)', parseTypes)
      .option(
        '--immutable <feature,...>',
        'mark features immutable in the schema (counterfactuals never change them)',
        parseList,
      )
      .option(
        '--monotone <feature=increasing|decreasing,...>',
        'mark numeric features monotone in the schema (counterfactuals only move them this way)',
        parseMonotone,
      ),
  ).action(async (o) => {
    const result = await buildModel({
      data: o.data,
      ...(o.target !== undefined && { target: o.target }),
      ...(o.name !== undefined && { name: o.name }),
      ...(o.type !== undefined && { types: o.type }),
      ...(o.immutable !== undefined && { immutable: o.immutable }),
      ...(o.monotone !== undefined && { monotone: o.monotone }),
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
    const model = await openModel(locationOf(o), { engine: o.engine });
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
      .addOption(backendOption('TensorFlow.js backend for the network')),
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
    const model = await openModel(locationOf(o), { teacher: true, backend: o.backend });
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
    const explanation = await explainDecision(model.engine, record, probabilities, {
      schema: model.schema,
    });
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
      .addOption(backendOption('TensorFlow.js backend for the network')),
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
    const { schema, tree } = loadModelFiles(locationOf(o));
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
    const model = await openModel(locationOf(o));
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

  dirOptions(
    rules
      .command('impact')
      .description(
        'what each override does on held-out data: records it decides, decisions it changes, accuracy and fidelity',
      )
      .requiredOption('--model <name>', 'model name')
      .option('--data <file>', MEASURE_ON)
      .option('--json', 'print the impact as JSON')
      .addOption(backendOption('TensorFlow.js backend for the network')),
  ).action(async (o) => {
    const loc = locationOf(o);
    // Read the data first: a missing or changed file fails before the network loads.
    const data = loadModelData(loc, o.data !== undefined ? { data: o.data } : {});
    const model = await openModel(loc, { teacher: true, backend: o.backend });
    try {
      const impact = overrideImpact({
        classes: model.schema.classes,
        overrides: model.overrides,
        merged: model.ruleSet,
        distilled: model.distilled,
        records: data.test.records,
        labels: data.test.labels,
        network: model.teacher!.predict(data.test.records),
      });
      if (o.json) {
        const { file, source, description } = data;
        const out = {
          model: o.model,
          ruleSet: model.ruleSetHash,
          data: { file, source, description },
          ...impact,
        };
        io.stdout.write(JSON.stringify(out, null, 2) + '\n');
      } else {
        io.stdout.write(
          `model '${o.model}', ${model.overrides.length} overrides; records: ${data.description}\n\n` +
            formatImpactTable(impact, {
              records: data.source === 'split' ? 'held-out records' : `records of ${data.file}`,
            }) +
            '\n',
        );
      }
    } finally {
      model.teacher!.dispose();
    }
  });

  dirOptions(
    rules
      .command('lint')
      .description(
        'check the override files (every problem as FILE:LINE:COLUMN CODE message), then find conflicting, shadowed, dead and redundant overrides; exit 2 on errors or conflicts',
      )
      .requiredOption('--model <name>', 'model name')
      .option(
        '--data <file>',
        "records to judge dead overrides on (default: the build's training split)",
      )
      .option('--json', 'print { ok, problems, findings, ... } as JSON (same exit codes)'),
  ).action(async (o) => {
    const loc = locationOf(o);
    const { schema } = loadModelFiles(loc);
    const dir = path.join(modelPaths(loc).rulesDir, 'overrides');
    const loaded = safeLoadOverrides(dir, schema);
    if (!loaded.ok) {
      const ordered = [...loaded.issues].sort(comparePlaces);
      if (o.json)
        io.stdout.write(
          JSON.stringify({ ok: false, dir, problems: ordered, findings: [] }, null, 2) + '\n',
        );
      else for (const issue of ordered) io.stdout.write(`${formatIssue(issue)}\n`);
      throw new NeurulesError(
        'INVALID_OVERRIDE',
        `rules lint: ${loaded.issues.length} problem(s) in ${dir}; no override is applied until all are fixed`,
        { file: dir },
      );
    }
    const data = loadModelData(loc, o.data !== undefined ? { data: o.data } : {});
    const records = data.source === 'split' ? data.train.records : data.test.records;
    const findings = lintOverrides({
      overrides: loaded.value,
      distilled: loadRuleSet(loc),
      schema,
      records,
      recordsLabel: data.source === 'split' ? 'training records' : `records of ${data.file}`,
    });
    const errors = findings.filter((f) => f.severity === 'error').length;
    if (o.json) {
      const judgedOn = { records: records.length, source: data.source, file: data.file };
      const out = {
        ok: errors === 0,
        dir,
        overrides: loaded.value.length,
        judgedOn,
        problems: [],
        findings,
      };
      io.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else {
      for (const f of findings) {
        io.stdout.write(`${formatIssue(f)}\n`);
        if (f.example) io.stdout.write(`  example: ${JSON.stringify(f.example)}\n`);
      }
    }
    if (!o.json)
      io.stdout.write(
        `rules lint: ${loaded.value.length} overrides in ${dir}; ${errors} error(s), ${findings.length - errors} warning(s); judged on ${records.length} records (${data.source === 'split' ? 'training split' : data.file})\n`,
      );
    if (errors > 0)
      throw new NeurulesError('OVERRIDE_CONFLICT', `rules lint: ${errors} conflict(s)`, {
        file: dir,
      });
  });

  dirOptions(
    program
      .command('audit')
      .description(
        'write an audit report of a model: quality with confidence intervals, every rule, the tree, override impact, drift from a decision log',
      )
      .requiredOption('--model <name>', 'model name')
      .requiredOption('--out <file>', 'where to write the report')
      .option('--data <file>', MEASURE_ON)
      .option('--log <file>', "the service's decision log (neurules serve --decision-log)")
      .addOption(
        new Option(
          '--format <name>',
          'html (one self-contained file), md (Markdown) or json (the report data)',
        ).choices(['html', 'md', 'json']),
      )
      .addOption(backendOption('TensorFlow.js backend for the network')),
  ).action(async (o) => {
    const loc = locationOf(o);
    const format: string =
      o.format ?? (/\.md$/i.test(o.out) ? 'md' : /\.json$/i.test(o.out) ? 'json' : 'html');
    const data = loadModelData(loc, o.data !== undefined ? { data: o.data } : {});
    // Training shares for drift: the build's training split when it can be rebuilt.
    let training: { records: DataRecord[]; description: string } | undefined;
    if (o.log !== undefined) {
      const split = data.source === 'split' ? data : safeLoad(() => loadModelData(loc));
      if (split) training = { records: split.train.records, description: 'training split' };
    }
    const model = await openModel(loc, { teacher: true, backend: o.backend });
    try {
      const report = gatherAudit({
        model,
        data,
        ...(training && { training }),
        ...(o.log !== undefined && { log: readDecisionLog(o.log, model.ruleSetHash) }),
      });
      const text =
        format === 'md'
          ? renderMarkdown(report)
          : format === 'json'
            ? JSON.stringify(report, null, 2) + '\n'
            : renderHtml(report);
      writeFileAtomic(o.out, text);
      const f = report.quality.fidelity;
      io.stderr.write(
        `wrote ${o.out} (${format}, ${Math.round(Buffer.byteLength(text) / 1024)} KB): ${report.rules.length} rules on ${data.description}; ` +
          `fidelity ${f.value.toFixed(3)} (95% CI ${f.low.toFixed(3)}–${f.high.toFixed(3)}), rules accuracy ${report.quality.rulesAccuracy.toFixed(3)}, network accuracy ${report.quality.networkAccuracy.toFixed(3)}` +
          (report.drift
            ? `; ${report.drift.decisions} logged decisions, ${report.drift.rules.filter((r) => r.drifted).length} rule(s) drifted`
            : '') +
          '\n',
      );
    } finally {
      model.teacher!.dispose();
    }
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

/** `f()`, or undefined when it throws a NeurulesError (an optional extra that may be absent). */
function safeLoad<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (isNeurulesError(e)) return undefined;
    throw e;
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
