import type { ShapingFigures } from '../artifacts/types';
import { foldTable } from '../data/split-table';
import type { Schema, Table } from '../data/types';
import type { Distillation, DistillOptions } from '../distill/distill';
import { checkChoice, NeurulesError } from '../errors';
import type { Selection, Teacher } from '../teacher/create-teacher';
import {
  DEFAULT_TRAINING,
  holdoutSelection,
  refitTeacher,
  type TrainOptions,
  type TrainProgress,
  trainTeacher,
} from '../teacher/train-teacher';
import { distillNetwork, type ShapingReport, type TeacherShaping } from './distill-network';

/**
 * Whether the final network is trained again on the training and validation rows together
 * once the validation rows have chosen the epochs and teacher shaping (`on`), or is the
 * network trained on the training rows alone (`off`). Cross-validation always trains the
 * final network on every row.
 */
export type Refit = 'on' | 'off';

/**
 * How the epochs and teacher shaping are chosen: on a validation split (`holdout`), by
 * k-fold cross-validation on every training row (`kfold`), or `auto`: k-fold when a
 * validation split would be too small to judge (fewer than {@link KFOLD_BELOW} rows).
 */
export type SelectionMethod = 'auto' | 'holdout' | 'kfold';

/** The choices of {@link SelectionMethod}. */
export const SELECTION_METHODS = ['auto', 'holdout', 'kfold'] as const;

/**
 * With selection `auto`, a validation split of fewer rows than this is too coarse a judge
 * (one row is more than 2% of it): k-fold cross-validation judges on every row instead.
 * Measured (BENCHMARKS.md, issue 20): on the MONK problems (validation splits of 18–25
 * rows) k-fold lifts the network from 0.66–0.83 to 0.99–1.00; on breast cancer (85) it
 * changes nothing at 3.5× the time.
 */
export const KFOLD_BELOW = 50;

/**
 * The L2 penalties model selection chooses among when none is given: the default's (0.02,
 * which keeps the network smooth on noisy tables) and one ten times weaker (which lets a
 * table defined by crisp logic be learned: on bench:recover's generated tasks it lifts the
 * network from 0.93 to 0.98). The held-out loss decides.
 */
export const L2_CANDIDATES: readonly number[] = [DEFAULT_TRAINING.l2, DEFAULT_TRAINING.l2 / 10];

/** The folds of k-fold cross-validation. @defaultValue 5 */
export const DEFAULT_FOLDS = 5;

/** INVALID_ARGUMENT (field `refit`) unless `value` is `on` or `off`. */
export function checkRefit(value: unknown): asserts value is Refit {
  checkChoice(value, ['on', 'off'] as const, 'refit');
}

/**
 * The selection a build makes for `rows` training rows (train and validation together) of
 * which a hold-out split would give `validationRows` to validation: `kfold` or `holdout`.
 * `refit: 'off'` keeps a network trained on the training split alone, so it needs a
 * hold-out split (with `kfold` asked, INVALID_ARGUMENT).
 */
export function resolveSelection(
  method: SelectionMethod,
  validationRows: number,
  refit: Refit = 'on',
): 'holdout' | 'kfold' {
  checkChoice(method, SELECTION_METHODS, 'selection');
  checkRefit(refit);
  if (method === 'kfold' && refit === 'off') {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      'selection: k-fold cross-validation trains the final network on every row; found refit off, which keeps a network trained on a training split alone (use selection holdout)',
      { field: 'selection' },
    );
  }
  if (method !== 'auto') return method;
  return refit === 'on' && validationRows < KFOLD_BELOW ? 'kfold' : 'holdout';
}

