import { NeurulesError } from '../errors';
import { createRandom, type Random } from '../random';
import { ensureBackend, tf } from '../teacher/backend';
import type { ConceptData } from './concept-table';
import { checkConceptLabels, type Shape } from './concepts';
import {
  createNetwork,
  fitPerceptionNetwork,
  type PerceptionArchitecture,
  type PerceptionNetwork,
  type PerceptionProgress,
} from './perception-network';

/**
 * How raw inputs are scaled before the network sees them, chosen on the training rows:
 * grey levels (whole numbers from 0, some above 1, whether the concept has a shape or not)
 * are divided by their depth's white, `divide-255` for 8-bit levels, `divide` by the
 * largest level for others (0–16 as scikit-learn's digits, 0–65535); other values are
 * `standardise`d, each column by the training rows' mean and standard deviation. Dividing
 * 0–16 levels by 255 left the inputs too small to learn in 50 epochs: on scikit-learn's
 * 8×8 digits the network was still climbing at 0.94 where dividing by 16 reached 0.97. Values already within [0, 1] are standardised rather than
 * divided by 255, which would leave them too small to learn from in the epochs given.
 * On 8×8 digits as a plain vector, dividing by 255 reached 93–97% validation accuracy
 * where standardising reached 87–90% (600 images, three seeds): standardising a pixel
 * column that is blank in most images blows its noise up to the scale of the strokes.
 */
export type InputScaling =
  | { kind: 'divide-255' }
  | { kind: 'divide'; by: number }
  | { kind: 'standardise'; mean: number[]; std: number[] };

/** How a perceiver was trained, as its manifest records it. */
export interface PerceiverSummary {
  /** Accuracy of the kept weights on the validation split. */
  accuracy: number;
  /** Epochs run. */
  epochs: number;
  /** The epoch whose weights were kept (lowest validation loss). */
  bestEpoch: number;
  seed: number;
  /** The backend it was trained on (`wasm`, `cpu`, `node`). */
  backend: string;
  trainRows: number;
  validationRows: number;
}

/** Everything about a perceiver but its weights: what its manifest holds. */
export interface PerceiverSpec {
  /** The concept's name. */
  concept: string;
  /** The concept's classes, in the order of the probabilities. */
  classes: string[];
  /** Numbers per row of input. */
  width: number;
  /** The image's shape for a shaped input; null for a plain vector. */
  shape: Shape | null;
  scaling: InputScaling;
  architecture: PerceptionArchitecture;
  summary: PerceiverSummary;
}

/** One named weight array of a perceiver's network. */
export interface PerceiverWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** A trained perception network for one concept: raw inputs in, class probabilities out. */
export interface Perceiver {
  /** The concept's name. */
  concept: string;
  /** The concept's classes, in the order of {@link Perceiver.predictProba}'s columns. */
  classes: readonly string[];
  /** Accuracy on the validation split. */
  accuracy: number;
  /** Epochs run. */
  epochs: number;
  spec: PerceiverSpec;
  /**
   * Class probabilities of `rows` rows of raw inputs (row-major, `rows × width`, unscaled
   * as in the data), row-major `rows × classes`, computed in batches.
   */
  predictProba(values: Float32Array, rows: number): Float32Array;
  /** A copy of the network's weights, named, in a fixed order. */
  weights(): PerceiverWeight[];
  /** Free the network's tensors; the perceiver is unusable afterwards. */
  dispose(): void;
}

/** Options of {@link trainPerceiver}; every one has a default. */
export interface PerceiverOptions {
  /** Seed of weight initialisation, the validation split and shuffling. @defaultValue 42 */
  seed?: number;
  /** Epoch limit. @defaultValue 50 */
  epochs?: number;
  /** Epochs without a lower validation loss before training stops. @defaultValue 4 */
  patience?: number;
  /**
   * The concept's classes, in the order of the probabilities, when the rows given may hold
   * only some of them: a build trains on its training rows, and a class labelled only in
   * its test rows must still be one the network answers (with no row to learn it from),
   * so that the model's classes of the concept and its network's are the same. Every label
   * must be one of them. @defaultValue the labels' classes, sorted (`checkConceptLabels`)
   */
  classes?: readonly string[];
  /** Called after every epoch. */
  onProgress?: (progress: PerceptionProgress) => void;
}

