import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ErrorCode, type Issue, isNeurulesError, NeurulesError } from '../errors';

/**
 * Reading files that someone else may have put in place. `fs.readFileSync` on a FIFO waits
 * for a writer forever, and the event loop with it (a running service stops answering);
 * a directory, a device or a dangling link gives an uncoded errno. Here a path is opened
 * non-blocking, the opened descriptor is checked to be a regular file, and only then read.
 */

const C = fs.constants;
// O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer. O_NOCTTY:
// opening a terminal never makes it the process's controlling terminal. Both are absent
// (0) on Windows, which has no FIFOs or terminals in the file system.
const OPEN_FLAGS = C.O_RDONLY | (C.O_NONBLOCK ?? 0) | (C.O_NOCTTY ?? 0);
// Absent on Windows: there the lstat check before opening is the only guard.
const NO_FOLLOW = C.O_NOFOLLOW ?? 0;
const CHUNK = 64 * 1024;

/** Options of {@link readRegularFile} and {@link readRegularFileAsync}. */
export interface ReadRegularFileOptions {
  /**
   * Refuse `file` if it is itself a symbolic link (`O_NOFOLLOW`): NOT_A_REGULAR_FILE.
   * @defaultValue false
   */
  noFollow?: boolean;
  /**
   * The code when `file` does not exist or cannot be opened or read.
   * @defaultValue 'FILE_NOT_FOUND'
   */
  missingCode?: ErrorCode;
  /**
   * Read at most this many bytes (the rest of the file is left unread). A caller that
   * refuses files over N bytes asks for N + 1 and checks the length.
   * @defaultValue Infinity
   */
  limit?: number;
  /**
   * The path errors name, where it differs from the path opened (a listed symbolic link
   * is opened at its real path, but named as listed).
   * @defaultValue file
   */
  name?: string;
  /** Decode the bytes to a string with this encoding (as `fs.readFileSync`). */
  encoding?: BufferEncoding;
}

/**
 * Read `file` only if it is a regular file. It is opened with `O_NONBLOCK` (so a FIFO
 * never blocks) and the opened descriptor is `fstat`ed (so nothing can be swapped in
 * between a check and the open); a FIFO, device, socket or directory is
 * NOT_A_REGULAR_FILE naming the file and what was found. A missing or unreadable file is
 * `missingCode` (FILE_NOT_FOUND). With `encoding`, returns a string, else a Buffer.
 *
 * @example
 * const text = readRegularFile('models/m/manifest.json', { encoding: 'utf8', missingCode: 'MODEL_NOT_FOUND' });
 */
