import type { Schema } from '../../src/data/types';
import { leavesOf } from '../../src/distill/predict-tree';
import type { Tree, TreeNode } from '../../src/distill/types';
import { isNeurulesError } from '../../src/errors';
import { compileTree } from '../../src/rules/compile-tree';
import type { NeurulesRule, RuleSet } from '../../src/rules/types';
import { treeView } from '../../src/audit/tree-view';
import type { TreeViewNode } from '../../src/audit/types';

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['no', 'yes'],
  rows: 100,
  features: [
    {
      name: 'age',
      type: 'numeric',
      min: 18,
      max: 80,
      mean: 40,
      std: 10,
      integer: true,
      missing: 0,
    },
    { name: 'job', type: 'categorical', levels: ['clerk', 'chef', 'pilot', '<none>'], missing: 0 },
  ],
};

function node(id: number, depth: number, count: number, p: number, rest: Partial<TreeNode> = {}) {
  return { id, depth, count, weight: count, distribution: [1 - p, p], ...rest };
}

/**
 * age ≤ 30.5 ? (job in {chef, <none>} ? leaf : leaf) : leaf — stored breadth-first, so the
 * node ids differ from the depth-first order the view uses.
 */
const tree: Tree = {
  format: 'neurules.tree',
  version: 1,
  classes: ['no', 'yes'],
  nodes: [
    node(0, 0, 100, 0.5, {
      test: { type: 'numeric', feature: 'age', threshold: 30.5, missing: 'right' },
      left: 1,
      right: 2,
    }),
    node(1, 1, 60, 0.4, {
      // Levels out of schema order: the view lists them in schema order.
      test: { type: 'categorical', feature: 'job', left: ['<none>', 'chef'], missing: 'left' },
      left: 3,
      right: 4,
    }),
    node(2, 1, 40, 0.8),
    node(3, 2, 25, 0.1),
    node(4, 2, 35, 0.6),
  ],
};

describe('treeView', () => {
  const ruleSet = compileTree(tree, schema, 'm');
  const view = treeView(tree, schema, ruleSet);

  test('renumbers nodes depth-first, left to right, with the root at 0', () => {
    expect(view.nodes.map((n) => n.id)).toEqual([0, 1, 2, 3, 4]);
    expect(view.nodes.map((n) => n.count)).toEqual([100, 60, 25, 35, 40]);
    const [root, job] = view.nodes as [TreeViewNode, TreeViewNode];
    expect(root).toMatchObject({ kind: 'split', left: 1, right: 4, missing: 'right' });
    expect(job).toMatchObject({ kind: 'split', left: 2, right: 3, missing: 'left' });
  });

  test('words numeric and categorical tests as the left branch, levels in schema order', () => {
    const tests = view.nodes.flatMap((n) => (n.kind === 'split' ? [n.test] : []));
    expect(tests).toEqual(['age ≤ 30.5', "job in {'chef', '<none>'}"]);
  });

  test("leaves take the distilled rules' ids and classes in leaf order", () => {
    const leaves = view.nodes.filter((n) => n.kind === 'leaf');
    expect(leaves.map((n) => [n.id, n.ruleId, n.class])).toEqual([
      [2, 'R01', 'no'],
      [3, 'R02', 'yes'],
      [4, 'R03', 'yes'],
    ]);
    expect(leaves.map((n) => n.count)).toEqual(leavesOf(tree).map((l) => l.count));
    expect(leaves[0]).toMatchObject({ probabilities: { no: 0.9, yes: 0.1 } });
  });

  test('ids come from the rule set, skipping overrides placed above the distilled rules', () => {
    const override: NeurulesRule = {
      name: 'vip',
      priority: 100,
      conditions: { all: [{ fact: 'job', operator: 'equal', value: 'pilot' }] },
      event: {
        type: 'neurules.decision',
        params: { ruleId: 'vip', class: 'yes', probabilities: {}, support: 0, source: 'override' },
      },
    };
    const renamed: RuleSet = {
      ...ruleSet,
      rules: [
        override,
        ...ruleSet.rules.map((r, i) => ({
          ...r,
          name: `leaf-${i}`,
          event: { ...r.event, params: { ...r.event.params, ruleId: `leaf-${i}` } },
        })),
      ],
    };
    const ids = treeView(tree, schema, renamed).nodes.flatMap((n) =>
      n.kind === 'leaf' ? [n.ruleId] : [],
    );
    expect(ids).toEqual(['leaf-0', 'leaf-1', 'leaf-2']);
  });

  test('a rule set that does not match the tree is an INVALID_ARTIFACT', () => {
    const short: RuleSet = { ...ruleSet, rules: ruleSet.rules.slice(1) };
    let error: unknown;
    try {
      treeView(tree, schema, short);
    } catch (e) {
      error = e;
    }
    expect(isNeurulesError(error) && error.code).toBe('INVALID_ARTIFACT');
  });

  test('a single-leaf tree is one leaf node', () => {
    const stump: Tree = { ...tree, nodes: [node(0, 0, 10, 0.7)] };
    const view1 = treeView(stump, schema, compileTree(stump, schema, 'm'));
    expect(view1.nodes).toEqual([
      {
        id: 0,
        kind: 'leaf',
        ruleId: 'R01',
        class: 'yes',
        probabilities: { no: 0.3, yes: 0.7 },
        count: 10,
      },
    ]);
  });
});
