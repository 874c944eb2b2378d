import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { inputFileError, statInputFile } from '../data/read-input-file';
import type { DataRecord, Schema } from '../data/types';
import { describeType } from '../engine/compile-conditions';
import { type Issue, NeurulesError, type Result } from '../errors';
import { IssueList } from '../data/issue-list';
import { REDACTED, type ShadowDecision } from './decision-log';

/**
 * A decision-log line read strictly, for replaying and explaining a decision: where it is,
 * and what `neurules serve --decision-log` wrote (see {@link DecisionLogEntry}). `audit
 * --log` reads logs leniently instead (`readDecisionLog`): there a damaged line is counted
 * and skipped, here it is an error, since a decision that cannot be read cannot be checked.
 */
export interface LoggedDecision {
  file: string;
  /** 1-based line in `file`. */
  line: number;
  time: string;
  /** Absent only in a line written by hand. */
  requestId?: string;
  /** The model's name (lines written before it was logged have none). */
  model?: string;
  /** Content hash of the rule set that decided. */
  ruleSet: string;
  ruleId: string;
  class: string;
  /** The facts the rules decided on; a redacted field is the string {@link REDACTED}. */
  inputs: DataRecord;
  /**
   * The fields the service redacted, listed whenever a line holds the marker "[redacted]":
   * a value spelt so that is not listed is a level. Lines without the list (older logs)
   * take every such value as a redaction.
   */
  redacted?: string[];
  /** A model with perception concepts: what was perceived, as logged (not checked here). */
  perceived?: unknown;
  /** `serve --shadow`: the challenger's decision, or the error it failed with. */
  shadow?: ShadowDecision;
}

/**
 * What is wrong with a line's `shadow` field (`serve --shadow`), or undefined when it is a
 * challenger's decision (`class`, `ruleId` and `ruleSet` as text, `ruleSet` a 64-digit hash)
 * or its failure (`error` as text), and nothing else.
 */
export function shadowProblem(value: unknown): string | undefined {
  const expected =
    'shadow: expected { class, ruleId, ruleSet } or { error } of the challenger, found';
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `${expected} ${describeType(value)}`;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (keys === 'error')
    return typeof o.error === 'string' ? undefined : `${expected} an error that is not text`;
  if (keys !== 'class,ruleId,ruleSet') return `${expected} the fields ${keys || 'none'}`;
  if (!['class', 'ruleId', 'ruleSet'].every((k) => typeof o[k] === 'string' && o[k] !== ''))
    return `${expected} a field that is not text`;
  return /^[0-9a-f]{64}$/.test(o.ruleSet as string)
    ? undefined
    : `${expected} a ruleSet that is not a 64-digit hash`;
}

/** Where a line is: its file and 1-based line number. */
export interface LinePlace {
  file: string;
  line: number;
}

const REQUIRED = ['time', 'ruleSet', 'ruleId', 'class', 'inputs'] as const;

/**
 * Read one decision-log line strictly: a JSON object with `time` (a date), `ruleSet`,
 * `ruleId` and `class` (text), and `inputs` (an object of numbers, text and nulls); an
 * optional `requestId` and `model` are text. LOG_LINE_INVALID (with the file and line, and
 * the first field at fault) otherwise, saying every field that is missing or mistyped; a
 * line whose `model` is not `model` is LOG_OTHER_MODEL. Lines without `model` (written
 * before it was logged) are taken as the model's.
 *
 * @example
 * const r = parseLogLine(text, { file: 'decisions.jsonl', line: 17 }, 'german-credit');
 * if (r.ok) r.value.ruleSet; // the hash of the rule set that decided
 */
