import type { Table } from '../data/types';
import { NeurulesError } from '../errors';
import { createRandom, type Random } from '../random';
import { ensureBackend, tf } from './backend';
import {
  createTeacher,
  type Selection,
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
  /**
   * Weighting of the classes in the loss: `none`; `balanced` (each class weighs
   * rows ÷ (classes × its rows) of the training rows, so every class counts as much in
   * all, as scikit-learn's `class_weight='balanced'`); or `auto`: balanced when the
   * rarest class has fewer than half the rows of an even share (see
   * {@link resolveClassWeighting}), else none. The validation loss that early stopping
   * watches is weighted alike. @defaultValue 'auto'
   */
  classWeighting?: ClassWeighting | 'auto';
  /** Called after every epoch. */
  onProgress?: (progress: TrainProgress) => void;
}

/** How the classes weigh in the network's loss (see {@link TrainOptions.classWeighting}). */
export type ClassWeighting = 'none' | 'balanced';

/**
 * `auto` resolved for training labels: `balanced` when the rarest class (of those with
 * rows) has fewer than half the rows of an even share (`rows ÷ (2 × classes)`: under 25%
 * of two classes, under 10% of five), else `none`. Mild imbalance is left alone, since
 * weighting trades accuracy on the common classes for recall on the rare one; a class of a
 * few percent is otherwise easily never predicted at all.
 */
