import { NeurulesError } from '../errors';
/**
 * The values one feature may take inside a region, as exact sets: a union of intervals
 * (open or closed ends) for a numeric feature, a set of levels for a categorical one, and
 * in both cases whether a missing value (`null`) is in the set. Everything the rules can
 * say about one feature is one of these, so set algebra on them is exact.
 */

/** One interval of the real line; `lo` may be -Infinity and `hi` Infinity (then open). */
export interface Interval {
  lo: number;
  loClosed: boolean;
  hi: number;
  hiClosed: boolean;
}

/**
 * A set of values of a numeric feature. `intervals` are sorted, disjoint and not empty, and
 * as few as the set allows (two with no number between them are one): one list for one set
 * of numbers. An interval is never changed once made, so sets share them.
 */
export interface NumericSet {
  kind: 'numeric';
  intervals: Interval[];
  missing: boolean;
}

/**
 * A set of values of a categorical feature: some of its levels, whether levels never
 * seen in training (`other`) belong, and whether a missing value does.
 */
export interface LevelSet {
  kind: 'categorical';
  levels: string[];
  other: boolean;
  missing: boolean;
}

export type ValueSet = NumericSet | LevelSet;

const REAL_LINE: Interval = { lo: -Infinity, loClosed: false, hi: Infinity, hiClosed: false };

/** Every value of a numeric feature, missing included. */
export function allNumbers(): NumericSet {
  return { kind: 'numeric', intervals: [{ ...REAL_LINE }], missing: true };
}

/** Every value of a categorical feature, missing and unseen levels included. */
export function allLevels(levels: readonly string[]): LevelSet {
  return { kind: 'categorical', levels: [...levels], other: true, missing: true };
}

function intervalEmpty(i: Interval): boolean {
  return i.lo > i.hi || (i.lo === i.hi && !(i.loClosed && i.hiClosed));
}

/** The numbers `x` with `x op value` (json-rules-engine's numeric operators). */
export function numericComparison(operator: string, value: number): NumericSet {
  const iv = (lo: number, loClosed: boolean, hi: number, hiClosed: boolean): NumericSet => ({
    kind: 'numeric',
    intervals: [{ lo, loClosed, hi, hiClosed }],
    missing: false,
  });
  switch (operator) {
    case 'lessThan':
      return iv(-Infinity, false, value, false);
    case 'lessThanInclusive':
      return iv(-Infinity, false, value, true);
    case 'greaterThan':
      return iv(value, false, Infinity, false);
    case 'greaterThanInclusive':
      return iv(value, true, Infinity, false);
    default:
      throw new NeurulesError(
        'UNSUPPORTED_OPERATOR',
        `expected a numeric comparison (lessThan, lessThanInclusive, greaterThan, greaterThanInclusive), found ${JSON.stringify(operator)}`,
        { field: 'operator' },
      );
  }
}

/** The set holding exactly these numbers, and missing when `null` is among them. */
export function numericPoints(values: readonly (number | null)[]): NumericSet {
  const points = [...new Set(values.filter((v): v is number => v !== null))].sort((a, b) => a - b);
  return {
    kind: 'numeric',
    intervals: points.map((p) => ({ lo: p, loClosed: true, hi: p, hiClosed: true })),
    missing: values.includes(null),
  };
}

/** The set holding exactly these levels (and missing when `null` is among them). */
export function levelPoints(all: readonly string[], values: readonly (string | null)[]): LevelSet {
  const wanted = new Set(values);
  return {
    kind: 'categorical',
    levels: all.filter((l) => wanted.has(l)),
    other: false,
    missing: wanted.has(null),
  };
}

function compareLo(a: Interval, b: Interval): number {
  return a.lo - b.lo || (a.loClosed === b.loClosed ? 0 : a.loClosed ? -1 : 1);
}

/** Sort and merge intervals that overlap or touch into a canonical disjoint list. */
function normalise(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter((i) => !intervalEmpty(i)).sort(compareLo);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && (i.lo < last.hi || (i.lo === last.hi && (i.loClosed || last.hiClosed)))) {
      if (i.hi > last.hi || (i.hi === last.hi && i.hiClosed)) {
        last.hi = i.hi;
        last.hiClosed = i.hiClosed;
      }
    } else out.push({ ...i });
  }
  return out;
}

