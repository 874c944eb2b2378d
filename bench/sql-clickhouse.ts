/**
 * The ClickHouse export on a two-shard cluster (`scripts/clickhouse-cluster.sh`, Debian's
 * clickhouse-server): German credit's 1,000 rows loaded as text on each shard and doubled
 * there until the cluster holds `--rows` records, then the exported query run through the
 * `Distributed` table (both shards) and on one shard's own table (half the rows), each
 * `--runs` times, as `SELECT neurules_class, count() … GROUP BY neurules_class`. The class
 * counts must equal the compiled evaluator's over the same rows.
 *
 *   npm run bench:sql-clickhouse [-- --rows 1000000 --runs 3]
 */
import { parse } from 'csv-parse/sync';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { coerceRecord } from '../src/data/coerce-record';
import { compileRuleSet } from '../src/engine/compiled-rules';
import { ruleSetToSql } from '../src/exports/to-sql';
import { openModel } from '../src/pipeline/open-model';
import { count, machineLine, markdownTable, median, ROOT, withTempDir } from './cli-runs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
  },
});

const SCRIPT = path.join(ROOT, 'scripts', 'clickhouse-cluster.sh');
const DATA = path.join(ROOT, 'data', 'german-credit.csv');

/** Run `sql` on the shard at `port`; its TabSeparated answer. */
function query(port: number, sql: string, input?: string): string {
  return execFileSync('clickhouse-client', ['--port', String(port), '--query', sql], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
}

/** Class counts of a `class\tcount` answer, sorted by class. */
function counts(text: string): Record<string, number> {
  const rows = text
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
  return Object.fromEntries(rows.sort().map(([c, n]) => [c!, Number(n)]));
}

async function main(): Promise<void> {
  const model = await openModel({
    modelsDir: path.join(ROOT, 'models'),
    rulesDir: path.join(ROOT, 'rules'),
    name: 'german-credit',
  });
  const [header, ...rows] = parse(fs.readFileSync(DATA, 'utf8')) as string[][];
  const compiled = compileRuleSet(model.ruleSet);
  const classOf = new Map(model.ruleSet.rules.map((r) => [r.name, String(r.event.params.class)]));
  const perFile: Record<string, number> = {};
  for (const row of rows) {
    const raw = Object.fromEntries(header!.map((c, i) => [c, row[i]]));
    const { record } = coerceRecord(model.schema, raw, {}, { unknownCategories: 'keep' });
    const cls = classOf.get(compiled.decide(record).ruleId)!;
    perFile[cls] = (perFile[cls] ?? 0) + 1;
  }
  // Each shard holds the file 2^k times: the cluster 2^(k+1) times.
  const doublings = Math.max(0, Math.round(Math.log2(Number(values.rows) / (2 * rows.length))));
  const perShard = rows.length * 2 ** doublings;
  const sql = ruleSetToSql(model.ruleSet, model.schema, { dialect: 'clickhouse' })
    .split('\n')
    .filter((l) => !l.startsWith('--'))
    .join('\n');
  const columns = header!.map((c) => `"${c}" Nullable(String)`).join(', ');

  withTempDir('neurules-bench-clickhouse-', (dir) => {
    execFileSync(SCRIPT, ['start', dir], { stdio: 'ignore' });
    try {
      const { shards } = JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as {
        shards: { tcp: number }[];
      };
      const csv = fs.readFileSync(DATA, 'utf8');
      for (const { tcp } of shards) {
        query(tcp, `CREATE TABLE records_local (${columns}) ENGINE = MergeTree ORDER BY tuple()`);
        query(
          tcp,
          'CREATE TABLE records AS records_local ENGINE = Distributed(neurules, default, records_local)',
        );
        query(tcp, 'INSERT INTO records_local FORMAT CSVWithNames', csv);
        for (let i = 0; i < doublings; i++)
          query(tcp, 'INSERT INTO records_local SELECT * FROM records_local');
      }
      const version = query(shards[0]!.tcp, 'SELECT version()').trim();
      const runs = Number(values.runs);
      const time = (table: string): { seconds: number; counts: Record<string, number> } => {
        const text = `SELECT neurules_class, count() FROM (${sql.replace(/FROM "records"\n?$/, `FROM ${table}`)}) GROUP BY neurules_class`;
        const seconds: number[] = [];
        let answer = '';
        for (let r = 0; r < runs; r++) {
          const started = process.hrtime.bigint();
          answer = query(shards[0]!.tcp, text);
          seconds.push(Number(process.hrtime.bigint() - started) / 1e9);
        }
        return { seconds: median(seconds), counts: counts(answer) };
      };
      const expected = (times: number) =>
        Object.fromEntries(
          Object.entries(perFile)
            .sort()
            .map(([c, n]) => [c, n * times]),
        );
      const cases = [
        { label: 'Distributed table, 2 shards', table: 'records', records: 2 * perShard },
        { label: 'one shard, its MergeTree table', table: 'records_local', records: perShard },
      ];
      const results = cases.map((c) => ({ ...c, ...time(c.table) }));
      console.log(
        `sql-clickhouse bench: German credit rows ×${2 * 2 ** doublings} on ClickHouse ${version}, median of ${runs} runs; ${machineLine()}\n`,
      );
      console.log(
        markdownTable(
          ['run', 'records', 'seconds', 'records/s', 'class counts', 'as compiled'],
          'lrrrll',
          results.map((r) => [
            r.label,
            count(r.records),
            r.seconds.toFixed(2),
            count(r.records / r.seconds),
            Object.entries(r.counts)
              .map(([c, n]) => `${c} ${count(n)}`)
              .join(', '),
            JSON.stringify(r.counts) === JSON.stringify(expected(r.records / rows.length))
              ? 'yes'
              : 'NO',
          ]),
        ),
      );
    } finally {
      execFileSync(SCRIPT, ['stop', dir], { stdio: 'ignore' });
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
