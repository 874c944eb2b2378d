/**
 * Perception networks bench: which network should read raw pixels into a concept (the
 * digit) for the rules, given a build budget of 3 minutes on 2,000 28×28 images without
 * tfjs-node.
 *
 *   npm run bench:perception-nets
 *
 * Data: generated digits (bench/tasks/digits.ts), 2,000 training images (the last 200 of
 * them the validation split that early stopping watches) and 1,000 held-out images, seeds
 * 1 and 2; 10,000 more (seed 3) for the forward pass. At 28×28 and at 8×8.
 *
 * Candidates, each trained once, side by side in this process:
 * - MLPs (pixels → hidden relu → 10) on the wasm backend;
 * - a small CNN whose convolution is im2col on matMul (a precomputed gather index takes the
 *   k×k patches, one matMul with the kernel, bias, relu, then 2×2 max pooling, then dense
 *   10), on wasm, which cannot train tfjs's own conv2d (see {@link wasmGaps});
 * - the same CNN with tfjs-layers' conv2d on the cpu backend, one epoch only: enough for
 *   its time per epoch, which alone rules it out of the budget.
 *
 * Training: Adam (learning rate 0.003, as the teacher's default), batches of 32,
 * cross-entropy, up to 50 epochs, stopping after 3 without a lower validation loss and
 * keeping the best epoch's weights (as the teacher does). "s / epoch" is the mean wall
 * time of an epoch including its validation pass; "train s" is all epochs run. The forward
 * pass is timed from the images' bytes to the predicted digits, in batches of 1,000, the
 * median of 3 runs (1 run for the cpu CNN on 10,000 images), after a warm-up.
 */
import { machineLine } from './cli-runs';
import { generateDigits, type DigitImages } from './tasks/digits';
import { createRandom } from '../src/random';
import { selectBackend, tf } from '../src/teacher/backend';

const CLASSES = 10;
const MAX_EPOCHS = 50;
const PATIENCE = 3;
const BATCH = 32;
const LEARNING_RATE = 0.003;
const VALIDATION = 200;
const FORWARD_BATCH = 1000;

/**
 * A network as functions of its variables. Training runs `logits` on `prepare`d inputs:
 * `prepare` holds no variable (the CNN's im2col), so it runs once per data set rather than
 * once per batch and epoch. `predict` is the forward pass a user's images take, from
 * pixels; it may compute the same function another way (the CNN's native conv2d).
 */
interface Network {
  name: string;
  variables: tf.Variable[];
  /** Pixels in [0, 1] ([batch, h·w]) → the rows `logits` takes. */
  prepare(x: tf.Tensor2D): tf.Tensor2D;
  logits(prepared: tf.Tensor2D): tf.Tensor2D;
  /** Pixels in [0, 1] → logits. */
  predict(x: tf.Tensor2D): tf.Tensor2D;
}

/** One row of the table. */
interface Measured {
  size: string;
  network: string;
  backend: string;
  params: number;
  secondsPerEpoch: number;
  bestEpoch: number | undefined;
  epochsRun: number;
  trainSeconds: number;
  accuracy: number;
  forward1k: number;
  forward10k: number;
  /** In the epochs cell. */
  note?: string;
  /** Printed below the table. */
  remark?: string;
}

