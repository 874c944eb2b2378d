import type { DataRecord } from '../data/types';
import type { FeatureSpec } from './types';

/** Level index of a categorical value that is not missing but unknown to the schema. */
export const UNKNOWN_LEVEL = -2;
/** Level index of a missing categorical value. */
export const MISSING_LEVEL = -1;

/**
 * Turn records into learner columns: numeric values as Float64Array (NaN = missing),
 * categorical values as level indices in Int32Array (-1 missing, -2 unknown level).
 */
export function toColumns(
  features: FeatureSpec[],
  records: DataRecord[],
): (Float64Array | Int32Array)[] {
  return features.map((f) => {
    if (f.type === 'numeric') {
      const col = new Float64Array(records.length);
      records.forEach((r, i) => {
        const v = r[f.name];
        col[i] = typeof v === 'number' && Number.isFinite(v) ? v : NaN;
      });
      return col;
    }
    const index = new Map(f.levels.map((l, i) => [l, i]));
    const col = new Int32Array(records.length);
    records.forEach((r, i) => {
      const v = r[f.name];
      col[i] =
        v === null || v === undefined ? MISSING_LEVEL : (index.get(String(v)) ?? UNKNOWN_LEVEL);
    });
    return col;
  });
}
