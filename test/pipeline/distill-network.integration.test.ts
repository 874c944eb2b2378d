import { fitSchema } from '../../src/data/fit-schema';
import { distillNetwork } from '../../src/pipeline/distill-network';
import { selectBackend, shapeTeacher, trainTeacher } from '../../src/teacher';
import { readIris, splitTable } from '../teacher/read-iris';

const parts = splitTable(readIris(), 2);
const schema = fitSchema(parts.train.schema, parts.train.records);
const split = {
  train: { ...parts.train, schema },
  validation: { ...parts.validation, schema },
};
const small = { hidden: [16], epochs: 40, patience: 10, learningRate: 0.01, seed: 4 };

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('shapeTeacher', () => {
  it('trains a copy toward the targets and leaves the teacher as it was', async () => {
    const teacher = await trainTeacher(split.train, split.validation, small);
    const before = teacher.predictProbaFlat(split.train.records);
    // Every target is class 0: the copy must answer class 0 more often.
    const K = schema.classes.length;
    const targets = new Float32Array(split.train.records.length * K);
    for (let i = 0; i < split.train.records.length; i++) targets[i * K] = 1;
    const shaped = await shapeTeacher(teacher, split.train.records, targets, split.validation, {
      epochs: 10,
    });
    try {
      expect(Array.from(teacher.predictProbaFlat(split.train.records))).toEqual(Array.from(before));
      // The mean probability of class 0 over the records rises.
      const meanP0 = (p: ArrayLike<number>) => {
        let sum = 0;
        for (let i = 0; i < p.length; i += K) sum += p[i]!;
        return sum / (p.length / K);
      };
      expect(meanP0(shaped.predictProbaFlat(split.train.records))).toBeGreaterThan(
        meanP0(before) + 0.05,
      );
      expect(shaped.summary.shaping).toEqual({ epochs: 10, records: split.train.records.length });
      expect(teacher.summary.shaping).toBeUndefined();
    } finally {
      shaped.dispose();
      teacher.dispose();
    }
  });

  it('refuses targets that do not match the records (INVALID_ARGUMENT)', async () => {
    const teacher = await trainTeacher(split.train, split.validation, { ...small, epochs: 2 });
    try {
      await expect(
        shapeTeacher(teacher, split.train.records, new Float32Array(5), split.validation),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'targets' });
    } finally {
      teacher.dispose();
    }
  });
});

describe('distillNetwork', () => {
  it('off: the trained network and its one distillation, with the figures measured', async () => {
    const teacher = await trainTeacher(split.train, split.validation, small);
    try {
      const r = await distillNetwork(schema, split, teacher, {
        teacherShaping: 'off',
        sampling: 'none',
        seed: 1,
      });
      expect(r.teacher).toBe(teacher);
      expect(r.shaping).toMatchObject({
        mode: 'off',
        used: false,
        reason: 'teacher shaping is off',
      });
      expect(r.shaping.after).toBeUndefined();
      const b = r.shaping.before;
      for (const x of [b.validationAccuracy, b.validationFidelity, b.validationBalancedFidelity]) {
        expect(x).toBeGreaterThan(0.5);
        expect(x).toBeLessThanOrEqual(1);
      }
    } finally {
      teacher.dispose();
    }
  });

  it('auto: keeps the shaped network exactly when accuracy holds and balanced fidelity rises', async () => {
    const teacher = await trainTeacher(split.train, split.validation, small);
    const messages: string[] = [];
    const r = await distillNetwork(schema, split, teacher, {
      sampling: 'none',
      seed: 1,
      onProgress: (m) => messages.push(m),
    });
    try {
      const { before, after, used, rounds } = r.shaping;
      expect(after).toBeDefined();
      expect(messages).toContain('distilling the shaped network');
      expect(messages.at(-1)).toMatch(
        used ? /^teacher shaping kept: / : /^teacher shaping not kept: /,
      );
      if (used) {
        expect(rounds).toBeGreaterThanOrEqual(1);
        expect(r.teacher).not.toBe(teacher);
        expect(r.teacher.summary.shaping).toBeDefined();
        expect(after!.validationAccuracy).toBeGreaterThanOrEqual(before.validationAccuracy - 0.005);
        expect(after!.validationBalancedFidelity).toBeGreaterThan(
          before.validationBalancedFidelity,
        );
      } else {
        expect(rounds).toBe(0);
        expect(r.teacher).toBe(teacher);
      }
    } finally {
      if (r.teacher !== teacher) r.teacher.dispose();
      teacher.dispose();
    }
  });

  it('refuses an unknown mode before any work (INVALID_ARGUMENT naming teacherShaping)', async () => {
    const teacher = await trainTeacher(split.train, split.validation, { ...small, epochs: 2 });
    try {
      await expect(
        distillNetwork(schema, split, teacher, { teacherShaping: 'always' as 'auto' }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'teacherShaping' });
    } finally {
      teacher.dispose();
    }
  });
});
