import { NeurulesError } from '../errors';
import type { Random } from '../random';
import { tf } from '../teacher/backend';

/**
 * The perception networks, as plain functions of their variables rather than tfjs-layers
 * models: the wasm backend cannot train tfjs's own `conv2d` (it lacks the kernel
 * `Conv2DBackpropFilter`, and `gather`'s gradient `UnsortedSegmentSum`), so the CNN's
 * convolution is im2col on matMul, which it can (measured in docs/perception-networks.md
 * by bench/perception-nets.ts, which trains these very functions).
 */

/**
 * A network as functions of its variables. Training runs `logits` on `prepare`d inputs:
 * `prepare` holds no variable (the CNN's im2col), so it runs once per data set rather than
 * once per batch and epoch. `predict` is the forward pass of new inputs; it may compute the
 * same function another way (the CNN's native conv2d).
 */
export interface PerceptionNetwork {
  name: string;
  /** Trainable variables, in the order {@link PerceptionNetwork.weightNames} names them. */
  variables: tf.Variable[];
  /** The variables' names, as a saved perceiver lists them. */
  weightNames: string[];
  /** Scaled inputs ([batch, width]) → the rows `logits` takes. */
  prepare(x: tf.Tensor2D): tf.Tensor2D;
  logits(prepared: tf.Tensor2D): tf.Tensor2D;
  /** Scaled inputs → logits. */
  predict(x: tf.Tensor2D): tf.Tensor2D;
  /** Free the variables and whatever else the network holds (the CNN's gather index). */
  dispose(): void;
}

/** What a perception network is: enough to build it again (the manifest's `architecture`). */
export type PerceptionArchitecture =
  /** inputs → hidden (relu) → classes. */
  | { kind: 'mlp'; inputs: number; hidden: number; classes: number }
  /** conv kernel×kernel×filters (valid, relu) → 2×2 max pool → dense classes. */
  | {
      kind: 'cnn-im2col';
      height: number;
      width: number;
      kernel: number;
      filters: number;
      classes: number;
    };

/**
 * The shapes of the weights of a network of `architecture`, in the order of its
 * `variables`, without building it: a loader compares a file's weights with them before
 * it allocates anything.
 */
export function architectureWeightShapes(architecture: PerceptionArchitecture): number[][] {
  if (architecture.kind === 'mlp') {
    const { inputs, hidden, classes } = architecture;
    return [[inputs, hidden], [hidden], [hidden, classes], [classes]];
  }
  const { height: h, width: w, kernel: k, filters, classes } = architecture;
  const flat = Math.floor((h - k + 1) / 2) * Math.floor((w - k + 1) / 2) * filters;
  return [[k * k, filters], [filters], [flat, classes], [classes]];
}

/** A seeded He-normal weight variable (relu layers) of `shape`, fan-in its first axis. */
function weight(shape: number[], seed: number): tf.Variable {
  return tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / shape[0]!), 'float32', seed));
}

/**
 * A network of `architecture`, its weights drawn with `seed` (and `seed + 1` for the
 * second layer).
 *
 * @throws NeurulesError INVALID_ARGUMENT for a CNN whose convolution's output is less than
 *   2×2, which 2×2 pooling cannot take (an image side under 4, `MIN_SIDE` of concepts.ts)
 */
export function createNetwork(
  architecture: PerceptionArchitecture,
  seed: number,
): PerceptionNetwork {
  return architecture.kind === 'mlp'
    ? createMlp(architecture.inputs, architecture.hidden, architecture.classes, seed)
    : createIm2colCnn(architecture, seed);
}

/** A multilayer perceptron: inputs → hidden (relu) → classes. */
export function createMlp(
  inputs: number,
  hidden: number,
  classes: number,
  seed: number,
): PerceptionNetwork {
  const w1 = weight([inputs, hidden], seed);
  const b1 = tf.variable(tf.zeros([hidden]));
  const w2 = weight([hidden, classes], seed + 1);
  const b2 = tf.variable(tf.zeros([classes]));
  const logits = (x: tf.Tensor2D): tf.Tensor2D =>
    tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2);
  return {
    name: `MLP ${inputs}-${hidden}-${classes}`,
    variables: [w1, b1, w2, b2],
    weightNames: ['hidden/kernel', 'hidden/bias', 'output/kernel', 'output/bias'],
    prepare: (x) => x.clone(),
    logits,
    predict: logits,
    dispose: () => tf.dispose([w1, b1, w2, b2]),
  };
}

/**
 * The im2col gather index of a k×k valid convolution, stride 1, over an h×w image stored
 * row-major: for output pixel (r, c) and kernel offset (i, j), the input pixel
 * (r + i, c + j). Gathering a [batch, h·w] tensor along axis 1 with it gives every patch.
 */
