import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { outputTarget } from '../../src/files/output-target';
import {
  renameIntoPlace,
  replaceDirAtomic,
  writeFileAtomic,
  writeOutputFile,
} from '../../src/files/write-atomic';
import { ThroughStream, writeThroughSync } from '../../src/files/write-through';
import { catchError } from '../data/catch-error';
import { rejection, withFifo } from '../helpers/fifo';
import {
  HAS_PROC_FD,
  identity,
  listenSocket,
  makeDevice,
  makeFifo,
  nullDevice,
  readFifo,
  withDevices,
} from '../helpers/output-targets';

const withProc = HAS_PROC_FD ? it : it.skip;

describe('atomic writes', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-write-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('replaces a file whole and leaves no temporary file', () => {
    const file = path.join(dir, 'a', 'out.txt');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
    expect(fs.readFileSync(file, 'utf8')).toBe('two');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['out.txt']);
  });

  it('a path under a plain file is WRITE_FAILED naming the target, nothing left behind', () => {
    fs.writeFileSync(path.join(dir, 'plain'), 'x');
    const target = path.join(dir, 'plain', 'out.txt');
    const e = catchError(() => writeFileAtomic(target, 'data'));
    expect([e.code, e.file]).toEqual(['WRITE_FAILED', target]);
    expect(fs.readdirSync(dir)).toEqual(['plain']);
  });

  it('a directory in the way is NOT_A_REGULAR_FILE naming it, and stays as it was', () => {
    const target = path.join(dir, 'taken');
    fs.mkdirSync(path.join(target, 'inside'), { recursive: true });
    expect(catchError(() => writeFileAtomic(target, 'data'))).toMatchObject({
      code: 'NOT_A_REGULAR_FILE',
      file: target,
    });
    expect(fs.readdirSync(target)).toEqual(['inside']);
    expect(fs.readdirSync(dir)).toEqual(['taken']);
  });

  it('replaceDirAtomic: a failing fill leaves the old directory as it was', async () => {
    const target = path.join(dir, 'model');
    await replaceDirAtomic(target, (tmp) => fs.writeFileSync(path.join(tmp, 'v'), '1'));
    const failed = await replaceDirAtomic(target, (tmp) => {
      fs.writeFileSync(path.join(tmp, 'v'), '2');
      throw new Error('fill failed');
    }).catch((e: Error) => e);
    expect((failed as Error).message).toBe('fill failed');
    expect(fs.readFileSync(path.join(target, 'v'), 'utf8')).toBe('1');
    expect(fs.readdirSync(dir)).toEqual(['model']);
  });

  it('replaceDirAtomic under a plain file is WRITE_FAILED naming the directory', async () => {
    fs.writeFileSync(path.join(dir, 'plain'), 'x');
    const target = path.join(dir, 'plain', 'model');
    const e = await replaceDirAtomic(target, () => undefined).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'WRITE_FAILED', file: target });
  });
});

