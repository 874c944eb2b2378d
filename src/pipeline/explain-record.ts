import type { ModelLocation } from '../artifacts/types';
import { parseRecord, parseRecordJson } from '../data/parse-record';
import { readRecords } from '../data/read-records';
import type { DataRecord } from '../data/types';
import { explainDecision, type Explanation } from '../engine/explain-decision';
import { NeurulesError } from '../errors';
import { parseInterventions } from '../perception/concepts';
import type { PerceivedFacts } from '../perception/perceived';
import type { BackendChoice } from '../teacher/backend-choice';
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
    };

/**
 * Explain one decision of a model with its network's opinion: the rule that fired, its
 * conditions against the record, principal reasons and counterfactuals.
 *
 * Throws INVALID_ARGUMENT (field `record` or `row`) unless exactly one of `record` or
 * `input` with `row` is given; INVALID_JSON and the record checks for a bad record;
 * ROW_OUT_OF_RANGE when `input` has fewer rows than `row`.
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
): Promise<{ record: DataRecord; explanation: Explanation }> {
  const given = source as { record?: unknown; input?: unknown; row?: unknown };
  if ((given.record === undefined) === (given.input === undefined)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected exactly one of a record or an input file with a row, found ${given.record === undefined ? 'neither' : 'both'}`,
      { field: 'record' },
    );
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
    const picked = pickRecord(front ? front.spec.input : model.schema, source);
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

/** The record a source names, and where it comes from (a file's line, for perception). */
function pickRecord(
  schema: Parameters<typeof parseRecord>[0],
  source: RecordSource,
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
