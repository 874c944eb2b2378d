import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBListValue } from '@duckdb/node-api';
import { checkHeader } from '../data/parse-csv';
import type { ParsedRecord } from '../data/parse-record';
import { isBlank, NUMBER_PATTERN_SQL } from '../data/parse-value';
import { inputFileError, statInputFile } from '../data/read-input-file';
import { createCsvRowReader } from '../data/read-records';
import { CsvRows, splitFields } from '../data/stream-records';
import type { Feature, Schema } from '../data/types';
import type { Decision } from '../engine/rule-engine';
import { NeurulesError } from '../errors';
import {
  missingSql,
  quoteIdentifier,
  quoteString,
  type RuleCondition,
  ruleConditionsSql,
} from '../exports/to-sql';
import type { RuleSet } from '../rules/types';
import { type OutputTarget, outputTarget } from '../files/output-target';
import { kindOf } from '../files/read-safe';
import {
  DecisionOutput,
  linesFor,
  removeFilesOfDeadProcesses,
  tailCache,
  type LineFormat,
} from './decision-output';
import { openDuckDb } from './duckdb-connection';
import {
  countDecisions,
  emptySummary,
  inputFormat,
  isPromise,
  predictFile,
  type PredictFileOptions,
  type PredictSummary,
  readHead,
} from './predict-file';

/** Options of {@link predictFileDuckDb}. */
export interface PredictDuckDbOptions extends PredictFileOptions {
  /** The rule set `decider` runs: DuckDB runs it as SQL. */
  ruleSet: RuleSet;
  /** DuckDB's worker threads. @defaultValue every core */
  threads?: number | undefined;
  /** Told what the run does differently from the plain DuckDB path, in a sentence. */
  onNote?: (note: string) => void;
  /**
   * Milliseconds between two progress reports while DuckDB reads (from its own progress
   * figures). @defaultValue 500
   */
  progressInterval?: number | undefined;
}

const MAX_PROBLEMS = 100;
const PROGRESS_EVERY = 200_000;
/** The longest header line read here; a longer one sends the file to the compiled reader. */
const MAX_HEADER = 1024 * 1024;
/** The rule index of a row DuckDB hands back to be read and decided here. */
const HANDED_BACK = 65535;
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

/**
 * Decide every record of a CSV or Parquet file inside embedded DuckDB, on all cores, with
 * exactly the output of {@link predictFile} with the compiled evaluator: the same lines
 * (line, class, rule id, probabilities) in the same order, the same summary, the same
 * rejected records with the same issues.
 *
 * DuckDB reads the file and runs the rule set as one SQL `CASE` (`ruleConditionsSql`) for
 * every row whose values it can vouch for: numbers in neurules' own pattern, known levels,
 * missing values. Every other row (a bad number, an unseen level, a value with white space
 * around it, a ragged row) is handed back and read by the same code as the compiled
 * engine's reader, so its issues and decision are the compiled engine's by construction.
 * See {@link runQuery} for how the rows keep their order; memory stays bounded whatever
 * the file's size.
 *
 * A CSV file is numbered by physical line. Files whose lines DuckDB cannot number as
 * neurules does (quoted fields, CR line ends, blank lines, a byte-order mark) are read by
 * the compiled engine's reader instead, with a note (`onNote`). For a Parquet file, `line`
 * is the row's number from 1, and each value is read as DuckDB writes it as text
 * (`CAST(value AS VARCHAR)`), as if the file were a CSV that DuckDB exported.
 *
 * A FIFO or a device (any input that is not a regular file) cannot be read by DuckDB,
 * which reads by offset: the compiled engine's reader streams it instead, with a note; a
 * Parquet one is UNSUPPORTED_FORMAT.
 *
 * @throws NeurulesError UNSUPPORTED_FORMAT for JSONL input, ENGINE_UNAVAILABLE without
 *   `@duckdb/node-api`, and otherwise what {@link predictFile} throws for the same file
 */
