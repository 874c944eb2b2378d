import { didYouMean, NeurulesError, type ErrorPlace, type Issue } from '../errors';
import { checkColumns, classIndex, coerceFields, listLevels } from './coerce-record';
import { IssueList } from './issue-list';
import { parseCsv, type CsvText } from './parse-csv';
import { NumericStats } from './numeric-stats';
import { isMissingText, parseNumber, sortLabels, whyNotANumber } from './parse-value';
import { readInputFile } from './read-input-file';
import { recordMaker } from './record-maker';
import type { DataRecord, Feature, Schema, Table } from './types';

/** A column type that {@link ReadTableOptions.types} can force. */
export type ColumnType = 'numeric' | 'categorical';

/** Options of {@link readTable}. */
export interface ReadTableOptions {
  /**
   * Name of the target (class) column.
   * @defaultValue the last column
   */
  target?: string | undefined;
  /** Force the type of some feature columns instead of inferring it. */
  types?: Readonly<Record<string, ColumnType>> | undefined;
  /**
   * Read with this schema instead of inferring one (a test file for an existing model):
   * values are coerced to the schema's types, unseen categories are kept as text, and the
   * returned table carries this schema. `target` and `types` must then be left out.
   */
  schema?: Schema | undefined;
}

/**
 * Read a CSV file with a header row into a {@link Table}, inferring its {@link Schema}.
 *
 * - The target column is `options.target`, else the last column; it is always
 *   categorical, and its classes are sorted (see {@link sortLabels}): numerically when
 *   every label is a number, otherwise by code units (`['bad', 'good']`).
 * - `''`, `'?'` and `'NA'` (after trimming) are missing values (`null`).
 * - A feature column is numeric when every non-missing value is a plain decimal number,
 *   otherwise categorical (levels in order of first appearance); `options.types` forces
 *   either. A column with no values at all is categorical with no levels.
 * - A column of numbers with a few cells that are not finite numbers (`inf`, `NaN`,
 *   `1e309`, `5,05`, a word) is refused with INVALID_NUMBER, one issue per bad cell, rather
 *   than read as categorical: see {@link hasBadNumbers} for "a few". Forcing the column's
 *   type (to categorical, or to numeric: NOT_A_NUMBER) decides it instead.
 * - Numeric features get min, max, mean, population std, integer and missing count.
 *
 * Throws a {@link NeurulesError} with code and place: FILE_NOT_FOUND, EMPTY_FILE,
 * HEADER_ONLY, CSV_SYNTAX, RAGGED_ROW, DUPLICATE_COLUMN, EMPTY_COLUMN_NAME,
 * TARGET_NOT_FOUND, UNKNOWN_COLUMN, NOT_A_NUMBER, INVALID_NUMBER, MISSING_TARGET, SINGLE_CLASS,
 * NO_FEATURES, INVALID_ARGUMENT; with `options.schema` also MISSING_FEATURE,
 * UNKNOWN_FEATURE, WRONG_TYPE and UNKNOWN_CATEGORY (a class the schema does not know).
 * Problems of the same stage are reported together, each with its line.
 *
 * @example
 * const table = readTable('data/german-credit.csv', { target: 'class' });
 * table.schema.classes; // ['bad', 'good']
 */
export function readTable(file: string, options: ReadTableOptions = {}): Table {
  return parseTable(readInputFile(file), { ...options, file });
}

/**
 * {@link readTable} for CSV content already in memory (an upload, a test).
 * @param options.file - the name used as the place in errors.
 */
export function parseTable(
  input: Buffer | string,
  options: ReadTableOptions & { file?: string | undefined } = {},
): Table {
  const at: ErrorPlace = options.file === undefined ? {} : { file: options.file };
  if (options.schema) {
    const misuse = options.target !== undefined && options.target !== options.schema.target;
    if (misuse || options.types !== undefined) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `reading with a schema takes the target and types from the schema; do not also give ${misuse ? 'a different target' : 'types'}`,
        { field: misuse ? 'target' : 'types' },
      );
    }
    return tableWithSchema(parseCsv(input, options.file), options.schema, at);
  }
  return inferTable(parseCsv(input, options.file), options, at);
}

