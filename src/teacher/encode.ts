import type { DataRecord, Schema } from '../data/types';

/**
 * How one feature becomes network input columns (plain data; saved in `teacher.json`).
 *
 * - numeric: one column `(x - mean) / scale`, where `scale` is the schema's standard
 *   deviation (1 when that is 0 or not finite). A missing value encodes as 0 (the mean).
 *   When the schema saw missing values for the feature (`missing > 0`), a second column
 *   follows that is 1 for a missing value and 0 otherwise, so the network can tell
 *   "missing" from "exactly the mean". Features never seen missing get no indicator: it
 *   would be constant in training, and a missing value at prediction time still encodes
 *   as the mean.
 * - categorical: one column per level in `levels` order, 1 for the record's level.
 *   A missing value or a level not in `levels` encodes as all zeros; no extra column is
 *   needed since all zeros cannot occur for a known level.
 *
 * A numeric feature's value counts as missing when it is not a finite number (`null`,
 * a string, `NaN`); a categorical value is matched as `String(value)`. Checking record
 * types is the job of schema validation, not of the encoder.
 */
export type FeatureEncoding =
  | { name: string; type: 'numeric'; mean: number; scale: number; missingIndicator: boolean }
  | { name: string; type: 'categorical'; levels: string[] };

/** The full input encoding of a network: features in schema order. */
export interface EncoderSpec {
  features: FeatureEncoding[];
}

/** Turns records into the network's input matrix. */
export interface Encoder {
  /** The serialisable description this encoder was built from. */
  readonly spec: EncoderSpec;
  /** Number of input columns. */
  readonly width: number;
  /**
   * A name per input column, for debugging: `age`, `age (missing)`, `purpose=car`.
   */
  readonly featureColumns: readonly string[];
  /** Encode records as a row-major `records.length × width` matrix. */
  encode(records: readonly DataRecord[]): Float32Array;
  /** Encode one record into `out` starting at `offset` (writes `width` values). */
  encodeInto(record: DataRecord, out: Float32Array, offset: number): void;
}

/**
 * Build the encoding of a schema's features (see {@link FeatureEncoding} for the rules).
 * Column order is deterministic: features in schema order, each feature's columns
 * together.
 *
 * @example
 * ```ts
 * const encoder = createEncoder(schema);
 * const x = encoder.encode(records); // Float32Array of records.length * encoder.width
 * ```
 */
export function createEncoder(schema: Schema): Encoder {
  return encoderFromSpec(specFromSchema(schema));
}

/** The {@link EncoderSpec} of a schema. */
export function specFromSchema(schema: Schema): EncoderSpec {
  return {
    features: schema.features.map((f): FeatureEncoding => {
      if (f.type === 'numeric') {
        const scale = Number.isFinite(f.std) && f.std > 0 ? f.std : 1;
        const mean = Number.isFinite(f.mean) ? f.mean : 0;
        return { name: f.name, type: 'numeric', mean, scale, missingIndicator: f.missing > 0 };
      }
      return { name: f.name, type: 'categorical', levels: [...f.levels] };
    }),
  };
}

/** Encode records with a schema's encoding in one call (builds the encoder each time). */
export function encodeRecords(schema: Schema, records: readonly DataRecord[]): Float32Array {
  return createEncoder(schema).encode(records);
}

/** Build an encoder from a saved {@link EncoderSpec}. */
export function encoderFromSpec(spec: EncoderSpec): Encoder {
  const featureColumns: string[] = [];
  // One step per feature, compiled once so encoding 100k records stays a tight loop.
  const steps: ((record: DataRecord, out: Float32Array, at: number) => void)[] = [];
  for (const f of spec.features) {
    const offset = featureColumns.length;
    const name = f.name;
    if (f.type === 'numeric') {
      const { mean, scale, missingIndicator } = f;
      featureColumns.push(name);
      if (missingIndicator) {
        featureColumns.push(`${name} (missing)`);
        steps.push((record, out, at) => {
          const v = record[name];
          if (typeof v === 'number' && Number.isFinite(v)) {
            out[at + offset] = (v - mean) / scale;
            out[at + offset + 1] = 0;
          } else {
            out[at + offset] = 0;
            out[at + offset + 1] = 1;
          }
        });
      } else {
        steps.push((record, out, at) => {
          const v = record[name];
          out[at + offset] = typeof v === 'number' && Number.isFinite(v) ? (v - mean) / scale : 0;
        });
      }
    } else {
      const index = new Map<string, number>();
      f.levels.forEach((level, i) => {
        featureColumns.push(`${name}=${level}`);
        if (!index.has(level)) index.set(level, i);
      });
      const count = f.levels.length;
      steps.push((record, out, at) => {
        out.fill(0, at + offset, at + offset + count);
        const v = record[name];
        if (v === null || v === undefined) return;
        const i = index.get(typeof v === 'string' ? v : String(v));
        if (i !== undefined) out[at + offset + i] = 1;
      });
    }
  }
  const width = featureColumns.length;
  const encodeInto = (record: DataRecord, out: Float32Array, offset: number): void => {
    for (const step of steps) step(record, out, offset);
  };
  return {
    spec,
    width,
    featureColumns,
    encodeInto,
    encode(records) {
      const out = new Float32Array(records.length * width);
      for (let r = 0; r < records.length; r++) encodeInto(records[r] as DataRecord, out, r * width);
      return out;
    },
  };
}