/** The defaults of {@link PerceiverOptions} and the fixed training parameters. */
export const PERCEIVER_TRAINING = Object.freeze({
  seed: 42,
  epochs: 50,
  patience: 4,
  batchSize: 32,
  learningRate: 0.003,
  /** Share of each class's rows held out for early stopping (at least one when it has two). */
  validationShare: 0.15,
  /** Hidden units of the MLP for a plain vector. */
  hidden: 64,
  /** Filters of the CNN for an image. */
  filters: 8,
});

/** Rows per forward batch of {@link Perceiver.predictProba}. */
const PREDICT_BATCH = 1024;

/**
 * Train a perception network for one concept: an im2col CNN (conv k×k×8 with k = 5 for
 * images whose sides are both 16 or more, else 3; 2×2 max pool; dense to the classes)
 * for an input with a shape, a one-hidden-layer MLP (64 relu units) for a plain vector.
 * Adam (0.003) in batches of 32, early stopping on a seeded stratified 15% validation
 * split, keeping the best epoch's weights. Rows without a label are not trained on.
 * The same data, seed and backend give the same weights.
 *
 * @throws NeurulesError CONCEPT_ONE_CLASS (field: the concept) for fewer than two
 *   classes among the labels; IMAGES_NOT_DECODED for a concept of image files (decode them
 *   to values first); TOO_FEW_ROWS when no class has two rows to leave one for validation;
 *   INVALID_ARGUMENT for a bad option (`classes` without a label's class, or with one
 *   twice) or an image too small for the CNN
 * @example
 * ```ts
 * const perceiver = await trainPerceiver(separated.concepts[0], { seed: 7 });
 * const probabilities = perceiver.predictProba(values, rows); // rows × classes
 * ```
 */
