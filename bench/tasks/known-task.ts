/**
 * A task whose true logic is known: its columns, the generating function (record → class),
 * a training sample (labels possibly noisy), a noise-free test sample, and a uniform sample
 * of the input space on which recovery is measured. The MONK problems (monk.ts) and the
 * rule-defined tasks (rule-tasks.ts) both produce one; `writeTaskFiles` writes it as the CSV
 * files a user would hand to `build`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Random } from '../../src/random';

/** A numeric column: values in [min, max] with `decimals` decimals. */
export interface NumericColumn {
  name: string;
  type: 'numeric';
  min: number;
  max: number;
  decimals: number;
}

/** A categorical column and its levels. */
export interface CategoricalColumn {
  name: string;
  type: 'categorical';
  levels: string[];
}

/** A column of a known task. */
export type TaskColumn = NumericColumn | CategoricalColumn;

/** One record of a task: column name to value (numbers for numeric columns, levels otherwise). */
export type TaskRecord = Record<string, number | string>;

/** Records and their class labels. */
export interface LabelledRecords {
  records: TaskRecord[];
  labels: string[];
}

/** A task with known logic (see the file's comment). */
export interface KnownTask {
  /** Short id, also the model name (`monk1`, `gen-rare3`). */
  name: string;
  /** The generating logic in words, for the report. */
  logic: string;
  columns: TaskColumn[];
  /** Name of the class column (the last column of every file). */
  target: string;
  /** Every class the generating logic can answer. */
  classes: string[];
  /** The generating logic. */
  classify(record: TaskRecord): string;
  /** Training rows; their labels carry the label noise. */
  train: LabelledRecords;
  /** Test rows, labelled by `classify` (noise-free). */
  test: LabelledRecords;
  /** Records covering the input space uniformly, labelled by `classify`. */
  uniform: LabelledRecords;
  /** Share of training labels flipped to another class. */
  noise: number;
  /**
   * Column types to force in `build` (`BuildOptions.types`): set where the file's text
   * alone would be read otherwise (MONK's levels are digits).
   */
  types?: Record<string, 'numeric' | 'categorical'>;
}

/** Paths of the files {@link writeTaskFiles} wrote. */
export interface TaskFiles {
  train: string;
  test: string;
  uniform: string;
}

/**
 * Write the task's training, test and uniform samples as CSV files (header row, class last)
 * into `dir`: `train.csv`, `test.csv`, `uniform.csv`.
 */
export function writeTaskFiles(task: KnownTask, dir: string): TaskFiles {
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    train: path.join(dir, 'train.csv'),
    test: path.join(dir, 'test.csv'),
    uniform: path.join(dir, 'uniform.csv'),
  };
  for (const part of ['train', 'test', 'uniform'] as const)
    fs.writeFileSync(files[part], toCsv(task, task[part]));
  return files;
}

/** CSV text of labelled records: header row of the columns and the target, one row each. */
export function toCsv(task: KnownTask, data: LabelledRecords): string {
  const names = task.columns.map((c) => c.name);
  const lines = [[...names, task.target].join(',')];
  data.records.forEach((r, i) => {
    lines.push([...names.map((n) => cell(r[n])), cell(data.labels[i])].join(','));
  });
  return `${lines.join('\n')}\n`;
}

/** A value as a CSV field: the tasks' values are numbers and plain names, never quoted. */
function cell(value: number | string | undefined): string {
  if (value === undefined) throw new Error('a task record lacks a column');
  const text = String(value);
  // Refuse rather than quote: a level needing quotes would be a bug in a generator.
  if (!/^[\w.+-]+$/.test(text)) throw new Error(`unexpected CSV value '${text}'`);
  return text;
}

/**
 * Labels with exactly `Math.round(rate * labels.length)` of them, chosen at random without
 * replacement, replaced by another class drawn uniformly (symmetric label noise). An exact
 * count, not a per-row coin: MONK-3's 5% of 122 rows is its published 6 mislabelled rows.
 */
export function flipLabels(
  labels: readonly string[],
  classes: readonly string[],
  rate: number,
  rnd: Random,
): string[] {
  const flipped = [...labels];
  const count = Math.round(rate * labels.length);
  const order = rnd.shuffle(labels.map((_, i) => i));
  for (const i of order.slice(0, count)) {
    const others = classes.filter((c) => c !== labels[i]);
    flipped[i] = others[rnd.int(others.length)]!;
  }
  return flipped;
}
