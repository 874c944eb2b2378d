/**
 * Property: the region algebra's fast paths (one sweep through two interval lists that
 * skips by binary search and keeps whole intervals as they are; a box test that allocates
 * nothing; a subtraction that copies the list only when a box is cut) give exactly what the
 * plain operations give: the same intervals, the same boxes, in the same order. Lint's
 * findings and their example records are read off those boxes, so nothing a check reports
 * may depend on which path ran. The references below are the plain operations: every pair
 * of intervals intersected, then sorted and merged; every box intersected in full to see
 * whether it meets another (the union that merges intervals is the library's own).
 */
import fc from 'fast-check';
import type { Schema } from '../../src/data/types';
import {
  type Box,
  boxesMeet,
  intersectBoxes,
  intersectRegions,
  type Region,
  subtractRegions,
} from '../../src/regions/region';
import {
  complementSet,
  type Interval,
  intersectSets,
  isEmptySet,
  isFullSet,
  type LevelSet,
  type NumericSet,
  setsDisjoint,
  unionSets,
  type ValueSet,
} from '../../src/regions/value-set';

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['a', 'b'],
  rows: 100,
  features: [
    { name: 'n', type: 'numeric', min: 0, max: 40, mean: 20, std: 8, integer: true, missing: 0 },
    { name: 'x', type: 'numeric', min: -1, max: 1, mean: 0, std: 0.5, integer: false, missing: 0 },
    { name: 'c', type: 'categorical', levels: ['p', 'q', 'r'], missing: 0 },
  ],
};
const levelsOf = (name: string): string[] => {
  const f = schema.features.find((x) => x.name === name)!;
  return f.type === 'categorical' ? f.levels : [];
};

// --- The plain operations (the reference) ---------------------------------------------

/** Intervals merged into a canonical set by the union, which sorts and merges them all. */
const canonical = (intervals: Interval[], missing: boolean): NumericSet =>
  intervals.reduce<NumericSet>(
    (set, i) => unionSets(set, { kind: 'numeric', intervals: [i], missing: false }),
    { kind: 'numeric', intervals: [], missing },
  );

function intersectSetsRef<T extends ValueSet>(a: T, b: T): T {
  if (a.kind === 'numeric' && b.kind === 'numeric') {
    const pieces: Interval[] = [];
    for (const x of a.intervals) {
      for (const y of b.intervals) {
        pieces.push({
          lo: Math.max(x.lo, y.lo),
          hi: Math.min(x.hi, y.hi),
          loClosed:
            x.lo === y.lo ? x.loClosed && y.loClosed : x.lo > y.lo ? x.loClosed : y.loClosed,
          hiClosed:
            x.hi === y.hi ? x.hiClosed && y.hiClosed : x.hi < y.hi ? x.hiClosed : y.hiClosed,
        });
      }
    }
    return canonical(pieces, a.missing && b.missing) as T;
  }
  const la = a as LevelSet;
  const lb = b as LevelSet;
  return {
    kind: 'categorical',
    levels: la.levels.filter((l) => lb.levels.includes(l)),
    other: la.other && lb.other,
    missing: la.missing && lb.missing,
  } as T;
}

function simplifyRef(box: Record<string, ValueSet>): Box {
  for (const [name, set] of Object.entries(box)) {
    if (isFullSet(set, levelsOf(name))) delete box[name];
  }
  return box;
}

function intersectBoxesRef(a: Box, b: Box): Box | null {
  const out: Record<string, ValueSet> = { ...a };
  for (const [name, set] of Object.entries(b)) {
    const mine = out[name];
    const next = mine ? intersectSetsRef(mine, set) : set;
    if (isEmptySet(next)) return null;
    out[name] = next;
  }
  return simplifyRef(out);
}

function subtractBoxRef(a: Box, b: Box): Box[] {
  if (!intersectBoxesRef(a, b)) return [a];
  const pieces: Box[] = [];
  let inside: Record<string, ValueSet> = { ...a };
  for (const [name, set] of Object.entries(b)) {
    const mine =
      inside[name] ??
      (levelsOf(name).length
        ? { kind: 'categorical', levels: levelsOf(name), other: true, missing: true }
        : {
            kind: 'numeric',
            intervals: [{ lo: -Infinity, loClosed: false, hi: Infinity, hiClosed: false }],
            missing: true,
          });
    const outside = intersectSetsRef(mine, complementSet(set, levelsOf(name)));
    if (!isEmptySet(outside)) pieces.push(simplifyRef({ ...inside, [name]: outside }));
    const within = intersectSetsRef(mine, set);
    if (isEmptySet(within)) return pieces;
    inside = { ...inside, [name]: within };
  }
  return pieces;
}

function subtractRegionsRef(a: Region, b: Region): Region {
  let rest: Box[] = [...a];
  for (const y of b) {
    rest = rest.flatMap((x) => subtractBoxRef(x, y));
    if (!rest.length) break;
  }
  return rest;
}

function intersectRegionsRef(a: Region, b: Region): Region {
  const out: Box[] = [];
  for (const x of a) {
    for (const y of b) {
      const box = intersectBoxesRef(x, y);
      if (box) out.push(box);
    }
  }
  return out;
}

