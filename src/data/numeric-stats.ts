import type { NumericFeature } from './types';

/**
 * Running statistics of a numeric feature (Welford's mean and variance, so one pass and
 * no catastrophic cancellation): what a schema says about a numeric column.
 */
export class NumericStats {
  private count = 0;
  private missing = 0;
  private min = Infinity;
  private max = -Infinity;
  private mean = 0;
  private m2 = 0;
  private integer = true;

  /** Add a value (null or a non-finite number counts as missing); returns it. */
  add(value: number | null): number | null {
    if (value === null || !Number.isFinite(value)) {
      this.missing++;
      return null;
    }
    this.count++;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
    if (!Number.isInteger(value)) this.integer = false;
    return value;
  }

  /** The statistics so far (zeros for a column with no values). */
  summary(): Pick<NumericFeature, 'min' | 'max' | 'mean' | 'std' | 'integer' | 'missing'> {
    const seen = this.count > 0;
    return {
      min: seen ? this.min : 0,
      max: seen ? this.max : 0,
      mean: seen ? this.mean : 0,
      std: seen ? Math.sqrt(this.m2 / this.count) : 0,
      integer: this.integer,
      missing: this.missing,
    };
  }
}