export function parseLogLine(text: string, at: LinePlace, model: string): Result<LoggedDecision> {
  const invalid = (message: string, field?: string): Result<LoggedDecision> => ({
    ok: false,
    issues: [{ code: 'LOG_LINE_INVALID', message, ...at, ...(field !== undefined && { field }) }],
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return invalid(
      `expected a decision as a JSON object, found text that is not JSON (${(e as Error).message})`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return invalid(`expected a decision as a JSON object, found ${describeType(value)}`);
  const o = value as Record<string, unknown>;
  const missing = REQUIRED.filter((k) => o[k] === undefined);
  const wrong: [string, string][] = [];
  for (const k of ['ruleSet', 'ruleId', 'class', 'requestId', 'model']) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      wrong.push([k, `${k}: expected text, found ${v === '' ? 'empty text' : describeType(v)}`]);
  }
  if (
    o.redacted !== undefined &&
    (!Array.isArray(o.redacted) || !o.redacted.every((n) => typeof n === 'string'))
  )
    wrong.push([
      'redacted',
      `redacted: expected a list of feature names, found ${describeType(o.redacted)}`,
    ]);
  const shadow = o.shadow === undefined ? undefined : shadowProblem(o.shadow);
  if (shadow) wrong.push(['shadow', shadow]);
  if (o.time !== undefined && (typeof o.time !== 'string' || Number.isNaN(Date.parse(o.time))))
    wrong.push(['time', `time: expected a date and time, found ${describeType(o.time)}`]);
  if (o.inputs !== undefined) {
    const inputs = o.inputs;
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
      wrong.push([
        'inputs',
        `inputs: expected an object of feature values, found ${describeType(inputs)}`,
      ]);
    } else {
      for (const [name, v] of Object.entries(inputs)) {
        if (v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
          continue;
        wrong.push([
          `inputs.${name}`,
          `inputs.${name}: expected a number, text or null, found ${describeType(v)}`,
        ]);
      }
    }
  }
  if (missing.length > 0 || wrong.length > 0) {
    const says = [
      ...(missing.length > 0 ? [`no ${missing.join(', ')}`] : []),
      ...wrong.map(([, m]) => m),
    ];
    return invalid(
      `expected a decision (time, ruleSet, ruleId, class and inputs), found ${says.join('; ')}`,
      missing[0] ?? wrong[0]![0],
    );
  }
  if (o.model !== undefined && o.model !== model) {
    return {
      ok: false,
      issues: [
        {
          code: 'LOG_OTHER_MODEL',
          message: `expected a decision of model '${model}', found one of model '${String(o.model)}'`,
          ...at,
          field: 'model',
        },
      ],
    };
  }
  return {
    ok: true,
    value: {
      ...at,
      time: o.time as string,
      ...(o.requestId !== undefined && { requestId: o.requestId as string }),
      ...(o.model !== undefined && { model: o.model as string }),
      ruleSet: o.ruleSet as string,
      ruleId: o.ruleId as string,
      class: o.class as string,
      inputs: o.inputs as DataRecord,
      ...(o.redacted !== undefined && { redacted: o.redacted as string[] }),
      ...(o.perceived !== undefined && { perceived: o.perceived }),
      ...(o.shadow !== undefined && { shadow: o.shadow as ShadowDecision }),
    },
  };
}

/**
 * The record the rules read from a logged decision's inputs, by `schema`'s features: a
 * redacted field (written {@link REDACTED}) or an absent optional one as missing (`null`);
 * and the redacted features.
 */
export function loggedRecord(
  d: Pick<LoggedDecision, 'inputs' | 'redacted'>,
  schema: Pick<Schema, 'features'>,
): { record: DataRecord; redacted: string[] } {
  const record: DataRecord = {};
  const redacted: string[] = [];
  const named = redactedNames(d);
  for (const f of schema.features) {
    const v = d.inputs[f.name];
    const hidden = v === REDACTED && (named === undefined || named.has(f.name));
    if (hidden) redacted.push(f.name);
    record[f.name] = v === undefined || hidden ? null : v;
  }
  return { record, redacted };
}

/**
 * The fields a line says were redacted; undefined when it does not say, where every value
 * "[redacted]" is a redaction (the log lists them whenever a line holds the marker).
 */
function redactedNames(d: Pick<LoggedDecision, 'redacted'>): ReadonlySet<string> | undefined {
  return d.redacted && new Set(d.redacted);
}

/**
 * LOG_LINE_INVALID when a line's inputs do not fit `schema`, the schema of the rule set it
 * names `hash` (what the rules then read would not be what the service decided on, since
 * the service refuses such a record): a feature absent, a numeric feature holding text, a
 * categorical one holding a number or a text that is not one of its levels. A redacted
 * field fits.
 */
export function inputsIssue(
  d: LoggedDecision,
  schema: Pick<Schema, 'features'>,
  hash: string,
): Issue | undefined {
  const absent: string[] = [];
  const wrong: string[] = [];
  const { redacted } = loggedRecord(d, schema);
  for (const f of schema.features) {
    const v = d.inputs[f.name];
    if (v === undefined) {
      if (!(f.type === 'categorical' && f.optional)) absent.push(f.name);
    } else if (v !== null && !redacted.includes(f.name)) {
      const found = typeof v === 'string' ? `the text ${JSON.stringify(v)}` : `the number ${v}`;
      if (f.type === 'numeric' ? typeof v !== 'number' : typeof v !== 'string')
        wrong.push(
          `inputs.${f.name}: expected ${f.type === 'numeric' ? 'a number' : 'a level'} or null, found ${found}`,
        );
      else if (f.type === 'categorical' && !f.levels.includes(v as string))
        wrong.push(`inputs.${f.name}: expected one of its levels or null, found ${found}`);
    }
  }
  if (absent.length === 0 && wrong.length === 0) return undefined;
  const says = [...(absent.length > 0 ? [`no ${absent.join(', ')}`] : []), ...wrong];
  return {
    code: 'LOG_LINE_INVALID',
    message: `expected inputs with every feature of the schema of rule set ${hash.slice(0, 12)}, found ${says.join('; ')}`,
    file: d.file,
    line: d.line,
    field: absent.length > 0 ? `inputs.${absent[0]}` : wrong[0]!.slice(0, wrong[0]!.indexOf(':')),
  };
}

/**
 * The lines of a log file, one at a time with their 1-based numbers, read as a stream
 * (memory stays flat whatever the file's size); blank lines are passed over. Lines end at
 * LF or CRLF. FILE_NOT_FOUND or INPUT_IS_DIRECTORY, naming the file, when it cannot be read.
 */
export async function* logLines(
  file: string,
  options: { blank?: boolean } = {},
): AsyncGenerator<{ line: number; text: string }> {
  statInputFile(file);
  const input = fs.createReadStream(file, { encoding: 'utf8' });
  let failure: unknown;
  input.on('error', (e) => (failure ??= e));
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of lines) {
      n++;
      // A byte-order mark an editor put at the start is not part of the first line.
      const text = n === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
      if (options.blank || text.trim() !== '') yield { line: n, text };
    }
  } catch (e) {
    // A line longer than a string can be (about 512 MB: no decision is): said, not a crash.
    if (e instanceof RangeError) {
      throw new NeurulesError(
        'LOG_LINE_INVALID',
        `expected decision-log lines, found a line longer than this process can hold (${e.message})`,
        { file, line: n + 1 },
      );
    }
    throw inputFileError(file, failure ?? e);
  } finally {
    lines.close();
    input.destroy();
  }
  if (failure) throw inputFileError(file, failure);
}

