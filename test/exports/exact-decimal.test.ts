import fc from 'fast-check';
import initSqlJs, { type Database } from 'sql.js';
import {
  type DecimalDialect,
  decimalPartsFrom,
  doubleAtMostSql,
  type ExactDecimal,
  magnitudeBelowSql,
  nextDown,
  nextUp,
  OVERFLOW,
  roundingBound,
  UNDERFLOW,
} from '../../src/exports/exact-decimal';

// The bounds are checked against JavaScript's Number(), which rounds a decimal text to the
// nearest double (ties to even) as neurules reads numbers; the SQL against the same, run in
// SQLite (sql.js).

/** A decimal as a whole coefficient and a power of ten: `coefficient` × 10^`power`. */
interface Scaled {
  coefficient: bigint;
  power: number;
}

function scaledOf(d: ExactDecimal): Scaled {
  const c = d.digits === '' ? 0n : BigInt(d.digits);
  return { coefficient: d.negative ? -c : c, power: d.exponent - d.digits.length };
}

/** `d` moved by `steps` units of its `extra`-th digit past its last one. */
function nudge(d: Scaled, steps: number, extra: number): Scaled {
  return {
    coefficient: d.coefficient * 10n ** BigInt(extra) + BigInt(steps),
    power: d.power - extra,
  };
}

/**
 * One of the texts neurules reads as the decimal `d`: plain or with an exponent, with or
 * without a `+`, leading and trailing zeros, `e` or `E`.
 */
function spell(d: Scaled, style: number): string {
  const negative = d.coefficient < 0n;
  const digits = (negative ? -d.coefficient : d.coefficient).toString();
  const sign = negative ? '-' : style % 5 === 0 ? '+' : '';
  const padded = style % 3 === 0 ? `${digits}00` : digits;
  const power = style % 3 === 0 ? d.power - 2 : d.power;
  if (style % 2 === 0) return `${sign}${padded}${style % 4 === 0 ? 'E' : 'e'}${power}`;
  // Plain: the point placed by the power, with zeros where it falls outside the digits.
  if (power >= 0) return `${sign}${padded}${'0'.repeat(power)}${style % 7 === 0 ? '.' : ''}`;
  const point = padded.length + power;
  return point > 0
    ? `${sign}${padded.slice(0, point)}.${padded.slice(point)}`
    : `${sign}${style % 7 === 0 ? '' : '0'}.${'0'.repeat(-point)}${padded}`;
}

const text = (d: ExactDecimal): string => spell(scaledOf(d), 1);

describe('roundingBound: where the doubles up to x end, among decimals', () => {
  it('the bound and the decimals a hair either side round as JavaScript rounds them', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: 1, max: 30 }),
        (x, extra) => {
          const { bound, tieDown } = roundingBound(x);
          const b = scaledOf(bound);
          const here = x === 0 ? 0 : x;
          const up = nextUp(here);
          expect(Number(spell(b, 1))).toBe(tieDown ? here : up);
          expect(Number(spell(nudge(b, -1, extra), 1))).toBe(here);
          expect(Number(spell(nudge(b, 1, extra), 1))).toBe(up);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('the overflow and underflow bounds: 1.797…e308 and 2.47…e-324, ties away from them', () => {
    expect(OVERFLOW.exponent).toBe(309);
    expect(OVERFLOW.digits.startsWith('17976931348623158079')).toBe(true);
    expect(Number(text(OVERFLOW))).toBe(Infinity);
    expect(Number(spell(nudge(scaledOf(OVERFLOW), -1, 40), 1))).toBe(Number.MAX_VALUE);
    expect(UNDERFLOW.exponent).toBe(-323);
    expect(UNDERFLOW.digits.startsWith('24703282292062327')).toBe(true);
    expect(Number(text(UNDERFLOW))).toBe(0);
    expect(Number(spell(nudge(scaledOf(UNDERFLOW), 1, 40), 1))).toBe(Number.MIN_VALUE);
  });

  it('nextUp and nextDown step one double, across 0 and binades', () => {
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-0)).toBe(Number.MIN_VALUE);
    expect(nextDown(0)).toBe(-Number.MIN_VALUE);
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextDown(1)).toBe(1 - Number.EPSILON / 2);
    expect(nextUp(Number.MAX_VALUE)).toBe(Infinity);
    expect(nextUp(-Number.MIN_VALUE)).toBe(-0);
  });
});

describe('the SQL of exact decimals, run in SQLite', () => {
  let db: Database;
  beforeAll(async () => {
    db = new (await initSqlJs()).Database();
  });
  afterAll(() => db.close());
  const sqlite: DecimalDialect = { position: (t, n) => `instr(${t}, ${n})`, binary: (t) => t };
  const ask = (predicate: string, t: string): number =>
    db.exec(
      `SELECT CASE WHEN ${predicate} THEN 1 ELSE 0 END FROM ${decimalPartsFrom('?', sqlite)}`,
      [t],
    )[0]!.values[0]![0] as number;

  /** Texts near the bounds of x and of the double below it, in every spelling. */
  const nearTexts = fc
    .tuple(
      fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom(5, 0.1, 39, 0, -2.25, 1e-7, Number.MAX_VALUE, Number.MIN_VALUE),
      ),
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -2, max: 2 }), fc.nat(25), fc.nat(83)), {
        minLength: 1,
        maxLength: 8,
      }),
    )
    .map(([x, picks]) => ({
      x,
      texts: picks.map(([below, steps, extra, style]) => {
        const { bound } = roundingBound(below ? nextDown(x) : x);
        return spell(nudge(scaledOf(bound), steps, extra), style);
      }),
    }));

  it('doubleAtMostSql says Number(t) <= x, or < x, exactly, for texts a hair from x', () => {
    fc.assert(
      fc.property(nearTexts, ({ x, texts }) => {
        fc.pre(Number.isFinite(nextDown(x)));
        for (const t of texts) {
          expect({ t, x, le: ask(doubleAtMostSql(x, true, sqlite), t) }).toEqual({
            t,
            x,
            le: Number(t) <= x ? 1 : 0,
          });
          expect({ t, x, lt: ask(doubleAtMostSql(x, false, sqlite), t) }).toEqual({
            t,
            x,
            lt: Number(t) < x ? 1 : 0,
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('magnitudeBelowSql says whether a text is finite, and whether it is 0, as JavaScript', () => {
    const texts = [
      '0',
      '-0.000',
      '0e999999999999',
      '1e400',
      '1e-400',
      '-1e-400',
      `0.${'0'.repeat(400)}1`,
      `1${'0'.repeat(400)}`,
      '1.7976931348623157e308',
      '1.7976931348623158e308',
      '1.7976931348623159e308',
      '2.4703282292062327e-324',
      '2.4703282292062328e-324',
      '1e99999999999999999999',
      '1e-99999999999999999999',
      text(OVERFLOW),
      text(UNDERFLOW),
      spell(nudge(scaledOf(OVERFLOW), -1, 50), 2),
      spell(nudge(scaledOf(UNDERFLOW), 1, 50), 3),
    ];
    for (const t of texts) {
      expect({ t, finite: ask(magnitudeBelowSql(OVERFLOW, true, sqlite), t) }).toEqual({
        t,
        finite: Number.isFinite(Number(t)) ? 1 : 0,
      });
      expect({ t, zero: ask(magnitudeBelowSql(UNDERFLOW, false, sqlite), t) }).toEqual({
        t,
        zero: Number(t) === 0 ? 1 : 0,
      });
    }
  });
});
