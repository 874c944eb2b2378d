import * as fs from 'node:fs';
import * as path from 'node:path';
import { NeurulesError } from '../errors';
import { accessMode, holdsBothEnds, isAnonymousPipe } from './process-descriptors';
import { kindOf } from './regular-files';
import { writeFailure } from './write-failure';

/**
 * What an output path names, decided before anything is written to it, so that an output
 * never replaces what it does not own. A user names outputs (`predict --output`, `audit
 * --out`, `export --output`, the studio's override files), and the name may be a device,
 * a FIFO, a link or a folder: renaming a temporary file over it would replace the machine's
 * `/dev/full`, cut a link, or fill a FIFO's place with a regular file no reader ever opens.
 */
export type OutputTarget = ReplacedFile | WriteThrough;

/**
 * A regular file, or a path where nothing is yet: written to a temporary file beside it
 * and renamed over it, so it is either the old file or the whole new one.
 */
export interface ReplacedFile {
  kind: 'replace';
  /** The path as it was named (errors name it). */
  name: string;
  /** The path renamed over: `name` itself, or the end of its chain of symbolic links. */
  path: string;
  /**
   * The existing file's permission bits (`rwx` for owner, group, others: never set-user-ID
   * and the like), which the new file keeps; undefined when nothing is there.
   */
  mode: number | undefined;
  /**
   * The existing file's owner and group, which the new file keeps where this process may
   * give them (root; else the same owner, and the group where the process is a member);
   * undefined when nothing is there.
   */
  uid: number | undefined;
  gid: number | undefined;
  /**
   * Whether missing folders of `path` may be created: only for a path named directly, never
   * for a symbolic link's target (a shell's `>` does not create them either).
   */
  createFolders: boolean;
}

/**
 * A FIFO, a character device or an open file descriptor (`/proc/self/fd/N`, `/dev/stdout`):
 * written into as it is, never renamed over. What was written before a failure stays there.
 */
export interface WriteThrough {
  kind: 'through';
  name: string;
  /** What was found, in words ("a FIFO (named pipe)"). */
  found: string;
  /** The path opened for writing (unless `fd` is set). */
  path: string;
  /** True for a FIFO: opening it waits for a reader. */
  fifo: boolean;
  /**
   * True when `path` is another process's descriptor (`/proc/PID/fd/N`), opened through
   * its link; a FIFO or device path is opened without following links, and checked to be
   * what it was when looked at.
   */
  descriptor: boolean;
  /**
   * This process's own descriptor that `path` names (`/proc/self/fd/N`, `/dev/fd/N`,
   * `/dev/stdout`): written directly, at its own offset and with its own append mode, and
   * never closed. Reopening it instead would truncate a file the shell opened with `>>`,
   * and fails on a socket (Node's child processes get socket pairs as standard output).
   */
  fd: number | undefined;
}

/** Linux's own limit of links followed in one path (`ELOOP` past it). */
const MAX_LINKS = 40;
/** A process's descriptor as a path, after `/proc/self` and `/proc/thread-self` are resolved. */
const DESCRIPTOR_LINK = /^\/proc\/(\d+)\/(?:task\/\d+\/)?fd\/(\d+)$/;

/**
 * Decide how to write the output named `file` (the one classification every writer of
 * user-named outputs uses):
 *
 * - missing, or a regular file: {@link ReplacedFile} (temporary file beside it, then rename);
 * - a symbolic link: resolved link by link (a chain is followed to its end; a dangling
 *   link's target is the file to create, in the target's folder), and its target decided
 *   the same way; the link itself stays a link;
 * - a FIFO, a character device, or a descriptor link (`/proc/PID/fd/N`, which `/dev/stdout`
 *   and `/dev/fd/N` lead to) to a regular file, a FIFO or pipe, a character device or (this
 *   process's own) a socket: {@link WriteThrough};
 * - a directory, a socket or a block device, and a descriptor that is a process's own
 *   machinery (a pipe it holds both ends of, an epoll descriptor, an eventfd: Node's own,
 *   from `/proc/self/fd/3` up): NOT_A_REGULAR_FILE naming `file` and what was found;
 * - a regular file of another user, where this process is not root: WRITE_FAILED (its
 *   replacement would be this user's); a descriptor of this process open only for
 *   reading, or not open: WRITE_FAILED; a loop of links, or a path that cannot be looked
 *   at: WRITE_FAILED.
 *
 * Nothing is created or opened here.
 *
 * @example
 * const target = outputTarget('decisions.jsonl'); // { kind: 'replace', path: 'decisions.jsonl', ... }
 */
