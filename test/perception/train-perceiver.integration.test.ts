import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateDigits } from '../../bench/tasks/digits';
import type { ConceptData } from '../../src/perception/concept-table';
import type { Shape } from '../../src/perception/concepts';
import { loadPerceiver, savePerceiver } from '../../src/perception/perceiver-io';
import type { PerceptionProgress } from '../../src/perception/perception-network';
import { type Perceiver, trainPerceiver } from '../../src/perception/train-perceiver';
import { selectBackend } from '../../src/teacher/backend';

const SIZE = { height: 8, width: 8 };
const digits = generateDigits(600, 1, SIZE);
const heldOut = generateDigits(200, 2, SIZE);
const EPOCHS = 50;

/** The digits as a concept's data: a plain vector, or an image when `shape` is given. */
function conceptData(
  images = digits,
  shape?: Shape,
  label: (digit: number, row: number) => string | null = (d) => String(d),
): ConceptData {
  const width = SIZE.height * SIZE.width;
  const values = new Float32Array(images.pixels.length * width);
  images.pixels.forEach((p, i) => values.set(p, i * width));
  const columns = Array.from({ length: width }, (_, i) => `px_${i}`);
  return {
    concept: {
      name: 'digit',
      label: 'digit',
      input: shape ? { kind: 'columns', columns, shape } : { kind: 'columns', columns },
    },
    inputs: { kind: 'values', values, width },
    labels: images.labels.map(label),
  };
}

const test = conceptData(heldOut);
const values = test.inputs.kind === 'values' ? test.inputs.values : new Float32Array();
const rows = heldOut.labels.length;

let vector: Perceiver;
let image: Perceiver;
const progress: PerceptionProgress[] = [];
let dir: string;

beforeAll(async () => {
  await selectBackend('wasm');
  vector = await trainPerceiver(conceptData(), {
    epochs: EPOCHS,
    onProgress: (p) => progress.push(p),
  });
  image = await trainPerceiver(conceptData(digits, SIZE), { epochs: EPOCHS });
});

afterAll(() => {
  vector.dispose();
  image.dispose();
});

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-perceiver-'));
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The share of held-out digits `p` predicts right. */
function heldOutAccuracy(p: Perceiver): number {
  const proba = p.predictProba(values, rows);
  const k = p.classes.length;
  let right = 0;
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (proba[i * k + c]! > proba[i * k + best]!) best = c;
    if (p.classes[best] === String(heldOut.labels[i])) right++;
  }
  return right / rows;
}

