import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../files/write-atomic';
import { NeurulesError } from '../errors';
import { ensureBackend, tf } from '../teacher/backend';
import { checkFormatTag, isObject, readBinary, readJson } from '../teacher/model-io';
import {
  architectureWeightShapes,
  createNetwork,
  type PerceptionArchitecture,
  type PerceptionNetwork,
} from './perception-network';
import { createPerceiver, type Perceiver, type PerceiverSpec } from './train-perceiver';

/** The files a saved perceiver consists of, inside its directory. */
export const PERCEIVER_FILES = {
  /** The manifest: format tag, concept, classes, scaling, architecture, weight shapes. */
  manifest: 'perceiver.json',
  /** The weights: the manifest's arrays as little-endian float32, one after another. */
  weights: 'perceiver.bin',
} as const;

/** Format tag and version of `perceiver.json`. */
export const PERCEIVER_FORMAT = 'neurules.perceiver';
export const PERCEIVER_VERSION = 1;

/** The content of `perceiver.json`. */
export interface PerceiverFile extends PerceiverSpec {
  format: typeof PERCEIVER_FORMAT;
  version: typeof PERCEIVER_VERSION;
  /** The arrays of `perceiver.bin`, in order. */
  weights: { name: string; shape: number[] }[];
}

/**
 * Save a perceiver into `dir` (created if needed): `perceiver.bin` (its weights as
 * float32) and then `perceiver.json` (the manifest), each written atomically.
 *
 * @example
 * ```ts
 * savePerceiver(perceiver, 'models/postcodes/perceivers/postcode');
 * ```
 */
export function savePerceiver(perceiver: Perceiver, dir: string): void {
  const weights = perceiver.weights();
  const bytes = new Uint8Array(weights.reduce((sum, w) => sum + w.values.byteLength, 0));
  let at = 0;
  for (const w of weights) {
    // float32 little-endian on every machine neurules runs on (x86, ARM).
    bytes.set(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength), at);
    at += w.values.byteLength;
  }
  const file: PerceiverFile = {
    format: PERCEIVER_FORMAT,
    version: PERCEIVER_VERSION,
    ...perceiver.spec,
    weights: weights.map((w) => ({ name: w.name, shape: w.shape })),
  };
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, PERCEIVER_FILES.weights), bytes);
  writeFileAtomic(path.join(dir, PERCEIVER_FILES.manifest), JSON.stringify(file, null, 2) + '\n');
}

/**
 * Load a perceiver saved by {@link savePerceiver}.
 *
 * @throws NeurulesError MODEL_NOT_FOUND (with `file`) when a file is missing,
 *   FOREIGN_FORMAT / NEWER_FORMAT when `perceiver.json` is not a perceiver file this
 *   neurules can read, INVALID_ARTIFACT (with `field` where it is one) when the manifest
 *   is damaged or its weights do not fit its architecture or `perceiver.bin`
 */
export async function loadPerceiver(dir: string): Promise<Perceiver> {
  const manifestPath = path.join(dir, PERCEIVER_FILES.manifest);
  const json = readJson(manifestPath);
  checkFormatTag(json, PERCEIVER_FORMAT, PERCEIVER_VERSION, manifestPath, 'perceiver');
  const file = checkManifest(json, manifestPath);
  // The weights the manifest lists must be those of its architecture, checked before
  // anything is allocated: a manifest cannot make the loader build a network larger than
  // the weights file it comes with.
  const shapes = architectureWeightShapes(file.architecture);
  file.weights.forEach((w, i) => {
    if (!sameShape(w.shape, shapes[i]!)) {
      throw new NeurulesError(
        'INVALID_ARTIFACT',
        `weight ${i + 1} has the shape [${w.shape.join(', ')}]; the architecture needs [${shapes[i]!.join(', ')}]`,
        { file: manifestPath, field: 'weights' },
      );
    }
  });
  const weightsPath = path.join(dir, PERCEIVER_FILES.weights);
  const bytes = readBinary(weightsPath);
  const expected = file.weights.reduce((sum, w) => sum + 4 * count(w.shape), 0);
  if (bytes.byteLength !== expected) {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `the weights hold ${bytes.byteLength} bytes; ${PERCEIVER_FILES.manifest} describes ${expected}`,
      { file: weightsPath },
    );
  }
  await ensureBackend();
  const net = buildNetwork(file.architecture, manifestPath);
  try {
    let at = 0;
    net.variables.forEach((v, i) => {
      const w = file.weights[i]!;
      if (w.name !== net.weightNames[i] || !sameShape(w.shape, v.shape)) {
        throw new NeurulesError(
          'INVALID_ARTIFACT',
          `weight ${i + 1} is '${w.name}' [${w.shape.join(', ')}]; the architecture needs '${net.weightNames[i]}' [${v.shape.join(', ')}]`,
          { file: manifestPath, field: 'weights' },
        );
      }
      const values = new Float32Array(bytes, at, count(w.shape));
      at += values.byteLength;
      tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
    });
  } catch (e) {
    net.dispose();
    throw e;
  }
  const { format: _format, version: _version, weights: _weights, ...spec } = file;
  return createPerceiver(spec, net);
}

