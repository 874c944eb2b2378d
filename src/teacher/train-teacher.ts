import type { Table } from '../data/types';
import { NeurulesError } from '../errors';
import { createRandom, type Random } from '../random';
import { ensureBackend, tf } from './backend';
import {
  createTeacher,
  type Teacher,
  type TrainingParameters,
  type TrainingSummary,
} from './create-teacher';
import { createEncoder, type Encoder } from './encode';

/** Progress after one training epoch. */
export interface TrainProgress {
  /** 1-based epoch just finished. */
  epoch: number;
  /** The epoch limit (training may stop earlier). */
  epochs: number;
  /** Mean training loss of the epoch (cross-entropy plus L2 penalty). */
  loss: number;
  valLoss: number;
  valAccuracy: number;
  /**
   * Set while the final network is refitted on train and validation together (see
   * {@link refitTeacher}): `valLoss` and `valAccuracy` are then of rows it trains on.
   */
  refit?: true;
}

/** Options of {@link trainTeacher}; every one has a default. */
export interface TrainOptions {
  /** Seed of weight initialisation and shuffling. @defaultValue 42 */
  seed?: number;
  /** Units of each hidden (relu) layer. @defaultValue [64, 32] */
  hidden?: number[];
  /** Epoch limit. @defaultValue 200 */
  epochs?: number;
  /** Epochs without a lower validation loss before training stops. @defaultValue 20 */
  patience?: number;
  /** Records per gradient step. @defaultValue 32 */
  batchSize?: number;
  /** Adam learning rate. @defaultValue 0.003 */
  learningRate?: number;
  /**
   * L2 penalty: `l2 * sum(w²)` over every kernel (not biases), added to the mean batch
   * cross-entropy. @defaultValue 0.02
   */
  l2?: number;
  /** Called after every epoch. */
  onProgress?: (progress: TrainProgress) => void;
}

/**
 * The defaults of {@link TrainOptions}, tuned once for all three bundled data sets
 * (german-credit, iris, breast-cancer-wisconsin; `npm run bench:fidelity` reports the network accuracy). The
 * fairly strong L2 penalty matters most: small data sets (iris) need it to generalise,
 * and it keeps the probabilities smooth, which distillation benefits from.
 */
export const DEFAULT_TRAINING: Readonly<TrainingParameters> = Object.freeze({
  seed: 42,
  hidden: [64, 32],
  epochs: 200,
  patience: 20,
  batchSize: 32,
  learningRate: 0.003,
  l2: 0.02,
});

/** Probabilities are clipped to [EPSILON, 1] before the log in the loss (as Keras does). */
const EPSILON = 1e-7;
/** A validation loss must drop by more than this to count as an improvement. */
const MIN_DELTA = 1e-4;

/**
 * Train the teacher network: an MLP with relu hidden layers and a softmax output,
 * trained with Adam on cross-entropy (plus an L2 penalty), with early stopping on the
 * validation loss; the weights of the best epoch are kept.
 *
 * Runs on the backend chosen with `selectBackend` (or `auto` if none was chosen).
 * Given the same seed, data and backend it produces the same network: each layer's
 * initializer gets its own seed drawn from `seed`, and epochs are shuffled with
 * neurules' seeded generator rather than tfjs's `Math.random` shuffle.
 *
 * @throws NeurulesError `INVALID_ARGUMENT` for a bad option or label,
 *   `TOO_FEW_ROWS` when the training or validation table is empty
 * @example
 * ```ts
 * const teacher = await trainTeacher(split.train, split.validation, { seed: 7 });
 * const probabilities = teacher.predictProba(split.test.records);
 * ```
 */
export async function trainTeacher(
  train: Table,
  validation: Table,
  options: TrainOptions = {},
): Promise<Teacher> {
  const params = resolveParameters(options);
  const schema = train.schema;
  const classes = schema.classes.length;
  checkTable(train, classes, 'train');
  checkTable(validation, classes, 'validation');
  const backend = await ensureBackend();

  const encoder = createEncoder(schema);
  const { model, rng } = seededNetwork(params, encoder.width, classes);
  const n = train.records.length;
  let fitted: FitResult;
  try {
    fitted = await fitNetwork(
      model,
      { x: encoder.encode(train.records), y: oneHot(train.labels, classes), validation, encoder },
      params,
      rng,
      { keep: 'best', ...(options.onProgress && { onProgress: options.onProgress }) },
    );
  } catch (e) {
    model.dispose();
    throw e;
  }
  return createTeacher(model, encoder, schema, {
    backend: backend.name,
    parameters: params,
    trainRows: n,
    validationRows: validation.records.length,
    ...fitted,
  });
}

