import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelLocation, ModelManifest } from '../../src/artifacts/types';
import { buildModel, type BuildResult } from '../../src/pipeline/build-model';
import { loadModelData, loadTrainingRecords } from '../../src/artifacts/model-data';
import { catchError } from '../data/catch-error';
import { loadModel } from '../../src/artifacts/model-store';
import { GERMAN_CREDIT } from '../helpers/german-credit';

const root = path.join(__dirname, '..', '..');
let dir: string;
let dataFile: string;
let result: BuildResult;
const built = (): ModelLocation => ({
  modelsDir: path.join(dir, 'models'),
  rulesDir: path.join(dir, 'rules'),
  name: 'flowers',
});
const germanCredit: ModelLocation = GERMAN_CREDIT;

/** A copy of the built model under a new name, its manifest's `data` changed by `edit`. */
function copyWithManifest(
  name: string,
  edit: (data: ModelManifest['data']) => ModelManifest['data'],
): ModelLocation {
  const loc = { ...built(), name };
  fs.cpSync(path.join(built().modelsDir, 'flowers'), path.join(loc.modelsDir, name), {
    recursive: true,
  });
  fs.cpSync(path.join(built().rulesDir, 'flowers'), path.join(loc.rulesDir, name), {
    recursive: true,
  });
  const file = loadModel(loc).manifestFile;
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelManifest;
  fs.writeFileSync(file, JSON.stringify({ ...manifest, data: edit(manifest.data) }));
  return loc;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-data-'));
  // A copy under another name, so that data/<file> does not exist as a fallback.
  dataFile = path.join(dir, 'flowers.csv');
  fs.copyFileSync(path.join(root, 'data', 'iris.csv'), dataFile);
  result = await buildModel({
    data: dataFile,
    modelsDir: built().modelsDir,
    rulesDir: built().rulesDir,
    seed: 5,
    backend: 'cpu',
    training: { hidden: [8], epochs: 5, patience: 5 },
  });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the manifest records the data', () => {
  it('has the path relative to the working directory, the hash, the types and the split', () => {
    const manifest = JSON.parse(
      fs.readFileSync(loadModel(built()).manifestFile, 'utf8'),
    ) as ModelManifest;
    expect(manifest.data.file).toBe('flowers.csv');
    expect(manifest.data.path).toBe(
      path.relative(process.cwd(), dataFile).split(path.sep).join('/'),
    );
    expect(manifest.data.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.data.rows).toBe(150);
    expect(manifest.data.types).toEqual({
      sepal_length: 'numeric',
      sepal_width: 'numeric',
      petal_length: 'numeric',
      petal_width: 'numeric',
    });
    // Iris is small: cross-validation chose on every training row, so no validation split.
    expect(manifest.data.split).toEqual({ testFraction: 0.3, validationFraction: 0 });
  });
});

describe('loadModelData without a file: the build split again', () => {
  it('gives exactly the test records and labels the build measured on', () => {
    const data = loadModelData(built());
    expect(data.source).toBe('split');
    expect(JSON.stringify(data.test.records)).toBe(JSON.stringify(result.test.records));
    expect(JSON.stringify(data.test.labels)).toBe(JSON.stringify(result.test.labels));
    expect(data.test.lines).toEqual(result.test.lines);
    expect(data.train.records.length + data.validation.records.length).toBe(150 - 45);
    expect(data.test.schema).toEqual(result.schema);
    expect(data.description).toBe(
      `held-out test split (45 of 150 rows) of ${path.relative(process.cwd(), dataFile).split(path.sep).join('/')}`,
    );
  });

  it('falls back to data/<file> when the recorded path is gone', () => {
    const loc = copyWithManifest('moved', (d) => ({
      ...d,
      file: 'iris.csv',
      path: 'nowhere/iris.csv',
    }));
    const data = loadModelData(loc);
    expect(data.file).toBe(path.join('data', 'iris.csv'));
    expect(JSON.stringify(data.test.records)).toBe(JSON.stringify(result.test.records));
  });

  it('names the manifest field and the path when the file is at neither place', () => {
    const loc = copyWithManifest('lost', (d) => ({ ...d, path: 'nowhere/flowers.csv' }));
    const e = catchError(() => loadModelData(loc));
    expect(e.code).toBe('FILE_NOT_FOUND');
    expect(e.field).toBe('data.path');
    expect(e.file).toBe('nowhere/flowers.csv');
    expect(e.message).not.toMatch(/--[a-z]/); // the library names no CLI flag
  });

  it('refuses a data file that changed since the build', () => {
    const changed = path.join(dir, 'changed.csv');
    const text = fs.readFileSync(dataFile, 'utf8');
    fs.writeFileSync(changed, text.replace('5.1,3.5,1.4,0.2', '5.2,3.5,1.4,0.2'));
    const loc = copyWithManifest('changed', (d) => ({ ...d, path: changed }));
    const e = catchError(() => loadModelData(loc));
    expect(e.code).toBe('DATA_CHANGED');
    expect(e.field).toBe('data.sha256');
    expect(e.file).toBe(changed);
  });

  it('still rebuilds the split for a manifest from before the data fields', () => {
    const loc = copyWithManifest('old', (d) => ({ file: 'iris.csv', rows: d.rows }));
    const data = loadModelData(loc);
    expect(JSON.stringify(data.test.records)).toBe(JSON.stringify(result.test.records));
    // Without a hash, a file of another size is still caught.
    const short = copyWithManifest('old-short', () => ({ file: 'iris.csv', rows: 149 }));
    const e = catchError(() => loadModelData(short));
    expect(e.code).toBe('DATA_CHANGED');
    expect(e.field).toBe('data.rows');
  });
});

