import { parse as parseCsvStream } from 'csv-parse';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { NeurulesError } from '../errors';
import type { CoerceOptions } from './coerce-record';
import { checkHeader, CSV_OPTIONS, type CsvRow, headerOnly, isEmptyRow } from './parse-csv';
import type { ParsedRecord } from './parse-record';
import { isBlank } from './parse-value';
import { inputFileError } from './read-input-file';
import { createCsvRowReader, parseJsonlLine, type RecordFormat } from './read-records';
import type { Schema } from './types';

/** Options of {@link streamRecords}. */
export interface StreamRecordsOptions extends CoerceOptions {
  /** The file's format (see `formatFromExtension` and `sniffFormat`). */
  format: RecordFormat;
  /** Bytes read at a time. @defaultValue 256 KiB */
  chunkBytes?: number;
  /**
   * Stops the reading: the file is closed and the generator throws the signal's reason
   * (an `AbortError` unless the caller gave one) at once, even while waiting for a chunk.
   */
  signal?: AbortSignal | undefined;
}

/** Records read so far, and how far into the file they reach. */
export interface RecordBatch {
  records: ParsedRecord[];
  /** Bytes of the file read so far. */
  bytesRead: number;
}

/**
 * Read a CSV or JSONL file of records to decide, in batches (one per chunk read), checking
 * each record against the schema as {@link createCsvRowReader} and {@link parseJsonlLine}
 * do: a bad record comes with its issues and line, it does not stop the stream. Memory
 * stays constant whatever the file's size.
 *
 * CSV lines without a double quote are split here (fields trimmed as csv-parse's `trim`
 * does); from the first line with a quote on, csv-parse reads the rest, so quoted fields,
 * even across lines, are read exactly as `build` reads them. Lines end as csv-parse's
 * detected record delimiter says (the first of CRLF, LF or CR in the file); blank lines are
 * skipped. JSONL lines end at LF, CRLF or CR.
 *
 * CSV rows whose fields are all empty (`,,,`) are skipped, as `build` skips them.
 *
 * Throws, as `build`'s reader does for the same file: EMPTY_FILE when a CSV file has no
 * header, HEADER_ONLY when it has no data row, DUPLICATE_COLUMN and EMPTY_COLUMN_NAME for
 * its header (checked once, before any record); then the header checks of
 * {@link createCsvRowReader}, and CSV_SYNTAX for malformed quoting. A file that cannot be
 * read is FILE_NOT_FOUND, a directory INPUT_IS_DIRECTORY.
 */
export async function* streamRecords(
  file: string,
  schema: Schema,
  options: StreamRecordsOptions,
): AsyncGenerator<RecordBatch> {
  const input = fs.createReadStream(file, {
    encoding: 'utf8',
    highWaterMark: options.chunkBytes ?? 256 * 1024,
    ...(options.signal && { signal: options.signal }),
  });
  let readError: unknown;
  input.on('error', (e) => (readError ??= e));
  try {
    if (options.format === 'csv') yield* csvBatches(file, input, schema, options);
    else yield* jsonlBatches(file, input, schema, options);
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason;
    // A failure to open or read the file itself (not an abort) gets its code and place.
    if (e === readError && typeof (e as NodeJS.ErrnoException).syscall === 'string') {
      throw inputFileError(file, e);
    }
    throw e;
  } finally {
    input.destroy();
  }
}

async function* jsonlBatches(
  file: string,
  input: fs.ReadStream,
  schema: Schema,
  options: StreamRecordsOptions,
): AsyncGenerator<RecordBatch> {
  const lines = new LineSplitter('any');
  for await (const chunk of input as AsyncIterable<string>) {
    options.signal?.throwIfAborted();
    const records: ParsedRecord[] = [];
    for (const { text, line } of lines.push(chunk)) {
      const parsed = parseJsonlLine(schema, text, { file, line }, options);
      if (parsed) records.push(parsed);
    }
    yield { records, bytesRead: input.bytesRead };
  }
  const records: ParsedRecord[] = [];
  for (const { text, line } of lines.end()) {
    const parsed = parseJsonlLine(schema, text, { file, line }, options);
    if (parsed) records.push(parsed);
  }
  yield { records, bytesRead: input.bytesRead };
}

