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
 * The networks and their training loop are src's (src/perception/perception-network.ts,
 * what `trainPerceiver` builds and trains): this bench measures the code a build runs.
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
import {
  createIm2colCnn,
  createMlp,
  fitPerceptionNetwork,
  type PerceptionNetwork,
} from '../src/perception/perception-network';
import { createRandom } from '../src/random';
import { selectBackend, tf } from '../src/teacher/backend';

const CLASSES = 10;
const MAX_EPOCHS = 50;
const PATIENCE = 3;
const BATCH = 32;
const LEARNING_RATE = 0.003;
const VALIDATION = 200;
const FORWARD_BATCH = 1000;

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

/** Labels as one-hot rows. */
function oneHot(labels: readonly number[]): tf.Tensor2D {
  return tf.tidy(
    () => tf.oneHot(tf.tensor1d(labels as number[], 'int32'), CLASSES).toFloat() as tf.Tensor2D,
  );
}

const paramCount = (variables: readonly tf.Variable[]): number =>
  variables.reduce((s, v) => s + v.size, 0);

/**
 * Train with src's loop (Adam in shuffled batches, early stopping on the validation split,
 * the best epoch's weights restored) on the last {@link VALIDATION} images held out.
 * Returns the timings.
 */
async function train(
  net: PerceptionNetwork,
  data: DigitImages,
  seed: number,
): Promise<{
  secondsPerEpoch: number;
  bestEpoch: number;
  epochsRun: number;
  trainSeconds: number;
}> {
  const n = data.labels.length - VALIDATION;
  // The total counts preparing the data (the CNN's im2col, inside the fit) too.
  const start = process.hrtime.bigint();
  const x = pixelTensor(data.pixels.slice(0, n));
  const xVal = pixelTensor(data.pixels.slice(n));
  const fit = await fitPerceptionNetwork(
    net,
    {
      x,
      y: Int32Array.from(data.labels.slice(0, n)),
      xVal,
      yVal: Int32Array.from(data.labels.slice(n)),
      classes: CLASSES,
    },
    {
      epochs: MAX_EPOCHS,
      patience: PATIENCE,
      batchSize: BATCH,
      learningRate: LEARNING_RATE,
      random: createRandom(seed),
    },
  );
  const trainSeconds = seconds(start);
  tf.dispose([x, xVal]);
  return {
    secondsPerEpoch: fit.epochSeconds.reduce((a, b) => a + b, 0) / fit.epochSeconds.length,
    bestEpoch: fit.bestEpoch,
    epochsRun: fit.epochsRun,
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
async function measureNetwork(
  net: PerceptionNetwork,
  sets: DigitSets,
  backend: string,
  seed: number,
): Promise<Measured> {
  const params = paramCount(net.variables);
  const fit = await train(net, sets.train, seed);
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
  net.dispose();
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
  const cnn = (side: number, kernel: number) =>
    ({ height: side, width: side, kernel, filters: 8, classes: CLASSES }) as const;
  report(await measureNetwork(createMlp(784, 128, CLASSES, 11), large, 'wasm', 1));
  report(await measureNetwork(createMlp(784, 64, CLASSES, 12), large, 'wasm', 1));
  report(await measureNetwork(createIm2colCnn(cnn(28, 5), 13), large, 'wasm', 1));
  report(await measureNetwork(createMlp(64, 64, CLASSES, 14), small, 'wasm', 1));
  report(await measureNetwork(createMlp(64, 32, CLASSES, 15), small, 'wasm', 1));
  report(await measureNetwork(createIm2colCnn(cnn(8, 3), 16), small, 'wasm', 1));

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