/** Options of {@link trainAndDistill}. */
export interface TrainAndDistillOptions extends Omit<DistillOptions, 'onProgress'> {
  /** Network training options (the seed is `seed`). */
  training?: Omit<TrainOptions, 'seed' | 'onProgress'>;
  /** @defaultValue 'auto' */
  teacherShaping?: TeacherShaping;
  /** @defaultValue 'on' */
  refit?: Refit;
  /**
   * How the epochs and shaping are chosen. `auto` (the default): k-fold when there are no
   * validation rows, or fewer than {@link KFOLD_BELOW}; else the validation split.
   */
  selection?: SelectionMethod;
  /** Folds of k-fold cross-validation (fewer when a class has fewer rows). @defaultValue 5 */
  folds?: number;
  /** Each training epoch (of each fold's network, then of the refit, flagged `refit`). */
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
  /** What teacher shaping did, judged on held-out rows before any refit. */
  shaping: ShapingReport;
  /** How the epochs and shaping were chosen (also in `teacher.summary.selection`). */
  selection: Selection;
  /** Set when cross-validation made fewer folds than asked: why. */
  foldsNote?: string;
}

/**
 * Train the network and distil it into rules, choosing on held-out rows and then
 * refitting (the usual select-then-refit of model selection):
 *
 * 1. Choosing. With a hold-out split, the network trains on the training rows with early
 *    stopping on the validation rows, which choose the epochs; with teacher shaping
 *    `auto`, it is distilled and shaped as `distillNetwork` does, the validation rows
 *    judging each round, which chooses how many rounds to keep. With k-fold
 *    cross-validation (small data: a validation split would be too small to judge), the
 *    same is done once per fold, each fold judging the network trained on the others;
 *    the chosen epochs and rounds are the medians over the folds.
 * 2. Refitting (refit `on`, the default, and always after k-fold): a network with the same
 *    seed trains on every row for the chosen epochs, is shaped for the chosen rounds
 *    (unjudged: its judges are training rows now) and is distilled from every row. The
 *    tree's own selection needs no held-out labels: it measures agreement with the
 *    network, on the validation rows (every row after k-fold) and records near them.
 *
 * The test split is never seen. The shaping report is step 1's, measured on rows the
 * judged network had not trained on (the mean over the folds). Every network made along
 * the way but the returned one is disposed.
 *
 * @example
 * const { teacher, distillation } = await trainAndDistill(schema, split, { seed: 7 });
 */
