import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Feature, Schema } from '../../src/data/types';
import { nextDown, nextUp, roundingBound } from '../../src/exports/exact-decimal';
import { quoteString, ruleSetToSql, TRIMMED_CODE_POINTS } from '../../src/exports/to-sql';
import type { NeurulesRule, RuleSet } from '../../src/rules/types';
import type { RawTable } from './bundled-models';
import { type Answer, ENGINES, expectedOf, sqliteStoredNear, useSqlEngines } from './sql-engines';

// Numbers are compared exactly as `predict` reads them (JavaScript's Number(): the nearest
// double) in every engine, whatever the engine's own reading of a text; a number out of
// range never fails the query; and a feature no rule tests never refuses a record that
// predict decides.

const engines = useSqlEngines();
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-sql-exact-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A model of `features` whose rules are `conditions` in priority order, then a catch-all. */
function model(
  features: Feature[],
  conditions: NeurulesRule['conditions'][],
): { ruleSet: RuleSet; schema: Schema } {
  const schema: Schema = {
    format: 'neurules.schema',
    version: 1,
    target: 'y',
    classes: ['a', 'b'],
    rows: 10,
    features,
  };
  const rule = (id: string, priority: number, c: NeurulesRule['conditions']): NeurulesRule =>
    ({
      name: id,
      priority,
      conditions: c,
      event: { type: 'neurules.decision', params: { class: priority % 2 ? 'a' : 'b', ruleId: id } },
    }) as unknown as NeurulesRule;
  const rules = [
    ...conditions.map((c, i) => rule(`R${i + 1}`, conditions.length + 1 - i, c)),
    rule('rest', 0, { all: [] }),
  ];
  const ruleSet = {
    format: 'neurules.rules',
    version: 1,
    model: 'exact',
    target: 'y',
    classes: ['a', 'b'],
    rules,
  } as unknown as RuleSet;
  return { ruleSet, schema };
}

const numeric = (name: string): Feature => ({
  name,
  type: 'numeric',
  min: 0,
  max: 10,
  mean: 5,
  std: 1,
  integer: false,
  missing: 0,
});
const categorical = (name: string, levels: string[]): Feature => ({
  name,
  type: 'categorical',
  levels,
  missing: 0,
});
const test = (fact: string, operator: string, value: unknown): NeurulesRule['conditions'] =>
  ({ all: [{ fact, operator, value }] }) as unknown as NeurulesRule['conditions'];

