import { MISSING_MARKERS, NUMBER_PATTERN_SQL } from '../data/parse-value';
import type { CategoricalFeature, Feature, Schema } from '../data/types';
import { checkChoice, NeurulesError } from '../errors';
import type { Region } from '../regions/region';
import { ruleRegions } from '../regions/rule-regions';
import type { Interval, ValueSet } from '../regions/value-set';
import type { NeurulesRule, RuleSet } from '../rules/types';
import {
  type DecimalDialect,
  decimalPartsFrom,
  doubleAtMostSql,
  magnitudeBelowSql,
  OVERFLOW,
  UNDERFLOW,
} from './exact-decimal';
import {
  clickhouseNameProblem,
  clickhouseRead,
  clickhouseWhiteSpace,
  quoteClickHouseIdentifier,
  quoteClickHouseString,
} from './clickhouse-values';
import { quoteIdentifier, quoteString } from './sql-quote';
import { duckdbIsText, type LevelClasses, levelSql } from './typed-levels';

export { quoteIdentifier, quoteString };

/** The SQL dialects {@link ruleSetToSql} writes. */
export const SQL_DIALECTS = ['duckdb', 'postgres', 'sqlite', 'ansi', 'clickhouse'] as const;

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
  /** The text `x` without the white space JavaScript's `trim()` removes around it. */
  trim: (x: string) => string;
  /** Where a column's value is a number as stored, its type test and its value. */
  stored?: { when: (column: string) => string; value: (column: string) => string };
}

const MAX_DOUBLE = '1.7976931348623157e308';

/**
 * The characters JavaScript's `String.prototype.trim` removes (white space and line
 * terminators), as `predict` trims a cell: SQL's TRIM removes spaces only (DuckDB's also
 * some others), and `yes` followed by a tab would be an unseen level in the query.
 */
export const TRIMMED_CODE_POINTS: readonly number[] = [
  0x9, 0xa, 0xb, 0xc, 0xd, 0x20, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
  0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
];

/**
 * The same characters as a regular expression class for PostgreSQL, in `\u` escapes that its
 * regular expression engine reads (a literal character, or `chr()`, fails in a database
 * whose encoding has no such character).
 */
const POSTGRES_TRIMMED = `[${TRIMMED_CODE_POINTS.map((c) => (c === 0x20 ? ' ' : `\\u${c.toString(16).padStart(4, '0')}`)).join('')}]`;

const SQLITE_DECIMAL: DecimalDialect = {
  position: (text, needle) => `instr(${text}, ${needle})`,
  binary: (text) => text,
};

/**
 * SQLite's double of a text is within this fraction of the nearest double, with a wide
 * margin: SQLite promises 15 significant digits (its page "Floating Point Numbers"), and was
 * measured one unit in the last place (2^-52) off at most. A text whose double is this
 * near a threshold is compared by its digits; a stored number this near one is refused.
 */
const SQLITE_BAND = 2 ** -44;
/** The band's width near 0, where a fraction of the threshold is nothing. */
const SQLITE_BAND_FLOOR = 2 ** -1000;
/** Below this magnitude SQLite's double of a text is surely finite. */
const SQLITE_SURELY_FINITE = '1.7976931348e308';

/**
 * PostgreSQL: the double of the number text `t`, NULL when it is not finite. PostgreSQL
 * rounds a text to the nearest double (strtod) as JavaScript does, but fails the whole
 * query on one out of range: on 1e309, and on 1e-400, which neurules reads as 0. A text
 * without an exponent and of at most 300 characters is 0 or between 1e-299 and 1e300;
 * any other is first placed by its digits against the bounds where doubles overflow and
 * underflow ({@link OVERFLOW}, {@link UNDERFLOW}): its decimal exponent `E` (the number is
 * 0.`s` × 10^`E`, `s` its digits without leading or trailing zeros) decides, and `s`
 * where `E` is the bound's. (Not through NUMERIC: it fails on more than 16,383 decimals.)
 */
