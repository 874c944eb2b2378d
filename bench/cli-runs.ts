/**
 * What the benches that time the `neurules` command line as child processes share
 * (cold-start, predict-engines, predict-stream): the machine line, the CLI trees to compare
 * (this checkout, and with `--baseline DIR` another one, e.g. the commit before a change),
 * timed runs of `node ARGS`, interleaved rounds, quantiles, Markdown tables and the German
 * credit inputs made larger.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { createRandom } from '../src/random';

/** This checkout (the scripts run from build/bench/). */
export const ROOT = path.join(__dirname, '..', '..');

/** `machine: CPU, N cores, node vX`, as every bench prints it first. */
export function machineLine(): string {
  const cpus = os.cpus();
  return `machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, node ${process.version}`;
}

/** A checkout whose `bin/neurules.js` is run: this one ('new') or a baseline ('old'). */
export interface CliTree {
  label: 'new' | 'old';
  root: string;
  bin: string;
  /** Its commit, with `+changes` when src/ differs from it. */
  commit: string;
}

function git(root: string, args: string[]): string | undefined {
  const r = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** A checkout to run, checked to have a built CLI (bin/neurules.js and dist/cli/main.js). */
export function cliTree(label: CliTree['label'], dir: string): CliTree {
  const root = path.resolve(dir);
  const bin = path.join(root, 'bin', 'neurules.js');
  for (const file of [bin, path.join(root, 'dist', 'cli', 'main.js')]) {
    if (!fs.existsSync(file)) {
      throw new Error(`${file} does not exist: run 'npm ci' (or 'npm run build') in ${root}`);
    }
  }
  const head = git(root, ['rev-parse', '--short', 'HEAD']) ?? 'unknown commit';
  const changed = git(root, ['status', '--porcelain', '--untracked-files=all', '--', 'src']);
  return { label, root, bin, commit: changed ? `${head}+changes` : head };
}

/** The options of a bench that times CLI runs: `--runs N`, `--warmup N`, `--baseline DIR`. */
export function runOptions(runs: number, warmup: number) {
  return {
    runs: { type: 'string', default: String(runs) },
    warmup: { type: 'string', default: String(warmup) },
    baseline: { type: 'string' },
  } as const;
}

/** This checkout, and the one `--baseline DIR` names (if any). */
export function cliTrees(baseline: string | undefined): CliTree[] {
  const trees = [cliTree('new', ROOT)];
  if (baseline !== undefined) trees.push(cliTree('old', baseline));
  return trees;
}

/** `new = ROOT (commit)`, one line per tree. */
export function describeTrees(trees: readonly CliTree[]): string {
  return trees.map((t) => `${t.label} = ${t.root} (${t.commit})`).join('\n');
}

/** One finished child process. */
export interface NodeRun {
  /** Wall time from spawn to exit. */
  seconds: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node ARGS` (this Node) in `cwd`, wall-timed, with its output captured. */
export function runNode(
  args: readonly string[],
  options: { cwd?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): NodeRun {
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (child.error) throw child.error;
  return { seconds, status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** Run `neurules ARGS` of a tree in its root (so `models/` and `rules/` are its own). */
export function runCli(tree: CliTree, args: readonly string[]): NodeRun {
  return runNode([tree.bin, ...args], { cwd: tree.root });
}

/** {@link runCli}, throwing with the child's standard error when it fails. */
export function runCliOk(tree: CliTree, args: readonly string[]): NodeRun {
  const run = runCli(tree, args);
  if (run.status !== 0) {
    throw new Error(
      `${tree.label}: neurules ${args.join(' ')} exited ${run.status}: ${run.stderr}`,
    );
  }
  return run;
}

/**
 * Run every case `rounds` times, round-robin, the starting case moved on by one each round,
 * after `warmup` untimed rounds (file cache, disk), so that a shared machine's drift reaches
 * every case alike. `once` returns the seconds to record; the result is one list per case.
 */
export function interleave<T>(
  cases: readonly T[],
  rounds: number,
  warmup: number,
  once: (c: T) => number,
): number[][] {
  const times = cases.map((): number[] => []);
  for (let round = -warmup; round < rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (k + Math.max(round, 0)) % cases.length;
      const t = once(cases[i]!);
      if (round >= 0) times[i]!.push(t);
    }
  }
  return times;
}

/** The q-quantile of `xs` (linear between the closest ranks). */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (at - lo);
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** A Markdown table; `align` has one letter per column, `l` or `r`. */
export function markdownTable(head: readonly string[], align: string, rows: string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const rule = `|${[...align].map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`;
  return [line(head), rule, ...rows.map(line)].join('\n');
}

/** A whole number with thousands separators. */
export const count = (n: number): string => Math.round(n).toLocaleString('en');

/** `neurules predict` summary line: the records, the in-process seconds and the peak memory. */
export function predictSummary(stderr: string): {
  records: number;
  seconds: number;
  peakMb: number;
  line: string;
} {
  const line = /^predicted .*$/m.exec(stderr)?.[0] ?? '';
  const num = (re: RegExp) => Number(re.exec(line)?.[1] ?? NaN);
  return {
    records: num(/predicted (\d+) records/),
    seconds: num(/ in ([\d.]+) s/),
    peakMb: num(/peak memory (\d+) MB/),
    line,
  };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * The rows of data/german-credit.csv repeated to `rows` rows, written to DIR/NAME.csv and
 * DIR/NAME.jsonl (numbers as JSON numbers, the class column kept). The first copy is the file
 * as it is; in later copies each numeric column moves by up to ±10% (seeded, rounded as
 * the column is), so that the records and their decisions vary.
 */
export function germanCreditInputs(
  dir: string,
  rows: number,
  name = `german-credit-${rows}`,
): { csv: string; jsonl: string } {
  const [header, ...source] = parse(fs.readFileSync(path.join(ROOT, 'data', 'german-credit.csv')), {
    trim: true,
    skip_empty_lines: true,
  }) as string[][];
  const numeric = header!.map((_, j) => source.every((r) => r[j] !== '' && !isNaN(Number(r[j]))));
  const integer = header!.map((_, j) => numeric[j] && source.every((r) => /^-?\d+$/.test(r[j]!)));
  const rnd = createRandom(rows);
  const csv: string[] = [header!.map(csvField).join(',')];
  const jsonl: string[] = [];
  for (let i = 0; i < rows; i++) {
    const row = source[i % source.length]!;
    const values = row.map((text, j): string | number => {
      if (!numeric[j]) return text;
      const factor = i < source.length ? 1 : 0.9 + 0.2 * rnd.next();
      const v = Number(text) * factor;
      return integer[j] ? Math.max(1, Math.round(v)) : Math.round(v * 1000) / 1000;
    });
    csv.push(values.map((v) => csvField(String(v))).join(','));
    jsonl.push(JSON.stringify(Object.fromEntries(header!.map((h, j) => [h, values[j]]))));
  }
  const files = { csv: path.join(dir, `${name}.csv`), jsonl: path.join(dir, `${name}.jsonl`) };
  fs.writeFileSync(files.csv, csv.join('\n') + '\n');
  fs.writeFileSync(files.jsonl, jsonl.join('\n') + '\n');
  return files;
}

/** A fresh temporary directory, removed after `body` (even when it throws). */
export function withTempDir<T>(prefix: string, body: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    return body(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The German credit rows repeated to about `megabytes` MB, in `dir`. */
export function writeLargeCsv(dir: string, megabytes: number): string {
  const source = fs
    .readFileSync(path.join(ROOT, 'data', 'german-credit.csv'), 'utf8')
    .trim()
    .split('\n');
  const header = source[0]!;
  const body = source.slice(1).join('\n') + '\n';
  const big = path.join(dir, 'big.csv');
  const target = megabytes * 1024 * 1024;
  const fd = fs.openSync(big, 'w');
  fs.writeSync(fd, header + '\n');
  let size = header.length + 1;
  const chunk = body.repeat(50);
  while (size < target) {
    fs.writeSync(fd, chunk);
    size += Buffer.byteLength(chunk);
  }
  fs.closeSync(fd);
  return big;
}
