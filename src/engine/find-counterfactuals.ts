import type { DataRecord, Schema } from '../data/types';
import { type BoxEntry, enterBox, type FeatureChange } from '../regions/enter-box';
import { setOwn } from '../regions/region';
import type { RuleRegion } from '../regions/rule-regions';
import type { Decision } from './types';

/** A smallest change of a record that makes the rules decide another class. */
export interface Counterfactual {
  changes: FeatureChange[];
  /** Sum of the changes, each in its feature's spread (standard deviations; 1 per level). */
  cost: number;
  /** The class and rule the rules decide for the changed record (verified by running them). */
  class: string;
  ruleId: string;
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
  const candidates: (BoxEntry & { class: string; ruleId: string })[] = [];
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
    for (const x of c.changes) setOwn(changed, x.feature, x.to);
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