function postgresDouble(t: string): string {
  const double = (x: string): string => `CAST(${x} AS DOUBLE PRECISION)`;
  const c = (x: string): string => `(${x} COLLATE "C")`;
  // The digits before the point after leading zeros, less the zeros after a point that
  // only zeros precede (one of the two is 0), plus the exponent: an exponent of more than
  // 9 digits is past any double either way, and no text's digits shift it back.
  const exponent = `COALESCE(CAST(substring(${t} from '[eE]([-+]?0*[0-9]{1,9})$') AS BIGINT), CASE WHEN ${t} ~ '[eE]-' THEN -4000000000 WHEN ${t} ~ '[eE]' THEN 4000000000 ELSE 0 END)`;
  const e = `(length(substring(${t} from '^[-+]?0*([0-9]*)')) - COALESCE(length(substring(${t} from '^[-+]?0*[.](0*)')), 0) + ${exponent})`;
  const s = c(`rtrim(ltrim(replace(substring(${t} from '^[-+]?([0-9.]*)'), '.', ''), '0'), '0')`);
  const { exponent: over, digits: overDigits } = OVERFLOW;
  const { exponent: under, digits: underDigits } = UNDERFLOW;
  // (A simple CASE computes `e` once.)
  return [
    `(CASE WHEN strpos(lower(${t}), 'e') = 0 AND length(${t}) <= 300 THEN ${double(t)}`,
    `ELSE (CASE greatest(least(${e}, ${over + 1}), ${under - 1})`,
    `WHEN ${over + 1} THEN (CASE WHEN ${s} = '' THEN ${double('0')} END)`,
    `WHEN ${over} THEN (CASE WHEN ${s} < ${c(`'${overDigits}'`)} THEN ${double(t)} END)`,
    `WHEN ${under} THEN (CASE WHEN ${s} <= ${c(`'${underDigits}'`)} THEN ${double('0')} ELSE ${double(t)} END)`,
    `WHEN ${under - 1} THEN ${double('0')}`,
    `ELSE ${double(t)} END) END)`,
  ].join(' ');
}

/** The dialects whose query `ruleSetToSql` writes from {@link Dialect}'s parts (ClickHouse's: `clickhouseQuery`). */
type PartsDialect = Exclude<SqlDialect, 'clickhouse'>;