function intersectIntervals(a: Interval, b: Interval): Interval {
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  const loClosed = a.lo === b.lo ? a.loClosed && b.loClosed : a.lo > b.lo ? a.loClosed : b.loClosed;
  const hiClosed = a.hi === b.hi ? a.hiClosed && b.hiClosed : a.hi < b.hi ? a.hiClosed : b.hiClosed;
  return { lo, loClosed, hi, hiClosed };
}

/** Whether `x` ends after `y` (its upper end is higher, or the same and only `x` holds it). */
function endsAfter(x: Interval, y: Interval): boolean {
  return x.hi > y.hi || (x.hi === y.hi && x.hiClosed && !y.hiClosed);
}

/** Whether every value of `x` is below every value of `y`. */
function endsBefore(x: Interval, y: Interval): boolean {
  return x.hi < y.lo || (x.hi === y.lo && !(x.hiClosed && y.loClosed));
}

/** The first index from `i` on (of sorted, disjoint intervals) not ending before `y` starts. */
function firstReaching(xs: readonly Interval[], i: number, y: Interval): number {
  let lo = i;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (endsBefore(xs[mid]!, y)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The first index after `i` whose interval ends after `y`, given that `xs[i]` lies in `y`
 * (the intervals between lie in `y` too: they start after `xs[i]`).
 */
function firstLeaving(xs: readonly Interval[], i: number, y: Interval): number {
  let lo = i + 1;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (endsAfter(xs[mid]!, y)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The values in both sets. Numeric sets are canonical, so one sweep through both lists
 * finds every common piece, already canonical; it passes at once (by binary search) over
 * the intervals of one list that end before the other's current one starts, and over
 * those that lie whole in it, which are kept as they are (intervals are never changed, so
 * sets share them). A set of many intervals (a rule's records minus a thousand overrides,
 * each a narrow range of one feature) against one of a few then costs a search and a copy,
 * where every pair then a sort cost a thousand intersections and a sort, once per override.
 */
export function intersectSets<T extends ValueSet>(a: T, b: T): T {
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    const intervals: Interval[] = [];
    const xs = a.intervals;
    const ys = b.intervals;
    for (let i = 0, j = 0; i < xs.length && j < ys.length;) {
      const x = xs[i]!;
      const y = ys[j]!;
      if (endsBefore(x, y)) i = firstReaching(xs, i + 1, y);
      else if (endsBefore(y, x)) j = firstReaching(ys, j + 1, x);
      else if (intervalWithin(x, y)) {
        for (const end = firstLeaving(xs, i, y); i < end; i++) intervals.push(xs[i]!);
      } else if (intervalWithin(y, x)) {
        for (const end = firstLeaving(ys, j, x); j < end; j++) intervals.push(ys[j]!);
      } else {
        // They overlap, neither inside the other: the one that ends first meets no more.
        intervals.push(intersectIntervals(x, y));
        if (endsAfter(x, y)) j++;
        else i++;
      }
    }
    return { kind: 'numeric', intervals, missing: a.missing && b.missing } as T;
  }
  const la = a as LevelSet;
  const lb = b as LevelSet;
  const inB = new Set(lb.levels);
  return {
    kind: 'categorical',
    levels: la.levels.filter((l) => inB.has(l)),
    other: la.other && lb.other,
    missing: la.missing && lb.missing,
  } as T;
}

/**
 * Whether two value sets of one feature share no value (exactly when their
 * {@link intersectSets} is empty); allocates nothing.
 */
export function setsDisjoint(a: ValueSet, b: ValueSet): boolean {
  if (a.missing && b.missing) return false;
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    const xs = a.intervals;
    const ys = b.intervals;
    for (let i = 0, j = 0; i < xs.length && j < ys.length;) {
      const x = xs[i]!;
      const y = ys[j]!;
      if (endsBefore(x, y)) i = firstReaching(xs, i + 1, y);
      else if (endsBefore(y, x)) j = firstReaching(ys, j + 1, x);
      else return false;
    }
    return true;
  }
  if (a.kind === 'categorical' && b.kind === 'categorical') {
    if (a.other && b.other) return false;
    for (const l of a.levels) if (b.levels.includes(l)) return false;
    return true;
  }
  return false;
}

/** Whether every value of `a` is in `b` (sets of one feature); allocates nothing. */
export function setWithin(a: ValueSet, b: ValueSet): boolean {
  if (a.missing && !b.missing) return false;
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    // `b`'s intervals are disjoint and do not touch, so each interval of `a` must lie in one.
    return a.intervals.every((x) => b.intervals.some((y) => intervalWithin(x, y)));
  }
  if (a.kind === 'categorical' && b.kind === 'categorical') {
    if (a.other && !b.other) return false;
    return a.levels.every((l) => b.levels.includes(l));
  }
  return false;
}

function intervalWithin(x: Interval, y: Interval): boolean {
  const lowOk = x.lo > y.lo || (x.lo === y.lo && (!x.loClosed || y.loClosed));
  const highOk = x.hi < y.hi || (x.hi === y.hi && (!x.hiClosed || y.hiClosed));
  return lowOk && highOk;
}

/** The values in either set. */
export function unionSets<T extends ValueSet>(a: T, b: T, allLevelsOf: readonly string[] = []): T {
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    return {
      kind: 'numeric',
      intervals: normalise([...a.intervals, ...b.intervals]),
      missing: a.missing || b.missing,
    } as T;
  }
  const la = a as LevelSet;
  const lb = b as LevelSet;
  const both = new Set([...la.levels, ...lb.levels]);
  const order = allLevelsOf.length ? allLevelsOf : [...both];
  return {
    kind: 'categorical',
    levels: order.filter((l) => both.has(l)),
    other: la.other || lb.other,
    missing: la.missing || lb.missing,
  } as T;
}

