import type { CategoricalFeature } from '../data/types';
import { quoteString } from './sql-quote';

// A categorical feature's levels are texts, but an engine's type detection may have read
// its column as BOOLEAN, integers, DECIMAL, DOUBLE or dates (DuckDB's read_csv turns yes/no
// into BOOLEAN). The query can then see only the typed value, whose text (`true`, `7`,
// `1.50`, `2024-01-05`) need not be the level the file held (`yes`, `007`, `1.5`,
// `01/05/2024`). A typed value stands for every text the engine reads as that value; the
// query reads it back as the one level among those texts, as an unseen level when no level
// is among them (every unseen level goes the same way through the rules), and refuses the
// record when several levels are that the rules tell apart (it cannot tell which the file
// held; levels the rules read alike give the same decision either way).

/** The dialects of the SQL export (the same names as `SqlDialect`). */
type Dialect = 'duckdb' | 'postgres' | 'sqlite' | 'ansi';

/**
 * Which levels the rules tell apart: `of(level)` names a level's class, `other` the class
 * of every text that is no level. Two levels of one class go the same way through every
 * rule, so a typed value that may have been either reads as either: it is refused only
 * when the levels it may have been span several classes.
 */
export interface LevelClasses {
  of: (level: string) => string;
  other: string;
  /** How many classes the levels and the unseen texts fall in. */
  count: number;
}

/** A categorical feature's value read from its column, and when the record is refused. */
export interface LevelSql {
  /** The text the rules compare: a level or an unseen text; NULL when missing or refused. */
  value: string;
  /**
   * SQL `1` when the column's value cannot be read back as one text, else `0`; absent when
   * that never happens (the `ansi` dialect reads text only).
   */
  refused?: string;
}

/** Column types by name (`typeof`'s text) and by the start of their name (`DECIMAL(`). */
interface Types {
  names: string[];
  prefixes?: string[];
}

/** SQL true when `type` (the SQL of a column's type name) is one of `types`. */
function typeTest(type: string, types: Types): string {
  const tests = [
    ...(types.names.length > 0 ? [`${type} IN (${types.names.map(quoteString).join(', ')})`] : []),
    ...(types.prefixes ?? []).map((p) => `${type} LIKE ${quoteString(`${p}%`)}`),
  ];
  return tests.length === 1 ? tests[0]! : `(${tests.join(' OR ')})`;
}

/** The value and the refusal for the columns of some types (`when`). */
interface Branch {
  when: Types;
  value: string;
  refused: string;
}

/** A level and the engine's values it may have been read as (SQL). */
interface Candidate {
  level: string;
  keys: string[];
  /**
   * The level is the engine's own text of the one value it reads as (`7`, `true`,
   * `2024-01-05`): no cast is needed to say which values it stands for.
   */
  canonical?: boolean;
}

/**
 * How `dialect` reads categorical feature `f` from `column`, whose trimmed text is `t`
 * (`missing(t)` true for a missing value's text), whatever type the engine gave the
 * column; `classes` says which levels the rules tell apart. The `ansi` dialect has no
 * standard way to ask a value's type: it reads text.
 */
export function levelSql(
  dialect: Dialect,
  f: CategoricalFeature,
  column: string,
  t: string,
  missing: (t: string) => string,
  classes: LevelClasses,
): LevelSql {
  const text = `(CASE WHEN ${missing(t)} THEN NULL ELSE ${t} END)`;
  // One class: the rules read only whether a value is missing, which its text says.
  if (dialect === 'ansi' || classes.count === 1) return { value: text };
  const { type, isText, branches } =
    dialect === 'duckdb'
      ? duckdbBranches(f, column, t, classes)
      : dialect === 'postgres'
        ? postgresBranches(f, column, t, classes)
        : sqliteBranches(f, column, t, classes);
  // Types no level can be read as: every value of theirs is an unseen text, in one branch.
  const unseen = branches.filter((b) => b.value === t && b.refused === '0');
  const read = branches.filter((b) => !unseen.includes(b));
  if (unseen.length > 0) {
    const when = {
      names: unseen.flatMap((b) => b.when.names),
      prefixes: unseen.flatMap((b) => b.when.prefixes ?? []),
    };
    read.push({ when, value: t, refused: '0' });
  }
  // (No `column IS NULL` test first: it makes DuckDB's CASE 4 times slower. A NULL reads
  // as NULL in every branch: its text is NULL.)
  const value = [
    `(CASE WHEN ${typeTest(type, isText)} THEN ${text}`,
    ...read.map((b) => `WHEN ${typeTest(type, b.when)} THEN ${b.value}`),
    'END)',
  ].join(' ');
  // Refused: two levels read as the value, or a type with no branch (an interval, a UUID,
  // a time zone's timestamp), whose text cannot be read back. For a text column the test
  // is a constant 0 in DuckDB (`typeof` is folded).
  const refused = [
    `(CASE WHEN ${typeTest(type, isText)} THEN 0`,
    ...read.map((b) => `WHEN ${typeTest(type, b.when)} THEN ${b.refused}`),
    `ELSE (CASE WHEN ${column} IS NULL THEN 0 ELSE 1 END) END)`,
  ].join(' ');
  return { value, refused };
}

