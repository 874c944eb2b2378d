import type { DataRecord, Feature, Value } from '../data/types';
import { nearestValue, type MoveRules } from './nearest-value';
import { type Box, ownValue } from './region';

/** One feature's change in a counterfactual. */
export interface FeatureChange {
  feature: string;
  from: Value;
  to: Value;
}

/** A way into one box: the changes it needs and their cost. */
export interface BoxEntry {
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
): BoxEntry | null {
  const changes: FeatureChange[] = [];
  let cost = 0;
  for (const [name, set] of Object.entries(box)) {
    const feature = features.get(name);
    if (!feature) return null;
    const from = ownValue(record, name) ?? null;
    const move = nearestValue(feature, set, from, rules);
    if (!move) return null;
    if (move.value !== from) {
      changes.push({ feature: name, from, to: move.value });
      cost += move.cost;
    }
  }
  return { changes, cost };
}
