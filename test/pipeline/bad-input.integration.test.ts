import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/artifacts/model-store';
import { isNeurulesError, type ErrorCode } from '../../src/errors';
import { buildModel } from '../../src/pipeline/build-model';
import { openModel } from '../../src/pipeline/open-model';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-bad-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

async function buildError(
  data: string,
  extra: Record<string, unknown> = {},
): Promise<{ code: ErrorCode; line?: number; column?: number }> {
  try {
    await buildModel({
      data,
      modelsDir: path.join(dir, 'models'),
      rulesDir: path.join(dir, 'rules'),
      backend: 'cpu',
      ...extra,
    });
  } catch (e) {
    if (!isNeurulesError(e)) throw e;
    // Nothing half-written: no file under models/ or rules/ (the model lock may leave an
    // empty model folder behind; it holds nothing).
    expect(filesUnder(path.join(dir, 'models'))).toEqual([]);
    expect(filesUnder(path.join(dir, 'rules'))).toEqual([]);
    const out: { code: ErrorCode; line?: number; column?: number; file?: string } = {
      code: e.code,
    };
    if (e.line !== undefined) out.line = e.line;
    if (e.column !== undefined) out.column = e.column;
    if (e.file !== undefined) out.file = e.file;
    return out;
  }
  throw new Error('expected the build to fail');
}

/** Every file (not folder) under `root`, recursively; none when it does not exist. */
function filesUnder(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
}

const rows = (n: number, label: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => `${i},${i % 3 === 0 ? 'x' : 'y'},${label(i)}`).join('\n');

describe('build refuses bad input with a coded error and writes nothing', () => {
  it('missing file', async () =>
    expect((await buildError(path.join(dir, 'nope.csv'))).code).toBe('FILE_NOT_FOUND'));
  it('empty file', async () =>
    expect((await buildError(write('e.csv', ''))).code).toBe('EMPTY_FILE'));
  it('header only', async () =>
    expect((await buildError(write('h.csv', 'a,b,class\n'))).code).toBe('HEADER_ONLY'));
  it('ragged row names its line', async () => {
    expect(await buildError(write('r.csv', `a,b,class\n1,x,p\n2,y\n3,x,q\n`))).toMatchObject({
      code: 'RAGGED_ROW',
      line: 3,
    });
  });
  it('unknown target column', async () => {
    expect(
      (
        await buildError(write('t.csv', `a,b,class\n${rows(40, (i) => (i % 2 ? 'p' : 'q'))}\n`), {
          target: 'klass',
        })
      ).code,
    ).toBe('TARGET_NOT_FOUND');
  });
  it('forced-numeric column with a non-number names line and column', async () => {
    const file = write('n.csv', `a,b,class\n${rows(40, (i) => (i % 2 ? 'p' : 'q'))}\n`);
    expect(await buildError(file, { types: { b: 'numeric' } })).toMatchObject({
      code: 'NOT_A_NUMBER',
      line: 2,
      column: 2,
    });
  });
  it('a single class', async () => {
    expect((await buildError(write('s.csv', `a,b,class\n${rows(40, () => 'p')}\n`))).code).toBe(
      'SINGLE_CLASS',
    );
  });
  it('too few rows to split', async () => {
    expect(
      (await buildError(write('f.csv', `a,b,class\n${rows(4, (i) => (i % 2 ? 'p' : 'q'))}\n`)))
        .code,
    ).toBe('TOO_FEW_ROWS');
  });
  it('a directory as data is INPUT_IS_DIRECTORY naming it', async () => {
    const data = path.join(dir, 'data.csv');
    fs.mkdirSync(data);
    expect(await buildError(data)).toMatchObject({ code: 'INPUT_IS_DIRECTORY', file: data });
  });
  it('one inf in a numeric column is INVALID_NUMBER at its line and column', async () => {
    const text = rows(40, (i) => (i % 2 ? 'p' : 'q')).replace(/^7,/m, 'inf,');
    const file = write('i.csv', `a,b,class\n${text}\n`);
    expect(await buildError(file)).toMatchObject({
      code: 'INVALID_NUMBER',
      file,
      line: 9,
      column: 1,
    });
  });
  it('a bad --max-rules', async () => {
    expect(
      (
        await buildError(write('m.csv', `a,b,class\n${rows(40, (i) => (i % 2 ? 'p' : 'q'))}\n`), {
          maxRules: 0,
        })
      ).code,
    ).toBe('INVALID_ARGUMENT');
  });
});

describe('opening a model checks its files', () => {
  const loc = () => ({
    modelsDir: path.join(dir, 'models'),
    rulesDir: path.join(dir, 'rules'),
    name: 'm',
  });
  const codeOf = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
    } catch (e) {
      if (isNeurulesError(e)) return e.code;
      throw e;
    }
    return 'no error';
  };
  const writeModel = (manifest: object) => {
    const m = path.join(dir, 'models', 'm');
    fs.mkdirSync(m, { recursive: true });
    fs.writeFileSync(path.join(m, 'manifest.json'), JSON.stringify(manifest));
  };

  it('a model directory that does not exist', async () => {
    expect(await codeOf(openModel(loc()))).toBe('MODEL_NOT_FOUND');
  });
  it('a foreign format', async () => {
    writeModel({ format: 'something.else', version: 1 });
    expect(await codeOf(openModel(loc()))).toBe('FOREIGN_FORMAT');
  });
  it('a newer format version', async () => {
    writeModel({ format: 'neurules.model', version: 99 });
    expect(await codeOf(openModel(loc()))).toBe('NEWER_FORMAT');
  });
  it('damaged JSON', async () => {
    fs.mkdirSync(path.join(dir, 'models', 'm'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'models', 'm', 'manifest.json'), '{"format": "neur');
    expect(await codeOf(openModel(loc()))).toBe('INVALID_ARTIFACT');
  });

  it('a failure while saving leaves the previous model untouched and no temporary files', async () => {
    writeModel({ format: 'neurules.model', version: 1, marker: 'old' });
    const failing = saveModel(loc(), {
      manifest: {} as never,
      schema: {} as never,
      tree: {} as never,
      metrics: {} as never,
      ruleSet: {} as never,
      saveTeacher: async () => {
        throw new Error('disk full');
      },
    });
    await expect(failing).rejects.toThrow('disk full');
    expect(
      JSON.parse(fs.readFileSync(path.join(dir, 'models', 'm', 'manifest.json'), 'utf8')).marker,
    ).toBe('old');
    expect(fs.readdirSync(path.join(dir, 'models'))).toEqual(['m']);
    expect(fs.existsSync(path.join(dir, 'rules'))).toBe(false);
  });
});
