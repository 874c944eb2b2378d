import fc from 'fast-check';
import {
  quoteIdentifier,
  quoteString,
  ruleSetToSql,
  type SqlDialect,
} from '../../src/exports/to-sql';
import type { NeurulesRule, RuleSet } from '../../src/rules/types';
import { HAS_POSTGRES } from '../helpers/postgres';
import { readCsv, useBundledModels } from './bundled-models';
import { hostileModel, hostileRows } from './hostile-model';
import { type Answer, ENGINES, expectedOf, sqliteStoredNear, useSqlEngines } from './sql-engines';

const engines = useSqlEngines();
const runIn = engines.run;

const models = useBundledModels();

describe.each(ENGINES)('the %s export, run in the engine', (dialect) => {
  it('decides every row of every bundled data set as neurules does, text or typed columns', async () => {
    for (const m of models) {
      const table = readCsv(m.data);
      const sql = ruleSetToSql(m.ruleSet, m.schema, { dialect });
      const expected = expectedOf(m.ruleSet, m.schema, table);
      expect(await runIn(dialect, sql, table)).toEqual(expected);
      // Numeric features loaded as numbers, as an engine's CSV import types them. SQLite
      // made the numbers from the texts as it stored them: one that near a threshold is
      // refused (a few records: those that equal a threshold).
      const types = table.columns.map((c) => {
        const f = m.schema.features.find((x) => x.name === c);
        return f?.type === 'numeric' ? (dialect === 'sqlite' ? 'REAL' : 'DOUBLE') : undefined;
      });
      const typed =
        dialect === 'sqlite'
          ? expectedOf(m.ruleSet, m.schema, table, sqliteStoredNear(m.ruleSet, table, types))
          : expected;
      expect(await runIn(dialect, sql, table, types)).toEqual(typed);
      const refused = typed.filter((e, i) => e.error !== expected[i]!.error).length;
      expect(refused).toBeLessThanOrEqual(table.rows.length * 0.1);
    }
  });

  it('missing values, unseen levels, odd and bad numbers: as the rules and predict take them', async () => {
    const m = models[0]!; // German credit: numeric and categorical features
    const columns = m.schema.features.map((f) => f.name);
    const text = (s: string) => fc.constantFrom(s, ` ${s}`, `${s} `);
    const cell = (i: number): fc.Arbitrary<string | null> => {
      const f = m.schema.features[i]!;
      const missing = fc.constantFrom<string | null>(null, '', '?', 'NA', ' NA ');
      if (f.type === 'categorical') {
        return fc.oneof(
          fc.constantFrom(...f.levels).chain(text),
          missing,
          fc.constantFrom('never seen', "o'brien", '"x"', 'A;B', '1'),
        );
      }
      const n = fc.double({ min: f.min - 10, max: f.max + 10, noNaN: true });
      return fc.oneof(
        { weight: 6, arbitrary: n.map((x) => String(f.integer ? Math.round(x) : x)) },
        { weight: 2, arbitrary: missing },
        {
          weight: 2,
          arbitrary: fc.constantFrom('007', '+5', '.5', '5.', '1e1', '2E+1', '-0', '24.000'),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom('abc', 'inf', 'NaN', '1e309', '5,05', '0x10', '1e', '.', '-'),
        },
      );
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(...columns.map((_, i) => cell(i))), { minLength: 1, maxLength: 40 }),
        async (rows) => {
          const table = { columns, rows: rows as (string | null)[][] };
          const sql = ruleSetToSql(m.ruleSet, m.schema, { dialect });
          expect(await runIn(dialect, sql, table)).toEqual(expectedOf(m.ruleSet, m.schema, table));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('hostile column names, levels and classes cannot change the query', async () => {
    const hostile = fc.oneof(
      fc.constantFrom('select', 'a"b', 'x y', "it's", 'from', '--', ';', 'CASE', 'neurules_src'),
      fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('\u0000')),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(hostile, { minLength: 2, maxLength: 2, selector: (s) => s.trim() }),
        fc.uniqueArray(hostile, { minLength: 3, maxLength: 3, selector: (s) => s.trim() }),
        fc.uniqueArray(hostile, { minLength: 2, maxLength: 2 }),
        async ([num, cat], levelsRaw, classes) => {
          // Column names: DuckDB compares them case-insensitively; levels are trimmed text.
          fc.pre(num!.toLowerCase() !== cat!.toLowerCase());
          const levels = levelsRaw.map((s) => s.trim());
          fc.pre(levels.every((l) => !['', '?', 'NA'].includes(l)));
          const { ruleSet, schema } = hostileModel(num!, cat!, levels, classes);
          const columns = [num!, cat!];
          const table = { columns, rows: hostileRows(levels) };
          const sql = ruleSetToSql(ruleSet, schema, { dialect });
          expect(await runIn(dialect, sql, table)).toEqual(expectedOf(ruleSet, schema, table));
        },
      ),
      { numRuns: 30 },
    );
  });
});

/**
 * A bundled model's rule set with one more rule above the others, on German credit's
 * `foreign_worker` (yes/no, which DuckDB types BOOLEAN): the distilled rules never test it.
 */
function withForeignWorkerRule(m: { ruleSet: RuleSet }): RuleSet {
  const rule = {
    name: 'foreign-no',
    priority: 1000,
    conditions: { all: [{ fact: 'foreign_worker', operator: 'equal', value: 'no' }] },
    event: { type: 'neurules.decision', params: { class: 'good', ruleId: 'foreign-no' } },
  } as unknown as NeurulesRule;
  return { ...m.ruleSet, rules: [rule, ...m.ruleSet.rules] };
}

describe("columns typed as DuckDB's type detection types them", () => {
  /** Run the DuckDB query over `records` and read its answers in order. */
  const duckAnswers = async (sql: string): Promise<Answer[]> =>
    (await engines.duck.runAndReadAll(sql)).getRowObjects().map((r) => ({
      rule: r.neurules_rule as string | null,
      cls: r.neurules_class as string | null,
      error: r.neurules_error as string | null,
    }));
  const typesOf = async (): Promise<Record<string, string>> =>
    Object.fromEntries(
      (await engines.duck.runAndReadAll('DESCRIBE records'))
        .getRowObjects()
        .map((r) => [r.column_name as string, r.column_type as string]),
    );

  it.each(['read_csv', 'read_csv_auto'])(
    "DuckDB's %s with default options: every row of every bundled data set as predict decides it",
    async (reader) => {
      for (const m of models) {
        const table = readCsv(m.data);
        await engines.duck.run(
          `CREATE OR REPLACE TABLE records AS SELECT * FROM ${reader}(${quoteString(m.data)})`,
        );
        const types = await typesOf();
        // Numbers as BIGINT and DOUBLE, yes/no as BOOLEAN: typed columns, not text.
        expect(Object.values(types)).toContain(m.name === 'german-credit' ? 'BIGINT' : 'DOUBLE');
        const ruleSets = [m.ruleSet];
        if (m.name === 'german-credit') {
          expect(types.foreign_worker).toBe('BOOLEAN');
          ruleSets.push(withForeignWorkerRule(m));
        }
        for (const ruleSet of ruleSets) {
          const want = expectedOf(ruleSet, m.schema, table);
          expect(await duckAnswers(ruleSetToSql(ruleSet, m.schema))).toEqual(want);
          if (ruleSet !== m.ruleSet) expect(want.map((w) => w.rule)).toContain('foreign-no');
        }
      }
    },
  );

  it('numeric columns typed by the user as DECIMAL, INTEGER, HUGEINT and FLOAT: every row', async () => {
    for (const m of models) {
      const table = readCsv(m.data);
      const numeric = m.schema.features.filter((f) => f.type === 'numeric');
      // Wide enough for every value of the file (a narrower scale rounds as the file is read).
      const type = (f: (typeof numeric)[number]): string =>
        f.integer ? (f.name.length % 2 ? 'INTEGER' : 'HUGEINT') : 'DECIMAL(18,6)';
      const types = numeric.map((f) => `${quoteString(f.name)}: '${type(f)}'`).join(', ');
      await engines.duck.run(
        `CREATE OR REPLACE TABLE records AS SELECT * FROM read_csv(${quoteString(m.data)}, types = {${types}})`,
      );
      expect(await duckAnswers(ruleSetToSql(m.ruleSet, m.schema))).toEqual(
        expectedOf(m.ruleSet, m.schema, table),
      );
    }
    // FLOAT keeps 6 digits: iris' one-decimal measurements read back as themselves.
    const iris = models.find((m) => m.name === 'iris')!;
    const floats = iris.schema.features.map((f) => `${quoteString(f.name)}: 'FLOAT'`).join(', ');
    await engines.duck.run(
      `CREATE OR REPLACE TABLE records AS SELECT * FROM read_csv(${quoteString(iris.data)}, types = {${floats}})`,
    );
    expect(await duckAnswers(ruleSetToSql(iris.ruleSet, iris.schema))).toEqual(
      expectedOf(iris.ruleSet, iris.schema, readCsv(iris.data)),
    );
  });

  it.each(HAS_POSTGRES ? (['postgres', 'sqlite'] as const) : (['sqlite'] as const))(
    '%s columns of the types DuckDB detects (BOOLEAN, BIGINT, DOUBLE): every row of every bundled data set',
    async (dialect) => {
      for (const m of models) {
        const table = readCsv(m.data);
        await engines.duck.run(
          `CREATE OR REPLACE TABLE records AS SELECT * FROM read_csv(${quoteString(m.data)})`,
        );
        const detected = await typesOf();
        const types = table.columns.map((c) => detected[c]);
        const ruleSets =
          m.name === 'german-credit' ? [m.ruleSet, withForeignWorkerRule(m)] : [m.ruleSet];
        for (const ruleSet of ruleSets) {
          const sql = ruleSetToSql(ruleSet, m.schema, { dialect });
          const near = dialect === 'sqlite' ? sqliteStoredNear(ruleSet, table, types) : () => false;
          expect(await runIn(dialect, sql, table, types)).toEqual(
            expectedOf(ruleSet, m.schema, table, near),
          );
        }
      }
    },
  );
});

describe('quoting and refusals', () => {
  it('quotes by doubling, so a name or value is always one token', () => {
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(quoteString("it's")).toBe("'it''s'");
  });

  it('refuses a NUL character (UNSUPPORTED_VALUE) and an unknown dialect (INVALID_ARGUMENT)', () => {
    expect(() => quoteString('a\u0000b')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VALUE' }),
    );
    const m = models[0]!;
    expect(() => ruleSetToSql(m.ruleSet, m.schema, { dialect: 'oracle' as SqlDialect })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'dialect' }),
    );
  });
});
