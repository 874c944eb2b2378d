// Exact decimal bounds of doubles, and SQL that compares a number's text with them without
// converting it to a double. An engine whose text-to-double conversion is not correctly
// rounded (SQLite's: it promises 15 significant digits, not the nearest double) cannot be
// trusted to say on which side of a threshold a text falls when the text is within a few
// units in the last place of it; its digits can. And an engine that fails the query on a
// number out of range (PostgreSQL's `1e-400`) must be told beforehand whether it is.

/**
 * An exact decimal: ±0.`digits` × 10^`exponent`, `digits` without leading or trailing
 * zeros; `digits` is `''` for zero.
 */
export interface ExactDecimal {
  negative: boolean;
  exponent: number;
  digits: string;
}

/**
 * Where the doubles at or below a number end, among decimals: `Number(text)` of a decimal
 * text D is at most the number exactly when D < `bound`, or D = `bound` and `tieDown`
 * (a decimal halfway between two doubles rounds to the even one).
 */
export interface RoundingBound {
  bound: ExactDecimal;
  tieDown: boolean;
}

/** Every double, and every midpoint of two neighbours, is a whole multiple of 2^-1075. */
const UNIT_BITS = 1075n;
const FIVE_TO_UNIT = 5n ** UNIT_BITS;

function bitsOf(x: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0);
}

function fromBits(bits: bigint): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, bits);
  return view.getFloat64(0);
}

/** `x` (finite) as a whole number of units of 2^-1075. */
function unitsOf(x: number): bigint {
  const bits = bitsOf(x);
  const exponent = (bits >> 52n) & 0x7ffn;
  const fraction = bits & ((1n << 52n) - 1n);
  // A normal number is (2^52 + fraction) × 2^(exponent - 1075); a subnormal, fraction × 2^-1074.
  const magnitude = exponent === 0n ? fraction << 1n : (fraction | (1n << 52n)) << exponent;
  return bits >> 63n ? -magnitude : magnitude;
}

/** The exact decimal of `units` × 2^-1075. */
function decimalOfUnits(units: bigint): ExactDecimal {
  const negative = units < 0n;
  const text = ((negative ? -units : units) * FIVE_TO_UNIT).toString();
  if (text === '0') return { negative: false, exponent: 0, digits: '' };
  return {
    negative,
    exponent: text.length - Number(UNIT_BITS),
    digits: text.replace(/0+$/, ''),
  };
}

/** The next double above `x` (toward +Infinity); -0 counts as 0. */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const bits = bitsOf(x);
  return fromBits(x > 0 ? bits + 1n : bits - 1n);
}

/** The next double below `x` (toward -Infinity). */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/**
 * The decimal bound of the doubles at most `x` (finite): halfway to the next double up
 * (2^1024 stands for the one above the largest), ties going to the even one of the two.
 */
export function roundingBound(x: number): RoundingBound {
  const up = nextUp(x);
  const upUnits = Number.isFinite(up) ? unitsOf(up) : 1n << (1024n + UNIT_BITS);
  // -0 is 0; the even one of two neighbours has a 0 as the last bit of its significand.
  const here = x === 0 ? 0 : x;
  return {
    bound: decimalOfUnits((unitsOf(here) + upUnits) / 2n),
    tieDown: (bitsOf(here) & 1n) === 0n,
  };
}

/** Texts of at least this magnitude are infinite as doubles (ties go to 2^1024). */
export const OVERFLOW = roundingBound(Number.MAX_VALUE).bound;
/** Texts of at most this magnitude are 0 as doubles (ties go to 0). */
export const UNDERFLOW = roundingBound(0).bound;

/** What the SQL below needs of a dialect. */
export interface DecimalDialect {
  /** 1-based position of `needle` in `text`, 0 when absent (`instr`, `strpos`). */
  position: (text: string, needle: string) => string;
  /** A text compared byte by byte (digit strings compare as in C). */
  binary: (text: string) => string;
  /**
   * The names the comparisons read the parts by, where they are not
   * {@link decimalPartsFrom}'s columns (ClickHouse names each feature's own).
   * @defaultValue `{ neg: 'neurules_neg', e: 'neurules_e', s: 'neurules_s' }`
   */
  parts?: DecimalParts;
}

/** The names of a decimal's parts: its sign (true when negative), exponent and digits. */
export interface DecimalParts {
  neg: string;
  e: string;
  s: string;
}

const PARTS: DecimalParts = { neg: 'neurules_neg', e: 'neurules_e', s: 'neurules_s' };

/**
 * A `FROM` clause over one row with the parts of the decimal number `t` (SQL, a text in
 * neurules' number grammar): `neurules_neg` (true for a leading `-`), `neurules_e` and
 * `neurules_s` (the exponent and digits of {@link ExactDecimal}; `neurules_s` is `''` for
 * zero). Plain text functions only, so no text fails: each step a derived table that names
 * its parts once (a nested expression would repeat `t` at every use). An exponent of more
 * than 9 digits is taken as ±4,000,000,000: past any double either way, and no text's
 * digits can shift it back (engines cap a text at about 10^9 characters).
 */
