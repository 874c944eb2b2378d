import { parse as parseCsvStream } from 'csv-parse';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { once } from 'node:events';
import { CSV_OPTIONS } from '../data/parse-csv';
import {
  createCsvRowReader,
  formatFromExtension,
  parseJsonlLine,
  type ParsedRecord,
  sniffFormat,
} from '../data/read-records';
import type { Schema } from '../data/types';
import type { Decider } from '../engine/rule-engine';
import { type Issue, NeurulesError } from '../errors';
import type { ModelLocation } from '../artifacts/types';
import { openModel } from './open-model';
import { writeFailure } from '../files/write-atomic';

export type { Decider };

/** Options of {@link predictFile}. */
export interface PredictFileOptions {
  schema: Schema;
  decider: Decider;
  /** CSV (header row) or JSONL file. */
  input: string;
  /** Where the JSON lines go: a file (written to a temporary file, renamed at the end) or a stream. */
  output: string | NodeJS.WritableStream;
  /** Stop at the first bad record instead of skipping it. @defaultValue false */
  strict?: boolean;
  /** Called every few thousand records and at the end. */
  onProgress?: (p: { records: number; bytes: number; totalBytes: number }) => void;
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
const PROGRESS_EVERY = 5_000;

/**
 * Decide every record of a CSV or JSONL file and write one JSON line per record, in input
 * order: `{"line", "class", "ruleId", "probabilities"}`. The file is streamed: memory stays
 * constant whatever its size. A bad record is skipped and reported with its line (or,
 * with `strict`, stops the run with nothing written).
 */
export async function predictFile(options: PredictFileOptions): Promise<PredictSummary> {
  const { schema, decider } = options;
  let totalBytes: number;
  try {
    totalBytes = fs.statSync(options.input).size;
  } catch {
    throw new NeurulesError('FILE_NOT_FOUND', `${options.input} does not exist or cannot be read`, {
      file: options.input,
    });
  }
  const summary: PredictSummary = {
    records: 0,
    classes: {},
    rejected: 0,
    problems: [],
    labelled: 0,
    correct: 0,
  };
  for (const c of schema.classes) summary.classes[c] = 0;

  const toFile = typeof options.output === 'string';
  const target = toFile ? (options.output as string) : undefined;
  const tmp = target
    ? path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`)
    : undefined;
  const out: NodeJS.WritableStream = tmp
    ? fs.createWriteStream(tmp)
    : (options.output as NodeJS.WritableStream);
  let writeError: Error | undefined;
  if (tmp) out.on('error', (e: Error) => (writeError ??= e));
  const input = fs.createReadStream(options.input);
  let bytes = 0;
  input.on('data', (chunk) => (bytes += chunk.length));

  const write = async (text: string): Promise<void> => {
    if (writeError) throw writeFailure(writeError, target!);
    if (!out.write(text)) await once(out, 'drain');
  };
  const handle = async (parsed: ParsedRecord): Promise<void> => {
    if (parsed.issues.length > 0) {
      if (options.strict) throw NeurulesError.fromIssues(parsed.issues);
      summary.rejected++;
      for (const issue of parsed.issues)
        if (summary.problems.length < MAX_PROBLEMS) summary.problems.push(issue);
      return;
    }
    const d = await decider.decide(parsed.record);
    summary.records++;
    summary.classes[d.class] = (summary.classes[d.class] ?? 0) + 1;
    if (parsed.label !== null) {
      summary.labelled++;
      if (schema.classes[parsed.label] === d.class) summary.correct++;
    }
    await write(
      JSON.stringify({
        line: parsed.line,
        class: d.class,
        ruleId: d.ruleId,
        probabilities: d.probabilities,
      }) + '\n',
    );
    if (summary.records % PROGRESS_EVERY === 0)
      options.onProgress?.({ records: summary.records, bytes, totalBytes });
  };

  try {
    if (isCsv(options.input)) await streamCsv(options.input, input, schema, handle);
    else await streamJsonl(options.input, input, schema, handle);
    if (summary.records + summary.rejected === 0) {
      throw new NeurulesError('EMPTY_FILE', `${options.input} has no records`, {
        file: options.input,
      });
    }
    if (tmp && target) {
      out.end();
      if (!writeError) await once(out, 'close');
      if (writeError) throw writeFailure(writeError, target);
      try {
        fs.renameSync(tmp, target);
      } catch (e) {
        throw writeFailure(e, target);
      }
    }
  } catch (e) {
    input.destroy();
    if (tmp) {
      (out as fs.WriteStream).destroy();
      fs.rmSync(tmp, { force: true });
    }
    throw e;
  }
  options.onProgress?.({ records: summary.records, bytes: totalBytes, totalBytes });
  return summary;
}

/** The evaluators that decide records: identical decisions, the compiled one much faster. */
export type EngineName = 'compiled' | 'json-rules-engine';

/**
 * Open a model's rule set (no network) and decide every record of a file with it, as
 * {@link predictFile} does; the summary also names the rule set and the evaluator.
 *
 * @example
 * const summary = await predictModel(loc, { input: 'applicants.jsonl', output: 'decisions.jsonl' });
 */
export async function predictModel(
  loc: ModelLocation,
  options: Omit<PredictFileOptions, 'schema' | 'decider'> & { engine?: EngineName },
): Promise<PredictSummary & { ruleSetHash: string; engine: EngineName }> {
  const engine = options.engine ?? 'compiled';
  const model = await openModel(loc, { engine });
  const { engine: _engine, ...rest } = options;
  const summary = await predictFile({
    ...rest,
    schema: model.schema,
    decider: model.compiled ?? model.engine,
  });
  return { ...summary, ruleSetHash: model.ruleSetHash, engine };
}

function isCsv(file: string): boolean {
  const known = formatFromExtension(file);
  if (known) return known === 'csv';
  const head = Buffer.alloc(64);
  const fd = fs.openSync(file, 'r');
  const n = fs.readSync(fd, head, 0, 64, 0);
  fs.closeSync(fd);
  return sniffFormat(head.subarray(0, n).toString('utf8')) === 'csv';
}

async function streamJsonl(
  file: string,
  input: fs.ReadStream,
  schema: Schema,
  handle: (p: ParsedRecord) => Promise<void>,
): Promise<void> {
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    const parsed = parseJsonlLine(
      schema,
      line === 1 ? text.replace(/^\uFEFF/, '') : text,
      { file, line },
      { unknownCategories: 'error' },
    );
    if (parsed) await handle(parsed);
  }
}

async function streamCsv(
  file: string,
  input: fs.ReadStream,
  schema: Schema,
  handle: (p: ParsedRecord) => Promise<void>,
): Promise<void> {
  // A single record delimiter (detected from the file) keeps csv-parse's line count exact.
  const { record_delimiter: _all, ...options } = CSV_OPTIONS;
  const parser = input.pipe(parseCsvStream({ ...options, info: true }));
  let readRow: ((row: { fields: string[]; line: number }) => ParsedRecord) | undefined;
  let width = 0;
  try {
    for await (const item of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const fields = item.record;
      // info.lines is the record's last line; quoted newlines push it past the first.
      const embedded = fields.reduce((s, f) => s + (f.match(/\r\n|\n|\r/g)?.length ?? 0), 0);
      const line = item.info.lines - embedded;
      if (!readRow) {
        readRow = createCsvRowReader(schema, fields, { file, line });
        width = fields.length;
        continue;
      }
      if (fields.length !== width) {
        await handle({
          record: {},
          label: null,
          line,
          issues: [
            {
              code: 'RAGGED_ROW',
              message: `expected ${width} fields as in the header, found ${fields.length}`,
              file,
              line,
            },
          ],
        });
        continue;
      }
      await handle(readRow({ fields, line }));
    }
  } catch (e) {
    if (e instanceof NeurulesError) throw e;
    const err = e as { code?: string; lines?: number; message: string };
    if (typeof err.code === 'string' && err.code.startsWith('CSV_')) {
      throw new NeurulesError('CSV_SYNTAX', `the CSV is malformed: ${err.message}`, {
        file,
        ...(err.lines && { line: err.lines }),
      });
    }
    throw e;
  }
  if (!readRow) throw new NeurulesError('EMPTY_FILE', `${file} is empty`, { file });
}