export function patchIndex(h: number, w: number, k: number): Int32Array {
  const oh = h - k + 1;
  const ow = w - k + 1;
  const index = new Int32Array(oh * ow * k * k);
  let at = 0;
  for (let r = 0; r < oh; r++)
    for (let c = 0; c < ow; c++)
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) index[at++] = (r + i) * w + (c + j);
  return index;
}

/**
 * A CNN, conv k×k×filters (stride 1, valid, relu) → 2×2 max pool → dense classes, with
 * the convolution as im2col on matMul so that training needs only ops whose gradients the
 * wasm backend runs:
 * - the gather takes patches of the input, which is data, not a variable: backpropagation
 *   never reaches it, so gather's gradient (UnsortedSegmentSum, absent on wasm) is not
 *   needed, and the patches are taken once per data set (`prepare`: 1,800 28×28 images
 *   make 104 MB of patches), not per batch: in a probe on wasm the gather took three
 *   quarters of a training step's time (1.1 s of 1.5 s per epoch);
 * - the convolution is one matMul of [batch·positions, k·k] patches by the [k·k, filters]
 *   kernel: its gradient is two matMuls;
 * - pooling is tf.maxPool, whose gradient (MaxPoolGrad) wasm has; a reshape to
 *   [batch, oh/2, 2, ow/2, 2, filters] and a max over the window axes also trains on wasm,
 *   but a step took 1.6 times as long.
 *
 * The forward pass of new inputs (`predict`) is the backend's own conv2d with the same
 * kernel reshaped to [k, k, 1, filters]: wasm lacks conv2d's filter gradient, not conv2d,
 * and its conv2d is many times faster than the gather.
 */
export function createIm2colCnn(
  architecture: Omit<Extract<PerceptionArchitecture, { kind: 'cnn-im2col' }>, 'kind'>,
  seed: number,
): PerceptionNetwork {
  const { height: h, width: w, kernel: k, filters, classes } = architecture;
  const oh = h - k + 1;
  const ow = w - k + 1;
  if (oh < 2 || ow < 2) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `a ${k}×${k} convolution of a ${h}×${w} image leaves ${oh}×${ow}, too small for 2×2 pooling`,
      { field: 'shape' },
    );
  }
  const index = tf.tensor1d(patchIndex(h, w, k), 'int32');
  const kernel = weight([k * k, filters], seed);
  const bias = tf.variable(tf.zeros([filters]));
  // 2×2 pooling (valid) of an odd side drops its last row or column, as the weights'
  // shapes say (architectureWeightShapes).
  const flat = Math.floor(oh / 2) * Math.floor(ow / 2) * filters;
  const dense = weight([flat, classes], seed + 1);
  const denseBias = tf.variable(tf.zeros([classes]));
  const head = (conv: tf.Tensor4D): tf.Tensor2D => {
    const pooled = tf.reshape(tf.maxPool(conv, 2, 2, 'valid'), [conv.shape[0], flat]);
    return tf.add(tf.matMul(pooled, dense), denseBias);
  };
  const variables = [kernel, bias, dense, denseBias];
  return {
    name: `CNN im2col ${k}×${k}×${filters}, pool 2, dense ${classes}`,
    variables,
    weightNames: ['conv/kernel', 'conv/bias', 'output/kernel', 'output/bias'],
    prepare: (x) => tf.gather(x, index, 1),
    logits: (patches) => {
      const n = patches.shape[0];
      const columns = tf.reshape(patches, [n * oh * ow, k * k]);
      const conv = tf.relu(tf.add(tf.matMul(columns, kernel), bias));
      return head(tf.reshape(conv, [n, oh, ow, filters]));
    },
    predict: (x) => {
      const images = tf.reshape(x, [x.shape[0], h, w, 1]) as tf.Tensor4D;
      const filter = tf.reshape(kernel, [k, k, 1, filters]) as tf.Tensor4D;
      return head(tf.relu(tf.add(tf.conv2d(images, filter, 1, 'valid'), bias)) as tf.Tensor4D);
    },
    dispose: () => tf.dispose([...variables, index]),
  };
}

/** Progress after one training epoch of a perception network. */
export interface PerceptionProgress {
  /** 1-based epoch just finished. */
  epoch: number;
  /** The epoch limit (training may stop earlier). */
  epochs: number;
  /** Mean training cross-entropy of the epoch. */
  loss: number;
  valLoss: number;
  valAccuracy: number;
}

