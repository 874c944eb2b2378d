import type { CategoricalFeature, DataRecord, Feature, Schema } from '../data/types';
import type { RuleSet } from '../rules/types';
import { ExampleMaker } from './example-record';
import { type Box, intersectRegions, mergeFewBoxes } from './region';
import { type RuleRegion, ruleRegions } from './rule-regions';

/** A box of records two rule sets decide differently. */
export interface ChangedRegion {
  /** The class the first rule set (before) decides for every record of the box. */
  from: string;
  /** The class the second rule set (after) decides for them. */
  to: string;
  /** The rule that decides the box in each rule set, by name. */
  rules: { before: string; after: string };
  box: Box;
  /** With `examples`: one record of the box (every feature of the schema set). */
  example?: DataRecord;
}

/** Options of {@link changedRegions}. */
export interface ChangedRegionsOptions {
  /** Stop after this many regions (then `complete` is false). @defaultValue no limit */
  limit?: number;
  /**
   * Merge the boxes of each pair of deciding rules that differ in one feature only: fewer,
   * larger regions to read (the regions stay exact; only their count changes).
   * @defaultValue false
   */
  merge?: boolean;
  /**
   * Give each region an example record (see `ExampleMaker`), and leave out the boxes that
   * hold no record a number can express (an open interval between two adjacent doubles).
   * @defaultValue false
   */
  examples?: boolean;
}

/** What {@link changedRegions} found. */
export interface ChangedRegions {
  regions: ChangedRegion[];
  /** False when `limit` stopped the search: there may be more. */
  complete: boolean;
}

/**
 * The exact regions of the record space whose class differs between two rule sets, as
 * boxes, each with the class either rule set decides there and the deciding rules. A
 * record is in one of the boxes exactly when the two rule sets (each exhaustive) decide it
 * differently: the boxes are the meets of one set's decided regions (`ruleRegions`) with
 * the other's, for every pair of rules of different classes. Boxes of two pairs of rules
 * share no record; boxes of one pair may, where a rule's `any` matches overlapping boxes.
 *
 * A rule that decides the same records for the same class in both sets changes nothing
 * there, and (the decided regions of a set being disjoint) meets no other rule of the other
 * set on them: only the rules a change moved are paired, not every rule with every rule,
 * which for a thousand overrides is a million intersections (the studio asks this on every
 * keystroke).
 *
 * Throws what `ruleRegions` throws for a rule set the region analysis cannot read exactly
 * (OVERLAPPING_RULES, UNSUPPORTED_OPERATOR, UNKNOWN_FACT, ...).
 *
 * @example
 * const { regions } = changedRegions(saved, edited, schema, { limit: 100 });
 * regions.map((r) => `${describeBox(r.box, schema)}: ${r.from} → ${r.to}`);
 */
export function changedRegions(
  before: RuleSet,
  after: RuleSet,
  schema: Schema,
  options: ChangedRegionsOptions = {},
): ChangedRegions {
  const limit = options.limit ?? Infinity;
  const same = (r: RuleRegion) => `${r.rule.event.params.class}\0${JSON.stringify(r.decides)}`;
  const a = ruleRegions(before, schema);
  const b = ruleRegions(after, schema);
  const kept = new Set(a.map(same));
  const unmoved = new Set(b.map(same).filter((k) => kept.has(k)));
  const moved = (rules: RuleRegion[]) => rules.filter((r) => !unmoved.has(same(r)));
  const examples = options.examples ? new ExampleMaker(schema) : undefined;
  const regions: ChangedRegion[] = [];
  for (const x of moved(a)) {
    for (const y of moved(b)) {
      const from = x.rule.event.params.class;
      const to = y.rule.event.params.class;
      if (from === to) continue;
      const met = intersectRegions(x.decides, y.decides, schema);
      for (const box of options.merge ? mergeFewBoxes(met, schema) : met) {
        const rules = { before: String(x.rule.name), after: String(y.rule.name) };
        if (examples) {
          const example = examples.of(box);
          if (!example) continue;
          regions.push({ from, to, rules, box, example });
        } else {
          regions.push({ from, to, rules, box });
        }
        if (regions.length >= limit) return { regions, complete: false };
      }
    }
  }
  return { regions, complete: true };
}

/** A schema both rule sets' regions can be computed over, or why there is none. */
export type ComparableSchema = { ok: true; schema: Schema } | { ok: false; reason: string };

/**
 * One schema for comparing the regions of rule sets read with two schemas (a rebuild may
 * add a level, a feature, or change a range): the second schema as it is when both are
 * alike; otherwise their union: every feature of either (the second's first, in its order),
 * the levels of either for a categorical feature, the wider range for a numeric one. A
 * condition means the same under either (the region algebra reads levels as values), so
 * the regions over the union are exact for both. A feature that is numeric in one and
 * categorical in the other has no common set of values: then `ok` is false and `reason`
 * says which.
 *
 * @example
 * const common = comparableSchema(archived.schema, model.schema);
 * if (common.ok) changedRegions(archived.ruleSet, model.ruleSet, common.schema);
 */
export function comparableSchema(a: Schema, b: Schema): ComparableSchema {
  if (JSON.stringify(a) === JSON.stringify(b)) return { ok: true, schema: b };
  const first = new Map(a.features.map((f) => [f.name, f]));
  const clashes: string[] = [];
  const features: Feature[] = b.features.map((f) => {
    const other = first.get(f.name);
    if (!other) return f;
    if (other.type !== f.type) {
      clashes.push(`'${f.name}' is ${other.type} in one and ${f.type} in the other`);
      return f;
    }
    return unionFeature(other, f);
  });
  const names = new Set(b.features.map((f) => f.name));
  features.push(...a.features.filter((f) => !names.has(f.name)));
  if (clashes.length) {
    return {
      ok: false,
      reason: `the two rule sets' schemas give features different types (${clashes.join('; ')}), so their regions share no common record space`,
    };
  }
  return {
    ok: true,
    schema: { ...b, features, classes: [...new Set([...b.classes, ...a.classes])] },
  };
}

/** One feature of two schemas, as both see it (same name and type). */
function unionFeature(a: Feature, b: Feature): Feature {
  if (a.type === 'categorical' && b.type === 'categorical') {
    const levels = [...b.levels, ...a.levels.filter((l) => !b.levels.includes(l))];
    return { ...b, levels } satisfies CategoricalFeature;
  }
  if (a.type === 'numeric' && b.type === 'numeric') {
    return {
      ...b,
      min: Math.min(a.min, b.min),
      max: Math.max(a.max, b.max),
      integer: a.integer && b.integer,
    };
  }
  return b;
}
