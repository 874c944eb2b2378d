import type { Value } from '../data/types';
import { formatValue } from '../rules/describe-rule';

/**
 * Bands of a numeric feature, cut at ascending points: band `i` holds the values `v` with
 * `cuts[i - 1] ≤ v < cuts[i]` (half-open: a cut point starts the band above it). With
 * cuts `[25, 35, 50]` the bands read `< 25`, `25 to < 35`, `35 to < 50`, `≥ 50`.
 */
export interface Bands {
  /** Strictly increasing cut points. */
  cuts: number[];
  /**
   * The lowest value seen, when the bands were cut from data (quartiles): the first band
   * is then named from it (`19 to < 27`) rather than open below (`< 27`).
   */
  from?: number;
}

/** A plain decimal number: optional sign, digits with an optional fraction, optional exponent. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * `text` (trimmed) as a plain decimal number (`25`, `-1.5`, `2.5e3`), or why it is not one:
 * the other spellings `Number` reads (`0x10`, `Infinity`, an empty text) are refused, and so
 * are a number too large for a double (it would read as ±Infinity) and a non-zero one too
 * small for it (`1e-400` would read as 0).
 */
export function readDecimal(
  text: string,
): { ok: true; value: number } | { ok: false; reason: string } {
  const t = text.trim();
  if (!DECIMAL.test(t)) return { ok: false, reason: `expected a decimal number, found '${t}'` };
  const value = Number(t);
  if (!Number.isFinite(value)) {
    return { ok: false, reason: `expected a number a double can hold, found '${t}' (too large)` };
  }
  const mantissa = t.split(/[eE]/)[0]!;
  if (value === 0 && /[1-9]/.test(mantissa)) {
    return {
      ok: false,
      reason: `expected a number a double can hold, found '${t}' (too small: it would read as 0)`,
    };
  }
  return { ok: true, value };
}

/** The name of the one band of a feature with no cut point (all its values alike). */
export const ALL_VALUES = 'all values';

/** The band `value` falls in: the number of cut points at or below it. */
export function bandOf(bands: Bands, value: number): number {
  let i = 0;
  while (i < bands.cuts.length && bands.cuts[i]! <= value) i++;
  return i;
}

/**
 * Every band of `bands`, in order, with its bounds (`lower` inclusive, `upper` exclusive;
 * null: unbounded) and its name, read from its bounds: `< 25`, `25 to < 35`, `≥ 50`
 * (`19 to < 27` for a first band cut from data starting at 19; `all values` without cuts).
 */
export function bandList(
  bands: Bands,
): { name: string; lower: number | null; upper: number | null }[] {
  const { cuts } = bands;
  if (cuts.length === 0) return [{ name: ALL_VALUES, lower: null, upper: null }];
  return Array.from({ length: cuts.length + 1 }, (_, i) => {
    const lower = i === 0 ? null : cuts[i - 1]!;
    const upper = i === cuts.length ? null : cuts[i]!;
    const from = lower ?? bands.from;
    const name =
      upper === null
        ? `≥ ${formatValue(lower)}`
        : from === undefined
          ? `< ${formatValue(upper)}`
          : `${formatValue(from)} to < ${formatValue(upper)}`;
    return { name, lower, upper };
  });
}

/**
 * Quartile bands of the values present (missing ones left out): cut at the first, second
 * and third quartiles, each the linear interpolation between the two nearest order
 * statistics (numpy's and R's default, type 7). Equal cut points are kept once, and a cut
 * at or below the lowest value is dropped, since no value could fall below it; so a
 * column of few distinct values has fewer bands, and a constant one a single band.
 *
 * @example
 * quartileBands([19, 22, 25, 30, 33, 41, 47, 60]); // { cuts: [24.25, 31.5, 42.5], from: 19 }
 */
export function quartileBands(values: readonly Value[]): Bands {
  const sorted = values.filter((v): v is number => typeof v === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return { cuts: [] };
  const at = (q: number): number => {
    const h = (sorted.length - 1) * q;
    const lo = Math.floor(h);
    const below = sorted[lo]!;
    const above = sorted[Math.min(lo + 1, sorted.length - 1)]!;
    // Rounded to 12 significant digits: 0.1 + 0.2 reads as 0.3 in a band's name.
    return Number((below + (h - lo) * (above - below)).toPrecision(12));
  };
  const lowest = sorted[0]!;
  const cuts = [...new Set([0.25, 0.5, 0.75].map(at))].filter((c) => c > lowest);
  return { cuts, from: lowest };
}
