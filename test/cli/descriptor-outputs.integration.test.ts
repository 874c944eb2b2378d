import { spawn, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelLocation } from '../../src/artifacts/types';
import { EXIT } from '../../src/cli/main';
import { copyGermanCredit } from '../helpers/german-credit';
import { HAS_PROC_FD, machinery, makeFifo, readFifo } from '../helpers/output-targets';

// `--output /proc/self/fd/N` (and `/dev/fd/N`) with the built CLI (`dist/`, made by `npm
// run build`) as a real process, whose descriptors are those it was given plus Node's own:
// what the shell or the parent passed is written through; Node's own machinery (libuv's
// signal pipe, its wake-up pipes, epoll, eventfds), where a write hangs the process or
// crashes it, is refused before anything is written; so is another process's.

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'neurules.js');
const withProc = HAS_PROC_FD ? it : it.skip;
const withBash = HAS_PROC_FD && fs.existsSync('/bin/bash') ? it : it.skip;
/** Longer than any run here takes: a run still going then is hung, and is killed. */
const HUNG = 30_000;

let dir: string;
let loc: ModelLocation;
let model: string[];
let reference: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-descriptors-'));
  loc = copyGermanCredit(dir);
  model = ['--model', 'german-credit', '--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
  const plain = await neurules(['export', ...model, '--format', 'sql'], ['ignore', 'pipe', 'pipe']);
  expect(plain.code).toBe(EXIT.ok);
  reference = plain.stdout;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** What came out of descriptor 3, where it was a pipe. */
  fd3: string;
}

/** Run `command` with `args` and `stdio`; one that is still running after {@link HUNG} is killed. */
function run(command: string, args: string[], stdio: StdioOptions): Promise<Ended> {
  const child = spawn(command, args, { stdio });
  const ended: Ended = { code: null, signal: null, stdout: '', stderr: '', fd3: '' };
  child.stdout?.on('data', (c: Buffer) => (ended.stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (ended.stderr += c.toString()));
  (child.stdio[3] as NodeJS.ReadableStream | null | undefined)?.on(
    'data',
    (c: Buffer) => (ended.fd3 += c.toString()),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), HUNG);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ...ended, code, signal });
    }),
  );
}

/** Run `neurules ...args`. */
const neurules = (args: string[], stdio: StdioOptions): Promise<Ended> =>
  run(process.execPath, [bin, ...args], stdio);

/** Run `neurules ...args` from bash, after `redirections` (as `3>file`). */
const inBash = (redirections: string, args: string[]): Promise<Ended> =>
  run(
    '/bin/bash',
    ['-c', `exec "$0" "$@" ${redirections}`, process.execPath, bin, ...args],
    ['ignore', 'pipe', 'pipe'],
  );

/** The `error FILE CODE` of the first error line. */
const firstError = (stderr: string): string[] | undefined =>
  /^error (\S+) ([A-Z_]+) /m.exec(stderr)?.slice(1);

