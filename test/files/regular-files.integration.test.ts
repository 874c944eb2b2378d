import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  listFolderFiles,
  listFolderFilesAsync,
  readRegularFile,
  readRegularFileAsync,
} from '../../src/files/regular-files';
import { catchError } from '../data/catch-error';
import { fifo as makeFifo, QUICK, rejection, released, withFifo } from '../helpers/fifo';

const HAS_DEV_NULL = fs.existsSync('/dev/null') && fs.statSync('/dev/null').isCharacterDevice();
const withDevNull = HAS_DEV_NULL ? it : it.skip;
describe('reading only regular files', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-read-'))));
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const fifo = (name: string, ms = 4000): string => makeFifo(path.join(dir, name), ms);

  it('reads a regular file as bytes or text, up to a limit', async () => {
    const file = path.join(dir, 'a.yaml');
    fs.writeFileSync(file, 'héllo');
    expect(readRegularFile(file)).toEqual(Buffer.from('héllo'));
    expect(readRegularFile(file, { encoding: 'utf8' })).toBe('héllo');
    expect(await readRegularFileAsync(file, { encoding: 'utf8' })).toBe('héllo');
    expect(readRegularFile(file, { limit: 2 })).toEqual(Buffer.from('héllo').subarray(0, 2));
    expect(await readRegularFileAsync(file, { limit: 2 })).toEqual(
      Buffer.from('héllo').subarray(0, 2),
    );
    fs.writeFileSync(file, '');
    expect(readRegularFile(file, { encoding: 'utf8' })).toBe('');
  });

  it('reads a file larger than one chunk whole', async () => {
    const file = path.join(dir, 'big.txt');
    const data = Buffer.alloc(200_000, 'x');
    fs.writeFileSync(file, data);
    expect(readRegularFile(file).equals(data)).toBe(true);
    expect((await readRegularFileAsync(file)).equals(data)).toBe(true);
  });

  withFifo(
    'a FIFO is NOT_A_REGULAR_FILE naming it, at once (sync)',
    () => {
      const file = fifo('x.yaml');
      const e = catchError(() => readRegularFile(file, { encoding: 'utf8' }));
      expect([e.code, e.file]).toEqual(['NOT_A_REGULAR_FILE', file]);
      expect(released(file)).toBe(false);
    },
    QUICK,
  );

  withFifo(
    'a FIFO is NOT_A_REGULAR_FILE naming it, at once (async)',
    async () => {
      const file = fifo('x.yaml');
      const e = await rejection(readRegularFileAsync(file, { encoding: 'utf8' }));
      expect([e.code, e.file]).toEqual(['NOT_A_REGULAR_FILE', file]);
      expect(released(file)).toBe(false);
    },
    QUICK,
  );

  withFifo(
    'a FIFO put in place after the first check is opened without blocking and refused',
    async () => {
      const file = fifo('x.yaml');
      const regular = fs.statSync(__filename);
      // The check before opening sees a regular file: only the check of the opened
      // descriptor stands between the FIFO and a blocking read.
      // The module object itself (the `import * as` namespace has fixed properties).
      const nodeFs = jest.requireActual<typeof fs>('node:fs');
      const stat = jest.spyOn(nodeFs, 'statSync').mockReturnValue(regular);
      const lstat = jest.spyOn(nodeFs.promises, 'lstat').mockResolvedValue(regular);
      try {
        const e = catchError(() => readRegularFile(file));
        expect([e.code, e.file]).toEqual(['NOT_A_REGULAR_FILE', file]);
        const a = await rejection(readRegularFileAsync(file, { noFollow: true }));
        expect([a.code, a.file]).toEqual(['NOT_A_REGULAR_FILE', file]);
        expect(released(file)).toBe(false);
      } finally {
        stat.mockRestore();
        lstat.mockRestore();
      }
    },
    QUICK,
  );

  withDevNull('a character device (/dev/null) is NOT_A_REGULAR_FILE', async () => {
    expect(catchError(() => readRegularFile('/dev/null')).code).toBe('NOT_A_REGULAR_FILE');
    const e = await rejection(readRegularFileAsync('/dev/null'));
    expect([e.code, e.file]).toEqual(['NOT_A_REGULAR_FILE', '/dev/null']);
  });

  it('a directory is NOT_A_REGULAR_FILE', async () => {
    const sub = path.join(dir, 'x.yaml');
    fs.mkdirSync(sub);
    expect(catchError(() => readRegularFile(sub)).file).toBe(sub);
    expect(catchError(() => readRegularFile(sub)).code).toBe('NOT_A_REGULAR_FILE');
    expect((await rejection(readRegularFileAsync(sub))).code).toBe('NOT_A_REGULAR_FILE');
  });

  it('a socket is NOT_A_REGULAR_FILE', async () => {
    const file = path.join(dir, 's.yaml');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(file, resolve));
    try {
      expect(catchError(() => readRegularFile(file)).code).toBe('NOT_A_REGULAR_FILE');
      expect((await rejection(readRegularFileAsync(file))).code).toBe('NOT_A_REGULAR_FILE');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a missing file is FILE_NOT_FOUND, or the code the caller asks for', async () => {
    const file = path.join(dir, 'none.json');
    const e = catchError(() => readRegularFile(file));
    expect([e.code, e.file]).toEqual(['FILE_NOT_FOUND', file]);
    const m = await rejection(readRegularFileAsync(file, { missingCode: 'MODEL_NOT_FOUND' }));
    expect([m.code, m.file]).toEqual(['MODEL_NOT_FOUND', file]);
  });

  it('follows a link to a regular file, unless noFollow; errors name `name`', async () => {
    const target = path.join(dir, 'a.yaml');
    const link = path.join(dir, 'b.yaml');
    fs.writeFileSync(target, 'a');
    fs.symlinkSync(target, link);
    expect(readRegularFile(link, { encoding: 'utf8' })).toBe('a');
    const e = catchError(() => readRegularFile(link, { noFollow: true }));
    expect([e.code, e.file]).toEqual(['NOT_A_REGULAR_FILE', link]);
    const named = await rejection(readRegularFileAsync(link, { noFollow: true, name: 'listed' }));
    expect([named.code, named.file]).toEqual(['NOT_A_REGULAR_FILE', 'listed']);
  });
});