/** A text of the decimal a hair (`steps` units of its `extra`-th extra digit) from `x`'s bound. */
function nearBound(x: number, steps: number, extra: number, exponentForm: boolean): string {
  const { bound } = roundingBound(x);
  const digits = (BigInt(bound.digits || '0') * 10n ** BigInt(extra) + BigInt(steps)).toString();
  const power = bound.exponent - bound.digits.length - extra;
  const sign = bound.negative ? '-' : '';
  if (exponentForm) return `${sign}${digits}e${power}`;
  if (power >= 0) return `${sign}${digits}${'0'.repeat(power)}`;
  const point = digits.length + power;
  return point > 0
    ? `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
    : `${sign}0.${'0'.repeat(-point)}${digits}`;
}

describe('numbers exactly as predict reads them', () => {
  it.each(ENGINES)(
    '%s: the probe: 5.00000000000000044423 is above 5 (versicolor), in a TEXT column',
    async (dialect) => {
      const { ruleSet, schema } = model(
        [numeric('sepal_length'), numeric('sepal_width')],
        [test('sepal_length', 'lessThanInclusive', 5)],
      );
      const table: RawTable = {
        columns: ['sepal_length', 'sepal_width'],
        rows: [
          ['5.00000000000000044423', '2.0'],
          ['5', '2.0'],
          ['5.0000000000000004440892098500626161694526672363281', '2.0'],
        ],
      };
      const sql = ruleSetToSql(ruleSet, schema, { dialect });
      const got = await engines.run(dialect, sql, table);
      expect(got.map((a) => a.rule)).toEqual(['rest', 'R1', 'R1']);
      expect(got).toEqual(expectedOf(ruleSet, schema, table));
    },
  );

  it('SQLite REAL and INTEGER columns: a stored number at a threshold is refused, never a wrong class', async () => {
    const { ruleSet, schema } = model(
      [numeric('x'), numeric('n')],
      [test('x', 'lessThanInclusive', 5), test('n', 'greaterThan', 39)],
    );
    // SQLite stores 5.00000000000000044423 as 5 (JavaScript reads the double above 5): the
    // engine's own reading, which docs/sql.md describes.
    const db = new engines.sqlite.Database();
    expect(db.exec("SELECT CAST('5.00000000000000044423' AS REAL) = 5")[0]!.values).toEqual([[1]]);
    db.close();
    expect(Number('5.00000000000000044423')).toBe(nextUp(5));
    const table: RawTable = {
      columns: ['x', 'n'],
      rows: [
        ['5.00000000000000044423', '1'],
        ['5', '1'],
        ['4.99', '1'],
        ['5.01', '39'],
        ['6', '40'],
        ['6', '39.00000000000000355271'],
      ],
    };
    const types = ['REAL', 'INTEGER'];
    const got = await engines.run(
      'sqlite',
      ruleSetToSql(ruleSet, schema, { dialect: 'sqlite' }),
      table,
      types,
    );
    expect(got.map((a) => a.rule ?? a.error)).toEqual([
      'WRONG_TYPE',
      'WRONG_TYPE',
      'R1',
      'WRONG_TYPE',
      'R2',
      'WRONG_TYPE',
    ]);
    expect(got).toEqual(
      expectedOf(ruleSet, schema, table, sqliteStoredNear(ruleSet, table, types)),
    );
  });

  it.each(ENGINES)(
    '%s: long decimals a hair from each threshold, in every comparison, decide as the compiled evaluator',
    async (dialect) => {
      const threshold = fc.oneof(
        fc.constantFrom(5, 0.1, 2.25, 39, 0, -1.5, 1e-7, 123456.789, 0.30000000000000004, 1e300),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      );
      const operator = fc.constantFrom(
        'lessThanInclusive',
        'lessThan',
        'greaterThan',
        'greaterThanInclusive',
        'equal',
      );
      const texts = (x: number) =>
        fc.array(
          fc.oneof(
            fc
              .tuple(
                fc.boolean(),
                fc.integer({ min: -3, max: 3 }),
                fc.integer({ min: 1, max: 12 }),
                fc.boolean(),
              )
              .map(([below, steps, extra, form]) =>
                nearBound(below ? nextDown(x) : x, steps, extra, form),
              ),
            fc.constantFrom(String(x), String(nextUp(x)), String(nextDown(x)), `${x}000`, `+${x}`),
          ),
          { minLength: 4, maxLength: 16 },
        );
      await fc.assert(
        fc.asyncProperty(
          fc
            .tuple(threshold, operator, threshold, operator)
            .chain(([x, op, y, op2]) =>
              fc.tuple(fc.constant([x, op, y, op2] as const), texts(x), texts(y)),
            ),
          async ([[x, op, y, op2], xs, ys]) => {
            fc.pre(Number.isFinite(nextDown(x)) && Number.isFinite(nextDown(y)));
            const { ruleSet, schema } = model(
              [numeric('x')],
              [test('x', op, x), test('x', op2, y)],
            );
            const table: RawTable = { columns: ['x'], rows: [...xs, ...ys].map((t) => [t]) };
            const want = expectedOf(ruleSet, schema, table);
            const sql = ruleSetToSql(ruleSet, schema, { dialect });
            expect(await engines.run(dialect, sql, table)).toEqual(want);
            if (dialect === 'sqlite') {
              // Stored as REAL: decided as predict decides, or refused near a threshold.
              const got = await engines.run(dialect, sql, table, ['REAL']);
              got.forEach((a, i) => {
                if (a.error === null) expect(a).toEqual(want[i]);
              });
              expect(got).toEqual(
                expectedOf(ruleSet, schema, table, sqliteStoredNear(ruleSet, table, ['REAL'])),
              );
            }
          },
        ),
        { numRuns: dialect === 'postgres' ? 15 : 40 },
      );
    },
  );

  /** Texts out of a double's range, at its ends, and long: as predict reads each. */
  const RANGE_TEXTS = [
    '1e-400',
    '-1e-400',
    `0.${'0'.repeat(400)}1`,
    '1e400',
    `1${'0'.repeat(400)}`,
    '1.7976931348623157e308',
    '1.7976931348623158e308',
    '1.7976931348623159e308',
    '2.4703282292062327e-324',
    '2.4703282292062328e-324',
    '5e-324',
    '1e-1001',
    '1e1001',
    '0e99999999999',
    '1e99999999999999999999',
    '-1e-99999999999999999999',
    `0.${'0'.repeat(20000)}1`,
    `3.${'1'.repeat(20000)}`,
    '0',
    '1',
  ];

  it.each(ENGINES)(
    '%s: numbers that underflow, overflow or run long never fail the query: a decision or WRONG_TYPE, as predict',
    async (dialect) => {
      const { ruleSet, schema } = model([numeric('x')], [test('x', 'lessThanInclusive', 0)]);
      const table: RawTable = { columns: ['x'], rows: RANGE_TEXTS.map((t) => [t]) };
      const sql = ruleSetToSql(ruleSet, schema, { dialect });
      const want = expectedOf(ruleSet, schema, table);
      // (1e-400 is 0: decided by the rule on 0; 1e400 is refused.)
      expect(want.map((w) => w.rule ?? w.error).slice(0, 5)).toEqual([
        'R1',
        'R1',
        'R1',
        'WRONG_TYPE',
        'WRONG_TYPE',
      ]);
      expect(await engines.run(dialect, sql, table)).toEqual(want);
      // Typed columns: NUMERIC in PostgreSQL (the texts it can hold), REAL in SQLite.
      const typed =
        dialect === 'postgres'
          ? {
              type: 'NUMERIC',
              rows: table.rows.filter(([t]) => t!.length < 10000 && !/e-?\d{5}/.test(t!)),
            }
          : dialect === 'sqlite'
            ? { type: 'REAL', rows: table.rows }
            : { type: 'DOUBLE', rows: table.rows };
      const typedTable = { columns: ['x'], rows: typed.rows };
      const near =
        dialect === 'sqlite' ? sqliteStoredNear(ruleSet, typedTable, [typed.type]) : () => false;
      expect(await engines.run(dialect, sql, typedTable, [typed.type])).toEqual(
        expectedOf(ruleSet, schema, typedTable, near),
      );
    },
  );
});

describe('a feature no rule tests refuses no record that predict decides', () => {
  /** Load `csv` with DuckDB's read_csv (its type detection) into `records`. */
  async function readCsv(csv: string): Promise<Record<string, string>> {
    const file = path.join(dir, `t${Math.random().toString(36).slice(2)}.csv`);
    fs.writeFileSync(file, csv);
    await engines.duck.run(
      `CREATE OR REPLACE TABLE records AS SELECT * FROM read_csv(${quoteString(file)})`,
    );
    const described = (await engines.duck.runAndReadAll('DESCRIBE records')).getRowObjects();
    return Object.fromEntries(
      described.map((r) => [r.column_name as string, r.column_type as string]),
    );
  }
  const answers = async (sql: string): Promise<Answer[]> =>
    (await engines.duck.runAndReadAll(`SELECT * FROM (\n${sql}) ORDER BY i`))
      .getRowObjects()
      .map((r) => ({
        rule: r.neurules_rule as string | null,
        cls: r.neurules_class as string | null,
        error: r.neurules_error as string | null,
      }));

  const FLAGS = ['TRUE', 'True', 'false', 'FALSE', 'TRUE', 'false'];
  const table: RawTable = {
    columns: ['i', 'x', 'flag'],
    rows: FLAGS.map((f, i) => [String(i), String(i), f]),
  };
  const csv = ['i,x,flag', ...table.rows.map((r) => r.join(','))].join('\n') + '\n';
  const features = [
    numeric('i'),
    numeric('x'),
    categorical('flag', ['TRUE', 'True', 'false', 'FALSE']),
  ];

  it("DuckDB's BOOLEAN column of TRUE/True/false/FALSE: every record decided when no rule tests it, or the rules read TRUE and True alike", async () => {
    expect((await readCsv(csv)).flag).toBe('BOOLEAN');
    for (const conditions of [
      [test('x', 'lessThan', 3)],
      [test('flag', 'in', ['TRUE', 'True']), test('x', 'lessThan', 3)],
    ]) {
      const { ruleSet, schema } = model(features, conditions);
      const got = await answers(ruleSetToSql(ruleSet, schema));
      expect(got).toEqual(expectedOf(ruleSet, schema, table));
      expect(got.every((a) => a.error === null)).toBe(true);
    }
    // A rule that tells TRUE from True: a true value may have been either, and is refused.
    const { ruleSet, schema } = model(features, [test('flag', 'in', ['TRUE'])]);
    const got = await answers(ruleSetToSql(ruleSet, schema));
    expect(got.map((a) => a.error)).toEqual(
      FLAGS.map((f) => (f.toLowerCase() === 'true' ? 'WRONG_TYPE' : null)),
    );
    got.forEach((a, i) => {
      if (a.error === null) expect(a).toEqual(expectedOf(ruleSet, schema, table)[i]);
    });
  });

  it('a numeric feature no rule tests still refuses a text that is no number, as predict does', async () => {
    const { ruleSet, schema } = model(
      [numeric('x'), numeric('unused')],
      [test('x', 'lessThan', 3)],
    );
    const rows: RawTable = {
      columns: ['x', 'unused'],
      rows: [
        ['1', 'abc'],
        ['5', '7'],
        ['2', '1e-400'],
        ['2', '1e400'],
        ['4', ''],
      ],
    };
    const want = expectedOf(ruleSet, schema, rows);
    expect(want.map((w) => w.error)).toEqual(['WRONG_TYPE', null, null, 'WRONG_TYPE', null]);
    for (const dialect of ENGINES) {
      expect(await engines.run(dialect, ruleSetToSql(ruleSet, schema, { dialect }), rows)).toEqual(
        want,
      );
    }
  });

  it('PostgreSQL: a DATE or BOOLEAN column no rule tests is decided; a categorical feature with unseen levels too', async () => {
    if (!engines.pg) return;
    const c = engines.pg.client;
    await c.query('DROP TABLE IF EXISTS records');
    await c.query('CREATE TABLE records (i INTEGER, x TEXT, day DATE, flag BOOLEAN, kind TEXT)');
    const rows = [
      [0, '1', '2024-01-05', 'TRUE', 'a'],
      [1, '5', '2023-12-31', 'True', 'never seen'],
      [2, '2', null, 'false', 'b'],
    ];
    for (const r of rows) await c.query('INSERT INTO records VALUES ($1, $2, $3, $4, $5)', r);
    const { ruleSet, schema } = model(
      [
        numeric('x'),
        categorical('day', ['2024-01-05', '2023-12-31']),
        categorical('flag', ['TRUE', 'True', 'false']),
        categorical('kind', ['a', 'b']),
      ],
      [test('x', 'lessThan', 3)],
    );
    const sql = ruleSetToSql(ruleSet, schema, { dialect: 'postgres' });
    const got = (await c.query(`SELECT * FROM (\n${sql}) AS q ORDER BY i`)).rows;
    expect(got.map((r: Record<string, unknown>) => [r.neurules_rule, r.neurules_error])).toEqual([
      ['R1', null],
      ['rest', null],
      ['R1', null],
    ]);
  });
});

describe('cells trimmed as predict trims them', () => {
  it("the characters trimmed are those of JavaScript's trim()", () => {
    const trimmed = [];
    for (let c = 0; c <= 0xffff; c++) if (String.fromCharCode(c).trim() === '') trimmed.push(c);
    expect(TRIMMED_CODE_POINTS).toEqual(trimmed);
  });

  it.each(ENGINES)(
    '%s: a level or a number with tabs, line breaks, no-break or other spaces around it reads as predict reads it',
    async (dialect) => {
      const { ruleSet, schema } = model(
        [numeric('x'), categorical('c', ['yes', 'no'])],
        [test('c', 'in', ['yes']), test('x', 'lessThan', 3)],
      );
      const rows = TRIMMED_CODE_POINTS.flatMap((code) => {
        const w = String.fromCharCode(code);
        return [
          [`${w}5${w}`, `${w}yes`],
          [`1${w}`, `no${w}${w}`],
          [w, `${w}NA${w}`],
          ['x', w],
        ];
      });
      const table: RawTable = { columns: ['x', 'c'], rows };
      const want = expectedOf(ruleSet, schema, table);
      expect(want.filter((w) => w.rule === 'R1')).toHaveLength(TRIMMED_CODE_POINTS.length);
      expect(await engines.run(dialect, ruleSetToSql(ruleSet, schema, { dialect }), table)).toEqual(
        want,
      );
    },
  );
});
