import * as fs from 'node:fs';
import { Writable } from 'node:stream';
import { changedTarget, isStandardOutput, type WriteThrough } from './output-target';
import { kindOf } from './regular-files';
import { writeFailure } from './write-failure';

const C = fs.constants;
// O_APPEND: a regular file reached through another process's descriptor is added to, never
// overwritten from its start (it is a no-op on FIFOs and devices). O_NOCTTY: a terminal is
// never made the controlling terminal. O_NONBLOCK: opening a FIFO without a reader fails
// at once (ENXIO) instead of blocking a thread, so a wait for a reader can be given up;
// writes then may return EAGAIN, which the writers below wait out. No O_CREAT, no O_TRUNC:
// a write-through target exists, and is not ours to truncate.
const THROUGH_FLAGS = C.O_WRONLY | C.O_APPEND | (C.O_NOCTTY ?? 0) | (C.O_NONBLOCK ?? 0);
/** The longest wait between two tries of a full pipe or a FIFO without a reader, in ms. */
const MAX_WAIT = 50;

/**
 * The flags `target` is opened with: a FIFO's or a device's path without following a link
 * (it was no link when looked at: one put there since is not followed, e.g. to a file to
 * append to); another process's descriptor through its link, which is what it is.
 */
function flagsOf(target: WriteThrough): number {
  return THROUGH_FLAGS | (target.descriptor ? 0 : (C.O_NOFOLLOW ?? 0));
}

/**
 * The error for what was opened for `target` when it is not what `target` was looked at as
 * (a FIFO swapped for a regular file since), else undefined; a link met by `O_NOFOLLOW`
 * (ELOOP) is such a swap too.
 */
function swapped(target: WriteThrough, opened: fs.Stats | 'a symbolic link'): Error | undefined {
  if (target.descriptor) return undefined;
  if (opened === 'a symbolic link') return changedTarget(target.name, opened);
  const same = target.fifo ? opened.isFIFO() : opened.isCharacterDevice();
  return same ? undefined : changedTarget(target.name, kindOf(opened));
}

/**
 * Write `data` into a write-through target (a FIFO, a character device, a descriptor) and
 * close what was opened. A FIFO without a reader is WRITE_FAILED at once (`ENXIO`): this is
 * the synchronous writer, and a wait for a reader would stop the whole process (a running
 * studio with it); {@link ThroughStream} waits. Other failures (`ENOSPC` on `/dev/full`,
 * `EPIPE` when the reader leaves) are WRITE_FAILED naming the target (only standard output's
 * reader may leave early, see `readerMayLeave`).
 */
export function writeThroughSync(target: WriteThrough, data: string | Uint8Array): void {
  let fd: number | undefined;
  try {
    if (target.fd === undefined) {
      try {
        fd = fs.openSync(target.path, flagsOf(target));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw (code === 'ELOOP' && swapped(target, 'a symbolic link')) || e;
      }
      const changed = swapped(target, fs.fstatSync(fd));
      if (changed) throw changed;
    } else fd = target.fd;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let offset = 0, wait = 1; offset < bytes.length;) {
      try {
        offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
        wait = 1;
      } catch (e) {
        // A full pipe, or a descriptor another part of the process made non-blocking.
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        sleepSync(wait);
        wait = Math.min(wait * 2, MAX_WAIT);
      }
    }
  } catch (e) {
    throw writeFailure(e, target.name, {
      wroteInto: true,
      readerMayLeave: isStandardOutput(target),
    });
  } finally {
    if (fd !== undefined && target.fd === undefined) fs.closeSync(fd);
  }
}

/**
 * A stream into a write-through target. A FIFO without a reader is waited for (as a
 * shell's `>` waits), a try every few milliseconds, until a reader comes or the stream is
 * destroyed; a full pipe is waited out the same way. Errors are the file system's (see
 * {@link writeFailure} to name them); a descriptor of the process's own is never closed.
 */
export class ThroughStream extends Writable {
  private fd: number | undefined;

  constructor(private readonly target: WriteThrough) {
    super();
  }

  override _construct(callback: (error?: Error | null) => void): void {
    if (this.target.fd !== undefined) {
      this.fd = this.target.fd;
      callback();
      return;
    }
    const attempt = (wait: number): void => {
      // Destroyed while waiting for a reader: give up (destroy then runs _destroy).
      if (this.destroyed) return callback();
      fs.open(this.target.path, flagsOf(this.target), (e, fd) => {
        if (e?.code === 'ENXIO' && this.target.fifo) {
          setTimeout(attempt, wait, Math.min(wait * 2, MAX_WAIT));
        } else if (e) {
          callback((e.code === 'ELOOP' && swapped(this.target, 'a symbolic link')) || e);
        } else {
          this.fd = fd; // closed by _destroy, whatever happens next
          fs.fstat(fd, (statError, stats) => callback(statError ?? swapped(this.target, stats)));
        }
      });
    };
    attempt(1);
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    const fd = this.fd!;
    const write = (offset: number, wait: number): void => {
      fs.write(fd, chunk, offset, chunk.length - offset, null, (e, n) => {
        if (e?.code === 'EAGAIN' && !this.destroyed) {
          setTimeout(write, wait, offset, Math.min(wait * 2, MAX_WAIT));
        } else if (e) callback(e);
        else if (offset + n < chunk.length) write(offset + n, 1);
        else callback();
      });
    };
    write(0, 1);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined || this.target.fd !== undefined) return callback(error);
    fs.close(fd, () => callback(error));
  }
}

/**
 * Wait until what was written to `stream` has gone out, or the stream has failed: a
 * synchronous stream (a file or device as standard output) reports its failure on the next
 * tick, an asynchronous one (a pipe) once its queue is written. Resolves either way; the
 * stream's `error` event says what failed.
 */
export async function flushed(stream: NodeJS.WritableStream): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  const w = stream as Writable;
  if (w.destroyed || !w.writableLength) return;
  // An empty write's callback runs once every write queued before it is done (or failed);
  // 'drain' would not come for a queue that never filled up.
  await new Promise<void>((resolve) => w.write(Buffer.alloc(0), () => resolve()));
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Block for `ms` milliseconds (the synchronous writer's wait on a full pipe). */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
