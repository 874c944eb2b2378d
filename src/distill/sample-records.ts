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
  /**
   * A class per source row (the network's answer). When given, each record copies a row
   * of a class taken in turn, so every class gets the same share of records however rare
   * it is, and categorical values are redrawn from rows of the same class.
   */
  strata?: ArrayLike<number>;
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
  // Rows grouped by class (one group of all rows without strata); a record copies a row of
  // the groups taken in turn. Empirical level draws: a categorical value is redrawn as
  // another row's value of the same group.
  const groups = strataGroups(source.length, options.strata);
  const out: DataRecord[] = [];
  for (let s = 0; s < options.count; s++) {
    const group = groups[s % groups.length]!;
    const base = source[group[random.int(group.length)]!]!;
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
        const donor = source[group[random.int(group.length)]!]![f.name];
        if (donor !== null && donor !== undefined) record[f.name] = donor;
      }
    }
    out.push(record);
  }
  return out;
}

/** Row indices by stratum, in stratum order; one group of every row without strata. */
function strataGroups(n: number, strata: ArrayLike<number> | undefined): number[][] {
  if (!strata) return [Array.from({ length: n }, (_, i) => i)];
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = byClass.get(strata[i]!);
    if (list) list.push(i);
    else byClass.set(strata[i]!, [i]);
  }
  return [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, rows]) => rows);
}
