import type { DataRecord, Schema } from '../data/types';
import type { Issue } from '../errors';
import type { NeurulesRule, RuleSet } from '../rules/types';
import { coverRegions } from './cover-regions';
import { ExampleMaker, UNSEEN_LEVEL } from './example-record';
import { intersectRegions, mergeFewBoxes, type Region, regionOf } from './region';

/** One place where the distilled rules are not a partition of the record space. */
export interface PartitionFinding {
  /** The rules involved, by name: none for a gap, the two that overlap (in rule order). */
  rules: string[];
  /** Their 0-based positions in the rules given (for a RuleSet: in `ruleSet.rules`). */
  indices: number[];
  /** Exactly the records concerned: for a gap one box no rule matches, for an overlap
   *  every record both rules match. */
  region: Region;
  /** One record of the region (see {@link checkPartition} for how it is made). */
  example: DataRecord;
}

/** What {@link checkPartition} found. Both lists are empty for a tree's rules. */
export interface PartitionCheck {
  gaps: PartitionFinding[];
  overlaps: PartitionFinding[];
  /** Gaps and overlaps found beyond the limit, counted but not listed. */
  moreGaps: number;
  moreOverlaps: number;
}

/** Options of {@link checkPartition}. */
export interface PartitionOptions {
  /**
   * At most this many gaps and this many overlaps are listed; the rest are counted.
   * @defaultValue 50
   */
  limit?: number;
}

/** The level an example record holds for "a level never seen in training" (see `example-record`). */
export { UNSEEN_LEVEL };

/**
 * Whether the distilled rules partition the record space: every possible record —
 * complete, with `null` (missing) in any features, with levels of categorical features
 * never seen in training — matches exactly one of them. Exact, on the rules' regions
 * (src/regions/region.ts), not on samples:
 *
 * - a gap is a box of records no rule matches (the uncovered part of the record space, as
 *   disjoint boxes, boxes that differ in one feature only merged);
 * - an overlap is a pair of rules matching common records (all of them, one finding per pair).
 *
 * A gap or overlap no number can express (an open interval between two adjacent doubles)
 * holds no record and is left out.
 *
 * Only distilled rules are checked: rules whose `event.params.source` is `'override'` are
 * left out, as overrides deliberately sit above the rules they change. Rule priorities
 * are not looked at: a record two rules match fires both rules' events.
 *
 * Example records are plain records with every feature of the schema: a number or a level
 * where the region allows one (the value nearest the feature's mean — rounded, whole for a
 * whole-number feature, within the training range where the region allows — or its first
 * level), `null` where only a missing value is in the region, and the string
 * `'(unseen level)'` ({@link UNSEEN_LEVEL}; with ` 2`, ` 3`... appended should a feature
 * have that level) where only levels never seen in training are. That string is a real
 * unseen level, so the example can be run through the rules as it is. Features the region
 * leaves free get the same typical value.
 *
 * The rules' conditions must be what the region analysis handles (checked by
 * `verifyRuleSet`); otherwise the region analysis's error (UNKNOWN_FACT, UNSUPPORTED_VALUE,
 * ...) is thrown, naming the rule.
 *
 * @example
 * const { gaps, overlaps } = checkPartition(ruleSet, schema);
 * // gaps: [{ rules: [], region, example: { checking_status: '<0', duration: 30, ... } }]
 */
export function checkPartition(
  rules: RuleSet | readonly NeurulesRule[],
  schema: Schema,
  options: PartitionOptions = {},
): PartitionCheck {
  const limit = options.limit ?? 50;
  const all = Array.isArray(rules) ? rules : (rules as RuleSet).rules;
  const distilled = all
    .map((rule, index) => ({ rule, index }))
    .filter(({ rule }) => rule.event?.params?.source !== 'override')
    .map(({ rule, index }) => ({
      rule,
      index,
      region: regionOf(rule.conditions, schema, `rule '${rule.name}'`),
    }));
  const examples = new ExampleMaker(schema);

  const cover = coverRegions(
    distilled.map((d) => d.region),
    schema,
  );
  const overlaps: PartitionFinding[] = [];
  let moreOverlaps = 0;
  for (const [i, j] of cover.overlapping) {
    if (overlaps.length >= limit) {
      moreOverlaps++;
      continue;
    }
    const a = distilled[i]!;
    const b = distilled[j]!;
    const both = intersectRegions(a.region, b.region, schema);
    const example = firstExample(both, examples);
    if (example) {
      overlaps.push({
        rules: [a.rule.name, b.rule.name],
        indices: [a.index, b.index],
        region: both,
        example,
      });
    }
  }
  const gaps: PartitionFinding[] = [];
  let moreGaps = 0;
  // Boxes that differ in one feature only are merged: fewer, larger gaps to report.
  for (const box of mergeFewBoxes(cover.uncovered, schema)) {
    if (gaps.length >= limit) {
      moreGaps++;
      continue;
    }
    const example = examples.of(box);
    if (example) gaps.push({ rules: [], indices: [], region: [box], example });
  }
  return { gaps, overlaps, moreGaps, moreOverlaps };
}

/**
 * The findings of {@link checkPartition} as issues: `RULES_GAP` (field `rules`) for each
 * gap, `RULES_OVERLAP` for each overlap with the later rule as the field, in
 * `verifyRuleSet`'s format (`rules[I] (rule 'NAME')`). Each message holds the example
 * record and the rules; the last issue of each kind counts the findings not listed.
 */
export function partitionIssues(check: PartitionCheck, file?: string): Issue[] {
  const place = (field: string) => (file === undefined ? { field } : { field, file });
  const more = (n: number, what: string) => (n > 0 ? ` (and ${n} more ${what} not listed)` : '');
  const issues: Issue[] = [];
  check.gaps.forEach((g, i) => {
    const last = i === check.gaps.length - 1;
    issues.push({
      code: 'RULES_GAP',
      message: `expected every record to match one distilled rule; no rule matches ${JSON.stringify(g.example)}${last ? more(check.moreGaps, 'gaps') : ''}`,
      ...place('rules'),
    });
  });
  check.overlaps.forEach((o, i) => {
    const last = i === check.overlaps.length - 1;
    const [a, b] = o.rules;
    const [ia, ib] = o.indices;
    issues.push({
      code: 'RULES_OVERLAP',
      message: `expected every record to match one distilled rule; rules '${a}' (rules[${ia}]) and '${b}' (rules[${ib}]) both match ${JSON.stringify(o.example)}${last ? more(check.moreOverlaps, 'overlaps') : ''}`,
      ...place(`rules[${ib}] (rule '${b}')`),
    });
  });
  return issues;
}

/** An example record in one of the region's boxes, or null when none holds a record. */
function firstExample(region: Region, examples: ExampleMaker): DataRecord | null {
  for (const box of region) {
    const example = examples.of(box);
    if (example) return example;
  }
  return null;
}