describe('loadTrainingRecords: the baseline of drift', () => {
  it("is the build's training split, from the split given or read again", async () => {
    const split = loadModelData(built());
    const fromSplit = await loadTrainingRecords(built(), split);
    expect(fromSplit?.records).toBe(split.train.records);
    expect(fromSplit?.description).toBe('training split');
    // Measured on another labelled file, the baseline is still the build's training split.
    const other = loadModelData(built(), { data: path.join(root, 'data', 'iris.csv') });
    expect(other.source).toBe('file');
    const again = await loadTrainingRecords(built(), other);
    expect(JSON.stringify(again?.records)).toBe(JSON.stringify(split.train.records));
    expect(JSON.stringify((await loadTrainingRecords(built()))?.records)).toBe(
      JSON.stringify(split.train.records),
    );
  });

  it('is undefined when the build split cannot be rebuilt (never a guess)', async () => {
    const loc = copyWithManifest('gone', (d) => ({ ...d, path: 'nowhere/flowers.csv' }));
    expect(await loadTrainingRecords(loc)).toBeUndefined();
    const other = loadModelData(loc, { data: path.join(root, 'data', 'iris.csv') });
    expect(await loadTrainingRecords(loc, other)).toBeUndefined();
  });
});

describe('loadModelData with a labelled file', () => {
  const rows = fs
    .readFileSync(path.join(root, 'data', 'german-credit.csv'), 'utf8')
    .trim()
    .split('\n');
  const header = rows[0]!;

  it('reads every record as the test part, keeping unseen categories', () => {
    const purpose = header.split(',').indexOf('purpose');
    const cells = rows[1]!.split(',');
    cells[purpose] = 'spaceship';
    const file = path.join(dir, 'labelled.csv');
    fs.writeFileSync(file, [header, cells.join(','), rows[2], rows[3]].join('\n') + '\n');
    const data = loadModelData(germanCredit, { data: file });
    expect(data.source).toBe('file');
    expect(data.file).toBe(file);
    expect(data.test.records).toHaveLength(3);
    expect(data.test.records[0]!.purpose).toBe('spaceship');
    expect(data.test.labels.every((l) => l === 0 || l === 1)).toBe(true);
    expect(data.train.records).toEqual([]);
    expect(data.validation.records).toEqual([]);
    expect(data.description).toBe(`all 3 labelled records of ${file}`);
  });

  it('needs the target column', () => {
    const strip = (line: string) => line.split(',').slice(0, -1).join(',');
    const file = path.join(dir, 'unlabelled.csv');
    fs.writeFileSync(file, [strip(header), strip(rows[1]!)].join('\n') + '\n');
    const e = catchError(() => loadModelData(germanCredit, { data: file }));
    expect(e.code).toBe('TARGET_NOT_FOUND');
    expect(e.file).toBe(file);
    expect(e.line).toBe(1);
  });

  it('reads JSONL, where every record needs a known class', () => {
    const names = header.split(',');
    const object = (line: string) =>
      Object.fromEntries(
        line.split(',').map((v, i) => [names[i]!, /^\d+$/.test(v) ? Number(v) : v]),
      );
    const good = object(rows[1]!);
    const file = path.join(dir, 'labelled.jsonl');
    fs.writeFileSync(file, JSON.stringify(good) + '\n');
    expect(loadModelData(germanCredit, { data: file }).test.records).toHaveLength(1);

    const { class: _label, ...unlabelled } = good;
    fs.writeFileSync(
      file,
      [good, unlabelled, { ...good, class: 'maybe' }].map((o) => JSON.stringify(o)).join('\n'),
    );
    const e = catchError(() => loadModelData(germanCredit, { data: file }));
    expect(e.issues.map((i) => [i.code, i.line, i.field])).toEqual([
      ['MISSING_TARGET', 2, 'class'],
      ['UNKNOWN_CATEGORY', 3, 'class'],
    ]);
  });
});