/** The values of the feature's whole domain that are not in the set. */
export function complementSet<T extends ValueSet>(s: T, allLevelsOf: readonly string[] = []): T {
  if (s.kind === 'numeric') {
    const gaps: Interval[] = [];
    let lo = -Infinity;
    let loClosed = false;
    for (const i of s.intervals) {
      gaps.push({ lo, loClosed, hi: i.lo, hiClosed: !i.loClosed });
      lo = i.hi;
      loClosed = !i.hiClosed;
    }
    gaps.push({ lo, loClosed, hi: Infinity, hiClosed: false });
    // ±Infinity are not numbers a record can hold: the ends of the line stay open.
    for (const g of gaps) {
      if (g.lo === -Infinity) g.loClosed = false;
      if (g.hi === Infinity) g.hiClosed = false;
    }
    return { kind: 'numeric', intervals: normalise(gaps), missing: !s.missing } as T;
  }
  const ls = s as LevelSet;
  const inS = new Set(ls.levels);
  return {
    kind: 'categorical',
    levels: allLevelsOf.filter((l) => !inS.has(l)),
    other: !ls.other,
    missing: !ls.missing,
  } as T;
}

/** True when no value is in the set. */
export function isEmptySet(s: ValueSet): boolean {
  if (s.missing) return false;
  return s.kind === 'numeric' ? s.intervals.length === 0 : s.levels.length === 0 && !s.other;
}

/** True when the set is the feature's whole domain (so it constrains nothing). */
export function isFullSet(s: ValueSet, allLevelsOf: readonly string[] = []): boolean {
  if (!s.missing) return false;
  if (s.kind === 'numeric') {
    const [only] = s.intervals;
    return s.intervals.length === 1 && only!.lo === -Infinity && only!.hi === Infinity;
  }
  return s.other && s.levels.length === allLevelsOf.length;
}

/**
 * Whether a record's value is in the set, as json-rules-engine compares (`===`): a string
 * that is not one of `knownLevels`, or any non-string for a categorical feature, is an
 * unseen level (`other`).
 */
export function setContains(
  s: ValueSet,
  value: unknown,
  knownLevels: readonly string[] = [],
): boolean {
  if (value === null || value === undefined) return s.missing;
  if (s.kind === 'numeric') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return false;
    return s.intervals.some(
      (i) =>
        (value > i.lo || (value === i.lo && i.loClosed)) &&
        (value < i.hi || (value === i.hi && i.hiClosed)),
    );
  }
  // json-rules-engine compares with ===: a number is never a level (levels are strings),
  // so it behaves as a level the rules never name.
  if (typeof value !== 'string') return s.other;
  if (s.levels.includes(value)) return true;
  return s.other && !knownLevels.includes(value);
}

/** Equality of two canonical sets. */
export function sameSet(a: ValueSet, b: ValueSet): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
