import { MISSING_MARKERS, NUMBER_PATTERN_SQL } from '../data/parse-value';
import { type DecimalDialect, doubleAtMostSql, magnitudeBelowSql, OVERFLOW } from './exact-decimal';
import { checkText } from './sql-quote';

// How the ClickHouse query reads a cell, in functions that ClickHouse 18.16 (Debian's
// package) and current releases both have: `replaceRegexpAll`, `replaceRegexpOne`,
// `match`, `extract`, `ifNull`, `position`, `substring`, `length`, `replaceAll`,
// `toInt64`, `toInt64OrZero`, `multiIf`, `if`, `isNull` (as `IS NULL`) and array
// subscripts. 18.16 has no `trim`, and its `toFloat64OrNull` is not JavaScript's
// `Number()`: it reads `'+1'` as NULL, `'.'` and `'e5'` as 0, `'4.9e-324'` as 0 and
// `'1.7976931348623159e308'` as the largest double (JavaScript: 5e-324 and Infinity). So
// the query never converts a text to a double: a number is compared with a threshold by
// its decimal digits, exactly (`exact-decimal.ts`).

/** The ClickHouse functions the query uses, for the docs (each checked in 18.16 by the tests). */
export const CLICKHOUSE_FUNCTIONS = [
  'ifNull',
  'replaceRegexpAll',
  'replaceRegexpOne',
  'replaceAll',
  'match',
  'extract',
  'position',
  'substring',
  'length',
  'toInt64',
  'toInt64OrZero',
  'if',
  'multiIf',
  'isNull',
  'throwIf',
  'toTypeName',
] as const;

/**
 * The types a feature's column may have: text. A `FixedString` column reads as its text
 * padded with NUL bytes (an unseen level to the rules, not a type error), so any other
 * type fails the query (`throwIf`, on a constant: no cost per row).
 */
const TEXT_TYPES = [
  'String',
  'Nullable(String)',
  'LowCardinality(String)',
  'LowCardinality(Nullable(String))',
];

/**
 * A ClickHouse string literal. ClickHouse reads backslash escapes in a literal (`'\\'` is
 * one backslash), so a backslash is doubled and a quote escaped; NUL is refused, as in
 * every dialect.
 */