const DIALECTS: Record<PartsDialect, Dialect> = {
  duckdb: {
    text: 'VARCHAR',
    double: 'DOUBLE',
    isNumber: (t) => `regexp_full_match(${t}, ${quoteString(NUMBER_PATTERN_SQL)})`,
    // DuckDB rounds every text to the nearest double, as JavaScript does, and a number out
    // of range (1e309) to infinity: NULL here, as neurules refuses it.
    toNumber: (t) =>
      `CASE WHEN abs(TRY_CAST(${t} AS DOUBLE)) <= ${MAX_DOUBLE} THEN TRY_CAST(${t} AS DOUBLE) END`,
    // A column declared `COLLATE nocase` passes its collation on through CAST and TRIM.
    binary: (t) => `(${t} COLLATE "binary")`,
    trim: (x) => `trim(${x}, ${TRIMMED_CODE_POINTS.map((c) => `chr(${c})`).join(' || ')})`,
  },
  postgres: {
    text: 'TEXT',
    double: 'DOUBLE PRECISION',
    isNumber: (t) => `(${t} ~ ${quoteString(NUMBER_PATTERN_SQL)})`,
    toNumber: (t) => postgresDouble(t),
    // A nondeterministic (case-insensitive ICU) collation would make 'A' equal 'a'.
    binary: (t) => `(${t} COLLATE "C")`,
    // Most texts start and end with a visible ASCII character: no regular expression runs
    // for them.
    trim: (x) =>
      `(CASE WHEN ascii(${x}) BETWEEN 33 AND 126 AND ascii(right(${x}, 1)) BETWEEN 33 AND 126 THEN ${x} ELSE regexp_replace(${x}, '^${POSTGRES_TRIMMED}+|${POSTGRES_TRIMMED}+$', '', 'g') END)`,
  },
  sqlite: {
    text: 'TEXT',
    double: 'REAL',
    // SQLite converts text to a number in a comparison with a NUMERIC value only when the
    // whole text is a well-formed number: the cast equals the text exactly for numbers.
    isNumber: (t) => `(${t} NOT GLOB '*[^0-9.eE+-]*' AND CAST(${t} AS NUMERIC) = ${t})`,
    // SQLite's double of a text is not always the nearest one (see SQLITE_BAND): near the
    // largest double, whether the text is finite (neurules refuses 1e309) is read from its
    // digits. The double itself is only compared where it is far from every threshold.
    toNumber: (t) =>
      `(CASE WHEN abs(CAST(${t} AS REAL)) <= ${SQLITE_SURELY_FINITE} THEN CAST(${t} AS REAL) WHEN (SELECT ${magnitudeBelowSql(OVERFLOW, true, SQLITE_DECIMAL)} FROM ${decimalPartsFrom(t, SQLITE_DECIMAL)}) THEN CAST(${t} AS REAL) END)`,
    // A function's result has no collation in SQLite: TRIM drops the column's.
    binary: (t) => t,
    trim: (x) => `trim(${x}, char(${TRIMMED_CODE_POINTS.join(', ')}))`,
    // A stored INTEGER or REAL is read as stored (and refused near a threshold, see
    // `storedNearSql`): older SQLite versions write a REAL as text with 15 digits, which
    // need not read back as the same number.
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
    // The standard's TRIM removes one character: spaces.
    trim: (x) => `TRIM(${x})`,
  },
};

/** INVALID_ARGUMENT (field `dialect`) unless `dialect` is one of {@link SQL_DIALECTS}. */
export function checkDialect(dialect: unknown): asserts dialect is SqlDialect {
  checkChoice(dialect, SQL_DIALECTS, 'dialect');
}

/**
 * A double literal: JavaScript's shortest round-trip text of the number, which DuckDB and
 * PostgreSQL read back as exactly this number (SQLite as a neighbour at worst: its
 * comparisons near a threshold go by the text's digits, `sqliteComparison`).
 */
function numberLiteral(x: number, d: Dialect): string {
  return `CAST('${String(x)}' AS ${d.double})`;
}

/** A comparison of a numeric feature's value with a threshold. */
export type NumberComparison = (f: Feature, op: '<' | '<=' | '>' | '>=', x: number) => string;

/** The value sets each feature has in the rules' regions (a feature no rule tests: none). */
function setsByFeature(ruleSet: RuleSet, schema: Schema): Map<string, ValueSet[]> {
  const sets = new Map<string, ValueSet[]>();
  for (const { matches } of ruleRegions(ruleSet, schema)) {
    for (const box of matches) {
      for (const [name, set] of Object.entries(box)) {
        const list = sets.get(name);
        if (list) list.push(set);
        else sets.set(name, [set]);
      }
    }
  }
  return sets;
}

/** The thresholds the rules compare a numeric feature with (finite interval ends). */
function thresholdsOf(sets: readonly ValueSet[]): number[] {
  const ends = new Set<number>();
  for (const set of sets) {
    if (set.kind !== 'numeric') continue;
    for (const i of set.intervals) {
      if (Number.isFinite(i.lo)) ends.add(i.lo);
      if (Number.isFinite(i.hi)) ends.add(i.hi);
    }
  }
  return [...ends];
}

/**
 * Which levels of `f` the rules tell apart, from the sets the rules' regions hold for it:
 * a level's class is the sets it is in, an unseen text's the sets that take unseen levels.
 */
