import { MISSING_MARKERS, NUMBER_PATTERN_SQL } from '../data/parse-value';
import type { Feature, Schema } from '../data/types';
import { checkChoice } from '../errors';
import { quoteIdentifier, quoteString } from './sql-quote';
import { duckdbIsText, levelSql } from './typed-levels';

export { quoteIdentifier, quoteString };
import type { Region } from '../regions/region';
import { ruleRegions } from '../regions/rule-regions';
import type { Interval, ValueSet } from '../regions/value-set';
import type { NeurulesRule, RuleSet } from '../rules/types';

/** The SQL dialects {@link ruleSetToSql} writes. */
export const SQL_DIALECTS = ['duckdb', 'postgres', 'sqlite', 'ansi'] as const;

/** A dialect of {@link SQL_DIALECTS}. */
export type SqlDialect = (typeof SQL_DIALECTS)[number];

/** Options of {@link ruleSetToSql}. */
export interface SqlOptions {
  /** @defaultValue 'duckdb' */
  dialect?: SqlDialect;
  /** The table (or view) of records the query reads. @defaultValue 'records' */
  table?: string;
}

/** The column the query adds for the deciding rule's class. */
export const CLASS_COLUMN = 'neurules_class';
/** The column the query adds for the deciding rule's id. */
export const RULE_COLUMN = 'neurules_rule';
/** The column the query adds for a value `neurules predict` would refuse (its error code). */
export const ERROR_COLUMN = 'neurules_error';

/** What differs between dialects: types and the few functions the query needs. */
interface Dialect {
  text: string;
  double: string;
  /** SQL true when `t` (trimmed text, not missing) is a number as neurules reads numbers. */
  isNumber: (t: string) => string;
  /** The number of `t` (only used where `isNumber(t)` holds), NULL when not finite. */
  toNumber: (t: string) => string;
  /** The trimmed text `t` compared byte by byte, whatever the column's collation. */
  binary: (t: string) => string;
  /** Where a column's value is a number as stored, its type test and its value. */
  stored?: { when: (column: string) => string; value: (column: string) => string };
}

const MAX_DOUBLE = '1.7976931348623157e308';

const DIALECTS: Record<SqlDialect, Dialect> = {
  duckdb: {
    text: 'VARCHAR',
    double: 'DOUBLE',
    isNumber: (t) => `regexp_full_match(${t}, ${quoteString(NUMBER_PATTERN_SQL)})`,
    // A number out of range (1e309) casts to infinity: NULL here, as neurules refuses it.
    toNumber: (t) =>
      `CASE WHEN abs(TRY_CAST(${t} AS DOUBLE)) <= ${MAX_DOUBLE} THEN TRY_CAST(${t} AS DOUBLE) END`,
    // A column declared `COLLATE nocase` passes its collation on through CAST and TRIM.
    binary: (t) => `(${t} COLLATE "binary")`,
  },
  postgres: {
    text: 'TEXT',
    double: 'DOUBLE PRECISION',
    isNumber: (t) => `(${t} ~ ${quoteString(NUMBER_PATTERN_SQL)})`,
    // numeric holds 1e309 without error; only finite doubles are cast.
    toNumber: (t) =>
      `CASE WHEN abs(CAST(${t} AS NUMERIC)) <= ${MAX_DOUBLE} THEN CAST(${t} AS DOUBLE PRECISION) END`,
    // A nondeterministic (case-insensitive ICU) collation would make 'A' equal 'a'.
    binary: (t) => `(${t} COLLATE "C")`,
  },
  sqlite: {
    text: 'TEXT',
    double: 'REAL',
    // SQLite converts text to a number in a comparison with a NUMERIC value only when the
    // whole text is a well-formed number: the cast equals the text exactly for numbers.
    isNumber: (t) => `(${t} NOT GLOB '*[^0-9.eE+-]*' AND CAST(${t} AS NUMERIC) = ${t})`,
    // CAST('1e309' AS REAL) is Inf in SQLite: out-of-range values are NULL here.
    toNumber: (t) =>
      `CASE WHEN abs(CAST(${t} AS REAL)) <= ${MAX_DOUBLE} THEN CAST(${t} AS REAL) END`,
    // A function's result has no collation in SQLite: TRIM drops the column's.
    binary: (t) => t,
    // A stored INTEGER or REAL is read as stored: older SQLite versions write a REAL as
    // text with 15 digits, which need not read back as the same number.
    stored: {
      when: (c) => `typeof(${c}) IN ('integer', 'real')`,
      value: (c) => `CAST(${c} AS REAL)`,
    },
  },
  ansi: {
    text: 'VARCHAR(1000)',
    double: 'DOUBLE PRECISION',
    isNumber: (t) => portableIsNumber(t),
    toNumber: (t) => `CAST(${t} AS DOUBLE PRECISION)`,
    // The standard names no collation every engine has.
    binary: (t) => t,
  },
};

