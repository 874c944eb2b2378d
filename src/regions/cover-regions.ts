import type { Schema } from '../data/types';
import { NeurulesError } from '../errors';
import { type Box, ownValue, type Region, setOwn } from './region';
import {
  allLevels,
  allNumbers,
  complementSet,
  intersectSets,
  isEmptySet,
  isFullSet,
  type NumericSet,
  setsDisjoint,
  setWithin,
  type ValueSet,
} from './value-set';

/** How a list of regions covers the record space (see {@link coverRegions}). */
export interface Cover {
  /** The records in none of the regions, as disjoint boxes. */
  uncovered: Box[];
  /** The pairs `[i, j]` (`i < j`, sorted) of regions that share some record. */
  overlapping: [number, number][];
}

/**
 * How regions cover the record space: the records none of them holds (the complement of
 * their union) and which pairs of them share records. Exact.
 *
 * `subtractRegions(EVERYTHING, union)` gives the same records, but subtracts box after
 * box, splitting every piece left on every feature a box constrains; for the hundreds of
 * leaves of a tree the pieces multiply into the thousands before they vanish, and testing
 * every pair of regions for overlap is quadratic. This divides and conquers instead: it
 * cuts the record space in two on one feature, on a boundary as few boxes as possible
 * cross (for a tree's leaves: its root split, then its children's), and goes on in each
 * half with only the boxes that reach into it, until a part meets no box (uncovered: a box
 * of the answer) or lies inside one (covered; every other box there shares records with
 * that one). A tree's leaves are so taken apart along the tree, in about as many steps as
 * it has nodes, and a leaf left out comes back as one box.
 *
 * Why every overlap is found: a record two regions share stays, with every box holding it,
 * in the part that holds it at each cut, down to a part inside one box, where the boxes
 * are compared in pairs.
 */
export function coverRegions(regions: readonly Region[], schema: Schema): Cover {
  const ctx: Context = {
    domains: new Map(
      schema.features.map((f) => [
        f.name,
        f.type === 'numeric' ? allNumbers() : (allLevels(f.levels) as ValueSet),
      ]),
    ),
    levels: new Map(schema.features.map((f) => [f.name, f.type === 'categorical' ? f.levels : []])),
    uncovered: [],
    pairs: new Set(),
    count: regions.length,
  };
  const items: Item[] = regions.flatMap((region, owner) =>
    region.filter((box) => !Object.values(box).some(isEmptySet)).map((box) => ({ box, owner })),
  );
  split({}, items, ctx);
  const overlapping = [...ctx.pairs]
    .sort((a, b) => a - b)
    .map((key): [number, number] => [Math.floor(key / ctx.count), key % ctx.count]);
  return { uncovered: ctx.uncovered, overlapping };
}

/** The records in none of the region's boxes, as disjoint boxes (see {@link coverRegions}). */
export function complementRegion(region: Region, schema: Schema): Box[] {
  return coverRegions([region], schema).uncovered;
}

/** A box and the index of the region it belongs to. */
interface Item {
  box: Box;
  owner: number;
}

interface Context {
  /** Each feature's whole domain (the value set of a feature a box leaves free). */
  domains: ReadonlyMap<string, ValueSet>;
  levels: ReadonlyMap<string, readonly string[]>;
  uncovered: Box[];
  /** Overlapping pairs as `i * count + j`. */
  pairs: Set<number>;
  count: number;
}

/**
 * Record what `items` leave uncovered of `part` and which of them overlap there. Every
 * item meets `part` (the caller filters).
 */
function split(part: Box, items: readonly Item[], ctx: Context): void {
  if (!items.length) {
    ctx.uncovered.push(part);
    return;
  }
  const holder = items.find((it) => boxWithin(part, it.box, ctx.domains));
  if (holder) {
    // Every item meets the part, which lies inside the holder: each shares records with it.
    // The others are compared in pairs (all but the holder are rare in a partition).
    for (let a = 0; a < items.length; a++) {
      const x = items[a]!;
      if (x !== holder) addPair(ctx, x.owner, holder.owner);
      for (let b = a + 1; b < items.length; b++) {
        const y = items[b]!;
        if (x === holder || y === holder || x.owner === y.owner) continue;
        if (!boxesDisjoint(x.box, y.box)) addPair(ctx, x.owner, y.owner);
      }
    }
    return;
  }
  const cut = chooseCut(part, items, ctx);
  const name = cut.feature;
  const levels = ctx.levels.get(name) ?? [];
  const current = ownValue(part, name) ?? ctx.domains.get(name)!;
  for (const side of [
    intersectSets(current, cut.set),
    intersectSets(current, complementSet(cut.set, levels)),
  ]) {
    const child: Record<string, ValueSet> = { ...part };
    if (isFullSet(side, levels)) delete child[name];
    else setOwn(child, name, side);
    // The child differs from `part` in one feature: an item reaches into it when it meets that.
    const reaching = items.filter((it) => {
      const s = ownValue(it.box, name);
      return !s || !setsDisjoint(s, side);
    });
    split(child, reaching, ctx);
  }
}

