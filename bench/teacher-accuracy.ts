/**
 * Teacher accuracy bench: held-out test accuracy and training time of the teacher
 * network on the bundled data sets, with a stratified 70/30 train/test split (15% of the
 * whole carved from the 70% as validation) over seeds 1..5 (or 1..`seeds`).
 *
 * Targets (a scikit-learn MLPClassifier(64, 32) peer on the same split):
 * german-credit 0.739, iris 0.969, breast-cancer-wisconsin 0.960.
 *
 * No TypeScript runner is installed, so compile and run:
 *
 * ```sh
 * npx tsc -p tsconfig.json --outDir /tmp/neurules-bench
 * NODE_PATH=$PWD/node_modules node /tmp/neurules-bench/bench/teacher-accuracy.js [backend] [options-json] [seeds]
 * ```
 *
 * Run it from the project root (it reads `data/*.csv`). It reads the CSVs with a few lines of its own so it does not depend on the data
 * stage; the schema (mean, std, levels) is inferred from all rows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { DataRecord, Feature, Schema, Table } from '../src/data/types';
import { createRandom } from '../src/random';
import { selectBackend, trainTeacher, type BackendChoice, type TrainOptions } from '../src/teacher';

const DATA_SETS = ['german-credit', 'iris', 'breast-cancer-wisconsin'];
const TARGETS: Record<string, number> = {
  'german-credit': 0.739,
  iris: 0.969,
  'breast-cancer-wisconsin': 0.96,
};

/** Read a CSV whose last column is the class into a Table (empty or `?` is missing). */
export function readTable(file: string): Table {
  const rows = parse(fs.readFileSync(file, 'utf8'), { skip_empty_lines: true }) as string[][];
  const header = rows[0] as string[];
  const body = rows.slice(1);
  const targetIndex = header.length - 1;
  const isMissing = (v: string): boolean => v.trim() === '' || v.trim() === '?';
  const features: Feature[] = header.slice(0, targetIndex).map((name, j) => {
    const values = body.map((r) => r[j] as string);
    const present = values.filter((v) => !isMissing(v));
    const missing = values.length - present.length;
    if (present.every((v) => Number.isFinite(Number(v)))) {
      const xs = present.map(Number);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      return {
        name,
        type: 'numeric',
        min: Math.min(...xs),
        max: Math.max(...xs),
        mean,
        std,
        integer: xs.every(Number.isInteger),
        missing,
      };
    }
    return { name, type: 'categorical', levels: [...new Set(present)], missing };
  });
  const classes = [...new Set(body.map((r) => r[targetIndex] as string))];
  const schema: Schema = {
    format: 'neurules.schema',
    version: 1,
    target: header[targetIndex] as string,
    features,
    classes,
    rows: body.length,
  };
  const records = body.map((r) => {
    const record: DataRecord = {};
    features.forEach((f, j) => {
      const v = r[j] as string;
      record[f.name] = isMissing(v) ? null : f.type === 'numeric' ? Number(v) : v;
    });
    return record;
  });
  return {
    schema,
    records,
    labels: body.map((r) => classes.indexOf(r[targetIndex] as string)),
    lines: body.map((_, i) => i + 2),
  };
}

/** Stratified split: per class, 30% test, 15% validation, the rest train. */
export function split(
  table: Table,
  seed: number,
): { train: Table; validation: Table; test: Table } {
  const rng = createRandom(seed);
  const parts = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  table.schema.classes.forEach((_, c) => {
    const idx = rng.shuffle(table.labels.flatMap((l, i) => (l === c ? [i] : [])));
    const nTest = Math.round(idx.length * 0.3);
    const nVal = Math.round(idx.length * 0.15);
    parts.test.push(...idx.slice(0, nTest));
    parts.validation.push(...idx.slice(nTest, nTest + nVal));
    parts.train.push(...idx.slice(nTest + nVal));
  });
  const pick = (ids: number[]): Table => ({
    schema: table.schema,
    records: ids.map((i) => table.records[i] as DataRecord),
    labels: ids.map((i) => table.labels[i] as number),
    lines: ids.map((i) => table.lines[i] as number),
  });
  return { train: pick(parts.train), validation: pick(parts.validation), test: pick(parts.test) };
}

async function main(): Promise<void> {
  const choice = (process.argv[2] ?? 'auto') as BackendChoice;
  const overrides = JSON.parse(process.argv[3] ?? '{}') as TrainOptions;
  const seeds = Array.from({ length: Number(process.argv[4] ?? 5) }, (_, i) => i + 1);
  const backend = await selectBackend(choice);
  console.log(`backend ${backend.name}; options ${JSON.stringify(overrides)}`);
  for (const name of DATA_SETS) {
    const table = readTable(path.resolve('data', `${name}.csv`));
    const accuracies: number[] = [];
    const seconds: number[] = [];
    const epochs: number[] = [];
    for (const seed of seeds) {
      const { train, validation, test } = split(table, seed);
      const started = Date.now();
      const teacher = await trainTeacher(train, validation, { ...overrides, seed });
      seconds.push((Date.now() - started) / 1000);
      const predicted = teacher.predict(test.records);
      accuracies.push(
        predicted.filter((p, i) => p === test.labels[i]).length / test.records.length,
      );
      epochs.push(teacher.summary.bestEpoch);
      teacher.dispose();
    }
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const acc = mean(accuracies);
    console.log(
      `${name.padEnd(24)} accuracy ${acc.toFixed(3)} (target ${TARGETS[name]}, ${acc >= (TARGETS[name] ?? 0) ? 'met' : 'MISSED'})` +
        `  per seed ${accuracies.map((a) => a.toFixed(3)).join(' ')}` +
        `  train ${mean(seconds).toFixed(2)} s/seed  best epochs ${epochs.join(' ')}`,
    );
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
