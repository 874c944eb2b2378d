import type { Schema } from '../data/types';
import type { NeurulesRule, RuleSet } from '../rules/types';
import { type Region, regionOf, subtractRegions } from './region';

/** A rule with the records it matches and the records it decides under the hit policy. */
export interface RuleRegion {
  rule: NeurulesRule;
  /** Every record the rule's conditions match. */
  matches: Region;
  /** The records this rule decides: it matches them and no rule before it does. */
  decides: Region;
}

const cache = new WeakMap<RuleSet, WeakMap<Schema, RuleRegion[]>>();

/**
 * The rules of a rule set in the order json-rules-engine lets them decide (highest
 * priority first, ties in file order, as `RuleEngine` takes the first event), each with
 * its exact region and the part of it where it is the deciding rule. The decides-regions
 * partition the record space (for an exhaustive rule set such as a tree's), so whatever
 * class a region's rule names is the class every record in it gets. Cached per rule set.
 */
export function ruleRegions(ruleSet: RuleSet, schema: Schema): RuleRegion[] {
  let bySchema = cache.get(ruleSet);
  const hit = bySchema?.get(schema);
  if (hit) return hit;
  const ordered = ruleSet.rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => b.rule.priority - a.rule.priority || a.index - b.index)
    .map((r) => r.rule);
  const out: RuleRegion[] = [];
  let before: Region = [];
  for (const rule of ordered) {
    const matches = regionOf(rule.conditions, schema, `rule '${rule.name}'`);
    out.push({ rule, matches, decides: subtractRegions(matches, before, schema) });
    before = [...before, ...matches];
  }
  if (!bySchema) cache.set(ruleSet, (bySchema = new WeakMap()));
  bySchema.set(schema, out);
  return out;
}