/**
 * Line `line` of a decision log, strictly read (see {@link parseLogLine}).
 * ROW_OUT_OF_RANGE (field `line`) when the file has fewer lines; LOG_LINE_INVALID when
 * the line is blank or not a decision; LOG_OTHER_MODEL when it is another model's.
 */
export async function readLoggedDecision(
  file: string,
  line: number,
  model: string,
): Promise<LoggedDecision> {
  let count = 0;
  for await (const l of logLines(file, { blank: true })) {
    count = l.line;
    if (l.line < line) continue;
    if (l.text.trim() === '') {
      throw new NeurulesError(
        'LOG_LINE_INVALID',
        'expected a decision as a JSON object, found a blank line',
        { file, line },
      );
    }
    const read = parseLogLine(l.text, { file, line }, model);
    if (!read.ok) throw NeurulesError.fromIssues(read.issues);
    return read.value;
  }
  throw new NeurulesError(
    'ROW_OUT_OF_RANGE',
    count === 0
      ? `expected line ${line} of the decision log, found an empty file`
      : `expected a line from 1 to ${count} of the decision log, found ${line}`,
    { file, field: 'line' },
  );
}

/**
 * Every decision of a log file, strictly read (see {@link parseLogLine}), in file order.
 * Every line at fault is reported at once (LOG_LINE_INVALID, LOG_OTHER_MODEL, with the file
 * and line); a log without a decision is NO_DECISIONS.
 */
export async function readLoggedDecisions(file: string, model: string): Promise<LoggedDecision[]> {
  const issues = new IssueList();
  const out: LoggedDecision[] = [];
  for await (const { line, text } of logLines(file)) {
    const read = parseLogLine(text, { file, line }, model);
    if (read.ok) out.push(read.value);
    else issues.addAll(read.issues);
  }
  issues.throwIfAny();
  if (out.length === 0)
    throw new NeurulesError('NO_DECISIONS', `expected decisions in ${file}, found no line`, {
      file,
    });
  return out;
}
