/**
 * Tree learner bench.
 *
 *   npm run bench:learner              # all parts; the last line is `ratio N` (ml-cart / neurules)
 *   npm run bench:learner -- --quick   # skips ml-cart's 16k fit (minutes) and the 1M row case
 *
 * 1. neurules' learner vs ml-cart on the same 16,000 rows × 10 numeric features, max depth 8,
 *    in one process (same data, same machine state); scikit-learn too when python3 with
 *    sklearn is installed (Debian: python3-sklearn), on the same rows.
 * 2. 200,000 rows × 20 mixed features (10 numeric, 10 categorical), 64 leaves, and a table of
 *    how time and peak memory grow from 10k to 1M rows. Each size runs in a fresh child
 *    process so its peak resident memory (maxRSS) is its own.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DecisionTreeClassifier } from 'ml-cart';
import { growTree } from '../src/distill/grow-tree';
import type { FeatureSpec, TrainingColumns } from '../src/distill/types';
import { createRandom } from '../src/random';

const args = process.argv.slice(2);
const quick = args.includes('--quick');

/** Numeric data with a non-linear two-class concept and 10% label noise. */
function numericData(
  rows: number,
  features: number,
  seed: number,
): { columns: Float64Array[]; labels: Int32Array } {
  const rnd = createRandom(seed);
  const columns = Array.from({ length: features }, () => new Float64Array(rows));
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < features; j++) columns[j]![i] = Math.round(rnd.normal() * 1000) / 100;
    const x = (j: number): number => columns[j % features]![i]!;
    const score = x(0) * x(1) + Math.sin(x(2)) * 3 + (x(3) > 2 ? 4 : 0) - x(4) + 0.5 * x(5) * x(6);
    labels[i] = score > 0 !== rnd.next() < 0.1 ? 1 : 0;
  }
  return { columns, labels };
}

/** Mixed data: 10 numeric and 10 categorical features (8 levels each), 3 classes, soft labels. */
function mixedData(rows: number, seed: number): TrainingColumns {
  const rnd = createRandom(seed);
  const features: FeatureSpec[] = [];
  const columns: (Float64Array | Int32Array)[] = [];
  const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  for (let j = 0; j < 10; j++) {
    features.push({ name: `x${j}`, type: 'numeric' });
    const col = new Float64Array(rows);
    for (let i = 0; i < rows; i++) col[i] = rnd.next() < 0.02 ? NaN : rnd.normal();
    columns.push(col);
  }
  for (let j = 0; j < 10; j++) {
    features.push({ name: `c${j}`, type: 'categorical', levels });
    const col = new Int32Array(rows);
    for (let i = 0; i < rows; i++) col[i] = rnd.next() < 0.02 ? -1 : rnd.int(levels.length);
    columns.push(col);
  }
  const K = 3;
  const targets = new Float64Array(rows * K);
  for (let i = 0; i < rows; i++) {
    const a = columns[0]![i]!;
    const b = columns[1]![i]!;
    const c = columns[10]![i]!;
    const logits = [
      (Number.isNaN(a) ? 0 : a) + (c < 3 ? 1 : 0),
      (Number.isNaN(b) ? 0 : b) * 1.5 - (c === 5 ? 1 : 0),
      0.3 * (columns[12]![i]! % 3) + rnd.normal() * 0.5,
    ];
    const m = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - m));
    const s = e.reduce((x, y) => x + y, 0);
    for (let k = 0; k < K; k++) targets[i * K + k] = e[k]! / s;
  }
  return { features, columns, targets, classes: ['p', 'q', 'r'] };
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Child mode: fit one mixed data set and print its time and peak memory as JSON. */
function runMixedCase(rows: number): void {
  const data = mixedData(rows, 7);
  const before = process.memoryUsage().rss;
  const times: number[] = [];
  for (let r = 0; r < (rows <= 200_000 ? 3 : 1); r++) {
    const t = process.hrtime.bigint();
    const tree = growTree(data, { maxLeaves: 64 });
    times.push(seconds(t));
    if (tree.nodes.filter((n) => !n.test).length !== 64) throw new Error('expected 64 leaves');
  }
  times.sort((a, b) => a - b);
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    JSON.stringify({
      rows,
      seconds: times[Math.floor(times.length / 2)],
      maxRssMb,
      dataMb: before / 1024 / 1024,
    }) + '\n',
  );
}