export async function predictFileDuckDb(options: PredictDuckDbOptions): Promise<PredictSummary> {
  const { input, signal } = options;
  signal?.throwIfAborted();
  const stats = statInputFile(input);
  const totalBytes = stats.size;
  // By extension alone for a FIFO or a device (their first bytes can be read only once).
  const kind = inputFormat(input);
  if (kind === 'jsonl') {
    throw new NeurulesError(
      'UNSUPPORTED_FORMAT',
      `${input}: --engine duckdb reads .csv and .parquet files; JSON lines are read by --engine compiled`,
      { file: input, field: 'engine' },
    );
  }
  if (!stats.isFile()) {
    if (kind === 'parquet') {
      throw new NeurulesError(
        'UNSUPPORTED_FORMAT',
        `${input} is ${kindOf(stats)}: Parquet is read by offset (its footer first), so a Parquet input must be a regular file`,
        { file: input },
      );
    }
    // DuckDB reads a file by offset (ESPIPE on a FIFO), and a CSV file twice; the compiled
    // reader streams it once from its start.
    options.onNote?.(
      `${input} is ${kindOf(stats)}, which DuckDB cannot read (it reads files by offset), so the compiled engine reads it (same output)`,
    );
    return predictFile(options);
  }
  if (kind === 'csv') {
    const irregular = csvIrregularity(input);
    if (irregular) {
      options.onNote?.(
        `${input} ${irregular}: DuckDB cannot number its lines as neurules does, so the compiled engine reads it (same output)`,
      );
      return predictFile(options);
    }
  }
  // The output is looked at before the work starts: a directory is refused at once.
  const output = typeof options.output === 'string' ? outputTarget(options.output) : options.output;
  const source = kind === 'csv' ? csvSource(input, options.schema) : undefined;
  const connection = await openDuckDb({ threads: options.threads });
  try {
    // DuckDB rewrites `x IN (constants)` into a join, which hands rows over out of file
    // order on more than one thread; as comparisons they keep it.
    await connection.run(`SET disabled_optimizers = 'in_clause'`);
    // DuckDB tracks a statement's progress only with its progress bar on (not printed).
    if (options.onProgress) {
      await connection.run('SET enable_progress_bar = true');
      await connection.run('SET enable_progress_bar_print = false');
    }
    const rows = source ?? (await parquetSource(connection, input, options.schema));
    return await runQuery(connection, rows, { ...options, output }, totalBytes);
  } finally {
    connection.closeSync();
  }
}

/** How the rows of a file come out of DuckDB and are read back here. */
interface RowSource {
  /** The table expression DuckDB reads, with columns `neurules_c0`, `neurules_c1`, ... */
  from: string;
  /** Column names, in file order. */
  names: string[];
  /** Each feature's column text, as SQL over the source's columns. */
  text: (column: number) => string;
  /** A feature's value as a number straight from a typed column, when it has one. */
  number: (column: number) => string | undefined;
  /** The line of the first row (the lines DuckDB rejected push the later rows on). */
  firstLine: number;
  /** Reads a handed-back row's fields at `line`: a record, or undefined for an empty row. */
  read: (fields: string[], line: number) => ParsedRecord | undefined;
  /** A CSV file, whose lines DuckDB's reader may reject (`reject_errors`). */
  csv: boolean;
  /** The error when no record was read: HEADER_ONLY, as the compiled reader says it. */
  empty: () => NeurulesError;
}

/**
 * Why DuckDB's rows of a CSV file would not map one to one onto its physical lines as
 * neurules numbers them, or undefined when they do: a double quote anywhere (a quoted field
 * may span lines), a CR (line ends other than LF), an empty line (DuckDB skips it), a
 * byte-order mark, or a first line that is not a header (or is over {@link MAX_HEADER}).
 * One pass with `Buffer.indexOf`.
 */