/** INVALID_ARGUMENT (field `dialect`) unless `dialect` is one of {@link SQL_DIALECTS}. */
export function checkDialect(dialect: unknown): asserts dialect is SqlDialect {
  checkChoice(dialect, SQL_DIALECTS, 'dialect');
}

/** A double literal that reads back as exactly this number in every engine. */
function numberLiteral(x: number, d: Dialect): string {
  // JavaScript's shortest round-trip text; every engine parses text to the nearest double.
  return `CAST('${String(x)}' AS ${d.double})`;
}

/**
 * The SQL query that decides every record of a table exactly as the rule set does: one
 * `CASE` over the rules in hit order (json-rules-engine's, as `ruleRegions` gives it),
 * each rule stated by its exact region. The query returns every column of the table, then
 * `neurules_rule` (the deciding rule's id), `neurules_error` and `neurules_class`.
 *
 * Each feature is read as `predict` reads a CSV cell, whatever type the engine gave its
 * column. A text column's value is trimmed; `NULL`, `''`, `'?'` and `'NA'` are missing
 * values. A numeric feature's text (a typed number's text: `1.50` for a DECIMAL, `7` for an
 * integer) must be a plain decimal number, as neurules parses numbers, compared as a
 * number; otherwise the record gets no class and `neurules_error` is `WRONG_TYPE`, the code
 * `predict` rejects it with. A categorical feature compares as text; a typed value
 * (DuckDB's BOOLEAN for yes/no, an integer, a DECIMAL, a DOUBLE, a date) is read back as
 * the one level the engine would have read as that value, as an unseen text when no level
 * would, and is refused (`WRONG_TYPE`) when several would or the type has no text to read
 * back (`typed-levels.ts`; the `ansi` dialect, with no standard way to ask a value's type,
 * reads text only). A level the model has never seen goes where the rules send unseen
 * levels (the rest side of every split). Names and values are quoted, never spliced.
 *
 * @throws NeurulesError INVALID_ARGUMENT for an unknown dialect; OVERLAPPING_RULES,
 *   UNKNOWN_FACT or UNSUPPORTED_* (naming the rule) for a rule set whose hit order or
 *   regions are not exact; UNSUPPORTED_VALUE for a name or value with a NUL character
 */
