/**
 * json-rules-engine's ordering model, which the compiled evaluator must reproduce to give
 * the same events in the same order (json-rules-engine 7.3, read from its source and checked
 * by the differential property tests in test/engine/compiled-rules.test.ts):
 *
 * - Events come in json-rules-engine's order: priority groups from the highest down, and
 *   within a group in the order the rules' promise chains *finish* — not the order of the
 *   rules. A rule finishes after a number of microtask ticks set by the shape of its
 *   conditions: a comparison takes 3; `all`/`any` of several conditions 5 more than its
 *   slowest child (4 at the root), of one condition 1 more (0 at the root), of none 1 (0 at
 *   the root); `not` adds 2 (1 at the root). Equal tick counts keep rule order. The
 *   evaluator counts the same ticks, so the order is the same.
 * - Sibling conditions are evaluated in sets of equal `priority`, highest first; within a
 *   set every condition is evaluated (no short-circuit), and a later set is skipped once
 *   the outcome is known. Conditions that were skipped report no result, as in
 *   json-rules-engine's rule results.
 *
 * The ticks are counted twice, and both counts live here so that they cannot drift apart:
 * once when compiling, for rules whose every condition is always evaluated (their order is
 * then known before any record is seen), and once per record by {@link Evaluation}, for
 * rules whose skipped priority sets depend on the facts.
 */
import { NeurulesError, placeAt, type Issue } from '../errors';
import {
  ruleLabel,
  type BooleanNode,
  type ConditionNode,
  type FactValues,
  type LeafNode,
} from './compile-conditions';

/** What the ordering model needs of a compiled rule. */
export interface OrderedRule extends RuleTiming {
  /** Position in the rule set. */
  index: number;
  /** The rule's `name` as json-rules-engine reports it (undefined when it has none). */
  name: unknown;
  /** json-rules-engine's `parseInt` of the rule's priority (may be NaN). */
  priority: number;
  root: ConditionNode;
}

/** How long a rule takes json-rules-engine, as far as it is known when compiling. */
export interface RuleTiming {
  /** True when every condition is always evaluated, so `ticks` does not depend on the facts. */
  fixed: boolean;
  /** Microtask ticks json-rules-engine takes to evaluate the rule (when `fixed`). */
  ticks: number;
}

/** Rules of one priority. */
export interface RuleGroup<R extends OrderedRule> {
  rules: R[];
  /** When every rule is fixed: the rules in the order json-rules-engine finishes them. */
  ordered: R[] | undefined;
  /** With `ordered`: the entry of those rules' chain in the chain program. */
  chain: number;
}

/** A chain entry before the chain is built (an empty chain: no rule holds). */
const FALSE_ENTRY = -2;

/** The timing of a rule whose conditions are `root` (ticks are 0 when not fixed). */
export function ruleTiming(root: ConditionNode): RuleTiming {
  const fixed = isFixed(root);
  return { fixed, ticks: fixed ? rootTicks(root) : 0 };
}

/** True when no node has two priority sets (so nothing is ever skipped). */
function isFixed(n: ConditionNode): boolean {
  if (n.kind === 'leaf') return true;
  if (n.kind === 'not') return isFixed(n.child);
  return n.sets.length <= 1 && n.children.every(isFixed);
}

/** Ticks of a fixed rule (see {@link Evaluation}). */
function rootTicks(root: ConditionNode): number {
  return root.kind === 'not' ? conditionTicks(root.child) + 1 : operandTicks(root as BooleanNode);
}

function conditionTicks(n: ConditionNode): number {
  if (n.kind === 'leaf') return 3;
  if (n.kind === 'not') return conditionTicks(n.child) + 2;
  return operandTicks(n) + 1;
}

function operandTicks(n: BooleanNode): number {
  if (n.children.length === 0) return 0;
  if (n.children.length === 1) return conditionTicks(n.children[0]!);
  return 1 + Math.max(...n.children.map(conditionTicks)) + 3;
}

/**
 * json-rules-engine's `prioritizeRules`, verbatim: groups keyed by priority, keys sorted
 * with its comparator (which also decides where NaN priorities go).
 */
