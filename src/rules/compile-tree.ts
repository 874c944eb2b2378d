import type { ConditionProperties, NestedCondition, TopLevelCondition } from 'json-rules-engine';
import type { Schema } from '../data/types';
import { argMax } from '../arg-max';
import { leavesOf } from '../distill/predict-tree';
import type { LeafStats } from '../distill/types';
import type { Tree, TreeNode } from '../distill/types';
import { DECISION_EVENT, type NeurulesRule, type RuleSet } from './types';

/** Priority of distilled rules; overrides sit above it. */
export const DISTILLED_PRIORITY = 1;

/** What one root-to-leaf path says about one feature, after merging its repeated tests. */
type Constraint =
  | { type: 'numeric'; feature: string; lower: number; upper: number; missingAllowed: boolean }
  | {
      type: 'categorical';
      feature: string;
      allowed: Set<string> | null;
      excluded: Set<string>;
      missingAllowed: boolean;
    };

/**
 * Compile a tree into json-rules-engine rules: one rule per leaf, `all` of one condition
 * group per feature on the path, in the data's own values and units.
 *
 * Repeated tests of a feature merge into one interval (`greaterThan` lower, `lessThanInclusive`
 * upper) or one level set (`in` the levels the path allows, or `notIn` the levels it excludes,
 * so a level unseen in training goes where the tree sends it). A missing value is a `null`
 * fact; it matches a rule exactly when every split on the path sends missing values the
 * path's way, written as `in [..., null]` / `notIn [..., null]` or `any [range, equal null]`.
 * Hence any record, complete or not, fires exactly one rule: the one for the leaf the tree
 * sends it to.
 */
export function compileTree(
  tree: Tree,
  schema: Schema,
  model: string,
  leafStats?: ReadonlyMap<number, LeafStats>,
): RuleSet {
  const parents = new Map<number, { parent: TreeNode; side: 'left' | 'right' }>();
  for (const node of tree.nodes) {
    if (node.left !== undefined) parents.set(node.left, { parent: node, side: 'left' });
    if (node.right !== undefined) parents.set(node.right, { parent: node, side: 'right' });
  }
  const leaves = leavesOf(tree);
  const width = String(leaves.length).length;
  const order = schema.features.map((f) => f.name);
  const rules = leaves.map((leaf, i): NeurulesRule => {
    const ruleId = `R${String(i + 1).padStart(Math.max(2, width), '0')}`;
    const constraints = pathConstraints(leaf, parents);
    constraints.sort((a, b) => order.indexOf(a.feature) - order.indexOf(b.feature));
    const probabilities: Record<string, number> = {};
    tree.classes.forEach((c, k) => (probabilities[c] = round6(leaf.distribution[k] ?? 0)));
    const stats = leafStats?.get(leaf.id);
    const conditions: TopLevelCondition = { all: constraints.flatMap(toConditions) };
    return {
      name: ruleId,
      priority: DISTILLED_PRIORITY,
      conditions,
      event: {
        type: DECISION_EVENT,
        params: {
          ruleId,
          class: tree.classes[argMax(leaf.distribution)]!,
          probabilities,
          support: stats?.support ?? leaf.count,
          ...(stats && {
            confidence: round6n(stats.confidence),
            validationFidelity: round6n(stats.validationFidelity),
          }),
          source: 'distilled',
        },
      },
    };
  });
  return {
    format: 'neurules.rules',
    version: 1,
    model,
    target: schema.target,
    classes: [...tree.classes],
    rules,
  };
}

function pathConstraints(
  leaf: TreeNode,
  parents: Map<number, { parent: TreeNode; side: 'left' | 'right' }>,
): Constraint[] {
  const byFeature = new Map<string, Constraint>();
  for (let up = parents.get(leaf.id); up; up = parents.get(up.parent.id)) {
    const test = up.parent.test!;
    const side = up.side;
    const missingFollows = test.missing === side;
    let c = byFeature.get(test.feature);
    if (test.type === 'numeric') {
      if (!c) {
        c = {
          type: 'numeric',
          feature: test.feature,
          lower: -Infinity,
          upper: Infinity,
          missingAllowed: true,
        };
        byFeature.set(test.feature, c);
      }
      if (c.type !== 'numeric') continue;
      if (side === 'left') c.upper = Math.min(c.upper, test.threshold);
      else c.lower = Math.max(c.lower, test.threshold);
      c.missingAllowed &&= missingFollows;
    } else {
      if (!c) {
        c = {
          type: 'categorical',
          feature: test.feature,
          allowed: null,
          excluded: new Set(),
          missingAllowed: true,
        };
        byFeature.set(test.feature, c);
      }
      if (c.type !== 'categorical') continue;
      if (side === 'left') {
        const left = new Set(test.left);
        c.allowed = c.allowed ? new Set([...c.allowed].filter((l) => left.has(l))) : left;
      } else for (const l of test.left) c.excluded.add(l);
      c.missingAllowed &&= missingFollows;
    }
  }
  return [...byFeature.values()];
}

function toConditions(c: Constraint): NestedCondition[] {
  if (c.type === 'categorical') {
    if (c.allowed) {
      const levels: (string | null)[] = [...c.allowed].filter((l) => !c.excluded.has(l));
      if (c.missingAllowed) levels.push(null);
      return [{ fact: c.feature, operator: 'in', value: levels }];
    }
    const excluded: (string | null)[] = [...c.excluded];
    if (!c.missingAllowed) excluded.push(null);
    return [{ fact: c.feature, operator: 'notIn', value: excluded }];
  }
  const range: ConditionProperties[] = [];
  if (c.lower > -Infinity) range.push({ fact: c.feature, operator: 'greaterThan', value: c.lower });
  if (c.upper < Infinity)
    range.push({ fact: c.feature, operator: 'lessThanInclusive', value: c.upper });
  if (!c.missingAllowed) return range;
  const isMissing: ConditionProperties = { fact: c.feature, operator: 'equal', value: null };
  return [{ any: [range.length === 1 ? range[0]! : { all: range }, isMissing] }];
}

function round6n(x: number | null): number | null {
  return x === null ? null : round6(x);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