export function ruleSetToSql(ruleSet: RuleSet, schema: Schema, options: SqlOptions = {}): string {
  const dialectName = options.dialect ?? 'duckdb';
  checkDialect(dialectName);
  const d = DIALECTS[dialectName];
  const table = options.table ?? 'records';
  const src = 'neurules_src';
  // DuckDB computes each feature's trimmed text, then its value, once per record, in helper
  // columns that the outer SELECT leaves out (EXCLUDE); the other dialects spell the value
  // out at each use.
  const helpers = dialectName === 'duckdb';
  const at = (f: Feature): number => schema.features.indexOf(f);
  const source = (f: Feature): string => `${src}.${quoteIdentifier(f.name)}`;
  const textOf = (f: Feature): string => d.binary(`TRIM(CAST(${source(f)} AS ${d.text}))`);
  const column = (f: Feature): string =>
    helpers ? `neurules_texts.${quoteIdentifier(f.name)}` : source(f);
  const cast = (f: Feature): string => (helpers ? `neurules_texts.neurules_t${at(f)}` : textOf(f));
  // A finite number `x`, else NULL (predict refuses 1e309 and infinities).
  const finite = (x: string): string => `(CASE WHEN abs(${x}) <= ${MAX_DOUBLE} THEN ${x} END)`;
  // A feature's value as the rules compare it, read from its column: a number, or the text
  // (or what a typed column's value reads back as); NULL when missing. Then `refused`: 1
  // when the value is present but predict refuses it (WRONG_TYPE), else 0. (CASE, not
  // AND/OR: engines may evaluate both sides of AND, and a cast of text that is not a number
  // fails in PostgreSQL.)
  const read = (f: Feature): { value: string; refused?: string } => {
    const t = cast(f);
    if (f.type === 'categorical') return levelSql(dialectName, f, column(f), t, missingSql);
    const stored = d.stored && {
      when: d.stored.when(column(f)),
      value: finite(d.stored.value(column(f))),
    };
    const head = stored ? `WHEN ${stored.when} THEN ` : '';
    return {
      value: `(CASE ${stored ? `${head}${stored.value} ` : ''}WHEN ${missingSql(t)} THEN NULL WHEN ${d.isNumber(t)} THEN ${d.toNumber(t)} END)`,
      refused: `(CASE ${stored ? `${head}(CASE WHEN ${stored.value} IS NULL THEN 1 ELSE 0 END) ` : ''}WHEN ${missingSql(t)} THEN 0 WHEN ${d.isNumber(t)} THEN (CASE WHEN ${d.toNumber(t)} IS NULL THEN 1 ELSE 0 END) ELSE 1 END)`,
    };
  };
  const reads = new Map(schema.features.map((f) => [f, read(f)]));
  const checked = schema.features.filter((f) => reads.get(f)!.refused !== undefined);
  const value = (f: Feature): string =>
    helpers ? `neurules_helpers.neurules_v${at(f)}` : reads.get(f)!.value;
  // In DuckDB a categorical value is refused exactly when it is NULL for a text that is not
  // missing (see `levelSql`): a test of two helper columns, not the lookup again, and none
  // at all for a text column (the guard is a constant DuckDB folds).
  const refused = (f: Feature): string =>
    !helpers
      ? `(${reads.get(f)!.refused} = 1)`
      : f.type === 'categorical'
        ? `(CASE WHEN ${duckdbIsText(`neurules_helpers.${quoteIdentifier(f.name)}`)} THEN false ELSE (neurules_helpers.neurules_v${at(f)} IS NULL AND NOT ${missingSql(`neurules_helpers.neurules_t${at(f)}`)}) END)`
        : `(neurules_helpers.neurules_b${at(f)} = 1)`;
  const textColumns = schema.features.map((f, i) => ({ name: `neurules_t${i}`, sql: textOf(f) }));
  const helperColumns = schema.features.flatMap((f, i) => [
    { name: `neurules_v${i}`, sql: reads.get(f)!.value },
    ...(f.type === 'numeric' ? [{ name: `neurules_b${i}`, sql: reads.get(f)!.refused! }] : []),
  ]);

  const ordered = ruleConditionsSql(ruleSet, schema, value, dialectName);
  const errorCase =
    checked.length === 0
      ? 'CAST(NULL AS ' + d.text + ')'
      : `CASE ${checked.map((f) => `WHEN ${refused(f)} THEN 'WRONG_TYPE'`).join('\n    ')} END`;
  const anyError =
    checked.length === 0 ? '(1 = 0)' : `(${checked.map((f) => refused(f)).join(' OR ')})`;
  const ruleCase = [
    'CASE',
    `    WHEN ${anyError} THEN NULL`,
    ...ordered.map(({ rule, condition }) => `    WHEN ${condition} THEN ${quoteString(rule.name)}`),
    '  END',
  ].join('\n');
  const classCase = [
    `CASE neurules_decided.${quoteIdentifier(RULE_COLUMN)}`,
    ...ordered.map(
      ({ rule }) =>
        `    WHEN ${quoteString(rule.name)} THEN ${quoteString(String(rule.event.params.class))}`,
    ),
    '  END',
  ].join('\n');
  if (helpers) {
    return [
      `-- neurules: model '${oneLine(ruleSet.model)}', ${ordered.length} rules in hit order, dialect ${dialectName}`,
      `SELECT neurules_decided.* EXCLUDE (${[...textColumns, ...helperColumns].map((h) => h.name).join(', ')}),`,
      `  ${classCase} AS ${quoteIdentifier(CLASS_COLUMN)}`,
      `FROM (`,
      `  SELECT neurules_helpers.*,`,
      `  ${ruleCase} AS ${quoteIdentifier(RULE_COLUMN)},`,
      `  ${errorCase} AS ${quoteIdentifier(ERROR_COLUMN)}`,
      `  FROM (`,
      `    SELECT neurules_texts.*,`,
      helperColumns.map((h) => `    ${h.sql} AS ${h.name}`).join(',\n'),
      `    FROM (`,
      `      SELECT ${src}.*,`,
      textColumns.map((h) => `      ${h.sql} AS ${h.name}`).join(',\n'),
      `      FROM ${quoteIdentifier(table)} AS ${src}`,
      `    ) AS neurules_texts`,
      `  ) AS neurules_helpers`,
      `) AS neurules_decided`,
      '',
    ].join('\n');
  }
  return [
    `-- neurules: model '${oneLine(ruleSet.model)}', ${ordered.length} rules in hit order, dialect ${dialectName}`,
    `SELECT neurules_decided.*,`,
    `  ${classCase} AS ${quoteIdentifier(CLASS_COLUMN)}`,
    `FROM (`,
    `  SELECT ${src}.*,`,
    `  ${ruleCase} AS ${quoteIdentifier(RULE_COLUMN)},`,
    `  ${errorCase} AS ${quoteIdentifier(ERROR_COLUMN)}`,
    `  FROM ${quoteIdentifier(table)} AS ${src}`,
    `) AS neurules_decided`,
    '',
  ].join('\n');
}