/**
 * Refit: train the network again from its own seed, on `table` (the training and the
 * validation rows together), for exactly the epochs early stopping chose for `chosen`
 * (`chosen.summary.bestEpoch`), keeping the last weights. Once the validation rows have
 * chosen the epochs, they are worth more as training rows: a build learns from 70% of the
 * data instead of 55%, as a peer that selects and then refits does.
 *
 * The summary keeps `chosen`'s validation loss and accuracy (measured before those rows
 * were trained on, so they stay an honest estimate) and records the refit as
 * `refit: { epochs, rows }`; `trainRows` counts every row trained on. `validation` only
 * feeds the progress figures (flagged `refit: true`: they are of rows being trained on).
 * `chosen` is not changed or disposed.
 *
 * @example
 * ```ts
 * const chosen = await trainTeacher(split.train, split.validation, { seed: 7 });
 * const final = await refitTeacher(joinTables(split.train, split.validation), split.validation, chosen);
 * ```
 */
export async function refitTeacher(
  table: Table,
  validation: Table,
  chosen: Teacher,
  options: { onProgress?: (progress: TrainProgress) => void } = {},
): Promise<Teacher> {
  const params = chosen.summary.parameters;
  const schema = chosen.schema;
  const classes = schema.classes.length;
  checkTable(table, classes, 'train');
  checkTable(validation, classes, 'validation');
  const epochs = Math.max(1, chosen.summary.bestEpoch);
  // The same seed and draws as the chosen network: the same initial weights.
  const { model, rng } = seededNetwork(params, chosen.encoder.width, classes);
  const n = table.records.length;
  const onProgress = options.onProgress;
  let fitted: FitResult;
  try {
    fitted = await fitNetwork(
      model,
      {
        x: chosen.encoder.encode(table.records),
        y: oneHot(table.labels, classes),
        validation,
        encoder: chosen.encoder,
      },
      { ...params, epochs, patience: epochs },
      rng,
      { keep: 'last', ...(onProgress && { onProgress: (p) => onProgress({ ...p, refit: true }) }) },
    );
  } catch (e) {
    model.dispose();
    throw e;
  }
  return createTeacher(model, chosen.encoder, schema, {
    ...chosen.summary,
    trainRows: n,
    trainLoss: fitted.trainLoss,
    refit: { epochs: fitted.epochsRun, rows: n },
  });
}

/**
 * A fresh network for `params`, its layer initializers seeded from `params.seed`, and the
 * generator (past those draws) that then shuffles the epochs: the same parameters always
 * start from the same weights.
 */
function seededNetwork(
  params: TrainingParameters,
  width: number,
  classes: number,
): { model: tf.Sequential; rng: Random } {
  const rng = createRandom(params.seed);
  const layerSeeds = [...params.hidden, classes].map(() => rng.int(0x7fffffff));
  return { model: buildNetwork(width, params.hidden, classes, layerSeeds), rng };
}

/** Row-major one-hot targets of class indices. */
function oneHot(labels: readonly number[], classes: number): Float32Array {
  const targets = new Float32Array(labels.length * classes);
  labels.forEach((y, i) => (targets[i * classes + y] = 1));
  return targets;
}

/** An MLP with relu hidden layers and a softmax output; each layer's initializer seeded. */
export function buildNetwork(
  width: number,
  hidden: readonly number[],
  classes: number,
  layerSeeds: readonly number[],
): tf.Sequential {
  const model = tf.sequential();
  hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        name: `hidden_${i + 1}`,
        kernelInitializer: tf.initializers.heUniform({ seed: layerSeeds[i] as number }),
        biasInitializer: 'zeros',
        ...(i === 0 ? { inputShape: [width] } : {}),
      }),
    );
  });
  model.add(
    tf.layers.dense({
      units: classes,
      activation: 'softmax',
      name: 'output',
      kernelInitializer: tf.initializers.glorotUniform({
        seed: layerSeeds[hidden.length] as number,
      }),
      biasInitializer: 'zeros',
      ...(hidden.length === 0 ? { inputShape: [width] } : {}),
    }),
  );
  return model;
}