function levelClassesOf(f: CategoricalFeature, sets: readonly ValueSet[]): LevelClasses {
  const levelSets = sets.filter((s) => s.kind === 'categorical');
  const members = levelSets.map((s) => new Set(s.levels));
  const ids = new Map(
    f.levels.map((l) => [l, members.map((m) => (m.has(l) ? '1' : '0')).join('')]),
  );
  const other = levelSets.map((s) => (s.other ? '1' : '0')).join('');
  return {
    // A text that is no level is in the unseen texts' class.
    of: (level) => ids.get(level) ?? other,
    other,
    count: new Set([...ids.values(), other]).size,
  };
}

/** The band around threshold `x` where SQLite's double of a text may lie on the wrong side. */
function sqliteBand(x: number): { lo: number; hi: number } {
  const w = Math.max(Math.abs(x) * SQLITE_BAND, SQLITE_BAND_FLOOR);
  return {
    lo: Math.max(x - w, -Number.MAX_VALUE),
    hi: Math.min(x + w, Number.MAX_VALUE),
  };
}

/**
 * SQLite: `v op x` where `v` is a numeric feature's value (SQLite's double of the text
 * `t`, or the number stored in `column`), exactly as JavaScript compares `Number(t)`.
 * SQLite's double of a text may be a neighbour of the nearest one (measured: SQLite 3.40.1
 * gets about 1 in 10,000 decimals of 5 to 8 digits wrong, 3.54.1 texts of more than 19
 * digits), so a double in the band around the threshold is not trusted: the text's
 * digits are compared with the exact decimal where the doubles up to `x` end. A stored
 * number in the band is refused (`storedNearSql`).
 */
function sqliteComparison(
  v: string,
  t: string,
  column: string,
  op: '<' | '<=' | '>' | '>=',
  x: number,
): string {
  const d = DIALECTS.sqlite;
  const { lo, hi } = sqliteBand(x);
  const below = op === '<' || op === '<=' ? 1 : 0;
  const atMost = doubleAtMostSql(x, op === '<=' || op === '>', SQLITE_DECIMAL);
  const exact = below ? atMost : `NOT ${atMost}`;
  return [
    `(CASE WHEN ${v} < ${numberLiteral(lo, d)} THEN ${below}`,
    `WHEN ${v} > ${numberLiteral(hi, d)} THEN ${1 - below}`,
    // A stored number in the band: the record is refused (`storedNearSql`).
    `WHEN ${d.stored!.when(column)} THEN NULL`,
    `WHEN ${missingSql(t)} THEN NULL`,
    `ELSE (SELECT CASE WHEN ${exact} THEN 1 ELSE 0 END FROM ${decimalPartsFrom(t, SQLITE_DECIMAL)}) END)`,
  ].join(' ');
}

/**
 * SQLite: SQL true when the number stored in a column (`x`, an INTEGER or REAL) is in the
 * band of one of the thresholds. SQLite made it from the file's text as it was loaded,
 * and its double of a text may be a neighbour of the nearest one: `5.00000000000000044423`
 * is stored as 5, where JavaScript reads the next double up. The text is gone, so a stored
 * number that near a threshold, the threshold itself included, may be either side of it:
 * the record is refused (load the column as TEXT to have it decided by its digits).
 */
