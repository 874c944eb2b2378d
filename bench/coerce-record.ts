/**
 * Record checking bench: `coerceRecord` (a JSON object, as the service and JSONL read one)
 * and `coerceFields` (a CSV row) on the German credit schema and its 1000 records.
 *
 *   npm run bench:coerce-record    # the last line is `coerceRecord N ns, coerceFields N ns`
 *
 * Both turn raw values into a record of the schema's features; what they share, and what
 * this bench is for, is how that record object is made (one object literal per schema, see
 * `recordMaker` in src/data/coerce-record.ts). After a warm-up the two are timed in 10
 * interleaved rounds of 200,000 records each (the 1000 cycled), so that a shared machine's
 * drift reaches both alike; figures are medians over rounds.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModelFiles } from '../src/artifacts/model-store';
import { coerceFields, coerceRecord } from '../src/data/coerce-record';
import { readRecords } from '../src/data/read-records';

const ROOT = path.join(__dirname, '..', '..');
const ROUNDS = 10;
const PER_ROUND = 200_000;

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function main(): void {
  process.stdout.write(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, node ${process.version}\n\n`,
  );
  const loc = { modelsDir: path.join(ROOT, 'models'), rulesDir: path.join(ROOT, 'rules') };
  const { schema } = loadModelFiles({ ...loc, name: 'german-credit' });
  const { records } = readRecords(path.join(ROOT, 'data/german-credit.csv'), schema);
  const names = schema.features.map((f) => f.name);
  // As JSON bodies and CSV rows bring them: every value a string (null stays missing).
  const objects = records.map((r) =>
    Object.fromEntries(names.map((n) => [n, r[n] === null ? null : String(r[n])])),
  );
  const rows = records.map((r) => names.map((n) => (r[n] === null ? '' : String(r[n]))));
  const columns = names.map((_, j) => j);
  const n = records.length;
  let sink = 0;
  const tasks = [
    {
      name: 'coerceRecord',
      rounds: [] as number[],
      run: (count: number): void => {
        for (let i = 0; i < count; i++)
          sink += coerceRecord(schema, objects[i % n]!).issues.length + 1;
      },
    },
    {
      name: 'coerceFields',
      rounds: [] as number[],
      run: (count: number): void => {
        for (let i = 0; i < count; i++)
          sink += coerceFields(schema, rows[i % n]!, columns).issues.length + 1;
      },
    },
  ];
  for (const t of tasks) t.run(20_000);
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of tasks) {
      const start = process.hrtime.bigint();
      t.run(PER_ROUND);
      t.rounds.push(Number(process.hrtime.bigint() - start) / PER_ROUND);
    }
  }
  if (sink === 0) process.stdout.write('\n');
  process.stdout.write(
    '| function | records timed | ns/record (median) | rounds |\n|---|---:|---:|---|\n',
  );
  for (const t of tasks) {
    const range = `${Math.min(...t.rounds).toFixed(0)}–${Math.max(...t.rounds).toFixed(0)}`;
    process.stdout.write(
      `| ${t.name} | ${(PER_ROUND * ROUNDS).toLocaleString('en')} | ${median(t.rounds).toFixed(0)} | ${range} |\n`,
    );
  }
  process.stdout.write(
    `\n${tasks.map((t) => `${t.name} ${median(t.rounds).toFixed(0)} ns`).join(', ')}\n`,
  );
}

if (require.main === module) main();