/** What {@link fitNetwork} did (the figures of a {@link TrainingSummary}). */
export type FitResult = Pick<
  TrainingSummary,
  'epochsRun' | 'bestEpoch' | 'trainLoss' | 'valLoss' | 'valAccuracy'
>;

/**
 * Fit `model` with Adam on cross-entropy against the soft targets `y` (row-major n × K,
 * one-hot for plain training) plus the L2 penalty, in shuffled batches, measuring the
 * validation cross-entropy and accuracy (against the true labels) after every epoch.
 * Training stops after `patience` epochs without a lower validation loss. With `keep:
 * 'best'` the weights of the epoch with the lowest validation loss are restored; with
 * `'last'`, the weights of the last epoch stay. Every tensor it makes is disposed.
 */
export async function fitNetwork(
  model: tf.LayersModel,
  data: { x: Float32Array; y: Float32Array; validation: Table; encoder: Encoder },
  params: Pick<TrainingParameters, 'epochs' | 'patience' | 'batchSize' | 'learningRate' | 'l2'>,
  rng: Random,
  options: { keep: 'best' | 'last'; onProgress?: (progress: TrainProgress) => void },
): Promise<FitResult> {
  const width = data.encoder.width;
  const classes = data.y.length / (data.x.length / width);
  const n = data.x.length / width;
  const nVal = data.validation.records.length;
  const xTrain = tf.tensor2d(data.x, [n, width]);
  const yTrain = tf.tensor2d(data.y, [n, classes]);
  const xVal = tf.tensor2d(data.encoder.encode(data.validation.records), [nVal, width]);
  const yVal = tf.tensor1d(data.validation.labels, 'int32');
  const yValHot = tf.tidy(() => tf.cast(tf.oneHot(yVal, classes), 'float32'));

  const optimizer = tf.train.adam(params.learningRate);
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const kernels = trainable.filter((v) => v.shape.length === 2);
  const order = Array.from({ length: n }, (_, i) => i);

  let best = {
    epoch: 0,
    valLoss: Infinity,
    valAccuracy: 0,
    trainLoss: NaN,
    weights: [] as Float32Array[],
  };
  let epochsRun = 0;
  let lastLoss = NaN;
  let final: [number, number];
  try {
    for (let epoch = 1; epoch <= params.epochs; epoch++) {
      rng.shuffle(order);
      const loss = runEpoch();
      lastLoss = loss;
      const [valLoss, valAccuracy] = evaluate();
      epochsRun = epoch;
      options.onProgress?.({ epoch, epochs: params.epochs, loss, valLoss, valAccuracy });
      if (valLoss < best.valLoss - MIN_DELTA) {
        best = {
          epoch,
          valLoss,
          valAccuracy,
          trainLoss: loss,
          weights: options.keep === 'best' ? snapshot() : [],
        };
      } else if (epoch - best.epoch >= params.patience) {
        break;
      }
      // Let timers and I/O (a progress bar, a server) run between epochs.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (options.keep === 'best') restore(best.weights);
    final = evaluate();
  } finally {
    tf.dispose([xTrain, yTrain, xVal, yVal, yValHot]);
    optimizer.dispose();
  }
  const [valLoss, valAccuracy] = final;
  return options.keep === 'best'
    ? { epochsRun, bestEpoch: best.epoch, trainLoss: best.trainLoss, valLoss, valAccuracy }
    : { epochsRun, bestEpoch: epochsRun, trainLoss: lastLoss, valLoss, valAccuracy };

  /** One pass over the shuffled training set; returns the mean loss. */
  function runEpoch(): number {
    const index = tf.tensor1d(Int32Array.from(order), 'int32');
    const xs = tf.gather(xTrain, index);
    const ys = tf.gather(yTrain, index);
    let total = tf.scalar(0);
    for (let start = 0; start < n; start += params.batchSize) {
      const size = Math.min(params.batchSize, n - start);
      const cost = optimizer.minimize(
        () => {
          const xb = tf.slice(xs, [start, 0], [size, width]);
          const yb = tf.slice(ys, [start, 0], [size, classes]);
          const p = model.apply(xb, { training: true }) as tf.Tensor;
          let objective = crossEntropy(yb, p);
          if (params.l2 > 0) {
            const penalty = tf.addN(kernels.map((k) => tf.sum(tf.square(k))));
            objective = tf.add(objective, tf.mul(penalty, params.l2));
          }
          return objective as tf.Scalar;
        },
        true,
        trainable,
      ) as tf.Scalar;
      const sum = total;
      total = tf.tidy(() => tf.add(sum, tf.mul(cost, size)));
      tf.dispose([sum, cost]);
    }
    const mean = total.dataSync()[0]! / n;
    tf.dispose([total, index, xs, ys]);
    return mean;
  }

  /** Validation cross-entropy and accuracy of the current weights. */
  function evaluate(): [number, number] {
    const [loss, correct] = tf.tidy(() => {
      const p = model.apply(xVal) as tf.Tensor;
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(p, 1), yVal), 'float32'));
      return [crossEntropy(yValHot, p), hits];
    });
    const result: [number, number] = [loss.dataSync()[0]!, correct.dataSync()[0]! / nVal];
    tf.dispose([loss, correct]);
    return result;
  }

  function snapshot(): Float32Array[] {
    return model.getWeights().map((w) => (w.dataSync() as Float32Array).slice());
  }

  function restore(weights: Float32Array[]): void {
    if (weights.length === 0) return;
    const current = model.getWeights();
    const tensors = weights.map((values, i) => tf.tensor(values, (current[i] as tf.Tensor).shape));
    model.setWeights(tensors);
    tf.dispose(tensors);
  }
}