/** The images of one size: training, held-out and forward-pass sets. */
interface DigitSets {
  height: number;
  width: number;
  train: DigitImages;
  test: DigitImages;
  many: DigitImages;
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Images as a [n, h·w] tensor of grey levels scaled to [0, 1]. */
function pixelTensor(images: readonly Uint8Array[]): tf.Tensor2D {
  const n = images.length;
  const width = images[0]?.length ?? 0;
  const values = new Float32Array(n * width);
  images.forEach((p, i) => {
    for (let k = 0; k < width; k++) values[i * width + k] = p[k]! / 255;
  });
  return tf.tensor2d(values, [n, width]);
}

/** A seeded He-normal weight variable (relu layers) of `shape`, fan-in its first axis. */
function weight(shape: number[], seed: number): tf.Variable {
  return tf.variable(tf.randomNormal(shape, 0, Math.sqrt(2 / shape[0]!), 'float32', seed));
}

/** A multilayer perceptron: inputs → hidden (relu) → 10. */
function mlp(inputs: number, hidden: number, seed: number): Network {
  const w1 = weight([inputs, hidden], seed);
  const b1 = tf.variable(tf.zeros([hidden]));
  const w2 = weight([hidden, CLASSES], seed + 1);
  const b2 = tf.variable(tf.zeros([CLASSES]));
  const logits = (x: tf.Tensor2D): tf.Tensor2D =>
    tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2);
  return {
    name: `MLP ${inputs}-${hidden}-10`,
    variables: [w1, b1, w2, b2],
    prepare: (x) => x.clone(),
    logits,
    predict: logits,
  };
}

/**
 * The im2col gather index of a k×k valid convolution, stride 1, over an h×w image stored
 * row-major: for output pixel (r, c) and kernel offset (i, j), the input pixel
 * (r + i, c + j). Gathering a [batch, h·w] tensor along axis 1 with it gives every patch.
 */
