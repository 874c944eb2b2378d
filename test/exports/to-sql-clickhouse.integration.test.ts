import fc from 'fast-check';
import type { Feature, Schema } from '../../src/data/types';
import type { NeurulesRule, RuleSet } from '../../src/rules/types';
import { nextDown, nextUp, roundingBound } from '../../src/exports/exact-decimal';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CLICKHOUSE_FUNCTIONS,
  clickhouseNameProblem,
  quoteClickHouseIdentifier,
  quoteClickHouseString,
} from '../../src/exports/clickhouse-values';
import { ruleConditionsSql, ruleSetToSql, TRIMMED_CODE_POINTS } from '../../src/exports/to-sql';
import {
  type ClickHouseCluster,
  HAS_CLICKHOUSE,
  startClickHouse,
  tabSeparated,
} from '../helpers/clickhouse';
import { GERMAN_CREDIT } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';
import { type RawTable, readCsv, useBundledModels } from './bundled-models';
import { hostileModel, hostileRows } from './hostile-model';
import { type Answer, expectedOf, thresholds } from './sql-engines';

// The ClickHouse query on a real cluster: two clickhouse-server processes (Debian's 18.16),
// one shard each, the rows split between the shards' MergeTree tables, every column
// Nullable(String), and the query run on a Distributed table over both.

if (!HAS_CLICKHOUSE && !process.env.CI && !process.env.NEURULES_CLICKHOUSE)
  console.warn('clickhouse-server is not installed: the ClickHouse tests are skipped');

const DB = `neurules_test_${process.pid}`;
let cluster: ClickHouseCluster | undefined;

beforeAll(async () => {
  const started = await startClickHouse();
  if ('missing' in started) return;
  cluster = started;
  for (let s = 0; s < cluster.shards.length; s++)
    await cluster.query(`CREATE DATABASE IF NOT EXISTS ${DB}`, s);
}, 120_000);

afterAll(async () => {
  if (!cluster) return;
  try {
    for (let s = 0; s < cluster.shards.length; s++)
      await cluster.query(`DROP DATABASE IF EXISTS ${DB}`, s);
  } finally {
    await cluster.stop();
  }
});

const models = useBundledModels();
const KEY = 'neurules key';
const itRuns = HAS_CLICKHOUSE || process.env.CI || process.env.NEURULES_CLICKHOUSE ? it : it.skip;

/** What the query answered for a row, with every column the table has. */
type Row = Record<string, string | null>;

/**
 * Load `table` (a key column first) into the shards' local tables, alternate rows on each
 * shard, run `sql` on shard 1's Distributed table `records` and read its rows by key.
 */
async function runOnCluster(sql: string, table: RawTable): Promise<Map<string, Row>> {
  const c = cluster!;
  const columns = [KEY, ...table.columns];
  const rows = table.rows.map((r, i) => [String(i), ...r]);
  const typed = columns.map((n) => `${quoteClickHouseIdentifier(n)} Nullable(String)`).join(', ');
  for (let s = 0; s < c.shards.length; s++) {
    await c.query(`DROP TABLE IF EXISTS ${DB}.records`, s);
    await c.query(`DROP TABLE IF EXISTS ${DB}.records_local`, s);
    await c.query(
      `CREATE TABLE ${DB}.records_local (${typed}) ENGINE = MergeTree ORDER BY tuple()`,
      s,
    );
    await c.query(
      `CREATE TABLE ${DB}.records AS ${DB}.records_local ENGINE = Distributed(${c.name}, ${DB}, records_local)`,
      s,
    );
    const mine = rows.filter((_, i) => i % c.shards.length === s);
    if (mine.length > 0)
      await c.query(`INSERT INTO ${DB}.records_local FORMAT TabSeparated`, s, tabSeparated(mine));
  }
  // Each shard holds its share of the rows.
  for (let s = 0; s < c.shards.length; s++) {
    const held = await c.query(`SELECT count() FROM ${DB}.records_local`, s);
    expect(Number(held)).toBe(rows.filter((_, i) => i % c.shards.length === s).length);
  }
  const answer = await c.query(
    `${sql.replace(/FROM "records"\n$/, `FROM ${DB}.records\n`)} FORMAT JSONEachRow`,
  );
  const out = new Map<string, Row>();
  for (const line of answer.split('\n').filter(Boolean)) {
    const row = JSON.parse(line) as Row;
    out.set(row[KEY]!, row);
  }
  expect(out.size).toBe(rows.length);
  // Every column of the table comes through unchanged, then the three the query adds.
  for (const r of rows) {
    const got = out.get(r[0]!)!;
    expect(Object.keys(got)).toEqual([
      ...columns,
      'neurules_rule',
      'neurules_error',
      'neurules_class',
    ]);
    expect(columns.map((n) => got[n])).toEqual(r);
  }
  return out;
}