export async function trainAndDistill(
  schema: Schema,
  rows: { train: Table; validation?: Table },
  options: TrainAndDistillOptions = {},
): Promise<TrainedAndDistilled> {
  const {
    training,
    teacherShaping = 'auto',
    refit = 'on',
    selection: asked = 'auto',
    folds = DEFAULT_FOLDS,
    onTrainProgress,
    onProgress,
    ...distillOptions
  } = options;
  const validationRows = rows.validation?.records.length ?? 0;
  const method = resolveSelection(asked, validationRows, refit);
  const seed = options.seed ?? 42;
  const trainOptions: TrainOptions = {
    ...training,
    seed,
    ...(onTrainProgress && { onProgress: onTrainProgress }),
  };
  const distillWith = (
    network: Teacher,
    parts: { train: Table; validation: Table },
    shaping: { teacherShaping: TeacherShaping } | { shapingRounds: number },
    quiet = false,
  ) =>
    distillNetwork(schema, parts, network, {
      ...distillOptions,
      seed,
      ...shaping,
      ...(onProgress && !quiet && { onProgress }),
    });

  if (method === 'holdout' && (!rows.validation || validationRows === 0)) {
    throw new NeurulesError(
      'TOO_FEW_ROWS',
      'selection holdout: the validation split is empty; it needs rows to judge the epochs on (selection kfold judges on every training row)',
      { field: 'selection' },
    );
  }
  if (method === 'holdout' && refit === 'off') {
    const chosen = await trainTeacher(rows.train, rows.validation!, trainOptions);
    const distilled = await distillWith(
      chosen,
      { train: rows.train, validation: rows.validation! },
      {
        teacherShaping,
      },
    );
    if (distilled.teacher !== chosen) chosen.dispose();
    return { ...distilled, selection: holdoutSelection(chosen) };
  }

  // 1. Choosing, on held-out rows.
  const all = rows.validation ? joinTables(rows.train, rows.validation) : rows.train;
  let parts: { train: Table; validation: Table }[];
  let foldsNote: string | undefined;
  if (method === 'holdout') parts = [{ train: rows.train, validation: rows.validation! }];
  else {
    const made = foldTable(all, folds, seed);
    parts = made.folds;
    foldsNote = made.fewer;
    if (foldsNote) onProgress?.(`cross-validation: ${foldsNote}`);
  }
  // The networks of one L2 penalty: one per part (the validation split, or each fold),
  // and what their held-out rows say of them.
  const trainParts = async (
    l2: number,
  ): Promise<{ l2: number; selection: Selection; networks: Teacher[] }> => {
    const networks: Teacher[] = [];
    // Each fold's validation loss and accuracy after every epoch (k-fold only).
    const curves: { loss: number; accuracy: number }[][] = [];
    try {
      for (const [f, part] of parts.entries()) {
        let partOptions: TrainOptions = { ...trainOptions, l2 };
        if (method === 'kfold') {
          onProgress?.(
            `cross-validation: fold ${f + 1} of ${parts.length} (${part.train.records.length} rows train, ${part.validation.records.length} judge${l2s.length > 1 ? `, L2 ${l2}` : ''})`,
          );
          // A fold of a small file judges on a few dozen rows: its own early stopping
          // would stop at the first plateau. Every fold runs the whole epoch limit
          // instead, and the epochs are chosen on the mean of their curves (below).
          const curve: { loss: number; accuracy: number }[] = [];
          curves.push(curve);
          partOptions = {
            ...partOptions,
            patience: limit,
            onProgress: (p) => {
              curve.push({ loss: p.valLoss, accuracy: p.valAccuracy });
              onTrainProgress?.(p);
            },
          };
        } else if (l2s.length > 1) {
          onProgress?.(`training with L2 penalty ${l2}`);
        }
        networks.push(await trainTeacher(part.train, part.validation, partOptions));
      }
    } catch (e) {
      for (const n of networks) n.dispose();
      throw e;
    }
    const selection =
      method === 'kfold'
        ? curveSelection(curves, all.records.length)
        : holdoutSelection(networks[0]!);
    return { l2, selection: { ...selection, l2 }, networks };
  };
  // The L2 penalty, unless given, is chosen with the epochs: the default's strong penalty
  // keeps a noisy table's network smooth, a weaker one lets crisp logic be learned.
  const limit = training?.epochs ?? DEFAULT_TRAINING.epochs;
  const l2s = training?.l2 !== undefined ? [training.l2] : L2_CANDIDATES;
  let best = await trainParts(l2s[0]!);
  const losses = [`${best.l2}: ${best.selection.valLoss.toFixed(4)}`];
  for (const l2 of l2s.slice(1)) {
    const next = await trainParts(l2).catch((e: unknown) => {
      for (const n of best.networks) n.dispose();
      throw e;
    });
    losses.push(`${next.l2}: ${next.selection.valLoss.toFixed(4)}`);
    const [kept, dropped] =
      next.selection.valLoss < best.selection.valLoss - 1e-4 ? [next, best] : [best, next];
    for (const n of dropped.networks) n.dispose();
    best = kept;
  }
  if (l2s.length > 1) {
    onProgress?.(`L2 penalty ${best.l2} chosen (held-out loss ${losses.join(', ')})`);
  }
  const judged: { shaping?: ShapingReport }[] = [];
  try {
    for (const [f, part] of parts.entries()) {
      const chosen = best.networks[f]!;
      let shaping: ShapingReport | undefined;
      if (teacherShaping === 'auto') {
        // The folds' distillations are not reported step by step: only the outcome.
        const shaped = await distillWith(chosen, part, { teacherShaping }, method === 'kfold');
        if (shaped.teacher !== chosen) shaped.teacher.dispose();
        shaping = shaped.shaping;
      }
      judged.push(shaping ? { shaping } : {});
    }
  } finally {
    for (const n of best.networks) n.dispose();
  }
  const selection = best.selection;
  const reports = judged.flatMap((j) => (j.shaping ? [j.shaping] : []));
  const shaping = reports.length > 0 ? combineShaping(method, reports) : undefined;
  if (method === 'kfold' && shaping) {
    onProgress?.(`teacher shaping ${shaping.used ? 'kept' : 'not kept'}: ${shaping.reason}`);
  }
  if (method === 'kfold') {
    onProgress?.(
      `cross-validation chose ${selection.epochs} epochs` +
        (shaping
          ? ` and ${shaping.rounds ?? 0} shaping round${shaping.rounds === 1 ? '' : 's'}`
          : '') +
        ` (held-out accuracy ${selection.valAccuracy.toFixed(3)})`,
    );
  }

  // 2. Refitting on every row.
  onProgress?.(
    `refitting the network on ${method === 'kfold' ? 'every training row' : 'train and validation'} (${all.records.length} rows, ${selection.epochs} epochs as chosen)`,
  );
  const final = await refitTeacher(all, selection, { ...trainOptions, l2: best.l2 });
  const judge = rows.validation && validationRows > 0 ? rows.validation : all;
  const distilled = await distillWith(
    final,
    { train: all, validation: judge },
    { shapingRounds: shaping?.rounds ?? 0 },
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
    selection,
    ...(foldsNote && { foldsNote }),
  };
}

