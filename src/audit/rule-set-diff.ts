import { loggedRecord, type LoggedDecision } from './log-lines';
import { ruleChanges } from '../artifacts/model-store';
import type { DataRecord, Schema } from '../data/types';
import { compileRuleSet, type CompiledRules } from '../engine/compiled-rules';
import { dependenceOn } from '../regions/decisive-fields';
import { isNeurulesError, NeurulesError } from '../errors';
import { changedRegions, type ChangedRegions, comparableSchema } from '../regions/changed-regions';
import { describeBox } from '../regions/describe-region';
import { boxContains } from '../regions/region';
import { describeCondition } from '../rules/describe-rule';
import type { NeurulesRule, RuleSet } from '../rules/types';
import { agreement } from './metrics';

/** A rule as a reader sees it. */
export interface RuleInWords {
  name: string;
  /** The class it decides. */
  class: string;
  source: 'distilled' | 'override';
  /** Its conditions in words (`describeCondition`), e.g. `age < 18`. */
  conditions: string;
}

/** What differs between two versions of a rule. */
export type RuleDifference = 'conditions' | 'class' | 'priority' | 'params';

/** The rules one rule set adds, removes and changes against another, by rule name. */
export interface RuleSetChanges {
  added: RuleInWords[];
  removed: RuleInWords[];
  /** Rules of one name whose content differs, with both versions and what differs. */
  changed: {
    name: string;
    before: RuleInWords;
    after: RuleInWords;
    differs: RuleDifference[];
  }[];
  /** The rules both have are tried in another order. */
  reordered: boolean;
}

/** One rule in words. */
export function ruleInWords(rule: NeurulesRule): RuleInWords {
  return {
    name: String(rule.name),
    class: rule.event.params.class,
    source: rule.event.params.source,
    conditions: describeCondition(rule.conditions),
  };
}

/**
 * An override's json-rules-engine priority is its rank in the hit order (`mergeOverrides`),
 * which moves whenever an override is added above it: the order is compared as an order
 * (`reordered`), not as a change of every override below a new one.
 */
function withoutRanks(ruleSet: RuleSet): RuleSet {
  return {
    ...ruleSet,
    rules: ruleSet.rules.map((r) =>
      r.event.params.source === 'override' ? { ...r, priority: 0 } : r,
    ),
  };
}

/**
 * The rules added, removed and changed from `before` to `after`, each in words, compared
 * by name as `ruleChanges` compares them (a rule whose name stays and whose content moves
 * is changed, with both versions and what differs: its conditions, class, priority or
 * params, such as a rebuilt rule's support). An override's rank among the overrides is
 * its place in the order, not part of its content: an override added above others
 * changes none of them.
 *
 * @example
 * ruleSetChanges(before, after).added[0]; // { name: 'minors-declined', class: 'bad', conditions: 'age < 18', ... }
 */
export function ruleSetChanges(before: RuleSet, after: RuleSet): RuleSetChanges {
  const [b0, a0] = [withoutRanks(before), withoutRanks(after)];
  const names = ruleChanges(b0, a0);
  const byName = (rules: NeurulesRule[]) => new Map(rules.map((r) => [String(r.name), r]));
  const a = byName(b0.rules);
  const b = byName(a0.rules);
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  return {
    added: names.added.map((n) => ruleInWords(b.get(n)!)),
    removed: names.removed.map((n) => ruleInWords(a.get(n)!)),
    changed: names.changed.map((n) => {
      const [x, y] = [a.get(n)!, b.get(n)!];
      const differs: RuleDifference[] = [];
      if (!same(x.conditions, y.conditions)) differs.push('conditions');
      if (x.event.params.class !== y.event.params.class) differs.push('class');
      if (x.priority !== y.priority) differs.push('priority');
      const { class: _x, ...px } = x.event.params;
      const { class: _y, ...py } = y.event.params;
      // Params: the rest of the event (support, probabilities, reason...), and whatever
      // else made the two differ when nothing above did.
      if (!same(px, py) || !differs.length) differs.push('params');
      return { name: n, before: ruleInWords(x), after: ruleInWords(y), differs };
    }),
    reordered: names.reordered,
  };
}

/** One region of the record space whose class changes, ready to show. */
export interface RegionChange {
  from: string;
  to: string;
  /** The deciding rule before and after, by name. */
  rules: { before: string; after: string };
  /** The region as conditions (`describeBox`), e.g. `18 ≤ age < 25`. */
  conditions: string;
  /** The features the conditions constrain, in schema order (the others may be anything). */
  features: string[];
  /** A record of the region, decided `from` by the first rule set and `to` by the second. */
  example: DataRecord;
}