function patchIndex(h: number, w: number, k: number): Int32Array {
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
 * A CNN, conv k×k×filters (stride 1, valid, relu) → 2×2 max pool → dense 10, with the
 * convolution as im2col on matMul so that training needs only ops whose gradients the
 * wasm backend runs:
 * - the gather takes patches of the input, which is data, not a variable: backpropagation
 *   never reaches it, so gather's gradient (UnsortedSegmentSum, absent on wasm) is not
 *   needed, and the patches are taken once per data set (`prepare`: 1,800 28×28 images
 *   make 104 MB of patches), not per batch: in a probe on wasm the gather took three quarters
 *   of a training step's time (1.1 s of 1.5 s per epoch);
 * - the convolution is one matMul of [batch·positions, k·k] patches by the [k·k, filters]
 *   kernel: its gradient is two matMuls;
 * - pooling is tf.maxPool, whose gradient (MaxPoolGrad) wasm has; a reshape to
 *   [batch, oh/2, 2, ow/2, 2, filters] and a max over the window axes also trains on wasm,
 *   but a step took 1.6 times as long.
 *
 * The forward pass of a user's images (`predict`) is wasm's own conv2d with the same
 * kernel reshaped to [k, k, 1, filters]: wasm lacks conv2d's filter gradient, not conv2d,
 * and its conv2d is many times faster than the gather.
 */
function im2colCnn(h: number, w: number, k: number, filters: number, seed: number): Network {
  const oh = h - k + 1;
  const ow = w - k + 1;
  if (oh % 2 !== 0 || ow % 2 !== 0)
    throw new Error(`a ${k}×${k} convolution of ${h}×${w} is not poolable by 2`);
  const index = tf.tensor1d(patchIndex(h, w, k), 'int32');
  const kernel = weight([k * k, filters], seed);
  const bias = tf.variable(tf.zeros([filters]));
  const flat = (oh / 2) * (ow / 2) * filters;
  const dense = weight([flat, CLASSES], seed + 1);
  const denseBias = tf.variable(tf.zeros([CLASSES]));
  const head = (conv: tf.Tensor4D): tf.Tensor2D => {
    const pooled = tf.reshape(tf.maxPool(conv, 2, 2, 'valid'), [conv.shape[0], flat]);
    return tf.add(tf.matMul(pooled, dense), denseBias);
  };
  return {
    name: `CNN im2col ${k}×${k}×${filters}, pool 2, dense 10`,
    variables: [kernel, bias, dense, denseBias],
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
  };
}

/** Labels as one-hot rows. */
function oneHot(labels: readonly number[]): tf.Tensor2D {
  return tf.tidy(
    () => tf.oneHot(tf.tensor1d(labels as number[], 'int32'), CLASSES).toFloat() as tf.Tensor2D,
  );
}

const paramCount = (variables: readonly tf.Variable[]): number =>
  variables.reduce((s, v) => s + v.size, 0);

/** Mean cross-entropy of `net` on (x, labels), computed in forward batches. */
function validationLoss(net: Network, x: tf.Tensor2D, y: tf.Tensor2D): number {
  return tf.tidy(() => tf.losses.softmaxCrossEntropy(y, net.logits(x)).dataSync()[0]!);
}

/** The network's prepared rows of `images`. */
function prepared(net: Network, images: readonly Uint8Array[]): tf.Tensor2D {
  return tf.tidy(() => net.prepare(pixelTensor(images)));
}

/**
 * Train with Adam in shuffled batches, early stopping on the validation split; restores
 * the best epoch's weights. Returns the timings.
 */
function train(
  net: Network,
  data: DigitImages,
  seed: number,
): { secondsPerEpoch: number; bestEpoch: number; epochsRun: number; trainSeconds: number } {
  const n = data.labels.length - VALIDATION;
  // The total counts preparing the data (the CNN's im2col) too.
  const start = process.hrtime.bigint();
  const x = prepared(net, data.pixels.slice(0, n));
  const y = oneHot(data.labels.slice(0, n));
  const xVal = prepared(net, data.pixels.slice(n));
  const yVal = oneHot(data.labels.slice(n));
  const optimizer = tf.train.adam(LEARNING_RATE);
  const rnd = createRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  let best = { epoch: 0, loss: Infinity, values: [] as tf.Tensor[] };
  const epochTimes: number[] = [];
  for (let epoch = 1; epoch <= MAX_EPOCHS; epoch++) {
    const t = process.hrtime.bigint();
    rnd.shuffle(order);
    for (let b = 0; b < n; b += BATCH) {
      const rows = tf.tensor1d(order.slice(b, b + BATCH), 'int32');
      optimizer.minimize(
        () => {
          const xb = tf.gather(x, rows);
          const yb = tf.gather(y, rows);
          return tf.losses.softmaxCrossEntropy(yb, net.logits(xb)) as tf.Scalar;
        },
        false,
        net.variables,
      );
      rows.dispose();
    }
    const loss = validationLoss(net, xVal, yVal);
    epochTimes.push(seconds(t));
    if (loss < best.loss) {
      tf.dispose(best.values);
      best = { epoch, loss, values: net.variables.map((v) => v.clone()) };
    } else if (epoch - best.epoch >= PATIENCE) break;
  }
  const trainSeconds = seconds(start);
  net.variables.forEach((v, i) => v.assign(best.values[i]!));
  tf.dispose([x, y, xVal, yVal, ...best.values]);
  optimizer.dispose();
  return {
    secondsPerEpoch: epochTimes.reduce((a, b) => a + b, 0) / epochTimes.length,
    bestEpoch: best.epoch,
    epochsRun: epochTimes.length,
    trainSeconds,
  };
}

/** Predicted digits of `images`, from their bytes, in batches of {@link FORWARD_BATCH}. */
function predictDigits(
  predict: (x: tf.Tensor2D) => tf.Tensor,
  images: readonly Uint8Array[],
): Int32Array {
  const out = new Int32Array(images.length);
  for (let b = 0; b < images.length; b += FORWARD_BATCH) {
    const digits = tf.tidy(() =>
      tf.argMax(predict(pixelTensor(images.slice(b, b + FORWARD_BATCH))), 1),
    );
    out.set(digits.dataSync() as Int32Array, b);
    digits.dispose();
  }
  return out;
}

/** Held-out accuracy and forward-pass times (ms) for 1,000 and 10,000 images. */
function forward(
  predict: (x: tf.Tensor2D) => tf.Tensor,
  sets: DigitSets,
  runs10k: number,
): { accuracy: number; forward1k: number; forward10k: number; predicted: Int32Array } {
  predictDigits(predict, sets.test.pixels.slice(0, 100)); // warm-up
  const predicted = predictDigits(predict, sets.test.pixels);
  const accuracy =
    sets.test.labels.filter((d, i) => predicted[i] === d).length / sets.test.labels.length;
  const time = (images: readonly Uint8Array[], runs: number): number =>
    median(
      Array.from({ length: runs }, () => {
        const t = process.hrtime.bigint();
        predictDigits(predict, images);
        return seconds(t) * 1000;
      }),
    );
  return {
    predicted,
    accuracy,
    forward1k: time(sets.test.pixels, 3),
    forward10k: time(sets.many.pixels, runs10k),
  };
}

/** Train and measure one network on the backend now active. */
function measureNetwork(net: Network, sets: DigitSets, backend: string, seed: number): Measured {
  const params = paramCount(net.variables);
  const fit = train(net, sets.train, seed);
  const { predicted, ...result } = forward((x) => net.predict(x), sets, 3);
  let note: string | undefined;
  if (net.predict !== net.logits) {
    // The training path, im2col, as a forward pass too: its cost, and that both agree.
    const im2col = forward((x) => net.logits(net.prepare(x)), sets, 1);
    const agree = predicted.filter((d, i) => im2col.predicted[i] === d).length;
    note =
      `forward by im2col instead of conv2d: ${im2col.forward1k.toFixed(0)} ms (1k), ` +
      `${im2col.forward10k.toFixed(0)} ms (10k); same digit for ${agree} of ${predicted.length}`;
  }
  tf.dispose(net.variables);
  return {
    size: `${sets.height}×${sets.width}`,
    network: net.name,
    backend,
    params,
    ...fit,
    ...result,
    ...(note !== undefined ? { remark: note } : {}),
  };
}

/**
 * The same CNN with tfjs-layers (conv2d, maxPooling2d, dense), trained one epoch with
 * `fit` on the backend now active: its time per epoch, and its accuracy after that epoch.
 */
async function measureLayersCnn(
  sets: DigitSets,
  k: number,
  filters: number,
  seed: number,
): Promise<Measured> {
  const { height: h, width: w } = sets;
  const model = tf.sequential({
    layers: [
      tf.layers.reshape({ targetShape: [h, w, 1], inputShape: [h * w] }),
      tf.layers.conv2d({
        kernelSize: k,
        filters,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed }),
      }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({
        units: CLASSES,
        kernelInitializer: tf.initializers.heNormal({ seed: seed + 1 }),
      }),
    ],
  });
  model.compile({
    optimizer: tf.train.adam(LEARNING_RATE),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  });
  const n = sets.train.labels.length - VALIDATION;
  const x = pixelTensor(sets.train.pixels.slice(0, n));
  const y = oneHot(sets.train.labels.slice(0, n));
  const t = process.hrtime.bigint();
  await model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0 });
  const epochSeconds = seconds(t);
  tf.dispose([x, y]);
  const result = forward((xb) => model.predict(xb) as tf.Tensor, sets, 1);
  const params = model.countParams();
  model.dispose();
  return {
    size: `${h}×${w}`,
    network: `CNN tfjs-layers conv2d ${k}×${k}×${filters}, pool 2, dense 10`,
    backend: 'cpu',
    params,
    secondsPerEpoch: epochSeconds,
    bestEpoch: undefined,
    epochsRun: 1,
    trainSeconds: epochSeconds,
    accuracy: result.accuracy,
    forward1k: result.forward1k,
    forward10k: result.forward10k,
    note: '1 epoch only',
  };
}

