import type { PerceivedFacts } from '../perception/perceived';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataRecord, Schema } from '../data/types';
import { didYouMean, type Issue, NeurulesError } from '../errors';
import { kindOf } from '../files/regular-files';

/** What the decision log writes in place of a redacted field's value. */
export const REDACTED = '[redacted]';

/** One line of the decision log. */
export interface DecisionLogEntry {
  time: string;
  requestId: string;
  /** The model's name (lines written before it was logged have none). */
  model?: string;
  /** Content hash of the rule set that decided: its archive entry (`neurules history`). */
  ruleSet: string;
  ruleId: string;
  class: string;
  /** The facts the rules decided on (for a model with concepts, the perceived ones). */
  inputs: DataRecord;
  /** A model with perception concepts: what was perceived, and what a person set. */
  perceived?: PerceivedFacts;
  /** `serve --shadow`: what the challenger decided on the same facts, or why it could not. */
  shadow?: ShadowDecision;
}

/**
 * A challenger's decision in a decision-log line: its class, rule and rule set's hash, or
 * the error it failed with (the champion's answer stood).
 */
export type ShadowDecision = { class: string; ruleId: string; ruleSet: string } | { error: string };

/** Options of {@link DecisionLog}. */
export interface DecisionLogOptions {
  /**
   * The schema of the records logged: every name to redact must be one of its features
   * (UNKNOWN_FEATURE with a did-you-mean otherwise, since a misspelt name would leave the
   * field in clear). Required when there are names to redact.
   */
  schema?: Pick<Schema, 'features' | 'target'>;
  /**
   * Called once, with the first failure to write or reopen (the log then stays failed):
   * the place for a caller to report it, since the library prints nothing.
   */
  onError?: (error: NeurulesError) => void;
}

/** Lines waiting for one write, or a reopen, and the promise its callers wait on. */
interface Job {
  kind: 'write' | 'reopen';
  /** The lines of a write. */
  text: string;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: NeurulesError) => void;
}

const C = fs.constants;
// O_NONBLOCK: opening a FIFO that has no reader fails at once (ENXIO) instead of waiting
// for one, and the event loop with it; regular files ignore it, so it stays on the
// descriptor harmlessly. O_NOCTTY: a terminal is never made the controlling one. Both are
// absent (0) on Windows, which has no FIFOs or terminals in the file system.
const OPEN_FLAGS = C.O_WRONLY | C.O_APPEND | C.O_CREAT | (C.O_NONBLOCK ?? 0) | (C.O_NOCTTY ?? 0);

/**
 * The problems with redacting `redact` in records of `schema`: each name that is not a
 * feature is an UNKNOWN_FEATURE issue whose field is the name, with a did-you-mean (names
 * are case-sensitive). Empty when all are features.
 */
export function redactIssues(
  redact: readonly string[],
  schema: Pick<Schema, 'features' | 'target'>,
): Issue[] {
  const names = schema.features.map((f) => f.name);
  const known = new Set(names);
  return redact
    .filter((name, i) => !known.has(name) && redact.indexOf(name) === i)
    .map((name) => ({
      code: 'UNKNOWN_FEATURE' as const,
      message:
        name === schema.target
          ? `a field to redact must be a feature; '${name}' is the target column, which the decision log does not hold`
          : `a field to redact must be a feature of the model, found '${name}'${didYouMean(name, names)}`,
      field: name,
    }));
}

