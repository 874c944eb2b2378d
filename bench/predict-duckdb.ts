/**
 * `neurules predict --engine duckdb` against `--engine compiled`, side by side in one run
 * on the same large CSV file (the German credit rows repeated, default 1 GB; 132 MB is
 * 1,000,000 records): wall time, records/s, CPU time and peak resident memory of each
 * `neurules predict` process, and a SHA-256 over every output line (which must be equal:
 * the engines write the same lines). DuckDB runs once per `--threads` value, to show how it
 * scales with cores (`× 1 thread`); the rounds interleave the runs, and the table gives
 * each run's median and the fastest and slowest round. The load average before and after
 * is printed: on a shared machine, other work slows some rounds.
 *
 *   npm run bench:predict-duckdb [-- --megabytes 1024 --threads 1,2 --rounds 1 --baseline DIR
 *     --baseline-name NAME]
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  cliTree,
  count,
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
    threads: { type: 'string', default: '1,2' },
    rounds: { type: 'string', default: '1' },
    baseline: { type: 'string' },
    'baseline-name': { type: 'string' },
  },
});

interface Result {
  label: string;
  seconds: number[];
  /** CPU seconds (user + system) of the child process, per round. */
  cpu: number[];
  records: number;
  peakMb: number[];
  sha256: string;
}

function sha256(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(8 * 1024 * 1024);
  try {
    for (let n; (n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0;) {
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/**
 * CPU seconds used by this process's waited-for children so far (Linux: `cutime` and
 * `cstime` of /proc/self/stat, in clock ticks of 1/100 s), or NaN elsewhere.
 */
function childCpuSeconds(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of the line; the list starts at field 3.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return NaN;
  }
}

const loadLine = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

function main(): void {
  const loadBefore = loadLine();
  const tree = cliTree('new', ROOT);
  const models = [
    '--models-dir',
    path.join(ROOT, 'models'),
    '--rules-dir',
    path.join(ROOT, 'rules'),
  ];
  withTempDir('neurules-predict-duckdb-', (dir) => {
    const big = writeLargeCsv(dir, Number(values.megabytes));
    const duckdb = (t: string) => ['--engine', 'duckdb', '--threads', t];
    const old = values.baseline === undefined ? undefined : cliTree('old', values.baseline);
    const runs = [
      { tree, label: '--engine compiled', args: ['--engine', 'compiled'] },
      ...values
        .threads!.split(',')
        .map((t) => ({ tree, label: duckdb(t).join(' '), args: duckdb(t) })),
      // The same runs of another checkout (`--baseline DIR`, built), e.g. before a change.
      ...(old
        ? values.threads!.split(',').map((t) => ({
            tree: old,
            label: `baseline ${values['baseline-name'] ?? old.commit}: ${duckdb(t).join(' ')}`,
            args: duckdb(t),
          }))
        : []),
    ];
    const results = new Map<string, Result>();
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const run of runs) {
        const output = path.join(dir, 'out.jsonl');
        const cpuBefore = childCpuSeconds();
        const child = runCliOk(run.tree, [
          'predict',
          '--model',
          'german-credit',
          '--input',
          big,
          '--output',
          output,
          ...run.args,
          ...models,
        ]);
        const cpu = childCpuSeconds() - cpuBefore;
        const summary = predictSummary(child.stderr);
        const checksum = sha256(output);
        fs.rmSync(output, { force: true });
        const r = results.get(run.label) ?? {
          label: run.label,
          seconds: [],
          cpu: [],
          records: summary.records,
          peakMb: [],
          sha256: checksum,
        };
        if (r.sha256 !== checksum || r.records !== summary.records) {
          throw new Error(`${run.label}: a different output in round ${round + 1}`);
        }
        r.seconds.push(child.seconds);
        r.cpu.push(cpu);
        r.peakMb.push(summary.peakMb);
        results.set(run.label, r);
        process.stderr.write(`round ${round + 1}: ${run.label} ${child.seconds.toFixed(1)} s\n`);
      }
    }
    const all = [...results.values()];
    const base = all[0]!;
    const rate = (r: Result) => r.records / median(r.seconds);
    const same = all.every((r) => r.sha256 === base.sha256);
    // The same checkout's DuckDB run on one thread.
    const oneThread = (r: Result) => results.get(r.label.replace(/--threads \d+$/, '--threads 1'));
    process.stdout.write(
      [
        `predict-duckdb bench: ${(fs.statSync(big).size / 1024 / 1024).toFixed(0)} MB of German credit rows, ${values.rounds} round(s); ${machineLine()}`,
        `load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadLine()}`,
        '',
        markdownTable(
          [
            'neurules predict',
            'records',
            'seconds',
            'fastest–slowest s',
            'records/s',
            '× compiled',
            '× 1 thread',
            'CPU s',
            'peak RSS MB',
            'SHA-256 of the output',
          ],
          'lrrrrrrrrl',
          all.map((r) => [
            r.label,
            count(r.records),
            median(r.seconds).toFixed(2),
            `${Math.min(...r.seconds).toFixed(2)}–${Math.max(...r.seconds).toFixed(2)}`,
            count(rate(r)),
            (rate(r) / rate(base)).toFixed(2),
            r.label.includes('duckdb') && oneThread(r)
              ? (rate(r) / rate(oneThread(r)!)).toFixed(2)
              : '',
            median(r.cpu).toFixed(2),
            median(r.peakMb).toFixed(0),
            r.sha256.slice(0, 16),
          ]),
        ),
        '',
        `outputs identical: ${same ? 'yes' : 'NO'}`,
        '',
      ].join('\n'),
    );
    if (!same) process.exitCode = 1;
  });
}

main();
