import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { replaceDirAtomic, writeFileAtomic } from '../../src/files/write-atomic';
import { catchError } from '../data/catch-error';

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

  it('a directory in the way is WRITE_FAILED', () => {
    const target = path.join(dir, 'taken');
    fs.mkdirSync(path.join(target, 'inside'), { recursive: true });
    expect(catchError(() => writeFileAtomic(target, 'data')).code).toBe('WRITE_FAILED');
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