export function groupByPriority<R extends OrderedRule>(rules: R[]): RuleGroup<R>[] {
  const byKey: Record<string, R[]> = Object.create(null) as Record<string, R[]>;
  for (const r of rules) (byKey[r.priority] ??= []).push(r);
  return Object.keys(byKey)
    .sort((a, b) => (Number(a) > Number(b) ? -1 : 1))
    .map((key) => {
      const group = byKey[key]!;
      const ordered = group.every((r) => r.fixed)
        ? [...group].sort((a, b) => a.ticks - b.ticks)
        : undefined;
      return { rules: group, ordered, chain: FALSE_ENTRY };
    });
}

/**
 * json-rules-engine's evaluation of one rule: which conditions it evaluates (priority sets,
 * no short-circuit within a set), its result, and its duration in microtask ticks. Results
 * are packed as `ticks * 2 + (passed ? 1 : 0)` so that nothing is allocated.
 */
export class Evaluation {
  /** When set: per comparison slot, 0 = not evaluated, 1 = false, 2 = true. */
  recorded: Uint8Array | undefined;
  private current: OrderedRule | undefined;

  constructor(
    private readonly values: FactValues,
    private readonly missing: Uint8Array,
    private readonly allowUndefined: boolean,
  ) {}

  /** `Rule.evaluate`: the root's `all`/`any`/`not` (the root itself records no result). */
  rule(r: OrderedRule): number {
    this.current = r;
    const root = r.root;
    if (root.kind === 'not') return notOf(this.condition(root.child), 1);
    return this.operands(root as BooleanNode);
  }

  /** `evaluateCondition`: a comparison, or a boolean node and the `then` that records it. */
  private condition(n: ConditionNode): number {
    switch (n.kind) {
      case 'leaf':
        return this.leaf(n);
      case 'not':
        return notOf(this.condition(n.child), 2);
      default:
        return this.operands(n) + 2;
    }
  }

  /** `prioritizeAndRun` for `all`/`any`. */
  private operands(n: BooleanNode): number {
    const count = n.children.length;
    if (count === 0) return 1; // Promise.resolve(true): true for `any` as well
    if (count === 1) return this.condition(n.children[0]!);
    const all = n.kind === 'all';
    let ticks = 0;
    let value = all;
    for (const set of n.sets) {
      const start = ticks + 1;
      if (all ? !value : value) {
        ticks = start; // short-circuit: the set is not evaluated
        continue;
      }
      let longest = 0;
      let acc = all;
      for (const child of set) {
        const x = this.condition(child);
        if (x >> 1 > longest) longest = x >> 1;
        acc = all ? acc && (x & 1) === 1 : acc || (x & 1) === 1;
      }
      // Promise.all (+1), its `then` (+1), the cursor's adoption of that promise (+2).
      ticks = start + longest + 3;
      value = acc;
    }
    return ticks * 2 + (value ? 1 : 0);
  }

  private leaf(n: LeafNode): number {
    if (this.missing[n.fact] === 1 && !this.allowUndefined) {
      const issue = missingFactIssue(n.factName, this.current);
      throw new NeurulesError(issue.code, issue.message, placeAt([n.factName]));
    }
    let passed: boolean;
    if (n.risky) {
      try {
        passed = n.test(this.values);
      } catch (e) {
        throw new NeurulesError(
          'WRONG_TYPE',
          `${ruleLabel(this.current?.name, this.current?.index ?? 0)}: fact ${JSON.stringify(n.factName)} cannot be compared with '${n.operator}' (${(e as Error).message})`,
          placeAt([n.factName]),
        );
      }
    } else {
      passed = n.test(this.values);
    }
    if (this.recorded) this.recorded[n.slot] = passed ? 2 : 1;
    return passed ? 7 : 6; // Promise.all, its then, evaluateCondition's then: 3 ticks
  }
}

/** A `not` of packed result `x`, taking `extra` more ticks. */
function notOf(x: number, extra: number): number {
  return ((x >> 1) + extra) * 2 + ((x & 1) ^ 1);
}

export function missingFactIssue(name: string, rule?: OrderedRule): Issue {
  const by = rule ? `, which ${ruleLabel(rule.name, rule.index)} reads` : '';
  return {
    code: 'MISSING_FEATURE',
    message: `the record has no fact ${JSON.stringify(name)}${by} (pass null for a missing value)`,
    ...placeAt([name]),
  };
}
