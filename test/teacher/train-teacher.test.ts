import { refitTeacher, selectBackend, trainTeacher, type TrainProgress } from '../../src/teacher';
import { readIris, splitTable } from './read-iris';

const { train, validation, test } = splitTable(readIris(), 1);
const small = { hidden: [16], epochs: 40, patience: 10, learningRate: 0.01 };

beforeAll(async () => {
  await selectBackend('auto');
});

function accuracy(predicted: number[], labels: number[]): number {
  return predicted.filter((p, i) => p === labels[i]).length / labels.length;
}

describe('trainTeacher', () => {
  it('learns iris with a tiny network and reports its training', async () => {
    const progress: TrainProgress[] = [];
    const teacher = await trainTeacher(train, validation, {
      ...small,
      seed: 3,
      onProgress: (p) => progress.push(p),
    });
    try {
      expect(accuracy(teacher.predict(test.records), test.labels)).toBeGreaterThanOrEqual(0.85);
      const { summary } = teacher;
      expect(summary.epochsRun).toBe(progress.length);
      expect(summary.bestEpoch).toBeGreaterThanOrEqual(1);
      expect(summary.bestEpoch).toBeLessThanOrEqual(summary.epochsRun);
      expect(summary.valAccuracy).toBeGreaterThan(0.8);
      expect(summary.valLoss).toBeCloseTo(progress[summary.bestEpoch - 1]!.valLoss, 5);
      expect(summary.parameters).toMatchObject({ seed: 3, hidden: [16], epochs: 40 });
      expect(summary.backend).toMatch(/^(node|wasm|cpu)$/);
      expect(progress[0]).toMatchObject({ epoch: 1, epochs: 40 });
    } finally {
      teacher.dispose();
    }
  });

  it('predicts probabilities that sum to one, in every form', async () => {
    const teacher = await trainTeacher(train, validation, { ...small, epochs: 3 });
    try {
      const rows = teacher.predictProba(test.records);
      const flat = teacher.predictProbaFlat(test.records);
      expect(rows).toHaveLength(test.records.length);
      expect(flat).toHaveLength(test.records.length * 3);
      rows.forEach((row, i) => {
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(Array.from(row)).toEqual(Array.from(flat.subarray(i * 3, i * 3 + 3)));
        expect(teacher.predict([test.records[i]!])[0]).toBe(row.indexOf(Math.max(...row)));
      });
      expect(teacher.predictProbaFlat([])).toHaveLength(0);
    } finally {
      teacher.dispose();
    }
  });

  it('predicts in blocks: 10k records give the same as one by one', async () => {
    const teacher = await trainTeacher(train, validation, { ...small, epochs: 2 });
    try {
      const many = Array.from(
        { length: 10_000 },
        (_, i) => train.records[i % train.records.length]!,
      );
      const flat = teacher.predictProbaFlat(many);
      const last = teacher.predictProbaFlat([many[9_999]!]);
      expect(Array.from(flat.subarray(9_999 * 3))).toEqual(Array.from(last));
    } finally {
      teacher.dispose();
    }
  });

  it('gives the same probabilities for the same seed, others for another seed', async () => {
    const run = async (seed: number): Promise<Float32Array> => {
      const teacher = await trainTeacher(train, validation, { ...small, epochs: 5, seed });
      const p = teacher.predictProbaFlat(test.records);
      teacher.dispose();
      return p;
    };
    const a = await run(11);
    expect(await run(11)).toEqual(a);
    expect(await run(12)).not.toEqual(a);
  });

  it('rejects bad options, labels and empty tables with codes', async () => {
    await expect(trainTeacher(train, validation, { epochs: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'epochs',
    });
    await expect(trainTeacher(train, validation, { hidden: [8, -1] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'hidden',
    });
    await expect(
      trainTeacher(train, { ...validation, records: [], labels: [], lines: [] }),
    ).rejects.toMatchObject({
      code: 'TOO_FEW_ROWS',
    });
    const badLabels = { ...train, labels: train.labels.map((l, i) => (i === 4 ? 7 : l)) };
    await expect(trainTeacher(badLabels, validation)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      line: train.lines[4],
    });
  });
});

describe('refitTeacher', () => {
  const joined = {
    schema: train.schema,
    records: train.records.concat(validation.records),
    labels: train.labels.concat(validation.labels),
    lines: train.lines.concat(validation.lines),
  };

  it('trains again from the same seed on train and validation for the chosen epochs, keeping the honest figures', async () => {
    const chosen = await trainTeacher(train, validation, { ...small, seed: 5 });
    const progress: TrainProgress[] = [];
    const final = await refitTeacher(joined, validation, chosen, {
      onProgress: (p) => progress.push(p),
    });
    try {
      const epochs = chosen.summary.bestEpoch;
      // Exactly the chosen epochs, every one flagged as a refit; the last weights are kept.
      expect(progress.map((p) => p.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
      expect(progress.every((p) => p.refit === true)).toBe(true);
      expect(final.summary.refit).toEqual({ epochs, rows: joined.records.length });
      expect(final.summary.trainRows).toBe(joined.records.length);
      expect(final.summary.trainLoss).toBeCloseTo(progress[epochs - 1]!.loss, 5);
      // The validation figures stay those measured before the validation rows were trained on.
      expect(final.summary.valAccuracy).toBe(chosen.summary.valAccuracy);
      expect(final.summary.valLoss).toBe(chosen.summary.valLoss);
      expect(final.summary.bestEpoch).toBe(epochs);
      expect(accuracy(final.predict(test.records), test.labels)).toBeGreaterThanOrEqual(0.85);
      // The chosen network is left as it was, and usable.
      expect(chosen.summary.refit).toBeUndefined();
      expect(chosen.predict(test.records)).toHaveLength(test.records.length);
    } finally {
      final.dispose();
      chosen.dispose();
    }
  });

  it('is reproducible: the same chosen network gives the same refit', async () => {
    const chosen = await trainTeacher(train, validation, { ...small, epochs: 6, seed: 9 });
    const a = await refitTeacher(joined, validation, chosen);
    const b = await refitTeacher(joined, validation, chosen);
    try {
      expect(b.predictProbaFlat(test.records)).toEqual(a.predictProbaFlat(test.records));
      // Trained on more rows, it differs from the chosen network.
      expect(a.predictProbaFlat(test.records)).not.toEqual(chosen.predictProbaFlat(test.records));
    } finally {
      a.dispose();
      b.dispose();
      chosen.dispose();
    }
  });

  it('refuses an empty table (TOO_FEW_ROWS)', async () => {
    const chosen = await trainTeacher(train, validation, { ...small, epochs: 2 });
    try {
      await expect(
        refitTeacher({ ...joined, records: [], labels: [], lines: [] }, validation, chosen),
      ).rejects.toMatchObject({ code: 'TOO_FEW_ROWS' });
    } finally {
      chosen.dispose();
    }
  });
});
