import * as fs from 'node:fs';
import * as path from 'node:path';
import { inputFileError, statInputFile } from '../data/read-input-file';
import { formatFromExtension, type RecordFormat, sniffFormat } from '../data/read-records';
import { streamRecords } from '../data/stream-records';
import type { Schema } from '../data/types';
import type { Decider } from '../engine/types';
import { type Issue, NeurulesError } from '../errors';
import { kindOf } from '../files/regular-files';
import type { PerceptionFront } from '../perception/perception-front';
import { DecisionOutput, tailCache } from './decision-output';

export type { Decider };

/** Options of {@link predictFile}. */
export interface PredictFileOptions {
  schema: Schema;
  decider: Decider;
  /** CSV (header row) or JSONL file. */
  input: string;
  /**
   * Where the decisions go: a file (`.csv` and `.parquet` files get those formats, see
   * `outputFormatOf`) or a stream (JSON lines). A regular file, or a path where nothing is,
   * is written to a temporary file and renamed over it at the end; a symbolic link's target
   * the same way; a FIFO, a character device or `/dev/stdout` gets the lines as they come
   * (see `outputTarget`).
   */
  output: string | NodeJS.WritableStream;
  /** Stop at the first bad record instead of skipping it. @defaultValue false */
  strict?: boolean;
  /** Called every few thousand records and at the end. */
  onProgress?: (p: { records: number; bytes: number; totalBytes: number }) => void;
  /**
   * Stops the run: reading stops, the temporary output file is removed (the output file
   * is left as it was), and the run rejects with the signal's reason. The CLI aborts on
   * SIGINT and SIGTERM; library code installs no signal handler of its own.
   */
  signal?: AbortSignal | undefined;
  /**
   * A model with perception concepts: records are read with `front.spec.input` (the raw
   * columns) and perceived a batch at a time before the rules decide them; each output line
   * carries what was perceived.
   */
  front?: PerceptionFront;
  /** Concepts a person fixed for every record (`predict --set`), with `front`. */
  set?: ReadonlyMap<string, string>;
}

/** What a prediction run did. */
export interface PredictSummary {
  records: number;
  /** Decisions per class. */
  classes: Record<string, number>;
  /** Records skipped as invalid. */
  rejected: number;
  /** The first problems of the rejected records (at most 100), each with its line. */
  problems: Issue[];
  /** Records whose input had a known class, and how many the rules got right. */
  labelled: number;
  correct: number;
}

const MAX_PROBLEMS = 100;

/** A summary of no records yet, with every class of the schema at 0. */
export function emptySummary(schema: Schema): PredictSummary {
  const classes: Record<string, number> = {};
  for (const c of schema.classes) classes[c] = 0;
  return { records: 0, classes, rejected: 0, problems: [], labelled: 0, correct: 0 };
}

/** Count `n` records decided as `className`, whose label (a class index) may be known. */
export function countDecisions(
  summary: PredictSummary,
  schema: Schema,
  className: string,
  label: number | null,
  n = 1,
): void {
  summary.records += n;
  summary.classes[className] = (summary.classes[className] ?? 0) + n;
  if (label !== null) {
    summary.labelled += n;
    if (schema.classes[label] === className) summary.correct += n;
  }
}
const PROGRESS_EVERY = 5_000;

/**
 * Decide every record of a CSV or JSONL file and write one JSON line per record, in input
 * order: `{"line", "class", "ruleId", "probabilities"}` (or a CSV row, or a Parquet row,
 * when the output file is named so). The file is streamed: memory stays
 * constant whatever its size. A bad record is skipped and reported with its line (or,
 * with `strict`, stops the run with nothing written).
 *
 * An output file is written to `.NAME.PID.tmp` beside it and renamed at the end; a run that
 * fails or is aborted (`signal`) removes it, and each run removes such files left by
 * processes that are no longer alive (a killed run cannot clean up after itself). A FIFO,
 * a device or a descriptor is written into, never replaced (see `DecisionOutput`).
 *
 * Throws FILE_NOT_FOUND or INPUT_IS_DIRECTORY for the input, the header errors of
 * `streamRecords` (HEADER_ONLY, DUPLICATE_COLUMN, MISSING_FEATURE, ...), EMPTY_FILE for
 * a JSONL file without records, UNSUPPORTED_FORMAT for a Parquet file (the DuckDB engine,
 * `predictFileDuckDb`, reads those), NOT_A_REGULAR_FILE for an output that is a directory
 * or a socket, WRITE_FAILED for the output.
 */