export function quoteClickHouseString(text: string): string {
  checkText(text, 'a value');
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A ClickHouse identifier in double quotes, which read backslash escapes as literals do. */
export function quoteClickHouseIdentifier(name: string): string {
  checkText(name, 'a name');
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Plain words ClickHouse 18.16 cannot take as a column's name in a query on a `Distributed`
 * table: it forwards the query to the shards with plain-word names unquoted, and there
 * these read as a keyword or a number (`NULL`, `inf`, …), in any case (measured).
 */
const FORWARDED_AS_KEYWORDS = ['null', 'not', 'interval', 'distinct', 'inf', 'nan', 'infinity'];

/**
 * Why a column named `name` cannot be read by the ClickHouse query, or undefined when it
 * can. ClickHouse 18.16 names each expression's result by its text (`1`, `''`,
 * `plus(neurules_k, 1)`), and a table column of the same name stands in for it; and it
 * forwards a plain word unquoted to the shards ({@link FORWARDED_AS_KEYWORDS}). So a name
 * shaped as a number, a string literal, a call, an array or a tuple is refused, as is one
 * of those words.
 */
export function clickhouseNameProblem(name: string): string | undefined {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && FORWARDED_AS_KEYWORDS.includes(name.toLowerCase()))
    return 'ClickHouse 18.16 forwards it unquoted to the shards of a Distributed table, where it reads as a keyword or a number';
  if (/^[-+]?[0-9.]/.test(name) && /^[-+]?[0-9.eE+-]*$/.test(name))
    return "it is a number, the name ClickHouse gives that number's literal in the query";
  if (/^'[^]*'$|^[A-Za-z_][A-Za-z0-9_]*\([^]*\)$|^\[[^]*\]$|^\([^]*\)$/.test(name))
    return 'it is shaped as ClickHouse names an expression of the query (a literal, a call, an array or a tuple)';
  return undefined;
}

/** A character as the `\xHH` escapes of its UTF-8 bytes, in a ClickHouse literal. */
function utf8Escapes(codePoint: number): string {
  return [...Buffer.from(String.fromCodePoint(codePoint), 'utf8')]
    .map((b) => `\\x${b.toString(16).padStart(2, '0')}`)
    .join('');
}

/**
 * The pattern of the white space `codePoints` around a text, as JavaScript's `trim()`
 * removes it (18.16 has no `trim`), named once in the query: `replaceRegexpAll(x,
 * neurules_ws, '')`. It is an alternation of each character's UTF-8 bytes, so it means the
 * same whether RE2 reads the text as UTF-8 or as bytes.
 */
export function clickhouseWhiteSpace(codePoints: readonly number[]): ClickHouseHelper {
  const any = `(?:${codePoints.map(utf8Escapes).join('|')})+`;
  return { name: WHITE_SPACE, sql: `'^${any}|${any}$'` };
}

const WHITE_SPACE = 'neurules_ws';

/** A named expression of the query's `WITH` clause. */
export interface ClickHouseHelper {
  name: string;
  sql: string;
}

/** How the query reads one feature's cell: its helpers, and SQL over their names. */
export interface ClickHouseRead {
  helpers: ClickHouseHelper[];
  /** The value the rules test for NULL: the trimmed text, NULL when missing. */
  value: string;
  /** SQL true when predict refuses the value (a present text that is no finite number). */
  refused?: string;
  /** `value op x` exactly as JavaScript compares `Number(text)` (numeric features). */
  compare?: (op: '<' | '<=' | '>' | '>=', x: number) => string;
}

const missing = (t: string): string =>
  `${t} IN (${MISSING_MARKERS.map(quoteClickHouseString).join(', ')})`;

/**
 * How the query reads feature number `i` from `column` (SQL of the column): its text
 * `neurules_t<i>` (NULL as ''), trimmed by {@link clickhouseWhiteSpace}'s pattern, the value `neurules_v<i>`, and for a numeric feature
 * the parts of its decimal number (`exact-decimal.ts`), computed once per record as
 * named expressions. No function here fails on any text: ClickHouse computes every branch.
 */
export function clickhouseRead(i: number, column: string, numeric: boolean): ClickHouseRead {
  const n = (kind: string): string => `neurules_${kind}${i}`;
  const t = n('t');
  const helpers: ClickHouseHelper[] = [
    {
      name: t,
      sql: `if(throwIf(toTypeName(${column}) NOT IN (${TEXT_TYPES.map(quoteClickHouseString).join(', ')})), '', replaceRegexpAll(ifNull(${column}, ''), ${WHITE_SPACE}, ''))`,
    },
    { name: n('v'), sql: `if(${missing(t)}, NULL, ${t})` },
  ];
  if (!numeric) return { helpers, value: n('v') };
  const len = (x: string): string => `toInt64(length(${x}))`;
  const unzero = (x: string): string => `replaceRegexpOne(${x}, '^0+', '')`;
  // The number is ±0.s × 10^e (`ExactDecimal`): the mantissa's digits without leading or
  // trailing zeros, and the exponent from the digits before the point, less the zeros
  // after it, plus the written exponent; one of more than 9 digits is past any double.
  helpers.push(
    { name: n('neg'), sql: `substring(${t}, 1, 1) = '-'` },
    { name: n('mant'), sql: `extract(${t}, '^[-+]?([0-9.]*)')` },
    { name: n('dg'), sql: `replaceAll(${n('mant')}, '.', '')` },
    { name: n('ex'), sql: `extract(${t}, '[eE]([-+]?[0-9]+)$')` },
    {
      name: n('xp'),
      sql: `if(length(replaceRegexpOne(${n('ex')}, '^[-+]?0*', '')) > 9, if(substring(${n('ex')}, 1, 1) = '-', toInt64(-4000000000), toInt64(4000000000)), toInt64OrZero(${n('ex')}))`,
    },
    {
      name: n('e'),
      sql: `if(position(${n('mant')}, '.') > 0, toInt64(position(${n('mant')}, '.')) - 1, ${len(n('mant'))}) - (${len(n('dg'))} - ${len(unzero(n('dg')))}) + ${n('xp')}`,
    },
    { name: n('s'), sql: `replaceRegexpOne(${unzero(n('dg'))}, '0+$', '')` },
  );
  const d: DecimalDialect = {
    position: (text, needle) => `position(${text}, ${needle})`,
    binary: (text) => text,
    parts: { neg: n('neg'), e: n('e'), s: n('s') },
  };
  // A finite number: neurules' number syntax, and below the magnitude where doubles end.
  helpers.push({
    name: n('ok'),
    sql: `match(${t}, ${quoteClickHouseString(NUMBER_PATTERN_SQL)}) AND ${magnitudeBelowSql(OVERFLOW, true, d)}`,
  });
  return {
    helpers,
    value: n('v'),
    refused: `(${n('v')} IS NOT NULL AND NOT ${n('ok')})`,
    compare: (op, x) => {
      const atMost = doubleAtMostSql(x, op === '<=' || op === '>', d);
      return `(${n('ok')} AND ${op === '<' || op === '<=' ? atMost : `NOT ${atMost}`})`;
    },
  };
}
