import type { Feature, Value } from '../data/types';
import { intersectSets, type Interval, setContains, type ValueSet } from './value-set';

/** How a feature's value may be changed when looking for the nearest value in a set. */
export interface MoveRules {
  /**
   * Honour the schema's `immutable` and `monotone` marks (for counterfactuals, which are
   * advice). Off for principal reasons, which describe the record as it is.
   * @defaultValue true
   */
  actionable?: boolean;
  /**
   * Keep new numbers within the feature's training range (plausible records).
   * @defaultValue true
   */
  withinRange?: boolean;
}

/** A value in the set and the cost of moving to it, in the feature's spreads. */
export interface Move {
  value: Value;
  /** |Δ| / standard deviation for a number; 1 for another level or filling a missing value. */
  cost: number;
}

/** Spread used to measure numeric changes: the standard deviation, else the range, else 1. */
export function spreadOf(feature: Feature): number {
  if (feature.type !== 'numeric') return 1;
  if (feature.std > 0) return feature.std;
  return feature.max > feature.min ? feature.max - feature.min : 1;
}

/**
 * The value closest to `lo` that is strictly above it and inside (lo, hi): a whole number
 * for whole-number features, else the roundest number within 1% of a spread above `lo`.
 */
function justAbove(lo: number, i: Interval, integer: boolean, spread: number): number | null {
  const fits = (v: number) => v > lo && (v < i.hi || (v === i.hi && i.hiClosed));
  if (integer) {
    const v = Math.floor(lo) + 1;
    return fits(v) ? v : null;
  }
  for (const step of [1, 0.5, 0.1, 0.05, 0.01, 0.001, 1e-4, 1e-6]) {
    const v = Number(((Math.floor(lo / step) + 1) * step).toPrecision(12));
    if (fits(v) && v - lo <= spread * 0.01) return v;
  }
  const v = lo + Math.max(Math.abs(lo), 1) * 1e-9;
  return fits(v) ? v : null;
}

function justBelow(hi: number, i: Interval, integer: boolean, spread: number): number | null {
  const mirrored: Interval = { lo: -i.hi, loClosed: i.hiClosed, hi: -i.lo, hiClosed: i.loClosed };
  const v = justAbove(-hi, mirrored, integer, spread);
  return v === null ? null : -v;
}

/** The value of interval `i` nearest to x (x outside it), or null when none is usable. */
function nearestInInterval(
  i: Interval,
  x: number,
  integer: boolean,
  spread: number,
): number | null {
  if (x < i.lo || (x === i.lo && !i.loClosed)) {
    if (i.loClosed) {
      const v = integer ? Math.ceil(i.lo) : i.lo;
      return v < i.hi || (v === i.hi && i.hiClosed) ? v : null;
    }
    return justAbove(i.lo, i, integer, spread);
  }
  if (i.hiClosed) {
    const v = integer ? Math.floor(i.hi) : i.hi;
    return v > i.lo || (v === i.lo && i.loClosed) ? v : null;
  }
  return justBelow(i.hi, i, integer, spread);
}

/** `x` itself, or for a whole-number feature the nearest whole number of `i` to x. */
function insideValue(i: Interval, x: number, integer: boolean): number | null {
  if (!integer || Number.isInteger(x)) return x;
  const options = [Math.round(x), Math.floor(x), Math.ceil(x)].filter((v) => inInterval(i, v));
  return options[0] ?? null;
}

function inInterval(i: Interval, x: number): boolean {
  return (x > i.lo || (x === i.lo && i.loClosed)) && (x < i.hi || (x === i.hi && i.hiClosed));
}

/**
 * The value of `set` nearest to the record's value `x` for one feature, or null when the
 * set holds no value the feature may move to. New values are real values of the feature:
 * numbers (within its training range unless `withinRange` is off; whole numbers for
 * whole-number features), levels of its schema; never "missing" or an unseen level. With `actionable`, an immutable feature
 * cannot move and a monotone one moves only its way.
 */
export function nearestValue(
  feature: Feature,
  set: ValueSet,
  x: Value,
  rules: MoveRules = {},
): Move | null {
  const actionable = rules.actionable ?? true;
  if (set.kind === 'numeric' && feature.type === 'numeric') {
    if (setContains(set, x)) return { value: x, cost: 0 };
    if (actionable && feature.immutable) return null;
    const range: ValueSet = {
      kind: 'numeric',
      intervals: [{ lo: feature.min, loClosed: true, hi: feature.max, hiClosed: true }],
      missing: false,
    };
    const usable = (rules.withinRange ?? true) ? intersectSets(set, range) : set;
    const spread = spreadOf(feature);
    const from = typeof x === 'number' ? x : feature.mean;
    let best: number | null = null;
    for (const i of usable.intervals) {
      const v = inInterval(i, from)
        ? insideValue(i, from, feature.integer)
        : nearestInInterval(i, from, feature.integer, spread);
      if (v === null) continue;
      if (actionable && typeof x === 'number' && feature.monotone) {
        if (feature.monotone === 'increasing' ? v < x : v > x) continue;
      }
      if (best === null || Math.abs(v - from) < Math.abs(best - from)) best = v;
    }
    if (best === null) return null;
    return { value: best, cost: typeof x === 'number' ? Math.abs(best - x) / spread : 1 };
  }
  if (set.kind === 'categorical' && feature.type === 'categorical') {
    if (setContains(set, x, feature.levels)) return { value: x, cost: 0 };
    if (actionable && feature.immutable) return null;
    const level = set.levels[0];
    return level === undefined ? null : { value: level, cost: 1 };
  }
  return null;
}
