import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import initSqlJs, { type Database } from 'sql.js';
import { coerceRecord } from '../../src/data/coerce-record';
import type { Schema } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { quoteIdentifier, type SqlDialect } from '../../src/exports/to-sql';
import type { RuleSet } from '../../src/rules/types';
import { HAS_POSTGRES, type Postgres, startPostgres } from '../helpers/postgres';
import type { RawTable } from './bundled-models';

/** What a query, or the rule set, decides for a raw row. */
export interface Answer {
  rule: string | null;
  cls: string | null;
  error: string | null;
}

/** The engines the SQL tests run the queries in (PostgreSQL where it is installed). */
export const ENGINES = [
  'duckdb',
  'sqlite',
  ...(HAS_POSTGRES ? (['postgres'] as const) : []),
] as const;

/** A dialect the tests run. */
export type RunDialect = Extract<SqlDialect, 'duckdb' | 'sqlite' | 'postgres'>;

/**
 * What the rule set decides for each raw row, as `predict` reads it (unseen levels kept):
 * WRONG_TYPE where predict refuses a value, or where `refused(row)` says the query must.
 */
export function expectedOf(
  ruleSet: RuleSet,
  schema: Schema,
  table: RawTable,
  refused: (row: (string | null)[]) => boolean = () => false,
): Answer[] {
  const compiled = compileRuleSet(ruleSet);
  const classOf = new Map(ruleSet.rules.map((r) => [r.name, String(r.event.params.class)]));
  return table.rows.map((row) => {
    const raw = Object.fromEntries(table.columns.map((c, i) => [c, row[i]]));
    const { record, issues } = coerceRecord(schema, raw, {}, { unknownCategories: 'keep' });
    if (issues.length > 0) {
      expect(issues.map((i) => i.code)).toContain('WRONG_TYPE');
      return { rule: null, cls: null, error: 'WRONG_TYPE' };
    }
    if (refused(row)) return { rule: null, cls: null, error: 'WRONG_TYPE' };
    const rule = compiled.decide(record).ruleId;
    return { rule, cls: classOf.get(rule)!, error: null };
  });
}

/** The numbers each feature is compared with in the rules' conditions. */
export function thresholds(ruleSet: RuleSet): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const walk = (c: unknown): void => {
    if (Array.isArray(c)) return c.forEach(walk);
    if (typeof c !== 'object' || c === null) return;
    const o = c as Record<string, unknown>;
    if (typeof o.fact === 'string' && typeof o.value === 'number')
      out.set(o.fact, [...(out.get(o.fact) ?? []), o.value]);
    Object.values(o).forEach(walk);
  };
  ruleSet.rules.forEach((r) => walk(r.conditions));
  return out;
}

/**
 * SQLite: whether a row's number stored in a numeric column (`types[i]` a number type)
 * lies so near a threshold (2^-44 of it, 2^-1000 near 0) that SQLite's reading of the
 * file's text, which may be a neighbour of the nearest double, could be either side: the
 * query refuses such a record.
 */
export function sqliteStoredNear(
  ruleSet: RuleSet,
  table: RawTable,
  types: (string | undefined)[],
): (row: (string | null)[]) => boolean {
  const near = thresholds(ruleSet);
  return (row) =>
    table.columns.some((c, i) => {
      const text = row[i];
      if (
        text === null ||
        text === undefined ||
        !/^(REAL|DOUBLE|BIGINT|INTEGER)$/.test(types[i] ?? '')
      )
        return false;
      // (A text SQLite keeps as text in a REAL column is refused, or decided, by predict.)
      if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) return false;
      const x = Number(text);
      return (near.get(c) ?? []).some(
        (t) => Math.abs(x - t) <= Math.max(Math.abs(t) * 2 ** -44, 2 ** -1000),
      );
    });
}