// --- Generators -----------------------------------------------------------------------

/**
 * A canonical numeric set: raw intervals between points of a small grid (so ends meet,
 * touch and coincide often, open and closed), sorted and merged. Up to 30 intervals, so
 * the binary searches have lists to skip through.
 */
const grid = [-Infinity, ...Array.from({ length: 41 }, (_, i) => i), Infinity];
const rawInterval = fc
  .tuple(
    fc.integer({ min: 0, max: grid.length - 1 }),
    fc.integer({ min: 0, max: 4 }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([at, width, loClosed, hiClosed]): Interval => {
    const lo = grid[at]!;
    const hi = grid[Math.min(grid.length - 1, at + width)]!;
    return {
      lo,
      hi,
      loClosed: loClosed && lo !== -Infinity,
      hiClosed: (hiClosed || width === 0) && hi !== Infinity,
    };
  });
const numericSet: fc.Arbitrary<NumericSet> = fc
  .tuple(fc.array(rawInterval, { maxLength: 30 }), fc.boolean())
  .map(([raw, missing]) => canonical(raw, missing));
const levelSet: fc.Arbitrary<LevelSet> = fc
  .tuple(fc.subarray(['p', 'q', 'r']), fc.boolean(), fc.boolean())
  .map(([levels, other, missing]) => ({ kind: 'categorical', levels, other, missing }));

/** A box as region operations make them: no empty set, no set of the whole domain. */
const box: fc.Arbitrary<Box> = fc
  .record({ n: numericSet, x: numericSet, c: levelSet }, { requiredKeys: [] })
  .map((sets) => {
    const out: Record<string, ValueSet> = {};
    for (const [name, set] of Object.entries(sets)) {
      if (!isEmptySet(set) && !isFullSet(set, levelsOf(name))) out[name] = set;
    }
    return out;
  });

/** Narrow disjoint ranges of one feature, as a thousand dead overrides are, shuffled. */
const narrowRanges: fc.Arbitrary<Box[]> = fc
  .tuple(
    fc.uniqueArray(fc.integer({ min: 0, max: 39 }), { maxLength: 30 }),
    fc.constantFrom('n', 'x'),
  )
  .map(([starts, name]) =>
    starts.map((at) => ({
      [name]: {
        kind: 'numeric',
        intervals: [{ lo: at, loClosed: true, hi: at + 0.5, hiClosed: false }],
        missing: false,
      } as NumericSet,
    })),
  );
const region = fc.oneof(
  fc.array(box, { maxLength: 6 }),
  narrowRanges,
  fc.tuple(narrowRanges, fc.array(box, { maxLength: 3 })).map(([a, b]) => [...a, ...b]),
);

// --- Properties -----------------------------------------------------------------------

describe('the region algebra gives exactly what the plain operations give', () => {
  test('intersectSets: the same canonical intervals; setsDisjoint: exactly when it is empty', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.tuple(numericSet, numericSet), fc.tuple(levelSet, levelSet)),
        ([a, b]: [ValueSet, ValueSet]) => {
          const reference = intersectSetsRef(a, b);
          expect(intersectSets(a, b)).toEqual(reference);
          expect(intersectSets(b, a)).toEqual(intersectSetsRef(b, a));
          expect(setsDisjoint(a, b)).toBe(isEmptySet(reference));
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('boxesMeet is exactly when intersectBoxes is not null, and intersectBoxes is unchanged', () => {
    fc.assert(
      fc.property(box, box, (a, b) => {
        const reference = intersectBoxesRef(a, b);
        expect(boxesMeet(a, b)).toBe(reference !== null);
        expect(intersectBoxes(a, b, schema)).toEqual(reference);
      }),
      { numRuns: 2000 },
    );
  });

  test('subtractRegions and intersectRegions: the same boxes in the same order', () => {
    fc.assert(
      fc.property(region, region, (a, b) => {
        expect(subtractRegions(a, b, schema)).toEqual(subtractRegionsRef(a, b));
        expect(intersectRegions(a, b, schema)).toEqual(intersectRegionsRef(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  test('a box minus a hundred disjoint ranges keeps every gap between them, one interval each', () => {
    const ranges = Array.from({ length: 100 }, (_, i) => ({
      n: {
        kind: 'numeric',
        intervals: [{ lo: 2 * i, loClosed: true, hi: 2 * i + 1, hiClosed: false }],
        missing: false,
      } as NumericSet,
    }));
    const [rest, ...more] = subtractRegions([{}], ranges, schema);
    expect(more).toEqual([]);
    const n = rest!.n as NumericSet;
    expect(n.missing).toBe(true);
    // Below 0, then [1, 2), [3, 4), ... [199, ∞).
    expect(n.intervals).toHaveLength(101);
    expect(n.intervals[0]).toEqual({ lo: -Infinity, loClosed: false, hi: 0, hiClosed: false });
    expect(n.intervals[1]).toEqual({ lo: 1, loClosed: true, hi: 2, hiClosed: false });
    expect(n.intervals[100]).toEqual({ lo: 199, loClosed: true, hi: Infinity, hiClosed: false });
    expect(subtractRegions([{}], ranges, schema)).toEqual(subtractRegionsRef([{}], ranges));
  });
});
