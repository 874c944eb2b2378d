import type { CategoricalFeature, NumericFeature, Schema } from '../../src/data/types';

/**
 * A small schema for the override form's node tests: a numeric feature and a categorical
 * one whose levels look like numbers, booleans, hold a quote, spaces or right-to-left text.
 */
export const age: NumericFeature = {
  name: 'age',
  type: 'numeric',
  min: 18,
  max: 75,
  mean: 35,
  std: 11,
  integer: true,
  missing: 0,
};
export const housing: CategoricalFeature = {
  name: 'housing',
  type: 'categorical',
  levels: ['own', 'rent', 'for free', '123', 'true', "it's", '\u05d0\u05d1'],
  missing: 0,
};
export const formSchema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'verdict',
  features: [age, housing],
  classes: ['good', 'bad', 'no'],
  rows: 100,
};
/** What the form takes of the schema. */
export const formModel = { features: formSchema.features, classes: formSchema.classes };