/** The answers in the table's row order. */
async function answers(sql: string, table: RawTable): Promise<Answer[]> {
  const byKey = await runOnCluster(sql, table);
  return table.rows.map((_, i) => {
    const r = byKey.get(String(i))!;
    return {
      rule: r.neurules_rule ?? null,
      cls: r.neurules_class ?? null,
      error: r.neurules_error ?? null,
    };
  });
}

describe('the clickhouse export on a two-shard cluster, through a Distributed table', () => {
  itRuns('runs on ClickHouse 18.16 or later, on two shards', async () => {
    const version = (await cluster!.query('SELECT version()')).trim();
    expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(18);
    const shards = await cluster!.query(
      `SELECT count() FROM system.clusters WHERE cluster = ${quoteClickHouseString(cluster!.name)}`,
    );
    expect(Number(shards)).toBe(2);
  });

  itRuns(
    'calls only the functions it lists, each one the server has, each one in docs/sql.md',
    async () => {
      const have = new Set(
        (await cluster!.query('SELECT name FROM system.functions')).trim().split('\n'),
      );
      expect(CLICKHOUSE_FUNCTIONS.filter((f) => !have.has(f))).toEqual([]);
      const called = new Set<string>();
      for (const m of models) {
        const sql = ruleSetToSql(m.ruleSet, m.schema, { dialect: 'clickhouse' });
        // Outside string literals (a regular expression holds parentheses).
        const code = sql.replace(/'(?:[^'\\]|\\.)*'/g, "''");
        for (const [, name] of code.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\(/g)) called.add(name!);
      }
      expect([...called].sort()).toEqual(CLICKHOUSE_FUNCTIONS.filter((f) => f !== 'isNull').sort());
      const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'sql.md'), 'utf8');
      const section = docs.slice(docs.indexOf('## ClickHouse'), docs.indexOf('### On a cluster'));
      for (const f of CLICKHOUSE_FUNCTIONS)
        expect(section).toContain(f === 'isNull' ? '`IS NULL`' : `\`${f}\``);
    },
  );

  itRuns('decides every row of every bundled data set as predict does', async () => {
    expect(models.map((m) => m.name)).toEqual(['german-credit', 'iris', 'breast-cancer-wisconsin']);
    for (const m of models) {
      const table = readCsv(m.data);
      const sql = ruleSetToSql(m.ruleSet, m.schema, { dialect: 'clickhouse' });
      const expected = expectedOf(m.ruleSet, m.schema, table);
      expect(await answers(sql, table)).toEqual(expected);
      // Not a trivial agreement: several rules decide.
      expect(new Set(expected.map((e) => e.rule)).size).toBeGreaterThan(1);
    }
  });

  itRuns(
    'hostile values: white space, exponents, huge and tiny numbers, spellings predict refuses',
    async () => {
      const m = models[0]!; // German credit: numeric and categorical features
      const columns = m.schema.features.map((f) => f.name);
      const near = thresholds(m.ruleSet);
      const spaces = TRIMMED_CODE_POINTS.map((c) => String.fromCodePoint(c));
      const odd = [
        '1e400',
        '-1e400',
        '1e-400',
        '1e309',
        '1.7976931348623157e308',
        '1.7976931348623159e308',
        '4.9e-324',
        '2.4703282292062328e-324',
        '2.4703282292062327e-324',
        'nan',
        'NaN',
        'inf',
        '-inf',
        'Infinity',
        '0x10',
        '0b1',
        '1_000',
        '+-1',
        '-+1',
        '++1',
        '+1',
        '-0',
        '+.5',
        '.5',
        '5.',
        '.',
        '-',
        '+',
        'e5',
        '1e',
        '1e+',
        '1E+01',
        '007',
        '0000.0000',
        '1,5',
        '5,05',
        '1 000',
        '',
        ' ',
        '?',
        'NA',
        ' NA ',
        'na',
        '٣',
        '１',
        '1e0000000001',
        '1e-0000000001',
        '1e9999999999',
        '1e-9999999999',
        `1${'0'.repeat(400)}`,
        `0.${'0'.repeat(400)}1`,
        `${'9'.repeat(30)}e-20`,
        'abc',
        '1\n2',
        '1\t2',
        '1 2',
        "o'brien",
        'a\\b',
        '\\N',
        'NULL',
      ];
      const numberText = (f: Feature): fc.Arbitrary<string> => {
        const around = (near.get(f.name) ?? []).flatMap((x) => {
          const { bound } = roundingBound(x);
          const tie = `${bound.negative ? '-' : ''}0.${bound.digits}e${bound.exponent}`;
          const below = `${bound.negative ? '-' : ''}0.${bound.digits.slice(0, -1)}${Number(bound.digits.at(-1)) - 1}e${bound.exponent}`;
          return [
            String(x),
            String(nextUp(x)),
            String(nextDown(x)),
            tie,
            `${tie.replace('e', '1e')}`,
            below,
            x.toExponential(),
            `+${x}`,
            `00${x}`,
          ];
        });
        return fc.oneof(
          { weight: around.length > 0 ? 3 : 0, arbitrary: fc.constantFrom('1', ...around) },
          { weight: 3, arbitrary: fc.constantFrom(...odd) },
          {
            weight: 2,
            arbitrary: fc
              .double({
                min: f.type === 'numeric' ? f.min - 10 : 0,
                max: f.type === 'numeric' ? f.max + 10 : 1,
                noNaN: true,
              })
              .map(String),
          },
        );
      };
      const cell = (f: Feature): fc.Arbitrary<string | null> => {
        const raw: fc.Arbitrary<string | null> =
          f.type === 'categorical'
            ? fc.oneof(fc.constantFrom(...f.levels), fc.constantFrom(...odd), fc.constant(null))
            : fc.oneof(
                { weight: 8, arbitrary: numberText(f) },
                { weight: 1, arbitrary: fc.constant(null) },
              );
        // White space of every kind JavaScript's trim() removes, before and after.
        return fc
          .tuple(raw, fc.constantFrom('', ...spaces), fc.constantFrom('', ...spaces))
          .map(([v, a, b]) => (v === null ? null : `${a}${v}${b}`));
      };
      const rows = fc.sample(fc.tuple(...m.schema.features.map(cell)), { numRuns: 3000, seed: 25 });
      const table = { columns, rows: rows as (string | null)[][] };
      const expected = expectedOf(m.ruleSet, m.schema, table);
      // The sample reaches both: refused records and decided ones, by many rules.
      expect(expected.filter((e) => e.error === 'WRONG_TYPE').length).toBeGreaterThan(100);
      expect(new Set(expected.map((e) => e.rule)).size).toBeGreaterThan(5);
      const sql = ruleSetToSql(m.ruleSet, m.schema, { dialect: 'clickhouse' });
      expect(await answers(sql, table)).toEqual(expected);
    },
  );

  itRuns('neurules export --dialect clickhouse writes the query the cluster runs', async () => {
    const r = await runCli([
      'export',
      '--model',
      'german-credit',
      '--format',
      'sql',
      '--dialect',
      'clickhouse',
      '--models-dir',
      GERMAN_CREDIT.modelsDir,
      '--rules-dir',
      GERMAN_CREDIT.rulesDir,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^-- neurules: model 'german-credit', \d+ rules in hit order, dialect clickhouse\n/,
    );
    const m = models[0]!;
    const table = readCsv(m.data);
    expect(await answers(r.stdout, table)).toEqual(expectedOf(m.ruleSet, m.schema, table));
    // docs/sql.md gives the query's size (against max_query_size).
    const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'sql.md'), 'utf8');
    const kb = Math.round(Buffer.byteLength(r.stdout) / 1000);
    expect(docs).toContain(`the German credit query is ${kb} KB`);
  });

  itRuns('hostile column names, levels, rule ids and classes', async () => {
    const names = [
      ['select', 'from'],
      ['a"b', "it's"],
      ['back\\slash', 'tick`tick'],
      ['ünïcødé 数', 'x y'],
      ['--', ';'],
      ['neurules_src', 'neurules_rule_x'],
      ['\\"', "\\'"],
      ['CASE', 'WITH'],
      ['AND', 'true'],
      ['1st', 'NOT x'],
      ['match', 'ifNull'],
      ['new\nline', 'tab\tname'],
      ["'a", '[x'],
    ];
    const levels = ["o'brien", 'a\\b', '"q"', ' \\N', 'ü', 'x`y'].map((l) => l.trim());
    for (const [num, cat] of names) {
      const { ruleSet, schema } = hostileModel(num!, cat!, levels, ["cl'ass\\", 'b"2']);
      const rows: (string | null)[][] = [
        ...hostileRows(levels),
        [' 2.5\t', ` ${levels[3]!}\u00a0`],
        ['2.50000000000000001', levels[4]!],
        ['2.5000000000000005', levels[5]!],
        ['', null],
      ];
      const table = { columns: [num!, cat!], rows };
      const sql = ruleSetToSql(ruleSet, schema, { dialect: 'clickhouse' });
      expect(await answers(sql, table)).toEqual(expectedOf(ruleSet, schema, table));
    }
  });
});

