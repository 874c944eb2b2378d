import { parse, type CsvError, type Options } from 'csv-parse/sync';
import { NeurulesError, type ErrorPlace } from '../errors';
import { IssueList } from './issue-list';

/** One CSV data row: its fields (trimmed) and the physical line it starts on. */
export interface CsvRow {
  fields: string[];
  /** 1-based physical line number of the row's first character. */
  line: number;
}

/** A parsed CSV file: the header and the data rows, checked to be rectangular. */
export interface CsvText {
  /** Column names, trimmed, unique and non-empty. */
  header: string[];
  /** 1-based line number of the header row. */
  headerLine: number;
  rows: CsvRow[];
}

/**
 * csv-parse options shared by every CSV reader (and by a future streaming reader).
 * Any of CRLF, LF or CR ends a record, even mixed in one file; quotes inside unquoted
 * fields (`5'10"`) are kept as text; whitespace around fields is trimmed; blank lines are
 * skipped. Column counts are not enforced here so ragged rows can be reported together.
 */
export const CSV_OPTIONS: Options = {
  bom: true,
  trim: true,
  relax_quotes: true,
  relax_column_count: true,
  skip_empty_lines: true,
  record_delimiter: ['\r\n', '\n', '\r'],
};

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * Physical line numbers of byte offsets in a buffer, for offsets asked in increasing
 * order. csv-parse's own `info.lines` miscounts CRLF inside quoted fields when several
 * record delimiters are allowed, so lines are counted here from the bytes.
 */
export class LineCounter {
  private offset = 0;
  private line = 1;

  constructor(private readonly bytes: Uint8Array) {}

  /** Line of the first non-blank byte at or after `offset` (where a record starts). */
  recordLine(offset: number): number {
    let start = offset;
    for (let b = this.bytes[start]; b === LF || b === CR || b === SPACE || b === TAB;) {
      b = this.bytes[++start];
    }
    return this.lineAt(start);
  }

  /** Line of the byte at `offset` (`offset` must not be less than the previous call's). */
  lineAt(offset: number): number {
    const end = Math.min(offset, this.bytes.length);
    for (; this.offset < end; this.offset++) {
      const b = this.bytes[this.offset];
      // CRLF counts once (at its LF); a lone CR or LF counts on its own.
      if (b === LF || (b === CR && this.bytes[this.offset + 1] !== LF)) this.line++;
    }
    return this.line;
  }
}

const SYNTAX_REASONS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is opened but never closed',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE:
    'a quoted field is followed by other text before the next comma',
  CSV_INVALID_CLOSING_QUOTE: 'a quoted field is followed by other text before the next comma',
};

/**
 * Parse CSV bytes or text into a header and data rows with true physical line numbers.
 *
 * Throws EMPTY_FILE, CSV_SYNTAX, EMPTY_COLUMN_NAME, DUPLICATE_COLUMN, HEADER_ONLY or
 * RAGGED_ROW (every ragged row at once). Data rows whose fields are all empty (`,,,`, as
 * spreadsheets export) are skipped like blank lines.
 *
 * @param file - used only as the place in errors.
 */
export function parseCsv(input: Buffer | string, file?: string): CsvText {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const at: ErrorPlace = file === undefined ? {} : { file };
  const lines = new LineCounter(bytes);
  const rows: CsvRow[] = [];
  let previousEnd = 0;
  try {
    parse(bytes, {
      ...CSV_OPTIONS,
      on_record: (fields: string[], context) => {
        rows.push({ fields, line: lines.recordLine(previousEnd) });
        previousEnd = context.bytes;
        return null;
      },
    });
  } catch (e) {
    const error = e as CsvError;
    if (typeof error.code !== 'string' || !error.code.startsWith('CSV_')) throw e;
    const line = lines.recordLine(previousEnd);
    const column = typeof error['column'] === 'number' ? error['column'] + 1 : undefined;
    const reason = SYNTAX_REASONS[error.code] ?? error.message;
    throw new NeurulesError(
      'CSV_SYNTAX',
      `malformed CSV in the row starting on line ${line}: ${reason}`,
      column === undefined ? { ...at, line } : { ...at, line, column },
    );
  }

  const headerRow = rows.shift();
  if (!headerRow) {
    throw new NeurulesError('EMPTY_FILE', 'the CSV file is empty; expected a header row', at);
  }
  const header = headerRow.fields;
  checkHeader(header, { ...at, line: headerRow.line });

  const data = rows.filter((row) => !isEmptyRow(row.fields));
  if (data.length === 0) throw headerOnly(header, { ...at, line: headerRow.line });
  const ragged = new IssueList();
  for (const row of data) {
    if (row.fields.length !== header.length) {
      ragged.add({
        code: 'RAGGED_ROW',
        message: `expected ${header.length} fields (as in the header) but found ${row.fields.length}`,
        ...at,
        line: row.line,
      });
    }
  }
  ragged.throwIfAny();
  return { header, headerLine: headerRow.line, rows: data };
}

/**
 * True for a row whose fields are all empty (`,,,`, as spreadsheets export): every CSV
 * reader skips it like a blank line.
 */
export function isEmptyRow(fields: readonly string[]): boolean {
  // Most rows start with a value: one comparison decides them.
  if (fields.length > 0 && fields[0] !== '') return false;
  for (let i = 1; i < fields.length; i++) if (fields[i] !== '') return false;
  return true;
}

/** HEADER_ONLY for a CSV file with a header (at `headerAt`) and no data rows. */
export function headerOnly(header: readonly string[], headerAt: ErrorPlace): NeurulesError {
  return new NeurulesError(
    'HEADER_ONLY',
    `the CSV file has a header (${header.length} columns) but no data rows`,
    headerAt,
  );
}

/**
 * Throw EMPTY_COLUMN_NAME / DUPLICATE_COLUMN for every bad header field (`at`: the header's
 * place). Every CSV reader checks its header with this, so `build` and `predict` agree.
 */
export function checkHeader(header: readonly string[], at: ErrorPlace): void {
  const issues = new IssueList();
  const firstColumn = new Map<string, number>();
  header.forEach((name, index) => {
    const column = index + 1;
    if (name === '') {
      issues.add({
        code: 'EMPTY_COLUMN_NAME',
        message: `header field ${column} is empty; every column needs a name`,
        ...at,
        column,
      });
      return;
    }
    const first = firstColumn.get(name);
    if (first !== undefined) {
      issues.add({
        code: 'DUPLICATE_COLUMN',
        message: `column name '${name}' appears twice in the header (fields ${first} and ${column})`,
        ...at,
        column,
        field: name,
      });
    } else {
      firstColumn.set(name, column);
    }
  });
  issues.throwIfAny();
}
