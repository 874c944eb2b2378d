import type { DataRecord, Feature, Schema, Value } from '../data/types';
import { nearestValue, type MoveRules } from '../regions/nearest-value';
import type { Box } from '../regions/region';
import type { RuleRegion } from '../regions/rule-regions';
import type { Decision } from './rule-engine';

/** One feature's change in a counterfactual. */
export interface FeatureChange {
  feature: string;
  from: Value;
  to: Value;
}

/** A smallest change of a record that makes the rules decide another class. */
export interface Counterfactual {
  changes: FeatureChange[];
  /** Sum of the changes, each in its feature's spread (standard deviations; 1 per level). */
  cost: number;
  /** The class and rule the rules decide for the changed record (verified by running them). */
  class: string;
  ruleId: string;
}

/** A way into one box: the changes it needs and their cost. */
interface Entry {
  changes: FeatureChange[];
  cost: number;
}

/**
 * The changes that move `record` into `box` at least cost, feature by feature (a box is a
 * product, so the per-feature nearest values together are the nearest point), or null
 * when some feature cannot move there.
 */
export function enterBox(
  box: Box,
  record: DataRecord,
  features: ReadonlyMap<string, Feature>,
  rules: MoveRules = {},
): Entry | null {
  const changes: FeatureChange[] = [];
  let cost = 0;
  for (const [name, set] of Object.entries(box)) {
    const feature = features.get(name);
    if (!feature) return null;
    const from = record[name] ?? null;
    const move = nearestValue(feature, set, from, rules);
    if (!move) return null;
    if (move.value !== from) {
      changes.push({ feature: name, from, to: move.value });
      cost += move.cost;
    }
  }
  return { changes, cost };
}

/**
 * Counterfactuals for a decision, computed exactly from the rule regions: for every rule
 * of another class, each box of the region where that rule decides, the nearest record in
 * it (respecting levels, the training range, and the schema's immutable and monotone
 * marks). They are ranked by the number of features changed, then by the size of the
 * change in spreads; one per set of features, and none that changes a superset of the
 * features of one already listed. Each is verified by running `decide` on the changed
 * record; the first has the fewest features any change of the record can have.
 */
export async function findCounterfactuals(input: {
  record: DataRecord;
  decision: Pick<Decision, 'class' | 'ruleId'>;
  regions: readonly RuleRegion[];
  schema: Schema;
  decide: (record: DataRecord) => Decision | Promise<Decision>;
  /** @defaultValue 3 */
  max?: number;
}): Promise<Counterfactual[]> {
  const { record, decision, schema } = input;
  const features = new Map(schema.features.map((f) => [f.name, f]));
  const candidates: (Entry & { class: string; ruleId: string })[] = [];
  for (const { rule, decides } of input.regions) {
    const cls = rule.event.params.class;
    if (cls === decision.class) continue;
    for (const box of decides) {
      const entry = enterBox(box, record, features);
      if (entry && entry.changes.length > 0)
        candidates.push({ ...entry, class: cls, ruleId: rule.name });
    }
  }
  candidates.sort(
    (a, b) =>
      a.changes.length - b.changes.length || a.cost - b.cost || a.ruleId.localeCompare(b.ruleId),
  );
  const out: Counterfactual[] = [];
  const shown: Set<string>[] = [];
  for (const c of candidates) {
    if (out.length >= (input.max ?? 3)) break;
    const names = new Set(c.changes.map((x) => x.feature));
    if (shown.some((s) => [...s].every((f) => names.has(f)))) continue;
    const changed = { ...record };
    for (const x of c.changes) changed[x.feature] = x.to;
    const verified = await input.decide(changed);
    // Regions are exact, so this holds; it is checked rather than assumed.
    if (verified.class === decision.class) continue;
    shown.push(names);
    out.push({
      changes: c.changes,
      cost: Number(c.cost.toFixed(4)),
      class: verified.class,
      ruleId: verified.ruleId,
    });
  }
  return out;
}