export async function predictFile(options: PredictFileOptions): Promise<PredictSummary> {
  const { schema, decider, signal } = options;
  signal?.throwIfAborted();
  const totalBytes = statInputFile(options.input).size;
  const summary = emptySummary(schema);

  const format = inputFormat(options.input);
  if (format === 'parquet') {
    throw new NeurulesError(
      'UNSUPPORTED_FORMAT',
      `${options.input} is a Parquet file: the duckdb engine reads Parquet; this engine reads .csv and .jsonl`,
      { file: options.input, field: 'engine' },
    );
  }
  const front = options.front;
  const output = new DecisionOutput(
    options.output,
    schema.classes,
    signal,
    front ? { concepts: front.concepts.map((c) => c.name) } : {},
  );
  const lines = output.lines();
  // Output goes out a batch at a time; a decision's text after its line number is made once
  // per decision object.
  const tailOf = tailCache(lines);

  let nextProgress = PROGRESS_EVERY;
  await writeAll(output, options.input, signal, async () => {
    if (lines.header) await output.write(lines.header);
    const readWith = front ? front.spec.input : schema;
    const reject = (issues: Issue[]): void => {
      if (options.strict) throw NeurulesError.fromIssues(issues);
      summary.rejected++;
      for (const issue of issues)
        if (summary.problems.length < MAX_PROBLEMS) summary.problems.push(issue);
    };
    for await (const batch of streamRecords(options.input, readWith, { format, signal })) {
      signal?.throwIfAborted();
      let text = '';
      const valid = batch.records.filter((parsed) => {
        if (parsed.issues.length === 0) return true;
        reject(parsed.issues);
        return false;
      });
      // Perception runs once per batch, before the rules.
      const perceived = front
        ? (
            await front.perceive(
              valid.map((p) => p.record),
              {
                file: options.input,
                lines: valid.map((p) => p.line),
                ...(options.set && { set: options.set }),
              },
            )
          ).rows
        : undefined;
      // An index loop: no entry array per record on the hot path.
      for (let k = 0; k < valid.length; k++) {
        const parsed = valid[k]!;
        const row = perceived?.[k];
        if (row && 'issues' in row) {
          reject(row.issues);
          continue;
        }
        const decided = decider.decide(row ? row.record : parsed.record);
        // Awaited only when the decider is asynchronous (json-rules-engine).
        const d = isPromise(decided) ? await decided : decided;
        countDecisions(summary, schema, d.class, parsed.label);
        text += lines.head(parsed.line, row?.perceived) + tailOf(d);
      }
      if (text) await output.write(text);
      if (summary.records >= nextProgress) {
        nextProgress = summary.records + PROGRESS_EVERY;
        options.onProgress?.({ records: summary.records, bytes: batch.bytesRead, totalBytes });
      }
    }
    return summary.records + summary.rejected;
  });
  options.onProgress?.({ records: summary.records, bytes: totalBytes, totalBytes });
  return summary;
}

/**
 * Run `write`, which writes every record's line to `output` and returns how many records
 * it read (decided or rejected), then commit the output; a run that read none is
 * EMPTY_FILE. On any failure (or an abort: the signal's reason) the output is discarded:
 * a replaced file is left as it was.
 */
export async function writeAll(
  output: DecisionOutput,
  input: string,
  signal: AbortSignal | undefined,
  write: () => Promise<number>,
): Promise<void> {
  try {
    if ((await write()) === 0) {
      throw new NeurulesError('EMPTY_FILE', `${input} has no records`, { file: input });
    }
    await output.commit();
  } catch (e) {
    await output.discard();
    throw signal?.aborted ? signal.reason : e;
  }
}

/** True for a promise (json-rules-engine decides asynchronously, the compiled evaluator not). */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * The format of an input file: by its extension (`.csv`, `.jsonl`, `.ndjson`, `.parquet`),
 * else by its first bytes (`PAR1` is Parquet, `{` JSON lines, anything else CSV). A FIFO
 * or a device without such an extension is UNSUPPORTED_FORMAT: its first bytes can be read
 * only once, so they cannot be looked at before the reader reads them.
 */
export function inputFormat(file: string): RecordFormat | 'parquet' {
  if (path.extname(file).toLowerCase() === '.parquet') return 'parquet';
  const known = formatFromExtension(file);
  if (known) return known;
  const stats = statInputFile(file);
  if (!stats.isFile()) {
    throw new NeurulesError(
      'UNSUPPORTED_FORMAT',
      `${file} is ${kindOf(stats)} without a .csv, .jsonl or .ndjson extension: its format cannot be told from its first bytes without consuming them; give it one of those names`,
      { file },
    );
  }
  const head = readHead(file, 64);
  if (head.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet';
  return sniffFormat(head.toString('utf8'));
}

/** The first bytes of a file (fewer when it is shorter). */
export function readHead(file: string, bytes: number): Buffer {
  const head = Buffer.alloc(bytes);
  try {
    const fd = fs.openSync(file, 'r');
    try {
      return head.subarray(0, fs.readSync(fd, head, 0, bytes, 0));
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw inputFileError(file, e);
  }
}
