import type { DataRecord, Schema } from '../data/types';
import type { Random } from '../random';

/** Options of {@link perturbRecords}. */
export interface PerturbOptions {
  /** Records to make. */
  count: number;
  /** Chance that each feature of a copied row is redrawn. @defaultValue 0.3 */
  changeRate?: number;
  /** Numeric noise as a fraction of the feature's standard deviation. @defaultValue 0.5 */
  noise?: number;
}

/**
 * Synthetic records near the data (the idea of TREPAN): each one copies a random source
 * row, then redraws some of its features, so the teacher can label regions the real data
 * covers thinly. A numeric value moves by Gaussian noise scaled to the feature's spread,
 * stays within the feature's range and stays whole if the feature is; a categorical value
 * is redrawn from the levels' frequencies in the source rows; missing values stay missing.
 */
export function perturbRecords(
  schema: Schema,
  source: readonly DataRecord[],
  random: Random,
  options: PerturbOptions,
): DataRecord[] {
  if (source.length === 0 || options.count <= 0) return [];
  const changeRate = options.changeRate ?? 0.3;
  const noise = options.noise ?? 0.5;
  // Empirical level draws: a categorical value is redrawn as another row's value.
  const out: DataRecord[] = [];
  for (let s = 0; s < options.count; s++) {
    const base = source[random.int(source.length)]!;
    const record: DataRecord = { ...base };
    for (const f of schema.features) {
      if (random.next() >= changeRate) continue;
      const v = base[f.name];
      if (v === null || v === undefined) continue;
      if (f.type === 'numeric') {
        if (typeof v !== 'number') continue;
        let x = v + random.normal() * noise * (f.std || 1);
        x = Math.min(f.max, Math.max(f.min, x));
        record[f.name] = f.integer ? Math.round(x) : x;
      } else {
        const donor = source[random.int(source.length)]![f.name];
        if (donor !== null && donor !== undefined) record[f.name] = donor;
      }
    }
    out.push(record);
  }
  return out;
}
