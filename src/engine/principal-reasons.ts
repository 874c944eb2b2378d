import type { DataRecord, Schema, Value } from '../data/types';
import { boxContains, ownValue } from '../regions/region';
import type { RuleRegion } from '../regions/rule-regions';
import { enterBox } from '../regions/enter-box';
import type { Decision } from './types';

/** One condition of the deciding rule, with how far the record is from flipping it. */
export interface PrincipalReason {
  feature: string;
  /** The rule's conditions on this feature in words, e.g. `duration > 40`. */
  condition: string;
  recordValue: Value;
  /**
   * The nearest value of this feature alone (others unchanged) that makes the rules decide
   * another class, with that class, the deciding rule, and the distance in spreads; null
   * when no value of this feature alone changes the decision.
   */
  flip: { to: Value; class: string; ruleId: string; distance: number } | null;
}

/**
 * The deciding rule's conditions as principal reasons, nearest to flipping first: for each
 * feature the rule tests, the smallest change of that feature alone that changes the
 * decision (computed from the rule regions, verified by `decide`). Reasons describe the
 * record as it is, so immutable features are included (they are marked in the schema).
 */
export async function principalReasons(input: {
  record: DataRecord;
  decision: Pick<Decision, 'class' | 'ruleId'>;
  regions: readonly RuleRegion[];
  schema: Schema;
  /** Words for the rule's conditions on each feature. */
  conditionText: ReadonlyMap<string, string>;
  decide: (record: DataRecord) => Decision | Promise<Decision>;
}): Promise<PrincipalReason[]> {
  const { record, decision, schema } = input;
  const features = new Map(schema.features.map((f) => [f.name, f]));
  const fired = input.regions.find((r) => r.rule.name === decision.ruleId);
  const box = fired?.matches.find((b) => boxContains(b, record, schema));
  if (!box) return [];
  const best = new Map<string, { to: Value; cost: number; class: string; ruleId: string }>();
  for (const { rule, decides } of input.regions) {
    const cls = rule.event.params.class;
    if (cls === decision.class) continue;
    for (const other of decides) {
      const entry = enterBox(other, record, features, { actionable: false });
      const only = entry?.changes.length === 1 ? entry.changes[0]! : undefined;
      if (!only || !Object.hasOwn(box, only.feature)) continue;
      const seen = best.get(only.feature);
      if (!seen || entry!.cost < seen.cost)
        best.set(only.feature, { to: only.to, cost: entry!.cost, class: cls, ruleId: rule.name });
    }
  }
  const reasons: PrincipalReason[] = [];
  for (const feature of Object.keys(box)) {
    const b = best.get(feature);
    let flip: PrincipalReason['flip'] = null;
    if (b) {
      const verified = await input.decide({ ...record, [feature]: b.to });
      if (verified.class !== decision.class)
        flip = {
          to: b.to,
          class: verified.class,
          ruleId: verified.ruleId,
          distance: Number(b.cost.toFixed(4)),
        };
    }
    reasons.push({
      feature,
      condition: input.conditionText.get(feature) ?? feature,
      recordValue: ownValue(record, feature) ?? null,
      flip,
    });
  }
  const distance = (r: PrincipalReason) => r.flip?.distance ?? Number.MAX_VALUE;
  return reasons.sort((a, b) => distance(a) - distance(b));
}
