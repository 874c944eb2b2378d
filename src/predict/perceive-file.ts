import { statInputFile } from '../data/read-input-file';
import { streamRecords } from '../data/stream-records';
import type { Value } from '../data/types';
import { type Issue, NeurulesError } from '../errors';
import { quoteString } from '../exports/sql-quote';
import type { PerceptionFront } from '../perception/perception-front';
import { csvField, DecisionOutput } from './decision-output';
import { inputFormat, writeAll } from './predict-file';

/** Options of {@link perceiveFile}. */
export interface PerceiveFileOptions {
  front: PerceptionFront;
  /** CSV (header row) or JSONL file of raw records. */
  input: string;
  /** `.csv`, `.parquet`, else JSON lines; or a stream (JSON lines). */
  output: string | NodeJS.WritableStream;
  /** Stop at the first bad record instead of skipping it. @defaultValue false */
  strict?: boolean;
  signal?: AbortSignal | undefined;
  onProgress?: (p: { records: number; bytes: number; totalBytes: number }) => void;
}

/** What {@link perceiveFile} did. */
export interface PerceiveSummary {
  records: number;
  rejected: number;
  /** The first problems of the rejected records (at most 100), each with its line. */
  problems: Issue[];
  /** The columns written after `line`: the rules' facts, in the rules' schema order. */
  columns: string[];
}

const MAX_PROBLEMS = 100;

/**
 * Where perception cannot run: perceive every record of a raw file and write what the
 * rules read, one row per record: `line`, then every fact of the rules' schema (each
 * concept's `NAME` and `NAME_confidence`, then the ordinary features as read). A warehouse
 * runs the SQL or DMN export of the rules on these columns and decides as `predict` does.
 * Written as `predict` writes (temporary file and rename; FIFOs and devices written into).
 *
 * Throws what `predictFile` throws for its input and output.
 */
export async function perceiveFile(options: PerceiveFileOptions): Promise<PerceiveSummary> {
  const { front, signal } = options;
  signal?.throwIfAborted();
  const totalBytes = statInputFile(options.input).size;
  const format = inputFormat(options.input);
  if (format === 'parquet') {
    throw new NeurulesError(
      'UNSUPPORTED_FORMAT',
      `${options.input} is a Parquet file: perception reads raw records from .csv and .jsonl`,
      { file: options.input },
    );
  }
  const features = front.schema.features;
  const columns = features.map((f) => f.name);
  if (columns.includes('line')) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      "the rules read a fact named 'line', which is the output's own first column: rename that column and build again",
      { field: 'line' },
    );
  }
  const parquetColumns = `{${["'line': 'BIGINT'", ...features.map((f) => `${quoteString(f.name)}: '${f.type === 'numeric' ? 'DOUBLE' : 'VARCHAR'}'`)].join(', ')}}`;
  const output = new DecisionOutput(options.output, front.schema.classes, signal, {
    parquetColumns,
  });
  const csv = output.format === 'csv';
  const summary: PerceiveSummary = { records: 0, rejected: 0, problems: [], columns };
  const reject = (issues: Issue[]): void => {
    if (options.strict) throw NeurulesError.fromIssues(issues);
    summary.rejected++;
    for (const issue of issues)
      if (summary.problems.length < MAX_PROBLEMS) summary.problems.push(issue);
  };
  const cell = (v: Value | undefined): string =>
    v === null || v === undefined ? '' : typeof v === 'number' ? String(v) : csvField(v);
  await writeAll(output, options.input, signal, async () => {
    if (csv) await output.write(['line', ...columns].map(csvField).join(',') + '\n');
    for await (const batch of streamRecords(options.input, front.spec.input, { format, signal })) {
      signal?.throwIfAborted();
      const valid = batch.records.filter((p) => {
        if (p.issues.length === 0) return true;
        reject(p.issues);
        return false;
      });
      const { rows } = await front.perceive(
        valid.map((p) => p.record),
        { file: options.input, lines: valid.map((p) => p.line) },
      );
      let text = '';
      rows.forEach((row, k) => {
        if ('issues' in row) return reject(row.issues);
        summary.records++;
        const line = valid[k]!.line;
        text += csv
          ? [String(line), ...columns.map((c) => cell(row.record[c]))].join(',') + '\n'
          : JSON.stringify({ line, ...row.record }) + '\n';
      });
      if (text) await output.write(text);
      options.onProgress?.({ records: summary.records, bytes: batch.bytesRead, totalBytes });
    }
    return summary.records + summary.rejected;
  });
  return summary;
}
