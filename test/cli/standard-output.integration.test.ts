import { spawn, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import type { ModelLocation } from '../../src/artifacts/types';
import { EXIT, run } from '../../src/cli/main';
import { predictModel } from '../../src/pipeline/predict-model';
import { rejection } from '../helpers/fifo';
import { copyGermanCredit } from '../helpers/german-credit';
import { identity, makeFifo } from '../helpers/output-targets';
import { runCli } from '../helpers/run-cli';
import { sink } from '../helpers/sink';

// Standard output that fails (full, closed) and `--output /dev/stdout`, with the built CLI
// (`dist/`, made by `npm run build`) as a real process: standard output is a descriptor the
// process is given, which an in-process run does not have.

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'neurules.js');
const germanCredit = fs.readFileSync(path.join(root, 'data', 'german-credit.csv'), 'utf8');
const HAS_DEV_FULL = fs.existsSync('/dev/full') && fs.statSync('/dev/full').isCharacterDevice();
const withDevFull = HAS_DEV_FULL ? it : it.skip;

let dir: string;
let loc: ModelLocation;
let model: string[];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-stdout-'));
  loc = copyGermanCredit(dir);
  model = ['--model', 'german-credit', '--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** German credit's rows `times` over, under one header. */
function repeated(times: number): string {
  const [header, ...rows] = germanCredit.trimEnd().split('\n');
  const file = path.join(dir, `x${times}.csv`);
  if (!fs.existsSync(file))
    fs.writeFileSync(file, header + '\n' + (rows.join('\n') + '\n').repeat(times));
  return file;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `neurules ...args` with `stdio`, collecting the pipes it has; `onStdout` sees each
 * chunk of a piped standard output.
 */
function neurules(
  args: string[],
  stdio: StdioOptions,
  onStdout?: (chunk: Buffer, stop: () => void) => void,
): Promise<Ended> {
  const child = spawn(process.execPath, [bin, ...args], { stdio });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
    onStdout?.(c, () => child.stdout!.destroy());
  });
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** Standard output on `/dev/full`: opened for writing only (nothing in /dev is changed). */
async function onDevFull(args: string[]): Promise<Ended> {
  const full = fs.openSync('/dev/full', fs.constants.O_WRONLY);
  try {
    return await neurules(args, ['ignore', full, 'pipe']);
  } finally {
    fs.closeSync(full);
  }
}

describe('a full standard output is WRITE_FAILED, exit 2', () => {
  withDevFull.each([
    ['predict', ['--input', path.join(root, 'data', 'german-credit.csv')]],
    [
      'predict --engine duckdb',
      ['--input', path.join(root, 'data', 'german-credit.csv'), '--engine', 'duckdb'],
    ],
    [
      'explain',
      ['--input', path.join(root, 'data', 'german-credit.csv'), '--row', '1', '--backend', 'cpu'],
    ],
    ['export', ['--format', 'sql']],
  ])('%s > /dev/full', async (command, args) => {
    const r = await onDevFull([command.split(' ')[0]!, ...model, ...args]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error WRITE_FAILED cannot write standard output: .*\(ENOSPC\)/m);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(r.stderr).not.toMatch(/^predicted /m); // no summary of a run whose output was lost
  });
});

describe('a closed standard output (a reader that stops, as `| head`) ends the run quietly', () => {
  it.each([['compiled'], ['duckdb']])(
    'predict --engine %s: exit 0, nothing on standard error',
    async (engine) => {
      // Far more output than a pipe holds: the reader closes it long before the end.
      const r = await neurules(
        ['predict', ...model, '--input', repeated(20), '--engine', engine],
        ['ignore', 'pipe', 'pipe'],
        (_chunk, stop) => stop(),
      );
      expect(r).toMatchObject({ code: EXIT.ok, signal: null, stderr: '' });
      expect(r.stdout.length).toBeLessThan(20 * 91_000);
    },
  );
});

describe('a closed pipe in a shell (`| head`) ends the run quietly', () => {
  const HAS_BASH = fs.existsSync('/bin/bash');
  (HAS_BASH ? it : it.skip)(
    'predict | head -c 100: exit 0, nothing on standard error',
    async () => {
      // A real pipe (Node's own children get socket pairs): bash reports the exit status of
      // neurules, the first command of the pipeline.
      const script = `"$0" "$@" 2>"${path.join(dir, 'stderr')}" | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`;
      const shell = spawn(
        '/bin/bash',
        ['-c', script, process.execPath, bin, 'predict', ...model, '--input', repeated(20)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let status = '';
      shell.stdout!.on('data', (c: Buffer) => (status += c.toString()));
      await new Promise((resolve) => shell.on('close', resolve));
      expect(status.trim()).toBe(String(EXIT.ok));
      expect(fs.readFileSync(path.join(dir, 'stderr'), 'utf8')).toBe('');
    },
  );
});

describe('`--output /dev/stdout | head` ends quietly, as standard output itself does', () => {
  (fs.existsSync('/bin/bash') ? it : it.skip).each([['compiled'], ['duckdb']])(
    'predict --engine %s --output /dev/stdout | head -c 100: exit 0, nothing on standard error',
    async (engine) => {
      const stderr = path.join(dir, `stderr-${engine}`);
      const script = `"$0" "$@" 2>"${stderr}" | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`;
      const args = ['predict', ...model, '--input', repeated(20), '--engine', engine];
      const shell = spawn(
        '/bin/bash',
        ['-c', script, process.execPath, bin, ...args, '--output', '/dev/stdout'],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let status = '';
      shell.stdout!.on('data', (c: Buffer) => (status += c.toString()));
      await new Promise((resolve) => shell.on('close', resolve));
      expect(status.trim()).toBe(String(EXIT.ok));
      expect(fs.readFileSync(stderr, 'utf8')).toBe('');
    },
  );
});

describe('--output /dev/stdout and /dev/fd/N print (written through, never replaced)', () => {
  it('predict --output /dev/stdout prints what predict prints without --output', async () => {
    const input = repeated(20); // more than a pipe holds: the writer waits for the reader
    const plain = await neurules(
      ['predict', ...model, '--input', input],
      ['ignore', 'pipe', 'pipe'],
    );
    expect(plain.code).toBe(EXIT.ok);
    for (const engine of ['compiled', 'duckdb']) {
      const r = await neurules(
        ['predict', ...model, '--input', input, '--engine', engine, '--output', '/dev/stdout'],
        ['ignore', 'pipe', 'pipe'],
      );
      expect(r.code).toBe(EXIT.ok);
      expect(r.stdout).toBe(plain.stdout);
    }
  });

  it('export --output /dev/fd/3 writes to descriptor 3 what export prints without --output', async () => {
    const plain = await neurules(
      ['export', ...model, '--format', 'sql'],
      ['ignore', 'pipe', 'pipe'],
    );
    expect(plain.code).toBe(EXIT.ok);
    const child = spawn(
      process.execPath,
      [bin, 'export', ...model, '--format', 'sql', '--output', '/dev/fd/3'],
      { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    let fd3 = '';
    let stdout = '';
    child.stdio[3]!.on('data', (c: Buffer) => (fd3 += c.toString()));
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(EXIT.ok);
    expect(stdout).toBe('');
    expect(fd3).toBe(plain.stdout);
  });
});

describe('standard output failing under an in-process run', () => {
  /** A standard output whose every write fails with `code`. */
  const failing = (code: string): Writable =>
    new Writable({
      write(_chunk, _encoding, done) {
        done(Object.assign(new Error(`${code}: write failed`), { code }));
      },
    });
  const runWith = async (stdout: Writable, args: string[]) => {
    const stderr = sink();
    const code = await run(args, { stdout, stderr, isTTY: false }, 'user');
    return { code, stderr: stderr.text() };
  };
  const input = () => path.join(root, 'data', 'german-credit.csv');

  it.each([
    ['predict', () => ['predict', ...model, '--input', input()]],
    [
      'predict --engine duckdb',
      () => ['predict', ...model, '--input', input(), '--engine', 'duckdb'],
    ],
    ['export', () => ['export', ...model, '--format', 'sql']],
  ])(
    '%s: ENOSPC is WRITE_FAILED (exit 2) naming the stream; EPIPE is a quiet exit 0',
    async (_name, args) => {
      const full = await runWith(failing('ENOSPC'), args());
      expect(full.code).toBe(EXIT.usage);
      expect(full.stderr).toMatch(
        /^error WRITE_FAILED cannot write the output stream: .*\(ENOSPC\)/m,
      );
      expect(full.stderr).not.toMatch(/^predicted /m);
      const closed = await runWith(failing('EPIPE'), args());
      expect(closed).toEqual({ code: EXIT.ok, stderr: '' });
    },
  );
});

describe('a FIFO output whose reader leaves early has lost data: WRITE_FAILED naming it, exit 2', () => {
  let fifoDir: string;
  beforeEach(() => (fifoDir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-fifo-out-'))));
  afterEach(() => fs.rmSync(fifoDir, { recursive: true, force: true }));

  /** A FIFO with a reader that closes it after the first chunk. */
  function leavingReader(): string {
    const fifo = makeFifo(path.join(fifoDir, 'fifo'));
    const reader = fs.createReadStream(fifo);
    reader.once('data', () => reader.destroy());
    return fifo;
  }

  it.each([['compiled'], ['duckdb']])(
    'predict --engine %s --output FIFO: WRITE_FAILED naming the FIFO, no summary',
    async (engine) => {
      const fifo = leavingReader();
      const r = await runCli([
        'predict',
        ...model,
        '--input',
        repeated(20),
        '--engine',
        engine,
        '--output',
        fifo,
      ]);
      expect(r.code).toBe(EXIT.usage);
      expect(/^error (\S+) ([A-Z_]+) /m.exec(r.stderr)?.slice(1)).toEqual([fifo, 'WRITE_FAILED']);
      expect(r.stderr).not.toMatch(/^predicted /m);
      expect(identity(fifo).kind).toBe('fifo');
    },
  );

  (fs.existsSync('/bin/bash') ? it : it.skip)(
    'in a shell, `(head -c 100 FIFO) & neurules predict --output FIFO`: exit 2, WRITE_FAILED naming it',
    async () => {
      const fifo = makeFifo(path.join(fifoDir, 'fifo'));
      const script = `(head -c 100 "$1" >/dev/null) & shift; "$@" 2>"${path.join(fifoDir, 'stderr')}"; echo $?; wait`;
      const args = ['predict', ...model, '--input', repeated(20), '--output', fifo];
      const shell = spawn('/bin/bash', ['-c', script, 'sh', fifo, process.execPath, bin, ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let status = '';
      shell.stdout!.on('data', (c: Buffer) => (status += c.toString()));
      await new Promise((resolve) => shell.on('close', resolve));
      expect(status.trim()).toBe(String(EXIT.usage));
      const stderr = fs.readFileSync(path.join(fifoDir, 'stderr'), 'utf8');
      expect(/^error (\S+) ([A-Z_]+) /m.exec(stderr)?.slice(1)).toEqual([fifo, 'WRITE_FAILED']);
    },
  );

  it('predictModel rejects with WRITE_FAILED naming the FIFO, caused by EPIPE', async () => {
    const fifo = leavingReader();
    const e = await rejection(predictModel(loc, { input: repeated(20), output: fifo }));
    expect([e.code, e.file, (e.cause as NodeJS.ErrnoException).code]).toEqual([
      'WRITE_FAILED',
      fifo,
      'EPIPE',
    ]);
  });
});