describe('the clickhouse export: levels, values and rule sets predict reads its own way', () => {
  itRuns(
    'levels that look like numbers, hold regular expression characters, differ in case or white space',
    async () => {
      const levels = ['1', '01', '1.0', 'a.b', '(x)', '[', '\\d', '$', '^a', '.*', '%', '_'];
      const more = ['Yes', 'yes', "'", '\u00a0x', 'x'.repeat(5000)];
      const { ruleSet, schema } = hostileModel('n', 'c', [...levels, ...more], ['a', 'b']);
      const values = [
        ...levels,
        ...more,
        'YES',
        'A.B',
        'aXb',
        '1.00',
        ' 01 ',
        '(x',
        'x',
        '\u3000yes\ufeff',
        '\u200byes', // not white space to trim(): an unseen level
        '１',
        '٣',
        'na',
        'NA',
        '?',
        '',
        null,
      ];
      const numbers = [
        '１',
        '٣',
        '1\u00a02',
        '\ufeff2\ufeff',
        '2\u200b',
        '\u00852',
        '25e-1',
        '0.25e+1',
      ];
      const rows: (string | null)[][] = [...hostileRows(levels)];
      for (const v of values) for (const n of ['1', '3', null]) rows.push([n, v]);
      for (const n of [...numbers, 'x'.repeat(100_000), '1'.repeat(100_000)])
        rows.push([n, levels[0]!], [n, 'zz']);
      const table = { columns: ['n', 'c'], rows };
      const sql = ruleSetToSql(ruleSet, schema, { dialect: 'clickhouse' });
      expect(await answers(sql, table)).toEqual(expectedOf(ruleSet, schema, table));
    },
  );

  itRuns(
    'negative, zero, tiny and extreme thresholds: each side, and the threshold itself, as predict',
    async () => {
      const schema: Schema = {
        ...hostileModel('n', 'c', ['p'], ['a', 'b']).schema,
        features: [
          {
            name: 'n',
            type: 'numeric',
            min: -9,
            max: 9,
            mean: 0,
            std: 1,
            integer: false,
            missing: 0,
          },
        ],
      };
      const rule = (name: string, priority: number, op: string, x: number): NeurulesRule =>
        ({
          name,
          priority,
          conditions: { all: op ? [{ fact: 'n', operator: op, value: x }] : [] },
          event: { type: 'neurules.decision', params: { class: name, ruleId: name } },
        }) as unknown as NeurulesRule;
      const limits = [-Number.MAX_VALUE, Number.MAX_VALUE, 5e-324, -5e-324, 1e-300];
      for (const x of [-2.5, 0, -0.1, 0.30000000000000004, 2 ** 53 + 2, 1e21, -1e-7, ...limits]) {
        // Below, at, above the threshold: one rule each, in hit order.
        const ruleSet = {
          ...hostileModel('n', 'c', ['p'], ['a', 'b']).ruleSet,
          rules: [
            rule('below', 4, 'lessThan', x),
            rule('at', 3, 'lessThanInclusive', x),
            rule('above', 2, 'greaterThan', x),
            rule('none', 1, '', 0),
          ],
        } as RuleSet;
        const texts = new Set(['0', '-0', '+0', '0e-999', '-0.0', '1e-400', '-1e-400']);
        for (const v of [x, nextUp(x), nextDown(x)].filter(Number.isFinite)) {
          for (const t of [String(v), v.toExponential(), v.toPrecision(17), v.toPrecision(21)])
            texts.add(t);
        }
        const { bound } = roundingBound(x);
        const tie = `${bound.negative ? '-' : ''}0.${bound.digits}e${bound.exponent}`;
        for (const t of [tie, tie.replace('e', '1e'), tie.replace('e', '0000e')]) texts.add(t);
        const table = { columns: ['n'], rows: [...texts].map((t) => [t]) };
        const expected = expectedOf(ruleSet, schema, table);
        expect(new Set(expected.map((e) => e.rule)).size).toBeGreaterThan(1);
        const sql = ruleSetToSql(ruleSet, schema, { dialect: 'clickhouse' });
        expect({ x, got: await answers(sql, table) }).toEqual({ x, got: expected });
      }
    },
  );

  itRuns(
    "a feature's column that is not text fails the query (FixedString: no silent NUL padding); other columns keep their type",
    async () => {
      const c = cluster!;
      const { ruleSet, schema } = hostileModel('n', 'c', ['p', 'q', 'r', 's'], ['a', 'b']);
      const sql = ruleSetToSql(ruleSet, schema, { dialect: 'clickhouse' });
      const run = async (types: string, row: string): Promise<string> => {
        await c.query(`DROP TABLE IF EXISTS ${DB}.typed`);
        await c.query(`CREATE TABLE ${DB}.typed (${types}) ENGINE = MergeTree ORDER BY tuple()`);
        await c.query(`INSERT INTO ${DB}.typed FORMAT TabSeparated`, 0, `${row}\n`);
        return c.query(
          `${sql.replace(/FROM "records"\n$/, `FROM ${DB}.typed\n`)} FORMAT JSONEachRow`,
        );
      };
      // Text, and a key and a date of their own types passed through.
      const text = await run(
        'k UInt64, d Date, n Nullable(String), c String',
        '7\t2024-01-02\t3\tp',
      );
      expect(JSON.parse(text)).toEqual({
        k: '7',
        d: '2024-01-02',
        n: '3',
        c: 'p',
        neurules_rule: 'r1 c',
        neurules_error: null,
        neurules_class: 'a',
      });
      await expect(run('n Nullable(String), c FixedString(4)', '3\tp')).rejects.toThrow(/throwIf/);
      await expect(run('n Float64, c String', '3\tp')).rejects.toThrow(/ClickHouse answered/);
    },
  );

  itRuns('a rule set without rules: no class for any record, refusals as predict', async () => {
    const { ruleSet, schema } = hostileModel('n', 'c', ['p', 'q'], ['a', 'b']);
    const none = { ...ruleSet, rules: [] };
    const table = {
      columns: ['n', 'c'],
      rows: [
        ['1', 'p'],
        ['x', 'q'],
        [null, null],
      ],
    };
    const sql = ruleSetToSql(none, schema, { dialect: 'clickhouse' });
    expect(await answers(sql, table)).toEqual([
      { rule: null, cls: null, error: null },
      { rule: null, cls: null, error: 'WRONG_TYPE' },
      { rule: null, cls: null, error: null },
    ]);
  });
});

