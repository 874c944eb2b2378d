import { argMax } from '../arg-max';
import type { DataRecord, Schema } from '../data/types';
import { tf } from './backend';
import type { Encoder } from './encode';

/** The hyperparameters a network was trained with (every default filled in). */
export interface TrainingParameters {
  seed: number;
  hidden: number[];
  epochs: number;
  patience: number;
  batchSize: number;
  learningRate: number;
  l2: number;
  /** How the classes weighed in the loss; absent in networks trained before it existed ('none'). */
  classWeighting?: 'none' | 'balanced';
}

/**
 * What model selection chose for the final network (its epochs), and the held-out figures
 * it was chosen on. Recorded in the final network's summary.
 */
export interface Selection {
  /** `holdout`: a validation split judged; `kfold`: k-fold cross-validation on every row. */
  method: 'holdout' | 'kfold';
  /** Folds that judged (1 for a hold-out split). */
  folds: number;
  /** The epochs chosen: early stopping's best epoch (the median over the folds). */
  epochs: number;
  /** Held-out cross-entropy at the chosen weights (the mean over the folds). */
  valLoss: number;
  /** Held-out accuracy at the chosen weights (the mean over the folds). */
  valAccuracy: number;
  /** Rows that judged: the validation split's, or every row once over the folds. */
  validationRows: number;
  /** The L2 penalty chosen with the epochs, when several were tried. */
  l2?: number;
}

/** What training did: saved with the network in `teacher.json`. */
export interface TrainingSummary {
  /** Backend the network was trained on. */
  backend: 'node' | 'wasm' | 'cpu';
  parameters: TrainingParameters;
  trainRows: number;
  validationRows: number;
  /** Epochs run before early stopping (or the epoch limit) ended training. */
  epochsRun: number;
  /** 1-based epoch whose weights were kept (lowest validation loss). */
  bestEpoch: number;
  /** Mean training loss (cross-entropy plus L2 penalty) in the best epoch. */
  trainLoss: number;
  /** Validation cross-entropy of the kept weights. */
  valLoss: number;
  /** Validation accuracy of the kept weights. */
  valAccuracy: number;
  /**
   * Present when the network was shaped after training (`shapeTeacher`): the epochs of
   * further training and the records (real and synthetic) it trained on. `valLoss` and
   * `valAccuracy` are then the shaped network's.
   */
  shaping?: { epochs: number; records: number };
  /**
   * Present when the kept weights are a refit (`refitTeacher`): a network trained again
   * from the same seed on the training and validation rows together (`rows`, also
   * `trainRows`) for the `epochs` early stopping chose. `valLoss` and `valAccuracy` are
   * then the chosen network's, measured before the validation rows were trained on.
   */
  refit?: { epochs: number; rows: number };
  /** How the epochs of a refit were chosen, and the held-out figures they were chosen on. */
  selection?: Selection;
}

/**
 * A trained network together with the encoding of its inputs.
 *
 * Prediction is synchronous (it reads results with `dataSync`, which every tfjs backend
 * neurules uses supports) and batch-friendly: records are encoded and run through the
 * network a block at a time, one tensor op per block, with every tensor disposed.
 */
export interface Teacher {
  readonly schema: Schema;
  readonly encoder: Encoder;
  readonly summary: TrainingSummary;
  /** Number of classes (`schema.classes.length`). */
  readonly classes: number;
  /** The underlying tfjs network; only saving needs it. */
  readonly model: tf.LayersModel;
  /**
   * Class probabilities as one flat row-major `records.length × classes` array: the
   * probability of class `c` for record `i` is at `i * classes + c`. The fastest form.
   */
  predictProbaFlat(records: readonly DataRecord[]): Float32Array;
  /** Class probabilities, one array per record (indexed by class). */
  predictProba(records: readonly DataRecord[]): Float64Array[];
  /** The most probable class index per record (ties go to the lower index). */
  predict(records: readonly DataRecord[]): number[];
  /** Free the network's memory; the teacher cannot predict afterwards. */
  dispose(): void;
}

/** Records run through the network per tensor op in prediction. */
const PREDICT_BLOCK = 4096;

/** Wrap a network and its encoder as a {@link Teacher}. */
export function createTeacher(
  model: tf.LayersModel,
  encoder: Encoder,
  schema: Schema,
  summary: TrainingSummary,
): Teacher {
  const classes = schema.classes.length;
  const width = encoder.width;

  const predictProbaFlat = (records: readonly DataRecord[]): Float32Array => {
    const out = new Float32Array(records.length * classes);
    const block = new Float32Array(Math.min(PREDICT_BLOCK, records.length) * width);
    for (let start = 0; start < records.length; start += PREDICT_BLOCK) {
      const n = Math.min(PREDICT_BLOCK, records.length - start);
      for (let i = 0; i < n; i++)
        encoder.encodeInto(records[start + i] as DataRecord, block, i * width);
      const probs = tf.tidy(() => {
        const x = tf.tensor2d(block.subarray(0, n * width), [n, width]);
        return model.apply(x) as tf.Tensor;
      });
      out.set(probs.dataSync() as Float32Array, start * classes);
      probs.dispose();
    }
    return out;
  };

  return {
    schema,
    encoder,
    summary,
    classes,
    model,
    predictProbaFlat,
    predictProba(records) {
      const flat = predictProbaFlat(records);
      const rows: Float64Array[] = [];
      for (let i = 0; i < records.length; i++) {
        rows.push(Float64Array.from(flat.subarray(i * classes, (i + 1) * classes)));
      }
      return rows;
    },
    predict(records) {
      const flat = predictProbaFlat(records);
      const labels: number[] = [];
      for (let i = 0; i < records.length; i++) labels.push(argMax(flat, i * classes, classes));
      return labels;
    },
    dispose() {
      model.dispose();
    },
  };
}