export function decimalPartsFrom(t: string, d: DecimalDialect): string {
  const steps = [
    `SELECT ${t} AS neurules_x`,
    `SELECT substr(neurules_x, 1, 1) = '-' AS neurules_neg, CASE WHEN substr(neurules_x, 1, 1) IN ('+', '-') THEN substr(neurules_x, 2) ELSE neurules_x END AS neurules_u`,
    `SELECT neurules_neg, neurules_u, ${d.position(`lower(neurules_u)`, `'e'`)} AS neurules_ep`,
    `SELECT neurules_neg, CASE WHEN neurules_ep > 0 THEN substr(neurules_u, 1, neurules_ep - 1) ELSE neurules_u END AS neurules_m, CASE WHEN neurules_ep > 0 THEN substr(neurules_u, neurules_ep + 1) ELSE '0' END AS neurules_ex`,
    `SELECT neurules_neg, replace(neurules_m, '.', '') AS neurules_dg, CASE WHEN ${d.position('neurules_m', `'.'`)} > 0 THEN ${d.position('neurules_m', `'.'`)} - 1 ELSE length(neurules_m) END AS neurules_il, CASE WHEN length(ltrim(neurules_ex, '+-0')) > 9 THEN (CASE WHEN substr(neurules_ex, 1, 1) = '-' THEN -4000000000 ELSE 4000000000 END) ELSE CAST(neurules_ex AS BIGINT) END AS neurules_xp`,
    `SELECT neurules_neg, neurules_il - (length(neurules_dg) - length(ltrim(neurules_dg, '0'))) + neurules_xp AS neurules_e, rtrim(ltrim(neurules_dg, '0'), '0') AS neurules_s`,
  ];
  return steps.reduce(
    (from, step, i) => `(${step}${from ? ` FROM ${from}` : ''}) AS neurules_d${i}`,
    '',
  );
}

/** SQL comparisons of the magnitude of {@link decimalPartsFrom}'s decimal with `m`'s. */
function magnitudeSql(
  m: ExactDecimal,
  d: DecimalDialect,
): { less: string; equal: string; more: string } {
  const { e } = d.parts ?? PARTS;
  const s = d.binary((d.parts ?? PARTS).s);
  const digits = d.binary(`'${m.digits}'`);
  const sameExponent = `${e} = ${m.exponent}`;
  return {
    less: `(${e} < ${m.exponent} OR (${sameExponent} AND ${s} < ${digits}))`,
    equal: `(${sameExponent} AND ${s} = ${digits})`,
    more: `(${e} > ${m.exponent} OR (${sameExponent} AND ${s} > ${digits}))`,
  };
}

/**
 * SQL true when the decimal of {@link decimalPartsFrom}'s columns is below `m` (`strict`),
 * or at most `m`.
 */
export function decimalBelowSql(m: ExactDecimal, strict: boolean, d: DecimalDialect): string {
  const { neg, s } = d.parts ?? PARTS;
  const zero = `${s} = ''`;
  if (m.digits === '') {
    const negative = `(NOT (${zero}) AND ${neg})`;
    return strict ? negative : `(${zero} OR ${negative})`;
  }
  const { less, equal, more } = magnitudeSql(m, d);
  // Zero and negative numbers are below a positive m; a positive one by its magnitude. Only
  // a negative number is below a negative m, by its magnitude.
  if (!m.negative) return `(${zero} OR ${neg} OR ${strict ? less : `(${less} OR ${equal})`})`;
  return `(NOT (${zero}) AND ${neg} AND ${strict ? more : `(${more} OR ${equal})`})`;
}

/**
 * SQL true when `Number(D)` of the decimal of {@link decimalPartsFrom}'s columns is at
 * most `x` (`orEqual`) or below it: the decimal against `x`'s rounding bound, exactly.
 */
export function doubleAtMostSql(x: number, orEqual: boolean, d: DecimalDialect): string {
  // Below x is at most the double below it.
  const top = orEqual ? x : nextDown(x);
  if (top === -Infinity) return '(1 = 0)';
  const { bound, tieDown } = roundingBound(top);
  return decimalBelowSql(bound, !tieDown, d);
}

/**
 * SQL true when the magnitude of {@link decimalPartsFrom}'s decimal is below `m` (`strict`)
 * or at most `m`.
 */
export function magnitudeBelowSql(m: ExactDecimal, strict: boolean, d: DecimalDialect): string {
  const { less, equal } = magnitudeSql(m, d);
  return `(${(d.parts ?? PARTS).s} = '' OR ${strict ? less : `(${less} OR ${equal})`})`;
}