/**
 * An append-only JSON-lines decision log with group commit.
 *
 * `append()` resolves once its lines are written to the file (the `write` call returned,
 * so the lines are in the operating system's page cache; no `fsync`: a power loss may still
 * lose the last lines, a crash of the process does not). Lines appended while a write is
 * in flight are gathered and written together by the next single `write`, so a busy
 * service makes one write per batch, not one per decision. The file is opened in append
 * mode and each batch holds whole lines, so lines of other writers never interleave.
 *
 * The file must be a regular file (or a symbolic link to one), or not exist yet: a FIFO,
 * device, socket or directory is NOT_A_REGULAR_FILE, refused without waiting for a reader.
 *
 * The first failed write (disk full, I/O error) fails the log for good: that batch and
 * every later `append()` reject with a `DECISION_LOG_FAILED` error, and `onError` is
 * called once. The part of the failed batch that reached the file is cut off again
 * (`ftruncate` to the size after the last whole batch, which needs no free space), so
 * every line left in the file is one whose `append()` resolved. That presumes this log is
 * the file's only writer: if the file's size is not what this log left (another process
 * appended), nothing is cut and the error says from which byte lines may be of refused
 * decisions.
 *
 * `reopen()` opens the file again by its name, for log rotation.
 *
 * @example
 * const log = new DecisionLog('decisions.jsonl', ['age'], { schema });
 * await log.append([{ time, requestId, ruleSet, ruleId, class: 'bad', inputs }]);
 */
export class DecisionLog {
  /** The file the log appends to. */
  readonly file: string;
  private fd: number;
  /**
   * The file's size once the last write of this log completed (from `fstat` when opened,
   * then counted): where a failed batch is cut back to.
   */
  private committed: number;
  private readonly redact: ReadonlySet<string>;
  private readonly onError: ((error: NeurulesError) => void) | undefined;
  /** Writes and reopens not yet started, in order; appends join the last write. */
  private readonly queue: Job[] = [];
  /** A write or reopen is in flight. */
  private busy = false;
  private scheduled = false;
  private closing: (() => void) | undefined;
  private closed = false;
  private failed: NeurulesError | undefined;
  private rejected: Promise<void> | undefined;

  /**
   * Open (or create) `file` for appending; fields named in `redact` are written as
   * "[redacted]". Throws UNKNOWN_FEATURE when a name to redact is not a feature of
   * `options.schema` (INVALID_ARGUMENT when names are given without a schema),
   * NOT_A_REGULAR_FILE when `file` is a FIFO, device, socket or directory, and
   * `DECISION_LOG_FAILED` when it cannot be opened.
   */
  constructor(file: string, redact: readonly string[] = [], options: DecisionLogOptions = {}) {
    if (redact.length > 0) {
      if (!options.schema) {
        throw new NeurulesError(
          'INVALID_ARGUMENT',
          'fields to redact need the schema to be checked against (options.schema)',
          { field: 'schema' },
        );
      }
      const issues = redactIssues(redact, options.schema);
      if (issues.length > 0) throw NeurulesError.fromIssues(issues);
    }
    this.file = file;
    ({ fd: this.fd, size: this.committed } = openLogFile(file));
    this.redact = new Set(redact);
    this.onError = options.onError;
  }

  /** The failure that stopped the log, if one did. */
  get failure(): NeurulesError | undefined {
    return this.failed;
  }

  /**
   * Append decisions, one line each; resolves once they are written, rejects with a
   * `DECISION_LOG_FAILED` error when they cannot be (or the log has failed before).
   */
  append(entries: readonly DecisionLogEntry[]): Promise<void> {
    const refused = this.refusal();
    if (refused) return refused;
    let text = '';
    for (const entry of entries) text += this.line(entry);
    let job = this.queue[this.queue.length - 1];
    if (job?.kind !== 'write') this.queue.push((job = newJob('write')));
    job.text += text;
    this.kick();
    return job.promise;
  }

  /**
   * Open the file again by its name, as after a log rotation moved or removed it. Lines
   * appended before the call go to the file open until now (the write in flight and those
   * queued are finished first), lines appended after it to the file now at `file`: none is
   * lost between the two. Resolves once the new file is open. A file that cannot be opened
   * (or is not a regular file) fails the log as a failed write does: the old file may be
   * about to be compressed and removed by the rotation, so writing on to it would lose
   * decisions quietly. Rejects with `DECISION_LOG_FAILED` then, or when the log has
   * failed or is closed.
   */
  reopen(): Promise<void> {
    const refused = this.refusal();
    if (refused) return refused;
    const last = this.queue[this.queue.length - 1];
    if (last?.kind === 'reopen') return last.promise; // two signals in a row: one reopen
    const job = newJob('reopen');
    this.queue.push(job);
    this.kick();
    return job.promise;
  }

