import fc from 'fast-check';
import { DecisionTreeClassifier } from 'ml-cart';
import * as path from 'node:path';
import { readTable } from '../../src/data/read-csv';
import { toMlCartModel } from '../../src/distill/export-ml-cart';
import { growTree } from '../../src/distill/grow-tree';
import { growMlCart } from '../../src/distill/ml-cart-learner';
import { predictTree } from '../../src/distill/predict-tree';
import { toColumns } from '../../src/distill/tree-columns';
import { isNeurulesError } from '../../src/errors';

const data = path.join(__dirname, '..', '..', 'data');

describe('ml-cart interop', () => {
  const table = readTable(path.join(data, 'breast-cancer-wisconsin.csv'));
  const K = table.schema.classes.length;
  const targets = new Float64Array(table.records.length * K);
  table.labels.forEach((y, i) => (targets[i * K + y] = 1));
  const tree = growTree(
    {
      features: table.schema.features,
      columns: toColumns(table.schema.features, table.records),
      targets,
      classes: table.schema.classes,
    },
    { maxLeaves: 16 },
  );
  const names = table.schema.features.map((f) => f.name);

  it("a numeric tree exported to ml-cart's format loads with DecisionTreeClassifier.load and predicts identically", () => {
    const model = DecisionTreeClassifier.load(
      JSON.parse(JSON.stringify(toMlCartModel(tree, table.schema))),
    );
    const rows = table.records.map((r) => names.map((n) => r[n] as number));
    expect(model.predict(rows)).toEqual(table.records.map((r) => predictTree(tree, r)));
  });

  it('agrees on random records, including values exactly at the thresholds', () => {
    const model = DecisionTreeClassifier.load(toMlCartModel(tree, table.schema));
    const thresholds = tree.nodes.flatMap((n) =>
      n.test?.type === 'numeric' ? [n.test.threshold] : [],
    );
    const value = fc.oneof(
      fc.double({ min: -10, max: 5000, noNaN: true }),
      fc.constantFrom(...thresholds),
    );
    fc.assert(
      fc.property(
        fc.array(value, { minLength: names.length, maxLength: names.length }),
        (values) => {
          const record = Object.fromEntries(names.map((n, i) => [n, values[i]!]));
          expect(model.predict([values])[0]).toBe(predictTree(tree, record));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a tree with categorical tests', () => {
    const german = readTable(path.join(data, 'german-credit.csv'));
    const t = growMlCart(
      german.schema,
      german.records.slice(0, 200),
      german.labels.slice(0, 200),
      8,
    );
    const hasCategorical = t.nodes.some((n) => n.test?.type === 'categorical');
    expect(hasCategorical).toBe(true);
    try {
      toMlCartModel(t, german.schema);
      throw new Error('expected an error');
    } catch (e) {
      expect(isNeurulesError(e) && e.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('the ml-cart reference learner gives a tree that decides like ml-cart itself', () => {
    const records = table.records.slice(0, 150);
    const labels = table.labels.slice(0, 150);
    const t = growMlCart(table.schema, records, labels, 8);
    const cart = new DecisionTreeClassifier({ maxDepth: 3, minNumSamples: 3 });
    const rows = records.map((r) => names.map((n) => r[n] as number));
    cart.train(rows, labels);
    expect(records.map((r) => predictTree(t, r))).toEqual(cart.predict(rows));
  });
});
