import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import { fifo, QUICK, released, withFifo } from '../helpers/fifo';
import { copyGermanCredit } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';

// The signal tests run the built CLI (`dist/`, made by `npm run build` or `npm install`'s
// prepare script) as a real process, as test/cli/serve.integration.test.ts does.
const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'neurules.js');
const germanCredit = fs.readFileSync(path.join(root, 'data', 'german-credit.csv'), 'utf8');

let dir: string;
let dirs: string[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-predict-cli-'));
  const loc = copyGermanCredit(dir);
  dirs = ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** German credit's rows `times` over, under one header, as `name` in the test folder. */
function repeated(name: string, times: number): string {
  const [header, ...rows] = germanCredit.trimEnd().split('\n');
  const body = rows.join('\n') + '\n';
  const file = path.join(dir, name);
  fs.writeFileSync(file, header + '\n' + body.repeat(times));
  return file;
}

const temporaryFiles = (): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (const started = Date.now(); !condition();) {
    if (Date.now() - started > 30_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('neurules predict --output, killed by a signal (a real process)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s removes its temporary file, leaves no output and ends by the signal',
    async (signal) => {
      // 20,000 rows through json-rules-engine take seconds: the run is killed mid-way.
      const input = repeated('big.csv', 20);
      const output = path.join(dir, 'out.jsonl');
      const child = spawn(
        process.execPath,
        [
          bin,
          'predict',
          '--model',
          'german-credit',
          ...dirs,
          '--input',
          input,
          '--output',
          output,
        ].concat(['--engine', 'json-rules-engine']),
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += String(d)));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      try {
        // Killed once it has written records to its temporary file.
        const tmp = (): string | undefined => temporaryFiles()[0];
        await until(() => {
          const file = tmp();
          return file !== undefined && fs.statSync(path.join(dir, file)).size > 0;
        }, `a temporary file with records (stderr: ${stderr})`);
        expect(tmp()).toBe(`.out.jsonl.${child.pid}.tmp`);
        child.kill(signal);
        // The signal is raised again once the file is gone: the exit status a shell sees
        // is 128 + its number (130, 143).
        expect(await exited).toEqual({ code: null, signal });
      } finally {
        child.kill('SIGKILL');
      }
      expect(temporaryFiles()).toEqual([]);
      expect(fs.existsSync(output)).toBe(false);
      expect(stderr).not.toContain('internal error');
    },
  );
});

describe('neurules predict: input checks and leftovers (in-process)', () => {
  const predict = (input: string, extra: string[] = []) =>
    runCli(['predict', '--model', 'german-credit', ...dirs, '--input', input, ...extra]);

  it("removes a dead process's temporary file of the same output, not a live process's", async () => {
    const input = repeated('few.csv', 1);
    const output = path.join(dir, 'out.jsonl');
    // No process has PID 99999999 (Linux PIDs stop at 2^22); the parent process is alive.
    const dead = path.join(dir, '.out.jsonl.99999999.tmp');
    const live = path.join(dir, `.out.jsonl.${process.ppid}.tmp`);
    for (const f of [dead, live]) fs.writeFileSync(f, '{"line":2,');
    const r = await predict(input, ['--output', output]);
    expect(r.code).toBe(EXIT.ok);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.readFileSync(output, 'utf8').trim().split('\n')).toHaveLength(1000);
  });

  it('a directory as --input is INPUT_IS_DIRECTORY naming it', async () => {
    const input = path.join(dir, 'inputs');
    fs.mkdirSync(input);
    const r = await predict(input);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(new RegExp(`^error ${input} INPUT_IS_DIRECTORY `, 'm'));
    expect(r.stderr).not.toContain('internal error');
  });

  it.each(['compiled', 'duckdb'])(
    'a duplicate column is DUPLICATE_COLUMN at line 1 and its column (--engine %s)',
    async (engine) => {
      const [header, first] = germanCredit.split('\n');
      const input = path.join(dir, 'dup.csv');
      fs.writeFileSync(input, `${header},age\n${first},99\n`);
      const column = header!.split(',').length + 1;
      const r = await predict(input, ['--engine', engine]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.stderr).toMatch(new RegExp(`^error ${input}:1:${column} DUPLICATE_COLUMN `, 'm'));
    },
  );

  it.each(['compiled', 'duckdb'])(
    'a header without rows is HEADER_ONLY at line 1 (--engine %s)',
    async (engine) => {
      const input = path.join(dir, 'header.csv');
      fs.writeFileSync(input, germanCredit.split('\n')[0] + '\n');
      const r = await predict(input, ['--engine', engine]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.stderr).toMatch(new RegExp(`^error ${input}:1 HEADER_ONLY `, 'm'));
    },
  );
});

