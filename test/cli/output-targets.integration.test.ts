import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelLocation } from '../../src/artifacts/types';
import { EXIT } from '../../src/cli/main';
import { isNeurulesError } from '../../src/errors';
import { auditModel } from '../../src/pipeline/audit-model';
import { exportModel } from '../../src/pipeline/export-model';
import { predictModel } from '../../src/pipeline/predict-model';
import { copyGermanCredit } from '../helpers/german-credit';
import {
  HAS_PROC_FD,
  identity,
  listenSocket,
  machinery,
  makeDevice,
  makeFifo,
  nullDevice,
  readFifo,
  withDevices,
} from '../helpers/output-targets';
import { runCli } from '../helpers/run-cli';

// Every command that writes a user-named output, through the CLI (in-process) and the
// library, on every kind of target: `predict --output` (the compiled engine's streamed
// lines, and DuckDB's whole-file output), `audit --out`, `export --output`.

const root = path.join(__dirname, '..', '..');
const input = path.join(root, 'data', 'german-credit.csv');
const withProc = HAS_PROC_FD ? it : it.skip;
const withRoot = process.getuid?.() === 0 ? it : it.skip;

let modelDir: string;
let loc: ModelLocation;
beforeAll(() => {
  modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-targets-model-'));
  loc = copyGermanCredit(modelDir);
});
afterAll(() => fs.rmSync(modelDir, { recursive: true, force: true }));
const dirs = (): string[] => ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];

/** How a write ended: done, or refused with a code naming a file. */
type Outcome = { ok: true } | { ok: false; code: string; file: string | undefined };

interface Writer {
  name: string;
  /** Write the output to `out`. */
  write(out: string): Promise<Outcome>;
  /** The output's text with what differs between runs (the audit's time) taken out. */
  normalize(text: string): string;
}

/** A CLI run's outcome: exit 0, or exit 2 with the first `error [FILE] CODE` line. */
async function cli(args: string[]): Promise<Outcome> {
  const r = await runCli(args);
  if (r.code === EXIT.ok) return { ok: true };
  expect(r.code).toBe(EXIT.usage);
  expect(r.stderr).not.toContain('internal error');
  const [, file, code] = /^error (?:(\S+) )?([A-Z_]+) /m.exec(r.stderr) ?? [];
  return { ok: false, code: code ?? r.stderr, file };
}

/** A library call's outcome: done, or the NeurulesError it threw. */
async function library(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    await call();
    return { ok: true };
  } catch (e) {
    if (!isNeurulesError(e)) throw e;
    return { ok: false, code: e.code, file: e.file };
  }
}

const same = (text: string): string => text;
const withoutTime = (text: string): string =>
  text.replace(/"generatedAt": "[^"]+"/, '"generatedAt": "…"');

const WRITERS: Writer[] = [
  {
    name: 'neurules predict --output',
    write: (out) =>
      cli(['predict', '--model', 'german-credit', ...dirs(), '--input', input, '--output', out]),
    normalize: same,
  },
  {
    name: 'neurules predict --engine duckdb --output',
    write: (out) =>
      cli([
        'predict',
        '--model',
        'german-credit',
        ...dirs(),
        '--input',
        input,
        '--engine',
        'duckdb',
        '--output',
        out,
      ]),
    normalize: same,
  },
  {
    name: 'neurules audit --out',
    write: (out) =>
      cli([
        'audit',
        '--model',
        'german-credit',
        ...dirs(),
        '--backend',
        'cpu',
        '--format',
        'json',
        '--out',
        out,
      ]),
    normalize: withoutTime,
  },
  {
    name: 'neurules export --output',
    write: (out) =>
      cli(['export', '--model', 'german-credit', ...dirs(), '--format', 'sql', '--output', out]),
    normalize: same,
  },
  {
    name: 'predictModel (library)',
    write: (out) => library(() => predictModel(loc, { input, output: out })),
    normalize: same,
  },
  {
    name: 'predictModel, engine duckdb (library)',
    write: (out) => library(() => predictModel(loc, { input, output: out, engine: 'duckdb' })),
    normalize: same,
  },
  {
    name: 'auditModel (library)',
    write: (out) => library(() => auditModel(loc, { out, format: 'json', backend: 'cpu' })),
    normalize: withoutTime,
  },
  {
    name: 'exportModel (library)',
    write: (out) => library(() => exportModel(loc, { format: 'sql', out })),
    normalize: same,
  },
];

