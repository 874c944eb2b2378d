import { NumericStats } from './numeric-stats';
import type { DataRecord, Feature, Schema } from './types';

/**
 * The schema a model learns with: the same features, levels and classes, but every
 * numeric statistic (min, max, mean, standard deviation, whole-number flag, missing
 * count) measured on `records` alone, normally the training split. The network's input
 * scaling, the synthetic records of distillation and the ranges of counterfactuals all
 * come from these, so nothing about the validation or test records reaches the model
 * before it is measured on them (as a scaler fitted on the training split would).
 * Categorical levels stay those of the whole file: they are the feature's domain, and a
 * level the training split lacks is still a valid input (the rules route it like any
 * level a split never saw).
 */
export function fitSchema(schema: Schema, records: readonly DataRecord[]): Schema {
  const features = schema.features.map((f): Feature => {
    if (f.type === 'categorical') {
      const missing = records.filter((r) => r[f.name] === null || r[f.name] === undefined).length;
      return { ...f, missing };
    }
    const stats = new NumericStats();
    for (const r of records) {
      const v = r[f.name];
      stats.add(typeof v === 'number' ? v : null);
    }
    return { ...f, ...stats.summary() };
  });
  return { ...schema, features, rows: records.length };
}