/** What {@link fitPerceptionNetwork} trains on: scaled inputs and class indices. */
export interface PerceptionFitData {
  /** Training inputs, scaled, [rows, width]. */
  x: tf.Tensor2D;
  /** Each training row's class index. */
  y: Int32Array;
  /** Validation inputs, scaled, that early stopping watches. */
  xVal: tf.Tensor2D;
  yVal: Int32Array;
  classes: number;
}

/** How {@link fitPerceptionNetwork} trains. */
export interface PerceptionFitOptions {
  epochs: number;
  /** Epochs without a lower validation loss before training stops. */
  patience: number;
  batchSize: number;
  learningRate: number;
  /** Shuffles the training rows every epoch. */
  random: Random;
  onProgress?: (progress: PerceptionProgress) => void;
}

/** What {@link fitPerceptionNetwork} did. */
export interface PerceptionFit {
  epochsRun: number;
  /** The epoch whose weights the network keeps: the lowest validation loss. */
  bestEpoch: number;
  valLoss: number;
  valAccuracy: number;
  /** Wall time of each epoch, its validation pass included (for bench/). */
  epochSeconds: number[];
}

/**
 * Train `net` with Adam on softmax cross-entropy in shuffled batches, measuring the
 * validation loss and accuracy after every epoch; stop after `patience` epochs without a
 * lower validation loss and restore the weights of the best epoch. The inputs are
 * `prepare`d once (the CNN's patches), not per batch. Every tensor it makes is disposed;
 * `data`'s tensors stay the caller's.
 */
export async function fitPerceptionNetwork(
  net: PerceptionNetwork,
  data: PerceptionFitData,
  options: PerceptionFitOptions,
): Promise<PerceptionFit> {
  const n = data.y.length;
  const x = tf.tidy(() => net.prepare(data.x));
  const xVal = tf.tidy(() => net.prepare(data.xVal));
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(data.y, 'int32'), data.classes).toFloat());
  const yValIndex = tf.tensor1d(data.yVal, 'int32');
  const yVal = tf.tidy(() => tf.oneHot(yValIndex, data.classes).toFloat());
  const optimizer = tf.train.adam(options.learningRate);
  const order = Array.from({ length: n }, (_, i) => i);
  let best = { epoch: 0, loss: Infinity, values: [] as tf.Tensor[] };
  const epochSeconds: number[] = [];
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const started = process.hrtime.bigint();
      options.random.shuffle(order);
      // The loss is summed on the device and read once an epoch, not once a batch.
      let total = tf.scalar(0);
      for (let b = 0; b < n; b += options.batchSize) {
        const rows = tf.tensor1d(order.slice(b, b + options.batchSize), 'int32');
        const cost = optimizer.minimize(
          () =>
            tf.losses.softmaxCrossEntropy(
              tf.gather(y, rows),
              net.logits(tf.gather(x, rows)),
            ) as tf.Scalar,
          true,
          net.variables,
        )!;
        const sum = total;
        total = tf.tidy(() => tf.add(sum, tf.mul(cost, rows.shape[0])));
        tf.dispose([rows, cost, sum]);
      }
      const loss = total.dataSync()[0]! / n;
      total.dispose();
      const [valLoss, valAccuracy] = evaluate();
      epochSeconds.push(Number(process.hrtime.bigint() - started) / 1e9);
      options.onProgress?.({
        epoch,
        epochs: options.epochs,
        loss,
        valLoss,
        valAccuracy,
      });
      if (valLoss < best.loss) {
        tf.dispose(best.values);
        best = { epoch, loss: valLoss, values: net.variables.map((v) => v.clone()) };
      } else if (epoch - best.epoch >= options.patience) break;
      // Let timers and I/O (a progress bar, a server) run between epochs.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    net.variables.forEach((v, i) => v.assign(best.values[i]!));
    const [valLoss, valAccuracy] = evaluate();
    return {
      epochsRun: epochSeconds.length,
      bestEpoch: best.epoch,
      valLoss,
      valAccuracy,
      epochSeconds,
    };
  } finally {
    tf.dispose([x, xVal, y, yVal, yValIndex, ...best.values]);
    optimizer.dispose();
  }

  /** Validation cross-entropy and accuracy of the current weights. */
  function evaluate(): [number, number] {
    const [loss, hits] = tf.tidy(() => {
      const logits = net.logits(xVal);
      const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), yValIndex), 'float32'));
      return [tf.losses.softmaxCrossEntropy(yVal, logits), correct];
    });
    const result: [number, number] = [loss.dataSync()[0]!, hits.dataSync()[0]! / data.yVal.length];
    tf.dispose([loss, hits]);
    return result;
  }
}
