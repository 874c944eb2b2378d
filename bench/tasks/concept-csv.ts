/**
 * The CSV file of a perception task, as a user hands it to `build --concept`: the concept's
 * label column first, then its raw input columns `<prefix>0..<prefix>{N-1}` (an image's
 * pixels, a signal's samples), then the decision's other columns. Digits (digits.ts),
 * parcels (parcels.ts) and machines (machines.ts) all write theirs with it.
 */
import { writeFileAtomic } from '../../src/files/write-atomic';

/** A cell: a number or a plain name, written as it is (never quoted). */
export type CsvValue = number | string;

/** What {@link writeConceptCsv} writes. */
export interface ConceptCsv {
  /** Name of the label column, the first one (also the concept's name). */
  label: string;
  /** The concept's class of each row. */
  labels: readonly CsvValue[];
  /** Prefix of the raw input columns, `px_` for `px_0,px_1,...`. */
  prefix: string;
  /** Raw input columns per row. */
  inputCount: number;
  /** One row of `inputCount` raw inputs per label. */
  inputs: readonly ArrayLike<number>[];
  /** Columns after the raw inputs, in this order, one value per row. @defaultValue none */
  extra?: Readonly<Record<string, readonly CsvValue[]>>;
}

/** The header of a concept CSV: the label, `<prefix>0..<prefix>{N-1}`, then the extras. */
export function conceptCsvHeader(
  label: string,
  prefix: string,
  inputCount: number,
  extra: readonly string[] = [],
): string[] {
  return [label, ...Array.from({ length: inputCount }, (_, i) => `${prefix}${i}`), ...extra];
}

/** A value CSV needs no quotes for: a number or a plain name. */
const PLAIN = /^[\w.+-]+$/;

/**
 * Write a concept CSV (atomically: a temporary file, then a rename): the header, then one
 * row per label. Refuses a column whose length is not the labels' count, an input row of
 * the wrong length or with a value that is not a finite number, and a value that would
 * need quoting.
 *
 * @example
 * ```ts
 * writeConceptCsv('signals.csv', {
 *   label: 'fault', labels: ['none', 'bearing'], prefix: 'v_', inputCount: 3,
 *   inputs: [[0.1, -0.2, 0], [1.5, 0.3, -0.7]], extra: { hours: [120, 4100] },
 * });
 * ```
 */
export function writeConceptCsv(file: string, table: ConceptCsv): void {
  const { label, labels, prefix, inputCount, inputs, extra = {} } = table;
  const names = Object.keys(extra);
  const columns: [string, readonly CsvValue[]][] = [
    [label, labels],
    ...names.map((n): [string, readonly CsvValue[]] => [n, extra[n]!]),
  ];
  for (const [name, values] of columns) {
    if (values.length !== labels.length)
      throw new Error(`column '${name}' has ${values.length} values for ${labels.length} rows`);
    const bad = values.find((v) => !PLAIN.test(String(v)));
    if (bad !== undefined) throw new Error(`unexpected CSV value '${bad}' in column '${name}'`);
  }
  if (inputs.length !== labels.length)
    throw new Error(`${inputs.length} rows of inputs for ${labels.length} labels`);
  inputs.forEach((row, i) => {
    if (row.length !== inputCount)
      throw new Error(`input row ${i} has ${row.length} values, expected ${inputCount}`);
    if (!Array.prototype.every.call(row, Number.isFinite))
      throw new Error(`input row ${i} holds a value that is not a finite number`);
  });

  const lines = [conceptCsvHeader(label, prefix, inputCount, names).join(',')];
  labels.forEach((value, i) => {
    const cells = [
      String(value),
      ...Array.from(inputs[i]!, String),
      ...names.map((n) => String(extra[n]![i])),
    ];
    lines.push(cells.join(','));
  });
  writeFileAtomic(file, `${lines.join('\n')}\n`);
}