export function outputTarget(file: string): OutputTarget {
  let at = file;
  for (let links = 0; links <= MAX_LINKS; links++) {
    let stats: fs.Stats;
    try {
      stats = fs.lstatSync(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw writeFailure(e, file);
      // A descriptor that is not open is not a file to create (nothing can be made in /proc).
      const descriptor = descriptorAt(inRealFolder(at));
      if (descriptor) throw notOpen(file, descriptor);
      return {
        kind: 'replace',
        name: file,
        path: at,
        mode: undefined,
        uid: undefined,
        gid: undefined,
        createFolders: links === 0,
      };
    }
    if (!stats.isSymbolicLink()) return targetOf(file, at, stats, links > 0);
    const real = inRealFolder(at);
    const descriptor = descriptorAt(real);
    if (descriptor) return descriptorTarget(file, descriptor);
    try {
      // A link's text is relative to the folder it is in, as the kernel reads it: the real
      // folder, not the path's text (`a/../b` differs where `a` is itself a link).
      at = path.resolve(path.dirname(real), fs.readlinkSync(at));
    } catch (e) {
      throw writeFailure(e, file);
    }
  }
  throw writeFailure(Object.assign(new Error('too many symbolic links'), { code: 'ELOOP' }), file);
}

/**
 * True when `target` is this process's standard output named as a path (`--output
 * /dev/stdout`, `/proc/self/fd/1`): a reader that closes it (`| head`) ends it as it ends
 * standard output itself (see `isClosedPipe`).
 */
export function isStandardOutput(target: OutputTarget): boolean {
  return target.kind === 'through' && target.fd === 1;
}

/** A stream's name for messages: standard output and error by name, else its descriptor. */
export function streamName(stream: NodeJS.WritableStream): string {
  const fd = (stream as { fd?: unknown }).fd;
  if (fd === 1) return 'standard output';
  if (fd === 2) return 'standard error';
  return typeof fd === 'number' ? `file descriptor ${fd}` : 'the output stream';
}

/** The target for what `at` (reached from `file`, through links when `linked`) is. */
function targetOf(file: string, at: string, stats: fs.Stats, linked: boolean): OutputTarget {
  if (stats.isFile()) {
    const euid = process.geteuid?.();
    // The new file would be this process's user's: only root can give it back to another
    // user. Refused here, before any work, rather than silently taking the file over.
    if (euid !== undefined && euid !== 0 && stats.uid !== euid)
      throw notOwned(file, stats.uid, euid);
    return {
      kind: 'replace',
      name: file,
      path: at,
      mode: stats.mode & 0o777,
      uid: stats.uid,
      gid: stats.gid,
      createFolders: false,
    };
  }
  if (stats.isFIFO() || stats.isCharacterDevice()) {
    return {
      kind: 'through',
      name: file,
      found: kindOf(stats),
      path: at,
      fifo: stats.isFIFO(),
      descriptor: false,
      fd: undefined,
    };
  }
  throw notWritable(file, linked ? `a symbolic link to ${kindOf(stats)}` : kindOf(stats));
}

/** A process's descriptor that `at` names (`/proc/PID/fd/N` once its folder is resolved). */
interface Descriptor {
  /** The real path, `/proc/PID/fd/N` (or `/proc/PID/task/TID/fd/N`). */
  real: string;
  pid: number;
  fd: number;
}

/** The descriptor `real` (a path in its real folder) names, if it is in a process's `fd` folder. */
function descriptorAt(real: string): Descriptor | undefined {
  const match = DESCRIPTOR_LINK.exec(real);
  return match ? { real, pid: Number(match[1]), fd: Number(match[2]) } : undefined;
}

/**
 * The target for a process's descriptor. Its path is a "magic" link: its text
 * (`pipe:[123]`, `socket:[456]`) names nothing to follow, but opening it opens what the
 * descriptor has open.
 *
 * Only what an output can go to is written through: a regular file, a character device, a
 * FIFO or a pipe, and (this process's only) a socket. A process's own channels are not:
 * Node and libuv open an epoll descriptor, eventfds and pipes whose both ends they hold
 * (on Node 20, `/proc/self/fd/5` is libuv's signal pipe: a write there hangs the process,
 * deaf to SIGTERM; one into another of its pipes crashes it). Which descriptors a process inherited cannot be told
 * from `/proc` under Node: its start marks every descriptor close-on-exec, inherited ones
 * too, so what a descriptor *is* decides (see `holdsBothEnds`). Another process's
 * descriptor is reopened by its path (a regular file there is appended to, as a shell's
 * `>>` would, never truncated), by the same rules.
 */
function descriptorTarget(file: string, { real, pid, fd }: Descriptor): OutputTarget {
  let stats: fs.Stats;
  let link: string;
  try {
    stats = fs.statSync(real);
    link = fs.readlinkSync(real);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw writeFailure(e, file);
    throw notOpen(file, { real, pid, fd });
  }
  const own = pid === process.pid;
  const whose = own ? `descriptor ${fd}` : `descriptor ${fd} of process ${pid}`;
  // An epoll descriptor or an eventfd is no kind of file: its link's text says what it is.
  const found = `${whose} (${isSomeFile(stats) ? kindOf(stats) : link})`;
  const isPipe = stats.isFIFO() && isAnonymousPipe(link);
  let ownPipe: boolean;
  try {
    ownPipe = isPipe && holdsBothEnds(pid, link);
  } catch (e) {
    throw writeFailure(e, file); // another user's process: its descriptor cannot be opened either
  }
  if (ownPipe) {
    const holder = own ? "this process's" : `process ${pid}'s`;
    throw notWritable(
      file,
      `a link to ${whose}, one of ${holder} own pipes (it holds both ends of ${link})`,
    );
  }
  const writable =
    stats.isFile() || stats.isCharacterDevice() || stats.isFIFO() || (own && stats.isSocket());
  // Another process's socket cannot be opened by path (ENXIO); an epoll descriptor or an
  // eventfd is a process's own machinery.
  if (!writable) throw notWritable(file, `a link to ${found}`);
  // This process's descriptor is written as it is: one open only for reading never will be.
  if (own && accessMode(pid, fd) === 'read') {
    throw writeFailure(Object.assign(new Error('open only for reading'), { code: 'EBADF' }), file);
  }
  return {
    kind: 'through',
    name: file,
    found,
    path: real,
    fifo: stats.isFIFO(),
    descriptor: true,
    fd: own ? fd : undefined,
  };
}

/** True for stats of a kind of file (not an `anon_inode`: an epoll descriptor, an eventfd). */
function isSomeFile(stats: fs.Stats): boolean {
  return (
    stats.isFile() ||
    stats.isDirectory() ||
    stats.isFIFO() ||
    stats.isCharacterDevice() ||
    stats.isBlockDevice() ||
    stats.isSocket() ||
    stats.isSymbolicLink()
  );
}

/**
 * `file` in the real path of its folder (its own last part not followed), or as an
 * absolute path when the folder cannot be resolved (it does not exist).
 */
function inRealFolder(file: string): string {
  const absolute = path.resolve(file);
  try {
    return path.join(fs.realpathSync(path.dirname(absolute)), path.basename(absolute));
  } catch {
    return absolute;
  }
}

/**
 * NOT_A_REGULAR_FILE for an output path found to be `found` (in words, see `kindOf`) when
 * it was about to be written, after it was looked at as something else: it is left as it is.
 */
export function changedTarget(name: string, found: string): NeurulesError {
  return new NeurulesError(
    'NOT_A_REGULAR_FILE',
    `${name}: became ${found} while the output was being written; it was left as it is`,
    { file: name },
  );
}

function notOpen(file: string, { pid, fd }: Descriptor): NeurulesError {
  return new NeurulesError(
    'WRITE_FAILED',
    `cannot write ${file}: it names descriptor ${fd} of process ${pid}, which is not open; nothing was written`,
    { file },
  );
}

function notOwned(file: string, owner: number, euid: number): NeurulesError {
  return new NeurulesError(
    'WRITE_FAILED',
    `cannot write ${file}: it belongs to user ${owner}, and this process runs as user ${euid}; an output replaces a file with a new one (written beside it, then renamed over it), which would belong to user ${euid}: remove the file first, write it as its owner, or choose another path; nothing was changed`,
    { file },
  );
}

function notWritable(file: string, found: string): NeurulesError {
  return new NeurulesError(
    'NOT_A_REGULAR_FILE',
    `${file}: expected a regular file, a FIFO or a character device to write the output to, found ${found}; nothing was written`,
    { file },
  );
}