export function readRegularFile(
  file: string,
  options: ReadRegularFileOptions & { encoding: BufferEncoding },
): string;
export function readRegularFile(file: string, options?: ReadRegularFileOptions): Buffer;
export function readRegularFile(
  file: string,
  options: ReadRegularFileOptions = {},
): string | Buffer {
  const name = options.name ?? file;
  let fd: number;
  try {
    // Checked before opening too, so a device is never even opened (opening some has
    // effects); the fstat below is the check that counts.
    const before = options.noFollow ? fs.lstatSync(file) : fs.statSync(file);
    if (!before.isFile()) throw notRegular(name, kindOf(before));
    fd = fs.openSync(file, OPEN_FLAGS | (options.noFollow ? NO_FOLLOW : 0));
  } catch (e) {
    throw readFailure(e, name, options);
  }
  try {
    const opened = fs.fstatSync(fd);
    if (!opened.isFile()) throw notRegular(name, kindOf(opened));
    const limit = options.limit ?? Infinity;
    const chunks: Buffer[] = [];
    let total = 0;
    // The first read asks for the whole file (and one byte more, to see its end).
    let want = Math.min(opened.size + 1, limit);
    while (want > 0) {
      const buffer = Buffer.allocUnsafe(want);
      const n = fs.readSync(fd, buffer, 0, want, null);
      if (n === 0) break;
      chunks.push(buffer.subarray(0, n));
      total += n;
      want = Math.min(CHUNK, limit - total);
    }
    const bytes = Buffer.concat(chunks, total);
    return options.encoding ? bytes.toString(options.encoding) : bytes;
  } catch (e) {
    throw readFailure(e, name, options);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * {@link readRegularFile} with `fs.promises`: nothing blocks the event loop, and no
 * thread of libuv's pool waits on a FIFO either.
 */
export async function readRegularFileAsync(
  file: string,
  options: ReadRegularFileOptions & { encoding: BufferEncoding },
): Promise<string>;
export async function readRegularFileAsync(
  file: string,
  options?: ReadRegularFileOptions,
): Promise<Buffer>;
export async function readRegularFileAsync(
  file: string,
  options: ReadRegularFileOptions = {},
): Promise<string | Buffer> {
  const name = options.name ?? file;
  let handle: fs.promises.FileHandle;
  try {
    const before = options.noFollow ? await fs.promises.lstat(file) : await fs.promises.stat(file);
    if (!before.isFile()) throw notRegular(name, kindOf(before));
    handle = await fs.promises.open(file, OPEN_FLAGS | (options.noFollow ? NO_FOLLOW : 0));
  } catch (e) {
    throw readFailure(e, name, options);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw notRegular(name, kindOf(opened));
    const limit = options.limit ?? Infinity;
    const chunks: Buffer[] = [];
    let total = 0;
    let want = Math.min(opened.size + 1, limit);
    while (want > 0) {
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      total += bytesRead;
      want = Math.min(CHUNK, limit - total);
    }
    const bytes = Buffer.concat(chunks, total);
    return options.encoding ? bytes.toString(options.encoding) : bytes;
  } catch (e) {
    throw readFailure(e, name, options);
  } finally {
    await handle.close();
  }
}

/** A file of a folder, as {@link listFolderFiles} lists it. */
export interface ListedFile {
  /** The path as listed (`dir/name`): the place errors and overrides name. */
  file: string;
  /**
   * The path to open: `file` itself, or for a symbolic link its real path (inside the
   * folder). Open it with `noFollow`, so nothing swapped in since the listing is followed:
   * `readRegularFile(f.open, { noFollow: true, name: f.file })`.
   */
  open: string;
}

/** What {@link listFolderFiles} found: the files to read, and every entry refused. */
export interface FolderListing {
  /** In name order (code units, the same under any locale). */
  files: ListedFile[];
  issues: Issue[];
}

/**
 * The files of folder `dir` whose names match `match` (not recursive), in name order.
 * `dir` must be a folder (or a link to one): a plain file is NOT_A_DIRECTORY; a missing
 * folder lists nothing. Each matching entry must be a regular file, or a symbolic link
 * whose real path is a regular file inside the folder's real path: a link out of the
 * folder is OUTSIDE_FOLDER, a dangling link FILE_NOT_FOUND (it names nothing that exists,
 * which is what must be fixed), anything else (FIFO, device, socket, directory)
 * NOT_A_REGULAR_FILE. Each problem is an issue naming the entry; the other entries are
 * still listed. Nothing is opened.
 *
 * @example
 * const { files, issues } = listFolderFiles('rules/german-credit/overrides', /\.ya?ml$/i);
 */
export function listFolderFiles(dir: string, match: RegExp): FolderListing {
  const issues: Issue[] = [];
  let realDir: string;
  let entries: fs.Dirent[];
  try {
    const self = fs.lstatSync(dir);
    const folder = self.isSymbolicLink() ? fs.statSync(dir) : self;
    if (!folder.isDirectory()) return { files: [], issues: [notFolder(dir, kindOf(folder))] };
    realDir = fs.realpathSync(dir);
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    return folderFailure(e, dir);
  }
  const files: ListedFile[] = [];
  for (const entry of matching(entries, match)) {
    const file = path.join(dir, entry.name);
    try {
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = fs.realpathSync(file);
        } catch (e) {
          throw danglingLink(e, file, readLinkQuietly(file));
        }
        if (!inside(realDir, target)) throw outside(file, target, realDir);
        const stats = fs.statSync(target);
        if (!stats.isFile()) throw notRegular(file, `a symbolic link to ${kindOf(stats)}`);
        files.push({ file, open: target });
      } else if (entry.isFile()) files.push({ file, open: file });
      else throw notRegular(file, kindOf(entry));
    } catch (e) {
      issues.push(...readFailure(e, file, {}).issues);
    }
  }
  return { files, issues };
}

/** {@link listFolderFiles} with `fs.promises`. */
export async function listFolderFilesAsync(dir: string, match: RegExp): Promise<FolderListing> {
  const issues: Issue[] = [];
  let realDir: string;
  let entries: fs.Dirent[];
  try {
    const self = await fs.promises.lstat(dir);
    const folder = self.isSymbolicLink() ? await fs.promises.stat(dir) : self;
    if (!folder.isDirectory()) return { files: [], issues: [notFolder(dir, kindOf(folder))] };
    realDir = await fs.promises.realpath(dir);
    entries = await fs.promises.readdir(dir, { withFileTypes: true });
  } catch (e) {
    return folderFailure(e, dir);
  }
  const files: ListedFile[] = [];
  for (const entry of matching(entries, match)) {
    const file = path.join(dir, entry.name);
    try {
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = await fs.promises.realpath(file);
        } catch (e) {
          throw danglingLink(e, file, await fs.promises.readlink(file).catch(() => undefined));
        }
        if (!inside(realDir, target)) throw outside(file, target, realDir);
        const stats = await fs.promises.stat(target);
        if (!stats.isFile()) throw notRegular(file, `a symbolic link to ${kindOf(stats)}`);
        files.push({ file, open: target });
      } else if (entry.isFile()) files.push({ file, open: file });
      else throw notRegular(file, kindOf(entry));
    } catch (e) {
      issues.push(...readFailure(e, file, {}).issues);
    }
  }
  return { files, issues };
}