// ---------------------------------------------------------------------------------------
// DuckDB: the engine itself says which levels it reads as the value. Each level is cast
// with the very cast its CSV reader uses (`TRY_CAST(level AS BIGINT)`, `try_strptime` with
// each date format its type detection tries); the casts are constants, which DuckDB folds
// once, and `typeof(column)` is a constant too, so only the column's own branch runs.

/** DuckDB's integer types, grouped by the cast that reads them (same grammar, same rounding). */
const DUCKDB_INTEGERS: [string[], string][] = [
  [['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT'], 'BIGINT'],
  [['UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT'], 'UBIGINT'],
  [['HUGEINT'], 'HUGEINT'],
  [['UHUGEINT'], 'UHUGEINT'],
  [['BIGNUM'], 'BIGNUM'],
];

/**
 * The date and timestamp formats DuckDB's CSV type detection tries (`csv_sniffer.hpp`,
 * `format_template_candidates`), each `-` replaced by each separator it accepts (`-`, `.`,
 * `/`, space); ISO 8601 (`%Y-%m-%d`) is left to the plain cast, as DuckDB does.
 */
function sniffedFormats(templates: string[]): { format: string; separator: string }[] {
  return templates
    .flatMap((t) =>
      ['-', '.', '/', ' '].map((separator) => ({ format: t.replace(/-/g, separator), separator })),
    )
    .filter((f) => !f.format.includes('%Y-%m-%d'));
}
const DATE_FORMATS = sniffedFormats([
  '%m-%d-%Y',
  '%m-%d-%y',
  '%d-%m-%Y',
  '%d-%m-%y',
  '%Y-%m-%d',
  '%y-%m-%d',
]);
const TIMESTAMP_FORMATS = sniffedFormats([
  '%Y-%m-%d %H:%M:%S.%f',
  '%m-%d-%Y %I:%M:%S %p',
  '%m-%d-%y %I:%M:%S %p',
  '%d-%m-%Y %H:%M:%S',
  '%d-%m-%y %H:%M:%S',
  '%Y-%m-%d %H:%M:%S',
  '%y-%m-%d %H:%M:%S',
]);

const ISO_DATE = '(?!0000)\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])';
const ISO_TIME = '([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d';
/**
 * Levels that are DuckDB's own text of the one value they read as, by type: an integer
 * without sign or leading zero, `true`/`false`, an ISO date, timestamp or time of the
 * common era (no other format DuckDB tries reads a text that starts with 4 digits and a
 * `-` as another date).
 */
const CANONICAL = {
  integer: /^(0|-?[1-9]\d*)$/,
  boolean: /^(true|false)$/,
  date: new RegExp(`^${ISO_DATE}$`),
  timestamp: new RegExp(`^${ISO_DATE} ${ISO_TIME}$`),
  time: new RegExp(`^${ISO_TIME}$`),
};

/** DuckDB's types whose text is the value itself. */
const DUCKDB_TEXT: Types = { names: ['VARCHAR'], prefixes: ['ENUM('] };

/**
 * SQL true when a DuckDB `column` holds text (VARCHAR, an ENUM): a constant, which DuckDB
 * folds, so a test guarded by it costs nothing on text columns.
 */