async function* csvBatches(
  file: string,
  input: fs.ReadStream,
  schema: Schema,
  options: StreamRecordsOptions,
): AsyncGenerator<RecordBatch> {
  const rows = new CsvRows(file, schema, options);
  for await (const batch of streamCsvRows(input as AsyncIterable<string>, file)) {
    // Between batches: csv-parse may hold much of a small file already read.
    options.signal?.throwIfAborted();
    const records: ParsedRecord[] = [];
    for (const row of batch) {
      const parsed = rows.read(row.fields, row.line);
      if (parsed) records.push(parsed);
    }
    yield { records, bytesRead: input.bytesRead };
  }
  rows.finish();
}

/**
 * The rows of CSV text arriving in chunks (the header first), in batches, each with its
 * fields trimmed and the physical line it starts on, as csv-parse reads them with
 * `CSV_OPTIONS` and the record delimiter detected from the text.
 *
 * Lines without a double quote are split here; from the first line with a quote on,
 * csv-parse reads the rest, so quoted fields (even across lines) are read exactly as
 * `build` reads them. Throws CSV_SYNTAX for malformed quoting.
 */
export async function* streamCsvRows(
  chunks: AsyncIterable<string>,
  file?: string,
): AsyncGenerator<CsvRow[]> {
  const lines = new LineSplitter('detect');
  const iterator = chunks[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    const found = next.done ? lines.end() : lines.push(next.value);
    const rows: CsvRow[] = [];
    for (let i = 0; i < found.length; i++) {
      const { text, line } = found[i]!;
      if (text.includes('"')) {
        // Quoted fields from here on: csv-parse reads this line and everything after it.
        if (rows.length) yield rows;
        const rest = found
          .slice(i)
          .map((l) => l.text + l.end)
          .join('');
        yield* quotedCsvRows(rest + lines.pending(), iterator, line - 1, file);
        return;
      }
      if (isBlank(text)) continue; // csv-parse's skip_empty_lines (with trim)
      rows.push({ fields: splitFields(text), line });
    }
    if (rows.length) yield rows;
    if (next.done) return;
  }
}

/** csv-parse's `trim`: `String.prototype.trim` on each field (see csv-parse's init_state). */
/** A CSV line without quotes split into its fields, each trimmed (as csv-parse's `trim`). */
export function splitFields(text: string): string[] {
  const fields = text.split(',');
  for (let i = 0; i < fields.length; i++) fields[i] = fields[i]!.trim();
  return fields;
}

/**
 * The rest of a CSV text read by csv-parse, from `head` (the text not yet read) on and then
 * the remaining chunks; its line numbers continue after `linesBefore`.
 */
async function* quotedCsvRows(
  head: string,
  chunks: AsyncIterator<string>,
  linesBefore: number,
  file?: string,
): AsyncGenerator<CsvRow[]> {
  async function* text(): AsyncGenerator<string> {
    yield head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  }
  // One record delimiter (detected from the text) keeps csv-parse's line count exact.
  const { record_delimiter: _all, bom: _bom, ...csvOptions } = CSV_OPTIONS;
  const source = Readable.from(text());
  const parser = source.pipe(parseCsvStream({ ...csvOptions, info: true }));
  // pipe() does not pass a failure on: without this, a read error (or an abort) of the file
  // would leave the loop below waiting for ever.
  source.on('error', (e) => parser.destroy(e));
  let rows: CsvRow[] = [];
  try {
    for await (const item of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const fields = item.record;
      // info.lines is the record's last line; quoted newlines push it past the first.
      const embedded = fields.reduce((s, f) => s + (f.match(/\r\n|\n|\r/g)?.length ?? 0), 0);
      rows.push({ fields, line: linesBefore + item.info.lines - embedded });
      if (rows.length >= 1000) {
        yield rows;
        rows = [];
      }
    }
  } catch (e) {
    const err = e as { code?: string; lines?: number; message: string };
    if (typeof err.code === 'string' && err.code.startsWith('CSV_')) {
      throw new NeurulesError('CSV_SYNTAX', `the CSV is malformed: ${err.message}`, {
        ...(file !== undefined && { file }),
        ...(err.lines && { line: linesBefore + err.lines }),
      });
    }
    throw e;
  }
  if (rows.length) yield rows;
}

/**
 * CSV rows to records: the first row is the header, then each row of its width. Every CSV
 * reader of records to decide (the stream here, the DuckDB engine's rows) reads rows with it.
 */
