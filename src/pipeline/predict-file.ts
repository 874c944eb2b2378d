import * as fs from 'node:fs';
import * as path from 'node:path';
import { once } from 'node:events';
import { inputFileError, statInputFile } from '../data/read-input-file';
import { formatFromExtension, sniffFormat } from '../data/read-records';
import { streamRecords } from '../data/stream-records';
import type { Schema } from '../data/types';
import type { Decider, Decision } from '../engine/rule-engine';
import { type Issue, NeurulesError } from '../errors';
import { processAlive } from '../artifacts/model-lock';
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
  /**
   * Stops the run: reading stops, the temporary output file is removed (the output file
   * is left as it was), and the run rejects with the signal's reason. The CLI aborts on
   * SIGINT and SIGTERM; library code installs no signal handler of its own.
   */
  signal?: AbortSignal | undefined;
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
 *
 * An output file is written to `.NAME.PID.tmp` beside it and renamed at the end; a run that
 * fails or is aborted (`signal`) removes it, and each run removes such files left by
 * processes that are no longer alive (a killed run cannot clean up after itself).
 *
 * Throws FILE_NOT_FOUND or INPUT_IS_DIRECTORY for the input, the header errors of
 * `streamRecords` (HEADER_ONLY, DUPLICATE_COLUMN, MISSING_FEATURE, ...), EMPTY_FILE for
 * a JSONL file without records, WRITE_FAILED for the output.
 */
export async function predictFile(options: PredictFileOptions): Promise<PredictSummary> {
  const { schema, decider, signal } = options;
  signal?.throwIfAborted();
  const totalBytes = statInputFile(options.input).size;
  const summary: PredictSummary = {
    records: 0,
    classes: {},
    rejected: 0,
    problems: [],
    labelled: 0,
    correct: 0,
  };
  for (const c of schema.classes) summary.classes[c] = 0;

  const format = isCsv(options.input) ? 'csv' : 'jsonl';
  const toFile = typeof options.output === 'string';
  const target = toFile ? (options.output as string) : undefined;
  if (target) removeStaleTemporaryFiles(target);
  const tmp = target ? temporaryFile(target, process.pid) : undefined;
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
    if (!out.write(text)) await once(out, 'drain', signal ? { signal } : {});
    if (writeError) throw writeFailure(writeError, target!);
  };

  let nextProgress = PROGRESS_EVERY;
  try {
    for await (const batch of streamRecords(options.input, schema, { format, signal })) {
      signal?.throwIfAborted();
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
    if (tmp) await discard(out as fs.WriteStream, tmp);
    throw signal?.aborted ? signal.reason : e;
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
  let n: number;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      n = fs.readSync(fd, head, 0, 64, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw inputFileError(file, e);
  }
  return sniffFormat(head.subarray(0, n).toString('utf8')) === 'csv';
}

/** The temporary file a process with `pid` writes `target` to before renaming it. */
function temporaryFile(target: string, pid: number): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${pid}.tmp`);
}

/**
 * Remove the temporary files of `target` (see {@link temporaryFile}) whose process is no
 * longer alive: a run killed outright (SIGKILL, a power cut) leaves its file behind. A file
 * of a live process (a run writing the same output right now) is left alone, and so is one
 * whose process cannot be asked (`EPERM`: alive, another user's). A PID reused since is
 * taken for alive: the file then stays until a later run, never is a live run's removed.
 */
function removeStaleTemporaryFiles(target: string): void {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return; // no such directory yet: creating the output reports it
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pidText = name.slice(prefix.length, -'.tmp'.length);
    if (!/^[1-9]\d{0,9}$/.test(pidText)) continue;
    const pid = Number(pidText);
    // No process has a PID past 2^31 - 1 (process.kill refuses one): not a file of ours.
    if (pid > 0x7fffffff || pid === process.pid || processAlive(pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
    } catch {
      // Not ours to insist on: the run goes on and writes its own temporary file.
    }
  }
}

/**
 * Close a temporary output stream (after its file is open, when it was still opening: else
 * the file would appear after its removal) and remove the file.
 */
async function discard(out: fs.WriteStream, tmp: string): Promise<void> {
  if (!out.closed) {
    const closed = once(out, 'close').catch(() => undefined);
    out.destroy();
    await closed;
  }
  fs.rmSync(tmp, { force: true });
}