function storedNearSql(x: string, thresholds: readonly number[]): string | undefined {
  if (thresholds.length === 0) return undefined;
  const d = DIALECTS.sqlite;
  return thresholds
    .map((T) => {
      const { lo, hi } = sqliteBand(T);
      return `(${x} BETWEEN ${numberLiteral(lo, d)} AND ${numberLiteral(hi, d)})`;
    })
    .join(' OR ');
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
 * number exactly as JavaScript's `Number()` reads it; otherwise the record gets no class
 * and `neurules_error` is `WRONG_TYPE`, the code `predict` rejects it with. A categorical
 * feature compares as text; a typed value (DuckDB's BOOLEAN for yes/no, an integer, a
 * DECIMAL, a DOUBLE, a date) is read back as the level the engine would have read as that
 * value, as an unseen text when no level would, and is refused (`WRONG_TYPE`) when levels
 * the rules tell apart would, or the type has no text to read back (`typed-levels.ts`; the
 * `ansi` and `clickhouse` dialects read text only: ClickHouse's columns are `String` or
 * `Nullable(String)`, run through a `Distributed` table or a local one alike). A
 * categorical feature no rule tests is not read at all: its value cannot change the class
 * (a numeric one is, as predict refuses a text that is no number). A level the model has
 * never seen goes where the rules send unseen levels (the rest side of every split). Names
 * and values are quoted, never spliced.
 *
 * @throws NeurulesError INVALID_ARGUMENT for an unknown dialect; OVERLAPPING_RULES,
 *   UNKNOWN_FACT or UNSUPPORTED_* (naming the rule) for a rule set whose hit order or
 *   regions are not exact; UNSUPPORTED_VALUE for a name or value with a NUL character, and
 *   (`clickhouse`) for a feature named as one of the query's own names (`neurules_t0`), or
 *   as ClickHouse 18.16 cannot read a column's name in it (`NULL`, `inf`, `1`: see
 *   `clickhouseNameProblem`)
 */
