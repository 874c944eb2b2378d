import type { Schema } from '../data/types';
import type { NeurulesRule, RuleSet } from '../rules/types';
import { NeurulesError } from '../errors';
import { type Box, intersectRegions, type Region, regionOf, subtractRegions } from './region';

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
 * The rules of a rule set in the order json-rules-engine lets them decide, each with its
 * exact region and the part of it where it is the deciding rule. json-rules-engine runs
 * rules in groups of equal `parseInt(priority)`, highest first, and within a group the
 * first event is whichever rule finishes first, which depends on the facts. So the order
 * is exact only when the rules of a group are disjoint (as a tree's leaves are, and as
 * overrides are, each with a priority of its own); a group with two overlapping rules is
 * refused with OVERLAPPING_RULES, rather than answered by a guess. The decides-regions
 * partition the record space for an exhaustive rule set. Cached per rule set and schema.
 */
export function ruleRegions(ruleSet: RuleSet, schema: Schema): RuleRegion[] {
  let bySchema = cache.get(ruleSet);
  const hit = bySchema?.get(schema);
  if (hit) return hit;
  const group = (r: NeurulesRule) => Number.parseInt(String(r.priority), 10);
  const ordered = ruleSet.rules
    .map((rule, index) => ({
      rule,
      index,
      matches: regionOf(rule.conditions, schema, `rule '${rule.name}'`),
    }))
    .sort((a, b) => group(b.rule) - group(a.rule) || a.index - b.index);
  const out: RuleRegion[] = [];
  // The boxes of every rule before this one, grown in place (a copy per rule is quadratic).
  const before: Box[] = [];
  let groupStart = 0;
  ordered.forEach(({ rule, matches }, i) => {
    if (i > 0 && group(rule) !== group(ordered[i - 1]!.rule)) groupStart = i;
    for (let j = groupStart; j < i; j++) {
      if (intersectRegions(ordered[j]!.matches, matches, schema).length) {
        throw new NeurulesError(
          'OVERLAPPING_RULES',
          `rules '${ordered[j]!.rule.name}' and '${rule.name}' have the same priority and match common records: json-rules-engine lets either decide them, depending on evaluation order`,
          { field: rule.name },
        );
      }
    }
    out.push({ rule, matches, decides: subtractRegions(matches, before, schema) });
    before.push(...matches);
  });
  if (!bySchema) cache.set(ruleSet, (bySchema = new WeakMap()));
  bySchema.set(schema, out);
  return out;
}