/** A rule in hit order with the SQL condition of the records it decides. */
export interface RuleCondition {
  rule: NeurulesRule;
  /** True exactly for the records the rule decides (earlier rules' records excluded). */
  condition: string;
}

/**
 * The rules of a rule set in hit order (as `ruleRegions` gives it), each with the SQL
 * condition of the records it decides, stated over each feature's value as `value(f)`
 * gives it: a number or text as the rules compare it, NULL when missing. A level is
 * written as `level(f, text)` gives it: by default its text as a string literal (a caller
 * may compare codes instead).
 *
 * @throws NeurulesError as {@link ruleSetToSql} does for a rule set it cannot state exactly
 */
export function ruleConditionsSql(
  ruleSet: RuleSet,
  schema: Schema,
  value: (f: Feature) => string,
  dialect: SqlDialect = 'duckdb',
  level: (f: Feature, level: string) => string = (_f, l) => quoteString(l),
): RuleCondition[] {
  checkDialect(dialect);
  const d = DIALECTS[dialect];
  const features = new Map(schema.features.map((f) => [f.name, f]));
  const setSql = (f: Feature, set: ValueSet): string => {
    const v = value(f);
    const parts: string[] = [];
    if (set.kind === 'numeric') {
      for (const i of set.intervals) parts.push(intervalSql(v, i, d));
    } else {
      const levels = f.type === 'categorical' ? f.levels : [];
      if (set.levels.length > 0)
        parts.push(`${v} IN (${set.levels.map((l) => level(f, l)).join(', ')})`);
      if (set.other) {
        parts.push(
          levels.length > 0
            ? `(${v} IS NOT NULL AND ${v} NOT IN (${levels.map((l) => level(f, l)).join(', ')}))`
            : `${v} IS NOT NULL`,
        );
      }
    }
    if (set.missing) parts.push(`${v} IS NULL`);
    return parts.length === 0 ? '(1 = 0)' : `(${parts.join(' OR ')})`;
  };
  const regionSql = (region: Region): string => {
    if (region.length === 0) return '(1 = 0)';
    const boxes = region.map((box) => {
      const terms = Object.entries(box).map(([name, set]) => setSql(features.get(name)!, set));
      return terms.length === 0 ? '(1 = 1)' : `(${terms.join(' AND ')})`;
    });
    return boxes.length === 1 ? boxes[0]! : `(${boxes.join(' OR ')})`;
  };

  return ruleRegions(ruleSet, schema).map(({ rule, matches }) => ({
    rule,
    condition: regionSql(matches),
  }));
}

