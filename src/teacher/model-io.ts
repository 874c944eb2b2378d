import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../files/write-atomic';
import type { Schema } from '../data/types';
import { isNeurulesError, NeurulesError } from '../errors';
import { ensureBackend, tf } from './backend';
import { createTeacher, type Teacher, type TrainingSummary } from './create-teacher';
import { encoderFromSpec, specFromSchema, type EncoderSpec } from './encode';

/** The files a saved teacher consists of, inside its directory. */
export const TEACHER_FILES = {
  /** tfjs Layers model topology and weights manifest (standard tfjs `model.json`). */
  model: 'model.json',
  /** The weights, as the manifest in `model.json` describes them. */
  weights: 'weights.bin',
  /** neurules' side: format tag, input encoding, classes and training summary. */
  teacher: 'teacher.json',
} as const;

/** Format tag and version of `teacher.json`. */
export const TEACHER_FORMAT = 'neurules.teacher';
export const TEACHER_VERSION = 1;

/** The content of `teacher.json`. */
export interface TeacherFile {
  format: typeof TEACHER_FORMAT;
  version: typeof TEACHER_VERSION;
  /** Class labels in output-unit order. */
  classes: string[];
  /** How records become network inputs; equal to the encoding of the model's schema. */
  encoder: EncoderSpec;
  summary: TrainingSummary;
}

/**
 * Save a teacher into `dir` (created if needed) as three files: `model.json` and
 * `weights.bin` in tfjs's own Layers format (loadable by `tf.loadLayersModel` in a
 * browser or by tfjs-node), and `teacher.json` holding the input encoding, classes and
 * training summary. The encoding lives in its own versioned file rather than in
 * `model.json`'s `userDefinedMetadata`, so neurules' format can evolve on its own.
 *
 * Each file is written atomically; `teacher.json` is written last. Works without
 * tfjs-node (tfjs's `file://` handler needs it; this uses its own IO handler).
 *
 * @example
 * ```ts
 * await saveTeacher(teacher, 'models/german-credit');
 * ```
 */
export async function saveTeacher(teacher: Teacher, dir: string): Promise<void> {
  await teacher.model.save(directoryHandler(dir));
  const file: TeacherFile = {
    format: TEACHER_FORMAT,
    version: TEACHER_VERSION,
    classes: [...teacher.schema.classes],
    encoder: teacher.encoder.spec,
    summary: teacher.summary,
  };
  writeFileAtomic(path.join(dir, TEACHER_FILES.teacher), JSON.stringify(file, null, 2) + '\n');
}

/**
 * Load a teacher saved by {@link saveTeacher}. `schema` is the model's schema (saved
 * beside it); the teacher must have been trained on it.
 *
 * @throws NeurulesError `MODEL_NOT_FOUND` (with `file`) when a file is missing,
 *   `INVALID_ARTIFACT` when a file is damaged or does not fit `schema`,
 *   `FOREIGN_FORMAT` / `NEWER_FORMAT` when `teacher.json` is not a teacher file this
 *   version of neurules can read
 */
export async function loadTeacher(dir: string, schema: Schema): Promise<Teacher> {
  const teacherPath = path.join(dir, TEACHER_FILES.teacher);
  const file = checkTeacherFile(readJson(teacherPath), teacherPath);
  const expected = specFromSchema(schema);
  if (JSON.stringify(file.encoder) !== JSON.stringify(expected)) {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      'the network was trained on a different schema than the one given (its input encoding differs)',
      { file: teacherPath },
    );
  }
  if (JSON.stringify(file.classes) !== JSON.stringify(schema.classes)) {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `the network predicts classes ${JSON.stringify(file.classes)} but the schema has ${JSON.stringify(schema.classes)}`,
      { file: teacherPath, field: 'classes' },
    );
  }

  await ensureBackend();
  const modelPath = path.join(dir, TEACHER_FILES.model);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(directoryHandler(dir));
  } catch (e) {
    if (isNeurulesError(e)) throw e;
    throw new NeurulesError('INVALID_ARTIFACT', `the network cannot be rebuilt: ${errorText(e)}`, {
      file: modelPath,
    });
  }
  const encoder = encoderFromSpec(file.encoder);
  const inputs = model.inputs[0]?.shape[1];
  const outputs = model.outputs[0]?.shape[1];
  if (model.inputs.length !== 1 || inputs !== encoder.width || outputs !== schema.classes.length) {
    model.dispose();
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `the network maps ${String(inputs)} inputs to ${String(outputs)} classes; ` +
        `expected ${encoder.width} inputs and ${schema.classes.length} classes`,
      { file: modelPath },
    );
  }
  return createTeacher(model, encoder, schema, file.summary);
}

/**
 * A tfjs IO handler that saves to and loads from `dir` as `model.json` + `weights.bin`,
 * with plain `fs` (no tfjs-node needed).
 */
