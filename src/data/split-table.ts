import { NeurulesError } from '../errors';
import { createRandom } from '../random';
import type { Split, Table } from './types';

/** Options of {@link splitTable}. */
export interface SplitOptions {
  /**
   * Seed of the shuffle; the same seed and table always give the same split.
   * @defaultValue 42
   */
  seed?: number | undefined;
  /**
   * Fraction of all rows held out for the test part (0 for none).
   * @defaultValue 0.3
   */
  testFraction?: number | undefined;
  /**
   * Fraction of all rows held out for the validation part (0 for none).
   * @defaultValue 0.15
   */
  validationFraction?: number | undefined;
}

/** The defaults of {@link SplitOptions}. */
export const SPLIT_DEFAULTS = { seed: 42, testFraction: 0.3, validationFraction: 0.15 } as const;

/** Fewest rows {@link splitTable} accepts. */
export const MIN_SPLIT_ROWS = 10;

/**
 * Split a table into train, validation and test parts, seeded and stratified by class.
 *
 * The part sizes are `round(rows × fraction)` for test and validation, the rest train.
 * Each part takes from every class in proportion to the class's size (largest
 * remainders decide the odd rows), except that every class keeps at least one row in
 * train, so a rare class is never missing from training. Each class's rows are shuffled
 * with {@link createRandom}(seed) (classes in class-index order) and then cut; within a
 * part, records keep their file order. The parts share the table's schema.
 *
 * Throws INVALID_ARGUMENT for fractions outside [0, 1) or summing to 1 or more, and
 * TOO_FEW_ROWS when the table has fewer than {@link MIN_SPLIT_ROWS} rows or a part with a
 * non-zero fraction would be empty.
 *
 * @example
 * const { train, validation, test } = splitTable(table, { seed: 7 });
 */
export function splitTable(table: Table, options: SplitOptions = {}): Split {
  const seed = options.seed ?? SPLIT_DEFAULTS.seed;
  const testFraction = options.testFraction ?? SPLIT_DEFAULTS.testFraction;
  const validationFraction = options.validationFraction ?? SPLIT_DEFAULTS.validationFraction;
  checkOptions(seed, testFraction, validationFraction);

  const rows = table.labels.length;
  const needed = minimumRows(testFraction, validationFraction);
  if (rows < needed) {
    throw new NeurulesError(
      'TOO_FEW_ROWS',
      `the data has ${rows} row(s); splitting it with test fraction ${testFraction} and validation fraction ${validationFraction} needs at least ${needed}`,
    );
  }

  // Row indices of each class, in file order, classes in index order.
  const byClass = new Map<number, number[]>();
  table.labels.forEach((label, index) => {
    const group = byClass.get(label);
    if (group) group.push(index);
    else byClass.set(label, [index]);
  });
  const groups = [...byClass.entries()].sort((a, b) => a[0] - b[0]).map((entry) => entry[1]);
  const sizes = groups.map((g) => g.length);

  const testCounts = allocate(
    sizes,
    Math.round(rows * testFraction),
    sizes.map((n) => n - 1),
  );
  const validationCounts = allocate(
    sizes,
    Math.round(rows * validationFraction),
    sizes.map((n, c) => n - 1 - testCounts[c]!),
  );
  const emptyPart =
    testFraction > 0 && sum(testCounts) === 0
      ? 'test'
      : validationFraction > 0 && sum(validationCounts) === 0
        ? 'validation'
        : undefined;
  if (emptyPart) {
    throw new NeurulesError(
      'TOO_FEW_ROWS',
      `the ${emptyPart} part would be empty: the ${rows} rows fall in ${groups.length} classes of sizes ${sizes.join(', ')}, and every class keeps at least one row for training; more rows are needed`,
    );
  }

  const random = createRandom(seed);
  const parts = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  groups.forEach((group, c) => {
    const shuffled = random.shuffle([...group]);
    const t = testCounts[c]!;
    const v = validationCounts[c]!;
    parts.test.push(...shuffled.slice(0, t));
    parts.validation.push(...shuffled.slice(t, t + v));
    parts.train.push(...shuffled.slice(t + v));
  });
  return {
    train: subTable(table, parts.train),
    validation: subTable(table, parts.validation),
    test: subTable(table, parts.test),
  };
}

/** Stratified folds of a table: {@link foldTable}'s answer. */
export interface Folds {
  /** Each fold: its own rows as `validation`, every other fold's as `train`. */
  folds: { train: Table; validation: Table }[];
  /** The folds asked for. */
  asked: number;
  /** Set when fewer folds than asked were made: why, in a sentence. */
  fewer?: string;
}

/**
 * Split a table into `k` stratified folds for cross-validation, seeded: each class's rows
 * are shuffled with {@link createRandom}(seed) and dealt in turn to the folds (the deal
 * goes on from class to class, so the folds differ in size by one row at most). Within a
 * fold, records keep their file order.
 *
 * A class with fewer rows than `k` cannot be in every fold: the folds are then as many as
 * the rarest class has rows (at least 2), and `fewer` says so. Throws TOO_FEW_ROWS for a
 * table of fewer than 2 rows, INVALID_ARGUMENT for `k` below 2.
 *
 * @example
 * const { folds } = foldTable(table, 5, 42);
 */
