import type { Command } from 'commander';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CommandContext, hintFor } from '../../src/cli/hints';
import { createProgram } from '../../src/cli/main';
import { ERROR_CATALOGUE, type ErrorCode, type Issue } from '../../src/errors';
import { GERMAN_CREDIT } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';
import { sink } from '../helpers/sink';

const program = createProgram({ stdout: sink(), stderr: sink(), isTTY: false });

/** A command's context as the CLI builds it: its path and the long options it declares. */
function context(name: string): CommandContext {
  let command: Command | undefined = program;
  for (const word of name.split(' ')) command = command?.commands.find((c) => c.name() === word);
  if (!command) throw new Error(`no command ${name}`);
  return {
    name,
    options: command.options.map((o) => o.long).filter((l): l is string => l !== undefined),
  };
}

const COMMANDS = [
  'predict',
  'serve',
  'export',
  'explain',
  'audit',
  'rules test',
  'rules impact',
  'rules lint',
  'rules accept',
  'studio',
  'build',
] as const;
type CommandName = (typeof COMMANDS)[number];

const ENGINE_FORMATS = /^--engine duckdb reads \.csv and \.parquet files; --engine compiled/;
const RUN_WITH_ENGINE = /^the compiled evaluator refuses this rule set; --engine json-rules-engine/;
const PREDICT_OR_SERVE =
  /^the compiled evaluator refuses this rule set; `neurules predict` and `neurules serve`/;
const EXPORT_REGIONS = /^the SQL and DMN exports state each rule by its exact region/;

/** The rule-set refusals: the compiled evaluator's (or the region analysis') words. */
function ruleSetHint(command: CommandName): RegExp | undefined {
  if (command === 'predict' || command === 'serve') return RUN_WITH_ENGINE;
  if (command === 'export') return EXPORT_REGIONS;
  if (['explain', 'audit', 'rules test', 'rules impact'].includes(command)) return PREDICT_OR_SERVE;
  return undefined; // the region analysis may be the one refusing: nothing sure to add
}

/**
 * The hint each UNSUPPORTED_* code gets, per command and per the issue's place. Every
 * UNSUPPORTED_* code of the catalogue must be here (a new one fails the test until it is).
 */
const EXPECTED: Record<string, (command: CommandName, issue: Issue) => RegExp | undefined> = {
  // predict names the engine as the field for an input the engine does not read (Parquet
  // with the compiled engine, JSON lines with DuckDB); a Parquet file DuckDB cannot read,
  // or a FIFO without a telling extension, has no field: nothing to add.
  UNSUPPORTED_FORMAT: (command, issue) =>
    command === 'predict' && issue.field === 'engine' ? ENGINE_FORMATS : undefined,
  // Only `export --format dmn` raises it.
  UNSUPPORTED_NAME: (command) => (command === 'export' ? /--feel-names backtick/ : undefined),
  // HTTP only.
  UNSUPPORTED_MEDIA_TYPE: () => undefined,
  UNSUPPORTED_RULE_OBJECT: ruleSetHint,
  UNSUPPORTED_CALLBACK: ruleSetHint,
  UNSUPPORTED_DATA: ruleSetHint,
  UNSUPPORTED_PRIORITY: ruleSetHint,
  UNSUPPORTED_CONDITION_REFERENCE: ruleSetHint,
  UNSUPPORTED_FACT_PATH: ruleSetHint,
  UNSUPPORTED_FACT_PARAMS: ruleSetHint,
  UNSUPPORTED_KEY: ruleSetHint,
  UNSUPPORTED_FACT: ruleSetHint,
  UNSUPPORTED_OPERATOR: ruleSetHint,
  UNSUPPORTED_FACT_VALUE: ruleSetHint,
  UNSUPPORTED_VALUE: ruleSetHint,
};

describe('hints for the UNSUPPORTED_* codes', () => {
  const codes = Object.keys(ERROR_CATALOGUE).filter((c) => c.startsWith('UNSUPPORTED_'));

  it('cover every UNSUPPORTED_* code of the catalogue', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(codes.sort());
  });

  it.each(codes)('%s: its own hint, or none, in every command', (code) => {
    for (const command of COMMANDS) {
      for (const field of [undefined, 'engine', 'sepal length']) {
        const issue: Issue = {
          code: code as ErrorCode,
          message: 'm',
          ...(field !== undefined && { field }),
        };
        const want = EXPECTED[code]!(command, issue);
        const got = hintFor(issue, context(command));
        expect({ command, field, hint: got }).toEqual({
          command,
          field,
          hint: want === undefined ? undefined : expect.stringMatching(want),
        });
      }
    }
  });

  it('no UNSUPPORTED_* code says the compiled evaluator refused where it did not read anything', () => {
    for (const code of [
      'UNSUPPORTED_FORMAT',
      'UNSUPPORTED_NAME',
      'UNSUPPORTED_MEDIA_TYPE',
    ] as const)
      for (const command of COMMANDS)
        expect(
          hintFor({ code, message: 'm', field: 'engine' }, context(command)) ?? '',
        ).not.toMatch(/compiled evaluator refuses/);
  });
});

describe('the hints as predict prints them', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-hints-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const predict = (input: string, engine: string) =>
    runCli([
      'predict',
      '--model',
      GERMAN_CREDIT.name,
      '--models-dir',
      GERMAN_CREDIT.modelsDir,
      '--rules-dir',
      GERMAN_CREDIT.rulesDir,
      '--input',
      input,
      '--engine',
      engine,
    ]);

  it('Parquet with the compiled engine and JSON lines with DuckDB: which engine reads what', async () => {
    const parquet = path.join(dir, 'in.parquet');
    fs.writeFileSync(parquet, 'PAR1 not really');
    const jsonl = path.join(dir, 'in.jsonl');
    fs.writeFileSync(jsonl, '{"age": 30}\n');
    for (const [file, engine] of [
      [parquet, 'compiled'],
      [jsonl, 'duckdb'],
    ] as const) {
      const r = await predict(file, engine);
      expect(r.stderr).toMatch(new RegExp(`^error ${file} UNSUPPORTED_FORMAT \\[engine\\] `, 'm'));
      expect(r.stderr).toMatch(/^hint: --engine duckdb reads \.csv and \.parquet files/m);
      expect(r.stderr).not.toMatch(/compiled evaluator/);
    }
  });

  it('a file DuckDB cannot read as Parquet: the error alone, no hint', async () => {
    const bad = path.join(dir, 'bad.parquet');
    fs.writeFileSync(bad, 'PAR1 not really');
    const r = await predict(bad, 'duckdb');
    expect(r.stderr).toMatch(new RegExp(`^error ${bad} UNSUPPORTED_FORMAT `, 'm'));
    expect(r.stderr).not.toMatch(/^hint:/m);
  });
});
