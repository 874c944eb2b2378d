import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { kindOf } from './read-safe';
import { changedTarget, type OutputTarget, outputTarget, type ReplacedFile } from './output-target';
import { writeFailure } from './write-failure';
import { ThroughStream, writeThroughSync } from './write-through';

export { writeFailure };

/**
 * Write an output file without replacing what it does not own (see `outputTarget`): a
 * regular file, or a path where nothing is, atomically (a temporary file beside it, then a
 * rename over it, so a reader or a crash never sees half a file; the old file's permission
 * bits are kept); a symbolic link's target the same way, the link staying a link; a FIFO,
 * a character device or `/proc/self/fd/N` written into (a FIFO needs a reader already
 * there: this call never waits, see {@link writeOutputFile}). A directory or a socket is
 * NOT_A_REGULAR_FILE; a file-system failure is WRITE_FAILED, with a replaced target unchanged.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const target = outputTarget(file);
  if (target.kind === 'through') writeThroughSync(target, data);
  else replaceFile(target, data);
}

/**
 * {@link writeFileAtomic} for the command line's outputs (`audit --out`, `export
 * --output`): the same targets, but a FIFO without a reader is waited for, as a shell's
 * `>` waits, without blocking the process.
 */
export async function writeOutputFile(file: string, data: string | Uint8Array): Promise<void> {
  const target = outputTarget(file);
  if (target.kind === 'replace') return replaceFile(target, data);
  try {
    await pipeline([data], new ThroughStream(target));
  } catch (e) {
    throw writeFailure(e, target.name, { wroteInto: true });
  }
}

/** Write a replaced target: a temporary file beside it, then {@link renameIntoPlace}. */
function replaceFile(target: ReplacedFile, data: string | Uint8Array): void {
  const tmp = `${target.path}.${process.pid}.${Date.now()}.tmp`;
  let created = false;
  try {
    if (target.createFolders) fs.mkdirSync(path.dirname(target.path), { recursive: true });
    // 'wx': a file (or a link, or a FIFO) someone put at the temporary name is never
    // written through, nor removed.
    const fd = fs.openSync(tmp, 'wx');
    created = true;
    try {
      fs.writeFileSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
    renameIntoPlace(tmp, target);
  } catch (e) {
    if (created) removeQuietly(tmp);
    throw writeFailure(e, target.name);
  }
}

/**
 * Put a finished output `file` (the whole output) in place: renamed over a replaced target
 * (`file` must be beside it, see {@link renameIntoPlace}), copied into a write-through one
 * (a FIFO's reader is waited for). `file` is left for the caller to remove when copied.
 * Failures are WRITE_FAILED naming the target.
 */
export async function placeOutputFile(file: string, target: OutputTarget): Promise<void> {
  try {
    if (target.kind === 'replace') renameIntoPlace(file, target);
    else await pipeline(fs.createReadStream(file), new ThroughStream(target));
  } catch (e) {
    throw writeFailure(e, target.name, { wroteInto: target.kind === 'through' });
  }
}

/**
 * Rename the finished temporary file `tmp` over a replaced target, with the old file's
 * permission bits. The target is looked at once more just before: one that became a
 * FIFO, a device, a link or a folder while the output was written is NOT_A_REGULAR_FILE,
 * and stays as it is. (A rename cannot be made conditional; this narrows the window to
 * the moment between the look and the rename.)
 */
export function renameIntoPlace(tmp: string, target: ReplacedFile): void {
  let now: fs.Stats | undefined;
  try {
    now = fs.lstatSync(target.path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (now && !now.isFile()) throw changedTarget(target.name, kindOf(now));
  if (target.mode !== undefined) fs.chmodSync(tmp, target.mode);
  fs.renameSync(tmp, target.path);
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