/** The network of a manifest's architecture; one that cannot be built is INVALID_ARTIFACT. */
function buildNetwork(architecture: PerceptionArchitecture, file: string): PerceptionNetwork {
  try {
    return createNetwork(architecture, 0);
  } catch (e) {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `the perceiver's network cannot be built: ${e instanceof Error ? e.message : String(e)}`,
      { file, field: 'architecture' },
    );
  }
}

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;

/** The manifest's fields checked for what loading relies on. */
function checkManifest(json: Record<string, unknown>, file: string): PerceiverFile {
  const bad = (field: string, expected: string): never => {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `the perceiver file's ${field} must be ${expected}; found ${JSON.stringify(json[field])}`,
      { file, field },
    );
  };
  if (typeof json['concept'] !== 'string') bad('concept', 'a name');
  const classes = json['classes'];
  if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === 'string'))
    bad('classes', 'a list of two or more class names');
  const width = json['width'];
  if (!isCount(width)) bad('width', 'a positive integer');
  const shape = json['shape'];
  if (shape !== null && !(isObject(shape) && isCount(shape['height']) && isCount(shape['width'])))
    bad('shape', 'null or { height, width }');
  if (isObject(shape) && (shape['height'] as number) * (shape['width'] as number) !== width)
    bad('shape', `a shape of ${String(width)} pixels`);
  const scaling = json['scaling'];
  const columns = (v: unknown) =>
    Array.isArray(v) && v.length === width && v.every((x) => Number.isFinite(x));
  if (
    !isObject(scaling) ||
    !(
      scaling['kind'] === 'divide-255' ||
      (scaling['kind'] === 'divide' &&
        typeof scaling['by'] === 'number' &&
        Number.isFinite(scaling['by']) &&
        scaling['by'] > 0) ||
      (scaling['kind'] === 'standardise' && columns(scaling['mean']) && columns(scaling['std']))
    )
  )
    bad(
      'scaling',
      "{ kind: 'divide-255' }, { kind: 'divide', by > 0 } or { kind: 'standardise', mean, std } of width numbers",
    );
  if (!fitsArchitecture(json['architecture'], width as number, classes as string[]))
    bad(
      'architecture',
      `an 'mlp' or 'cnn-im2col' network of ${String(width)} inputs and ${(classes as string[]).length} classes`,
    );
  if (!isObject(json['summary'])) bad('summary', 'the training summary');
  const weights = json['weights'];
  if (
    !Array.isArray(weights) ||
    weights.length !== 4 ||
    !weights.every(
      (w) =>
        isObject(w) &&
        typeof w['name'] === 'string' &&
        Array.isArray(w['shape']) &&
        (w['shape'] as unknown[]).every(isCount),
    )
  )
    bad('weights', 'the four weight arrays, each with its name and shape');
  return json as unknown as PerceiverFile;
}

function fitsArchitecture(a: unknown, width: number, classes: readonly string[]): boolean {
  if (!isObject(a) || a['classes'] !== classes.length) return false;
  if (a['kind'] === 'mlp') return a['inputs'] === width && isCount(a['hidden']);
  if (a['kind'] !== 'cnn-im2col') return false;
  const arch = a as unknown as Extract<PerceptionArchitecture, { kind: 'cnn-im2col' }>;
  return (
    isCount(arch.height) &&
    isCount(arch.width) &&
    arch.height * arch.width === width &&
    isCount(arch.kernel) &&
    isCount(arch.filters)
  );
}