/**
 * What the wasm backend lacks for training convolutions, checked rather than assumed: the
 * kernels tfjs's gradients call, and whether one gradient step of tf.conv2d runs.
 */
function wasmGaps(): string[] {
  const lines = [
    'Conv2D',
    'Conv2DBackpropInput',
    'Conv2DBackpropFilter',
    'MaxPoolGrad',
    'GatherV2',
    'UnsortedSegmentSum',
  ].map(
    (kernel) =>
      `${kernel}: ${tf.getKernel(kernel, 'wasm') !== undefined ? 'registered' : 'MISSING'}`,
  );
  const filter = tf.variable(tf.randomNormal([3, 3, 1, 2], 0, 1, 'float32', 1));
  const image = tf.randomNormal([1, 6, 6, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
  try {
    tf.variableGrads(() => tf.sum(tf.conv2d(image, filter as tf.Tensor4D, 1, 'valid')), [filter]);
    lines.push('one gradient step of tf.conv2d: runs');
  } catch (e) {
    lines.push(
      `one gradient step of tf.conv2d: fails (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`,
    );
  }
  tf.dispose([filter, image]);
  return lines;
}

function digitSets(height: number, width: number): DigitSets {
  const size = { height, width };
  return {
    height,
    width,
    train: generateDigits(2000, 1, size),
    test: generateDigits(1000, 2, size),
    many: generateDigits(10000, 3, size),
  };
}

function table(rows: readonly Measured[]): string {
  const head =
    '| input | network | backend | params | s / epoch | best epoch / run | train s | held-out accuracy | forward 1k ms | forward 10k ms |\n' +
    '| ----- | ------- | ------- | -----: | --------: | ---------------: | ------: | ----------------: | ------------: | -------------: |\n';
  return (
    head +
    rows
      .map(
        (r) =>
          `| ${r.size} | ${r.network} | ${r.backend} | ${r.params.toLocaleString('en')} | ${r.secondsPerEpoch.toFixed(2)} | ` +
          `${r.bestEpoch ?? '–'} / ${r.epochsRun}${r.note ? ` (${r.note})` : ''} | ${r.trainSeconds.toFixed(1)} | ` +
          `${(100 * r.accuracy).toFixed(1)}% | ${r.forward1k.toFixed(0)} | ${r.forward10k.toFixed(0)} |`,
      )
      .join('\n')
  );
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  process.stdout.write(`${machineLine()}\ncommand: npm run bench:perception-nets\n\n`);
  const large = digitSets(28, 28);
  const small = digitSets(8, 8);
  const rows: Measured[] = [];
  const report = (row: Measured): void => {
    rows.push(row);
    process.stderr.write(
      `${row.size} ${row.network} (${row.backend}): ${row.trainSeconds.toFixed(1)} s, ${(100 * row.accuracy).toFixed(1)}%\n`,
    );
  };

  await selectBackend('wasm');
  const gaps = wasmGaps();
  report(measureNetwork(mlp(784, 128, 11), large, 'wasm', 1));
  report(measureNetwork(mlp(784, 64, 12), large, 'wasm', 1));
  report(measureNetwork(im2colCnn(28, 28, 5, 8, 13), large, 'wasm', 1));
  report(measureNetwork(mlp(64, 64, 14), small, 'wasm', 1));
  report(measureNetwork(mlp(64, 32, 15), small, 'wasm', 1));
  report(measureNetwork(im2colCnn(8, 8, 3, 8, 16), small, 'wasm', 1));

  await selectBackend('cpu');
  report(await measureLayersCnn(large, 5, 8, 17));

  process.stdout.write(`${table(rows)}\n\n`);
  const remarks = rows.filter((r) => r.remark !== undefined);
  process.stdout.write(
    remarks.map((r) => `- ${r.size} ${r.network}: ${r.remark}\n`).join('') + '\n',
  );
  process.stdout.write(
    `wasm kernels for training a convolution:\n${gaps.map((l) => `- ${l}`).join('\n')}\n\n`,
  );
  process.stdout.write(`total bench time: ${seconds(started).toFixed(0)} s\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