/** SQL true when the text `t` is a missing value: `NULL`, or a text of `MISSING_MARKERS`. */
export function missingSql(t: string): string {
  return `(${t} IS NULL OR ${t} IN (${MISSING_MARKERS.map(quoteString).join(', ')}))`;
}

/** A comment cannot end early: line breaks in a model name become spaces. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function intervalSql(v: string, i: Interval, d: Dialect): string {
  const terms: string[] = [];
  if (i.lo > -Infinity) terms.push(`${v} ${i.loClosed ? '>=' : '>'} ${numberLiteral(i.lo, d)}`);
  if (i.hi < Infinity) terms.push(`${v} ${i.hiClosed ? '<=' : '<'} ${numberLiteral(i.hi, d)}`);
  if (terms.length === 0) terms.push(`${v} IS NOT NULL`);
  return terms.length === 1 ? terms[0]! : `(${terms.join(' AND ')})`;
}

/**
 * Whether `t` is a plain decimal number, without regular expressions: an optional sign, a
 * mantissa of digits and at most one point (not the point alone), then optionally `e` or
 * `E`, an optional sign and digits; "only these characters" by nested REPLACE.
 */
function portableIsNumber(t: string): string {
  const sub = (x: string, from: string): string => `SUBSTRING(${x} FROM ${from})`;
  const head = (x: string, n: string): string => `SUBSTRING(${x} FROM 1 FOR ${n})`;
  const len = (x: string): string => `CHAR_LENGTH(${x})`;
  const pos = (needle: string, x: string): string => `POSITION(${needle} IN ${x})`;
  const only = (x: string, chars: string): string =>
    `(${[...chars.replace('0-9', '0123456789')].reduce((acc, c) => `REPLACE(${acc}, '${c}', '')`, x)} = '')`;
  const unsign = (x: string): string =>
    `(CASE WHEN ${head(x, '1')} IN ('+', '-') THEN ${sub(x, '2')} ELSE ${x} END)`;
  const u = unsign(t);
  const e = pos(`'e'`, `LOWER(${u})`);
  const mantissa = `(CASE WHEN ${e} > 0 THEN ${head(u, `${e} - 1`)} ELSE ${u} END)`;
  const exponent = unsign(`(CASE WHEN ${e} > 0 THEN ${sub(u, `${e} + 1`)} ELSE '0' END)`);
  return (
    `(${mantissa} <> '' AND ${mantissa} <> '.' AND ${only(mantissa, '0-9.')}` +
    ` AND ${len(mantissa)} - ${len(`REPLACE(${mantissa}, '.', '')`)} <= 1` +
    ` AND ${exponent} <> '' AND ${only(exponent, '0-9')})`
  );
}
