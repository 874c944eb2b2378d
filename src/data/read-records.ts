import * as path from 'node:path';
import { NeurulesError, type ErrorPlace } from '../errors';
import { checkColumns, classIndex, coerceFields, type CoerceOptions } from './coerce-record';
import { IssueList } from './issue-list';
import { parseCsv, type CsvRow } from './parse-csv';
import { isBlank } from './parse-value';
import { type ParsedRecord, parseRecordJson } from './parse-record';
import { readInputFile } from './read-input-file';
import type { DataRecord, Schema } from './types';

export { coerceRecord } from './coerce-record';
export type { ParsedRecord } from './parse-record';

/** A file format {@link readRecords} reads. */
export type RecordFormat = 'csv' | 'jsonl';

/** Options of {@link readRecords}. */
export interface ReadRecordsOptions extends CoerceOptions {
  /**
   * The file's format.
   * @defaultValue from the extension (`.csv`; `.jsonl` or `.ndjson`), else from the
   * content (JSONL when it starts with `{`, CSV otherwise)
   */
  format?: RecordFormat | undefined;
}

/** Records to predict, with their known classes where the input has them. */
export interface RecordSet {
  records: DataRecord[];
  /** Class index of each record, or `null` when the target is absent, missing or unknown. */
  labels: (number | null)[];
  /** 1-based line number of each record in its file. */
  lines: number[];
  /** The raw target value of each record (undefined where the input has none). */
  targets: unknown[];
}

/**
 * Read records to predict from a CSV or JSONL file and check them against a model's
 * schema.
 *
 * - CSV: the header must name every feature (else MISSING_FEATURE) and nothing besides
 *   the features and the target (else UNKNOWN_FEATURE); the target column is optional.
 * - JSONL: one JSON object per line, blank lines skipped; a line that is not a JSON object
 *   is INVALID_JSON; each object is checked by {@link coerceRecord}.
 * - Values: numbers or numeric strings for numeric features, strings for categorical
 *   ones; `null`, `''`, `'?'` and `'NA'` are missing.
 *
 * Every problem in the file is reported at once in one {@link NeurulesError}, each issue
 * with its line (and, for CSV, column) and field. A CSV file is read by `parseCsv`, as
 * `build` reads its data (EMPTY_FILE, HEADER_ONLY, DUPLICATE_COLUMN, ...); a file that
 * cannot be read is FILE_NOT_FOUND, a directory INPUT_IS_DIRECTORY.
 *
 * @example
 * const { records } = readRecords('applicants.jsonl', model.schema);
 */
export function readRecords(
  file: string,
  schema: Schema,
  options: ReadRecordsOptions = {},
): RecordSet {
  const format = options.format ?? formatFromExtension(file);
  return parseRecords(readInputFile(file), schema, { ...options, format, file });
}

/**
 * {@link readRecords} for content already in memory.
 * @param options.file - the name used as the place in errors.
 */
export function parseRecords(
  input: Buffer | string,
  schema: Schema,
  options: ReadRecordsOptions & { file?: string | undefined } = {},
): RecordSet {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const format = options.format ?? sniffFormat(text);
  const at: ErrorPlace = options.file === undefined ? {} : { file: options.file };
  const parsed: ParsedRecord[] = [];
  if (format === 'csv') {
    const csv = parseCsv(input, options.file);
    const readRow = createCsvRowReader(
      schema,
      csv.header,
      { ...at, line: csv.headerLine },
      options,
    );
    for (const row of csv.rows) parsed.push(readRow(row));
  } else {
    const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
    lines.forEach((lineText, index) => {
      const record = parseJsonlLine(schema, lineText, { ...at, line: index + 1 }, options);
      if (record) parsed.push(record);
    });
    if (parsed.length === 0) {
      throw new NeurulesError('EMPTY_FILE', 'the JSONL input has no records', at);
    }
  }
  const issues = new IssueList();
  for (const record of parsed) issues.addAll(record.issues);
  issues.throwIfAny();
  return {
    records: parsed.map((p) => p.record),
    labels: parsed.map((p) => p.label),
    lines: parsed.map((p) => p.line),
    targets: parsed.map((p) => p.target),
  };
}

/**
 * Parse and check one JSONL line: `null` for a blank line, else {@link parseRecordJson}'s
 * record, label and issues. A streaming reader calls this once per line.
 */
export function parseJsonlLine(
  schema: Schema,
  text: string,
  place: ErrorPlace & { line: number },
  options: CoerceOptions = {},
): ParsedRecord | null {
  if (isBlank(text)) return null;
  return parseRecordJson(schema, text, place, options);
}

/**
 * Check a CSV header against a schema (throwing MISSING_FEATURE / UNKNOWN_FEATURE for
 * every bad column) and return a function that reads one data row of that file into a
 * record, its label and its issues. A streaming reader calls the function once per row.
 */
export function createCsvRowReader(
  schema: Schema,
  header: readonly string[],
  headerAt: ErrorPlace,
  options: CoerceOptions = {},
): (row: CsvRow) => ParsedRecord {
  const headerIssues = new IssueList();
  headerIssues.addAll(checkColumns(header, schema, headerAt));
  headerIssues.throwIfAny();
  const file = headerAt.file;
  const columns: Record<string, number> = {};
  header.forEach((name, index) => (columns[name] = index + 1));
  // An optional feature the header lacks reads as missing (index -1: no field).
  const featureColumns = schema.features.map((f) => (columns[f.name] ?? 0) - 1);
  const targetIndex = header.indexOf(schema.target);
  return (row) => {
    const place =
      file === undefined ? { line: row.line, columns } : { file, line: row.line, columns };
    const coerced = coerceFields(schema, row.fields, featureColumns, place, options);
    if (targetIndex < 0)
      return { record: coerced.record, issues: coerced.issues, label: null, line: row.line };
    const target = row.fields[targetIndex];
    return {
      record: coerced.record,
      issues: coerced.issues,
      label: classIndex(schema, target),
      target,
      line: row.line,
    };
  };
}

/** The format a file's extension names (`.csv`; `.jsonl` or `.ndjson`), if any. */
export function formatFromExtension(file: string): RecordFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return undefined;
}

/** The format of content with no telling extension: JSONL when it starts with `{`. */
export function sniffFormat(text: string): RecordFormat {
  return text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('{')
    ? 'jsonl'
    : 'csv';
}
