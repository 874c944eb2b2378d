import type { DataRecord, Table } from '../data/types';
import { NeurulesError } from '../errors';
import { createRandom } from '../random';
import { createTeacher, type Teacher } from './create-teacher';
import { buildNetwork, fitNetwork } from './train-teacher';

/** Options of {@link shapeTeacher}. */
export interface ShapeOptions {
  /** Epochs of further training. @defaultValue 20 */
  epochs?: number;
  /** Adam learning rate: a third of the network's own by default, to move it gently. */
  learningRate?: number;
  /** Seed of the batch order. @defaultValue the network's training seed + 1 */
  seed?: number;
}

/**
 * Teacher shaping: a copy of `teacher` trained further on `records` with the soft
 * `targets` (row-major records × classes), which pull its probabilities toward a
 * distilled tree's decisions (see `distillNetwork`). The copy starts from the teacher's
 * weights and trains for a fixed number of epochs with the teacher's batch size and L2
 * penalty; the weights of the last epoch are kept, so the pull is not undone by early
 * stopping on the plain validation loss. `teacher` itself is not changed.
 *
 * @throws NeurulesError `INVALID_ARGUMENT` when targets and records do not match
 */
export async function shapeTeacher(
  teacher: Teacher,
  records: readonly DataRecord[],
  targets: ArrayLike<number>,
  validation: Table,
  options: ShapeOptions = {},
): Promise<Teacher> {
  const params = teacher.summary.parameters;
  const K = teacher.classes;
  if (records.length === 0 || targets.length !== records.length * K) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `shapeTeacher: expected ${records.length} × ${K} targets for ${records.length} records, found ${targets.length}`,
      { field: 'targets' },
    );
  }
  const epochs = options.epochs ?? 20;
  const model = buildNetwork(
    teacher.encoder.width,
    params.hidden,
    K,
    [...params.hidden, K].map(() => 0),
  );
  model.setWeights(teacher.model.getWeights());
  try {
    const fitted = await fitNetwork(
      model,
      {
        x: teacher.encoder.encode(records),
        y: Float32Array.from(targets),
        validation,
        encoder: teacher.encoder,
      },
      {
        epochs,
        patience: epochs,
        batchSize: params.batchSize,
        learningRate: options.learningRate ?? params.learningRate / 3,
        l2: params.l2,
      },
      createRandom(options.seed ?? params.seed + 1),
      { keep: 'last' },
    );
    return createTeacher(model, teacher.encoder, teacher.schema, {
      ...teacher.summary,
      valLoss: fitted.valLoss,
      valAccuracy: fitted.valAccuracy,
      shaping: { epochs: fitted.epochsRun, records: records.length },
    });
  } catch (e) {
    model.dispose();
    throw e;
  }
}