export async function trainPerceiver(
  data: ConceptData,
  options: PerceiverOptions = {},
): Promise<Perceiver> {
  const { concept } = data;
  if (data.inputs.kind !== 'values') {
    throw new NeurulesError(
      'IMAGES_NOT_DECODED',
      `the concept '${concept.name}' reads image files; they must be decoded to pixel values before its perception network trains`,
      { field: concept.name },
    );
  }
  const params = resolveOptions(options);
  const { values, width } = data.inputs;
  if (!(width >= 1) || values.length !== data.labels.length * width) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `the concept '${concept.name}' has ${data.labels.length} labels, so ${data.labels.length} × ${width} input values; found ${values.length}`,
      { field: concept.name },
    );
  }
  const labelled = data.labels.flatMap((l, i) => (l === null ? [] : [i]));
  const seen = checkConceptLabels(concept, data.labels);
  const classes = options.classes ? [...options.classes] : seen;
  const unknown = seen.find((c) => !classes.includes(c));
  if (unknown !== undefined || new Set(classes).size !== classes.length) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `the classes given for the concept '${concept.name}' (${classes.map((c) => `'${c}'`).join(', ')}) ${unknown !== undefined ? `do not include its label '${unknown}'` : 'name a class twice'}`,
      { field: 'classes' },
    );
  }
  const classOf = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(labelled, (i) => classOf.get(data.labels[i]!)!);
  // Image files are decoded at their concept's shape: a shaped input as pixel columns are.
  const shape = concept.input.shape ?? null;

  const backend = await ensureBackend();
  const random = createRandom(params.seed);
  const networkSeed = random.int(0x7fffffff);
  const split = stratifiedSplit(y, classes.length, random);
  if (split.validation.length === 0) {
    throw new NeurulesError(
      'TOO_FEW_ROWS',
      `the concept '${concept.name}' has no class with two labelled rows: none can be held out to stop training`,
      { field: concept.name },
    );
  }
  const rowsOf = (part: number[]) => part.map((k) => labelled[k]!);
  const trainRows = rowsOf(split.train);
  const scaling = chooseScaling(values, width, trainRows);
  const architecture: PerceptionArchitecture = shape
    ? {
        kind: 'cnn-im2col',
        height: shape.height,
        width: shape.width,
        kernel: Math.min(shape.height, shape.width) >= 16 ? 5 : 3,
        filters: PERCEIVER_TRAINING.filters,
        classes: classes.length,
      }
    : { kind: 'mlp', inputs: width, hidden: PERCEIVER_TRAINING.hidden, classes: classes.length };
  const net = createNetwork(architecture, networkSeed);
  const x = inputTensor(values, width, trainRows, scaling);
  const xVal = inputTensor(values, width, rowsOf(split.validation), scaling);
  try {
    const fit = await fitPerceptionNetwork(
      net,
      {
        x,
        y: Int32Array.from(split.train, (k) => y[k]!),
        xVal,
        yVal: Int32Array.from(split.validation, (k) => y[k]!),
        classes: classes.length,
      },
      {
        epochs: params.epochs,
        patience: params.patience,
        batchSize: PERCEIVER_TRAINING.batchSize,
        learningRate: PERCEIVER_TRAINING.learningRate,
        random,
        ...(options.onProgress && { onProgress: options.onProgress }),
      },
    );
    const spec: PerceiverSpec = {
      concept: concept.name,
      classes,
      width,
      shape: shape && { height: shape.height, width: shape.width },
      scaling,
      architecture,
      summary: {
        accuracy: fit.valAccuracy,
        epochs: fit.epochsRun,
        bestEpoch: fit.bestEpoch,
        seed: params.seed,
        backend: backend.name,
        trainRows: split.train.length,
        validationRows: split.validation.length,
      },
    };
    return createPerceiver(spec, net);
  } catch (e) {
    net.dispose();
    throw e;
  } finally {
    tf.dispose([x, xVal]);
  }
}

/**
 * A perceiver of `spec` around a network whose weights are already set (trained, or
 * loaded by `loadPerceiver`). The perceiver owns the network from then on.
 */
export function createPerceiver(spec: PerceiverSpec, net: PerceptionNetwork): Perceiver {
  const k = spec.classes.length;
  return {
    concept: spec.concept,
    classes: spec.classes,
    accuracy: spec.summary.accuracy,
    epochs: spec.summary.epochs,
    spec,
    predictProba(values: Float32Array, rows: number): Float32Array {
      if (!Number.isInteger(rows) || rows < 0 || values.length !== rows * spec.width) {
        throw new NeurulesError(
          'INVALID_ARGUMENT',
          `the concept '${spec.concept}' reads ${spec.width} numbers a row: expected ${rows} × ${spec.width} values, found ${values.length}`,
          { field: spec.concept },
        );
      }
      const out = new Float32Array(rows * k);
      for (let start = 0; start < rows; start += PREDICT_BATCH) {
        const end = Math.min(rows, start + PREDICT_BATCH);
        const part = values.subarray(start * spec.width, end * spec.width);
        const scaled = scaleValues(part, spec.width, spec.scaling);
        const p = tf.tidy(() =>
          tf.softmax(net.predict(tf.tensor2d(scaled, [end - start, spec.width]))),
        );
        out.set(p.dataSync() as Float32Array, start * k);
        p.dispose();
      }
      return out;
    },
    weights: () =>
      net.variables.map((v, i) => ({
        name: net.weightNames[i]!,
        shape: [...v.shape],
        values: (v.dataSync() as Float32Array).slice(),
      })),
    dispose: () => net.dispose(),
  };
}

/**
 * The seeded stratified validation split of class indices `y`: each class's rows shuffled,
 * `round(15%)` of them held out, at least one when the class has two or more, and always
 * one left to train on. Returns positions in `y`.
 */