/**
 * The epochs k-fold cross-validation chooses: those where the mean of the folds'
 * validation losses is lowest (the first such epoch; a later one must be lower by more
 * than 1e-4, as early stopping counts improvements), with the mean held-out loss and
 * accuracy there. Every row judged once.
 */
function curveSelection(
  curves: readonly { loss: number; accuracy: number }[][],
  rows: number,
): Selection {
  const epochs = Math.min(...curves.map((c) => c.length));
  let best = 0;
  let bestLoss = Infinity;
  const mean = (e: number, key: 'loss' | 'accuracy') =>
    curves.reduce((sum, c) => sum + c[e]![key], 0) / curves.length;
  for (let e = 0; e < epochs; e++) {
    const loss = mean(e, 'loss');
    if (loss < bestLoss - 1e-4) {
      best = e;
      bestLoss = loss;
    }
  }
  return {
    method: 'kfold',
    folds: curves.length,
    epochs: best + 1,
    valLoss: bestLoss,
    valAccuracy: mean(best, 'accuracy'),
    validationRows: rows,
  };
}

/** The folds' shaping reports as one: the median of the rounds each fold kept. */
function combineShaping(
  method: 'holdout' | 'kfold',
  reports: readonly ShapingReport[],
): ShapingReport {
  if (method === 'holdout') return reports[0]!;
  const perFold = reports.map((r) => r.rounds ?? 0);
  const rounds = median(perFold);
  const meanFigures = (list: ShapingFigures[]): ShapingFigures => ({
    validationAccuracy: list.reduce((a, f) => a + f.validationAccuracy, 0) / list.length,
    validationFidelity: list.reduce((a, f) => a + f.validationFidelity, 0) / list.length,
    validationBalancedFidelity:
      list.reduce((a, f) => a + f.validationBalancedFidelity, 0) / list.length,
  });
  const afters = reports.flatMap((r) => (r.after ? [r.after] : []));
  return {
    mode: 'auto',
    used: rounds > 0,
    rounds,
    reason: `chosen by ${reports.length}-fold cross-validation: rounds kept per fold ${perFold.join(', ')}, median ${rounds}`,
    before: meanFigures(reports.map((r) => r.before)),
    ...(afters.length > 0 && { after: meanFigures(afters) }),
  };
}

/** The median of whole numbers: the lower middle one for an even count. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
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