describe.each(WRITERS)('$name: nothing replaced that the output does not own', (writer) => {
  let dir: string;
  let expected: string;
  beforeAll(async () => {
    // The output as written to a new regular file, which every other target must receive.
    const reference = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-targets-reference-'));
    try {
      expect(await writer.write(path.join(reference, 'out'))).toEqual({ ok: true });
      expected = writer.normalize(fs.readFileSync(path.join(reference, 'out'), 'utf8'));
    } finally {
      fs.rmSync(reference, { recursive: true, force: true });
    }
    expect(expected.length).toBeGreaterThan(0);
  });
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-targets-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const at = (name: string): string => path.join(dir, name);
  const text = (file: string): string => writer.normalize(fs.readFileSync(file, 'utf8'));
  /** Names in a folder that look like temporary files. */
  const leftovers = (folder = dir): string[] =>
    fs.readdirSync(folder).filter((f) => f.includes('.tmp'));

  it('a missing file is created whole, with no temporary file left', async () => {
    expect(await writer.write(at('out'))).toEqual({ ok: true });
    expect(text(at('out'))).toBe(expected);
    expect(leftovers()).toEqual([]);
  });

  it('a regular file is replaced (renamed over), keeping its permission bits', async () => {
    fs.writeFileSync(at('out'), 'old');
    fs.chmodSync(at('out'), 0o600);
    const before = identity(at('out'));
    expect(await writer.write(at('out'))).toEqual({ ok: true });
    expect(text(at('out'))).toBe(expected);
    expect(identity(at('out')).ino).not.toBe(before.ino);
    expect(identity(at('out')).mode & 0o777).toBe(0o600);
    expect(leftovers()).toEqual([]);
  });

  it('a symbolic link to a regular file: the target is replaced, the link stays a link', async () => {
    fs.writeFileSync(at('real'), 'old');
    fs.symlinkSync('real', at('link'));
    expect(await writer.write(at('link'))).toEqual({ ok: true });
    expect([identity(at('link')).kind, fs.readlinkSync(at('link'))]).toEqual(['link', 'real']);
    expect(text(at('real'))).toBe(expected);
    expect(leftovers()).toEqual([]);
  });

  it("a dangling symbolic link: its target is created in the target's folder", async () => {
    fs.mkdirSync(at('elsewhere'));
    fs.symlinkSync('elsewhere/new', at('link'));
    expect(await writer.write(at('link'))).toEqual({ ok: true });
    expect(identity(at('link')).kind).toBe('link');
    expect(text(at('elsewhere/new'))).toBe(expected);
    expect(leftovers(at('elsewhere'))).toEqual([]);
  });

  it('a chain of links is followed to its end; every link stays a link', async () => {
    fs.writeFileSync(at('real'), 'old');
    fs.symlinkSync('real', at('one'));
    fs.symlinkSync('one', at('two'));
    expect(await writer.write(at('two'))).toEqual({ ok: true });
    expect(text(at('real'))).toBe(expected);
    expect(fs.readlinkSync(at('one'))).toBe('real');
    expect(fs.readlinkSync(at('two'))).toBe('one');
  });

  it('a FIFO with a reader is written into and stays a FIFO', async () => {
    const fifo = makeFifo(at('fifo'));
    const before = identity(fifo);
    const read = readFifo(fifo);
    expect(await writer.write(fifo)).toEqual({ ok: true });
    expect(writer.normalize((await read).toString('utf8'))).toBe(expected);
    expect(identity(fifo)).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  it('a character device is written through and stays the same device', async () => {
    const device = nullDevice(dir);
    const before = identity(device);
    expect(await writer.write(device)).toEqual({ ok: true });
    expect(identity(device)).toEqual(before);
    expect(leftovers()).toEqual([]);
  });

  withDevices(
    'a full device (a node of the test, as /dev/full) is WRITE_FAILED naming it, and stays a device',
    async () => {
      const full = makeDevice(at('full'), 'full')!;
      const before = identity(full);
      expect(await writer.write(full)).toEqual({ ok: false, code: 'WRITE_FAILED', file: full });
      expect(identity(full)).toEqual(before);
      expect(leftovers()).toEqual([]);
    },
  );

  withProc('/proc/self/fd/N is written through that descriptor', async () => {
    const file = at('opened');
    const fd = fs.openSync(file, 'w');
    const before = identity(file);
    try {
      expect(await writer.write(`/proc/self/fd/${fd}`)).toEqual({ ok: true });
    } finally {
      fs.closeSync(fd);
    }
    expect(text(file)).toBe(expected);
    expect(identity(file).ino).toBe(before.ino);
    expect(fs.readdirSync(dir)).toEqual(['opened']);
  });

  withProc(
    "/proc/self/fd/N of the process's own machinery (a pipe to itself, an eventfd) is NOT_A_REGULAR_FILE",
    async () => {
      const own = machinery(process.pid);
      // A write end of one of Node's pipes to itself, and an eventfd: writing either hangs
      // or crashes the process.
      for (const fd of [own.writeEnds[0]!, own.anon[0]!]) {
        const name = `/proc/self/fd/${fd}`;
        expect(await writer.write(name)).toEqual({
          ok: false,
          code: 'NOT_A_REGULAR_FILE',
          file: name,
        });
      }
      expect(fs.readdirSync(dir)).toEqual([]);
    },
  );

  withRoot(
    "another user's file, of another group, keeps its owner, group and permission bits (as root)",
    async () => {
      fs.writeFileSync(at('out'), 'old');
      fs.chownSync(at('out'), 65534, 65534);
      fs.chmodSync(at('out'), 0o664);
      const before = fs.statSync(at('out'));
      expect(await writer.write(at('out'))).toEqual({ ok: true });
      const after = fs.statSync(at('out'));
      expect(text(at('out'))).toBe(expected);
      expect(after.ino).not.toBe(before.ino);
      expect([after.uid, after.gid, after.mode & 0o777]).toEqual([65534, 65534, 0o664]);
      expect(leftovers()).toEqual([]);
    },
  );

  it('a directory is NOT_A_REGULAR_FILE naming it, and stays an empty directory', async () => {
    fs.mkdirSync(at('folder'));
    expect(await writer.write(at('folder'))).toEqual({
      ok: false,
      code: 'NOT_A_REGULAR_FILE',
      file: at('folder'),
    });
    expect(fs.readdirSync(at('folder'))).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual(['folder']);
  });

  it('a socket is NOT_A_REGULAR_FILE naming it, and stays a socket', async () => {
    const socket = await listenSocket(at('sock'));
    expect(await writer.write(socket)).toEqual({
      ok: false,
      code: 'NOT_A_REGULAR_FILE',
      file: socket,
    });
    expect(identity(socket).kind).toBe('socket');
    expect(fs.readdirSync(dir)).toEqual(['sock']);
  });
});
