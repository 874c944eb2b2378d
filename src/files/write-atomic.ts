import * as fs from 'node:fs';
import * as path from 'node:path';
import { isNeurulesError, NeurulesError } from '../errors';

/**
 * A file-system failure while writing `target` as a WRITE_FAILED error naming it (a
 * NeurulesError, e.g. from a `fill` callback, passes through unchanged).
 */
export function writeFailure(e: unknown, target: string): unknown {
  if (isNeurulesError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string') return e;
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on the device',
    EROFS: 'the file system is read-only',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    EEXIST: 'a file is in the way',
  };
  const reason = why[err.code] ?? err.message;
  return new NeurulesError(
    'WRITE_FAILED',
    `cannot write ${target}: ${reason} (${err.code}); nothing was changed there`,
    { file: target },
  );
}

/**
 * Write a file atomically: write a temporary file beside it, then rename it over the
 * target, so a reader (or a crash) never sees a half-written file. A file-system failure
 * is WRITE_FAILED, with the target unchanged.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    removeQuietly(tmp);
    throw writeFailure(e, file);
  }
}

/**
 * Replace a whole directory atomically: `fill` writes into a fresh temporary directory
 * beside `dir`; only when it returns is the old directory swapped out for the new one.
 * If `fill` throws, nothing at `dir` changes and the temporary directory is removed.
 * A file-system failure is WRITE_FAILED naming `dir`.
 */
export async function replaceDirAtomic(
  dir: string,
  fill: (tmpDir: string) => Promise<void> | void,
): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  let tmp: string;
  try {
    fs.mkdirSync(parent, { recursive: true });
    tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.tmp-`));
  } catch (e) {
    throw writeFailure(e, dir);
  }
  try {
    // mkdtemp makes the directory private (0700); give it the usual permissions.
    fs.chmodSync(tmp, 0o777 & ~process.umask());
    await fill(tmp);
    const old = fs.existsSync(dir) ? `${tmp}.old` : undefined;
    if (old) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    removeQuietly(tmp);
    throw writeFailure(e, dir);
  }
}

/** Remove a temporary file or directory if it is there; a failure to clean up never hides the error being reported. */
function removeQuietly(p: string): void {
  try {
    fs.rmSync(p, { recursive: true, force: true });
  } catch {
    // e.g. ENOTDIR: the temporary file was never made
  }
}