describe('neurules predict --engine duckdb (in-process)', () => {
  const predict = (extra: string[]) =>
    runCli(['predict', '--model', 'german-credit', ...dirs, ...extra]);
  /** The summary line without what differs between runs: time, engine, memory. */
  const summary = (stderr: string): string =>
    stderr.replace(/ in [\d.]+ s with [\w-]+;/, ';').replace(/; peak memory \d+ MB/, '');

  it('prints the lines and summary --engine compiled prints, on as many threads as asked', async () => {
    const input = repeated('twice.csv', 2);
    const compiled = await predict(['--input', input]);
    expect(compiled.code).toBe(EXIT.ok);
    for (const threads of [[], ['--threads', '1'], ['--threads', '2']]) {
      const duckdb = await predict(['--input', input, '--engine', 'duckdb', ...threads]);
      expect(duckdb.code).toBe(EXIT.ok);
      expect(duckdb.stdout).toBe(compiled.stdout);
      expect(summary(duckdb.stderr)).toBe(summary(compiled.stderr));
      expect(duckdb.stderr).toMatch(/ with duckdb; rule set [0-9a-f]{12}; /);
    }
  });

  it('--threads is refused for another engine, and must be a whole number from 1', async () => {
    const input = repeated('once.csv', 1);
    const other = await predict(['--input', input, '--threads', '2']);
    expect(other.code).toBe(EXIT.usage);
    expect(other.stderr).toMatch(
      /INVALID_ARGUMENT \[threads\] --threads applies to --engine duckdb/,
    );
    const zero = await predict(['--input', input, '--engine', 'duckdb', '--threads', '0']);
    expect(zero.code).toBe(EXIT.usage);
    expect(zero.stderr).toMatch(/--threads/);
  });
});

describe('neurules predict: a FIFO as --input (in-process)', () => {
  const predict = (extra: string[]) =>
    runCli(['predict', '--model', 'german-credit', ...dirs, ...extra]);
  const stuckWriters: string[] = [];
  afterEach(() => {
    // A writer still waiting in open() for a reader that never came is let through.
    for (const f of stuckWriters.splice(0)) {
      try {
        fs.closeSync(fs.openSync(f, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
      } catch {
        // gone already
      }
    }
  });

  /** A FIFO at `name` in the test folder with a writer of `text` waiting for a reader. */
  function fifoOf(name: string, text: string): { file: string; written: Promise<unknown> } {
    const file = path.join(dir, name);
    execFileSync('mkfifo', [file]);
    stuckWriters.push(file);
    return { file, written: fs.promises.writeFile(file, text).catch((e: unknown) => e) };
  }

  withFifo(
    '--engine duckdb hands it to the compiled reader, with a note: the same lines and summary',
    async () => {
      const regular = repeated('regular.csv', 2);
      const compiled = await predict(['--input', regular]);
      expect(compiled.code).toBe(EXIT.ok);
      const { file, written } = fifoOf('fifo.csv', fs.readFileSync(regular, 'utf8'));
      const r = await predict(['--input', file, '--engine', 'duckdb']);
      expect(await written).toBeUndefined();
      expect(r.code).toBe(EXIT.ok);
      expect(r.stdout).toBe(compiled.stdout);
      expect(r.stderr).toMatch(new RegExp(`^note: ${file} is a FIFO`, 'm'));
      expect(r.stderr).toMatch(/^predicted 2000 records /m);
      expect(r.stderr).not.toContain('error');
    },
  );

  withFifo(
    'a Parquet FIFO (--engine duckdb) and a JSON-lines one are UNSUPPORTED_FORMAT, without opening it',
    async () => {
      for (const name of ['in.parquet', 'in.jsonl']) {
        const file = fifo(path.join(dir, name));
        const r = await predict(['--input', file, '--engine', 'duckdb']);
        expect(r.code).toBe(EXIT.usage);
        expect(r.stderr).toMatch(
          new RegExp(`^error ${file}(?: \\[engine\\])? UNSUPPORTED_FORMAT `, 'm'),
        );
        expect(released(file)).toBe(false);
      }
    },
    QUICK,
  );

  withFifo(
    'a FIFO without a .csv or .jsonl name is UNSUPPORTED_FORMAT (its first bytes cannot be sniffed), for each engine',
    async () => {
      for (const engine of ['compiled', 'duckdb']) {
        const file = fifo(path.join(dir, `records-${engine}`));
        const r = await predict(['--input', file, '--engine', engine]);
        expect(r.code).toBe(EXIT.usage);
        expect(r.stderr).toMatch(new RegExp(`^error ${file} UNSUPPORTED_FORMAT `, 'm'));
        expect(released(file)).toBe(false);
      }
    },
    QUICK,
  );
});
