import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { outputTarget, streamName } from '../../src/files/output-target';
import { catchError } from '../data/catch-error';
import { HAS_PROC_FD, listenSocket, machinery, makeFifo } from '../helpers/output-targets';

const withProc = HAS_PROC_FD ? it : it.skip;

/** {@link machinery} of a Node process, once its start has opened its own descriptors. */
async function machineryOnceStarted(pid: number): Promise<ReturnType<typeof machinery>> {
  for (;;) {
    const found = machinery(pid);
    if (found.anon.length && found.pipes.length) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The first line a stream gives. */
function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
  });
}

/**
 * Kill `child` and wait until it is gone; with `group`, its whole process group (a shell
 * spawned `detached` leads one, with the commands it started).
 */
async function stop(child: ChildProcess, group = false): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  if (group) process.kill(-child.pid!, 'SIGTERM');
  else child.kill();
  await gone;
}

describe('outputTarget: what an output path names (nothing is written)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-target-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const at = (name: string): string => path.join(dir, name);

  it('a missing path is replaced where it is named, its folders created', () => {
    expect(outputTarget(at('a/b/out.jsonl'))).toEqual({
      kind: 'replace',
      name: at('a/b/out.jsonl'),
      path: at('a/b/out.jsonl'),
      mode: undefined,
      uid: undefined,
      gid: undefined,
      createFolders: true,
    });
  });

  it('a regular file is replaced, keeping its permission bits, owner and group', () => {
    fs.writeFileSync(at('out.jsonl'), 'old');
    fs.chmodSync(at('out.jsonl'), 0o640);
    const { uid, gid } = fs.statSync(at('out.jsonl'));
    expect(outputTarget(at('out.jsonl'))).toMatchObject({
      kind: 'replace',
      path: at('out.jsonl'),
      mode: 0o640,
      uid,
      gid,
      createFolders: false,
    });
  });

  it('a link, and a chain of links, are followed to the regular file at their end', () => {
    fs.writeFileSync(at('real.jsonl'), 'old');
    fs.symlinkSync('real.jsonl', at('one'));
    fs.symlinkSync(at('one'), at('two'));
    for (const name of ['one', 'two']) {
      expect(outputTarget(at(name))).toMatchObject({
        kind: 'replace',
        name: at(name),
        path: at('real.jsonl'),
      });
    }
  });

  it("a dangling link's target is the file to create, in the target's folder, with no folder made", () => {
    fs.mkdirSync(at('elsewhere'));
    fs.symlinkSync('elsewhere/new.jsonl', at('link'));
    expect(outputTarget(at('link'))).toEqual({
      kind: 'replace',
      name: at('link'),
      path: at('elsewhere/new.jsonl'),
      mode: undefined,
      uid: undefined,
      gid: undefined,
      createFolders: false,
    });
  });

  it('a link is read relative to the real folder it is in, as the kernel reads it', () => {
    // `via` is a link to `deep/inner`; `via/link` says `../target`, which is deep/target,
    // not (as the path's text would suggest) DIR/target.
    fs.mkdirSync(at('deep/inner'), { recursive: true });
    fs.symlinkSync(at('deep/inner'), at('via'));
    fs.symlinkSync('../target.jsonl', at('deep/inner/link'));
    expect(outputTarget(at('via/link'))).toMatchObject({
      kind: 'replace',
      path: at('deep/target.jsonl'),
    });
  });

  it('a FIFO is written through, directly or at the end of a link', () => {
    makeFifo(at('fifo'));
    fs.symlinkSync('fifo', at('to-fifo'));
    for (const name of ['fifo', 'to-fifo']) {
      expect(outputTarget(at(name))).toEqual({
        kind: 'through',
        name: at(name),
        found: 'a FIFO (named pipe)',
        path: at('fifo'),
        fifo: true,
        descriptor: false,
        fd: undefined,
      });
    }
  });

  it('a character device is written through (looked at only: lstat, no open)', () => {
    expect(outputTarget('/dev/null')).toMatchObject({
      kind: 'through',
      path: '/dev/null',
      fifo: false,
      fd: undefined,
    });
  });

  withProc(
    "this process's /proc/self/fd/N, /dev/fd/N and /dev/stdout are its own descriptors",
    () => {
      const fd = fs.openSync(at('opened.txt'), 'w');
      try {
        for (const name of [
          `/proc/self/fd/${fd}`,
          `/dev/fd/${fd}`,
          `/proc/${process.pid}/fd/${fd}`,
        ]) {
          expect(outputTarget(name)).toMatchObject({
            kind: 'through',
            name,
            found: `descriptor ${fd} (a regular file)`,
            fd,
          });
        }
      } finally {
        fs.closeSync(fd);
      }
      expect(outputTarget('/dev/stdout')).toMatchObject({ kind: 'through', fd: 1 });
    },
  );

  withProc("another process's descriptor is opened by its path, never its own number", async () => {
    const out = fs.openSync(at('child.txt'), 'w');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], {
      stdio: ['ignore', out, 'ignore'],
    });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const name = `/proc/${child.pid}/fd/1`;
      expect(outputTarget(name)).toEqual({
        kind: 'through',
        name,
        found: `descriptor 1 of process ${child.pid} (a regular file)`,
        path: name,
        fifo: false,
        descriptor: true,
        fd: undefined,
      });
    } finally {
      fs.closeSync(out);
      await stop(child);
    }
  });

  withProc(
    "this process's own machinery (Node's and libuv's pipes to itself, epoll, eventfds) is NOT_A_REGULAR_FILE",
    () => {
      const own = machinery(process.pid);
      // Node opens an epoll descriptor, eventfds and pipes to itself before any code runs.
      expect(own.anon.length).toBeGreaterThan(0);
      expect(own.pipes.length).toBeGreaterThan(0);
      for (const fd of [...own.anon, ...own.pipes]) {
        for (const name of [`/proc/self/fd/${fd}`, `/dev/fd/${fd}`]) {
          expect(catchError(() => outputTarget(name))).toMatchObject({
            code: 'NOT_A_REGULAR_FILE',
            file: name,
          });
        }
      }
    },
  );

  withProc(
    "another process's own machinery is NOT_A_REGULAR_FILE; a pipe it only reads or only writes is written through",
    async () => {
      // The first sleep writes the pipe, the second reads it: neither holds both ends.
      const shell = spawn('sh', ['-c', 'sleep 30 | sleep 30 & echo $!; wait'], {
        stdio: ['ignore', 'pipe', 'ignore'],
        detached: true, // its own process group, ended with its sleeps
      });
      const node = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], {
        stdio: 'ignore',
      });
      const started = new Promise((resolve) => node.once('spawn', resolve));
      try {
        const reader = Number(await firstLine(shell.stdout!));
        await started;
        const name = `/proc/${reader}/fd/0`;
        expect(outputTarget(name)).toMatchObject({
          kind: 'through',
          found: `descriptor 0 of process ${reader} (a FIFO (named pipe))`,
          fifo: true,
          descriptor: true,
        });
        const theirs = await machineryOnceStarted(node.pid!);
        for (const fd of [...theirs.anon, ...theirs.pipes]) {
          const other = `/proc/${node.pid}/fd/${fd}`;
          expect(catchError(() => outputTarget(other))).toMatchObject({
            code: 'NOT_A_REGULAR_FILE',
            file: other,
          });
        }
      } finally {
        await Promise.all([stop(shell, true), stop(node)]);
      }
    },
  );

  withProc(
    "this process's descriptor open only for reading is WRITE_FAILED before anything is written",
    () => {
      fs.writeFileSync(at('in.txt'), 'kept');
      const fd = fs.openSync(at('in.txt'), 'r');
      try {
        expect(catchError(() => outputTarget(`/proc/self/fd/${fd}`))).toMatchObject({
          code: 'WRITE_FAILED',
          file: `/proc/self/fd/${fd}`,
        });
      } finally {
        fs.closeSync(fd);
      }
    },
  );

  withProc('a descriptor that is not open is WRITE_FAILED naming the path', () => {
    const name = '/proc/self/fd/987654';
    expect(catchError(() => outputTarget(name))).toMatchObject({
      code: 'WRITE_FAILED',
      file: name,
    });
  });

  it('a directory, or a link to one, is NOT_A_REGULAR_FILE naming the path', () => {
    fs.mkdirSync(at('folder'));
    fs.symlinkSync('folder', at('to-folder'));
    for (const name of ['folder', 'to-folder']) {
      expect(catchError(() => outputTarget(at(name)))).toMatchObject({
        code: 'NOT_A_REGULAR_FILE',
        file: at(name),
      });
    }
  });

  it('a socket is NOT_A_REGULAR_FILE naming the path', async () => {
    const socket = await listenSocket(at('sock'));
    expect(catchError(() => outputTarget(socket))).toMatchObject({
      code: 'NOT_A_REGULAR_FILE',
      file: socket,
    });
  });

  it('a loop of links, and a path under a plain file, are WRITE_FAILED naming the path', () => {
    fs.symlinkSync('b', at('a'));
    fs.symlinkSync('a', at('b'));
    expect(catchError(() => outputTarget(at('a')))).toMatchObject({
      code: 'WRITE_FAILED',
      file: at('a'),
    });
    fs.writeFileSync(at('plain'), '');
    expect(catchError(() => outputTarget(at('plain/out.jsonl')))).toMatchObject({
      code: 'WRITE_FAILED',
      file: at('plain/out.jsonl'),
    });
  });

  it('streams are named for messages by their descriptor', () => {
    expect(streamName(process.stdout)).toBe('standard output');
    expect(streamName(process.stderr)).toBe('standard error');
    expect(streamName({ fd: 7 } as unknown as NodeJS.WritableStream)).toBe('file descriptor 7');
    expect(streamName(new PassThrough())).toBe('the output stream');
  });
});
