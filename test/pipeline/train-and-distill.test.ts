import { fitSchema } from '../../src/data/fit-schema';
import { distillNetwork } from '../../src/pipeline/distill-network';
import { joinTables, trainAndDistill } from '../../src/pipeline/train-and-distill';
import { selectBackend, trainTeacher } from '../../src/teacher';
import { readIris, splitTable } from '../teacher/read-iris';

const parts = splitTable(readIris(), 3);
const schema = fitSchema(parts.train.schema, parts.train.records);
const split = {
  train: { ...parts.train, schema },
  validation: { ...parts.validation, schema },
};
const training = { hidden: [16], epochs: 30, patience: 8, learningRate: 0.01 };
const distillOptions = { maxRules: 6, samples: 2000, seed: 4 };

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('trainAndDistill', () => {
  it('refits on train and validation for the epochs the validation split chose, and distils the refit', async () => {
    const messages: string[] = [];
    const refits: number[] = [];
    const chosen = await trainTeacher(split.train, split.validation, { ...training, seed: 4 });
    const bestEpoch = chosen.summary.bestEpoch;
    chosen.dispose();
    const learned = await trainAndDistill(schema, split, {
      ...distillOptions,
      training,
      teacherShaping: 'off',
      onProgress: (m) => messages.push(m),
      onTrainProgress: (p) => p.refit && refits.push(p.epoch),
    });
    try {
      const rows = split.train.records.length + split.validation.records.length;
      expect(learned.teacher.summary.refit).toEqual({ epochs: bestEpoch, rows });
      expect(refits).toHaveLength(bestEpoch);
      expect(
        messages.some((m) =>
          m.startsWith(`refitting the network on train and validation (${rows} rows`),
        ),
      ).toBe(true);
      // The tree is the refit network's: the same as distilling that network directly.
      const again = await distillNetwork(
        schema,
        { train: joinTables(split.train, split.validation), validation: split.validation },
        learned.teacher,
        { ...distillOptions, teacherShaping: 'off' },
      );
      expect(again.distillation.tree).toEqual(learned.distillation.tree);
      expect(learned.shaping).toMatchObject({ mode: 'off', used: false });
    } finally {
      learned.teacher.dispose();
    }
  });

  it('with refit off, keeps the network trained on the training rows', async () => {
    const learned = await trainAndDistill(schema, split, {
      ...distillOptions,
      training,
      teacherShaping: 'off',
      refit: 'off',
    });
    try {
      expect(learned.teacher.summary.refit).toBeUndefined();
      expect(learned.teacher.summary.trainRows).toBe(split.train.records.length);
    } finally {
      learned.teacher.dispose();
    }
  });

  it('judges teacher shaping before the refit and applies the rounds it kept', async () => {
    const learned = await trainAndDistill(schema, split, {
      ...distillOptions,
      training,
      teacherShaping: 'auto',
    });
    try {
      const { shaping } = learned;
      expect(shaping.mode).toBe('auto');
      // The report is the judged one, from rows the network had not trained on.
      expect(shaping.reason).not.toMatch(/as chosen/);
      const rounds = shaping.rounds ?? 0;
      expect(learned.teacher.summary.shaping !== undefined).toBe(rounds > 0);
    } finally {
      learned.teacher.dispose();
    }
  });

  it('refuses a refit other than on or off before training (INVALID_ARGUMENT)', async () => {
    await expect(
      trainAndDistill(schema, split, { training, refit: 'sometimes' as 'on' }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'refit' });
  });
});

describe('distillNetwork with fixed shaping rounds', () => {
  it('applies exactly the rounds given, unjudged', async () => {
    const teacher = await trainTeacher(split.train, split.validation, { ...training, seed: 2 });
    const r = await distillNetwork(schema, split, teacher, { ...distillOptions, shapingRounds: 1 });
    try {
      expect(r.shaping).toMatchObject({ used: true, rounds: 1 });
      expect(r.teacher).not.toBe(teacher);
      expect(r.teacher.summary.shaping).toBeDefined();
    } finally {
      if (r.teacher !== teacher) r.teacher.dispose();
      teacher.dispose();
    }
  });

  it('refuses rounds that are not a whole number ≥ 0 (INVALID_ARGUMENT)', async () => {
    const teacher = await trainTeacher(split.train, split.validation, { ...training, epochs: 2 });
    try {
      await expect(
        distillNetwork(schema, split, teacher, { ...distillOptions, shapingRounds: -1 }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'shapingRounds' });
    } finally {
      teacher.dispose();
    }
  });
});
