import * as fs from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { checkHeader } from '../../data/parse-csv';
import type { ParsedRecord } from '../../data/parse-record';
import { isBlank } from '../../data/parse-value';
import { inputFileError } from '../../data/read-input-file';
import { createCsvRowReader } from '../../data/read-records';
import { CsvRows, splitFields } from '../../data/stream-records';
import type { Schema } from '../../data/types';
import { NeurulesError } from '../../errors';
import { quoteString } from '../../exports/to-sql';
import { readHead } from '../predict-file';
import { REFUSED_MARKS } from './number-sql';

/** The longest header line read here; a longer one sends the file to the compiled reader. */
const MAX_HEADER = 1024 * 1024;
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

/** What one pass over a CSV file's bytes tells the DuckDB engine ({@link scanCsv}). */
export interface CsvScan {
  /**
   * Why DuckDB's rows would not map one to one onto the file's physical lines as neurules
   * numbers them, or undefined when they do.
   */
  irregularity: string | undefined;
  /**
   * Whether a text DuckDB's number cast reads and neurules refuses ({@link REFUSED_MARKS}:
   * `_`, `+-`) may be in a row: somewhere after the header line. When not, the engine reads
   * numbers with DuckDB's cast alone.
   */
  refusedMarks: boolean;
}

/**
 * One pass over a CSV file with `Buffer.indexOf`. Irregular (see {@link CsvScan}): a double
 * quote anywhere (a quoted field may span lines), a CR (line ends other than LF), an empty
 * line (DuckDB skips it), a byte-order mark, or a first line that is not a header (or is
 * over {@link MAX_HEADER}). And whether a {@link REFUSED_MARKS} byte sequence occurs after
 * the header line (across chunk boundaries too).
 */
export function scanCsv(file: string): CsvScan {
  // 1 MiB: a chunk that stays in the CPU caches for its several searches.
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw inputFileError(file, e);
  }
  const marks = REFUSED_MARKS.map((m) => Buffer.from(m));
  const overlap = Math.max(...marks.map((m) => m.length)) - 1;
  let refusedMarks = false;
  const irregular = (irregularity: string): CsvScan => ({ irregularity, refusedMarks });
  try {
    const size = fs.fstatSync(fd).size;
    let position = 0;
    let previous = -1; // the byte before this chunk
    let tail = Buffer.alloc(0); // the last bytes of the previous chunk, for marks across two
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      let body = 0; // where the rows start in this chunk
      if (position === 0) {
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
          return irregular('starts with a byte-order mark');
        }
        const firstEnd = chunk.indexOf(0x0a);
        if (
          chunk[0] === 0x0a ||
          isBlank(chunk.subarray(0, firstEnd < 0 ? n : firstEnd).toString())
        ) {
          return irregular('does not start with its header');
        }
        if ((firstEnd < 0 ? n : firstEnd) > MAX_HEADER)
          return irregular('has a header line over 1 MiB');
        body = firstEnd < 0 ? n : firstEnd;
      }
      if (chunk.indexOf(0x22) >= 0) return irregular('has quoted fields');
      if (chunk.indexOf(0x0d) >= 0) return irregular('has CR line ends');
      // Empty lines at the very end number no row: only those before a row matter.
      const empty = previous === 0x0a && chunk[0] === 0x0a ? 0 : chunk.indexOf('\n\n');
      if (empty >= 0 && (position + n < size || chunk.subarray(empty).some((b) => b !== 0x0a))) {
        return irregular('has empty lines');
      }
      if (!refusedMarks) {
        const across = Buffer.concat([tail, chunk.subarray(body, body + overlap)]);
        refusedMarks = marks.some((m) => chunk.indexOf(m, body) >= 0 || across.indexOf(m) >= 0);
        tail = Buffer.from(chunk.subarray(Math.max(body, n - overlap)));
      }
      previous = chunk[n - 1]!;
      position += n;
    }
    return position === 0 ? irregular('is empty') : { irregularity: undefined, refusedMarks };
  } finally {
    fs.closeSync(fd);
  }
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