describe('listing a folder', () => {
  let root: string;
  let dir: string;
  const yaml = /\.ya?ml$/i;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-list-'));
    dir = path.join(root, 'overrides');
    fs.mkdirSync(dir);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));
  const at = (name: string): string => path.join(dir, name);
  const both = async (d = dir) => {
    const sync = listFolderFiles(d, yaml);
    expect(await listFolderFilesAsync(d, yaml)).toEqual(sync);
    return sync;
  };
  const codes = (l: { issues: { code: string; file?: string }[] }) =>
    l.issues.map((i) => [i.code, i.file]);

  it('lists matching regular files and links inside the folder, in name order', async () => {
    fs.writeFileSync(at('b.yaml'), 'b');
    fs.writeFileSync(at('A.yml'), 'a');
    fs.writeFileSync(at('notes.txt'), 'not listed');
    fs.mkdirSync(at('shared'));
    fs.writeFileSync(at('shared/policy.yaml'), 'p');
    fs.symlinkSync('b.yaml', at('c.yaml'));
    fs.symlinkSync(path.join('shared', 'policy.yaml'), at('d.yaml'));
    const listing = await both();
    const real = fs.realpathSync(dir);
    expect(listing).toEqual({
      files: [
        { file: at('A.yml'), open: at('A.yml') },
        { file: at('b.yaml'), open: at('b.yaml') },
        { file: at('c.yaml'), open: path.join(real, 'b.yaml') },
        { file: at('d.yaml'), open: path.join(real, 'shared', 'policy.yaml') },
      ],
      issues: [],
    });
    const c = listing.files[2]!;
    expect(readRegularFile(c.open, { noFollow: true, name: c.file, encoding: 'utf8' })).toBe('b');
  });

  withFifo(
    'a FIFO is NOT_A_REGULAR_FILE naming it; the other files are still listed',
    async () => {
      execFileSync('mkfifo', [at('x.yaml')]);
      fs.writeFileSync(at('a.yaml'), 'a');
      const listing = await both();
      expect(codes(listing)).toEqual([['NOT_A_REGULAR_FILE', at('x.yaml')]]);
      expect(listing.files.map((f) => f.file)).toEqual([at('a.yaml')]);
    },
    QUICK,
  );

  it('a directory named x.yaml, or a link to one, is NOT_A_REGULAR_FILE', async () => {
    fs.mkdirSync(at('x.yaml'));
    fs.mkdirSync(at('sub'));
    fs.symlinkSync('sub', at('y.yaml'));
    expect(codes(await both())).toEqual([
      ['NOT_A_REGULAR_FILE', at('x.yaml')],
      ['NOT_A_REGULAR_FILE', at('y.yaml')],
    ]);
  });

  it('a dangling link is FILE_NOT_FOUND naming it; a link loop too', async () => {
    fs.symlinkSync('gone.yaml', at('x.yaml'));
    fs.symlinkSync('z.yaml', at('y.yaml'));
    fs.symlinkSync('y.yaml', at('z.yaml'));
    expect(codes(await both())).toEqual([
      ['FILE_NOT_FOUND', at('x.yaml')],
      ['FILE_NOT_FOUND', at('y.yaml')],
      ['FILE_NOT_FOUND', at('z.yaml')],
    ]);
  });

  it('a link out of the folder is OUTSIDE_FOLDER naming the link', async () => {
    fs.writeFileSync(path.join(root, 'secret.yaml'), 'outside');
    fs.symlinkSync(path.join(root, 'secret.yaml'), at('x.yaml'));
    fs.symlinkSync('../secret.yaml', at('y.yaml'));
    fs.symlinkSync('/dev/null', at('z.yaml'));
    const listing = await both();
    expect(codes(listing)).toEqual([
      ['OUTSIDE_FOLDER', at('x.yaml')],
      ['OUTSIDE_FOLDER', at('y.yaml')],
      ['OUTSIDE_FOLDER', at('z.yaml')],
    ]);
    expect(listing.files).toEqual([]);
  });

  it('the folder may be a link; links in it are judged against its real path', async () => {
    fs.writeFileSync(at('a.yaml'), 'a');
    fs.symlinkSync('a.yaml', at('b.yaml'));
    const link = path.join(root, 'linked');
    fs.symlinkSync(dir, link);
    const listing = await both(link);
    expect(listing.issues).toEqual([]);
    expect(listing.files.map((f) => f.file)).toEqual([
      path.join(link, 'a.yaml'),
      path.join(link, 'b.yaml'),
    ]);
  });

  it('a plain file where the folder should be is NOT_A_DIRECTORY naming it', async () => {
    const file = path.join(root, 'plain');
    fs.writeFileSync(file, 'x');
    expect(codes(await both(file))).toEqual([['NOT_A_DIRECTORY', file]]);
  });

  it('a missing folder lists nothing; a link to a missing folder is FILE_NOT_FOUND', async () => {
    expect(await both(path.join(root, 'none'))).toEqual({ files: [], issues: [] });
    const link = path.join(root, 'dangling');
    fs.symlinkSync(path.join(root, 'none'), link);
    expect(codes(await both(link))).toEqual([['FILE_NOT_FOUND', link]]);
  });
});
