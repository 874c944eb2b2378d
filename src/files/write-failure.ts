import { isNeurulesError, NeurulesError } from '../errors';

/** Options of {@link writeFailure}. */
export interface WriteFailureOptions {
  /**
   * The output was being written into (a FIFO, a device, a stream), not to a temporary
   * file: what was written before the failure stays there.
   * @defaultValue false
   */
  wroteInto?: boolean;
  /** `target` names a stream (standard output), not a file: the error has no file place. @defaultValue false */
  stream?: boolean;
  /**
   * `target` is standard output (the command line's stream, or `/dev/stdout` named as an
   * output), whose reader may stop reading early (`| head`): a closed pipe there ends the
   * output rather than fails it, which {@link isClosedPipe} tells. A FIFO or any other
   * named output whose reader leaves has failed, as any write that loses data.
   * @defaultValue false
   */
  readerMayLeave?: boolean;
}

/** WRITE_FAILED errors of standard output whose cause is its reader leaving (see `readerMayLeave`). */
const endedByReader = new WeakSet<NeurulesError>();

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EFBIG: 'the file is too large',
  EIO: 'an input/output error',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'a folder of its path does not exist',
  EEXIST: 'a file is in the way',
  ELOOP: 'its path is a loop of symbolic links',
  ENXIO: 'nothing reads it (a FIFO without a reader, or a device that is not there)',
  EPIPE: 'its reader closed it',
  EBADF: 'it is not open for writing',
};

/**
 * A file-system failure while writing `target` as a WRITE_FAILED error naming it, with the
 * errno error as its `cause` (a NeurulesError, e.g. from a `fill` callback, passes through
 * unchanged; anything without an errno code too).
 */
export function writeFailure(
  e: unknown,
  target: string,
  options: WriteFailureOptions = {},
): unknown {
  if (isNeurulesError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string') return e;
  const reason = WHY[err.code] ?? err.message;
  const after = options.wroteInto
    ? 'what was written before the failure stays there'
    : 'nothing was changed there';
  const failure = new NeurulesError(
    'WRITE_FAILED',
    `cannot write ${target}: ${reason} (${err.code}); ${after}`,
    options.stream ? {} : { file: target },
  );
  failure.cause = err;
  // The CLI tells a reader of standard output that stopped reading from a failure by it.
  if (options.readerMayLeave && err.code === 'EPIPE') endedByReader.add(failure);
  return failure;
}

/**
 * WRITE_FAILED for a temporary file that cannot be created beside the output `target`,
 * in `folder`. A folder that does not let this user create files (EACCES, EPERM) is named
 * as the cause: the target itself may well be writable, but an output replaces it by
 * renaming a new file over it, which is made in its folder. Other failures are as
 * {@link writeFailure} says.
 */
export function temporaryFileFailure(e: unknown, target: string, folder: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (isNeurulesError(e) || (code !== 'EACCES' && code !== 'EPERM')) return writeFailure(e, target);
  const failure = new NeurulesError(
    'WRITE_FAILED',
    `cannot write ${target}: its folder ${folder} does not let this user create files (${WHY[code]}, ${code}); an output is written to a new file in the folder of its target and renamed over it, so the folder must be writable, not only the file; nothing was changed`,
    { file: target },
  );
  failure.cause = e;
  return failure;
}

/**
 * True when `e` is a WRITE_FAILED of standard output whose cause is a closed pipe
 * (`EPIPE`): its reader stopped reading, as `| head` does (see `readerMayLeave`).
 */
export function isClosedPipe(e: unknown): boolean {
  return isNeurulesError(e) && endedByReader.has(e);
}