/**
 * A labelled test file for a build (`build --test FILE`), read with the schema learned
 * from the training file. Before any row is read, the file must have the training file's
 * columns (in any order): otherwise SCHEMA_MISMATCH at the header, naming the columns
 * missing and those the training file lacks. Every class in it must be one of the
 * training file's: otherwise one UNKNOWN_CATEGORY issue (field: the target) listing each
 * class the training file lacks, with its rows and first line. Then the rows are read as
 * {@link parseTable} reads them with a schema (unseen levels kept, values checked).
 *
 * @example
 * const test = parseTestTable(readInputFile('monks-1.test.csv'), schema, { file: 'monks-1.test.csv' });
 */
export function parseTestTable(
  input: Buffer | string,
  schema: Schema,
  options: { file?: string | undefined } = {},
): Table {
  const at: ErrorPlace = options.file === undefined ? {} : { file: options.file };
  const csv = parseCsv(input, options.file);
  const expected = [...schema.features.map((f) => f.name), schema.target];
  const present = new Set(csv.header);
  const missing = expected.filter((name) => !present.has(name));
  const extra = csv.header.filter((name) => !expected.includes(name));
  if (missing.length > 0 || extra.length > 0) {
    const list = (names: string[]) => names.map((n) => `'${n}'`).join(', ');
    throw new NeurulesError(
      'SCHEMA_MISMATCH',
      `the test file's columns differ from the training file's:` +
        (missing.length > 0 ? ` missing ${list(missing)}` : '') +
        (missing.length > 0 && extra.length > 0 ? ';' : '') +
        (extra.length > 0 ? ` not in the training file ${list(extra)}` : ''),
      { ...at, line: csv.headerLine, field: [...missing, ...extra].join(',') },
    );
  }
  const target = csv.header.indexOf(schema.target);
  const unseen = new Map<string, { rows: number; line: number }>();
  for (const row of csv.rows) {
    const text = (row.fields[target] ?? '').trim();
    if (isMissingText(text) || classIndex(schema, text) !== null) continue;
    const seen = unseen.get(text);
    if (seen) seen.rows++;
    else unseen.set(text, { rows: 1, line: row.line });
  }
  if (unseen.size > 0) {
    const first = Math.min(...[...unseen.values()].map((u) => u.line));
    throw new NeurulesError(
      'UNKNOWN_CATEGORY',
      `the test file has classes the training file lacks: ${[...unseen]
        .map(
          ([c, u]) => `'${c}' (${u.rows} row${u.rows === 1 ? '' : 's'}, first on line ${u.line})`,
        )
        .join(', ')}; the model can only answer ${listLevels({ levels: schema.classes })}`,
      { ...at, line: first, column: target + 1, field: schema.target },
    );
  }
  return tableWithSchema(csv, schema, at);
}

/** Where each column is in the header (0-based). */
function indexColumns(header: readonly string[]): Map<string, number> {
  return new Map(header.map((name, index) => [name, index]));
}

function targetNotFound(target: string, header: readonly string[], at: ErrorPlace): Issue {
  return {
    code: 'TARGET_NOT_FOUND',
    message: `target column '${target}' is not in the header; the columns are ${header.map((h) => `'${h}'`).join(', ')}${didYouMean(target, header)}`,
    ...at,
    field: target,
  };
}