/** Entries whose names match, in code-unit order (not `localeCompare`: the same everywhere). */
function matching(entries: fs.Dirent[], match: RegExp): fs.Dirent[] {
  return entries
    .filter((e) => match.test(e.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** True when `target` is strictly below `folder` (both real paths). */
function inside(folder: string, target: string): boolean {
  const rel = path.relative(folder, target);
  return rel !== '' && !path.isAbsolute(rel) && rel.split(path.sep)[0] !== '..';
}

/** What a path is, in words for messages ("found a FIFO (named pipe)"). */
export function kindOf(s: fs.Stats | fs.Dirent): string {
  if (s.isFile()) return 'a regular file';
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'an unknown kind of file';
}

function notRegular(file: string, found: string): NeurulesError {
  return new NeurulesError(
    'NOT_A_REGULAR_FILE',
    `${file}: expected a regular file, found ${found}; only regular files are read`,
    { file },
  );
}

function notFolder(dir: string, found: string): Issue {
  return {
    code: 'NOT_A_DIRECTORY',
    message: `${dir}: expected a folder, found ${found}`,
    file: dir,
  };
}

function outside(file: string, target: string, folder: string): NeurulesError {
  return new NeurulesError(
    'OUTSIDE_FOLDER',
    `${file} is a symbolic link to ${target}, outside the folder ${folder}; only links to files inside the folder are read`,
    { file },
  );
}

function danglingLink(e: unknown, file: string, target: string | undefined): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code !== 'ENOENT' && code !== 'ELOOP' && code !== 'ENOTDIR') return e;
  const to = target !== undefined ? ` to ${target}` : '';
  const why = code === 'ELOOP' ? 'which is a loop of symbolic links' : 'which does not exist';
  return new NeurulesError(
    'FILE_NOT_FOUND',
    `${file} is a symbolic link${to}, ${why}: there is no file to read`,
    { file },
  );
}

function readLinkQuietly(file: string): string | undefined {
  try {
    return fs.readlinkSync(file);
  } catch {
    return undefined;
  }
}

/** A failure to look at the folder itself: a missing folder lists nothing. */
function folderFailure(e: unknown, dir: string): FolderListing {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string') throw e;
  if (code === 'ENOENT') {
    // Missing: no files. A link to nothing is not "missing": the folder meant is gone.
    const dangling = readLinkQuietly(dir);
    if (dangling === undefined) return { files: [], issues: [] };
    const error = danglingLink(e, dir, dangling) as NeurulesError;
    return { files: [], issues: error.issues };
  }
  if (code === 'ENOTDIR') {
    return {
      files: [],
      issues: [
        {
          code: 'NOT_A_DIRECTORY',
          message: `${dir}: expected a folder, but a part of its path is a file`,
          file: dir,
        },
      ],
    };
  }
  return {
    files: [],
    issues: [
      {
        code: 'FILE_NOT_FOUND',
        message: `${dir}: the folder cannot be read (${code})`,
        file: dir,
      },
    ],
  };
}

/** A file-system failure while reading `name` as a coded error naming it. */
function readFailure(
  e: unknown,
  name: string,
  options: Pick<ReadRegularFileOptions, 'missingCode' | 'noFollow'>,
): NeurulesError {
  if (isNeurulesError(e)) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string') throw e;
  switch (code) {
    case 'ELOOP':
      // With O_NOFOLLOW: `name` is a link (perhaps put there since it was listed).
      if (options.noFollow) return notRegular(name, 'a symbolic link');
      break;
    case 'EISDIR':
      return notRegular(name, 'a directory');
    case 'ENXIO':
      // open(2) on a socket, or on a device with nothing behind it.
      return notRegular(name, 'a socket or a device');
  }
  return new NeurulesError(
    options.missingCode ?? 'FILE_NOT_FOUND',
    code === 'ENOENT'
      ? `${name} does not exist`
      : `${name} cannot be read (${(e as Error).message})`,
    { file: name },
  );
}
