import type { Schema, Table } from '../data/types';
import type { Distillation, DistillOptions } from '../distill/distill';
import { checkChoice } from '../errors';
import type { Teacher } from '../teacher/create-teacher';
import {
  refitTeacher,
  type TrainOptions,
  type TrainProgress,
  trainTeacher,
} from '../teacher/train-teacher';
import { distillNetwork, type ShapingReport, type TeacherShaping } from './distill-network';

/**
 * Whether the final network is trained again on the training and validation rows together
 * once the validation rows have chosen the epochs and teacher shaping (`on`), or is the
 * network trained on the training rows alone (`off`).
 */
export type Refit = 'on' | 'off';

/** INVALID_ARGUMENT (field `refit`) unless `value` is `on` or `off`. */
export function checkRefit(value: unknown): asserts value is Refit {
  checkChoice(value, ['on', 'off'] as const, 'refit');
}

/** Options of {@link trainAndDistill}. */
export interface TrainAndDistillOptions extends Omit<DistillOptions, 'onProgress'> {
  /** Network training options (the seed is `seed`). */
  training?: Omit<TrainOptions, 'seed' | 'onProgress'>;
  /** @defaultValue 'auto' */
  teacherShaping?: TeacherShaping;
  /** @defaultValue 'on' */
  refit?: Refit;
  /** Each training epoch (of the chosen network, then of the refit, flagged `refit`). */
  onTrainProgress?: (progress: TrainProgress) => void;
  /** The steps after training, in words. */
  onProgress?: (message: string) => void;
}

/** What {@link trainAndDistill} learned. */
export interface TrainedAndDistilled {
  /** The network to save (the refit one, shaped as chosen, unless refit is off). */
  teacher: Teacher;
  /** The tree distilled from `teacher`. */
  distillation: Distillation;
  /** What teacher shaping did, judged on the validation split before any refit. */
  shaping: ShapingReport;
}

/**
 * Train the network and distil it into rules, choosing on the validation split and then
 * refitting (the usual select-then-refit of model selection):
 *
 * 1. The network trains on the training rows with early stopping on the validation rows,
 *    which choose the epochs.
 * 2. With teacher shaping `auto`, it is distilled and shaped as `distillNetwork` does;
 *    the validation rows judge each round, which chooses how many rounds to keep.
 * 3. With refit `on` (the default), a network with the same seed trains on the training
 *    and validation rows together for the chosen epochs, is shaped for the chosen rounds
 *    (unjudged: its judges are now training rows) and is distilled from both parts' rows.
 *    The tree's selection needs no held-out labels: it measures agreement with the
 *    network, on the validation rows and records near them.
 *
 * The test split is never seen. The shaping report is step 2's, measured on rows the
 * network had not trained on. Every network made along the way but the returned one is
 * disposed.
 *
 * @example
 * const { teacher, distillation } = await trainAndDistill(schema, split, { seed: 7 });
 */
export async function trainAndDistill(
  schema: Schema,
  split: { train: Table; validation: Table },
  options: TrainAndDistillOptions = {},
): Promise<TrainedAndDistilled> {
  const {
    training,
    teacherShaping = 'auto',
    refit = 'on',
    onTrainProgress,
    onProgress,
    ...distillOptions
  } = options;
  checkRefit(refit);
  const seed = options.seed ?? 42;
  const chosen = await trainTeacher(split.train, split.validation, {
    ...training,
    seed,
    ...(onTrainProgress && { onProgress: onTrainProgress }),
  });
  const distillWith = (
    network: Teacher,
    parts: { train: Table; validation: Table },
    shaping: { teacherShaping: TeacherShaping } | { shapingRounds: number },
  ) =>
    distillNetwork(schema, parts, network, {
      ...distillOptions,
      seed,
      ...shaping,
      ...(onProgress && { onProgress }),
    });
  if (refit === 'off') return distillWith(chosen, split, { teacherShaping });

  let shaping: ShapingReport | undefined;
  try {
    if (teacherShaping === 'auto') {
      const judged = await distillWith(chosen, split, { teacherShaping });
      if (judged.teacher !== chosen) judged.teacher.dispose();
      shaping = judged.shaping;
    }
    const all = joinTables(split.train, split.validation);
    onProgress?.(
      `refitting the network on train and validation (${all.records.length} rows, ${chosen.summary.bestEpoch} epochs as chosen)`,
    );
    const final = await refitTeacher(all, split.validation, chosen, {
      ...(onTrainProgress && { onProgress: onTrainProgress }),
    });
    const rounds = shaping?.rounds ?? 0;
    const distilled = await distillWith(
      final,
      { train: all, validation: split.validation },
      { shapingRounds: rounds },
    ).catch((e: unknown) => {
      final.dispose();
      throw e;
    });
    if (distilled.teacher !== final) final.dispose();
    return {
      teacher: distilled.teacher,
      distillation: distilled.distillation,
      // With shaping off, the report of the refit's own distillation (its figures are
      // descriptive: no check depended on them).
      shaping: shaping ?? { ...distilled.shaping, mode: 'off', reason: 'teacher shaping is off' },
    };
  } finally {
    chosen.dispose();
  }
}

/** The rows of two tables with one schema, `a`'s first (labels and file lines alike). */
export function joinTables(a: Table, b: Table): Table {
  return {
    schema: a.schema,
    records: a.records.concat(b.records),
    labels: a.labels.concat(b.labels),
    lines: a.lines.concat(b.lines),
  };
}