/**
 * The regions whose class changes between two rule sets, or why they are not computed
 * (schemas whose features have no common record space, a rule set the region analysis
 * cannot read exactly).
 */
export type RegionDiff =
  { computed: true; regions: RegionChange[] } | { computed: false; reason: string };

/** A rule set with the schema its facts are read with. */
export interface RuleSetWithSchema {
  ruleSet: RuleSet;
  schema: Schema;
}

/** A record two rule sets decide differently: the classes before and after. */
export interface ChangedRecord {
  record: DataRecord;
  from: string;
  to: string;
}

/**
 * The exact regions of the record space two rule sets decide differently (see
 * `changedRegions`; the boxes of each pair of deciding rules merged where they differ in
 * one feature), over a schema both can be read with (`comparableSchema`), each with its
 * class flow, its deciding rules and an example record.
 *
 * Every example is decided again by both rule sets, compiled, and every record of
 * `changed` (records the two decided differently, measured elsewhere) must lie in a region
 * of its flow: a class that is not the region's flow, or a changed record outside every
 * region, is a bug of the region analysis, thrown as INTERNAL (with the region, the record
 * and the classes found) rather than shown as a region that is not one.
 *
 * Not computed (`computed: false`, with the reason): a feature that is numeric in one
 * schema and categorical in the other, or a rule set the region analysis refuses
 * (OVERLAPPING_RULES, UNSUPPORTED_OPERATOR, ...).
 *
 * @example
 * const diff = diffRegions({ ruleSet: before, schema }, { ruleSet: after, schema });
 * if (diff.computed) diff.regions[0]; // { from: 'good', to: 'bad', conditions: 'age < 18', example: {...} }
 */
export function diffRegions(
  before: RuleSetWithSchema,
  after: RuleSetWithSchema,
  changed: readonly ChangedRecord[] = [],
): RegionDiff {
  const common = comparableSchema(before.schema, after.schema);
  if (!common.ok) return { computed: false, reason: common.reason };
  const schema = common.schema;
  let found: ChangedRegions;
  try {
    found = changedRegions(before.ruleSet, after.ruleSet, schema, { merge: true, examples: true });
  } catch (e) {
    if (!isNeurulesError(e) || e.code === 'INTERNAL') throw e;
    return {
      computed: false,
      reason: `the region analysis cannot read the rules exactly (${e.code}: ${e.message})`,
    };
  }
  const regions = found.regions.map((r) => ({
    from: r.from,
    to: r.to,
    rules: r.rules,
    conditions: describeBox(r.box, schema),
    features: schema.features.filter((f) => r.box[f.name] !== undefined).map((f) => f.name),
    example: r.example!,
  }));
  const compiled = [compileRuleSet(before.ruleSet), compileRuleSet(after.ruleSet)] as const;
  regions.forEach((r, i) => checkExample(r, i, compiled));
  for (const c of changed) {
    const inside = found.regions.some(
      (r) => r.from === c.from && r.to === c.to && boxContains(r.box, c.record, schema),
    );
    if (!inside) {
      throw new NeurulesError(
        'INTERNAL',
        `expected every record decided ${c.from} → ${c.to} to lie in a changed region of that flow; ${JSON.stringify(c.record)} lies in none (the region analysis and the compiled evaluator disagree: a bug)`,
        { field: 'regions' },
      );
    }
  }
  return { computed: true, regions };
}

/** INTERNAL unless both rule sets decide the region's example as its flow says. */
function checkExample(
  region: RegionChange,
  index: number,
  [before, after]: readonly [CompiledRules, CompiledRules],
): void {
  const decided = (rules: CompiledRules): string => {
    try {
      return rules.decide(region.example).class;
    } catch (e) {
      return `no class (${(e as Error).message})`;
    }
  };
  const found = [decided(before), decided(after)];
  if (found[0] === region.from && found[1] === region.to) return;
  throw new NeurulesError(
    'INTERNAL',
    `changed region ${index + 1} (${region.conditions}): expected its example ${JSON.stringify(region.example)} to be decided ${region.from} → ${region.to} (rules '${region.rules.before}' → '${region.rules.after}'), found ${found[0]} → ${found[1]}; the region analysis and the compiled evaluator disagree (a bug)`,
    { field: 'regions' },
  );
}

/** Counts of decisions from one class (rows) to another (columns). */
export interface ClassFlow {
  /** Row and column names: the classes given, then any other class met, in order met. */
  classes: string[];
  /** `counts[i][j]`: decisions of class `classes[i]` before that are `classes[j]` after. */
  counts: number[][];
}

/** How many decisions two lists of classes hold, how many differ, and the flow between them. */
export interface DecisionChanges {
  total: number;
  changed: number;
  flow: ClassFlow;
}

