/**
 * The SQL export in DuckDB against `neurules predict --engine compiled`, side by side on
 * the same large CSV (the German credit rows repeated, default 1 GB): records/s, peak
 * resident memory, and the class counts of each (which must be equal).
 *
 * - compiled: `neurules predict` writing its JSON lines to a file (a child process);
 * - DuckDB: a child Node process with embedded DuckDB (`@duckdb/node-api`) running
 *   `neurules export --format sql --dialect duckdb` over a view of `read_csv(…, all_varchar)`
 *   and writing `neurules_rule, neurules_class` per record to a CSV file with COPY, once
 *   per `--threads` value.
 *
 * This is what `predict --engine duckdb` (issue 14, part 2) would build on; it is not that
 * engine: no rejected-row lines, no probabilities in the output.
 *
 *   npm run bench:sql-duckdb [-- --megabytes 1024 --threads 1,2]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  cliTree,
  count,
  machineLine,
  markdownTable,
  predictSummary,
  ROOT,
  runCliOk,
  runNode,
  withTempDir,
  writeLargeCsv,
} from './cli-runs';

const { values } = parseArgs({
  options: {
    megabytes: { type: 'string', default: '1024' },
    threads: { type: 'string', default: '1,2' },
  },
});

// The DuckDB side, run as its own process so that its time and memory are its own.
const DUCKDB_SCRIPT = `
const { DuckDBInstance } = require(process.argv[2]);
const fs = require('fs');
(async () => {
  const [, , , sqlFile, input, output, threads] = process.argv;
  const started = process.hrtime.bigint();
  const db = await DuckDBInstance.create(':memory:', { threads });
  const c = await db.connect();
  const quote = (s) => "'" + s.replace(/'/g, "''") + "'";
  await c.run('CREATE VIEW records AS SELECT * FROM read_csv(' + quote(input) + ', header = true, all_varchar = true)');
  const query = fs.readFileSync(sqlFile, 'utf8');
  await c.run('COPY (SELECT neurules_rule, neurules_class FROM (' + query + ')) TO ' + quote(output) + ' (HEADER false)');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const counts = (await c.runAndReadAll("SELECT column1 AS class, count(*) AS n FROM read_csv(" + quote(output) + ", header = false, columns = {'column0': 'VARCHAR', 'column1': 'VARCHAR'}) GROUP BY 1 ORDER BY 1")).getRowObjects();
  process.stdout.write(JSON.stringify({ seconds, counts: Object.fromEntries(counts.map((r) => [r.class, Number(r.n)])), maxRssMb: process.resourceUsage().maxRSS / 1024 }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

interface Run {
  label: string;
  seconds: number;
  records: number;
  maxRssMb: number;
  counts: Record<string, number>;
}

function main(): void {
  const tree = cliTree('new', ROOT);
  withTempDir('neurules-sql-duckdb-', (dir) => {
    const big = writeLargeCsv(dir, Number(values.megabytes));
    const sqlFile = path.join(dir, 'decide.sql');
    const models = [
      '--models-dir',
      path.join(ROOT, 'models'),
      '--rules-dir',
      path.join(ROOT, 'rules'),
    ];
    runCliOk(tree, [
      'export',
      '--model',
      'german-credit',
      '--format',
      'sql',
      '--dialect',
      'duckdb',
      '--output',
      sqlFile,
      ...models,
    ]);
    const runs: Run[] = [];
    // compiled
    const out = path.join(dir, 'compiled.jsonl');
    const child = runCliOk(tree, [
      'predict',
      '--model',
      'german-credit',
      '--input',
      big,
      '--output',
      out,
      ...models,
    ]);
    const summary = predictSummary(child.stderr);
    const perClass = /\(([^)]*)\)/.exec(summary.line)?.[1] ?? '';
    runs.push({
      label: 'neurules predict --engine compiled',
      seconds: child.seconds,
      records: summary.records,
      maxRssMb: summary.peakMb,
      counts: Object.fromEntries(
        perClass.split(', ').map((p) => {
          const [k, v] = p.split(' ');
          return [k!, Number(v)];
        }),
      ),
    });
    fs.rmSync(out, { force: true });
    // DuckDB, once per thread count
    const script = path.join(dir, 'duckdb-run.js');
    fs.writeFileSync(script, DUCKDB_SCRIPT);
    const duckdb = require.resolve('@duckdb/node-api', { paths: [ROOT] });
    for (const threads of values.threads!.split(',')) {
      const output = path.join(dir, `duckdb-${threads}.csv`);
      const r = runNode([script, duckdb, sqlFile, big, output, threads]);
      if (r.status !== 0) throw new Error(`duckdb run failed: ${r.stderr}`);
      const result = JSON.parse(r.stdout) as {
        seconds: number;
        counts: Record<string, number>;
        maxRssMb: number;
      };
      const records = Object.values(result.counts).reduce((s, n) => s + n, 0);
      runs.push({
        label: `DuckDB, exported SQL, ${threads} thread${threads === '1' ? '' : 's'}`,
        seconds: r.seconds,
        records,
        maxRssMb: result.maxRssMb,
        counts: result.counts,
      });
      fs.rmSync(output, { force: true });
    }
    const base = runs[0]!;
    const same = runs.every((r) => JSON.stringify(r.counts) === JSON.stringify(base.counts));
    process.stdout.write(
      [
        `sql-duckdb bench: ${(fs.statSync(big).size / 1024 / 1024).toFixed(0)} MB of German credit rows; ${machineLine()}`,
        '',
        markdownTable(
          ['run', 'records', 'seconds', 'records/s', '× compiled', 'peak RSS MB', 'class counts'],
          'lrrrrrl',
          runs.map((r) => [
            r.label,
            count(r.records),
            r.seconds.toFixed(1),
            count(r.records / r.seconds),
            (r.records / r.seconds / (base.records / base.seconds)).toFixed(2),
            r.maxRssMb.toFixed(0),
            Object.entries(r.counts)
              .map(([k, v]) => `${k} ${count(v)}`)
              .join(', '),
          ]),
        ),
        '',
        `class counts identical: ${same ? 'yes' : 'NO'}`,
        '',
      ].join('\n'),
    );
    if (!same) process.exitCode = 1;
  });
}

main();
