import type { DataRecord, Feature, Schema } from '../data/types';
import { isNeurulesError, NeurulesError } from '../errors';
import type { RuleSet } from '../rules/types';
import {
  type Box,
  intersectBoxes,
  intersectRegions,
  ownValue,
  type Region,
  setOwn,
  subtractRegions,
} from './region';
import { type RuleRegion, ruleRegions } from './rule-regions';
import { allLevels, allNumbers, levelPoints, setContains, type ValueSet } from './value-set';

/**
 * The values a feature of a checked record can hold: any number for a numeric feature, a
 * level for a categorical one (any text for an open one), and missing for both. A level
 * the schema does not list is refused when a record is checked (UNKNOWN_CATEGORY), so it
 * is no value a decision could have been made on.
 */
function domainOf(feature: Feature): ValueSet {
  if (feature.type === 'numeric') return allNumbers();
  if (feature.open) return allLevels(feature.levels);
  return levelPoints(feature.levels, [...feature.levels, null]);
}

const TESTED = new WeakMap<readonly RuleRegion[], ReadonlySet<string>>();
const LEVELS = new WeakMap<Schema, ReadonlyMap<string, readonly string[]>>();

/** The features some rule's `decides` region constrains (computed once per rule regions). */
function testedFeatures(regions: readonly RuleRegion[]): ReadonlySet<string> {
  let tested = TESTED.get(regions);
  if (!tested) {
    const names = new Set<string>();
    for (const r of regions) for (const box of r.decides) for (const name in box) names.add(name);
    TESTED.set(regions, (tested = names));
  }
  return tested;
}

/** Each categorical feature's levels by name (computed once per schema). */
function levelsByName(schema: Schema): ReadonlyMap<string, readonly string[]> {
  let levels = LEVELS.get(schema);
  if (!levels) {
    levels = new Map(
      schema.features.map((f) => [f.name, f.type === 'categorical' ? f.levels : []] as const),
    );
    LEVELS.set(schema, levels);
  }
  return levels;
}

/**
 * Which of the `unknown` features the decision of `record` depends on, given the record's
 * values of every other feature: the features of which some value (missing included)
 * would let another rule decide (or none), whatever the others are. Empty when one rule
 * decides the record whatever values the unknown features hold. `record`'s values of the
 * unknown features are ignored.
 *
 * Exact, from the rule regions (no sampling): each rule's `decides` region (see
 * {@link ruleRegions}: the records it decides under the hit policy, which partition the
 * record space) is cut to the known values, keeping of each box that holds the record's
 * known values its constraints on the unknown features, within their domain (the values a
 * checked record can hold: numbers, the schema's levels, missing). That gives each rule
 * its slice: the unknown values it decides with the known ones fixed. The slices are
 * disjoint; what none of them takes is where no rule fires. A feature `f` is one the
 * decision depends on exactly when some slice is not a cylinder along `f`: widening the
 * slice to every value of `f` (dropping `f` from its boxes) takes in values outside it,
 * i.e. a point where changing `f` alone changes the deciding rule (or leaves none). The
 * no-rule part needs no test of its own: when every slice is a cylinder along `f`, so is
 * their union and its complement. When some change of the unknown values changes the
 * rule, some change of one feature alone does (walk from one point to the other a feature
 * at a time), so the list is empty exactly when one rule's slice is the whole domain, or
 * no rule fires whatever the values.
 *
 * Throws UNKNOWN_FEATURE for a name in `unknown` that is not a feature of `schema`.
 *
 * @example
 * const regions = ruleRegions(ruleSet, schema);
 * decisiveFields(regions, schema, { age: null, duration: 12, ... }, ['age']); // ['age']
 */
export function decisiveFields(
  regions: readonly RuleRegion[],
  schema: Schema,
  record: DataRecord,
  unknown: readonly string[],
): string[] {
  const free = [...new Set(unknown)];
  if (free.length === 0) return [];
  const domain: Record<string, ValueSet> = {};
  for (const name of free) {
    const feature = schema.features.find((f) => f.name === name);
    if (!feature) {
      throw new NeurulesError(
        'UNKNOWN_FEATURE',
        `expected a feature of the model whose value is unknown, found '${name}'`,
        { field: name },
      );
    }
    setOwn(domain, name, domainOf(feature));
  }
  // A feature no rule's region constrains cannot change the deciding rule.
  const tested = testedFeatures(regions);
  if (!free.some((name) => tested.has(name))) return [];
  const freeSet = new Set(free);
  const levels = levelsByName(schema);
  const slices: Region[] = [];
  for (const r of regions) {
    const slice: Box[] = [];
    for (const box of r.decides) {
      let holds = true;
      for (const name in box) {
        if (freeSet.has(name)) continue;
        if (!setContains(box[name]!, ownValue(record, name) ?? null, levels.get(name) ?? [])) {
          holds = false;
          break;
        }
      }
      if (!holds) continue;
      const rest: Record<string, ValueSet> = {};
      for (const name of free) {
        const set = ownValue(box, name);
        if (set) setOwn(rest, name, set);
      }
      const cut = intersectBoxes(rest, domain, schema);
      if (cut) slice.push(cut);
    }
    if (slice.length > 0) slices.push(slice);
  }
  return free.filter((name) =>
    slices.some((slice) => {
      const widened = slice.map((box) =>
        Object.fromEntries(Object.entries(box).filter(([f]) => f !== name)),
      );
      const within = intersectRegions(widened, [domain], schema);
      return subtractRegions(within, slice, schema).length > 0;
    }),
  );
}

/** Why the region analysis refuses a rule set, once per rule set (ruleRegions caches the rest). */
const refusals = new WeakMap<RuleSet, string>();

/**
 * The fields of `unknown` (redacted, say) the decision of a rule set depends on for
 * `record`, exactly ({@link decisiveFields} over the rule set's regions); or, when the
 * region analysis refuses the rule set (OVERLAPPING_RULES, a condition outside it), why it
 * cannot be told. Empty when nothing is unknown.
 */
export function dependenceOn(
  rules: { ruleSet: RuleSet; schema: Schema },
  record: DataRecord,
  unknown: readonly string[],
): string[] | { refused: string } {
  if (unknown.length === 0) return [];
  const refused = refusals.get(rules.ruleSet);
  if (refused !== undefined) return { refused };
  let regions: RuleRegion[];
  try {
    regions = ruleRegions(rules.ruleSet, rules.schema);
  } catch (e) {
    if (!isNeurulesError(e)) throw e;
    const why = `whether the decision depended on the redacted fields cannot be told exactly: ${e.code} ${e.message}`;
    refusals.set(rules.ruleSet, why);
    return { refused: why };
  }
  return decisiveFields(regions, rules.schema, record, unknown);
}
