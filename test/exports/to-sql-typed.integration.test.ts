import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import { coerceRecord } from '../../src/data/coerce-record';
import type { Schema } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import {
  decimalText,
  parseDecimal,
  postgresBoolean,
  postgresFloat,
  postgresInteger,
  sqliteNumber,
} from '../../src/exports/typed-levels';
import {
  quoteIdentifier,
  quoteString,
  ruleSetToSql,
  type SqlDialect,
} from '../../src/exports/to-sql';
import type { NeurulesRule, RuleSet } from '../../src/rules/types';
import { HAS_POSTGRES, type Postgres, startPostgres } from '../helpers/postgres';

// Typed columns: an engine's type detection reads a categorical column as BOOLEAN,
// integers, DECIMAL, DOUBLE or dates. Each test models one categorical feature whose rules
// say which text the query read: rule `L<j>` for level j, `missing`, and `unseen` for a
// text that is no level; the query must pick the rule the compiled evaluator picks on the
// file's own text, or refuse the record (WRONG_TYPE) where two levels read as one value.

/** A one-feature model whose deciding rule names the text the feature was read as. */
function readerModel(name: string, levels: string[]): { ruleSet: RuleSet; schema: Schema } {
  const schema: Schema = {
    format: 'neurules.schema',
    version: 1,
    target: 'y',
    classes: ['a', 'b'],
    rows: 10,
    features: [{ name, type: 'categorical', levels, missing: 0 }],
  };
  const rule = (id: string, priority: number, conditions: NeurulesRule['conditions']) =>
    ({
      name: id,
      priority,
      conditions,
      event: {
        type: 'neurules.decision',
        params: { class: priority % 2 ? 'a' : 'b', ruleId: id },
      },
    }) as unknown as NeurulesRule;
  const rules = [
    ...levels.map((l, j) =>
      rule(`L${j}`, levels.length + 2 - j, { all: [{ fact: name, operator: 'in', value: [l] }] }),
    ),
    rule('missing', 2, { all: [{ fact: name, operator: 'equal', value: null }] }),
    rule('unseen', 1, { all: [] }),
  ];
  const ruleSet = {
    format: 'neurules.rules',
    version: 1,
    model: `reader ${name}`,
    target: 'y',
    classes: ['a', 'b'],
    rules,
  } as unknown as RuleSet;
  return { ruleSet, schema };
}

interface Answer {
  rule: string | null;
  error: string | null;
}

/** The rule the compiled evaluator picks for each text, as predict reads a CSV cell. */
function expected(model: ReturnType<typeof readerModel>, texts: (string | null)[]): Answer[] {
  const compiled = compileRuleSet(model.ruleSet);
  const name = model.schema.features[0]!.name;
  return texts.map((text) => {
    const { record, issues } = coerceRecord(
      model.schema,
      { [name]: text },
      {},
      { unknownCategories: 'keep' },
    );
    expect(issues).toEqual([]);
    return { rule: compiled.decide(record).ruleId, error: null };
  });
}

/** A CSV cell: quoted when it holds a comma or quote. */
const cell = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

