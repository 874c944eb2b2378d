import type { Schema } from '../data/types';
import { leavesOf } from '../distill/predict-tree';
import type { SplitTest, Tree, TreeNode } from '../distill/types';
import { NeurulesError } from '../errors';
import { formatValue } from '../rules/describe-rule';
import type { RuleSet } from '../rules/types';
import type { TreeView, TreeViewNode } from './types';

/**
 * Flatten a distilled tree for drawing: nodes renumbered in depth-first, left-to-right
 * order from the root (0), so a compact tree keeps its ids; split tests in words, leaves
 * named after their rules.
 *
 * Leaf i in `leavesOf(tree)` order is decided by the i-th distilled rule of `ruleSet`
 * (`compileTree` writes them in that order), so each leaf takes that rule's id and class.
 * A numeric test reads `duration ≤ 22.5`, a categorical one `purpose in {'car', 'education'}`
 * with levels in schema order; both describe the left ("yes") branch.
 *
 * @throws NeurulesError `INVALID_ARTIFACT` when the rule set's distilled rules do not
 * match the tree's leaves.
 * @example
 * const view = treeView(tree, schema, ruleSet);
 * view.nodes[0]; // { id: 0, kind: 'split', test: "checking_status in {'<0', '0<=X<200'}", … }
 */
export function treeView(tree: Tree, schema: Schema, ruleSet: RuleSet): TreeView {
  const distilled = ruleSet.rules.filter((r) => r.event.params.source === 'distilled');
  const leaves = leavesOf(tree);
  if (distilled.length !== leaves.length)
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `the rule set has ${distilled.length} distilled rules but the tree has ${leaves.length} leaves`,
      { field: 'rules' },
    );
  const ruleOfLeaf = new Map(leaves.map((leaf, i) => [leaf, distilled[i]!]));

  // Preorder ids: a node's id is known before its children are visited.
  const order: TreeNode[] = [];
  const visit = (id: number): void => {
    const node = tree.nodes[id]!;
    order.push(node);
    if (node.test) {
      visit(node.left!);
      visit(node.right!);
    }
  };
  visit(0);
  const newId = new Map(order.map((node, i) => [node.id, i]));

  const nodes = order.map((node, id): TreeViewNode => {
    if (node.test)
      return {
        id,
        kind: 'split',
        test: describeTest(node.test, schema),
        missing: node.test.missing,
        left: newId.get(node.left!)!,
        right: newId.get(node.right!)!,
        count: node.count,
      };
    const rule = ruleOfLeaf.get(node)!;
    const probabilities: Record<string, number> = {};
    tree.classes.forEach((c, k) => (probabilities[c] = round6(node.distribution[k] ?? 0)));
    return {
      id,
      kind: 'leaf',
      ruleId: rule.event.params.ruleId,
      class: rule.event.params.class,
      probabilities,
      count: node.count,
    };
  });
  return { nodes };
}

/** The test that sends a record left, in words. */
function describeTest(test: SplitTest, schema: Schema): string {
  if (test.type === 'numeric') return `${test.feature} ≤ ${formatValue(test.threshold)}`;
  const feature = schema.features.find((f) => f.name === test.feature);
  const levels = feature?.type === 'categorical' ? feature.levels : [];
  const rank = (level: string): number => {
    const i = levels.indexOf(level);
    return i < 0 ? levels.length : i;
  };
  const left = [...test.left].sort((a, b) => rank(a) - rank(b));
  return `${test.feature} in {${left.map(formatValue).join(', ')}}`;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