export function foldTable(table: Table, k: number, seed: number): Folds {
  if (!Number.isInteger(k) || k < 2) {
    throw new NeurulesError('INVALID_ARGUMENT', `folds must be a whole number ≥ 2, not ${k}`, {
      field: 'folds',
    });
  }
  const rows = table.labels.length;
  if (rows < 2) {
    throw new NeurulesError(
      'TOO_FEW_ROWS',
      `the data has ${rows} row(s); cross-validation needs at least 2`,
    );
  }
  const byClass = new Map<number, number[]>();
  table.labels.forEach((label, index) => {
    const group = byClass.get(label);
    if (group) group.push(index);
    else byClass.set(label, [index]);
  });
  const groups = [...byClass.entries()].sort((a, b) => a[0] - b[0]);
  const rarest = groups.reduce((min, g) => (g[1].length < min[1].length ? g : min));
  const folds = Math.max(2, Math.min(k, rarest[1].length, rows));
  const fewer =
    folds < k
      ? `${folds} folds instead of ${k}: class '${table.schema.classes[rarest[0]] ?? rarest[0]}' has ${rarest[1].length} row${rarest[1].length === 1 ? '' : 's'}${rarest[1].length < 2 ? ', so it is missing from some folds' : ''}`
      : undefined;
  const random = createRandom(seed);
  const members: number[][] = Array.from({ length: folds }, () => []);
  let next = 0;
  for (const [, group] of groups) {
    for (const index of random.shuffle([...group])) {
      members[next]!.push(index);
      next = (next + 1) % folds;
    }
  }
  return {
    folds: members.map((own, f) => ({
      train: subTable(
        table,
        members.flatMap((m, g) => (g === f ? [] : m)),
      ),
      validation: subTable(table, [...own]),
    })),
    asked: k,
    ...(fewer && { fewer }),
  };
}

/** The rows `indices` of `table` (sorted into file order), sharing its schema. */
function subTable(table: Table, indices: number[]): Table {
  indices.sort((a, b) => a - b);
  return {
    schema: table.schema,
    records: indices.map((i) => table.records[i]!),
    labels: indices.map((i) => table.labels[i]!),
    lines: indices.map((i) => table.lines[i]!),
  };
}

/**
 * Share `total` rows among classes in proportion to `sizes`, no class above its
 * `capacity`: floors first, then one row at a time to the class furthest below its
 * exact share (ties to the lower class index).
 */
function allocate(sizes: number[], total: number, capacity: number[]): number[] {
  const rows = sum(sizes);
  const share = sizes.map((n) => (rows === 0 ? 0 : (n * total) / rows));
  const counts = share.map((s, c) => Math.max(0, Math.min(Math.floor(s), capacity[c]!)));
  for (let left = total - sum(counts); left > 0; left--) {
    let best = -1;
    for (let c = 0; c < counts.length; c++) {
      if (counts[c]! >= capacity[c]!) continue;
      if (best < 0 || share[c]! - counts[c]! > share[best]! - counts[best]!) best = c;
    }
    if (best < 0) break;
    counts[best]!++;
  }
  return counts;
}

/** The fewest rows for which every part with a non-zero fraction gets at least one row. */
function minimumRows(testFraction: number, validationFraction: number): number {
  const lowest = (f: number): number => (f > 0 ? Math.ceil(0.5 / f) - 1 : 0);
  const start = Math.max(MIN_SPLIT_ROWS, lowest(testFraction), lowest(validationFraction));
  // From n × fraction ≥ 0.5 a part is non-empty, and from n × (1 − fractions) ≥ 2 a
  // training row is left, so the search ends by `enough`.
  const enough = Math.max(
    start,
    lowest(testFraction) + 2,
    lowest(validationFraction) + 2,
    Math.ceil(2 / (1 - testFraction - validationFraction)),
  );
  for (let n = start; n < enough; n++) {
    const test = Math.round(n * testFraction);
    const validation = Math.round(n * validationFraction);
    if (testFraction > 0 && test === 0) continue;
    if (validationFraction > 0 && validation === 0) continue;
    if (n - test - validation >= 1) return n;
  }
  return enough;
}

function checkOptions(seed: number, testFraction: number, validationFraction: number): void {
  const bad = (field: string, message: string): never => {
    throw new NeurulesError('INVALID_ARGUMENT', message, { field });
  };
  if (!Number.isFinite(seed)) bad('seed', `the seed must be a finite number, not ${seed}`);
  for (const [field, value] of [
    ['testFraction', testFraction],
    ['validationFraction', validationFraction],
  ] as const) {
    if (!(value >= 0 && value < 1)) {
      bad(field, `${field} must be at least 0 and less than 1, not ${value}`);
    }
  }
  if (testFraction + validationFraction >= 1) {
    bad(
      'testFraction',
      `testFraction + validationFraction must be less than 1 so rows are left for training, not ${testFraction + validationFraction}`,
    );
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
