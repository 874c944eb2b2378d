import fc from 'fast-check';
import { Engine } from 'json-rules-engine';
import type { DataRecord, Schema } from '../../src/data/types';
import { growTree } from '../../src/distill/grow-tree';
import { leafOf, leavesOf } from '../../src/distill/predict-tree';
import { toColumns } from '../../src/distill/tree-columns';
import type { Tree } from '../../src/distill/types';
import { createRandom } from '../../src/random';
import { compileTree } from '../../src/rules/compile-tree';
import type { RuleSet } from '../../src/rules/types';

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['a', 'b', 'c'],
  rows: 400,
  features: [
    {
      name: 'age',
      type: 'numeric',
      min: 18,
      max: 80,
      mean: 40,
      std: 10,
      integer: true,
      missing: 20,
    },
    {
      name: 'amount',
      type: 'numeric',
      min: 0,
      max: 10,
      mean: 5,
      std: 3,
      integer: false,
      missing: 0,
    },
    { name: 'job', type: 'categorical', levels: ['none', 'clerk', 'chef', 'pilot'], missing: 30 },
  ],
};

/** A random tree over the schema, learned from random soft labels with missing values. */
function randomTree(seed: number): Tree {
  const rnd = createRandom(seed);
  const records: DataRecord[] = [];
  const targets = new Float64Array(400 * 3);
  for (let i = 0; i < 400; i++) {
    const age = rnd.next() < 0.05 ? null : 18 + rnd.int(63);
    const amount = rnd.next() * 10;
    const job = rnd.next() < 0.08 ? null : ['none', 'clerk', 'chef', 'pilot'][rnd.int(4)]!;
    records.push({ age, amount, job });
    const score = (age ?? 50) / 80 + amount / 10 + (job === 'pilot' ? 0.5 : 0) + rnd.normal() * 0.2;
    const k = score < 0.9 ? 0 : score < 1.3 ? 1 : 2;
    targets[i * 3 + k] = 0.8;
    targets[i * 3 + ((k + 1) % 3)] = 0.2;
  }
  return growTree(
    {
      features: schema.features,
      columns: toColumns(schema.features, records),
      targets,
      classes: schema.classes,
    },
    { maxLeaves: 5 + (seed % 20) },
  );
}

const recordArb = fc.record({
  age: fc.oneof(
    fc.constant(null),
    fc.integer({ min: 0, max: 100 }),
    fc.double({ min: -10, max: 120, noNaN: true }),
  ),
  amount: fc.oneof(fc.constant(null), fc.double({ min: -1, max: 11, noNaN: true })),
  job: fc.oneof(fc.constant(null), fc.constantFrom('none', 'clerk', 'chef', 'pilot', 'astronaut')),
});

async function firedRules(ruleSet: RuleSet, record: DataRecord): Promise<string[]> {
  const { events } = await new Engine(ruleSet.rules).run({ ...record });
  return events.map((e) => (e.params as { ruleId: string }).ruleId);
}

describe('compileTree', () => {
  it('writes one rule per leaf with merged, readable conditions', () => {
    const tree = randomTree(3);
    const ruleSet = compileTree(tree, schema, 'm');
    expect(ruleSet.rules).toHaveLength(leavesOf(tree).length);
    for (const rule of ruleSet.rules) {
      const facts = JSON.stringify(rule.conditions).match(/"fact":"(\w+)"/g) ?? [];
      // At most one condition group per feature (two comparisons for an interval, plus the null test).
      for (const f of ['age', 'amount', 'job']) {
        expect(facts.filter((x) => x.includes(`"${f}"`)).length).toBeLessThanOrEqual(3);
      }
      expect(rule.name).toBe(rule.event.params.ruleId);
    }
  });

  it('fires exactly the rule of the leaf the tree reaches, for any record (missing and unknown levels too)', async () => {
    for (const seed of [1, 2, 7, 11]) {
      const tree = randomTree(seed);
      const ruleSet = compileTree(tree, schema, 'm');
      const ruleOfLeaf = new Map(leavesOf(tree).map((l, i) => [l.id, ruleSet.rules[i]!.name]));
      await fc.assert(
        fc.asyncProperty(recordArb, async (record) => {
          const fired = await firedRules(ruleSet, record);
          expect(fired).toEqual([ruleOfLeaf.get(leafOf(tree, record).id)]);
        }),
        { numRuns: 150, seed },
      );
    }
  });

  it('a single-leaf tree compiles to one rule that always fires', async () => {
    const tree: Tree = {
      format: 'neurules.tree',
      version: 1,
      classes: ['a', 'b', 'c'],
      nodes: [{ id: 0, depth: 0, count: 5, weight: 5, distribution: [0.2, 0.5, 0.3] }],
    };
    const ruleSet = compileTree(tree, schema, 'm');
    expect(ruleSet.rules).toHaveLength(1);
    expect(ruleSet.rules[0]!.event.params.class).toBe('b');
    expect(await firedRules(ruleSet, { age: null, amount: 1, job: 'chef' })).toEqual(['R01']);
  });
});
