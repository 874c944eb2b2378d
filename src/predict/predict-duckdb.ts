import { inputFormat, predictFile, type PredictSummary } from './predict-file';
import { NeurulesError } from '../errors';
import { statInputFile } from '../data/read-input-file';
import { outputTarget } from '../files/output-target';
import { kindOf } from '../files/regular-files';
import { openDuckDb } from './duckdb/connection';
import { runQuery, type PredictDuckDbOptions } from './duckdb/run';
import { scanCsv } from './duckdb/scan-csv';
import { csvSource, parquetSource } from './duckdb/source';

export type { PredictDuckDbOptions };

/**
 * Decide every record of a CSV or Parquet file inside embedded DuckDB, on all cores, with
 * exactly the output of {@link predictFile} with the compiled evaluator: the same lines
 * (line, class, rule id, probabilities) in the same order, the same summary, the same
 * rejected records with the same issues.
 *
 * DuckDB reads the file and runs the rule set as one SQL `CASE` (`ruleConditionsSql`) for
 * every row whose values it can vouch for: numbers DuckDB's typed cast reads as neurules
 * does (`TRY_CAST`, with a check for the spellings it reads and neurules refuses, made only
 * when the file's bytes hold one: `duckdb/number-sql.ts`), known levels, missing values.
 * Every other row (a bad number, an unseen level, a level with white space around it, a
 * ragged row) is handed back and read by the same code as the compiled engine's reader, so
 * its issues and decision are the compiled engine's by construction.
 * See `runQuery` (`duckdb/run.ts`) for how the rows keep their order; memory stays bounded whatever
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
      `${input}: the duckdb engine reads .csv and .parquet files; JSON lines are read by the compiled and json-rules-engine engines`,
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
  const scan = kind === 'csv' ? scanCsv(input) : undefined;
  if (scan?.irregularity) {
    options.onNote?.(
      `${input} ${scan.irregularity}: DuckDB cannot number its lines as neurules does, so the compiled engine reads it (same output)`,
    );
    return predictFile(options);
  }
  // The output is looked at before the work starts: a directory is refused at once.
  const output = typeof options.output === 'string' ? outputTarget(options.output) : options.output;
  const source = scan ? csvSource(input, options.schema, scan) : undefined;
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
