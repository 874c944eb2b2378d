import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelLocation } from '../../src/artifacts/types';
import { writeFileAtomic, writeOutputFile } from '../../src/files/write-atomic';
import { predictModel } from '../../src/pipeline/predict-model';
import { catchError } from '../data/catch-error';
import { rejection } from '../helpers/fifo';
import { copyGermanCredit } from '../helpers/german-credit';

// Who owns a replaced output, and what a folder's permissions do to it. An output replaces
// a file by renaming a new file over it: the new file is made in the folder, and is the
// process's user's until it is given the old file's owner and group. Run as root, the
// tests play the other user (`nobody`) with the built CLI (`dist/`, made by `npm run
// build`) in a child process; run as another user, the cases that need two users are
// skipped.

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'neurules.js');
const input = path.join(root, 'data', 'german-credit.csv');
const AS_ROOT = process.getuid?.() === 0;
const POSIX = process.getuid !== undefined;

/** The user and group ids of `nobody`, or undefined where there is none. */
const NOBODY = ((): { uid: number; gid: number } | undefined => {
  try {
    const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }));
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
})();
const withNobody = AS_ROOT && NOBODY ? it : it.skip;

let dir: string;
let loc: ModelLocation;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-permissions-'));
  // The other user reads the model and the data from here.
  fs.chmodSync(dir, 0o755);
  loc = copyGermanCredit(path.join(dir, 'model'));
  execFileSync('chmod', ['-R', 'a+rX', path.join(dir, 'model')]);
});
afterEach(() => {
  execFileSync('chmod', ['-R', 'u+rwX', dir]);
  fs.rmSync(dir, { recursive: true, force: true });
});
const at = (name: string): string => path.join(dir, name);
const model = (): string[] => [
  '--model',
  'german-credit',
  '--models-dir',
  loc.modelsDir,
  '--rules-dir',
  loc.rulesDir,
];

/** The commands that replace an output file, as arguments before `--output FILE`. */
const WRITERS: [string, () => string[]][] = [
  ['export --output', () => ['export', ...model(), '--format', 'sql', '--output']],
  ['predict --output', () => ['predict', ...model(), '--input', input, '--output']],
  [
    'predict --engine duckdb --output',
    () => ['predict', ...model(), '--input', input, '--engine', 'duckdb', '--output'],
  ],
];

/** Run the built CLI as `nobody`; resolves to its exit code and standard error. */
function asNobody(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], {
    uid: NOBODY!.uid,
    gid: NOBODY!.gid,
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** The first `error FILE CODE message` line of a CLI's standard error. */
function firstError(stderr: string): {
  file: string | undefined;
  code: string | undefined;
  message: string | undefined;
} {
  const [, file, code, message] = /^error (\S+) ([A-Z_]+) (.*)$/m.exec(stderr) ?? [];
  return { file, code, message };
}

describe('a writable file in a folder where this user cannot create files', () => {
  withNobody.each(WRITERS)(
    '%s (as nobody): WRITE_FAILED naming the file, the message naming the folder; the file unchanged',
    async (_name, args) => {
      fs.mkdirSync(at('locked'), { mode: 0o755 }); // root's: nobody may not create files
      const file = at('locked/out.sql');
      fs.writeFileSync(file, 'old');
      fs.chownSync(file, NOBODY!.uid, NOBODY!.gid);
      const r = await asNobody([...args(), file]);
      expect(r.code).toBe(2);
      const e = firstError(r.stderr);
      expect([e.file, e.code]).toEqual([file, 'WRITE_FAILED']);
      expect(e.message).toContain(at('locked'));
      expect(fs.readFileSync(file, 'utf8')).toBe('old');
      expect(fs.readdirSync(at('locked'))).toEqual(['out.sql']);
    },
  );

  (POSIX && !AS_ROOT ? it : it.skip)(
    'in-process (not root): WRITE_FAILED naming the file, the message naming the folder',
    async () => {
      fs.mkdirSync(at('locked'));
      const file = at('locked/out.sql');
      fs.writeFileSync(file, 'old');
      fs.chmodSync(at('locked'), 0o555);
      const failures = [
        catchError(() => writeFileAtomic(file, 'new')),
        await rejection(writeOutputFile(file, 'new')),
        await rejection(predictModel(loc, { input, output: file })),
        await rejection(predictModel(loc, { input, output: file, engine: 'duckdb' })),
      ];
      for (const e of failures) {
        expect([e.code, e.file]).toEqual(['WRITE_FAILED', file]);
        expect(e.message).toContain(at('locked'));
      }
      expect(fs.readFileSync(file, 'utf8')).toBe('old');
    },
  );
});

describe('the owner and group of a replaced file', () => {
  withNobody.each(WRITERS)(
    "%s (as nobody) over root's file in a folder anyone may write: WRITE_FAILED before any work, the file unchanged",
    async (_name, args) => {
      fs.mkdirSync(at('shared'));
      fs.chmodSync(at('shared'), 0o777);
      const file = at('shared/out.sql');
      fs.writeFileSync(file, 'old');
      fs.chmodSync(file, 0o666);
      const before = fs.statSync(file);
      const r = await asNobody([...args(), file]);
      expect(r.code).toBe(2);
      expect(firstError(r.stderr)).toMatchObject({ file, code: 'WRITE_FAILED' });
      expect(r.stderr).not.toMatch(/^predicted /m); // refused before the predictions
      const after = fs.statSync(file);
      expect([after.ino, after.uid, fs.readFileSync(file, 'utf8')]).toEqual([before.ino, 0, 'old']);
      expect(fs.readdirSync(at('shared'))).toEqual(['out.sql']);
    },
  );

  withNobody.each(WRITERS)(
    '%s (as nobody) over its own file of a group it is not in: replaced; the owner kept, the group its own',
    async (_name, args) => {
      fs.mkdirSync(at('shared'));
      fs.chmodSync(at('shared'), 0o777);
      const file = at('shared/out.sql');
      fs.writeFileSync(file, 'old');
      fs.chownSync(file, NOBODY!.uid, 0); // group root: nobody is not a member
      fs.chmodSync(file, 0o640);
      const before = fs.statSync(file);
      const r = await asNobody([...args(), file]);
      expect(r).toMatchObject({ code: 0 });
      const after = fs.statSync(file);
      expect(after.ino).not.toBe(before.ino);
      expect([after.uid, after.gid, after.mode & 0o777]).toEqual([NOBODY!.uid, NOBODY!.gid, 0o640]);
      expect(fs.readFileSync(file, 'utf8')).not.toBe('old');
    },
  );

  it("a hard link to a replaced file is cut: the other name keeps the old content (atomicity's price)", () => {
    const file = at('out.txt');
    fs.writeFileSync(file, 'old');
    fs.linkSync(file, at('other-name.txt'));
    writeFileAtomic(file, 'new');
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.readFileSync(at('other-name.txt'), 'utf8')).toBe('old');
    expect(fs.statSync(at('other-name.txt')).nlink).toBe(1);
  });
});