export function directoryHandler(dir: string): tf.io.IOHandler {
  const modelPath = path.join(dir, TEACHER_FILES.model);
  const weightsPath = path.join(dir, TEACHER_FILES.weights);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer || artifacts.modelTopology == null) {
        throw new NeurulesError(
          'INVALID_ARGUMENT',
          'expected a Layers model with a JSON topology, found a model without one',
          { field: 'model' },
        );
      }
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [TEACHER_FILES.weights], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig !== undefined
          ? { trainingConfig: artifacts.trainingConfig }
          : {}),
        ...(artifacts.userDefinedMetadata !== undefined
          ? { userDefinedMetadata: artifacts.userDefinedMetadata }
          : {}),
      };
      writeFileAtomic(weightsPath, new Uint8Array(weights));
      writeFileAtomic(modelPath, JSON.stringify(modelJson) + '\n');
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = readJson(modelPath);
      if (
        !isObject(json) ||
        !isObject(json['modelTopology']) ||
        !Array.isArray(json['weightsManifest'])
      ) {
        throw new NeurulesError(
          'INVALID_ARTIFACT',
          'model.json is not a tfjs Layers model (no modelTopology or weightsManifest)',
          {
            file: modelPath,
          },
        );
      }
      const modelJson = json as unknown as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) buffers.push(readBinary(path.join(dir, p)));
        }
        const data = tf.io.CompositeArrayBuffer.join(buffers);
        const expected = specs.reduce((sum, s) => sum + weightBytes(s), 0);
        if (data.byteLength !== expected) {
          throw new NeurulesError(
            'INVALID_ARTIFACT',
            `the weights hold ${data.byteLength} bytes; model.json describes ${expected}`,
            { file: weightsPath },
          );
        }
        return [specs, data];
      });
    },
  };
}

function weightBytes(spec: tf.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes: Record<string, number> = {
    float32: 4,
    int32: 4,
    bool: 1,
    uint8: 1,
    uint16: 2,
    float16: 2,
  };
  return count * (bytes[dtype] ?? 4);
}

function checkTeacherFile(json: unknown, file: string): TeacherFile {
  checkFormatTag(json, TEACHER_FORMAT, TEACHER_VERSION, file, 'teacher');
  const encoder = json['encoder'];
  if (!isObject(encoder) || !Array.isArray(encoder['features'])) {
    throw new NeurulesError('INVALID_ARTIFACT', 'the teacher file has no input encoding', {
      file,
      field: 'encoder',
    });
  }
  if (!Array.isArray(json['classes']) || !isObject(json['summary'])) {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      'the teacher file lacks its classes or training summary',
      { file },
    );
  }
  return json as unknown as TeacherFile;
}

/**
 * Check a versioned JSON artifact's tag: `format` must be `format`, `version` a positive
 * integer no newer than `version`.
 *
 * @throws NeurulesError FOREIGN_FORMAT for another kind of file, INVALID_ARTIFACT for a bad
 *   version, NEWER_FORMAT for a version this neurules cannot read (`what` names the
 *   artifact in the message: "the teacher was saved in format version 2")
 */
export function checkFormatTag(
  json: unknown,
  format: string,
  version: number,
  file: string,
  what: string,
): asserts json is Record<string, unknown> {
  if (!isObject(json) || json['format'] !== format) {
    const found =
      isObject(json) && typeof json['format'] === 'string'
        ? `'${json['format']}'`
        : 'no format tag';
    throw new NeurulesError('FOREIGN_FORMAT', `expected a '${format}' file; found ${found}`, {
      file,
    });
  }
  const found = json['version'];
  if (typeof found !== 'number' || !Number.isInteger(found) || found < 1) {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `the version must be a positive integer; found ${JSON.stringify(found)}`,
      { file, field: 'version' },
    );
  }
  if (found > version) {
    throw new NeurulesError(
      'NEWER_FORMAT',
      `the ${what} was saved in format version ${found}; this neurules reads up to ${version} (upgrade neurules)`,
      { file, field: 'version' },
    );
  }
}

/** A JSON file's content. @throws NeurulesError MODEL_NOT_FOUND, INVALID_ARTIFACT */
export function readJson(file: string): unknown {
  const text = readText(file);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new NeurulesError('INVALID_ARTIFACT', `the file is not valid JSON: ${errorText(e)}`, {
      file,
    });
  }
}

function readText(file: string): string {
  return readFile(file).toString('utf8');
}

/** A binary file's bytes. @throws NeurulesError MODEL_NOT_FOUND */
export function readBinary(file: string): ArrayBuffer {
  const buffer = readFile(file);
  return buffer.buffer.slice(
    buffer.byteOffset,
    buffer.byteOffset + buffer.byteLength,
  ) as ArrayBuffer;
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new NeurulesError('MODEL_NOT_FOUND', `model file ${file} does not exist`, { file });
    }
    throw new NeurulesError(
      'MODEL_NOT_FOUND',
      `model file ${file} cannot be read: ${errorText(e)}`,
      { file },
    );
  }
}

/** Whether `value` is a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
