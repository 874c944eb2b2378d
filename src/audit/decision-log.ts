import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DataRecord } from '../data/types';
import { NeurulesError } from '../errors';

/** One line of the decision log. */
export interface DecisionLogEntry {
  time: string;
  requestId: string;
  /** Content hash of the rule set that decided. */
  ruleSet: string;
  ruleId: string;
  class: string;
  inputs: DataRecord;
}

/** Options of {@link DecisionLog}. */
export interface DecisionLogOptions {
  /**
   * Called once, with the first failure to write (the log then stays failed): the place
   * for a caller to report it, since the library prints nothing.
   */
  onError?: (error: NeurulesError) => void;
}

/** Lines waiting for one write, and the promise every appender of them waits on. */
interface Batch {
  text: string;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: NeurulesError) => void;
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
 * The first failed write (disk full, I/O error) fails the log for good: that batch and
 * every later `append()` reject with a `DECISION_LOG_FAILED` error, and `onError` is
 * called once. A failed write may leave part of a line at the end of the file.
 *
 * @example
 * const log = new DecisionLog('decisions.jsonl', ['age']);
 * await log.append([{ time, requestId, ruleSet, ruleId, class: 'bad', inputs }]);
 */
export class DecisionLog {
  /** The file the log appends to. */
  readonly file: string;
  private readonly fd: number;
  private readonly redact: ReadonlySet<string>;
  private readonly onError: ((error: NeurulesError) => void) | undefined;
  /** Lines not yet handed to `write`. */
  private next: Batch | undefined;
  private writing = false;
  private scheduled = false;
  private closing: (() => void) | undefined;
  private closed = false;
  private failed: NeurulesError | undefined;
  private rejected: Promise<void> | undefined;

  /**
   * Open (or create) `file` for appending; fields named in `redact` are written as
   * "[redacted]". Throws `DECISION_LOG_FAILED` when the file cannot be opened.
   */
  constructor(file: string, redact: readonly string[] = [], options: DecisionLogOptions = {}) {
    this.file = file;
    try {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      this.fd = fs.openSync(file, 'a');
    } catch (e) {
      throw new NeurulesError(
        'DECISION_LOG_FAILED',
        `cannot open the decision log for appending: ${(e as Error).message}`,
        { file },
      );
    }
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
    if (this.rejected) return this.rejected;
    if (this.closed || this.closing) {
      return Promise.reject(
        new NeurulesError('DECISION_LOG_FAILED', 'the decision log is closed', {
          file: this.file,
        }),
      );
    }
    let text = '';
    for (const entry of entries) text += this.line(entry);
    const batch = (this.next ??= newBatch());
    batch.text += text;
    if (!this.writing && !this.scheduled) {
      // Lines of the requests read in the same turn of the event loop go in one write.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
    return batch.promise;
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
      if (!this.writing && !this.scheduled) this.finish();
    });
  }

  /** One JSON line; the keys in the order the log documents. */
  private line(entry: DecisionLogEntry): string {
    let inputs: DataRecord = entry.inputs;
    if (this.redact.size > 0) {
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(inputs)) copy[k] = this.redact.has(k) ? '[redacted]' : v;
      inputs = copy as DataRecord;
    }
    const line = {
      time: entry.time,
      requestId: entry.requestId,
      ruleSet: entry.ruleSet,
      ruleId: entry.ruleId,
      class: entry.class,
      inputs,
    };
    return JSON.stringify(line) + '\n';
  }

  /** Write the batch gathered so far; when done, the one gathered meanwhile. */
  private flush(): void {
    const batch = this.next;
    if (!batch) return this.finish();
    this.next = undefined;
    this.writing = true;
    writeAll(this.fd, Buffer.from(batch.text), 0, (error) => {
      this.writing = false;
      if (error) {
        this.fail(error);
        batch.reject(this.failed!);
        this.next?.reject(this.failed!);
        this.next = undefined;
        return this.finish();
      }
      batch.resolve();
      if (this.next) this.flush();
      else this.finish();
    });
  }

  private fail(error: NodeJS.ErrnoException): void {
    if (this.failed) return;
    this.failed = new NeurulesError(
      'DECISION_LOG_FAILED',
      `cannot write to the decision log: ${error.message}`,
      { file: this.file },
    );
    this.rejected = Promise.reject(this.failed);
    this.rejected.catch(() => undefined); // callers may ignore it: never an unhandled rejection
    this.onError?.(this.failed);
  }

  /** Close the file once asked to and nothing is left to write. */
  private finish(): void {
    if (!this.closing || this.closed || this.writing || this.scheduled || this.next) return;
    this.closed = true;
    const done = this.closing;
    fs.close(this.fd, () => done());
  }
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: NeurulesError) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // rejections reach the appenders that await it
  return { text: '', promise, resolve, reject };
}

/** Write all of `buffer` from `offset`, continuing after short writes. */
function writeAll(
  fd: number,
  buffer: Buffer,
  offset: number,
  done: (error?: NodeJS.ErrnoException) => void,
): void {
  fs.write(fd, buffer, offset, buffer.length - offset, null, (error, written) => {
    if (error) return done(error);
    if (written === 0) return done(Object.assign(new Error('nothing written'), { code: 'EIO' }));
    if (offset + written < buffer.length) return writeAll(fd, buffer, offset + written, done);
    done();
  });
}
