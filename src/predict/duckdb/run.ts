import * as fs from 'node:fs';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBListValue } from '@duckdb/node-api';
import type { ParsedRecord } from '../../data/parse-record';
import { isBlank } from '../../data/parse-value';
import { splitFields } from '../../data/stream-records';
import type { Decision } from '../../engine/types';
import { NeurulesError } from '../../errors';
import { quoteIdentifier, quoteString, ruleConditionsSql } from '../../exports/to-sql';
import type { OutputTarget } from '../../files/output-target';
import { scratchFile } from '../../files/temporary-files';
import type { RuleSet } from '../../rules/types';
import { DecisionOutput, linesFor, tailCache, type LineFormat } from '../decision-output';
import {
  countDecisions,
  emptySummary,
  isPromise,
  type PredictFileOptions,
  type PredictSummary,
} from '../predict-file';
import { decisionQuery, HANDED_BACK } from './query';
import type { RowSource } from './source';

/** Options of `predictFileDuckDb`. */
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

/** {@link PredictDuckDbOptions} with the output already looked at. */
export type RunOptions = Omit<PredictDuckDbOptions, 'output'> & {
  output: OutputTarget | NodeJS.WritableStream;
};

const MAX_PROBLEMS = 100;
const PROGRESS_EVERY = 200_000;

/** What the steps of one run share: the summary, the output and how lines are made. */
interface Run {
  source: RowSource;
  options: RunOptions;
  totalBytes: number;
  summary: PredictSummary;
  output: DecisionOutput;
  lines: LineFormat;
  /** Each rule's decision in hit order, as its event's params (what the evaluators hand out). */
  decisions: Decision[];
  /** The rules in hit order, as SQL over each feature's helper column. */
  conditions: ReturnType<typeof ruleConditionsSql>;
  /** The Parquet file of step 1. */
  rowsFile: string;
}

/**
 * The query's rows, decided, counted and written in file order, in two steps. DuckDB runs
 * the query on all its threads into a narrow Parquet file (a rule index and a label per
 * row, and the texts of the rows handed back), which keeps the rows in file order
 * ({@link decideInDuckDb}); then the lines are written in order: by DuckDB itself, on all
 * its threads, when it decided every row ({@link writeInDuckDb}), otherwise by one thread
 * reading the file back while this process numbers the lines and reads the rows handed
 * back ({@link writeHere}). (A streamed result runs the query on one thread.) Rows DuckDB
 * rejected (a ragged row, text that is not UTF-8, a line of white space) are known after
 * the first step: each is read here from the file and put in its place.
 */
export async function runQuery(
  connection: DuckDBConnection,
  source: RowSource,
  options: RunOptions,
  totalBytes: number,
): Promise<PredictSummary> {
  const { schema, ruleSet, signal } = options;
  const conditions = ruleConditionsSql(
    ruleSet,
    schema,
    (f) => `neurules_v${source.names.indexOf(f.name)}`,
    'duckdb',
    (f, level) => String(f.type === 'categorical' ? f.levels.indexOf(level) : -1),
  );
  const output = new DecisionOutput(options.output, schema.classes, signal);
  const run: Run = {
    source,
    options,
    totalBytes,
    summary: emptySummary(schema),
    output,
    lines: linesFor(output.format, schema.classes),
    decisions: conditions.map(({ rule }) => rule.event.params as unknown as Decision),
    conditions,
    rowsFile: scratchFile('rows', '.parquet'),
  };
  try {
    const rejects = await decideInDuckDb(connection, run);
    const rejected = rejects ? await rejectedLines(connection) : [];
    const groups = await rowGroups(connection, run.rowsFile);
    // The usual case: DuckDB decided every row.
    if (rejected.length === 0 && !groups.some((g) => g.rule === HANDED_BACK)) {
      await writeInDuckDb(connection, run, groups);
    } else {
      await writeHere(connection, run, rejected);
    }
  } catch (e) {
    await output.discard();
    throw signal?.aborted ? signal.reason : e;
  } finally {
    fs.rmSync(run.rowsFile, { force: true });
  }
  options.onProgress?.({ records: run.summary.records, bytes: totalBytes, totalBytes });
  return run.summary;
}