describe('trainPerceiver', () => {
  it('learns 8×8 digits as a plain vector with an MLP, pixels divided by 255', () => {
    expect(vector.concept).toBe('digit');
    expect(vector.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(vector.spec.architecture).toEqual({ kind: 'mlp', inputs: 64, hidden: 64, classes: 10 });
    expect(vector.spec.scaling).toEqual({ kind: 'divide-255' });
    expect(vector.spec.shape).toBeNull();
    expect(vector.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(heldOutAccuracy(vector)).toBeGreaterThanOrEqual(0.85);
    expect(vector.epochs).toBe(progress.length);
    expect(progress[0]).toMatchObject({ epoch: 1, epochs: EPOCHS });
    for (const p of progress)
      expect(Number.isFinite(p.loss + p.valLoss + p.valAccuracy)).toBe(true);
    // 600 rows, stratified: 15% of each class's ~60 rows held out.
    expect(vector.spec.summary.validationRows).toBe(90);
    expect(vector.spec.summary.trainRows).toBe(510);
  });

  it('learns 8×8 digits as an image with the im2col CNN (3×3 kernel), pixels divided by 255', () => {
    expect(image.spec.architecture).toEqual({
      kind: 'cnn-im2col',
      height: 8,
      width: 8,
      kernel: 3,
      filters: 8,
      classes: 10,
    });
    expect(image.spec.scaling).toEqual({ kind: 'divide-255' });
    expect(image.spec.shape).toEqual(SIZE);
    expect(image.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(heldOutAccuracy(image)).toBeGreaterThanOrEqual(0.85);
  });

  it('learns an image of odd sides (7×9): pooling drops the last row, and it saves and loads', async () => {
    // The first 63 pixels of each 8×8 digit as a 7×9 image: the convolution leaves 5×7.
    const width = 63;
    const odd = (images: typeof digits): ConceptData => {
      const data = conceptData(images);
      const all = data.inputs.kind === 'values' ? data.inputs.values : new Float32Array();
      const values = new Float32Array(images.labels.length * width);
      images.labels.forEach((_, i) => values.set(all.subarray(i * 64, i * 64 + width), i * width));
      return {
        ...data,
        concept: {
          ...data.concept,
          input: {
            kind: 'columns',
            columns: Array.from({ length: width }, (_, i) => `px_${i}`),
            shape: { height: 7, width: 9 },
          },
        },
        inputs: { kind: 'values', values, width },
      };
    };
    const p = await trainPerceiver(odd(digits), { epochs: 10 });
    try {
      expect(p.spec.architecture).toMatchObject({ kind: 'cnn-im2col', height: 7, width: 9 });
      expect(p.accuracy).toBeGreaterThan(0.5);
      const heldOutValues = odd(heldOut).inputs;
      const x = heldOutValues.kind === 'values' ? heldOutValues.values : new Float32Array();
      savePerceiver(p, dir);
      const loaded = await loadPerceiver(dir);
      try {
        expect(loaded.predictProba(x, rows)).toEqual(p.predictProba(x, rows));
      } finally {
        loaded.dispose();
      }
    } finally {
      p.dispose();
    }
  });

  it('gives probabilities that sum to 1 per row, in batches', () => {
    const proba = image.predictProba(values, rows);
    expect(proba).toHaveLength(rows * 10);
    for (let i = 0; i < rows; i++) {
      expect(proba.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    // Past one batch of 1,024 rows: the same probabilities row by row.
    const many = new Float32Array(values.length * 6);
    for (let t = 0; t < 6; t++) many.set(values, t * values.length);
    const batched = image.predictProba(many, rows * 6);
    expect(batched.subarray(5 * rows * 10)).toEqual(proba);
    expect(() => image.predictProba(values, rows + 1)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('is reproducible: the same seed gives the same probabilities', async () => {
    const again = await trainPerceiver(conceptData(), { epochs: EPOCHS });
    try {
      expect(again.predictProba(values, rows)).toEqual(vector.predictProba(values, rows));
      expect(again.spec).toEqual(vector.spec);
    } finally {
      again.dispose();
    }
  });

  it('skips rows without a label, and orders number labels numerically', async () => {
    const data = conceptData(generateDigits(120, 3, SIZE), undefined, (d, i) =>
      i % 4 === 0 ? null : String(d * 5),
    );
    // A row that were trained on would make the loss and the scaling NaN.
    const raw = (data.inputs as { values: Float32Array }).values;
    data.labels.forEach((l, i) => l === null && raw.fill(NaN, i * 64, i * 64 + 64));
    const p = await trainPerceiver(data, { epochs: 2 });
    try {
      expect(p.classes).toEqual(['0', '5', '10', '15', '20', '25', '30', '35', '40', '45']);
      expect(p.spec.summary.trainRows + p.spec.summary.validationRows).toBe(90);
      expect(p.predictProba(values, rows).every(Number.isFinite)).toBe(true);
    } finally {
      p.dispose();
    }
  });

  it('standardises inputs outside [0, 255] with the training rows statistics, and saves them', async () => {
    const data = conceptData(generateDigits(100, 4, SIZE));
    const raw = (data.inputs as { values: Float32Array }).values;
    raw.forEach((v, i) => (raw[i] = v - 128));
    const p = await trainPerceiver(data, { epochs: 2 });
    try {
      expect(p.spec.scaling.kind).toBe('standardise');
      const { mean, std } = p.spec.scaling as { mean: number[]; std: number[] };
      expect(mean).toHaveLength(64);
      expect(std.every((s) => s > 0)).toBe(true);
      savePerceiver(p, dir);
      const loaded = await loadPerceiver(dir);
      expect(loaded.predictProba(raw, 100)).toEqual(p.predictProba(raw, 100));
      loaded.dispose();
    } finally {
      p.dispose();
    }
  });

  it('answers every class it is given, one without rows included, in their order', async () => {
    const data = conceptData(generateDigits(100, 5, SIZE), undefined, (d) => String(d % 3));
    const classes = ['0', '1', '2', 'never'];
    const p = await trainPerceiver(data, { epochs: 2, classes });
    try {
      expect(p.classes).toEqual(classes);
      expect(p.spec.architecture).toMatchObject({ classes: 4 });
      const proba = p.predictProba(values, rows);
      expect(proba).toHaveLength(rows * 4);
    } finally {
      p.dispose();
    }
    for (const bad of [
      ['0', '1'],
      ['0', '1', '2', '1'],
    ]) {
      await expect(trainPerceiver(data, { epochs: 1, classes: bad })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: 'classes',
      });
    }
  });

  it('refuses a concept of one class (CONCEPT_ONE_CLASS)', async () => {
    const data = conceptData(digits, undefined, (d) => (d === 3 ? '3' : null));
    await expect(trainPerceiver(data)).rejects.toMatchObject({
      code: 'CONCEPT_ONE_CLASS',
      field: 'digit',
    });
  });

  it('refuses image files not yet decoded (IMAGES_NOT_DECODED)', async () => {
    const data: ConceptData = {
      concept: {
        name: 'digit',
        label: 'digit',
        input: { kind: 'images', column: 'file', shape: SIZE },
      },
      inputs: { kind: 'paths', paths: ['a.png', 'b.png'] },
      labels: ['1', '2'],
    };
    await expect(trainPerceiver(data)).rejects.toMatchObject({
      code: 'IMAGES_NOT_DECODED',
      field: 'digit',
    });
  });
});

describe('savePerceiver / loadPerceiver', () => {
  it('round-trips both networks: the loaded perceiver predicts identically', async () => {
    for (const p of [vector, image]) {
      savePerceiver(p, dir);
      expect(fs.readdirSync(dir).sort()).toEqual(['perceiver.bin', 'perceiver.json']);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'perceiver.json'), 'utf8'));
      expect(manifest).toMatchObject({
        format: 'neurules.perceiver',
        version: 1,
        concept: 'digit',
        classes: p.classes,
      });
      const loaded = await loadPerceiver(dir);
      try {
        expect(loaded.predictProba(values, rows)).toEqual(p.predictProba(values, rows));
        expect(loaded.spec).toEqual(p.spec);
      } finally {
        loaded.dispose();
      }
    }
  });

  /** Save `image`, change its manifest with `edit`, and return the code loading gives. */
  async function refusal(edit: (manifest: Record<string, unknown>) => void): Promise<unknown> {
    savePerceiver(image, dir);
    const file = path.join(dir, 'perceiver.json');
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    edit(manifest);
    fs.writeFileSync(file, JSON.stringify(manifest));
    return loadPerceiver(dir).then(
      (p) => {
        p.dispose();
        return 'loaded';
      },
      (e: { code: string; field?: string }) => ({ code: e.code, field: e.field }),
    );
  }

  it('refuses a foreign file, a newer version and a damaged manifest, with their codes', async () => {
    expect(await refusal((m) => (m['format'] = 'neurules.teacher'))).toMatchObject({
      code: 'FOREIGN_FORMAT',
    });
    expect(await refusal((m) => (m['version'] = 2))).toMatchObject({
      code: 'NEWER_FORMAT',
      field: 'version',
    });
    expect(await refusal((m) => (m['classes'] = ['only']))).toMatchObject({
      code: 'INVALID_ARTIFACT',
      field: 'classes',
    });
    expect(
      await refusal((m) => ((m['weights'] as { shape: number[] }[])[0]!.shape = [3, 3, 8])),
    ).toMatchObject({ code: 'INVALID_ARTIFACT' });
    expect(
      await refusal((m) => ((m['architecture'] as { filters: number }).filters = 4)),
    ).toMatchObject({ code: 'INVALID_ARTIFACT' });
  });

  it('refuses a manifest whose architecture is larger than its weights before building it', async () => {
    // A billion inputs with weights of a few bytes: refused by shape, nothing allocated.
    const huge = await refusal((m) => {
      m['width'] = 1e9;
      m['scaling'] = { kind: 'divide-255' };
      m['shape'] = null;
      m['architecture'] = { kind: 'mlp', inputs: 1e9, hidden: 64, classes: 10 };
    });
    expect(huge).toEqual({ code: 'INVALID_ARTIFACT', field: 'weights' });
  });

  it('refuses missing or truncated weights', async () => {
    savePerceiver(image, dir);
    const bin = path.join(dir, 'perceiver.bin');
    fs.truncateSync(bin, 100);
    await expect(loadPerceiver(dir)).rejects.toMatchObject({ code: 'INVALID_ARTIFACT', file: bin });
    fs.rmSync(bin);
    await expect(loadPerceiver(dir)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', file: bin });
  });
});