function sklearnTime(
  columns: Float64Array[],
  labels: Int32Array,
  params: string,
): { seconds: number; version: string } | undefined {
  // The Debian package installs into the system python, which may not be first on PATH.
  const python = ['python3', '/usr/bin/python3'].find(
    (p) => spawnSync(p, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0,
  );
  if (python === undefined) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-bench-'));
  const csv = path.join(dir, 'data.csv');
  const lines: string[] = [];
  for (let i = 0; i < labels.length; i++)
    lines.push([...columns.map((c) => c[i]), labels[i]].join(','));
  fs.writeFileSync(csv, lines.join('\n'));
  const script = `
import sys, time, numpy as np
from sklearn.tree import DecisionTreeClassifier
d = np.loadtxt(sys.argv[1], delimiter=',')
X, y = d[:, :-1], d[:, -1]
best = 1e9
for _ in range(3):
    t = time.perf_counter(); DecisionTreeClassifier(${params}, random_state=0).fit(X, y); best = min(best, time.perf_counter() - t)
import sklearn
print(best, sklearn.__version__)
`;
  const out = execFileSync(python, ['-c', script, csv], { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  const [seconds, version] = out.trim().split(' ');
  return { seconds: Number(seconds), version: version ?? '?' };
}

function main(): void {
  const caseArg = args.indexOf('--mixed-case');
  if (caseArg >= 0) return runMixedCase(Number(args[caseArg + 1]));

  process.stdout.write(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, node ${process.version}\n\n`,
  );

  // Part 2 first: it is quick, and the ml-cart fit below takes minutes.
  process.stdout.write(
    '## 20 mixed features (10 numeric, 10 categorical × 8 levels, 2% missing), 3 classes, soft labels, 64 leaves\n\n',
  );
  process.stdout.write('| rows | fit time (s) | peak RSS (MB) |\n|---:|---:|---:|\n');
  const sizes = quick
    ? [10_000, 50_000, 100_000, 200_000]
    : [10_000, 50_000, 100_000, 200_000, 500_000, 1_000_000];
  for (const rows of sizes) {
    const child = spawnSync(process.execPath, [__filename, '--mixed-case', String(rows)], {
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(child.stderr);
    const r = JSON.parse(child.stdout) as { seconds: number; maxRssMb: number };
    process.stdout.write(
      `| ${rows.toLocaleString('en')} | ${r.seconds.toFixed(3)} | ${r.maxRssMb.toFixed(0)} |\n`,
    );
  }

  process.stdout.write(
    '\n## 16,000 rows × 10 numeric features, 2 classes, max depth 8 (same data, same process)\n\n',
  );
  const { columns, labels } = numericData(16_000, 10, 1);
  const features: FeatureSpec[] = columns.map((_, j) => ({ name: `x${j}`, type: 'numeric' }));
  const targets = new Float64Array(labels.length * 2);
  labels.forEach((y, i) => (targets[i * 2 + y] = 1));
  const data: TrainingColumns = { features, columns, targets, classes: ['no', 'yes'] };
  const ours: number[] = [];
  let leaves = 0;
  for (let r = 0; r < 3; r++) growTree(data, { maxDepth: 8, maxLeaves: 256, minSamplesLeaf: 1 }); // warm-up (JIT)
  for (let r = 0; r < 7; r++) {
    const t = process.hrtime.bigint();
    const tree = growTree(data, { maxDepth: 8, maxLeaves: 256, minSamplesLeaf: 1 });
    ours.push(seconds(t));
    leaves = tree.nodes.filter((n) => !n.test).length;
  }
  ours.sort((a, b) => a - b);
  const oursTime = ours[3]!;
  process.stdout.write(
    `neurules: ${oursTime.toFixed(4)} s (median of 7 after 3 warm-up fits), ${leaves} leaves\n`,
  );

  const sk = sklearnTime(columns, labels, 'max_depth=8');
  if (sk !== undefined)
    process.stdout.write(
      `scikit-learn ${sk.version}: ${sk.seconds.toFixed(4)} s (best of 3), ratio ${(sk.seconds / oursTime).toFixed(2)} (scikit-learn / neurules)\n`,
    );
  else
    process.stdout.write(
      'scikit-learn: not installed (apt-get install python3-sklearn to compare)\n',
    );

  {
    process.stdout.write(
      '\n## 200,000 rows × 20 numeric features, 2 classes, 64 leaves (same data, same process)\n\n',
    );
    const big = numericData(200_000, 20, 2);
    const bigTargets = new Float64Array(big.labels.length * 2);
    big.labels.forEach((y, i) => (bigTargets[i * 2 + y] = 1));
    const bigData: TrainingColumns = {
      features: big.columns.map((_, j) => ({ name: `x${j}`, type: 'numeric' as const })),
      columns: big.columns,
      targets: bigTargets,
      classes: ['no', 'yes'],
    };
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = process.hrtime.bigint();
      growTree(bigData, { maxLeaves: 64 });
      times.push(seconds(t0));
    }
    const oursBig = Math.min(...times);
    process.stdout.write(`neurules: ${oursBig.toFixed(3)} s (best of 3)\n`);
    const skBig = sklearnTime(big.columns, big.labels, 'max_leaf_nodes=64');
    if (skBig !== undefined)
      process.stdout.write(
        `scikit-learn ${skBig.version}: ${skBig.seconds.toFixed(3)} s (best of 3), ratio ${(skBig.seconds / oursBig).toFixed(2)}\n`,
      );
    process.stdout.write('\n');
  }
  if (quick) {
    process.stdout.write('ml-cart: skipped (--quick)\n');
    return;
  }
  const rows: number[][] = Array.from({ length: labels.length }, (_, i) =>
    columns.map((c) => c[i]!),
  );
  const t = process.hrtime.bigint();
  const cart = new DecisionTreeClassifier({ maxDepth: 8 });
  cart.train(rows, Array.from(labels));
  const cartTime = seconds(t);
  process.stdout.write(`ml-cart: ${cartTime.toFixed(1)} s (one fit)\n`);
  process.stdout.write(`ratio ${Math.round(cartTime / oursTime)}\n`);
}

main();
