import type { ModelLocation } from '../artifacts/types';
import { parseRecord, parseRecordJson } from '../data/parse-record';
import { readRecords } from '../data/read-records';
import type { DataRecord } from '../data/types';
import { explainDecision, type Explanation } from '../engine/explain-decision';
import { NeurulesError } from '../errors';
import { parseInterventions } from '../perception/concepts';
import type { PerceivedFacts } from '../perception/perceived';
import type { BackendChoice } from '../teacher/backend-choice';
import { explainLogged, type LoggedContext } from './explain-logged';
import { openModel } from './open-model';

/** Which record {@link explainRecord} explains: given whole, or a data row of a file. */
export type RecordSource =
  | {
      /** The record as JSON text or as a parsed object of feature values. */
      record: string | Record<string, unknown>;
    }
  | {
      /** A .csv (header row) or .jsonl file of records. */
      input: string;
      /** 1-based data row of `input` (a CSV header is not a row). */
      row: number;
    }
  | {
      /** A decision log of the model (`neurules serve --decision-log`). */
      log: string;
      /** 1-based line of `log`: the decision explained as it was made (see `explainLogged`). */
      line: number;
    };

/**
 * Explain one decision of a model with its network's opinion: the rule that fired, its
 * conditions against the record, principal reasons and counterfactuals. A logged decision
 * (`log` with `line`) is explained as it was made, with the rules then in force, and
 * `logged` says how they compare with today's (see {@link explainLogged}).
 *
 * Throws INVALID_ARGUMENT (field `record`, `row`, `line` or `set`) unless exactly one of
 * `record`, `input` with `row`, or `log` with `line` is given (`set` does not go with a
 * log, whose inputs are what was perceived already); INVALID_JSON and the record checks
 * for a bad record; ROW_OUT_OF_RANGE when `input` has fewer rows than `row`.
 *
 * @example
 * const { explanation } = await explainRecord(loc, { input: 'data/german-credit.csv', row: 2 });
 * explanation.decision.class; // 'bad'
 */
export async function explainRecord(
  loc: ModelLocation,
  source: RecordSource,
  options: {
    backend?: BackendChoice;
    /**
     * A model with perception concepts: concepts a person fixed, `NAME=VALUE` each (see
     * `parseInterventions`): decided as if each had been perceived so.
     */
    set?: readonly string[];
  } = {},
): Promise<{ record: DataRecord; explanation: Explanation; logged?: LoggedContext }> {
  const given = source as {
    record?: unknown;
    input?: unknown;
    row?: unknown;
    log?: unknown;
    line?: unknown;
  };
  if ((given.log === undefined) !== (given.line === undefined)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      given.log === undefined
        ? `a line is a line of a decision log; expected a log with line ${String(given.line)}, found none`
        : `expected the line of ${String(given.log)} to explain, found none`,
      { field: 'line' },
    );
  }
  const sources = [
    given.record !== undefined && 'a record',
    given.input !== undefined && 'an input file',
    given.log !== undefined && 'a decision log',
  ].filter((s) => s !== false);
  if (sources.length !== 1) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected exactly one of a record, an input file with a row, or a decision log with a line, found ${sources.length === 0 ? 'none' : sources.join(' and ')}`,
      { field: 'record' },
    );
  }
  if (given.log !== undefined) {
    if ((options.set?.length ?? 0) > 0) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        'a set concept changes what was perceived; a logged decision is explained as it was made, from the facts its line holds',
        { field: 'set' },
      );
    }
    return explainLogged(loc, { log: given.log as string, line: given.line as number }, options);
  }
  if (given.input !== undefined && !(Number.isInteger(given.row) && (given.row as number) >= 1)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected a 1-based data row of ${String(given.input)}, found ${String(given.row)}`,
      { field: 'row' },
    );
  }
  const model = await openModel(loc, { teacher: true, backend: options.backend ?? 'auto' });
  try {
    const front = model.front;
    if ((options.set?.length ?? 0) > 0 && !front) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `--set fixes a perception concept; model '${loc.name}' has none`,
        { field: 'set' },
      );
    }
    const picked = pickRecord(front ? front.spec.input : model.schema, source as RecordFileSource);
    let record = picked.record;
    let perceived: PerceivedFacts | undefined;
    if (front) {
      const set = parseInterventions(options.set ?? [], front.concepts);
      const [row] = (
        await front.perceive([record], {
          set,
          ...(picked.file !== undefined && { file: picked.file }),
          lines: [picked.line],
        })
      ).rows;
      if (!row || 'issues' in row) throw NeurulesError.fromIssues(row ? row.issues : []);
      record = row.record;
      perceived = row.perceived;
    }
    const probabilities = model.teacher!.predictProbaFlat([record]);
    const explanation = await explainDecision(model.engine, record, probabilities, {
      schema: model.schema,
      ...(perceived && { perceived }),
    });
    return { record, explanation };
  } finally {
    model.teacher!.dispose();
  }
}

/** The sources {@link pickRecord} reads a record from. */
type RecordFileSource = Exclude<RecordSource, { log: string }>;

/** The record a source names, and where it comes from (a file's line, for perception). */
function pickRecord(
  schema: Parameters<typeof parseRecord>[0],
  source: RecordFileSource,
): { record: DataRecord; file?: string; line: number } {
  if ('record' in source) {
    const at = { field: 'record' };
    const parsed =
      typeof source.record === 'string'
        ? parseRecordJson(schema, source.record, at)
        : parseRecord(schema, source.record, at);
    if (parsed.issues.length) throw NeurulesError.fromIssues(parsed.issues);
    return { record: parsed.record, line: 0 };
  }
  const { records, lines } = readRecords(source.input, schema);
  const record = records[source.row - 1];
  if (!record) {
    throw new NeurulesError(
      'ROW_OUT_OF_RANGE',
      `expected a data row from 1 to ${records.length}, found ${source.row}`,
      { file: source.input, field: 'row' },
    );
  }
  return { record, file: source.input, line: lines[source.row - 1] ?? 0 };
}