/** The engines of a test file, started before its tests and stopped after them. */
export interface SqlEngines {
  sqlite: Awaited<ReturnType<typeof initSqlJs>>;
  duck: DuckDBConnection;
  /** Undefined where PostgreSQL is not installed. */
  pg: Postgres | undefined;
  /**
   * Run the dialect's query over `table` loaded into a table `records` whose columns are
   * text, or of the engine types `types` gives (by column), and read its answers in order.
   */
  run(
    dialect: RunDialect,
    sql: string,
    table: RawTable,
    types?: (string | undefined)[],
  ): Promise<Answer[]>;
}

/** Start the engines before the file's tests (a throw-away PostgreSQL cluster), stop them after. */
export function useSqlEngines(): SqlEngines {
  let instance: DuckDBInstance | undefined;
  const engines: SqlEngines = {
    sqlite: undefined as unknown as SqlEngines['sqlite'],
    duck: undefined as unknown as DuckDBConnection,
    pg: undefined,
    run: (dialect, sql, table, types = []) => runIn(engines, dialect, sql, table, types),
  };
  beforeAll(async () => {
    engines.sqlite = await initSqlJs();
    instance = await DuckDBInstance.create(':memory:');
    engines.duck = await instance.connect();
    if (HAS_POSTGRES) {
      const started = await startPostgres();
      if ('client' in started) engines.pg = started;
    }
  }, 120_000);
  afterAll(async () => {
    engines.duck?.closeSync();
    instance?.closeSync();
    await engines.pg?.stop();
  });
  return engines;
}

async function runIn(
  engines: SqlEngines,
  dialect: RunDialect,
  sql: string,
  table: RawTable,
  types: (string | undefined)[],
): Promise<Answer[]> {
  const cols = table.columns.map((c, i) => `${quoteIdentifier(c)} ${types[i] ?? 'VARCHAR'}`);
  const insert = (placeholder: (i: number) => string) =>
    `INSERT INTO records VALUES (${table.columns.map((_, i) => placeholder(i)).join(', ')})`;
  if (dialect === 'sqlite') {
    const db: Database = new engines.sqlite.Database();
    try {
      db.run(`CREATE TABLE records (${cols.join(', ').replace(/VARCHAR/g, 'TEXT')})`);
      const stmt = db.prepare(insert(() => '?'));
      for (const row of table.rows) stmt.run(row);
      stmt.free();
      const [result] = db.exec(sql);
      const at = (name: string) => result!.columns.indexOf(name);
      return result!.values.map((v) => ({
        rule: v[at('neurules_rule')] as string | null,
        cls: v[at('neurules_class')] as string | null,
        error: v[at('neurules_error')] as string | null,
      }));
    } finally {
      db.close();
    }
  }
  if (dialect === 'postgres') {
    const c = engines.pg!.client;
    await c.query('DROP TABLE IF EXISTS records');
    await c.query(
      `CREATE TABLE records (${cols
        .join(', ')
        .replace(/VARCHAR/g, 'TEXT')
        .replace(/DOUBLE/g, 'DOUBLE PRECISION')})`,
    );
    for (const row of table.rows)
      await c.query(
        insert((i) => `$${i + 1}`),
        row.map((v, i) => (v !== null && types[i] === 'DOUBLE' ? Number(v) : v)),
      );
    const result = await c.query(sql);
    return result.rows.map((r: Record<string, string | null>) => ({
      rule: r.neurules_rule ?? null,
      cls: r.neurules_class ?? null,
      error: r.neurules_error ?? null,
    }));
  }
  const duck = engines.duck;
  await duck.run('DROP TABLE IF EXISTS records');
  await duck.run(`CREATE TABLE records (${cols.join(', ')})`);
  const appender = await duck.createAppender('records');
  for (const row of table.rows) {
    row.forEach((v, i) => {
      if (v === null) appender.appendNull();
      else if (types[i] === 'DOUBLE') appender.appendDouble(Number(v));
      else if (types[i] === 'INTEGER') appender.appendInteger(Number(v));
      else appender.appendVarchar(v);
    });
    appender.endRow();
  }
  appender.closeSync();
  const rows = (await duck.runAndReadAll(sql)).getRowObjects();
  return rows.map((r) => ({
    rule: r.neurules_rule as string | null,
    cls: r.neurules_class as string | null,
    error: r.neurules_error as string | null,
  }));
}
