import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  loadTeacher,
  saveTeacher,
  selectBackend,
  tf,
  trainTeacher,
  type Teacher,
} from '../../src/teacher';
import { readIris, splitTable } from './read-iris';

const { train, validation, test } = splitTable(readIris(), 2);
let teacher: Teacher;
let dir: string;

beforeAll(async () => {
  await selectBackend('auto');
  teacher = await trainTeacher(train, validation, { hidden: [8, 4], epochs: 5, seed: 5 });
});

afterAll(() => teacher.dispose());

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-teacher-'));
  await saveTeacher(teacher, dir);
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('saveTeacher / loadTeacher', () => {
  it('writes tfjs model.json + weights.bin and a versioned teacher.json', () => {
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'teacher.json', 'weights.bin']);
    const model = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(model.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(model.modelTopology).toBeDefined();
    const file = JSON.parse(fs.readFileSync(path.join(dir, 'teacher.json'), 'utf8'));
    expect(file).toMatchObject({
      format: 'neurules.teacher',
      version: 1,
      classes: train.schema.classes,
    });
    expect(file.encoder).toEqual(teacher.encoder.spec);
  });

  it('round-trips: the loaded teacher predicts identically', async () => {
    const loaded = await loadTeacher(dir, train.schema);
    try {
      expect(loaded.predictProbaFlat(test.records)).toEqual(teacher.predictProbaFlat(test.records));
      expect(loaded.summary).toEqual(teacher.summary);
      expect(loaded.encoder.featureColumns).toEqual(teacher.encoder.featureColumns);
    } finally {
      loaded.dispose();
    }
  });

  it('loads into a plain tfjs LayersModel too (standard format)', async () => {
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    const weights = fs.readFileSync(path.join(dir, 'weights.bin'));
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: new Uint8Array(weights).buffer,
      }),
    );
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
    model.dispose();
  });

  it.each(['model.json', 'weights.bin', 'teacher.json'])(
    'reports a missing %s as MODEL_NOT_FOUND',
    async (name) => {
      fs.rmSync(path.join(dir, name));
      await expect(loadTeacher(dir, train.schema)).rejects.toMatchObject({
        code: 'MODEL_NOT_FOUND',
        file: path.join(dir, name),
      });
    },
  );

  it('reports a missing directory as MODEL_NOT_FOUND', async () => {
    await expect(loadTeacher(path.join(dir, 'nope'), train.schema)).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
    });
  });

  it.each(['model.json', 'teacher.json'])(
    'reports damaged JSON in %s as INVALID_ARTIFACT',
    async (name) => {
      fs.writeFileSync(path.join(dir, name), '{"format": "neurules.teacher", ');
      await expect(loadTeacher(dir, train.schema)).rejects.toMatchObject({
        code: 'INVALID_ARTIFACT',
        file: path.join(dir, name),
      });
    },
  );

  it('reports truncated weights as INVALID_ARTIFACT', async () => {
    const file = path.join(dir, 'weights.bin');
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 10));
    await expect(loadTeacher(dir, train.schema)).rejects.toMatchObject({
      code: 'INVALID_ARTIFACT',
      file,
    });
  });

  it('checks the format tag and version of teacher.json', async () => {
    const file = path.join(dir, 'teacher.json');
    const content = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...content, format: 'neurules.rules' }));
    await expect(loadTeacher(dir, train.schema)).rejects.toMatchObject({
      code: 'FOREIGN_FORMAT',
      file,
    });
    fs.writeFileSync(file, JSON.stringify({ ...content, version: 2 }));
    await expect(loadTeacher(dir, train.schema)).rejects.toMatchObject({
      code: 'NEWER_FORMAT',
      file,
    });
  });

  it('refuses a schema the network was not trained on', async () => {
    const other = {
      ...train.schema,
      features: train.schema.features.map((f, i) =>
        i === 0 && f.type === 'numeric' ? { ...f, mean: f.mean + 1 } : f,
      ),
    };
    await expect(loadTeacher(dir, other)).rejects.toMatchObject({ code: 'INVALID_ARTIFACT' });
    await expect(
      loadTeacher(dir, { ...train.schema, classes: ['a', 'b', 'c'] }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARTIFACT',
      field: 'classes',
    });
  });

  it('leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const loaded = await loadTeacher(dir, train.schema);
    loaded.predictProba(test.records);
    loaded.dispose();
    const trained = await trainTeacher(train, validation, { hidden: [4], epochs: 3 });
    trained.predict(test.records);
    trained.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