/** Mean categorical cross-entropy of probabilities `p` against one-hot `y`. */
function crossEntropy(y: tf.Tensor, p: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, EPSILON, 1))), 1))) as tf.Scalar;
}

/** Fill in defaults and check every option. */
export function resolveParameters(options: TrainOptions): TrainingParameters {
  const p: TrainingParameters = {
    seed: options.seed ?? DEFAULT_TRAINING.seed,
    hidden: [...(options.hidden ?? DEFAULT_TRAINING.hidden)],
    epochs: options.epochs ?? DEFAULT_TRAINING.epochs,
    patience: options.patience ?? DEFAULT_TRAINING.patience,
    batchSize: options.batchSize ?? DEFAULT_TRAINING.batchSize,
    learningRate: options.learningRate ?? DEFAULT_TRAINING.learningRate,
    l2: options.l2 ?? DEFAULT_TRAINING.l2,
  };
  const bad = (field: string, expected: string, found: unknown): never => {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `option ${field} must be ${expected}; found ${JSON.stringify(found)}`,
      {
        field,
      },
    );
  };
  if (!Number.isInteger(p.seed)) bad('seed', 'an integer', p.seed);
  if (!p.hidden.every((u) => Number.isInteger(u) && u > 0))
    bad('hidden', 'a list of positive integers', p.hidden);
  if (!Number.isInteger(p.epochs) || p.epochs < 1) bad('epochs', 'a positive integer', p.epochs);
  if (!Number.isInteger(p.patience) || p.patience < 1)
    bad('patience', 'a positive integer', p.patience);
  if (!Number.isInteger(p.batchSize) || p.batchSize < 1)
    bad('batchSize', 'a positive integer', p.batchSize);
  if (!(p.learningRate > 0 && Number.isFinite(p.learningRate))) {
    bad('learningRate', 'a positive number', p.learningRate);
  }
  if (!(p.l2 >= 0 && Number.isFinite(p.l2))) bad('l2', 'a number >= 0', p.l2);
  return p;
}

function checkTable(table: Table, classes: number, which: 'train' | 'validation'): void {
  if (table.records.length === 0) {
    throw new NeurulesError(
      'TOO_FEW_ROWS',
      `the ${which} set is empty; the network needs rows to ${which} on`,
    );
  }
  if (table.labels.length !== table.records.length) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `the ${which} set has ${table.records.length} records but ${table.labels.length} labels`,
    );
  }
  table.labels.forEach((label, i) => {
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      const line = table.lines[i];
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `${which} label ${label} is not a class index in [0, ${classes})`,
        line !== undefined ? { line } : {},
      );
    }
  });
}