function csvIrregularity(file: string): string | undefined {
  const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw inputFileError(file, e);
  }
  try {
    const size = fs.fstatSync(fd).size;
    let position = 0;
    let previous = -1; // the byte before this chunk
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      if (position === 0) {
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
          return 'starts with a byte-order mark';
        }
        const firstEnd = chunk.indexOf(0x0a);
        if (
          chunk[0] === 0x0a ||
          isBlank(chunk.subarray(0, firstEnd < 0 ? n : firstEnd).toString())
        ) {
          return 'does not start with its header';
        }
        if ((firstEnd < 0 ? n : firstEnd) > MAX_HEADER) return 'has a header line over 1 MiB';
      }
      if (chunk.indexOf(0x22) >= 0) return 'has quoted fields';
      if (chunk.indexOf(0x0d) >= 0) return 'has CR line ends';
      // Empty lines at the very end number no row: only those before a row matter.
      const empty = previous === 0x0a && chunk[0] === 0x0a ? 0 : chunk.indexOf('\n\n');
      if (empty >= 0 && (position + n < size || chunk.subarray(empty).some((b) => b !== 0x0a))) {
        return 'has empty lines';
      }
      previous = chunk[n - 1]!;
      position += n;
    }
    return position === 0 ? 'is empty' : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A regular CSV file (see {@link csvIrregularity}): header on line 1 (at most
 * {@link MAX_HEADER} bytes), a row per line.
 */