export function duckdbIsText(column: string): string {
  return typeTest(`typeof(${column})`, DUCKDB_TEXT);
}

function duckdbBranches(
  f: CategoricalFeature,
  column: string,
  t: string,
  classes: LevelClasses,
): { type: string; isText: Types; branches: Branch[] } {
  const type = `typeof(${column})`;
  const asText = (x: string): string => `CAST(${x} AS VARCHAR)`;
  const tryCast = (level: string, to: string): string => `TRY_CAST(${quoteString(level)} AS ${to})`;
  // Which levels can be read as a value of the type at all: an over-approximation of
  // DuckDB's grammars (the engine decides exactly), so the query states only the casts
  // that can hit. Integers: a sign, digits, `_`, a point, an exponent, 0x and 0b prefixes.
  const number = /^\s*[+-]?[0-9.][0-9a-fA-F_.xXbBeE+\-\s]*$/;
  const integers = f.levels.filter((l) => number.test(l));
  const numbers = f.levels.filter(
    (l) => number.test(l) || /^\s*[+-]?(inf|infinity|nan)\s*$/i.test(l),
  );
  const booleans = f.levels.filter((l) => /^[a-zA-Z01]{1,5}$/.test(l));
  const times = f.levels.filter((l) => /\d/.test(l) && l.includes(':'));
  const dates = f.levels.filter(
    (l) => /\d\D+\d+\D+\d/.test(l) || /^[-+]?(infinity|epoch)$/i.test(l),
  );
  // A format reads a level only where the level holds its separator (a space may match
  // none, so formats with spaces are always tried).
  const formatsOf = (
    level: string,
    formats: { format: string; separator: string }[],
    to: string,
  ): string[] =>
    formats
      .filter((f) => f.separator === ' ' || level.includes(f.separator))
      .map((f) =>
        asText(`CAST(try_strptime(${quoteString(level)}, ${quoteString(f.format)}) AS ${to})`),
      );
  const branches: Branch[] = [
    engineBranch(
      { names: ['BOOLEAN'] },
      t,
      t,
      classes,
      booleans.map((level) => ({
        level,
        keys: [asText(tryCast(level, 'BOOLEAN'))],
        canonical: CANONICAL.boolean.test(level),
      })),
    ),
    ...DUCKDB_INTEGERS.map(([types, to]) =>
      engineBranch(
        { names: types },
        t,
        t,
        classes,
        integers.map((level) => ({
          level,
          keys: [asText(tryCast(level, to))],
          canonical: CANONICAL.integer.test(level),
        })),
      ),
    ),
    ...['FLOAT', 'DOUBLE'].map((to) =>
      engineBranch(
        { names: [to] },
        t,
        t,
        classes,
        numbers.map((level) => ({ level, keys: [asText(tryCast(level, to))] })),
      ),
    ),
    engineBranch(
      { names: ['DATE'] },
      t,
      t,
      classes,
      dates.map((level) => ({
        level,
        keys: [asText(tryCast(level, 'DATE')), ...formatsOf(level, DATE_FORMATS, 'DATE')],
        canonical: CANONICAL.date.test(level),
      })),
    ),
    engineBranch(
      { names: ['TIMESTAMP'] },
      t,
      t,
      classes,
      dates.map((level) => ({
        level,
        keys: [
          asText(tryCast(level, 'TIMESTAMP')),
          ...formatsOf(level, TIMESTAMP_FORMATS, 'TIMESTAMP'),
        ],
        canonical: CANONICAL.timestamp.test(level),
      })),
    ),
    engineBranch(
      { names: ['TIME'] },
      t,
      t,
      classes,
      times.map((level) => ({
        level,
        keys: [asText(tryCast(level, 'TIME'))],
        canonical: CANONICAL.time.test(level),
      })),
    ),
    decimalBranch({ names: [], prefixes: ['DECIMAL('] }, f, t, [], classes),
  ];
  return { type, isText: DUCKDB_TEXT, branches };
}

/**
 * The branch for one type whose reading of each level the engine computes (`keys`, SQL
 * values a level may be read as, compared with `value`, the column's; NULL where a level
 * cannot be read): the classes of the levels `value` may have been are counted, then it
 * reads as a level of the one class, as an unseen text `t` when there is none, or is
 * refused when there are several.
 */