/**
 * Step 1: every row decided (or handed back) by DuckDB, on all its threads, into the rows
 * file. A CSV file is read first as if every line were good (keeping DuckDB's rejected
 * lines costs a sixth of its reading); at the first line DuckDB's reader cannot take, the
 * step starts again keeping them. Returns whether it did (`reject_errors` has the lines).
 */
async function decideInDuckDb(connection: DuckDBConnection, run: Run): Promise<boolean> {
  const { source, options, conditions } = run;
  const decide = (rejects: boolean) =>
    watch(connection, options, run.totalBytes, () =>
      connection.run(
        `COPY (${decisionQuery(source, options.schema, () => conditions, rejects)}) TO ${quoteString(run.rowsFile)} (FORMAT parquet)`,
      ),
    );
  try {
    await decide(false);
    return false;
  } catch (e) {
    if (!source.csv || !/CSV Error/.test((e as Error).message ?? '')) throw e;
  }
  fs.rmSync(run.rowsFile, { force: true });
  await decide(true);
  return true;
}

/**
 * Step 2 when DuckDB decided every row: counted from the rows file's groups, and the lines
 * numbered and written by DuckDB too, on all its threads and in order, with the same text.
 */
async function writeInDuckDb(
  connection: DuckDBConnection,
  run: Run,
  groups: { rule: number; label: number | null; rows: number }[],
): Promise<void> {
  const { schema } = run.options;
  for (const g of groups) {
    countDecisions(run.summary, schema, run.decisions[g.rule]!.class, g.label, g.rows);
  }
  if (run.summary.records === 0) throw run.source.empty();
  await watch(connection, run.options, undefined, () =>
    writeWithDuckDb(connection, run.rowsFile, {
      output: run.output,
      lines: run.lines,
      firstLine: run.source.firstLine,
      decisions: run.decisions,
      classes: schema.classes,
    }),
  );
}

/**
 * Step 2 otherwise: the rows file read back in file order on one thread, the lines
 * numbered and written here; rows handed back, and the lines DuckDB rejected, read here by
 * the compiled engine's reader and decided by `decider`.
 */
async function writeHere(
  connection: DuckDBConnection,
  run: Run,
  rejected: { line: number; byte: number }[],
): Promise<void> {
  const { source, options, summary, output, lines, decisions } = run;
  const { schema, decider, signal } = options;
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
  if (lines.header) await output.write(lines.header);
  await connection.run('SET threads = 1');
  const result = await connection.stream(
    `SELECT * FROM read_parquet(${quoteString(run.rowsFile)})`,
  );
  let line = source.firstLine;
  let next = 0; // the next line DuckDB rejected
  // The file is opened once for the lines DuckDB rejected (none in a clean file).
  const input = rejected.length > 0 ? fs.openSync(options.input, 'r') : undefined;
  try {
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
        options.onProgress?.({
          records: summary.records,
          bytes: run.totalBytes,
          totalBytes: run.totalBytes,
        });
      }
    }
    let rest = '';
    while (next < rejected.length) rest += await rejectedText();
    if (rest) await output.write(rest);
  } finally {
    if (input !== undefined) fs.closeSync(input);
  }
  if (summary.records + summary.rejected === 0) throw source.empty();
  await output.commit();
}

/**
 * Run a DuckDB statement, reporting its progress meanwhile (when `totalBytes` is given:
 * the share of the input and the rows DuckDB says it has read) and interrupting it when
 * the signal aborts; then throw the signal's reason if it did.
 */
async function watch(
  connection: DuckDBConnection,
  options: Pick<RunOptions, 'signal' | 'onProgress' | 'progressInterval'>,
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
  // The row's number in the rows file (`file_row_number`), not `row_number() OVER ()`: a
  // window numbers the rows on one thread, while this lets DuckDB make and write the lines
  // on all its threads, in order (`preserve_insertion_order`, on by default).
  const line = `(file_row_number + ${o.firstLine})`;
  const byRule = (value: (d: Decision) => string): string =>
    `CASE neurules_r ${o.decisions.map((d, k) => `WHEN ${k} THEN ${value(d)}`).join(' ')} END`;
  const rows = `FROM read_parquet(${quoteString(rowsFile)}, file_row_number = true)`;
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
