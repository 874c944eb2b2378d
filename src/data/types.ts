/** A numeric feature: values are finite numbers, or missing. */
export interface NumericFeature {
  name: string;
  type: 'numeric';
  /** Range, mean and standard deviation over the non-missing training values. */
  min: number;
  max: number;
  mean: number;
  std: number;
  /** True when every non-missing value seen was an integer. */
  integer: boolean;
  /** Number of missing values seen when the schema was inferred. */
  missing: number;
  /** Set by `build --immutable`: counterfactuals never change this feature. */
  immutable?: boolean;
  /** Set by `build --protected`: `audit` reports fairness by this feature's groups. */
  protected?: boolean;
  /** Set by `build --monotone`: counterfactuals may only move this feature this way. */
  monotone?: 'increasing' | 'decreasing';
}

/** A categorical feature: values are one of `levels`, or missing. */
export interface CategoricalFeature {
  name: string;
  type: 'categorical';
  /** Levels in order of first appearance in the data. */
  levels: string[];
  missing: number;
  /** Set by `build --immutable`: counterfactuals never change this feature. */
  immutable?: boolean;
  /** Set by `build --protected`: `audit` reports fairness by this feature's groups. */
  protected?: boolean;
  /**
   * Any text is a value, not only `levels` (a column of image file names a perception
   * concept reads): never UNKNOWN_CATEGORY.
   */
  open?: boolean;
  /**
   * A record may leave the column out (a perception concept's label, which deciding does
   * not need): never MISSING_FEATURE; absent is a missing value.
   */
  optional?: boolean;
}

export type Feature = NumericFeature | CategoricalFeature;

/** Names, types, levels, ranges and classes of a data set: saved with every model. */
export interface Schema {
  format: 'neurules.schema';
  version: 1;
  /** Name of the target column. */
  target: string;
  /** Feature columns in file order (the target excluded). */
  features: Feature[];
  /** Class labels; a class index is a position in this list. */
  classes: string[];
  /** Data rows the schema was inferred from. */
  rows: number;
}

/** A feature value: a number (numeric), a level (categorical) or null (missing). */
export type Value = number | string | null;

/** One record: feature name to value. Missing values are `null`. */
export type DataRecord = Record<string, Value>;

/** Records of a data set with their class indices. */
export interface Table {
  schema: Schema;
  records: DataRecord[];
  /** Class index of each record (position in `schema.classes`). */
  labels: number[];
  /** 1-based line number of each record in its source file (for error messages). */
  lines: number[];
}

/** A seeded stratified split of a table. */
export interface Split {
  train: Table;
  validation: Table;
  test: Table;
}
