import type { ShapingFigures, TeacherShapingReport } from '../artifacts/types';
import { classFidelity } from '../audit/metrics';
import type { DataRecord, Schema, Table } from '../data/types';
import { type Distillation, distill, type DistillOptions, hardLabels } from '../distill/distill';
import { decideRecords } from '../distill/route-records';
import { perturbRecords } from '../distill/sample-records';
import { checkChoice, NeurulesError } from '../errors';
import { createRandom } from '../random';
import type { Teacher } from '../teacher/create-teacher';
import { shapeTeacher } from '../teacher/shape-teacher';

/** Whether a build shapes its network toward the distilled tree. */
export type TeacherShaping = 'auto' | 'off';

/** What teacher shaping did (written to `metrics.json` as `teacherShaping`). */
export type ShapingReport = TeacherShapingReport;

/** INVALID_ARGUMENT (field `teacherShaping`) unless `mode` is `auto` or `off`. */
export function checkTeacherShaping(mode: unknown): asserts mode is TeacherShaping {
  checkChoice(mode, ['auto', 'off'] as const, 'teacherShaping');
}

/** How much of the target the tree's decision takes: the rest is the label or the network. */
const PULL = 0.5;
/** Most accuracy a shaped network may lose on the validation split and still be kept. */
const ACCURACY_TOLERANCE = 0.005;
/** Most rounds of shaping; each one is kept only if it passes both checks. */
const ROUNDS = 2;
/** Epochs of further training per round. */
const SHAPING_EPOCHS = 20;

/**
 * Distil `teacher` into a tree, then (with `teacherShaping: 'auto'`, the default) try to
 * make the network easier to distil: teacher shaping.
 *
 * A copy of the network trains further on the training records and as many synthetic
 * records near them, with targets pulled toward the first tree's decisions: on a training
 * record, half its true label and half the tree's class; on a synthetic record, half the
 * network's own probabilities and half the tree's class (`shapeTeacher`). The shaped copy
 * is distilled again. It is kept only when its validation accuracy is within 0.005 of the
 * trained network's and the validation balanced fidelity of its tree rose (tree regularization
 * in the sense of Wu et al., AAAI 2018, done by distillation rather than a surrogate
 * penalty). Otherwise the trained network and its tree stay, and the copy is freed.
 *
 * Returns the network to save (the input `teacher` or the shaped copy; the other one is
 * disposed only if it is the copy), its distillation, and what shaping did. With
 * `shapingRounds`, exactly that many rounds are run and none is judged (rounds chosen
 * before, on rows the network had not trained on: see `trainAndDistill`).
 */
