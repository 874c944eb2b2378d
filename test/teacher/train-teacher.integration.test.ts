import {
  classWeightsOf,
  holdoutSelection,
  refitTeacher,
  resolveClassWeighting,
  selectBackend,
  trainTeacher,
  type TrainProgress,
} from '../../src/teacher';
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

  it('trains again from the same seed on every row for the chosen epochs, keeping the honest figures', async () => {
    const chosen = await trainTeacher(train, validation, { ...small, seed: 5 });
    const selection = holdoutSelection(chosen);
    const progress: TrainProgress[] = [];
    const final = await refitTeacher(joined, selection, {
      ...small,
      seed: 5,
      onProgress: (p) => progress.push(p),
    });
    try {
      const epochs = chosen.summary.bestEpoch;
      expect(selection).toMatchObject({ method: 'holdout', folds: 1, epochs });
      // Exactly the chosen epochs, every one flagged as a refit; the last weights are kept.
      expect(progress.map((p) => p.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
      expect(progress.every((p) => p.refit === true)).toBe(true);
      expect(final.summary.refit).toEqual({ epochs, rows: joined.records.length });
      expect(final.summary.selection).toEqual(selection);
      expect(final.summary.trainRows).toBe(joined.records.length);
      expect(final.summary.trainLoss).toBeCloseTo(progress[epochs - 1]!.loss, 5);
      // The validation figures stay those measured before the validation rows were trained on.
      expect(final.summary.valAccuracy).toBe(chosen.summary.valAccuracy);
      expect(final.summary.valLoss).toBe(chosen.summary.valLoss);
      expect(accuracy(final.predict(test.records), test.labels)).toBeGreaterThanOrEqual(0.85);
      expect(chosen.summary.refit).toBeUndefined();
    } finally {
      final.dispose();
      chosen.dispose();
    }
  });

  it('is reproducible: the same selection gives the same network', async () => {
    const selection = {
      method: 'kfold' as const,
      folds: 5,
      epochs: 6,
      valLoss: 0.5,
      valAccuracy: 0.9,
      validationRows: joined.records.length,
    };
    const a = await refitTeacher(joined, selection, { ...small, seed: 9 });
    const b = await refitTeacher(joined, selection, { ...small, seed: 9 });
    const c = await refitTeacher(joined, selection, { ...small, seed: 10 });
    try {
      expect(b.predictProbaFlat(test.records)).toEqual(a.predictProbaFlat(test.records));
      expect(c.predictProbaFlat(test.records)).not.toEqual(a.predictProbaFlat(test.records));
      expect(a.summary.epochsRun).toBe(6);
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
    }
  });

  it('refuses an empty table (TOO_FEW_ROWS)', async () => {
    const selection = {
      method: 'holdout' as const,
      folds: 1,
      epochs: 2,
      valLoss: 1,
      valAccuracy: 0.5,
      validationRows: 10,
    };
    await expect(
      refitTeacher({ ...joined, records: [], labels: [], lines: [] }, selection),
    ).rejects.toMatchObject({ code: 'TOO_FEW_ROWS' });
  });
});

describe('class weighting', () => {
  it('resolves auto to balanced only when the rarest class has under half an even share', () => {
    const labels = (counts: number[]) => counts.flatMap((n, k) => Array<number>(n).fill(k));
    expect(resolveClassWeighting('auto', labels([70, 30]), 2)).toBe('none');
    expect(resolveClassWeighting('auto', labels([76, 24]), 2)).toBe('balanced');
    expect(resolveClassWeighting('auto', labels([50, 45, 5]), 3)).toBe('balanced');
    expect(resolveClassWeighting('auto', labels([40, 30, 30]), 3)).toBe('none');
    // A class without rows does not count as the rarest.
    expect(resolveClassWeighting('auto', labels([50, 50, 0]), 3)).toBe('none');
    expect(resolveClassWeighting('none', labels([99, 1]), 2)).toBe('none');
    expect(resolveClassWeighting('balanced', labels([50, 50]), 2)).toBe('balanced');
  });

  it('weighs each class by rows ÷ (classes × its rows), so every class counts as much', () => {
    const w = classWeightsOf('balanced', [0, 0, 0, 1], 2)!;
    expect(w[0]).toBeCloseTo(4 / 6, 6);
    expect(w[1]).toBeCloseTo(2, 6);
    // Weighted rows sum to the row count, class by class equally.
    expect(3 * w[0]! + 1 * w[1]!).toBeCloseTo(4, 6);
    expect(classWeightsOf('none', [0, 1], 2)).toBeNull();
  });

  it('makes a network that never answers a rare class answer it', async () => {
    // Iris with 'virginica' (class 2) cut to 3 training rows: unweighted, a tiny network
    // trained briefly answers it on none of the test rows of that class.
    const keep = train.labels.map((y, i) => y !== 2 || i % 12 === 0);
    const rare = {
      ...train,
      records: train.records.filter((_, i) => keep[i]),
      labels: train.labels.filter((_, i) => keep[i]),
      lines: train.lines.filter((_, i) => keep[i]),
    };
    const options = { hidden: [8], epochs: 15, patience: 15, learningRate: 0.01, seed: 2 };
    const plain = await trainTeacher(rare, validation, { ...options, classWeighting: 'none' });
    const weighted = await trainTeacher(rare, validation, { ...options, classWeighting: 'auto' });
    try {
      expect(weighted.summary.parameters.classWeighting).toBe('balanced');
      expect(plain.summary.parameters.classWeighting).toBe('none');
      const virginica = test.records.filter((_, i) => test.labels[i] === 2);
      const answered = (t: typeof plain) => t.predict(virginica).filter((y) => y === 2).length;
      expect(answered(weighted)).toBeGreaterThan(answered(plain));
    } finally {
      plain.dispose();
      weighted.dispose();
    }
  });
});
