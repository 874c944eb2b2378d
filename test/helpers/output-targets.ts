import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { outputTarget } from '../../src/files/output-target';

/**
 * Output targets that are not regular files, made inside a test's own temporary folder:
 * FIFOs with a reader, device nodes, listening sockets. Everything opened or listened on
 * is released after each test.
 */

const releases: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const release of releases.splice(0).reverse()) await release();
});

/** Make a FIFO at `file` (`mkfifo`). */
export function makeFifo(file: string): string {
  execFileSync('mkfifo', [file]);
  return file;
}

/**
 * A reader of the FIFO `file` (its open starts now, in the thread pool, and counts as a
 * reader from then on: a writer that waits for one finds it): resolves to all the bytes
 * written until the last writer closes it. After the test, a writer that never came is
 * stood in for (opened and closed without blocking), which ends the reader.
 */
export function readFifo(file: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = fs.createReadStream(file);
  const done = new Promise<Buffer>((resolve, reject) => {
    stream.on('data', (c) => chunks.push(c as Buffer));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
  releases.push(async () => {
    try {
      fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      // ENXIO: the reader is gone already; ENOENT: the FIFO was removed
    }
    await done.catch(() => undefined);
  });
  return done;
}

/**
 * A character device node of the test's own at `file`, as `/dev/null` or `/dev/full` are
 * (`mknod c 1 3`, `c 1 7`): writing through it behaves as writing to them, and replacing it
 * by mistake replaces only a file of the test folder, never the machine's `/dev`. Undefined
 * where device nodes cannot be made (not root, or a `nodev` file system).
 */
export function makeDevice(file: string, kind: 'null' | 'full'): string | undefined {
  try {
    execFileSync('mknod', [file, 'c', '1', kind === 'null' ? '3' : '7'], { stdio: 'ignore' });
    fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY)); // refused (EACCES) on nodev
    return file;
  } catch {
    fs.rmSync(file, { force: true });
    return undefined;
  }
}

/** A Unix socket listening at `file`, closed after the test. */
export async function listenSocket(file: string): Promise<string> {
  const server = net.createServer((c) => c.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, resolve);
  });
  releases.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return file;
}

/** What a path is (not following a link): compared before and after a write. */
export function identity(file: string): {
  kind: string;
  ino: number;
  dev: number;
  rdev: number;
  mode: number;
} {
  const s = fs.lstatSync(file);
  const kind = s.isFile()
    ? 'file'
    : s.isSymbolicLink()
      ? 'link'
      : s.isFIFO()
        ? 'fifo'
        : s.isCharacterDevice()
          ? 'char'
          : s.isSocket()
            ? 'socket'
            : s.isDirectory()
              ? 'dir'
              : 'other';
  return { kind, ino: s.ino, dev: s.dev, rdev: s.rdev, mode: s.mode };
}

/** Whether this process can make device nodes it can open (root, a file system without `nodev`). */
export const CAN_MAKE_DEVICES = ((): boolean => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-mknod-'));
  try {
    return makeDevice(path.join(dir, 'null'), 'null') !== undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
if (!CAN_MAKE_DEVICES)
  console.warn('device nodes cannot be made here: the full-device tests are skipped');
/** `it` where device nodes can be made, else `it.skip`. */
export const withDevices = CAN_MAKE_DEVICES ? it : it.skip;

/**
 * A character device to write through: a null node of the test's own in `dir` where one
 * can be made, else the machine's `/dev/null`, which is returned only once `outputTarget`
 * says it is written through (never renamed over).
 */
export function nullDevice(dir: string): string {
  const device = (CAN_MAKE_DEVICES && makeDevice(path.join(dir, 'null'), 'null')) || '/dev/null';
  if (outputTarget(device).kind !== 'through') throw new Error(`${device} would be replaced`);
  return device;
}

/** Whether this machine has `/proc/self/fd` (Linux). */
export const HAS_PROC_FD = fs.existsSync('/proc/self/fd');

/**
 * A process's own descriptors as `/proc` lists them, found without neurules' code: its
 * `anon_inode` ones (epoll, eventfd) and both ends (`pipes`), and the write ends alone, of
 * the pipes it holds a read end and a write end of (the pipes Node and libuv use to wake
 * themselves).
 */
export function machinery(pid: number): { anon: number[]; pipes: number[]; writeEnds: number[] } {
  const ends = new Map<string, { fd: number; reads: boolean }[]>();
  const anon: number[] = [];
  for (const name of fs.readdirSync(`/proc/${pid}/fd`)) {
    let link: string;
    let flags: number;
    try {
      link = fs.readlinkSync(`/proc/${pid}/fd/${name}`);
      const info = fs.readFileSync(`/proc/${pid}/fdinfo/${name}`, 'utf8');
      flags = parseInt(/flags:\s*(\d+)/.exec(info)![1]!, 8);
    } catch {
      continue; // the descriptor that read the folder, closed since
    }
    if (link.startsWith('anon_inode:')) anon.push(Number(name));
    if (link.startsWith('pipe:')) {
      const end = { fd: Number(name), reads: (flags & 3) === 0 };
      ends.set(link, [...(ends.get(link) ?? []), end]);
    }
  }
  const own = [...ends.values()]
    .filter((e) => e.some((x) => x.reads) && e.some((x) => !x.reads))
    .flat();
  return {
    anon,
    pipes: own.map((e) => e.fd),
    writeEnds: own.filter((e) => !e.reads).map((e) => e.fd),
  };
}