describe('output targets: nothing is replaced that the output does not own', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-targets-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const at = (name: string): string => path.join(dir, name);
  /** Names in the folder that look like temporary files. */
  const leftovers = (folder = dir): string[] =>
    fs.readdirSync(folder).filter((f) => f.includes('.tmp'));

  it('a regular file is replaced by a new file, keeping its permission bits', () => {
    fs.writeFileSync(at('out.txt'), 'old');
    fs.chmodSync(at('out.txt'), 0o600);
    const before = identity(at('out.txt'));
    writeFileAtomic(at('out.txt'), 'new');
    const after = identity(at('out.txt'));
    expect(fs.readFileSync(at('out.txt'), 'utf8')).toBe('new');
    expect(after.ino).not.toBe(before.ino); // renamed over, never written in place
    expect(after.mode & 0o777).toBe(0o600);
    expect(leftovers()).toEqual([]);
  });

  it("a link's target is replaced and the link stays a link; a chain is followed to its end", async () => {
    fs.writeFileSync(at('real.txt'), 'old');
    fs.symlinkSync('real.txt', at('one'));
    fs.symlinkSync('one', at('two'));
    writeFileAtomic(at('one'), 'first');
    expect(fs.readFileSync(at('real.txt'), 'utf8')).toBe('first');
    await writeOutputFile(at('two'), 'second');
    expect(fs.readFileSync(at('real.txt'), 'utf8')).toBe('second');
    expect([identity(at('one')).kind, fs.readlinkSync(at('one'))]).toEqual(['link', 'real.txt']);
    expect([identity(at('two')).kind, fs.readlinkSync(at('two'))]).toEqual(['link', 'one']);
    expect(leftovers()).toEqual([]);
  });

  it("a dangling link's target is created in its own folder; the link stays a link", () => {
    fs.mkdirSync(at('elsewhere'));
    fs.symlinkSync('elsewhere/new.txt', at('link'));
    writeFileAtomic(at('link'), 'made');
    expect(fs.readFileSync(at('elsewhere/new.txt'), 'utf8')).toBe('made');
    expect(identity(at('link')).kind).toBe('link');
    expect(leftovers(at('elsewhere'))).toEqual([]);
    // A link into a folder that does not exist: WRITE_FAILED, no folder is made for it.
    fs.symlinkSync('nowhere/new.txt', at('lost'));
    expect(catchError(() => writeFileAtomic(at('lost'), 'x'))).toMatchObject({
      code: 'WRITE_FAILED',
      file: at('lost'),
    });
    expect(fs.existsSync(at('nowhere'))).toBe(false);
  });

  withFifo('a FIFO with a reader is written into (sync), and stays a FIFO', () => {
    const fifo = makeFifo(at('fifo'));
    const before = identity(fifo);
    // A reader opened without blocking: the data waits in the pipe for it.
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    try {
      writeFileAtomic(fifo, 'through the pipe');
      const buffer = Buffer.alloc(100);
      const n = fs.readSync(reader, buffer, 0, 100, null);
      expect(buffer.subarray(0, n).toString()).toBe('through the pipe');
    } finally {
      fs.closeSync(reader);
    }
    expect(identity(fifo)).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  withFifo(
    'a FIFO without a reader: the synchronous writer refuses at once (ENXIO), the asynchronous one waits for a reader',
    async () => {
      const fifo = makeFifo(at('fifo'));
      const e = catchError(() => writeFileAtomic(fifo, 'x'));
      expect([e.code, e.file, (e.cause as NodeJS.ErrnoException).code]).toEqual([
        'WRITE_FAILED',
        fifo,
        'ENXIO',
      ]);
      const writing = writeOutputFile(fifo, 'waited for');
      const read = readFifo(fifo); // the reader comes after the writer started
      await writing;
      expect((await read).toString()).toBe('waited for');
      expect(identity(fifo).kind).toBe('fifo');
    },
  );

  withFifo('more than a pipe holds goes through a FIFO whole, in both writers', async () => {
    // 1 MiB: the pipe (64 KiB) fills, the writers wait for the reader to drain it (EAGAIN).
    const data = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    const fifo = makeFifo(at('fifo'));
    const read = readFifo(fifo);
    await writeOutputFile(fifo, data);
    expect((await read).equals(data)).toBe(true);
    // The synchronous writer blocks this process, so the reader is another one.
    const copy = at('copy');
    const placeholder = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const cat = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', fifo, copy], { stdio: 'ignore' });
    const exited = new Promise((resolve) => cat.on('exit', resolve));
    try {
      writeFileAtomic(fifo, data);
    } finally {
      fs.closeSync(placeholder);
    }
    expect(await exited).toBe(0);
    expect(fs.readFileSync(copy).equals(data)).toBe(true);
  });

  it('a character device is written through and stays the same device (a node of the test, or /dev/null)', () => {
    const device = nullDevice(dir);
    const before = identity(device);
    writeFileAtomic(device, 'gone');
    expect(identity(device)).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  withDevices(
    'a full device (a node of the test, as /dev/full) is WRITE_FAILED (ENOSPC) and stays a device',
    async () => {
      const full = makeDevice(at('full'), 'full')!;
      const before = identity(full);
      for (const write of [
        async () => writeFileAtomic(full, 'x'),
        () => writeOutputFile(full, 'x'),
      ]) {
        const e = await rejection(write());
        expect([e.code, e.file, (e.cause as NodeJS.ErrnoException).code]).toEqual([
          'WRITE_FAILED',
          full,
          'ENOSPC',
        ]);
      }
      expect(identity(full)).toEqual(before);
    },
  );

  withProc(
    '/proc/self/fd/N is written through its descriptor: at its offset, in append mode',
    async () => {
      const file = at('log.txt');
      fs.writeFileSync(file, 'kept\n');
      const before = identity(file);
      const fd = fs.openSync(file, 'a');
      try {
        writeFileAtomic(`/proc/self/fd/${fd}`, 'one\n');
        await writeOutputFile(`/dev/fd/${fd}`, 'two\n');
      } finally {
        fs.closeSync(fd);
      }
      expect(fs.readFileSync(file, 'utf8')).toBe('kept\none\ntwo\n');
      expect(identity(file).ino).toBe(before.ino);
      // A descriptor open only for reading is not written (EBADF).
      const readOnly = fs.openSync(file, 'r');
      try {
        expect(catchError(() => writeFileAtomic(`/proc/self/fd/${readOnly}`, 'x'))).toMatchObject({
          code: 'WRITE_FAILED',
        });
      } finally {
        fs.closeSync(readOnly);
      }
      expect(fs.readFileSync(file, 'utf8')).toBe('kept\none\ntwo\n');
    },
  );

  it('a socket is NOT_A_REGULAR_FILE and stays a socket', async () => {
    const socket = await listenSocket(at('sock'));
    expect(catchError(() => writeFileAtomic(socket, 'x'))).toMatchObject({
      code: 'NOT_A_REGULAR_FILE',
      file: socket,
    });
    expect((await rejection(writeOutputFile(socket, 'x'))).code).toBe('NOT_A_REGULAR_FILE');
    expect(identity(socket).kind).toBe('socket');
  });

  withFifo(
    'a FIFO swapped for a link or a file after it was looked at is not written through',
    async () => {
      const fifo = makeFifo(at('fifo'));
      const target = outputTarget(fifo);
      if (target.kind !== 'through') throw new Error('expected a FIFO to write through');
      fs.writeFileSync(at('precious'), 'kept');
      fs.rmSync(fifo);
      fs.symlinkSync('precious', fifo); // a link put there since: never followed
      expect(catchError(() => writeThroughSync(target, 'x'))).toMatchObject({
        code: 'NOT_A_REGULAR_FILE',
        file: fifo,
      });
      await expect(pipeline(['x'], new ThroughStream(target))).rejects.toMatchObject({
        code: 'NOT_A_REGULAR_FILE',
        file: fifo,
      });
      fs.rmSync(fifo);
      fs.writeFileSync(fifo, 'kept'); // a regular file put there since: never appended to
      expect(catchError(() => writeThroughSync(target, 'x')).code).toBe('NOT_A_REGULAR_FILE');
      expect([fs.readFileSync(at('precious'), 'utf8'), fs.readFileSync(fifo, 'utf8')]).toEqual([
        'kept',
        'kept',
      ]);
    },
  );

  withFifo('a target that became something else while written is left alone', () => {
    const target = outputTarget(at('out.txt'));
    if (target.kind !== 'replace') throw new Error('expected a file to replace');
    fs.writeFileSync(at('out.txt.partial'), 'new');
    makeFifo(at('out.txt')); // put there after the output was looked at
    expect(catchError(() => renameIntoPlace(at('out.txt.partial'), target))).toMatchObject({
      code: 'NOT_A_REGULAR_FILE',
      file: at('out.txt'),
    });
    expect(identity(at('out.txt')).kind).toBe('fifo');
  });
});
