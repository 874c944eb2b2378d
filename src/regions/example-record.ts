import type { DataRecord, Feature, Schema, Value } from '../data/types';
import { nearestValue } from './nearest-value';
import { boxContains, type Box, ownValue } from './region';
import { setContains, type Interval, type ValueSet } from './value-set';

/** The level an example record holds for "a level never seen in training". */
export const UNSEEN_LEVEL = '(unseen level)';

/**
 * Makes example records of boxes: one typical value per feature (the value nearest its
 * mean, rounded, whole for a whole-number feature; its first level), moved into each box.
 * Where a box allows only a missing value the example holds `null`, where it allows only
 * levels never seen in training, {@link UNSEEN_LEVEL}. Shared by the partition check
 * (gaps, overlaps) and the changed regions of two rule sets, so both show records alike.
 *
 * @example
 * new ExampleMaker(schema).of({ duration: numericComparison('greaterThan', 40) });
 * // { checking_status: '<0', duration: 41, ... }
 */
export class ExampleMaker {
  /** Each feature's typical value, by name (a map: a feature may be named `__proto__`). */
  private readonly typical = new Map<string, Value>();
  private readonly unseen = new Map<string, string>();

  constructor(private readonly schema: Schema) {
    for (const f of schema.features) {
      if (f.type === 'numeric') {
        const centre = Number.isFinite(f.mean) ? f.mean : 0;
        this.typical.set(f.name, f.integer ? Math.round(centre) : Number(centre.toPrecision(3)));
      } else {
        this.typical.set(f.name, f.levels[0] ?? this.unseenLevel(f.levels, f.name));
      }
    }
  }

  /**
   * A record in `box`, every feature of the schema set; null when the box holds no record
   * a number can express (an open interval between two adjacent doubles, such as
   * `x > 1 && x < 1.0000000000000002`: not empty for the set algebra, empty for records).
   */
  of(box: Box): DataRecord | null {
    // Built from entries: each name an own property, `__proto__` included.
    const record: DataRecord = Object.fromEntries(
      this.schema.features.map((f) => {
        const set = ownValue(box, f.name);
        return [f.name, set ? this.valueIn(f, set) : this.typical.get(f.name)!];
      }),
    );
    return boxContains(box, record, this.schema) ? record : null;
  }

  private valueIn(feature: Feature, set: ValueSet): Value {
    const typical = this.typical.get(feature.name)!;
    if (set.kind === 'numeric' && feature.type === 'numeric') {
      if (!set.intervals.length) return null;
      const move =
        nearestValue(feature, set, typical, { actionable: false }) ??
        nearestValue(feature, set, typical, { actionable: false, withinRange: false });
      if (move && move.value !== null && setContains(set, move.value)) return move.value;
      // A whole-number feature whose interval holds no whole number: any number in it.
      return pointIn(set.intervals[0]!);
    }
    if (set.kind === 'categorical' && feature.type === 'categorical') {
      if (typeof typical === 'string' && set.levels.includes(typical)) return typical;
      if (set.levels.length) return set.levels[0]!;
      if (set.other) return this.unseenLevel(feature.levels, feature.name);
      return null;
    }
    return null;
  }

  private unseenLevel(levels: readonly string[], name: string): string {
    let level = this.unseen.get(name);
    if (level === undefined) {
      level = UNSEEN_LEVEL;
      for (let k = 2; levels.includes(level); k++) level = `${UNSEEN_LEVEL} ${k}`;
      this.unseen.set(name, level);
    }
    return level;
  }
}

/** A finite number inside a non-empty interval (if there is one; the caller checks). */
function pointIn(i: Interval): number {
  if (i.loClosed) return i.lo;
  if (i.hiClosed) return i.hi;
  if (i.lo === -Infinity && i.hi === Infinity) return 0;
  if (i.lo === -Infinity) return i.hi - Math.max(1, Math.abs(i.hi));
  if (i.hi === Infinity) return i.lo + Math.max(1, Math.abs(i.lo));
  return i.lo + (i.hi - i.lo) / 2;
}