describe('clickhouse quoting and refusals', () => {
  it('escapes backslashes and quotes, as ClickHouse reads escapes in literals and names', () => {
    expect(quoteClickHouseString("a\\'b")).toBe("'a\\\\\\'b'");
    expect(quoteClickHouseIdentifier('a\\"b')).toBe('"a\\\\\\"b"');
    expect(() => quoteClickHouseString('a\u0000b')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VALUE' }),
    );
  });

  it('refuses a feature named as one of its helper expressions (UNSUPPORTED_VALUE, the name)', () => {
    const { ruleSet, schema } = hostileModel('neurules_t0', 'c', ['p', 'q', 'r', 's'], ['a', 'b']);
    expect(() => ruleSetToSql(ruleSet, schema, { dialect: 'clickhouse' })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VALUE', field: 'neurules_t0' }),
    );
    const named = hostileModel('x', 'neurules_rule', ['p', 'q', 'r', 's'], ['a', 'b']);
    expect(() => ruleSetToSql(named.ruleSet, named.schema, { dialect: 'clickhouse' })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VALUE', field: 'neurules_rule' }),
    );
  });

  it('refuses a feature name ClickHouse 18.16 reads as something else (UNSUPPORTED_VALUE, the name)', () => {
    // Forwarded unquoted to the shards, where it is a keyword or a number; or the name
    // ClickHouse gives an expression of the query (a literal, a call, an array, a tuple).
    const refused = [
      ...['NULL', 'null', 'Null', 'not', 'NOT', 'Interval', 'DISTINCT', 'inf', 'NaN', 'Infinity'],
      ...['1', '309', '-4000000000', '0.5', "''", "'NA'", 'plus(neurules_k, 1)', '[1]', '(a)'],
    ];
    for (const name of refused) {
      for (const [num, cat] of [
        [name, 'c'],
        ['n', name],
      ]) {
        const { ruleSet, schema } = hostileModel(num!, cat!, ['p', 'q', 'r', 's'], ['a', 'b']);
        expect(() => ruleSetToSql(ruleSet, schema, { dialect: 'clickhouse' })).toThrow(
          expect.objectContaining({ code: 'UNSUPPORTED_VALUE', field: name }),
        );
        // The other dialects quote every name: no refusal there.
        expect(() => ruleSetToSql(ruleSet, schema, { dialect: 'duckdb' })).not.toThrow();
      }
    }
    // A feature no rule reads comes through the query's `*` as well.
    const { ruleSet, schema } = hostileModel('n', 'c', ['p', 'q', 'r', 's'], ['a', 'b']);
    const unread = {
      ...schema,
      features: [
        ...schema.features,
        { name: 'inf', type: 'categorical' as const, levels: ['u'], missing: 0 },
      ],
    };
    expect(() => ruleSetToSql(ruleSet, unread, { dialect: 'clickhouse' })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VALUE', field: 'inf' }),
    );
    for (const name of ['1st', 'NOT x', 'AND', 'true', 'x1', 'EXISTS', "'a", 'f(x) y', '-'])
      expect(clickhouseNameProblem(name)).toBeUndefined();
  });

  it('states no number as a ClickHouse double: conditions without a comparison are refused (INVALID_ARGUMENT)', () => {
    const { ruleSet, schema } = hostileModel('n', 'c', ['p', 'q', 'r', 's'], ['a', 'b']);
    expect(() => ruleConditionsSql(ruleSet, schema, (f) => f.name, 'clickhouse')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'compare' }),
    );
  });
});