function inferTable(csv: CsvText, options: ReadTableOptions, file: ErrorPlace): Table {
  const { header, rows } = csv;
  const headerAt: ErrorPlace = { ...file, line: csv.headerLine };
  const columns = indexColumns(header);
  const target = options.target ?? header[header.length - 1]!;
  const targetIndex = columns.get(target);
  if (targetIndex === undefined) {
    throw NeurulesError.fromIssues([targetNotFound(target, header, headerAt)]);
  }

  const types = options.types ?? {};
  // Own keys only: a column named 'constructor' must not find Object.prototype's.
  const forcedType = (name: string): ColumnType | undefined =>
    Object.hasOwn(types, name) ? types[name] : undefined;
  const optionIssues = new IssueList();
  for (const [name, type] of Object.entries(types)) {
    if (!columns.has(name)) {
      optionIssues.add({
        code: 'UNKNOWN_COLUMN',
        message: `a type is given for column '${name}', which is not in the header${didYouMean(name, header)}`,
        ...file,
        field: name,
      });
    } else if (type !== 'numeric' && type !== 'categorical') {
      optionIssues.add({
        code: 'INVALID_ARGUMENT',
        message: `the type of column '${name}' must be 'numeric' or 'categorical', not '${String(type)}'`,
        field: name,
      });
    } else if (name === target && type === 'numeric') {
      optionIssues.add({
        code: 'INVALID_ARGUMENT',
        message: `the target column '${name}' holds class labels and cannot be forced to numeric`,
        field: name,
      });
    }
  }
  optionIssues.throwIfAny();
  if (header.length < 2) {
    throw new NeurulesError(
      'NO_FEATURES',
      `the file has only the target column '${target}'; at least one feature column is needed`,
      headerAt,
    );
  }

  // Pass 1: check every row and count each column's numbers and other present values.
  const featureIndices = header.map((_, i) => i).filter((i) => i !== targetIndex);
  const numbers = new Uint32Array(header.length);
  const others = new Uint32Array(header.length);
  const issues = new IssueList();
  for (const row of rows) {
    const at: ErrorPlace = { ...file, line: row.line };
    if (isMissingText(row.fields[targetIndex]!)) {
      issues.add({
        code: 'MISSING_TARGET',
        message: `the row has no value in target column '${target}'; every training row needs a class`,
        ...at,
        column: targetIndex + 1,
        field: target,
      });
    }
    for (const i of featureIndices) {
      const text = row.fields[i]!;
      if (isMissingText(text)) continue;
      if (parseNumber(text) !== undefined) {
        numbers[i]!++;
        continue;
      }
      others[i]!++;
      const name = header[i]!;
      if (forcedType(name) === 'numeric') {
        issues.add({
          code: 'NOT_A_NUMBER',
          message: `column '${name}' is forced to numeric: expected a number, found '${text}'`,
          ...at,
          column: i + 1,
          field: name,
        });
      }
    }
  }
  // Numeric columns with a few bad cells: every bad cell is listed, in file order. Only a
  // file with such a column is read again, so a good file costs nothing more.
  const suspect = featureIndices.filter(
    (i) => forcedType(header[i]!) === undefined && hasBadNumbers(numbers[i]!, others[i]!),
  );
  if (suspect.length > 0) {
    for (const row of rows) {
      for (const i of suspect) {
        const text = row.fields[i]!;
        if (isMissingText(text) || parseNumber(text) !== undefined) continue;
        const name = header[i]!;
        issues.add({
          code: 'INVALID_NUMBER',
          message: `column '${name}' holds numbers (${numbers[i]} of its ${numbers[i]! + others[i]!} values), but '${text.trim()}' ${whyNotANumber(text)}; correct the value, or force the column's type to categorical`,
          ...file,
          line: row.line,
          column: i + 1,
          field: name,
        });
      }
    }
  }
  issues.throwIfAny();

  const isNumeric = (i: number): boolean => {
    const forced = forcedType(header[i]!);
    if (forced !== undefined) return forced === 'numeric';
    return numbers[i]! > 0 && others[i]! === 0;
  };

  // Pass 2: build records, labels and feature summaries.
  const builders = featureIndices.map((i) =>
    isNumeric(i) ? new NumericSummary(header[i]!, i) : new CategoricalSummary(header[i]!, i),
  );
  const labelTexts = rows.map((row) => row.fields[targetIndex]!);
  const classes = sortLabels(new Set(labelTexts));
  if (classes.length < 2) {
    throw new NeurulesError(
      'SINGLE_CLASS',
      `target column '${target}' has ${classes.length === 1 ? `only one class ('${classes[0]}')` : 'no classes'}; a classifier needs at least two`,
      { ...file, field: target },
    );
  }
  const classOf = new Map(classes.map((c, index) => [c, index]));
  // One record maker for every reader (a column named `__proto__` is an own key, as
  // record-maker.ts makes sure, not the record's prototype).
  const makeRecord = recordMaker(builders.map((b) => b.name));
  const records: DataRecord[] = rows.map((row) =>
    makeRecord(builders.map((builder) => builder.add(row.fields[builder.index]!))),
  );
  const schema: Schema = {
    format: 'neurules.schema',
    version: 1,
    target,
    features: builders.map((b) => b.feature()),
    classes,
    rows: rows.length,
  };
  return {
    schema,
    records,
    labels: labelTexts.map((t) => classOf.get(t)!),
    lines: rows.map((r) => r.line),
  };
}