export function ruleSetToSql(ruleSet: RuleSet, schema: Schema, options: SqlOptions = {}): string {
  const dialectName = options.dialect ?? 'duckdb';
  checkDialect(dialectName);
  const table = options.table ?? 'records';
  const src = 'neurules_src';
  const sets = setsByFeature(ruleSet, schema);
  const setsOf = (f: Feature): ValueSet[] => sets.get(f.name) ?? [];
  // The features the query reads: every numeric one (predict refuses a value that is no
  // number whether or not a rule reads it), and the categorical ones some rule tests (no
  // value of another can change the decision, nor does predict refuse one: an unseen level
  // is kept). The regions hold no set that lets every value through.
  const readFeatures = schema.features.filter((f) => f.type === 'numeric' || sets.has(f.name));
  if (dialectName === 'clickhouse') return clickhouseQuery(ruleSet, schema, table, readFeatures);
  const d = DIALECTS[dialectName];
  // DuckDB and PostgreSQL compute each feature's trimmed text, then its value, once per
  // record, in helper columns: DuckDB's outer SELECT leaves them out (EXCLUDE), PostgreSQL
  // computes them in a LATERAL subquery (its JIT compiler takes seconds over a value spelled
  // out at each use). SQLite and the ansi dialect spell the value out at each use.
  const helpers = dialectName === 'duckdb' || dialectName === 'postgres';
  const at = (f: Feature): number => schema.features.indexOf(f);
  const source = (f: Feature): string => `${src}.${quoteIdentifier(f.name)}`;
  const textOf = (f: Feature): string => d.binary(d.trim(`CAST(${source(f)} AS ${d.text})`));
  const column = (f: Feature): string =>
    dialectName === 'duckdb' ? `neurules_texts.${quoteIdentifier(f.name)}` : source(f);
  const cast = (f: Feature): string => (helpers ? `neurules_texts.neurules_t${at(f)}` : textOf(f));
  // A finite number `x`, else NULL (predict refuses 1e309 and infinities).
  const finite = (x: string): string => `(CASE WHEN abs(${x}) <= ${MAX_DOUBLE} THEN ${x} END)`;
  // A feature's value as the rules compare it, read from its column: a number, or the text
  // (or what a typed column's value reads back as); NULL when missing. Then `refused`: 1
  // when the value is present but predict refuses it (WRONG_TYPE), or it cannot be read
  // exactly, else 0. (CASE, not AND/OR: engines may evaluate both sides of AND, and a cast
  // of text that is not a number fails in PostgreSQL.)
  const read = (f: Feature): { value: string; refused?: string } => {
    const t = cast(f);
    if (f.type === 'categorical') {
      return levelSql(dialectName, f, column(f), t, missingSql, levelClassesOf(f, setsOf(f)));
    }
    const stored = d.stored && {
      when: d.stored.when(column(f)),
      value: finite(d.stored.value(column(f))),
      near: storedNearSql(d.stored.value(column(f)), thresholdsOf(setsOf(f))),
    };
    const head = stored ? `WHEN ${stored.when} THEN ` : '';
    return {
      value: `(CASE ${stored ? `${head}${stored.value} ` : ''}WHEN ${missingSql(t)} THEN NULL WHEN ${d.isNumber(t)} THEN ${d.toNumber(t)} END)`,
      refused: `(CASE ${stored ? `${head}(CASE WHEN ${stored.value} IS NULL${stored.near ? ` OR ${stored.near}` : ''} THEN 1 ELSE 0 END) ` : ''}WHEN ${missingSql(t)} THEN 0 WHEN ${d.isNumber(t)} THEN (CASE WHEN ${d.toNumber(t)} IS NULL THEN 1 ELSE 0 END) ELSE 1 END)`,
    };
  };
  const reads = new Map(readFeatures.map((f) => [f, read(f)]));
  const checked = readFeatures.filter((f) => reads.get(f)!.refused !== undefined);
  const value = (f: Feature): string =>
    helpers ? `neurules_helpers.neurules_v${at(f)}` : reads.get(f)!.value;
  // With helpers, a value is refused exactly when it is NULL for a text that is not missing
  // (a number that is none or not finite, a typed level that cannot be read back): a test
  // of two helper columns, not the lookup again; in DuckDB none at all for a text column
  // (the guard is a constant DuckDB folds), and a number's own refusal column.
  const nullForText = (f: Feature): string =>
    `(neurules_helpers.neurules_v${at(f)} IS NULL AND NOT ${missingSql(`neurules_helpers.neurules_t${at(f)}`)})`;
  const refused = (f: Feature): string =>
    !helpers
      ? `(${reads.get(f)!.refused} = 1)`
      : dialectName === 'postgres'
        ? nullForText(f)
        : f.type === 'categorical'
          ? `(CASE WHEN ${duckdbIsText(`neurules_helpers.${quoteIdentifier(f.name)}`)} THEN false ELSE ${nullForText(f)} END)`
          : `(neurules_helpers.neurules_b${at(f)} = 1)`;
  const textColumns = readFeatures.map((f) => ({ name: `neurules_t${at(f)}`, sql: textOf(f) }));
  const helperColumns = readFeatures.flatMap((f) => [
    { name: `neurules_v${at(f)}`, sql: reads.get(f)!.value },
    ...(f.type === 'numeric' && dialectName === 'duckdb'
      ? [{ name: `neurules_b${at(f)}`, sql: reads.get(f)!.refused! }]
      : []),
  ]);
  const compare: NumberComparison | undefined =
    dialectName === 'sqlite'
      ? (f, op, x) => sqliteComparison(value(f), cast(f), column(f), op, x)
      : undefined;

  const ordered = ruleConditionsSql(ruleSet, schema, value, dialectName, undefined, compare);
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
  if (dialectName === 'postgres') {
    // OFFSET 0 keeps each subquery from being merged into the one above it, which would
    // spell its columns out at each use again. (A SELECT list may be empty in PostgreSQL.)
    const select = (star: string, columns: { name: string; sql: string }[], indent: string) =>
      `${indent}SELECT ${[star, ...columns.map((h) => `${h.sql} AS ${h.name}`)].filter(Boolean).join(`,\n${indent}  `)}`;
    return [
      `-- neurules: model '${oneLine(ruleSet.model)}', ${ordered.length} rules in hit order, dialect ${dialectName}`,
      `SELECT ${src}.*, neurules_decided.${quoteIdentifier(RULE_COLUMN)}, neurules_decided.${quoteIdentifier(ERROR_COLUMN)},`,
      `  ${classCase} AS ${quoteIdentifier(CLASS_COLUMN)}`,
      `FROM ${quoteIdentifier(table)} AS ${src}`,
      `CROSS JOIN LATERAL (`,
      `  SELECT ${ruleCase} AS ${quoteIdentifier(RULE_COLUMN)},`,
      `  ${errorCase} AS ${quoteIdentifier(ERROR_COLUMN)}`,
      `  FROM (`,
      select('neurules_texts.*', helperColumns, '    '),
      `    FROM (`,
      select('', textColumns, '      '),
      `      OFFSET 0`,
      `    ) AS neurules_texts`,
      `    OFFSET 0`,
      `  ) AS neurules_helpers`,
      `  OFFSET 0`,
      `) AS neurules_decided`,
      '',
    ].join('\n');
  }
  if (helpers) {
    // (No helper columns when the rules read no feature: nothing to leave out.)
    const excluded = [...textColumns, ...helperColumns].map((h) => h.name);
    const select = (star: string, columns: { name: string; sql: string }[], indent: string) =>
      [`${indent}SELECT ${star}`, ...columns.map((h) => `${indent}${h.sql} AS ${h.name}`)].join(
        ',\n',
      );
    return [
      `-- neurules: model '${oneLine(ruleSet.model)}', ${ordered.length} rules in hit order, dialect ${dialectName}`,
      `SELECT neurules_decided.*${excluded.length > 0 ? ` EXCLUDE (${excluded.join(', ')})` : ''},`,
      `  ${classCase} AS ${quoteIdentifier(CLASS_COLUMN)}`,
      `FROM (`,
      `  SELECT neurules_helpers.*,`,
      `  ${ruleCase} AS ${quoteIdentifier(RULE_COLUMN)},`,
      `  ${errorCase} AS ${quoteIdentifier(ERROR_COLUMN)}`,
      `  FROM (`,
      select('neurules_texts.*', helperColumns, '    '),
      `    FROM (`,
      select(`${src}.*`, textColumns, '      '),
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

/**
 * The ClickHouse query: one `SELECT *` over the table (so every column comes through, from
 * a `Distributed` table as from a local one), each feature read once per record in a named
 * expression of `WITH` (`clickhouse-values.ts`), and the deciding rule's number
 * `neurules_k` (0: none) picking its id and class from two arrays. Columns are read as text
 * (`String` or `Nullable(String)`), and numbers compared by their digits.
 */
function clickhouseQuery(
  ruleSet: RuleSet,
  schema: Schema,
  table: string,
  readFeatures: Feature[],
): string {
  const at = (f: Feature): number => schema.features.indexOf(f);
  const reads = new Map(
    readFeatures.map((f) => [
      f,
      clickhouseRead(at(f), quoteClickHouseIdentifier(f.name), f.type === 'numeric'),
    ]),
  );
  const helpers = [
    clickhouseWhiteSpace(TRIMMED_CODE_POINTS),
    ...[...reads.values()].flatMap((r) => r.helpers),
  ];
  // A name of `WITH` or of the SELECT list stands for its expression wherever it is
  // written, a column's name and `*` too: a feature so named would be read as the helper
  // (a cycle), or come out as the rule's id, so it is refused.
  const names = new Set([
    ...helpers.map((h) => h.name),
    'neurules_k',
    RULE_COLUMN,
    ERROR_COLUMN,
    CLASS_COLUMN,
  ]);
  const clash = schema.features.find((f) => names.has(f.name));
  if (clash) {
    throw new NeurulesError(
      'UNSUPPORTED_VALUE',
      `feature '${clash.name}': the clickhouse query names one of its own expressions so (neurules_rule, neurules_error, neurules_class, neurules_k, neurules_ws, or neurules_ and a kind and a number), found it as a feature`,
      { field: clash.name },
    );
  }
  // Every feature, read or not: a column the query does not read comes through `*`, which
  // ClickHouse forwards to the shards as the columns' names.
  for (const f of schema.features) {
    const problem = clickhouseNameProblem(f.name);
    if (problem) {
      throw new NeurulesError(
        'UNSUPPORTED_VALUE',
        `feature '${f.name}': the clickhouse query cannot read a column so named (${problem}); found it as a feature`,
        { field: f.name },
      );
    }
  }
  const ordered = ruleConditionsSql(
    ruleSet,
    schema,
    (f) => reads.get(f)!.value,
    'clickhouse',
    undefined,
    (f, op, x) => reads.get(f)!.compare!(op, x),
  );
  const refusals = [...reads.values()].flatMap((r) => (r.refused ? [r.refused] : []));
  const anyError = refusals.length === 0 ? '0' : refusals.join(' OR ');
  const decided = [
    `multiIf(${anyError}, 0`,
    ...ordered.map(({ condition }, i) => `    ${condition}, ${i + 1}`),
    '    0) AS neurules_k',
  ].join(',\n');
  // (No rules: no array, whose literal would end in a comma; a NULL text.)
  const pick = (values: string[]): string =>
    values.length === 0
      ? "if(0, '', NULL)"
      : `[NULL, ${values.map(quoteClickHouseString).join(', ')}][neurules_k + 1]`;
  return [
    `-- neurules: model '${oneLine(ruleSet.model)}', ${ordered.length} rules in hit order, dialect clickhouse`,
    'WITH',
    ...helpers.map((h) => `  ${h.sql} AS ${h.name},`),
    `  ${decided}`,
    'SELECT *,',
    `  ${pick(ordered.map(({ rule }) => rule.name))} AS ${quoteClickHouseIdentifier(RULE_COLUMN)},`,
    `  if(${anyError}, 'WRONG_TYPE', NULL) AS ${quoteClickHouseIdentifier(ERROR_COLUMN)},`,
    `  ${pick(ordered.map(({ rule }) => String(rule.event.params.class)))} AS ${quoteClickHouseIdentifier(CLASS_COLUMN)}`,
    `FROM ${quoteClickHouseIdentifier(table)}`,
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
 * may compare codes instead); a comparison of a number with a threshold as `compare` gives
 * it, by default `value(f) <= CAST('2.5' AS DOUBLE)`.
 *
 * @throws NeurulesError as {@link ruleSetToSql} does for a rule set it cannot state exactly
 */
export function ruleConditionsSql(
  ruleSet: RuleSet,
  schema: Schema,
  value: (f: Feature) => string,
  dialect: SqlDialect = 'duckdb',
  level: (f: Feature, level: string) => string = (_f, l) =>
    dialect === 'clickhouse' ? quoteClickHouseString(l) : quoteString(l),
  compare?: NumberComparison,
): RuleCondition[] {
  checkDialect(dialect);
  if (dialect === 'clickhouse' && !compare) {
    // ClickHouse 18.16 does not read a text as the nearest double: no number literal.
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      'compare: the clickhouse dialect compares numbers by their digits, and needs a comparison; found none',
      { field: 'compare' },
    );
  }
  const features = new Map(schema.features.map((f) => [f.name, f]));
  const setSql = (f: Feature, set: ValueSet): string => {
    const v = value(f);
    const parts: string[] = [];
    if (set.kind === 'numeric') {
      const cmp = (op: '<' | '<=' | '>' | '>=', x: number): string =>
        compare
          ? compare(f, op, x)
          : `${v} ${op} ${numberLiteral(x, DIALECTS[dialect as PartsDialect])}`;
      for (const i of set.intervals) parts.push(intervalSql(v, i, cmp));
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

function intervalSql(
  v: string,
  i: Interval,
  cmp: (op: '<' | '<=' | '>' | '>=', x: number) => string,
): string {
  const terms: string[] = [];
  if (i.lo > -Infinity) terms.push(cmp(i.loClosed ? '>=' : '>', i.lo));
  if (i.hi < Infinity) terms.push(cmp(i.hiClosed ? '<=' : '<', i.hi));
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