describe("Node's own descriptors are never written", () => {
  withProc(
    '/proc/self/fd/N and /dev/fd/N for N = 3..20 of a process given only 0-2: refused, naming the path; no hang, no crash',
    async () => {
      const refused: string[] = [];
      const names = [];
      for (let n = 3; n <= 20; n++) names.push(`/proc/self/fd/${n}`, `/dev/fd/${n}`);
      // A few at a time: each is a whole process.
      for (let i = 0; i < names.length; i += 4) {
        const batch = names.slice(i, i + 4);
        const runs = await Promise.all(
          batch.map((name) =>
            neurules(
              ['export', ...model, '--format', 'sql', '--output', name],
              ['ignore', 'pipe', 'pipe'],
            ),
          ),
        );
        runs.forEach((r, k) => {
          const name = batch[k]!;
          expect({ name, code: r.code, signal: r.signal }).toEqual({
            name,
            code: EXIT.usage,
            signal: null,
          });
          const [file, code] = firstError(r.stderr) ?? [];
          expect(file).toBe(name);
          // Not open (WRITE_FAILED), or Node's own (NOT_A_REGULAR_FILE): nothing else.
          expect(['NOT_A_REGULAR_FILE', 'WRITE_FAILED']).toContain(code);
          if (code === 'NOT_A_REGULAR_FILE') refused.push(name);
          expect(r.stdout).toBe('');
        });
      }
      // Node opens an epoll descriptor, eventfds and pipes to itself at its start.
      expect(refused.length).toBeGreaterThanOrEqual(8);
    },
    4 * HUNG,
  );

  withProc(
    "predict --output /proc/self/fd/N for the probe's N (5, 7, 12, 16): exit 2 naming the path, no hang, no crash",
    async () => {
      const input = path.join(root, 'data', 'german-credit.csv');
      const runs = await Promise.all(
        [5, 7, 12, 16].map((n) =>
          neurules(
            ['predict', ...model, '--input', input, '--output', `/proc/self/fd/${n}`],
            ['ignore', 'pipe', 'pipe'],
          ),
        ),
      );
      for (const [k, r] of runs.entries()) {
        const name = `/proc/self/fd/${[5, 7, 12, 16][k]}`;
        expect([r.code, r.signal, firstError(r.stderr)?.[0]]).toEqual([EXIT.usage, null, name]);
        expect(r.stderr).not.toMatch(/^predicted /m);
      }
    },
    2 * HUNG,
  );

  withProc(
    "another process's own pipe or eventfd is refused, and that process is left running",
    async () => {
      const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
        stdio: 'ignore',
      });
      try {
        await new Promise((resolve) => other.once('spawn', resolve));
        let own = machinery(other.pid!);
        while (!own.writeEnds.length || !own.anon.length) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          own = machinery(other.pid!);
        }
        for (const fd of [own.writeEnds[0]!, own.anon[0]!]) {
          const name = `/proc/${other.pid}/fd/${fd}`;
          const r = await neurules(
            ['export', ...model, '--format', 'sql', '--output', name],
            ['ignore', 'pipe', 'pipe'],
          );
          expect([r.code, firstError(r.stderr)]).toEqual([
            EXIT.usage,
            [name, 'NOT_A_REGULAR_FILE'],
          ]);
        }
        expect([other.exitCode, other.signalCode]).toEqual([null, null]);
      } finally {
        const gone = new Promise((resolve) => other.once('exit', resolve));
        other.kill();
        await gone;
      }
    },
    2 * HUNG,
  );
});

describe('descriptors the process was given are written through', () => {
  withBash('bash `3>file`: the file gets the output', async () => {
    const file = path.join(dir, 'three.sql');
    const r = await inBash(`3>"${file}"`, [
      'export',
      ...model,
      '--format',
      'sql',
      '--output',
      '/proc/self/fd/3',
    ]);
    expect([r.code, r.stderr]).toEqual([EXIT.ok, '']);
    expect(fs.readFileSync(file, 'utf8')).toBe(reference);
  });

  withBash("bash `3>>file`: the output is added after the file's content", async () => {
    const file = path.join(dir, 'appended.sql');
    fs.writeFileSync(file, '-- kept\n');
    const r = await inBash(`3>>"${file}"`, [
      'export',
      ...model,
      '--format',
      'sql',
      '--output',
      '/dev/fd/3',
    ]);
    expect([r.code, r.stderr]).toEqual([EXIT.ok, '']);
    expect(fs.readFileSync(file, 'utf8')).toBe('-- kept\n' + reference);
  });

  withBash("bash `3<>fifo`: the FIFO's reader gets the output", async () => {
    const fifo = makeFifo(path.join(dir, `fifo-${Date.now()}`));
    const read = readFifo(fifo);
    try {
      const r = await inBash(`3<>"${fifo}"`, [
        'export',
        ...model,
        '--format',
        'sql',
        '--output',
        '/proc/self/fd/3',
      ]);
      expect([r.code, r.stderr]).toEqual([EXIT.ok, '']);
      // The run's descriptor was its only writer: the reader ends once it is closed.
      expect((await read).toString()).toBe(reference);
    } finally {
      fs.rmSync(fifo, { force: true });
    }
  });

  withProc(
    "a parent's extra stdio pipe (spawn's fourth 'pipe'): descriptor 3 gets the output",
    async () => {
      const r = await neurules(
        ['export', ...model, '--format', 'sql', '--output', '/proc/self/fd/3'],
        ['ignore', 'pipe', 'pipe', 'pipe'],
      );
      expect([r.code, r.stderr, r.stdout]).toEqual([EXIT.ok, '', '']);
      expect(r.fd3).toBe(reference);
    },
  );
});
