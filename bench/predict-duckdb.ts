/**
 * `neurules predict --engine duckdb` against `--engine compiled`, side by side in one run
 * on the same large CSV file (the German credit rows repeated, default 1 GB): wall time,
 * records/s and peak resident memory of each `neurules predict` process, and a SHA-256
 * over every output line (which must be equal: the engines write the same lines). DuckDB
 * runs once per `--threads` value, to show how it scales with cores; the rounds
 * interleave the runs, and the table gives each run's median.
 *
 *   npm run bench:predict-duckdb [-- --megabytes 1024 --threads 1,2 --rounds 1]
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
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
  },
});

interface Result {
  label: string;
  seconds: number[];
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

function main(): void {
  const tree = cliTree('new', ROOT);
  const models = [
    '--models-dir',
    path.join(ROOT, 'models'),
    '--rules-dir',
    path.join(ROOT, 'rules'),
  ];
  withTempDir('neurules-predict-duckdb-', (dir) => {
    const big = writeLargeCsv(dir, Number(values.megabytes));
    const runs = [
      { label: '--engine compiled', args: ['--engine', 'compiled'] },
      ...values.threads!.split(',').map((t) => ({
        label: `--engine duckdb --threads ${t}`,
        args: ['--engine', 'duckdb', '--threads', t],
      })),
    ];
    const results = new Map<string, Result>();
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const run of runs) {
        const output = path.join(dir, 'out.jsonl');
        const child = runCliOk(tree, [
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
        const summary = predictSummary(child.stderr);
        const checksum = sha256(output);
        fs.rmSync(output, { force: true });
        const r = results.get(run.label) ?? {
          label: run.label,
          seconds: [],
          records: summary.records,
          peakMb: [],
          sha256: checksum,
        };
        if (r.sha256 !== checksum || r.records !== summary.records) {
          throw new Error(`${run.label}: a different output in round ${round + 1}`);
        }
        r.seconds.push(child.seconds);
        r.peakMb.push(summary.peakMb);
        results.set(run.label, r);
        process.stderr.write(`round ${round + 1}: ${run.label} ${child.seconds.toFixed(1)} s\n`);
      }
    }
    const all = [...results.values()];
    const base = all[0]!;
    const rate = (r: Result) => r.records / median(r.seconds);
    const same = all.every((r) => r.sha256 === base.sha256);
    process.stdout.write(
      [
        `predict-duckdb bench: ${(fs.statSync(big).size / 1024 / 1024).toFixed(0)} MB of German credit rows, ${values.rounds} round(s); ${machineLine()}`,
        '',
        markdownTable(
          [
            'neurules predict',
            'records',
            'seconds',
            'records/s',
            '× compiled',
            'peak RSS MB',
            'SHA-256 of the output',
          ],
          'lrrrrrl',
          all.map((r) => [
            r.label,
            count(r.records),
            median(r.seconds).toFixed(1),
            count(rate(r)),
            (rate(r) / rate(base)).toFixed(2),
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