/** Bad cells a numeric column may have whatever its size (see {@link hasBadNumbers}). */
export const BAD_NUMBERS_ALLOWED = 10;
/** Share of a numeric column's present cells that may be bad, when more than {@link BAD_NUMBERS_ALLOWED}. */
export const BAD_NUMBERS_SHARE = 0.05;

/**
 * Whether a column with `numbers` finite numbers and `others` other present values is a
 * numeric column with bad cells (refused with INVALID_NUMBER), not a categorical one: it
 * has both, the others are fewer than the numbers, and they are few, at most
 * {@link BAD_NUMBERS_ALLOWED} or {@link BAD_NUMBERS_SHARE} of the present values, whichever
 * allows more. A stray `inf`, `NaN` or `5,05` in a column of measurements is then an error
 * with its place, not a column silently turned into categories that a later `5.05` is an
 * unseen level of; a column that is mostly text (codes with the odd numeric one) stays
 * categorical.
 */
export function hasBadNumbers(numbers: number, others: number): boolean {
  if (numbers === 0 || others === 0 || others >= numbers) return false;
  return others <= Math.max(BAD_NUMBERS_ALLOWED, BAD_NUMBERS_SHARE * (numbers + others));
}

/** Running summary of a numeric CSV column: its text parsed, then summarised. */
class NumericSummary {
  private readonly stats = new NumericStats();

  constructor(
    readonly name: string,
    readonly index: number,
  ) {}

  add(text: string): number | null {
    const value = isMissingText(text) ? undefined : parseNumber(text);
    return this.stats.add(value ?? null);
  }

  feature(): Feature {
    return { name: this.name, type: 'numeric', ...this.stats.summary() };
  }
}

/** Running summary of a categorical column: levels in order of first appearance. */
class CategoricalSummary {
  private readonly levels = new Set<string>();
  private missing = 0;

  constructor(
    readonly name: string,
    readonly index: number,
  ) {}

  add(text: string): string | null {
    if (isMissingText(text)) {
      this.missing++;
      return null;
    }
    this.levels.add(text);
    return text;
  }

  feature(): Feature {
    return {
      name: this.name,
      type: 'categorical',
      levels: [...this.levels],
      missing: this.missing,
    };
  }
}

function tableWithSchema(csv: CsvText, schema: Schema, file: ErrorPlace): Table {
  const { header, rows } = csv;
  const headerAt: ErrorPlace = { ...file, line: csv.headerLine };
  const columns = indexColumns(header);
  const headerIssues = new IssueList();
  const targetIndex = columns.get(schema.target);
  if (targetIndex === undefined) headerIssues.add(targetNotFound(schema.target, header, headerAt));
  headerIssues.addAll(checkColumns(header, schema, headerAt));
  headerIssues.throwIfAny();

  const columnOf: Record<string, number> = {};
  header.forEach((name, index) => (columnOf[name] = index + 1));
  const issues = new IssueList();
  const records: DataRecord[] = [];
  const labels: number[] = [];
  const featureColumns = schema.features.map((f) => columns.get(f.name)!);
  for (const row of rows) {
    const at: ErrorPlace = { ...file, line: row.line };
    const coerced = coerceFields(
      schema,
      row.fields,
      featureColumns,
      { ...at, columns: columnOf },
      { unknownCategories: 'keep' },
    );
    issues.addAll(coerced.issues);
    records.push(coerced.record);

    const text = row.fields[targetIndex!]!;
    const label = classIndex(schema, text);
    labels.push(label ?? -1);
    if (label !== null) continue;
    const place = { ...at, column: targetIndex! + 1, field: schema.target };
    issues.add(
      isMissingText(text)
        ? {
            code: 'MISSING_TARGET',
            message: `the row has no value in target column '${schema.target}'`,
            ...place,
          }
        : {
            code: 'UNKNOWN_CATEGORY',
            message: `'${text}' is not a class of the model; expected one of ${listLevels({ levels: schema.classes })}${didYouMean(text, schema.classes)}`,
            ...place,
          },
    );
  }
  issues.throwIfAny();
  return { schema, records, labels, lines: rows.map((r) => r.line) };
}