function engineBranch(
  when: Types,
  value: string,
  t: string,
  classes: LevelClasses,
  candidates: Candidate[],
): Branch {
  if (candidates.every((c) => c.canonical)) return { when, value: t, refused: '0' };
  // One test per class: levels that are their value's own text need no cast (`t` is such
  // a level, or not); the others are looked up by the engine's casts.
  const byClass = new Map<string, Candidate[]>();
  for (const c of candidates) {
    const id = classes.of(c.level);
    byClass.set(id, [...(byClass.get(id) ?? []), c]);
  }
  const tests = [...byClass.values()].map((group) => {
    const own = group.filter((c) => c.canonical).map((c) => quoteString(c.level));
    const keys = group.filter((c) => !c.canonical).flatMap((c) => c.keys);
    const parts = [
      ...(own.length > 0 ? [`${t} IN (${own.join(', ')})`] : []),
      ...(keys.length > 0 ? [`${value} IN (${keys.join(', ')})`] : []),
    ];
    return {
      test: parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`,
      level: quoteString(group[0]!.level),
    };
  });
  if (tests.length === 1) {
    // One class: no count, a value is that class or no level at all.
    const [{ test, level }] = tests as [{ test: string; level: string }];
    return { when, value: `(CASE WHEN ${test} THEN ${level} ELSE ${t} END)`, refused: '0' };
  }
  const count = `(${tests.map((x) => `(CASE WHEN ${x.test} THEN 1 ELSE 0 END)`).join(' + ')})`;
  const which = `(CASE ${tests.map((x) => `WHEN ${x.test} THEN ${x.level}`).join(' ')} END)`;
  return {
    when,
    value: `(CASE ${count} WHEN 0 THEN ${t} WHEN 1 THEN ${which} END)`,
    refused: `(CASE WHEN ${count} > 1 THEN 1 ELSE 0 END)`,
  };
}

// ---------------------------------------------------------------------------------------
// PostgreSQL has no TRY_CAST, and folds a constant cast of a bad literal into an error even
// where it would never run: the levels are read here, with a model of its input functions
// (tested against the engine), and the query looks the value's text up in the table that
// gives. (SQLite's casts never fail: SQLite reads its levels itself, `sqliteBranches`.)

/**
 * The branch for one type from a table of keys (SQL literals of the value a level is read
 * as, compared with `key`, the value's own) to the levels read as it: levels of one class
 * give a level of it, levels of several classes refuse the record, and a key not in the
 * table is an unseen text `t`.
 */
function keyedBranch(
  when: Types,
  key: string,
  t: string,
  table: Map<string, string[]>,
  classes: LevelClasses,
): Branch {
  return { when, ...keyedLookup(key, t, table, classes) };
}

function keyedLookup(
  key: string,
  t: string,
  table: Map<string, string[]>,
  classes: LevelClasses,
): { value: string; refused: string } {
  if (table.size === 0) return { value: t, refused: '0' };
  const entries = [...table];
  const oneClass = (levels: string[]): boolean =>
    levels.every((l) => classes.of(l) === classes.of(levels[0]!));
  const ambiguous = entries.filter(([, levels]) => !oneClass(levels));
  return {
    value: `(CASE ${key} ${entries
      .map(([k, levels]) => `WHEN ${k} THEN ${oneClass(levels) ? quoteString(levels[0]!) : 'NULL'}`)
      .join(' ')} ELSE ${t} END)`,
    refused:
      ambiguous.length === 0
        ? '0'
        : `(CASE ${key} ${ambiguous.map(([k]) => `WHEN ${k} THEN 1`).join(' ')} ELSE 0 END)`,
  };
}

/** The levels grouped by the key `keyOf` gives them (levels without a key left out). */
function tableOf(
  levels: readonly string[],
  keyOf: (level: string) => string | undefined,
): Map<string, string[]> {
  const table = new Map<string, string[]>();
  for (const level of levels) {
    const key = keyOf(level);
    if (key === undefined) continue;
    const same = table.get(key);
    if (same) same.push(level);
    else table.set(key, [level]);
  }
  return table;
}

function postgresBranches(
  f: CategoricalFeature,
  column: string,
  t: string,
  classes: LevelClasses,
): { type: string; isText: Types; branches: Branch[] } {
  const type = `CAST(pg_typeof(${column}) AS TEXT)`;
  const floatKey = (x: number | undefined, to: string): string | undefined =>
    x === undefined ? undefined : `CAST(${quoteString(floatText(x))} AS ${to})`;
  const branches: Branch[] = [
    keyedBranch(
      { names: ['boolean'] },
      t,
      t,
      tableOf(f.levels, (l) => {
        const b = postgresBoolean(l);
        return b === undefined ? undefined : quoteString(String(b));
      }),
      classes,
    ),
    keyedBranch(
      { names: ['smallint', 'integer', 'bigint'] },
      t,
      t,
      tableOf(f.levels, (l) => {
        const n = postgresInteger(l);
        return n === undefined ? undefined : quoteString(String(n));
      }),
      classes,
    ),
    decimalBranch({ names: ['numeric'] }, f, t, ['NaN', 'Infinity', '-Infinity'], classes),
    keyedBranch(
      { names: ['double precision'] },
      `CAST(${t} AS DOUBLE PRECISION)`,
      t,
      tableOf(f.levels, (l) => floatKey(postgresFloat(l, 64), 'DOUBLE PRECISION')),
      classes,
    ),
    keyedBranch(
      { names: ['real'] },
      `CAST(${t} AS REAL)`,
      t,
      tableOf(f.levels, (l) => floatKey(postgresFloat(l, 32), 'REAL')),
      classes,
    ),
  ];
  return {
    type,
    isText: { names: ['text', 'character varying', 'character', 'name', 'citext'] },
    branches,
  };
}

/**
 * SQLite: a number's text in a column of INTEGER, REAL or NUMERIC affinity is stored as an
 * INTEGER or a REAL. SQLite's conversion of text to a double is not always the nearest
 * double (it promises 15 significant digits), so which level a stored number was is asked
 * of SQLite itself, with the very conversion that stored it: a level that is an integer in
 * 64 bits is that INTEGER (a REAL column holds it as a double), any other number's text is
 * `CAST(level AS REAL)`; the levels whose value equals the column's are counted.
 */
function sqliteBranches(
  f: CategoricalFeature,
  column: string,
  t: string,
  classes: LevelClasses,
): { type: string; isText: Types; branches: Branch[] } {
  const numbers = f.levels
    .map((level) => ({ level, n: sqliteNumber(level) }))
    .filter((x) => x.n !== undefined);
  const integerText = (level: string): bigint | undefined => {
    const s = level.trim();
    return /^[-+]?\d+$/.test(s) ? sqliteNumber(s)?.integer : undefined;
  };
  const keyOf = (level: string, real: boolean): string => {
    const n = integerText(level);
    if (n === undefined) return `CAST(${quoteString(level.trim())} AS REAL)`;
    return real ? `CAST(${n} AS REAL)` : String(n);
  };
  const branch = (type: string, real: boolean): Branch =>
    engineBranch(
      { names: [type] },
      // Unary + drops the column's affinity: the stored numbers are compared as numbers
      // (a TEXT column may hold a number an application bound).
      `(+${column})`,
      t,
      classes,
      numbers.map(({ level }) => ({ level, keys: [keyOf(level, real)] })),
    );
  return {
    type: `typeof(${column})`,
    isText: { names: ['text'] },
    branches: [branch('integer', false), branch('real', true)],
  };
}

// ---------------------------------------------------------------------------------------
// DECIMAL (DuckDB) and NUMERIC (PostgreSQL): the text of a value has as many decimals as
// the column's scale (`1.50` in DECIMAL(4,2)), and both engines round a level with more
// decimals half away from zero as they read it ('1.555' is 1.56). Below the scale of the
// most precise level, the value is looked up with its scale; from there on no level was
// rounded, and the value is looked up by its number (trailing zeros dropped).

/** The most scales a DECIMAL or NUMERIC lookup lists rounded levels for (DuckDB's DECIMAL
 * holds 38 decimals at most). */
const SCALE_LIMIT = 40;

function decimalBranch(
  when: Types,
  f: CategoricalFeature,
  t: string,
  specials: string[],
  classes: LevelClasses,
): Branch {
  const parsed = f.levels
    .map((level) => ({ level, d: parseDecimal(level) }))
    .filter((x): x is { level: string; d: Decimal } => x.d !== undefined);
  const precise = Math.max(0, ...parsed.map((x) => x.d.scale));
  const scaleOf = `(CASE WHEN strpos(${t}, '.') > 0 THEN length(${t}) - strpos(${t}, '.') ELSE 0 END)`;
  const plain = `(CASE WHEN strpos(${t}, '.') > 0 THEN rtrim(rtrim(${t}, '0'), '.') ELSE ${t} END)`;
  const exact = keyedLookup(
    plain,
    t,
    tableOf(
      parsed.map((x) => x.level),
      (l) => quoteString(decimalText(parseDecimal(l)!)),
    ),
    classes,
  );
  // Below `precise`: every scale s the value can have, and what each level reads as there;
  // at most SCALE_LIMIT of them (a level such as 1e-1000 would ask for a thousand), and a
  // value of a scale between that and `precise` is refused.
  const limit = Math.min(precise, SCALE_LIMIT);
  const scaled = new Map<string, string[]>();
  for (let s = 0; s < limit; s++) {
    for (const { level, d } of parsed) {
      const key = quoteString(decimalText(d, s));
      scaled.set(key, [...(scaled.get(key) ?? []), level]);
    }
  }
  const rounded = keyedLookup(t, t, scaled, classes);
  const special = specialLookup(f, t, specials, classes);
  const trivial = (x: { value: string; refused: string }): boolean =>
    x.value === t && x.refused === '0';
  if (trivial(exact) && trivial(special)) return { when, value: t, refused: '0' };
  const pick = (part: 'value' | 'refused'): string => {
    const body =
      precise === 0
        ? exact[part]
        : `(CASE WHEN ${scaleOf} >= ${precise} THEN ${exact[part]} WHEN ${scaleOf} < ${limit} THEN ${rounded[part]} ELSE ${part === 'value' ? 'NULL' : '1'} END)`;
    return trivial(special)
      ? body
      : `(CASE WHEN ${t} IN (${specials.map(quoteString).join(', ')}) THEN ${special[part]} ELSE ${body} END)`;
  };
  return { when, value: pick('value'), refused: pick('refused') };
}

/** PostgreSQL's NUMERIC NaN and infinities, as the levels that spell them. */
function specialLookup(
  f: CategoricalFeature,
  t: string,
  specials: string[],
  classes: LevelClasses,
): { value: string; refused: string } {
  if (specials.length === 0) return { value: t, refused: '0' };
  return keyedLookup(
    t,
    t,
    tableOf(f.levels, (l) => {
      const x = postgresFloat(l, 64);
      if (x === undefined || Number.isFinite(x)) return undefined;
      const text = floatText(x);
      return specials.includes(text) ? quoteString(text) : undefined;
    }),
    classes,
  );
}

/** An exact decimal: `coefficient` × 10^-`scale`, without trailing zeros in the fraction. */
interface Decimal {
  coefficient: bigint;
  scale: number;
}

/**
 * The decimal a text spells in the grammar DuckDB's DECIMAL cast and PostgreSQL's NUMERIC
 * input share (sign, digits with single `_` between them, a point, an exponent), or
 * undefined. Exponents past ±1000 are left out: no column holds such a level.
 */
export function parseDecimal(text: string): Decimal | undefined {
  const m =
    /^([+-]?)(?:(\d+(?:_\d+)*)(?:\.(\d+(?:_\d+)*)?)?|\.(\d+(?:_\d+)*))(?:[eE]([+-]?\d+))?$/.exec(
      text.trim(),
    );
  if (!m) return undefined;
  const whole = (m[2] ?? '').replace(/_/g, '');
  const fraction = (m[3] ?? m[4] ?? '').replace(/_/g, '');
  const exponent = m[5] === undefined ? 0 : Number(m[5]);
  if (Math.abs(exponent) > 1000) return undefined;
  let coefficient = BigInt(whole + fraction || '0');
  let scale = fraction.length - exponent;
  if (scale < 0) {
    coefficient *= 10n ** BigInt(-scale);
    scale = 0;
  }
  while (scale > 0 && coefficient % 10n === 0n) {
    coefficient /= 10n;
    scale--;
  }
  return { coefficient: m[1] === '-' ? -coefficient : coefficient, scale };
}

/**
 * The text of `d` at `scale` decimals (rounded half away from zero, or padded with
 * zeros), as DuckDB and PostgreSQL write a DECIMAL or NUMERIC: `-0.50`, `7`, `0.00`.
 */
export function decimalText(d: Decimal, scale = d.scale): string {
  const negative = d.coefficient < 0n;
  let magnitude = negative ? -d.coefficient : d.coefficient;
  if (scale < d.scale) {
    const unit = 10n ** BigInt(d.scale - scale);
    const rest = magnitude % unit;
    magnitude = magnitude / unit + (rest * 2n >= unit ? 1n : 0n);
  } else {
    magnitude *= 10n ** BigInt(scale - d.scale);
  }
  const digits = magnitude.toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative && magnitude !== 0n ? `-${text}` : text;
}

/**
 * PostgreSQL's boolean input (`boolin`): any prefix of `true`, `false`, `yes` or `no`,
 * `on`, `of`/`off`, `1` and `0`, in any case; undefined for any other text.
 */
export function postgresBoolean(text: string): boolean | undefined {
  const s = text.trim().toLowerCase();
  if (s === '') return undefined;
  if ('true'.startsWith(s) || 'yes'.startsWith(s) || s === 'on' || s === '1') return true;
  if (
    'false'.startsWith(s) ||
    'no'.startsWith(s) ||
    (s.length >= 2 && 'off'.startsWith(s)) ||
    s === '0'
  )
    return false;
  return undefined;
}

/**
 * PostgreSQL's integer input: a sign and decimal digits; from version 16 also `_` between
 * digits and `0x`, `0o`, `0b` prefixes (taken here too, so either version reads the same).
 */
export function postgresInteger(text: string): bigint | undefined {
  const m =
    /^([+-]?)(0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)*|0[oO][0-7]+(?:_[0-7]+)*|0[bB][01]+(?:_[01]+)*|\d+(?:_\d+)*)$/.exec(
      text.trim(),
    );
  if (!m) return undefined;
  const n = BigInt(m[2]!.replace(/_/g, ''));
  return m[1] === '-' ? -n : n;
}

const DECIMAL_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * PostgreSQL's `double precision` (64) or `real` (32) input: decimal numbers, `0x` hex
 * integers (its `strtod` reads them), `NaN`, `Infinity`, `inf`; undefined out of range.
 */
export function postgresFloat(text: string, bits: 32 | 64): number | undefined {
  const s = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  let x: number;
  if (DECIMAL_NUMBER.test(s)) x = Number(s);
  else if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(s))
    x = (s.startsWith('-') ? -1 : 1) * Number(s.replace(/^[+-]/, ''));
  else return undefined;
  if (bits === 32) x = Math.fround(x);
  // Out of range either way (1e309, 1e-400): PostgreSQL refuses the text.
  if (!Number.isFinite(x) || (x === 0 && /[1-9]/.test(s.replace(/[eE].*$/, '')))) return undefined;
  return x;
}

/** A float's key text: `NaN`, `Infinity`, `-Infinity` as PostgreSQL spells them, else the number. */
function floatText(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return String(x);
}

/**
 * How SQLite's column affinity stores a text: a well-formed integer in 64 bits as that
 * INTEGER, any other number as a REAL, and (INTEGER and NUMERIC affinity) a REAL that is a
 * whole number in 64 bits as that INTEGER. Undefined for a text it keeps as text.
 */
export function sqliteNumber(text: string): { integer?: bigint; real: number } | undefined {
  const s = text.trim();
  if (!DECIMAL_NUMBER.test(s)) return undefined;
  const real = Number(s);
  const inRange = (n: bigint): boolean => n >= -(2n ** 63n) && n < 2n ** 63n;
  // An integer is stored as an INTEGER first (a REAL column then converts it): -0 is 0.
  if (/^[-+]?\d+$/.test(s) && inRange(BigInt(s)))
    return { integer: BigInt(s), real: Number(BigInt(s)) };
  if (Number.isInteger(real) && inRange(BigInt(real))) return { integer: BigInt(real), real };
  return { real };
}