/**
 * Compare two lists of decided classes, one per record (or log line): how many differ,
 * and the from-class × to-class matrix of every pair (the diagonal holds the unchanged).
 *
 * @example
 * compareDecisions(['good', 'bad'], ['bad', 'bad'], ['good', 'bad']);
 * // { total: 2, changed: 1, flow: { classes: ['good', 'bad'], counts: [[0, 1], [0, 1]] } }
 */
export function compareDecisions(
  before: readonly string[],
  after: readonly string[],
  classes: readonly string[],
): DecisionChanges {
  if (before.length !== after.length) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `compareDecisions: expected two lists of one length, found ${before.length} and ${after.length}`,
    );
  }
  const names = [...classes];
  const index = new Map(names.map((c, i) => [c, i]));
  const at = (c: string): number => {
    let i = index.get(c);
    if (i === undefined) {
      index.set(c, (i = names.length));
      names.push(c);
    }
    return i;
  };
  const pairs = before.map((b, k) => [at(b), at(after[k]!)] as const);
  const counts = names.map(() => names.map(() => 0));
  let changed = 0;
  for (const [i, j] of pairs) {
    counts[i]![j]!++;
    if (i !== j) changed++;
  }
  return { total: before.length, changed, flow: { classes: names, counts } };
}

/** What {@link diffDecisions} measures on records: before and after. */
export interface RecordsDiff extends DecisionChanges {
  /** Agreement with the labels; null when the records have none. */
  accuracy: { before: number; after: number } | null;
  /** Agreement with the network. */
  fidelity: { before: number; after: number };
}

/**
 * Two rule sets' decisions on the same records compared: changes, the class flow, and
 * accuracy (when there are labels) and fidelity before and after. `labels` and `network`
 * are class indices into `classes` (the model's); a decided class the model does not have
 * agrees with neither.
 */
export function diffDecisions(input: {
  classes: readonly string[];
  before: readonly string[];
  after: readonly string[];
  labels: readonly number[] | null;
  network: readonly number[];
}): RecordsDiff {
  const { classes, before, after, labels, network } = input;
  const index = new Map(classes.map((c, i) => [c, i]));
  const indices = (decided: readonly string[]) => decided.map((c) => index.get(c) ?? -1);
  const [b, a] = [indices(before), indices(after)];
  return {
    ...compareDecisions(before, after, classes),
    accuracy: labels ? { before: agreement(b, labels), after: agreement(a, labels) } : null,
    fidelity: { before: agreement(b, network), after: agreement(a, network) },
  };
}

/** What the new rules make of logged decisions. */
export interface LogDiff {
  file: string;
  /** Logged decisions, and how many the rule set decides otherwise. */
  decisions: { total: number; changed: number };
  /** From the logged class (rows) to the rule set's class (columns). */
  flow: ClassFlow;
  /** How many lines each rule set (by hash) logged. */
  ruleSets: Record<string, number>;
  /**
   * Lines with redacted inputs, decided with those inputs missing: what the rules decide of
   * them may differ from what was logged even where no rule changed.
   */
  redacted: number;
  /**
   * Of those, the lines whose decision by the rule set depends on the redacted values
   * (exactly: some value of them would let another rule decide; see `decisiveFields`):
   * left out of `decisions` and `flow`, since what it decides of them is not known.
   */
  undetermined: number;
}

/**
 * Decide every logged decision's inputs (read by the schema's features) with the rule set
 * `after` and compare with the logged class. A line with redacted inputs is decided with
 * them missing when the decision does not depend on them, and left out (`undetermined`)
 * when it does.
 *
 * @example
 * diffLog(await readLoggedDecisions(file, 'german-credit'), { ruleSet, schema }, file);
 */
export function diffLog(
  entries: readonly LoggedDecision[],
  after: RuleSetWithSchema,
  file: string,
): LogDiff {
  const rules = compileRuleSet(after.ruleSet);
  const logged: string[] = [];
  const now: string[] = [];
  let redacted = 0;
  let undetermined = 0;
  for (const e of entries) {
    const read = loggedRecord(e, after.schema);
    if (read.redacted.length > 0) {
      redacted++;
      // What the rules decide of it depends on what was redacted: not a decision to count.
      const depends = dependenceOn(after, read.record, read.redacted);
      if ('refused' in depends || depends.length > 0) {
        undetermined++;
        continue;
      }
    }
    logged.push(e.class);
    now.push(rules.decide(read.record).class);
  }
  const { total, changed, flow } = compareDecisions(logged, now, after.schema.classes);
  const ruleSets: Record<string, number> = {};
  for (const e of entries) ruleSets[e.ruleSet] = (ruleSets[e.ruleSet] ?? 0) + 1;
  return { file, decisions: { total, changed }, flow, ruleSets, redacted, undetermined };
}
