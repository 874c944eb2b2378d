import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { formatFromExtension, sniffFormat } from '../data/read-records';
import { streamRecords } from '../data/stream-records';
import type { Schema } from '../data/types';
import type { Decider, Decision } from '../engine/rule-engine';
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

  // Output goes out a batch at a time; a decision's JSON after its line number is made once
  // per decision object (the compiled evaluator hands out one frozen object per rule).
  const tails = new WeakMap<Decision, string>();
  const lineOf = (line: number, d: Decision): string => {
    let tail = Object.isFrozen(d) ? tails.get(d) : undefined;
    if (tail === undefined) {
      const json = JSON.stringify({
        class: d.class,
        ruleId: d.ruleId,
        probabilities: d.probabilities,
      });
      tail = json.slice(1) + '\n';
      if (Object.isFrozen(d)) tails.set(d, tail);
    }
    return '{"line":' + line + ',' + tail;
  };
  const write = async (text: string): Promise<void> => {
    if (writeError) throw writeFailure(writeError, target!);
    if (!out.write(text)) await once(out, 'drain');
    if (writeError) throw writeFailure(writeError, target!);
  };

  const format = isCsv(options.input) ? 'csv' : 'jsonl';
  let nextProgress = PROGRESS_EVERY;
  try {
    for await (const batch of streamRecords(options.input, schema, { format })) {
      let text = '';
      for (const parsed of batch.records) {
        if (parsed.issues.length > 0) {
          if (options.strict) throw NeurulesError.fromIssues(parsed.issues);
          summary.rejected++;
          for (const issue of parsed.issues)
            if (summary.problems.length < MAX_PROBLEMS) summary.problems.push(issue);
          continue;
        }
        const decided = decider.decide(parsed.record);
        // Awaited only when the decider is asynchronous (json-rules-engine).
        const d = isPromise(decided) ? await decided : decided;
        summary.records++;
        summary.classes[d.class] = (summary.classes[d.class] ?? 0) + 1;
        if (parsed.label !== null) {
          summary.labelled++;
          if (schema.classes[parsed.label] === d.class) summary.correct++;
        }
        text += lineOf(parsed.line, d);
      }
      if (text) await write(text);
      if (summary.records >= nextProgress) {
        nextProgress = summary.records + PROGRESS_EVERY;
        options.onProgress?.({ records: summary.records, bytes: batch.bytesRead, totalBytes });
      }
    }
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
    if (tmp) {
      (out as fs.WriteStream).destroy();
      fs.rmSync(tmp, { force: true });
    }
    throw e;
  }
  options.onProgress?.({ records: summary.records, bytes: totalBytes, totalBytes });
  return summary;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
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
