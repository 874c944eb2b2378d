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
}

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
  // The CLI tells a reader that stopped reading (EPIPE) from a failure by it.
  failure.cause = err;
  return failure;
}

/** True when `e` is a WRITE_FAILED whose cause is a closed pipe (`EPIPE`): its reader stopped reading. */
export function isClosedPipe(e: unknown): boolean {
  return (
    isNeurulesError(e) &&
    e.code === 'WRITE_FAILED' &&
    (e.cause as NodeJS.ErrnoException | undefined)?.code === 'EPIPE'
  );
}
