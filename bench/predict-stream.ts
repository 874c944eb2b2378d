/**
 * Streaming prediction bench: writes a large CSV (the German credit rows repeated, default
 * 1 GB) to a temporary directory, runs `neurules predict` on it as a child process with
 * output to a file, and reports records/s and the child's peak resident memory (maxRSS),
 * next to the same run on the 1,000-row file: equal peaks mean constant memory.
 *
 *   npm run bench:predict [-- --megabytes 1024]
 *   npm run bench:predict -- --baseline DIR [--rounds 1]
 *
 * With `--baseline DIR` (a checkout with its own `npm ci`, e.g. the commit before a change)
 * DIR/bin/neurules.js and this checkout's run the same files, alternating (the order swapped
 * each round), and the records/s of each and their ratio (new / old) are reported; with
 * `--rounds N` each runs N times on the large file and the medians are reported.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  cliTree,
  cliTrees,
  type CliTree,
  count,
  describeTrees,
  interleave,
  machineLine,
  markdownTable,
  median,
  predictSummary,
  ROOT,
  runCliOk,
  withTempDir,
  writeLargeCsv,
} from './cli-runs';

const { values } = parseArgs({
  options: {
    megabytes: { type: 'string', default: '1024' },
    baseline: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
});

interface StreamRun {
  seconds: number;
  rows: number;
  maxRssMb: number;
  stderr: string;
}

function run(tree: CliTree, input: string, output: string): StreamRun {
  const child = runCliOk(tree, [
    'predict',
    '--model',
    'german-credit',
    '--input',
    input,
    '--output',
    output,
    '--models-dir',
    path.join(tree.root, 'models'),
    '--rules-dir',
    path.join(tree.root, 'rules'),
  ]);
  // The summary line states the process's own peak resident memory.
  const summary = predictSummary(child.stderr);
  return {
    seconds: child.seconds,
    rows: summary.records,
    maxRssMb: summary.peakMb,
    stderr: child.stderr.trim(),
  };
}

const recordsPerSecond = (r: { rows: number; seconds: number }) => r.rows / r.seconds;

/** Today's report: this checkout alone. */
function single(dir: string, big: string): void {
  const tree = cliTree('new', ROOT);
  const small = run(
    tree,
    path.join(ROOT, 'data', 'german-credit.csv'),
    path.join(dir, 'small.jsonl'),
  );
  const large = run(tree, big, path.join(dir, 'big.jsonl'));
  const rows = large.rows;
  process.stdout.write(
    [
      `streaming predict bench (compiled engine), machine ${os.cpus()[0]?.model ?? '?'}, node ${process.version}`,
      '',
      '| input | rows | time (s) | records/s | peak RSS (MB) |',
      '|---|---:|---:|---:|---:|',
      `| german-credit.csv (137 KB) | 1,000 | ${small.seconds.toFixed(1)} | ${(1000 / small.seconds).toFixed(0)} | ${small.maxRssMb.toFixed(0)} |`,
      `| repeated (${(fs.statSync(big).size / 1024 / 1024).toFixed(0)} MB) | ${Math.round(rows).toLocaleString('en')} | ${large.seconds.toFixed(1)} | ${(rows / large.seconds).toFixed(0)} | ${large.maxRssMb.toFixed(0)} |`,
      '',
      `last summary: ${large.stderr.split('\n').pop()}`,
      '',
    ].join('\n'),
  );
}

/** Old and new side by side, alternating on the same files. */
function sideBySide(dir: string, big: string, baseline: string): void {
  const trees = cliTrees(baseline);
  const rounds = Number(values.rounds);
  const small = path.join(ROOT, 'data', 'german-credit.csv');
  const runs = trees.map((): { small: StreamRun[]; large: StreamRun[] } => ({
    small: [],
    large: [],
  }));
  interleave(trees, 1, 0, (t) => {
    runs[trees.indexOf(t)]!.small.push(run(t, small, path.join(dir, `small-${t.label}.jsonl`)));
    return 0;
  });
  interleave(trees, rounds, 0, (t) => {
    const r = run(t, big, path.join(dir, `big-${t.label}.jsonl`));
    fs.rmSync(path.join(dir, `big-${t.label}.jsonl`), { force: true });
    runs[trees.indexOf(t)]!.large.push(r);
    return r.seconds;
  });
  const megabytes = (fs.statSync(big).size / 1024 / 1024).toFixed(0);
  const rows: string[][] = [];
  for (const [i, t] of trees.entries()) {
    const s = runs[i]!.small[0]!;
    rows.push([
      t.label,
      'german-credit.csv (137 KB)',
      count(s.rows),
      s.seconds.toFixed(1),
      count(recordsPerSecond(s)),
      s.maxRssMb.toFixed(0),
    ]);
  }
  for (const [i, t] of trees.entries()) {
    const large = runs[i]!.large;
    rows.push([
      t.label,
      `repeated (${megabytes} MB)`,
      count(large[0]!.rows),
      median(large.map((r) => r.seconds)).toFixed(1),
      count(median(large.map(recordsPerSecond))),
      median(large.map((r) => r.maxRssMb)).toFixed(0),
    ]);
  }
  const [newer, older] = runs.map((r) => r.large.map(recordsPerSecond));
  const perRound = newer!.map((x, k) => (x / older![k]!).toFixed(2)).join(', ');
  process.stdout.write(
    [
      `streaming predict bench, old vs new (compiled engine), ${rounds} round(s) on the large file, alternating (order swapped each round)`,
      machineLine(),
      describeTrees(trees),
      `command: neurules predict --model german-credit --input big.csv|german-credit.csv --output FILE (each CLI in its own root, on its own models/ and rules/)`,
      '',
      markdownTable(
        ['CLI', 'input', 'rows', 'time (s)', 'records/s', 'peak RSS (MB)'],
        'llrrrr',
        rows,
      ),
      '',
      `new / old records/s on the large file: ${(median(newer!) / median(older!)).toFixed(2)}× (per round: ${perRound}; target ≥ 2×)`,
      ...trees.map(
        (t, i) => `last summary, ${t.label}: ${runs[i]!.large.at(-1)!.stderr.split('\n').pop()}`,
      ),
      '',
    ].join('\n'),
  );
}

function main(): void {
  withTempDir('neurules-stream-', (dir) => {
    const big = writeLargeCsv(dir, Number(values.megabytes));
    if (values.baseline === undefined) single(dir, big);
    else sideBySide(dir, big, values.baseline);
  });
}

main();