export function stratifiedSplit(
  y: Int32Array,
  classes: number,
  random: Random,
  share: number = PERCEIVER_TRAINING.validationShare,
): { train: number[]; validation: number[] } {
  const byClass = Array.from({ length: classes }, () => [] as number[]);
  y.forEach((c, i) => byClass[c]!.push(i));
  const train: number[] = [];
  const validation: number[] = [];
  for (const rows of byClass) {
    random.shuffle(rows);
    const held =
      rows.length < 2 ? 0 : Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * share)));
    validation.push(...rows.slice(0, held));
    train.push(...rows.slice(held));
  }
  return { train, validation };
}

/** The scaling of the training rows `rows`: see {@link InputScaling}. */
export function chooseScaling(
  values: Float32Array,
  width: number,
  rows: readonly number[],
): InputScaling {
  let min = Infinity;
  let max = -Infinity;
  let whole = true;
  for (const r of rows) {
    for (let j = r * width; j < (r + 1) * width; j++) {
      const v = values[j]!;
      min = Math.min(min, v);
      max = Math.max(max, v);
      if (!Number.isInteger(v)) whole = false;
    }
  }
  // 8-bit levels as before (fractional ones too: resampled images); other whole levels
  // by their largest (a file of 0–16 levels, of 16-bit levels).
  if (min >= 0 && max > 16 && max <= 255) return { kind: 'divide-255' };
  if (min >= 0 && max > 1 && whole) return { kind: 'divide', by: max };
  const mean = new Array<number>(width).fill(0);
  const sq = new Array<number>(width).fill(0);
  for (const r of rows) for (let j = 0; j < width; j++) mean[j]! += values[r * width + j]!;
  for (let j = 0; j < width; j++) mean[j]! /= rows.length;
  for (const r of rows) {
    for (let j = 0; j < width; j++) sq[j]! += (values[r * width + j]! - mean[j]!) ** 2;
  }
  // A constant column is left centred, not divided by zero.
  const std = sq.map((s) => Math.sqrt(s / rows.length) || 1);
  return { kind: 'standardise', mean, std };
}

/** Raw inputs (row-major, `width` a row) scaled as `scaling` says, into a new array. */
export function scaleValues(
  values: Float32Array,
  width: number,
  scaling: InputScaling,
): Float32Array {
  const out = new Float32Array(values.length);
  if (scaling.kind === 'divide-255' || scaling.kind === 'divide') {
    const by = scaling.kind === 'divide' ? scaling.by : 255;
    for (let i = 0; i < values.length; i++) out[i] = values[i]! / by;
  } else {
    for (let i = 0; i < values.length; i++) {
      const j = i % width;
      out[i] = (values[i]! - scaling.mean[j]!) / scaling.std[j]!;
    }
  }
  return out;
}

/** The scaled inputs of `rows` as a [rows, width] tensor. */
function inputTensor(
  values: Float32Array,
  width: number,
  rows: readonly number[],
  scaling: InputScaling,
): tf.Tensor2D {
  const picked = new Float32Array(rows.length * width);
  rows.forEach((r, i) => picked.set(values.subarray(r * width, (r + 1) * width), i * width));
  return tf.tensor2d(scaleValues(picked, width, scaling), [rows.length, width]);
}

function resolveOptions(options: PerceiverOptions): {
  seed: number;
  epochs: number;
  patience: number;
} {
  const p = {
    seed: options.seed ?? PERCEIVER_TRAINING.seed,
    epochs: options.epochs ?? PERCEIVER_TRAINING.epochs,
    patience: options.patience ?? PERCEIVER_TRAINING.patience,
  };
  for (const [field, value] of Object.entries(p)) {
    const ok = field === 'seed' ? Number.isInteger(value) : Number.isInteger(value) && value >= 1;
    if (!ok) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `option ${field} must be ${field === 'seed' ? 'an integer' : 'a positive integer'}; found ${JSON.stringify(value)}`,
        { field },
      );
    }
  }
  return p;
}