export class CsvRows {
  private readRow: ((row: CsvRow) => ParsedRecord) | undefined;
  private width = 0;
  private header: string[] = [];
  private headerLine = 0;
  private dataRows = 0;

  constructor(
    private readonly file: string,
    private readonly schema: Schema,
    private readonly options: CoerceOptions,
  ) {}

  /** The record of a data row, or undefined for the header row and an all-empty row. */
  read(fields: string[], line: number): ParsedRecord | undefined {
    if (!this.readRow) {
      // The header is checked once, as build's reader checks it (parseCsv).
      checkHeader(fields, { file: this.file, line });
      this.readRow = createCsvRowReader(
        this.schema,
        fields,
        { file: this.file, line },
        this.options,
      );
      this.width = fields.length;
      this.header = fields;
      this.headerLine = line;
      return undefined;
    }
    if (isEmptyRow(fields)) return undefined;
    this.dataRows++;
    if (fields.length !== this.width) {
      return {
        record: {},
        label: null,
        line,
        issues: [
          {
            code: 'RAGGED_ROW',
            message: `expected ${this.width} fields as in the header, found ${fields.length}`,
            file: this.file,
            line,
          },
        ],
      };
    }
    return this.readRow({ fields, line });
  }

  /** Throws EMPTY_FILE when no header was read, HEADER_ONLY when no data row was. */
  finish(): void {
    if (!this.readRow) {
      throw new NeurulesError('EMPTY_FILE', `${this.file} is empty`, { file: this.file });
    }
    if (this.dataRows === 0) {
      throw headerOnly(this.header, { file: this.file, line: this.headerLine });
    }
  }
}

/** One line of text, its 1-based physical line number, and the line break that ended it. */
interface Line {
  text: string;
  line: number;
  end: string;
}

/**
 * Splits text pushed in chunks into lines. `'any'` ends a line at LF, CRLF or CR (as
 * readline does); `'detect'` at the first of those found, and only at it (as csv-parse's
 * detected record delimiter). A byte-order mark at the very start is dropped.
 */
export class LineSplitter {
  private rest = '';
  private delimiter: string | undefined;
  private next = 1;
  private started = false;
  /** Positions of the next LF and CR in the text being split (-1: none; -2: not looked for). */
  private lf = -2;
  private cr = -2;

  constructor(private readonly mode: 'any' | 'detect') {}

  /** The complete lines the chunk ends. */
  push(chunk: string): Line[] {
    let text = this.rest + chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const lines: Line[] = [];
    let start = 0;
    this.lf = this.cr = -2; // not looked for yet in this text
    for (;;) {
      const found = this.findEnd(text, start);
      if (!found) break;
      lines.push({ text: text.slice(start, found.at), line: this.next++, end: found.end });
      start = found.at + found.end.length;
    }
    this.rest = text.slice(start);
    return lines;
  }

  /** The last line, when the text does not end with a line break. */
  end(): Line[] {
    const text = this.rest;
    this.rest = '';
    // A CR held back (it may have begun a CRLF) ends a line of its own.
    if (text.endsWith('\r') && (this.mode === 'any' || this.delimiter === '\r')) {
      return [{ text: text.slice(0, -1), line: this.next++, end: '\r' }];
    }
    return text === '' ? [] : [{ text, line: this.next++, end: '' }];
  }

  /** The text pushed but not yet returned as a line. */
  pending(): string {
    return this.rest;
  }

  private findEnd(text: string, start: number): { at: number; end: string } | undefined {
    if (this.mode === 'detect' && this.delimiter !== undefined) {
      const at = text.indexOf(this.delimiter, start);
      return at < 0 ? undefined : { at, end: this.delimiter };
    }
    // The next LF and the next CR, each found once per text (no CR: never looked for again).
    if (this.lf < start) this.lf = text.indexOf('\n', start);
    if (this.cr !== -1 && this.cr < start) this.cr = text.indexOf('\r', start);
    const at = this.cr === -1 ? this.lf : this.lf === -1 ? this.cr : Math.min(this.lf, this.cr);
    if (at < 0) return undefined;
    let end: string;
    if (text.charCodeAt(at) === 10) end = '\n';
    else if (at + 1 < text.length) end = text.charCodeAt(at + 1) === 10 ? '\r\n' : '\r';
    else return undefined; // a CR last in the chunk: CRLF or CR is known with the next one
    if (this.mode === 'detect') this.delimiter = end;
    return { at, end };
  }
}