function addPair(ctx: Context, i: number, j: number): void {
  if (i === j) return;
  ctx.pairs.add(i < j ? i * ctx.count + j : j * ctx.count + i);
}

/** Boxes whose value sets offer candidate cuts at each step. */
const CANDIDATE_BOXES = 4;

/**
 * Where to cut `part`: a feature and a value set cutting it into two non-empty sides, such
 * that as few items as possible have records on both sides (then the more even cut).
 * Candidates come from the feature most items constrain (a tree's root feature is
 * constrained in every leaf): the value sets a few items have there, and for a numeric
 * feature the half-lines at their ends, each with and without missing values (a leaf's
 * set is its whole path's, an interval; the tree's own cut is a half-line).
 */
function chooseCut(
  part: Box,
  items: readonly Item[],
  ctx: Context,
): { feature: string; set: ValueSet } {
  const counts = new Map<string, number>();
  for (const it of items) {
    for (const name in it.box) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const most = Math.max(0, ...counts.values());
  let best: { feature: string; set: ValueSet; crossing: number; balance: number } | null = null;
  for (const [name, count] of counts) {
    if (count !== most) continue;
    const current = ownValue(part, name) ?? ctx.domains.get(name)!;
    const seen = new Set<string>();
    let from = 0;
    for (const it of items) {
      const own = ownValue(it.box, name);
      if (!own) continue;
      if (from++ >= CANDIDATE_BOXES) break;
      for (const set of candidateSets(own)) {
        const key = JSON.stringify(set);
        if (seen.has(key)) continue;
        seen.add(key);
        // A cut must leave records on both sides.
        if (setsDisjoint(current, set) || setWithin(current, set)) continue;
        let crossing = 0;
        let inside = 0;
        for (const other of items) {
          const s = ownValue(other.box, name);
          if (!s || (!setsDisjoint(s, set) && !setWithin(s, set))) crossing++;
          else if (!setsDisjoint(s, set)) inside++;
        }
        const balance = Math.abs(2 * inside - (items.length - crossing));
        if (
          !best ||
          crossing < best.crossing ||
          (crossing === best.crossing && balance < best.balance)
        ) {
          best = { feature: name, set, crossing, balance };
        }
      }
    }
  }
  if (best) return best;
  // No candidate of the most constrained features cuts the part: the first item that does
  // not hold the part (none does, see split) meets it, so it is not inside that item on
  // some feature, where its own set cuts it.
  const first = items[0]!.box;
  for (const name in first) {
    const current = ownValue(part, name) ?? ctx.domains.get(name)!;
    if (!setWithin(current, first[name]!)) return { feature: name, set: first[name]! };
  }
  throw new NeurulesError('INTERNAL', 'coverRegions: no cut for a part no box holds');
}

/** The set itself and, for a numeric set, the half-lines at its ends (± missing). */
function candidateSets(set: ValueSet): ValueSet[] {
  if (set.kind === 'categorical') return [set, { ...set, missing: !set.missing }];
  const out: ValueSet[] = [set];
  const first = set.intervals[0];
  const last = set.intervals[set.intervals.length - 1];
  const below = (hi: number, hiClosed: boolean, missing: boolean): NumericSet => ({
    kind: 'numeric',
    intervals: [{ lo: -Infinity, loClosed: false, hi, hiClosed }],
    missing,
  });
  for (const missing of [false, true]) {
    if (first && first.lo > -Infinity) out.push(below(first.lo, !first.loClosed, missing));
    if (last && last.hi < Infinity) out.push(below(last.hi, last.hiClosed, missing));
  }
  return out;
}

/** Whether every record of `inner` is in `outer` (a feature not named is unconstrained). */
export function boxWithin(inner: Box, outer: Box, domains: ReadonlyMap<string, ValueSet>): boolean {
  for (const name in outer) {
    const own = ownValue(inner, name) ?? domains.get(name);
    if (!own || !setWithin(own, outer[name]!)) return false;
  }
  return true;
}

/** Whether the two boxes share no record (some feature's sets share no value). */
export function boxesDisjoint(a: Box, b: Box): boolean {
  for (const name in a) {
    const y = ownValue(b, name);
    if (y && setsDisjoint(a[name]!, y)) return true;
  }
  return false;
}