  /** Wait for the lines appended so far to be written, then close the file. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const previous = this.closing;
      this.closing = () => {
        previous?.();
        resolve();
      };
      if (!this.busy && !this.scheduled) this.finish();
    });
  }

  /** The rejection for a call made after a failure or a close, if it is one. */
  private refusal(): Promise<void> | undefined {
    if (this.rejected) return this.rejected;
    if (this.closed || this.closing) {
      return Promise.reject(
        new NeurulesError('DECISION_LOG_FAILED', 'the decision log is closed', {
          file: this.file,
        }),
      );
    }
    return undefined;
  }

  /** One JSON line; the keys in the order the log documents. */
  private line(entry: DecisionLogEntry): string {
    let inputs: DataRecord = entry.inputs;
    // The names redacted, so that a reader never takes a level spelt "[redacted]" for one.
    const redacted: string[] = [];
    if (this.redact.size > 0) {
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(inputs)) {
        if (this.redact.has(k)) redacted.push(k);
        copy[k] = this.redact.has(k) ? REDACTED : v;
      }
      inputs = copy as DataRecord;
    }
    // What was perceived of a concept that is redacted is redacted too: its value and
    // what a person set are the same secret as the fact.
    let perceived: Record<string, unknown> | undefined = entry.perceived;
    if (perceived && this.redact.size > 0) {
      perceived = Object.fromEntries(
        Object.entries(perceived).map(([k, v]) => [k, this.redact.has(k) ? REDACTED : v]),
      );
    }
    const line = {
      time: entry.time,
      requestId: entry.requestId,
      ...(entry.model !== undefined && { model: entry.model }),
      ruleSet: entry.ruleSet,
      ruleId: entry.ruleId,
      class: entry.class,
      inputs,
      // Listed whenever the line holds the marker, even as a level no one redacted.
      ...((redacted.length > 0 || Object.values(inputs).includes(REDACTED)) && { redacted }),
      ...(perceived && { perceived }),
      ...(entry.shadow && { shadow: entry.shadow }),
    };
    return JSON.stringify(line) + '\n';
  }

  /** Start the queue unless it is running: on the next turn of the event loop. */
  private kick(): void {
    if (this.busy || this.scheduled) return;
    // Lines of the requests read in the same turn of the event loop go in one write.
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Run the next job; when it is done, the one after (lines gathered meanwhile). */
  private pump(): void {
    if (this.busy) return;
    const job = this.queue.shift();
    if (!job) return this.finish();
    this.busy = true;
    if (job.kind === 'reopen') return this.reopenNow(job);
    const buffer = Buffer.from(job.text);
    writeAll(this.fd, buffer, 0, (error, written) => {
      if (!error) {
        this.committed += buffer.length;
        this.busy = false;
        job.resolve();
        return this.pump();
      }
      // The batch's callers are answered only once its lines are off the file again, so a
      // refused request never has a line there, even for a moment after its answer.
      this.cutBack(written, (left) => {
        this.busy = false;
        this.fail(`cannot write to the decision log: ${error.message}${left}`);
        job.reject(this.failed!);
        this.finish();
      });
    });
  }

  /** Swap in a new descriptor for the path; the old one is closed. */
  private reopenNow(job: Job): void {
    let opened: { fd: number; size: number };
    try {
      opened = openLogFile(this.file);
    } catch (e) {
      this.busy = false;
      this.fail(`cannot reopen the decision log: ${(e as Error).message}`);
      job.reject(this.failed!);
      return this.finish();
    }
    const old = this.fd;
    this.fd = opened.fd;
    this.committed = opened.size;
    // Every write to the old descriptor has returned; an error on closing it cannot be
    // acted on (the lines were handed to the system), so it is not waited for.
    fs.close(old, () => undefined);
    this.busy = false;
    job.resolve();
    this.pump();
  }

  /**
   * Cut the `written` bytes a failed batch left at the end of the file; `done` gets the
   * clause the error message adds (empty when nothing is left).
   */
  private cutBack(written: number, done: (left: string) => void): void {
    if (written === 0) return done('');
    const keep = this.committed;
    const cannot = (why: string) =>
      done(`; lines of refused decisions may remain after byte ${keep} (${written} bytes): ${why}`);
    fs.fstat(this.fd, (statError, stats) => {
      if (statError) return cannot(statError.message);
      if (stats.size !== keep + written) {
        return cannot(
          `the file is ${stats.size} bytes, not the ${keep + written} this log left, so another process writes to it too`,
        );
      }
      fs.ftruncate(this.fd, keep, (truncateError) => {
        if (truncateError) return cannot(truncateError.message);
        done('; the lines of the refused decisions were cut off the end of the file');
      });
    });
  }

  /** Fail the log for good: every job queued and every later call is refused. */
  private fail(message: string): void {
    if (this.failed) return;
    this.failed = new NeurulesError('DECISION_LOG_FAILED', message, { file: this.file });
    this.rejected = Promise.reject(this.failed);
    this.rejected.catch(() => undefined); // callers may ignore it: never an unhandled rejection
    for (const job of this.queue.splice(0)) job.reject(this.failed);
    this.onError?.(this.failed);
  }

  /** Close the file once asked to and nothing is left to do. */
  private finish(): void {
    if (!this.closing || this.closed || this.busy || this.scheduled || this.queue.length > 0)
      return;
    this.closed = true;
    const done = this.closing;
    fs.close(this.fd, () => done());
  }
}

