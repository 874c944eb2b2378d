import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { DataRecord, NumericFeature, Schema, Table } from '../../src/data/types';
import { createRandom } from '../../src/random';

/**
 * Read data/iris.csv into a Table with a few lines of test code, so the teacher tests do
 * not depend on the data stage. Every feature is numeric; mean and std over all rows.
 */
export function readIris(): Table {
  const file = path.join(__dirname, '..', '..', 'data', 'iris.csv');
  const rows = parse(fs.readFileSync(file, 'utf8'), { skip_empty_lines: true }) as string[][];
  const header = rows[0] as string[];
  const body = rows.slice(1);
  const names = header.slice(0, -1);
  const features = names.map((name, j): NumericFeature => {
    const xs = body.map((r) => Number(r[j]));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    const integer = xs.every(Number.isInteger);
    return {
      name,
      type: 'numeric',
      min: Math.min(...xs),
      max: Math.max(...xs),
      mean,
      std,
      integer,
      missing: 0,
    };
  });
  const classes = [...new Set(body.map((r) => r[names.length] as string))];
  const schema: Schema = {
    format: 'neurules.schema',
    version: 1,
    target: header[names.length] as string,
    features,
    classes,
    rows: body.length,
  };
  const records = body.map(
    (r) => Object.fromEntries(names.map((n, j) => [n, Number(r[j])])) as DataRecord,
  );
  return {
    schema,
    records,
    labels: body.map((r) => classes.indexOf(r[names.length] as string)),
    lines: body.map((_, i) => i + 2),
  };
}

/** A seeded stratified split into train / validation / test (60 / 20 / 20). */
export function splitTable(
  table: Table,
  seed: number,
): { train: Table; validation: Table; test: Table } {
  const rng = createRandom(seed);
  const parts: [number[], number[], number[]] = [[], [], []];
  table.schema.classes.forEach((_, c) => {
    const idx = rng.shuffle(table.labels.flatMap((l, i) => (l === c ? [i] : [])));
    const nTest = Math.round(idx.length * 0.2);
    parts[2].push(...idx.slice(0, nTest));
    parts[1].push(...idx.slice(nTest, 2 * nTest));
    parts[0].push(...idx.slice(2 * nTest));
  });
  const pick = (ids: number[]): Table => ({
    schema: table.schema,
    records: ids.map((i) => table.records[i] as DataRecord),
    labels: ids.map((i) => table.labels[i] as number),
    lines: ids.map((i) => table.lines[i] as number),
  });
  return { train: pick(parts[0]), validation: pick(parts[1]), test: pick(parts[2]) };
}
