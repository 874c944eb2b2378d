import { fitSchema } from '../../src/data/fit-schema';
import { distillNetwork } from '../../src/pipeline/distill-network';
import {
  joinTables,
  L2_CANDIDATES,
  resolveSelection,
  trainAndDistill,
} from '../../src/pipeline/train-and-distill';
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
      selection: 'holdout',
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
      selection: 'holdout',
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

describe('trainAndDistill with k-fold cross-validation', () => {
  it("chooses the epochs where the folds' mean validation loss is lowest, then trains on every row", async () => {
    const all = joinTables(split.train, split.validation);
    const messages: string[] = [];
    // Each fold's validation loss after each epoch, to recompute the choice here.
    const curves: number[][] = [];
    const learned = await trainAndDistill(
      schema,
      { train: all },
      {
        ...distillOptions,
        // One L2 penalty given: no choice among penalties, one curve per fold.
        training: { ...training, epochs: 12, l2: 0.02 },
        teacherShaping: 'off',
        onProgress: (m) => messages.push(m),
        onTrainProgress: (p) => {
          if (p.refit) return;
          if (p.epoch === 1) curves.push([]);
          curves[curves.length - 1]!.push(p.valLoss);
        },
      },
    );
    try {
      expect(learned.selection).toMatchObject({
        method: 'kfold',
        folds: 5,
        validationRows: all.records.length,
      });
      // Every fold ran the whole epoch limit, whatever its own early stopping would have said.
      expect(curves.map((c) => c.length)).toEqual([12, 12, 12, 12, 12]);
      const mean = curves[0]!.map((_, e) => curves.reduce((s, c) => s + c[e]!, 0) / 5);
      let best = 0;
      mean.forEach((x, e) => {
        if (x < mean[best]! - 1e-4) best = e;
      });
      expect(learned.selection.epochs).toBe(best + 1);
      expect(learned.selection.valLoss).toBeCloseTo(mean[best]!, 6);
      expect(learned.teacher.summary.refit).toEqual({ epochs: best + 1, rows: all.records.length });
      expect(learned.teacher.summary.selection).toEqual(learned.selection);
      expect(messages.filter((m) => /^cross-validation: fold \d of 5 /.test(m))).toHaveLength(5);
      expect(messages).toContain(
        `refitting the network on every training row (${all.records.length} rows, ${best + 1} epochs as chosen)`,
      );
    } finally {
      learned.teacher.dispose();
    }
  });

  it('chooses the L2 penalty with the lower held-out loss when none is given', async () => {
    const all = joinTables(split.train, split.validation);
    const messages: string[] = [];
    const learned = await trainAndDistill(
      schema,
      { train: all },
      {
        ...distillOptions,
        training: { ...training, epochs: 8 },
        teacherShaping: 'off',
        onProgress: (m) => messages.push(m),
      },
    );
    try {
      const { l2, valLoss } = learned.selection;
      expect(L2_CANDIDATES).toContain(l2);
      expect(learned.teacher.summary.parameters.l2).toBe(l2);
      const said = messages.find((m) => m.startsWith('L2 penalty '));
      // Every candidate's held-out loss is said; the chosen one's is the selection's, and
      // the weaker penalty wins only by more than 0.0001.
      const m =
        /^L2 penalty (\S+) chosen \(held-out loss 0\.02: (\d\.\d{4}), 0\.002: (\d\.\d{4})\)$/.exec(
          said ?? '',
        );
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBe(l2);
      const [strong, weak] = [Number(m![2]), Number(m![3])];
      expect(l2 === 0.02 ? strong : weak).toBeCloseTo(valLoss, 4);
      // (Rounded to 4 decimals, so compared with that much slack.)
      if (l2 === 0.002) expect(weak).toBeLessThanOrEqual(strong);
      else expect(weak).toBeGreaterThanOrEqual(strong - 2e-4);
      // Both penalties were tried, each on every fold.
      expect(messages.filter((m) => /^cross-validation: fold \d of 5 .*L2/.test(m))).toHaveLength(
        10,
      );
    } finally {
      learned.teacher.dispose();
    }
  });

  it('resolves auto by the size of the validation split, and refuses what cannot be', () => {
    expect(resolveSelection('auto', 49)).toBe('kfold');
    expect(resolveSelection('auto', 50)).toBe('holdout');
    expect(resolveSelection('auto', 0, 'off')).toBe('holdout');
    expect(resolveSelection('holdout', 10)).toBe('holdout');
    expect(() => resolveSelection('kfold', 100, 'off')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'selection' }),
    );
    expect(() => resolveSelection('sometimes' as 'auto', 100)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'selection' }),
    );
  });

  it('refuses a hold-out selection without validation rows (TOO_FEW_ROWS)', async () => {
    await expect(
      trainAndDistill(schema, { train: split.train }, { training, selection: 'holdout' }),
    ).rejects.toMatchObject({ code: 'TOO_FEW_ROWS', field: 'selection' });
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
