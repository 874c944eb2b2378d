import type { DuckDBConnection } from '@duckdb/node-api';
import { checkHeader } from '../../data/parse-csv';
import type { ParsedRecord } from '../../data/parse-record';
import { createCsvRowReader } from '../../data/read-records';
import { CsvRows, splitFields } from '../../data/stream-records';
import type { Schema } from '../../data/types';
import { NeurulesError } from '../../errors';
import { quoteString } from '../../exports/to-sql';
import { readHead } from '../predict-file';
import { MAX_HEADER, type CsvScan } from './scan-csv';

/** DuckDB types whose value is a number exactly as its text would be read. */
const EXACT_NUMBER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'DOUBLE',
]);

/** How the rows of a file come out of DuckDB and are read back here. */
export interface RowSource {
  /**
   * The table expression DuckDB reads, with columns `neurules_c0`, `neurules_c1`, ...;
   * with `rejects`, a CSV file's bad lines are skipped into `reject_errors` instead of
   * failing the query (see {@link RowSource.csv}).
   */
  from: (rejects: boolean) => string;
  /** Column names, in file order. */
  names: string[];
  /** Each feature's column text, as SQL over the source's columns. */
  text: (column: number) => string;
  /** A feature's value as a number straight from a typed column, when it has one. */
  number: (column: number) => string | undefined;
  /**
   * Whether the texts of numbers may hold a spelling DuckDB reads and neurules refuses,
   * so must be checked (`numberSql`).
   */
  refusedMarks: boolean;
  /** The line of the first row (the lines DuckDB rejected push the later rows on). */
  firstLine: number;
  /** Reads a handed-back row's fields at `line`: a record, or undefined for an empty row. */
  read: (fields: string[], line: number) => ParsedRecord | undefined;
  /**
   * A CSV file, whose lines DuckDB's reader may reject: a ragged row, text that is not
   * UTF-8, a line of white space (a CSV error, or with `from(true)`, rows of `reject_errors`).
   */
  csv: boolean;
  /** The error when no record was read: HEADER_ONLY, as the compiled reader says it. */
  empty: () => NeurulesError;
}

/**
 * A regular CSV file (see {@link csvIrregularity}): header on line 1 (at most
 * {@link MAX_HEADER} bytes), a row per line.
 */
export function csvSource(file: string, schema: Schema, scan: CsvScan): RowSource {
  const head = readHead(file, MAX_HEADER + 1);
  const end = head.indexOf(0x0a);
  const names = splitFields(head.subarray(0, end < 0 ? head.length : end).toString('utf8'));
  const rows = new CsvRows(file, schema, {});
  rows.read(names, 1); // the header: DUPLICATE_COLUMN, MISSING_FEATURE, ... as the reader says
  const columns = names.map((_, i) => `'neurules_c${i}': 'VARCHAR'`).join(', ');
  return {
    from: (rejects) =>
      `read_csv(${quoteString(file)}, header = true, auto_detect = false, delim = ',', ` +
      `quote = '"', escape = '"', new_line = '\\n', columns = {${columns}}` +
      `${rejects ? ', store_rejects = true' : ''})`,
    names,
    text: (i) => `neurules_c${i}`,
    number: () => undefined,
    refusedMarks: scan.refusedMarks,
    firstLine: 2,
    read: (fields, line) => rows.read(fields, line),
    csv: true,
    empty: () =>
      new NeurulesError(
        'HEADER_ONLY',
        `the CSV file has a header (${names.length} columns) but no data rows`,
        { file, line: 1 },
      ),
  };
}

/** A Parquet file: its columns as the header; values read as DuckDB's text of them. */
export async function parquetSource(
  connection: DuckDBConnection,
  file: string,
  schema: Schema,
): Promise<RowSource> {
  let described: { column_name: string; column_type: string }[];
  try {
    described = (
      await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quoteString(file)})`)
    ).getRowObjectsJS() as typeof described;
  } catch (e) {
    throw new NeurulesError(
      'UNSUPPORTED_FORMAT',
      `${file} is not a Parquet file DuckDB can read: ${(e as Error).message.split('\n')[0]}`,
      { file },
    );
  }
  const names = described.map((c) => c.column_name);
  const types = described.map((c) => c.column_type);
  checkHeader(names, { file });
  const readRow = createCsvRowReader(schema, names, { file });
  const featureAt = new Map(schema.features.map((f) => [f.name, f]));
  const select = names.map((n, i) => `"${n.replace(/"/g, '""')}" AS neurules_c${i}`).join(', ');
  return {
    from: () => `(SELECT ${select} FROM read_parquet(${quoteString(file)}))`,
    names,
    text: (i) => `CAST(neurules_c${i} AS VARCHAR)`,
    refusedMarks: true,
    number: (i) =>
      featureAt.get(names[i]!)?.type === 'numeric' && EXACT_NUMBER_TYPES.has(types[i]!)
        ? `CAST(neurules_c${i} AS DOUBLE)`
        : undefined,
    firstLine: 1,
    read: (fields, line) => readRow({ fields, line }),
    csv: false,
    empty: () =>
      new NeurulesError('HEADER_ONLY', `the Parquet file has ${names.length} columns but no rows`, {
        file,
      }),
  };
}