export async function distillNetwork(
  schema: Schema,
  split: { train: Table; validation: Table },
  teacher: Teacher,
  options: DistillOptions & { teacherShaping?: TeacherShaping; shapingRounds?: number } = {},
): Promise<{ teacher: Teacher; distillation: Distillation; shaping: ShapingReport }> {
  const { teacherShaping = 'auto', shapingRounds, ...distillOptions } = options;
  checkTeacherShaping(teacherShaping);
  if (shapingRounds !== undefined && !(Number.isInteger(shapingRounds) && shapingRounds >= 0)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `shapingRounds: expected a whole number ≥ 0, found ${shapingRounds}`,
      { field: 'shapingRounds' },
    );
  }
  const progress = options.onProgress ?? (() => {});
  // The steps of the first distillation are reported; a shaped network's are the same ones.
  const run = (network: Teacher, quiet = false): Distillation =>
    distill(
      schema,
      split.train.records,
      split.validation.records,
      (records) => network.predictProbaFlat(records),
      quiet ? { ...distillOptions, onProgress: () => {} } : distillOptions,
    );
  const first = run(teacher);
  // Fidelity is judged on the validation records pooled with records near them (as
  // distillation judges its candidates): a few hundred real records alone are too coarse a
  // judge, and on a small set both trees often agree with their network on every one.
  const near = perturbRecords(
    schema,
    split.validation.records,
    createRandom((options.seed ?? 42) ^ 0x7e57),
    {
      count: Math.min(20_000, Math.max(2_000, 20 * split.validation.records.length)),
      changeRate: 0.2,
      noise: 0.3,
    },
  );
  const figures = (network: Teacher, d: Distillation): ShapingFigures =>
    measureFigures(network, d, split.validation, near);
  const before = figures(teacher, first);
  if (shapingRounds !== undefined) return shapeFixed(shapingRounds);
  if (teacherShaping === 'off') {
    return {
      teacher,
      distillation: first,
      shaping: { mode: 'off', used: false, reason: 'teacher shaping is off', before },
    };
  }

  let current = { teacher, distillation: first, figures: before };
  let rounds = 0;
  let last: ShapingFigures | undefined;
  let reason = '';
  const change = (a: number, b: number): string => `${a.toFixed(3)} → ${b.toFixed(3)}`;
  for (let round = 1; round <= ROUNDS; round++) {
    progress(`shaping the network toward the rules (round ${round} of at most ${ROUNDS})`);
    const shaped = await shapeRound(schema, split, current.teacher, current.distillation, {
      seed: (options.seed ?? 42) + round,
      epochs: SHAPING_EPOCHS,
    });
    progress('distilling the shaped network');
    const second = run(shaped, true);
    const after = figures(shaped, second);
    last = after;
    // Accuracy is held against the unshaped network; fidelity must rise over the last kept round.
    const accuracyKept = after.validationAccuracy >= before.validationAccuracy - ACCURACY_TOLERANCE;
    const balancedRose =
      after.validationBalancedFidelity > current.figures.validationBalancedFidelity;
    if (!accuracyKept || !balancedRose) {
      shaped.dispose();
      reason = !accuracyKept
        ? `validation accuracy would fall ${change(before.validationAccuracy, after.validationAccuracy)} (more than ${ACCURACY_TOLERANCE})`
        : `validation balanced fidelity would not rise (${change(current.figures.validationBalancedFidelity, after.validationBalancedFidelity)})`;
      break;
    }
    if (current.teacher !== teacher) current.teacher.dispose();
    current = { teacher: shaped, distillation: second, figures: after };
    rounds = round;
  }
  const used = rounds > 0;
  const after = used ? current.figures : last!;
  if (used)
    reason = `${rounds} round${rounds > 1 ? 's' : ''}: validation balanced fidelity ${change(before.validationBalancedFidelity, after.validationBalancedFidelity)}, accuracy ${change(before.validationAccuracy, after.validationAccuracy)}`;
  progress(`teacher shaping ${used ? 'kept' : 'not kept'}: ${reason}`);
  return {
    teacher: current.teacher,
    distillation: current.distillation,
    shaping: { mode: 'auto', used, rounds, reason, before, after },
  };

  /**
   * Exactly `count` rounds, none checked: the rounds were chosen on a held-out split before
   * (a refit network has trained on the validation rows, so they can no longer judge it).
   */
  async function shapeFixed(count: number) {
    let kept = { teacher, distillation: first };
    for (let round = 1; round <= count; round++) {
      progress(`shaping the network toward the rules (round ${round} of ${count})`);
      const shaped = await shapeRound(schema, split, kept.teacher, kept.distillation, {
        seed: (options.seed ?? 42) + round,
        epochs: SHAPING_EPOCHS,
      });
      if (kept.teacher !== teacher) kept.teacher.dispose();
      progress('distilling the shaped network');
      kept = { teacher: shaped, distillation: run(shaped, true) };
    }
    const used = count > 0;
    return {
      ...kept,
      shaping: {
        mode: teacherShaping,
        used,
        rounds: count,
        reason: `${count} round${count === 1 ? '' : 's'}, as chosen on the validation split`,
        before,
        ...(used && { after: figures(kept.teacher, kept.distillation) }),
      },
    };
  }
}

/**
 * One round of shaping: a copy of `teacher` trained further on the training records and
 * as many synthetic records near them, with targets pulled toward the tree's decisions.
 */
async function shapeRound(
  schema: Schema,
  split: { train: Table; validation: Table },
  teacher: Teacher,
  distillation: Distillation,
  options: { seed: number; epochs: number },
): Promise<Teacher> {
  const K = schema.classes.length;
  const random = createRandom(options.seed ^ 0x5a17e);
  const train = split.train.records;
  const synthetic = perturbRecords(schema, train, random, {
    count: train.length,
    changeRate: 0.3,
    noise: 0.5,
  });
  const records: DataRecord[] = train.concat(synthetic);
  const treeClass = decideRecords(distillation.tree, records);
  const own = teacher.predictProbaFlat(synthetic);
  const targets = new Float32Array(records.length * K);
  records.forEach((_, i) => {
    const o = i * K;
    if (i < train.length) targets[o + split.train.labels[i]!]! += 1 - PULL;
    else for (let k = 0; k < K; k++) targets[o + k] = (1 - PULL) * own[(i - train.length) * K + k]!;
    targets[o + treeClass[i]!]! += PULL;
  });
  return shapeTeacher(teacher, records, targets, split.validation, options);
}

/**
 * A network's accuracy on the validation records, and the plain and balanced fidelity of
 * its tree on the validation records pooled with the records `near` them.
 */
function measureFigures(
  network: Teacher,
  d: Distillation,
  validation: Table,
  near: readonly DataRecord[],
): ShapingFigures {
  const K = network.classes;
  const pooled = validation.records.concat(near);
  const labels = hardLabels(network.predictProbaFlat(pooled), K);
  const rules = Array.from(decideRecords(d.tree, pooled));
  const n = validation.records.length;
  const correct = labels.slice(0, n).filter((y, i) => y === validation.labels[i]).length;
  const same = rules.filter((y, i) => y === labels[i]).length;
  return {
    validationAccuracy: correct / Math.max(1, n),
    validationFidelity: same / Math.max(1, pooled.length),
    validationBalancedFidelity: classFidelity(rules, labels, network.schema.classes).balanced,
  };
}