export function resolveClassWeighting(
  weighting: ClassWeighting | 'auto',
  labels: readonly number[],
  classes: number,
): ClassWeighting {
  if (weighting !== 'auto') return weighting;
  const counts = new Array<number>(classes).fill(0);
  for (const y of labels) counts[y]!++;
  const present = counts.filter((c) => c > 0);
  const rarest = Math.min(...present);
  return present.length > 1 && rarest < labels.length / (2 * classes) ? 'balanced' : 'none';
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
  const schema = train.schema;
  const classes = schema.classes.length;
  const params = resolveParameters(options, train.labels, classes);
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
      {
        x: encoder.encode(train.records),
        y: oneHot(train.labels, classes),
        validation,
        encoder,
        classWeights: classWeightsOf(params.classWeighting ?? 'none', train.labels, classes),
      },
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
 * The selection a hold-out split made for `chosen` (a network trained with early
 * stopping): its best epoch and its validation figures.
 */
export function holdoutSelection(chosen: Teacher): Selection {
  const s = chosen.summary;
  return {
    method: 'holdout',
    folds: 1,
    epochs: s.bestEpoch,
    valLoss: s.valLoss,
    valAccuracy: s.valAccuracy,
    validationRows: s.validationRows,
  };
}

/**
 * Refit: train the network from its seed on `table` (every row model selection judged
 * with: the training and validation rows together, or all the folds' rows) for exactly
 * the epochs `selection` chose, keeping the last weights. Once the held-out rows have
 * chosen the epochs, they are worth more as training rows: a build learns from 70% of the
 * data instead of 55% (a peer that selects and then refits does the same), and a small
 * file from all its rows.
 *
 * The summary records the refit (`refit: { epochs, rows }`) and the selection; its
 * `valLoss` and `valAccuracy` are the selection's, measured before those rows were
 * trained on, so they stay an honest estimate. `trainRows` counts every row trained on.
 * Progress reports are flagged `refit: true` and carry no validation figures of their own.
 *
 * @example
 * ```ts
 * const chosen = await trainTeacher(split.train, split.validation, { seed: 7 });
 * const all = joinTables(split.train, split.validation);
 * const final = await refitTeacher(all, holdoutSelection(chosen), { seed: 7 });
 * ```
 */
export async function refitTeacher(
  table: Table,
  selection: Selection,
  options: TrainOptions = {},
): Promise<Teacher> {
  const schema = table.schema;
  const classes = schema.classes.length;
  const params = resolveParameters(
    { ...options, epochs: Math.max(1, selection.epochs) },
    table.labels,
    classes,
  );
  checkTable(table, classes, 'train');
  const backend = await ensureBackend();
  const encoder = createEncoder(schema);
  const { model, rng } = seededNetwork(params, encoder.width, classes);
  const n = table.records.length;
  const onProgress = options.onProgress;
  let fitted: FitResult;
  try {
    fitted = await fitNetwork(
      model,
      {
        x: encoder.encode(table.records),
        y: oneHot(table.labels, classes),
        encoder,
        classWeights: classWeightsOf(params.classWeighting ?? 'none', table.labels, classes),
      },
      { ...params, patience: params.epochs },
      rng,
      { keep: 'last', ...(onProgress && { onProgress: (p) => onProgress({ ...p, refit: true }) }) },
    );
  } catch (e) {
    model.dispose();
    throw e;
  }
  return createTeacher(model, encoder, schema, {
    backend: backend.name,
    parameters: params,
    trainRows: n,
    validationRows: selection.validationRows,
    epochsRun: fitted.epochsRun,
    bestEpoch: selection.epochs,
    trainLoss: fitted.trainLoss,
    valLoss: selection.valLoss,
    valAccuracy: selection.valAccuracy,
    refit: { epochs: fitted.epochsRun, rows: n },
    selection,
  });
}

/**
 * Each class's weight in the loss (`balanced`: rows ÷ (classes × the class's rows), a
 * class without rows 0), or null for `none`.
 */
export function classWeightsOf(
  weighting: ClassWeighting,
  labels: readonly number[],
  classes: number,
): Float32Array | null {
  if (weighting === 'none') return null;
  const counts = new Array<number>(classes).fill(0);
  for (const y of labels) counts[y]!++;
  return Float32Array.from(counts, (c) => (c === 0 ? 0 : labels.length / (classes * c)));
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
  data: {
    x: Float32Array;
    y: Float32Array;
    /** Rows early stopping watches; without them only `keep: 'last'` makes sense. */
    validation?: Table;
    encoder: Encoder;
    /** Each class's weight in the loss (`classWeightsOf`); null or absent: all 1. */
    classWeights?: Float32Array | null;
  },
  params: Pick<TrainingParameters, 'epochs' | 'patience' | 'batchSize' | 'learningRate' | 'l2'>,
  rng: Random,
  options: { keep: 'best' | 'last'; onProgress?: (progress: TrainProgress) => void },
): Promise<FitResult> {
  if (!data.validation && options.keep === 'best') {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      "fitNetwork: keeping the best epoch needs validation rows to judge it; found none (keep 'last' instead)",
      { field: 'validation' },
    );
  }
  const width = data.encoder.width;
  const classes = data.y.length / (data.x.length / width);
  const n = data.x.length / width;
  const validation = data.validation;
  const nVal = validation?.records.length ?? 0;
  const xTrain = tf.tensor2d(data.x, [n, width]);
  const yTrain = tf.tensor2d(data.y, [n, classes]);
  const xVal = validation && tf.tensor2d(data.encoder.encode(validation.records), [nVal, width]);
  const yVal = validation && tf.tensor1d(validation.labels, 'int32');
  const yValHot = yVal && tf.tidy(() => tf.cast(tf.oneHot(yVal, classes), 'float32'));
  const weights = data.classWeights ? tf.tensor1d(data.classWeights) : undefined;

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
    tf.dispose([xTrain, yTrain, ...[xVal, yVal, yValHot, weights].filter((t) => t !== undefined)]);
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
          let objective = crossEntropy(yb, p, weights);
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

  /** Validation cross-entropy and accuracy of the current weights (NaN without validation rows). */
  function evaluate(): [number, number] {
    if (!xVal || !yVal || !yValHot) return [NaN, NaN];
    const [loss, correct] = tf.tidy(() => {
      const p = model.apply(xVal) as tf.Tensor;
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(p, 1), yVal), 'float32'));
      return [crossEntropy(yValHot, p, weights), hits];
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
function crossEntropy(y: tf.Tensor, p: tf.Tensor, classWeights?: tf.Tensor1D): tf.Scalar {
  const perRow = tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, EPSILON, 1))), 1);
  // A row weighs as its target's classes do (for a one-hot target, its class's weight).
  const weighted = classWeights ? tf.mul(perRow, tf.sum(tf.mul(y, classWeights), 1)) : perRow;
  return tf.neg(tf.mean(weighted)) as tf.Scalar;
}

/**
 * Fill in defaults and check every option; `auto` class weighting is resolved for
 * `labels` (without them, to `none`).
 */
export function resolveParameters(
  options: TrainOptions,
  labels: readonly number[] = [],
  classes = 0,
): TrainingParameters {
  const p: TrainingParameters = {
    seed: options.seed ?? DEFAULT_TRAINING.seed,
    hidden: [...(options.hidden ?? DEFAULT_TRAINING.hidden)],
    epochs: options.epochs ?? DEFAULT_TRAINING.epochs,
    patience: options.patience ?? DEFAULT_TRAINING.patience,
    batchSize: options.batchSize ?? DEFAULT_TRAINING.batchSize,
    learningRate: options.learningRate ?? DEFAULT_TRAINING.learningRate,
    l2: options.l2 ?? DEFAULT_TRAINING.l2,
    classWeighting: 'none',
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
  const weighting = options.classWeighting ?? 'auto';
  if (weighting !== 'auto' && weighting !== 'none' && weighting !== 'balanced')
    bad('classWeighting', "'auto', 'none' or 'balanced'", weighting);
  p.classWeighting =
    labels.length > 0
      ? resolveClassWeighting(weighting, labels, classes)
      : weighting === 'balanced'
        ? 'balanced'
        : 'none';
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