function newJob(kind: Job['kind']): Job {
  let resolve!: () => void;
  let reject!: (error: NeurulesError) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // rejections reach the callers that await it
  return { kind, text: '', promise, resolve, reject };
}

/**
 * Open `file` for appending, creating it (and its folder) if missing; only a regular file
 * (or a link to one) is accepted, checked on the descriptor opened, so nothing can be
 * swapped in between a check and the open. Returns the descriptor and the file's size.
 */
function openLogFile(file: string): { fd: number; size: number } {
  let fd: number | undefined;
  try {
    // A device is refused before it is even opened (opening some has effects); the fstat
    // of the opened descriptor below is the check that counts.
    const before = statOrMissing(file);
    if (before && !before.isFile()) throw notRegular(file, before);
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fd = fs.openSync(file, OPEN_FLAGS, 0o666);
    const opened = fs.fstatSync(fd);
    if (!opened.isFile()) throw notRegular(file, opened);
    return { fd, size: opened.size };
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    if (e instanceof NeurulesError) throw e;
    const error = e as NodeJS.ErrnoException;
    // ENXIO: a FIFO with no reader (or a socket) put in place after the check.
    if (error.code === 'ENXIO' || error.code === 'EISDIR') {
      const now = statOrMissing(file);
      if (now && !now.isFile()) throw notRegular(file, now);
    }
    throw new NeurulesError(
      'DECISION_LOG_FAILED',
      `cannot open the decision log for appending: ${error.message}`,
      { file },
    );
  }
}

function statOrMissing(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function notRegular(file: string, stats: fs.Stats): NeurulesError {
  return new NeurulesError(
    'NOT_A_REGULAR_FILE',
    `expected a regular file (or a path to create one) for the decision log, found ${kindOf(stats)}`,
    { file },
  );
}

/**
 * Write all of `buffer` from `offset`, continuing after short writes; `done` gets the
 * bytes written in all (those a failed write left in the file).
 */
function writeAll(
  fd: number,
  buffer: Buffer,
  offset: number,
  done: (error: NodeJS.ErrnoException | undefined, written: number) => void,
): void {
  fs.write(fd, buffer, offset, buffer.length - offset, null, (error, written) => {
    if (error) return done(error, offset);
    if (written === 0)
      return done(Object.assign(new Error('nothing written'), { code: 'EIO' }), offset);
    if (offset + written < buffer.length) return writeAll(fd, buffer, offset + written, done);
    done(undefined, buffer.length);
  });
}