let dir: string;
let duck: DuckDBConnection;
let pg: Postgres | undefined;
let SQL: Awaited<ReturnType<typeof initSqlJs>>;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-typed-'));
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  SQL = await initSqlJs();
  if (HAS_POSTGRES) {
    const started = await startPostgres();
    if ('client' in started) pg = started;
  }
}, 120_000);
afterAll(async () => {
  duck?.closeSync();
  await pg?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Write `columns` (name → texts, '' for an empty cell) as a CSV with a row number first,
 * load it into DuckDB with `load` (its type detection by default), and return the types it
 * gave the columns.
 */
async function loadCsv(
  columns: Record<string, string[]>,
  load: (file: string) => string = (f) => `read_csv(${quoteString(f)})`,
): Promise<Record<string, string>> {
  const names = Object.keys(columns);
  const rows = columns[names[0]!]!.length;
  const lines = [['neurules_row', ...names].map(cell).join(',')];
  for (let i = 0; i < rows; i++)
    lines.push([String(i), ...names.map((n) => cell(columns[n]![i]!))].join(','));
  const file = path.join(dir, `t${Math.random().toString(36).slice(2)}.csv`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  await duck.run(`CREATE OR REPLACE TABLE records AS SELECT * FROM ${load(file)}`);
  const described = (await duck.runAndReadAll('DESCRIBE records')).getRowObjects();
  return Object.fromEntries(
    described.map((r) => [r.column_name as string, r.column_type as string]),
  );
}

/** The rule and error the dialect's query gives each row of `records`, in row order. */
async function answers(
  model: ReturnType<typeof readerModel>,
  dialect: SqlDialect = 'duckdb',
): Promise<Answer[]> {
  const sql = ruleSetToSql(model.ruleSet, model.schema, { dialect });
  const ordered = `SELECT neurules_rule, neurules_error FROM (\n${sql}) AS q ORDER BY neurules_row`;
  if (dialect === 'postgres') {
    const result = await pg!.client.query(ordered);
    return result.rows.map((r: Record<string, string | null>) => ({
      rule: r.neurules_rule ?? null,
      error: r.neurules_error ?? null,
    }));
  }
  const rows = (await duck.runAndReadAll(ordered)).getRowObjects();
  return rows.map((r) => ({
    rule: r.neurules_rule as string | null,
    error: r.neurules_error as string | null,
  }));
}

/** `n` texts: the levels and an empty cell, over and over. */
function cycle(levels: string[], n = 14): string[] {
  const texts = [...levels, ''];
  return Array.from({ length: n }, (_, i) => texts[i % texts.length]!);
}

/**
 * Columns DuckDB's type detection types, with the type it gives each and the levels, by
 * file: DuckDB takes one date format per file, and looks for it in one column only.
 */
const DETECTED: { name: string; levels: string[]; type: string }[][] = [
  [
    { name: 'yes_no', levels: ['yes', 'no'], type: 'BOOLEAN' },
    { name: 'capital_yes_no', levels: ['Yes', 'NO'], type: 'BOOLEAN' },
    { name: 'true_false', levels: ['true', 'false'], type: 'BOOLEAN' },
    { name: 't_f', levels: ['t', 'F'], type: 'BOOLEAN' },
    { name: 'bits', levels: ['0', '1'], type: 'BIGINT' },
    { name: 'codes', levels: ['1', '2', '10', '-4'], type: 'BIGINT' },
    { name: 'iso_date', levels: ['2024-01-05', '2023-12-31'], type: 'DATE' },
    { name: 'stamp', levels: ['2024-01-05 10:00:00', '2024-01-05 11:30:00.5'], type: 'TIMESTAMP' },
    { name: 'clock', levels: ['10:00:00', '11:30:15'], type: 'TIME' },
    { name: 'amount', levels: ['1.50', '2.25', '10'], type: 'DOUBLE' },
    { name: 'zeros', levels: ['007', '010'], type: 'VARCHAR' },
  ],
  [{ name: 'us_date', levels: ['01/15/2024', '12/31/2023'], type: 'DATE' }],
  [{ name: 'eu_date', levels: ['15.01.2024', '31.12.2023'], type: 'DATE' }],
  [
    {
      name: 'us_stamp',
      levels: ['01/15/2024 10:00:00 AM', '12/31/2023 11:30:00 PM'],
      type: 'TIMESTAMP',
    },
  ],
];

describe("DuckDB's type detection (read_csv, read_csv_auto with default options)", () => {
  it.each(['read_csv', 'read_csv_auto'])(
    '%s: yes/no, true/false, t/f, 0/1, dates, times and decimals read back as their levels, every row',
    async (reader) => {
      for (const file of DETECTED) {
        const columns = Object.fromEntries(file.map((c) => [c.name, cycle(c.levels)]));
        const types = await loadCsv(columns, (f) => `${reader}(${quoteString(f)})`);
        // The test covers what it says: DuckDB typed each column as listed.
        expect(Object.fromEntries(file.map((c) => [c.name, types[c.name]]))).toEqual(
          Object.fromEntries(file.map((c) => [c.name, c.type])),
        );
        for (const c of file) {
          const model = readerModel(c.name, c.levels);
          const want = expected(model, columns[c.name]!);
          expect({ column: c.name, answers: await answers(model) }).toEqual({
            column: c.name,
            answers: want,
          });
          // Every level is read back (the test would pass vacuously on unseen texts).
          expect(new Set(want.map((a) => a.rule))).toEqual(
            new Set([...c.levels.map((_, j) => `L${j}`), 'missing']),
          );
        }
      }
    },
  );

  it('a value two levels read as is refused (WRONG_TYPE), never given a wrong class', async () => {
    const cases: { name: string; levels: string[]; texts: string[]; refused: string[] }[] = [
      // yes and true are both DuckDB's true.
      {
        name: 'flag',
        levels: ['yes', 'true', 'no'],
        texts: ['yes', 'no', 'no', 'yes'],
        refused: ['yes'],
      },
      // 01/02/2024 is January 2 as month/day and 02/01/2024 is as day/month: the query
      // cannot know the format DuckDB chose; 03/15/2024 is March 15 either way.
      {
        name: 'day',
        levels: ['01/02/2024', '02/01/2024', '03/15/2024'],
        texts: ['01/02/2024', '03/15/2024', '02/01/2024'],
        refused: ['01/02/2024', '02/01/2024'],
      },
      // 1.5 and 1.50 are one DOUBLE.
      {
        name: 'rate',
        levels: ['1.5', '1.50', '2'],
        texts: ['1.5', '2', '1.50'],
        refused: ['1.5', '1.50'],
      },
    ];
    for (const c of cases) {
      await loadCsv({ [c.name]: c.texts });
      const model = readerModel(c.name, c.levels);
      const want = expected(model, c.texts).map((a, i) =>
        c.refused.includes(c.texts[i]!) ? { rule: null, error: 'WRONG_TYPE' } : a,
      );
      expect({ column: c.name, answers: await answers(model) }).toEqual({
        column: c.name,
        answers: want,
      });
    }
  });

  it('a typed value no level could have been read as goes where unseen levels go', async () => {
    const texts = ['yes', 'no', '', 'no'];
    const types = await loadCsv({ answer: texts });
    expect(types.answer).toBe('BOOLEAN');
    const model = readerModel('answer', ['a', 'b']);
    expect(await answers(model)).toEqual(expected(model, texts));
    expect((await answers(model)).map((a) => a.rule)).toEqual([
      'unseen',
      'unseen',
      'missing',
      'unseen',
    ]);
  });

  it('random levels of each kind: the level the file held, or a refusal only where two levels read as one value', async () => {
    // Texts DuckDB reads as one value, by group: a level is refused only when another level
    // of its group is a level too (then the query cannot tell which the file held).
    const POOLS: string[][][] = [
      [
        ['true', 'yes', 't', 'TRUE', 'Yes', 'T'],
        ['false', 'no', 'f', 'FALSE', 'No', 'F'],
      ],
      [['7', '7.0', '07', '7e0'], ['10', '10.0', '1e1'], ['-3'], ['0', '0.0', '-0']],
      [
        ['2024-01-05', '2024-1-5', '01/05/2024', '2024/01/05'],
        ['2023-12-31', '12/31/2023', '31.12.2023', '2023-12-31 00:00:00'],
      ],
      [['1.5', '1.50', '+1.5'], ['2.25'], ['3', '3.00']],
      [['10:00', '10:00:00'], ['11:30:15']],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...POOLS)
          .chain((pool) =>
            fc
              .uniqueArray(fc.constantFrom(...pool.flat()), { minLength: 1, maxLength: 6 })
              .chain((levels) =>
                fc.tuple(
                  fc.constant(pool),
                  fc.constant(levels),
                  fc.array(fc.constantFrom(...levels, ''), { minLength: 1, maxLength: 25 }),
                ),
              ),
          ),
        async ([pool, levels, texts]) => {
          await loadCsv({ v: texts });
          const model = readerModel('v', levels);
          const want = expected(model, texts);
          const got = await answers(model);
          got.forEach((a, i) => {
            if (a.error === null) {
              expect(a).toEqual(want[i]);
            } else {
              expect(a).toEqual({ rule: null, error: 'WRONG_TYPE' });
              const group = pool.find((g) => g.includes(texts[i]!))!;
              expect(group.filter((t) => levels.includes(t)).length).toBeGreaterThan(1);
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('types given by the user: DECIMAL rounds as DuckDB does, other integer widths, FLOAT; types with no text to read back are refused', async () => {
    const texts = ['1.50', '2.25', '3', '', '2.25', '7'];
    const types = await loadCsv(
      {
        d1: texts,
        d3: texts,
        small: ['01', '2', '3', '', '2', '7'],
        f: texts,
        tz: texts.map((t) => (t ? '2024-01-05 10:00:00+02' : '')),
      },
      (f) =>
        `read_csv(${quoteString(f)}, types = {'d1': 'DECIMAL(4,1)', 'd3': 'DECIMAL(6,3)', 'small': 'UTINYINT', 'f': 'FLOAT', 'tz': 'TIMESTAMPTZ'})`,
    );
    expect(types).toMatchObject({
      d1: 'DECIMAL(4,1)',
      d3: 'DECIMAL(6,3)',
      small: 'UTINYINT',
      f: 'FLOAT',
      tz: 'TIMESTAMP WITH TIME ZONE',
    });
    for (const name of ['d1', 'd3', 'f']) {
      // 2.25 is 2.3 in DECIMAL(4,1): still the one level read as 2.3.
      const model = readerModel(name, ['1.50', '2.25', '3', '7']);
      expect({ name, answers: await answers(model) }).toEqual({
        name,
        answers: expected(model, texts),
      });
    }
    // 2.3 would be read as 2.3 too: with both levels the query refuses the value.
    const both = readerModel('d1', ['1.50', '2.25', '2.3', '3', '7']);
    expect((await answers(both)).map((a) => a.error)).toEqual([
      null,
      'WRONG_TYPE',
      null,
      null,
      'WRONG_TYPE',
      null,
    ]);
    const small = readerModel('small', ['01', '2', '3', '7']);
    expect(await answers(small)).toEqual(expected(small, ['01', '2', '3', '', '2', '7']));
    // A time zone's timestamp reads as text that depends on the session's TimeZone.
    const tz = readerModel('tz', ['2024-01-05 10:00:00+02']);
    expect((await answers(tz)).map((a) => a.error)).toEqual([
      'WRONG_TYPE',
      'WRONG_TYPE',
      'WRONG_TYPE',
      null,
      'WRONG_TYPE',
      'WRONG_TYPE',
    ]);
  });

  it("a column's collation does not make two levels equal", async () => {
    await duck.run(
      'CREATE OR REPLACE TABLE records (neurules_row INTEGER, v VARCHAR COLLATE nocase)',
    );
    await duck.run("INSERT INTO records VALUES (0, 'A'), (1, 'a'), (2, 'NA'), (3, 'na')");
    const model = readerModel('v', ['a', 'A']);
    expect(await answers(model)).toEqual(expected(model, ['A', 'a', 'NA', 'na']));
  });
});

const describePg = HAS_POSTGRES ? describe : describe.skip;

describePg('PostgreSQL columns of other types than text', () => {
  /** Create `records` with the columns' SQL types and insert the texts (PostgreSQL casts them). */
  async function loadPg(columns: { name: string; type: string; texts: string[] }[]): Promise<void> {
    const c = pg!.client;
    await c.query('DROP TABLE IF EXISTS records');
    await c.query(
      `CREATE TABLE records (neurules_row INTEGER, ${columns.map((x) => `${quoteIdentifier(x.name)} ${x.type}`).join(', ')})`,
    );
    const rows = columns[0]!.texts.length;
    for (let i = 0; i < rows; i++) {
      await c.query(
        `INSERT INTO records VALUES (${[0, ...columns].map((_, j) => `$${j + 1}`).join(', ')})`,
        [i, ...columns.map((x) => (x.texts[i] === '' ? null : x.texts[i]))],
      );
    }
  }

  it('BOOLEAN, integers, NUMERIC, REAL and DOUBLE PRECISION read back as their levels; dates are refused', async () => {
    const columns = [
      {
        name: 'flag',
        type: 'BOOLEAN',
        levels: ['yes', 'no'],
        texts: ['yes', 'no', '', 'no', 'yes'],
      },
      { name: 'tf', type: 'BOOLEAN', levels: ['t', 'f'], texts: ['t', 'f', '', 'f', 't'] },
      {
        name: 'onoff',
        type: 'BOOLEAN',
        levels: ['on', 'off'],
        texts: ['on', 'off', '', 'off', 'on'],
      },
      {
        name: 'code',
        type: 'INTEGER',
        levels: ['007', '010', '-2'],
        texts: ['007', '010', '', '-2', '007'],
      },
      {
        name: 'big',
        type: 'BIGINT',
        levels: ['12345678901234567'],
        texts: [
          '12345678901234567',
          '12345678901234567',
          '',
          '12345678901234567',
          '12345678901234567',
        ],
      },
      {
        name: 'num1',
        type: 'NUMERIC(4,1)',
        levels: ['1.50', '2.25', '3'],
        texts: ['1.50', '2.25', '', '3', '2.25'],
      },
      {
        name: 'num',
        type: 'NUMERIC',
        levels: ['1.50', '2.25', 'NaN'],
        texts: ['1.50', '2.25', '', 'NaN', '2.25'],
      },
      {
        name: 'r4',
        type: 'REAL',
        levels: ['0.1', '2.5', 'Infinity'],
        texts: ['0.1', '2.5', '', 'Infinity', '0.1'],
      },
      {
        name: 'r8',
        type: 'DOUBLE PRECISION',
        levels: ['0.1', '1e23', '-0'],
        texts: ['0.1', '1e23', '', '-0', '0.1'],
      },
      { name: 'padded', type: 'CHAR(5)', levels: ['ab', 'A'], texts: ['ab', 'A', '', 'ab', 'A'] },
    ];
    await loadPg(columns);
    for (const c of columns) {
      const model = readerModel(c.name, c.levels);
      expect({ column: c.name, answers: await answers(model, 'postgres') }).toEqual({
        column: c.name,
        answers: expected(model, c.texts),
      });
    }
    await loadPg([{ name: 'day', type: 'DATE', texts: ['2024-01-05', ''] }]);
    const day = readerModel('day', ['2024-01-05']);
    expect(await answers(day, 'postgres')).toEqual([
      { rule: null, error: 'WRONG_TYPE' },
      { rule: 'missing', error: null },
    ]);
  });

  it('a NUMERIC level with a thousand decimals: a bounded query, exact where it can be, refused between', async () => {
    const tiny = `0.${'0'.repeat(999)}1`; // 1e-1000
    const scale45 = `0.${'0'.repeat(44)}1`;
    await loadPg([{ name: 'n', type: 'NUMERIC', texts: ['1e-1000', '2', scale45, '2.5'] }]);
    const model = readerModel('n', [tiny, '2']);
    // (A rounded lookup for each of the thousand scales would be megabytes.)
    expect(ruleSetToSql(model.ruleSet, model.schema, { dialect: 'postgres' }).length).toBeLessThan(
      200_000,
    );
    expect(await answers(model, 'postgres')).toEqual([
      { rule: 'L0', error: null },
      { rule: 'L1', error: null },
      // Scale 45: below the level's 1000 decimals, past the 40 the query lists: refused.
      { rule: null, error: 'WRONG_TYPE' },
      { rule: 'unseen', error: null },
    ]);
  });

  it('a BOOLEAN two levels read as one value is refused', async () => {
    await loadPg([{ name: 'flag', type: 'BOOLEAN', texts: ['yes', 'no', 'n'] }]);
    const model = readerModel('flag', ['yes', 'y', 'no']);
    expect(await answers(model, 'postgres')).toEqual([
      { rule: null, error: 'WRONG_TYPE' },
      { rule: 'L2', error: null },
      { rule: 'L2', error: null },
    ]);
  });

  it('a case-insensitive collation does not make two levels equal', async () => {
    const c = pg!.client;
    await c.query(
      "CREATE COLLATION IF NOT EXISTS neurules_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
    );
    await loadPg([{ name: 'v', type: 'TEXT COLLATE neurules_ci', texts: ['A', 'a', 'b'] }]);
    const model = readerModel('v', ['a', 'A']);
    expect(await answers(model, 'postgres')).toEqual(expected(model, ['A', 'a', 'b']));
  });
});

describe('SQLite columns of other affinities than text', () => {
  it('INTEGER, REAL, NUMERIC, BOOLEAN and untyped columns read back as their levels; SQLite itself says which level a stored number was', () => {
    const columns: {
      name: string;
      type: string;
      levels: string[];
      texts: string[];
      values?: (number | null)[];
    }[] = [
      {
        name: 'i',
        type: 'INTEGER',
        levels: ['007', '10', '-2', '1.0e1x'],
        texts: ['007', '10', '', '-2', '1.0e1x'],
      },
      {
        name: 'r',
        type: 'REAL',
        levels: ['1.50', '2', '0.1'],
        texts: ['1.50', '2', '', '0.1', '2'],
      },
      {
        name: 'n',
        type: 'NUMERIC',
        levels: ['7.0', '2.5', 'x'],
        texts: ['7.0', '2.5', '', 'x', '7.0'],
      },
      {
        name: 'b',
        type: 'BOOLEAN',
        levels: ['yes', 'no', '1'],
        texts: ['yes', 'no', '', '1', 'yes'],
      },
      {
        name: 'amb',
        type: 'NUMERIC',
        levels: ['7', '7.0', '8'],
        texts: ['7', '7.0', '', '8', '8'],
      },
      // SQLite stores both 5 and 5.00000000000000044423 as the REAL 5 (JavaScript reads the
      // second as the double above 5): either may have been the file's, so both are refused.
      {
        name: 'long',
        type: 'REAL',
        levels: ['5', '5.00000000000000044423', '7.25'],
        texts: ['5', '5.00000000000000044423', '', '7.25', '7.25'],
      },
      // No affinity: numbers an application bound are stored as they are.
      {
        name: 'bound',
        type: '',
        levels: ['007', '1.50', 'x'],
        texts: ['007', '1.50', '', 'x', '007'],
        values: [7, 1.5, null, null, 7],
      },
    ];
    const db = new SQL.Database();
    try {
      db.run(
        `CREATE TABLE records (neurules_row INTEGER, ${columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ')})`,
      );
      const stmt = db.prepare(
        `INSERT INTO records VALUES (${['?', ...columns.map(() => '?')].join(', ')})`,
      );
      for (let i = 0; i < 5; i++)
        stmt.run([
          i,
          ...columns.map((c) =>
            c.values?.[i] != null ? c.values[i]! : c.texts[i] === '' ? null : c.texts[i]!,
          ),
        ]);
      stmt.free();
      for (const c of columns) {
        const model = readerModel(c.name, c.levels);
        const sql = ruleSetToSql(model.ruleSet, model.schema, { dialect: 'sqlite' });
        const [result] = db.exec(
          `SELECT neurules_rule, neurules_error FROM (\n${sql}) ORDER BY neurules_row`,
        );
        const got = result!.values.map(([rule, error]) => ({ rule, error }));
        const refused: Record<string, string[]> = {
          // 7 and 7.0 are both the INTEGER 7 in a NUMERIC column.
          amb: ['7', '7.0'],
          long: ['5', '5.00000000000000044423'],
        };
        const want = expected(model, c.texts).map((a, i) =>
          refused[c.name]?.includes(c.texts[i]!) ? { rule: null, error: 'WRONG_TYPE' } : a,
        );
        expect({ column: c.name, answers: got }).toEqual({ column: c.name, answers: want });
      }
    } finally {
      db.close();
    }
  });
});

describe('the models of PostgreSQL and SQLite input the query uses, against the engines', () => {
  const TEXTS = [
    ...[
      't',
      'tr',
      'TRUE',
      'truex',
      'y',
      'Ye',
      'yes',
      'on',
      'o',
      'of',
      'OFF',
      'offf',
      'n',
      'no',
      'f',
      'fa',
      'false',
      '1',
      '0',
      '2',
    ],
    ...[
      '7',
      '+7',
      '-7',
      '007',
      '7.0',
      '7.5',
      '1e2',
      '0x1F',
      '-0x10',
      '0b101',
      '0o17',
      '1_000',
      '99999999999999999999',
      '-0',
    ],
    ...[
      '1.5',
      '1.50',
      '.5',
      '5.',
      '1e-3',
      '2.25',
      '1.555',
      '-1.555',
      'NaN',
      'nan',
      'Infinity',
      '-inf',
      '1e309',
      '1e-400',
      '0.1',
      'abc',
      '',
    ],
  ];

  it('PostgreSQL reads each text as the model says (boolean, integer, numeric, real, double precision)', async () => {
    if (!pg) return;
    const c = pg.client;
    const server = Number((await c.query('SHOW server_version_num')).rows[0].server_version_num);
    for (const text of TEXTS) {
      const read = async (type: string): Promise<string | undefined> => {
        try {
          return (await c.query(`SELECT CAST(CAST($1 AS ${type}) AS TEXT) AS v`, [text])).rows[0]
            .v as string;
        } catch {
          return undefined;
        }
      };
      const b = postgresBoolean(text);
      expect({ text, v: await read('BOOLEAN') }).toEqual({
        text,
        v: b === undefined ? b : String(b),
      });
      // Version 16 reads `_`, 0x, 0o and 0b integers; the model takes them on every version.
      const newer = server >= 160000 || !/[_xob]/i.test(text);
      const n = postgresInteger(text);
      const asInt = await read('BIGINT');
      if (asInt !== undefined || newer) {
        const fits = n !== undefined && n < 2n ** 63n;
        expect({ text, v: asInt }).toEqual({ text, v: fits ? String(n) : undefined });
      }
      const d = parseDecimal(text);
      // A NUMERIC with a scale holds no infinity.
      const asNumeric = await read(d ? 'NUMERIC(30,2)' : 'NUMERIC');
      // (A number past 28 digits overflows NUMERIC(30,2): no reading to compare.)
      if ((asNumeric !== undefined || newer) && !(Math.abs(Number(text)) >= 1e28)) {
        // NUMERIC also holds NaN and (version 14 on) the infinities, as the query expects.
        const x = postgresFloat(text, 64);
        const special =
          x === undefined || Number.isFinite(x)
            ? undefined
            : Number.isNaN(x)
              ? 'NaN'
              : x > 0
                ? 'Infinity'
                : '-Infinity';
        expect({ text, v: asNumeric }).toEqual({ text, v: d ? decimalText(d, 2) : special });
      }
      for (const [type, bits] of [
        ['DOUBLE PRECISION', 64],
        ['REAL', 32],
      ] as const) {
        const got = await read(type);
        const v =
          got === undefined ? undefined : bits === 32 ? Math.fround(Number(got)) : Number(got);
        expect({ text, type, v }).toEqual({ text, type, v: postgresFloat(text, bits) });
      }
    }
  });

  it('SQLite stores each text with INTEGER and REAL affinity as the model says', () => {
    const db = new SQL.Database();
    try {
      db.run('CREATE TABLE t (i INTEGER, r REAL)');
      for (const text of TEXTS) {
        db.run('DELETE FROM t');
        db.run('INSERT INTO t VALUES (?, ?)', [text, text]);
        const [row] = db.exec('SELECT typeof(i), CAST(i AS TEXT), typeof(r), r FROM t')[0]!.values;
        const [ti, i, tr, r] = row as [string, string, string, number];
        const model = sqliteNumber(text);
        expect({ text, integer: ti === 'integer' ? i : undefined }).toEqual({
          text,
          integer: model?.integer === undefined ? undefined : String(model.integer),
        });
        expect({ text, real: tr === 'real' ? r : undefined }).toEqual({ text, real: model?.real });
      }
    } finally {
      db.close();
    }
  });
});
