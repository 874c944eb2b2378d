import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { NeurulesError } from '../errors';
import { kindOf } from './regular-files';
import {
  changedTarget,
  isStandardOutput,
  type OutputTarget,
  outputTarget,
  type ReplacedFile,
} from './output-target';
import {
  releaseTemporaryFile,
  removeStaleTemporaryFiles,
  temporaryFileBeside,
} from './temporary-files';
import { temporaryFileFailure, writeFailure } from './write-failure';
import { ThroughStream, writeThroughSync } from './write-through';

export { writeFailure };

const C = fs.constants;
// Opening the temporary file again to give it its owner and mode: never through a link
// (O_NOFOLLOW), never waiting on a FIFO (O_NONBLOCK). Both absent (0) on Windows.
const REOPEN_FLAGS = C.O_RDONLY | (C.O_NOFOLLOW ?? 0) | (C.O_NONBLOCK ?? 0);

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
    throw writeFailure(e, target.name, {
      wroteInto: true,
      readerMayLeave: isStandardOutput(target),
    });
  }
}

/** Write a replaced target: a temporary file beside it, then {@link renameIntoPlace}. */
function replaceFile(target: ReplacedFile, data: string | Uint8Array): void {
  removeStaleTemporaryFiles(target.path);
  const tmp = temporaryFileBeside(target.path);
  let created = false;
  try {
    if (target.createFolders) fs.mkdirSync(path.dirname(target.path), { recursive: true });
    let fd: number;
    try {
      // 'wx': a file (or a link, or a FIFO) someone put at the temporary name is never
      // written through, nor removed.
      fd = fs.openSync(tmp, 'wx');
    } catch (e) {
      throw temporaryFileFailure(e, target.name, path.dirname(target.path));
    }
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
  } finally {
    releaseTemporaryFile(tmp);
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
    throw writeFailure(e, target.name, {
      wroteInto: target.kind === 'through',
      readerMayLeave: isStandardOutput(target),
    });
  }
}

/**
 * Rename the finished temporary file `tmp` over a replaced target, with the old file's
 * permission bits, owner and group (see {@link keepOwner}). The target is looked at once
 * more just before: one that became a FIFO, a device, a link or a folder while the output
 * was written is NOT_A_REGULAR_FILE, and stays as it is. (A rename cannot be made
 * conditional; this narrows the window to the moment between the look and the rename.)
 * A hard link to the old file is cut: the new file is another file, and the other names
 * keep the old content (the price of never showing half a file).
 */
export function renameIntoPlace(tmp: string, target: ReplacedFile): void {
  let now: fs.Stats | undefined;
  try {
    now = fs.lstatSync(target.path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (now && !now.isFile()) throw changedTarget(target.name, kindOf(now));
  if (target.mode !== undefined || target.uid !== undefined) {
    // Through a descriptor of the file itself: a link or a FIFO put at the temporary
    // name since is never followed (O_NOFOLLOW), so no other file's owner is changed.
    const fd = fs.openSync(tmp, REOPEN_FLAGS);
    try {
      const stats = fs.fstatSync(fd);
      if (!stats.isFile()) throw changedTarget(tmp, kindOf(stats));
      keepOwner(fd, stats, target);
      if (target.mode !== undefined) fs.fchmodSync(fd, target.mode);
    } finally {
      fs.closeSync(fd);
    }
  }
  fs.renameSync(tmp, target.path);
}

/**
 * Give the new file `fd` (with `stats`) the owner and group of the file it replaces. Root
 * may give any; another user keeps the owner (the target is refused before any work when
 * it is another user's, see `outputTarget`) and the group where the user is a member of
 * it. Where the group cannot be given (EPERM), the new file has the user's group (or the
 * folder's, in a set-group-ID folder), as a new file would. Where the owner cannot be
 * given (a root without the right to, as in a user namespace), the write is WRITE_FAILED:
 * a file is never handed to another owner silently. Done before the permission bits are
 * set, as a change of owner may clear some.
 */
function keepOwner(fd: number, stats: fs.Stats, target: ReplacedFile): void {
  const { uid, gid } = target;
  if (uid === undefined || gid === undefined) return;
  if (stats.uid === uid && stats.gid === gid) return;
  try {
    fs.fchownSync(fd, uid, gid);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EINVAL') throw e;
    if (stats.uid !== uid) throw ownerNotKept(target, uid, stats.uid);
  }
  // The same owner, a group this user is not in: the group of a new file stays.
}

function ownerNotKept(target: ReplacedFile, owner: number, ours: number): NeurulesError {
  return new NeurulesError(
    'WRITE_FAILED',
    `cannot write ${target.name}: it belongs to user ${owner}, and this process may not give its new file to that user (it would belong to user ${ours}); nothing was changed`,
    { file: target.name },
  );
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