export function csvSource(file: string, schema: Schema): RowSource {
  const head = readHead(file, MAX_HEADER + 1);
  const end = head.indexOf(0x0a);
  const names = splitFields(head.subarray(0, end < 0 ? head.length : end).toString('utf8'));
  const rows = new CsvRows(file, schema, {});
  rows.read(names, 1); // the header: DUPLICATE_COLUMN, MISSING_FEATURE, ... as the reader says
  const columns = names.map((_, i) => `'neurules_c${i}': 'VARCHAR'`).join(', ');
  return {
    from:
      `read_csv(${quoteString(file)}, header = true, auto_detect = false, delim = ',', ` +
      `quote = '"', escape = '"', new_line = '\\n', columns = {${columns}}, store_rejects = true)`,
    names,
    text: (i) => `neurules_c${i}`,
    number: () => undefined,
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
async function parquetSource(
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
    from: `(SELECT ${select} FROM read_parquet(${quoteString(file)}))`,
    names,
    text: (i) => `CAST(neurules_c${i} AS VARCHAR)`,
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

/**
 * The query: `neurules_r`, the index of the deciding rule in hit order (or
 * {@link HANDED_BACK}), `neurules_y`, the label's class index (NULL: none), then each
 * column's text, NULL for rows DuckDB decided itself.
 */
export function decisionQuery(
  source: RowSource,
  schema: Schema,
  conditions: (value: (f: Feature) => string) => RuleCondition[],
): string {
  const column = new Map(source.names.map((n, i) => [n, i]));
  // Each feature's value and whether this row's value is one DuckDB can vouch for, from
  // its text as it is: neurules trims white space, so a value with any around it is handed
  // back (trimming here would cost more than the rare rows that need it). Numbers:
  // neurules' own pattern of plain decimal notation, which DuckDB's cast then reads as
  // JavaScript does (both round correctly).
  const helpers: string[] = [];
  const ok: string[] = [];
  // OK when the value was read, else when it is missing (CASE: the rare rows alone take
  // the second test).
  const okWhen = (v: string, t: string, read = 'true'): string =>
    `(CASE WHEN ${v} IS NOT NULL THEN ${read} ELSE ${missingSql(t)} END)`;
  for (const f of schema.features) {
    const i = column.get(f.name)!;
    const t = source.text(i);
    const v = `neurules_v${i}`;
    const typed = source.number(i);
    if (f.type === 'numeric' && typed) {
      helpers.push(`CASE WHEN isfinite(${typed}) THEN ${typed} END AS ${v}`);
      ok.push(`(${v} IS NOT NULL OR neurules_c${i} IS NULL)`);
    } else if (f.type === 'numeric') {
      helpers.push(
        `CASE WHEN regexp_full_match(${t}, ${quoteString(NUMBER_PATTERN_SQL)}) THEN TRY_CAST(${t} AS DOUBLE) END AS ${v}`,
      );
      // 1e999 matches the pattern and casts to infinity: handed back (neurules refuses it).
      ok.push(okWhen(v, t, `isfinite(${v})`));
    } else {
      // The level's index in the schema (a hash lookup, then integer comparisons).
      helpers.push(
        `enum_code(TRY_CAST(${t} AS ENUM(${f.levels.map(quoteString).join(', ')}))) AS ${v}`,
      );
      ok.push(okWhen(v, t));
    }
  }
  // The label: a class named exactly, or missing; any other text is handed back (a number
  // naming a class, an unknown label), where classIndex reads it.
  const target = column.get(schema.target);
  let label = 'CAST(NULL AS UTINYINT)';
  if (target !== undefined) {
    const t = source.text(target);
    const classes = schema.classes.map((c, k) => `WHEN ${quoteString(c)} THEN ${k}`).join(' ');
    helpers.push(`CASE ${t} ${classes} END AS neurules_y`);
    ok.push(okWhen('neurules_y', t));
    label = 'neurules_y';
  }
  // A row with no feature value read is handed back: it may be an empty row (`,,,`), which
  // the reader skips.
  ok.push(
    `(${schema.features.map((f) => `neurules_v${column.get(f.name)} IS NOT NULL`).join(' OR ')})`,
  );
  const rules = conditions((f) => `neurules_v${column.get(f.name)}`);
  const ruleCase = `CASE ${rules.map(({ condition }, k) => `WHEN ${condition} THEN ${k}`).join(' ')} ELSE ${HANDED_BACK} END`;
  const handedBack = `NOT (${ok.join(' AND ')})`;
  // The texts of a handed-back row, as one list (one CASE, not one per column).
  const texts = `CASE WHEN neurules_back THEN [${source.names.map((_, i) => source.text(i)).join(', ')}] END AS neurules_t`;
  return [
    `SELECT CAST(CASE WHEN neurules_back THEN ${HANDED_BACK} ELSE ${ruleCase} END AS USMALLINT) AS neurules_r,`,
    `  CAST(${label} AS UTINYINT) AS neurules_y,`,
    `  ${texts}`,
    `FROM (SELECT *, ${handedBack} AS neurules_back FROM (`,
    `  SELECT *, ${helpers.join(',\n    ')}`,
    `  FROM ${source.from}))`,
  ].join('\n');
}

/**
 * The query's rows, decided, counted and written in file order, in two steps. DuckDB runs
 * the query on all its threads into a narrow Parquet file (a rule index and a label per
 * row, and the texts of the rows handed back), which keeps the rows in file order; then one
 * thread reads it back in order while this process numbers and writes the lines. (A
 * streamed result runs the query on one thread.) Rows DuckDB rejected (a ragged row, text
 * that is not UTF-8, a line of white space) are known after the first step: each is read
 * here from the file and put in its place.
 */
async function runQuery(
  connection: DuckDBConnection,
  source: RowSource,
  options: Omit<PredictDuckDbOptions, 'output'> & { output: OutputTarget | NodeJS.WritableStream },
  totalBytes: number,
): Promise<PredictSummary> {
  const { schema, ruleSet, decider, signal } = options;
  const summary = emptySummary(schema);
  const output = new DecisionOutput(options.output, schema.classes, signal);
  const format = output.format;
  const lines = linesFor(format, schema.classes);
  // The rules in hit order, stated once over each feature's helper column.
  const conditions = ruleConditionsSql(
    ruleSet,
    schema,
    (f) => `neurules_v${source.names.indexOf(f.name)}`,
    'duckdb',
    (f, level) => String(f.type === 'categorical' ? f.levels.indexOf(level) : -1),
  );
  // Each rule's decision, as its event's params (what the evaluators hand out).
  const decisions = conditions.map(({ rule }) => rule.event.params as unknown as Decision);
  const tails = decisions.map((d) => lines.tail(d));
  const tailOf = tailCache(lines);
  const count = (className: string, label: number | null): void =>
    countDecisions(summary, schema, className, label);
  // A row read here (handed back, or rejected by DuckDB): its line's text, or '' when it
  // is skipped or rejected.
  const readHere = async (parsed: ParsedRecord | undefined, line: number): Promise<string> => {
    if (!parsed) return '';
    if (parsed.issues.length > 0) {
      if (options.strict) throw NeurulesError.fromIssues(parsed.issues);
      summary.rejected++;
      for (const issue of parsed.issues)
        if (summary.problems.length < MAX_PROBLEMS) summary.problems.push(issue);
      return '';
    }
    const decided = decider.decide(parsed.record);
    const d = isPromise(decided) ? await decided : decided;
    count(d.class, parsed.label);
    return lines.head(line) + tailOf(d);
  };

  removeStaleRowsFiles();
  const rowsFile = path.join(
    os.tmpdir(),
    `neurules-rows-${process.pid}-${Date.now().toString(36)}.parquet`,
  );
  let input: number | undefined;
  try {
    // Step 1: every row decided (or handed back) by DuckDB, on all its threads.
    await watch(connection, options, totalBytes, () =>
      connection.run(
        `COPY (${decisionQuery(source, schema, () => conditions)}) TO ${quoteString(rowsFile)} (FORMAT parquet)`,
      ),
    );
    const rejected = source.csv ? await rejectedLines(connection) : [];
    const groups = await rowGroups(connection, rowsFile);
    if (rejected.length === 0 && !groups.some((g) => g.rule === HANDED_BACK)) {
      // Step 2 when DuckDB decided every row (the usual case): DuckDB numbers and writes
      // the lines too, on one thread (so in order), with the same text.
      for (const g of groups) {
        countDecisions(summary, schema, decisions[g.rule]!.class, g.label, g.rows);
      }
      if (summary.records === 0) throw source.empty();
      await connection.run('SET threads = 1');
      await watch(connection, options, undefined, () =>
        writeWithDuckDb(connection, rowsFile, {
          output,
          lines,
          firstLine: source.firstLine,
          decisions,
          classes: schema.classes,
        }),
      );
      options.onProgress?.({ records: summary.records, bytes: totalBytes, totalBytes });
      return summary;
    }
    // Step 2 otherwise: the rows in file order, numbered and written here.
    if (lines.header) await output.write(lines.header);
    await connection.run('SET threads = 1');
    const result = await connection.stream(`SELECT * FROM read_parquet(${quoteString(rowsFile)})`);
    let line = source.firstLine;
    let next = 0; // the next line DuckDB rejected
    // The file is opened once for the lines DuckDB rejected (none in a clean file).
    if (rejected.length > 0) input = fs.openSync(options.input, 'r');
    const rejectedText = async (): Promise<string> => {
      const { line: at, byte } = rejected[next++]!;
      const raw = readLine(input!, options.input, byte);
      return isBlank(raw) ? '' : readHere(source.read(splitFields(raw), at), at);
    };
    let rows = 0;
    let nextProgress = PROGRESS_EVERY;
    for (;;) {
      signal?.throwIfAborted();
      const chunk: DuckDBDataChunk | null = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const n = chunk.rowCount;
      const r = chunk.getColumnVector(0);
      const y = chunk.getColumnVector(1);
      const t = chunk.getColumnVector(2);
      let text = '';
      for (let i = 0; i < n; i++, line++) {
        while (next < rejected.length && rejected[next]!.line === line) {
          text += await rejectedText();
          line++;
        }
        const k = r.getItem(i) as number;
        if (k !== HANDED_BACK) {
          count(decisions[k]!.class, y.getItem(i) as number | null);
          text += lines.head(line) + tails[k]!;
          continue;
        }
        const texts = (t.getItem(i) as DuckDBListValue).items as (string | null)[];
        const fields = texts.map((text) => (text === null ? '' : text.trim()));
        text += await readHere(source.read(fields, line), line);
      }
      rows += n;
      if (text) await output.write(text);
      if (rows >= nextProgress) {
        nextProgress = rows + PROGRESS_EVERY;
        options.onProgress?.({ records: summary.records, bytes: totalBytes, totalBytes });
      }
    }
    let rest = '';
    while (next < rejected.length) rest += await rejectedText();
    if (rest) await output.write(rest);
    if (summary.records + summary.rejected === 0) throw source.empty();
    await output.commit();
  } catch (e) {
    await output.discard();
    throw signal?.aborted ? signal.reason : e;
  } finally {
    if (input !== undefined) fs.closeSync(input);
    fs.rmSync(rowsFile, { force: true });
  }
  options.onProgress?.({ records: summary.records, bytes: totalBytes, totalBytes });
  return summary;
}

/**
 * Run a DuckDB statement, reporting its progress meanwhile (when `totalBytes` is given:
 * the share of the input and the rows DuckDB says it has read) and interrupting it when
 * the signal aborts; then throw the signal's reason if it did.
 */
async function watch(
  connection: DuckDBConnection,
  options: Pick<PredictDuckDbOptions, 'signal' | 'onProgress' | 'progressInterval'>,
  totalBytes: number | undefined,
  step: () => Promise<unknown>,
): Promise<void> {
  const { signal, onProgress } = options;
  const interrupt = (): void => connection.interrupt();
  signal?.addEventListener('abort', interrupt);
  const timer =
    onProgress && totalBytes !== undefined
      ? setInterval(() => {
          const { percentage, rows_processed: rows } = connection.progress;
          if (percentage >= 0) {
            const bytes = Math.round((percentage / 100) * totalBytes);
            onProgress({ records: Number(rows), bytes, totalBytes });
          }
        }, options.progressInterval ?? 500)
      : undefined;
  try {
    await step();
  } catch (e) {
    signal?.throwIfAborted();
    throw e;
  } finally {
    if (timer) clearInterval(timer);
    signal?.removeEventListener('abort', interrupt);
  }
  signal?.throwIfAborted();
}

/**
 * The lines DuckDB rejected (one entry per line), in file order, each with the offset of
 * its first byte (`line_byte_position` counts from 1).
 */
async function rejectedLines(
  connection: DuckDBConnection,
): Promise<{ line: number; byte: number }[]> {
  const rows = (
    await connection.runAndReadAll(
      'SELECT DISTINCT line, line_byte_position FROM reject_errors ORDER BY line',
    )
  ).getRows();
  return rows.map(([line, byte]) => ({ line: Number(line), byte: Number(byte) - 1 }));
}

/**
 * The text of the line of `file` (open as `fd`) that starts at `byte` (without its LF),
 * decoded as the reader does.
 * The offset must start a line (after an LF, or the file's start): a DuckDB whose offsets
 * meant something else would otherwise make this read the wrong text.
 */
function readLine(fd: number, file: string, byte: number): string {
  const before = Buffer.alloc(1);
  if (byte > 0 && (fs.readSync(fd, before, 0, 1, byte - 1) !== 1 || before[0] !== 0x0a)) {
    throw new NeurulesError(
      'INTERNAL',
      `DuckDB reported a rejected line of ${file} at byte ${byte}, which does not start a line`,
      { file },
    );
  }
  const parts: Buffer[] = [];
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (let at = byte; ;) {
    const n = fs.readSync(fd, buffer, 0, buffer.length, at);
    if (n === 0) break;
    const end = buffer.subarray(0, n).indexOf(0x0a);
    parts.push(Buffer.from(buffer.subarray(0, end < 0 ? n : end)));
    if (end >= 0) break;
    at += n;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Rows per rule index and label, from the rows file. */
async function rowGroups(
  connection: DuckDBConnection,
  rowsFile: string,
): Promise<{ rule: number; label: number | null; rows: number }[]> {
  const result = await connection.runAndReadAll(
    `SELECT neurules_r, neurules_y, count(*) FROM read_parquet(${quoteString(rowsFile)}) GROUP BY ALL`,
  );
  return result.getRows().map(([rule, label, rows]) => ({
    rule: Number(rule),
    label: label === null ? null : Number(label),
    rows: Number(rows),
  }));
}

/**
 * Write the lines of a rows file where DuckDB decided every row, from DuckDB itself: the
 * same text as {@link LineFormat} makes (each rule's tail is a literal), or the same
 * Parquet columns. DuckDB writes the whole output as one file, which `output` puts in place
 * (see `DecisionOutput.commitFile`).
 */
async function writeWithDuckDb(
  connection: DuckDBConnection,
  rowsFile: string,
  o: {
    output: DecisionOutput;
    lines: LineFormat;
    firstLine: number;
    decisions: Decision[];
    classes: readonly string[];
  },
): Promise<void> {
  const line = `(row_number() OVER () + ${o.firstLine - 1})`;
  const byRule = (value: (d: Decision) => string): string =>
    `CASE neurules_r ${o.decisions.map((d, k) => `WHEN ${k} THEN ${value(d)}`).join(' ')} END`;
  const rows = `FROM read_parquet(${quoteString(rowsFile)})`;
  let copy: (target: string) => string;
  if (o.output.format === 'parquet') {
    const probabilities = (d: Decision): string =>
      `struct_pack(${o.classes
        .map((c) => {
          const p = d.probabilities[c];
          return `${quoteIdentifier(c)} := ${typeof p === 'number' ? `CAST('${String(p)}' AS DOUBLE)` : 'CAST(NULL AS DOUBLE)'}`;
        })
        .join(', ')})`;
    copy = (target) =>
      `COPY (SELECT ${line} AS line, ${byRule((d) => quoteString(d.class))} AS class, ` +
      `${byRule((d) => quoteString(d.ruleId))} AS "ruleId", ${byRule(probabilities)} AS probabilities ` +
      `${rows}) TO ${quoteString(target)} (FORMAT parquet)`;
  } else {
    // One text column, written as it is: no quotes, no delimiter (the CSV header is the
    // column's name).
    const text = `${quoteString(o.lines.prefix)} || CAST(${line} AS VARCHAR) || ${byRule((d) => quoteString(o.lines.tail(d).slice(0, -1)))}`;
    const header = o.lines.header ? quoteIdentifier(o.lines.header.slice(0, -1)) : 'neurules_line';
    copy = (target) =>
      `COPY (SELECT ${text} AS ${header} ${rows}) TO ${quoteString(target)} ` +
      `(FORMAT csv, HEADER ${o.lines.header ? 'true' : 'false'}, QUOTE '', ESCAPE '', DELIMITER '\x01')`;
  }
  await o.output.commitFile(async (target) => {
    try {
      await connection.run(copy(target));
    } catch (e) {
      throw duckDbWriteError(e);
    }
  });
}

/** A DuckDB I/O failure as the file-system error it reports, for WRITE_FAILED. */
function duckDbWriteError(e: unknown): unknown {
  const message = (e as Error).message ?? '';
  const code = /No space left/i.test(message)
    ? 'ENOSPC'
    : /Permission denied/i.test(message)
      ? 'EACCES'
      : /Read-only/i.test(message)
        ? 'EROFS'
        : /No such file or directory/i.test(message)
          ? 'ENOENT'
          : undefined;
  return code ? Object.assign(new Error(message), { code }) : e;
}

/**
 * Remove the rows files (`neurules-rows-PID-*.parquet` in the temporary folder) of runs
 * whose process is gone: a run killed outright cannot remove its own.
 */
function removeStaleRowsFiles(): void {
  removeFilesOfDeadProcesses(
    os.tmpdir(),
    (name) => /^neurules-rows-(\d+)-[0-9a-z]+\.parquet$/.exec(name)?.[1],
  );
}
