/**
 * The compiled evaluator: a json-rules-engine rule set turned, once, into data — a branching
 * program run by one small interpreter (src/engine/branch-program.ts) for the decision, and
 * a tree of per-comparison closures that replays json-rules-engine's evaluation order for
 * traces and for records where that order matters — deciding synchronously with
 * json-rules-engine's exact results.
 *
 * What "exact" covers (json-rules-engine 7.3, read from its source and checked by
 * differential property tests in test/engine/compile-rules.test.ts):
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
 * - Undefined facts: an error (MISSING_FEATURE) when any evaluated condition reads one,
 *   unless `allowUndefinedFacts`, then the value is `undefined`. A fact is defined when
 *   json-rules-engine's `for…in` over the facts sees it (its value may be `undefined`).
 * - Operators as json-rules-engine's: `===` for `equal`/`in`/`contains` (NaN never matches),
 *   `in` on a string value is a substring test, `contains` is false for a non-array fact,
 *   the numeric operators are false for facts whose `parseFloat` is NaN and otherwise
 *   compare with JavaScript's `<` (so `'10' < '9'` for strings).
 * - Events and event params are copied as json-rules-engine's `clone` copies them (falsy
 *   params dropped, keys such as `constructor` or `toString` dropped).
 *
 * Not supported, refused when compiling with the rule and condition named: custom
 * operators, operator decorators (`not:equal`, `everyFact:…`), fact-to-fact comparisons,
 * `path`, `params`, condition references, `onSuccess`/`onFailure`, non-integer condition
 * priorities, values that are not plain data. Refused when deciding: facts that are
 * functions (dynamic facts), promises or json-rules-engine `Fact` objects.
 *
 * Nothing from a rule file is turned into code: fact names, operators and values stay data.
 */
import type { Event, RuleProperties } from 'json-rules-engine';
import type { DataRecord } from '../data/types';
import { NeurulesError, type ErrorCode, type Issue } from '../errors';
import type { RuleSet } from '../rules/types';
import {
  compileConditions,
  copyData,
  describeType,
  FactTable,
  type BooleanNode,
  type ConditionNode,
  type FactValues,
  type LeafNode,
} from './compile-conditions';
import {
  chainPosition,
  createMemo,
  execute,
  nextRecord,
  ProgramBuilder,
  runProgram,
  type BranchProgram,
  type ProgramMemo,
} from './branch-program';
import type { ConditionResult, Decision, RuleTrace } from './rule-engine';

/**
 * A refusal of something json-rules-engine runs but the compiled evaluator does not
 * (callers may fall back to json-rules-engine), as opposed to INVALID_RULES: rule data
 * json-rules-engine rejects too, at load or when the condition is evaluated.
 */
const INVALID: ErrorCode = 'INVALID_RULES';

/** Options of {@link compileRuleSet}: json-rules-engine's engine options that apply. */
export interface CompileOptions {
  /**
   * As json-rules-engine's `allowUndefinedFacts`: a condition on a fact the record does not
   * have sees `undefined` instead of failing the decision.
   * @defaultValue false
   */
  allowUndefinedFacts?: boolean | undefined;
}

/** Facts for one run: fact name to value (json-rules-engine's runtime facts). */
export type Facts = Readonly<Record<string, unknown>>;

/** One compiled rule. */
interface CompiledRule {
  /** Position in the rule set. */
  index: number;
  /** The rule's `name` as json-rules-engine reports it (undefined when it has none). */
  name: unknown;
  /** json-rules-engine's `parseInt` of the rule's priority (may be NaN). */
  priority: number;
  /** The event, frozen. */
  event: Event;
  /** The decision of a neurules rule (undefined when the event has no params object). */
  decision: Decision | undefined;
  root: ConditionNode;
  /** Where the rule starts in the rule set's branch program. */
  entry: number;
  /** The rule's comparisons in rule order. */
  leaves: LeafNode[];
  /** True when every condition is always evaluated, so `ticks` does not depend on the facts. */
  fixed: boolean;
  /** Microtask ticks json-rules-engine takes to evaluate the rule (when `fixed`). */
  ticks: number;
}

/** Rules of one priority. */
interface RuleGroup {
  rules: CompiledRule[];
  /** When every rule is fixed: the rules in the order json-rules-engine finishes them. */
  ordered: CompiledRule[] | undefined;
  /** With `ordered`: the entry of those rules' chain in the chain program. */
  chain: number;
}

/** Working memory of one evaluation, reused between evaluations. */
interface Scratch {
  values: FactValues;
  missing: Uint8Array;
  ticks: Float64Array;
  evaluation: Evaluation;
  memo: ProgramMemo;
  chainMemo: ProgramMemo;
  /** True when `missing` has a flag set (cleared at the next read). */
  anyMissing: boolean;
  /** The plain names' properties of the record being read, in `plainNames` order. */
  loaded: unknown[];
}

/** `read` status bits. */
const HAS_MISSING = 1;
const NEEDS_EXACT = 2;

const ABSENT: unique symbol = Symbol('absent fact');
/** A chain entry before the chain is built (an empty chain: no rule holds). */
const FALSE_ENTRY = -2;

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);
const isEnumerable = (o: object, key: string): boolean =>
  Object.prototype.propertyIsEnumerable.call(o, key);

/**
 * Compile a json-rules-engine rule set into a synchronous evaluator with json-rules-engine's
 * results: the same events in the same order, the same decision and the same per-condition
 * results. Throws a NeurulesError listing every rule and condition it cannot run exactly:
 * an UNSUPPORTED_* code (or AMBIGUOUS_CONDITION) for json-rules-engine features outside the supported subset (run those
 * rule sets with RuleEngine), INVALID_RULES for rule data json-rules-engine rejects too.
 *
 * @example
 * const compiled = compileRuleSet(ruleSet);
 * compiled.decide(record); // { class: 'good', ruleId: 'R03', ... }, as RuleEngine.decide
 * compiled.run(facts).events; // as (await new Engine(ruleSet.rules).run(facts)).events
 */
export function compileRuleSet(
  ruleSet: RuleSet | { rules: RuleProperties[] },
  options: CompileOptions = {},
): CompiledRules {
  return new CompiledRules(ruleSet, options);
}

/** {@link compileRuleSet} that returns the problems instead of throwing them. */
export function safeCompileRuleSet(
  ruleSet: RuleSet | { rules: RuleProperties[] },
  options: CompileOptions = {},
): { ok: true; value: CompiledRules } | { ok: false; issues: Issue[] } {
  try {
    return { ok: true, value: new CompiledRules(ruleSet, options) };
  } catch (e) {
    if (e instanceof NeurulesError) return { ok: false, issues: e.issues };
    throw e;
  }
}

/** A compiled rule set (see {@link compileRuleSet}). */
export class CompiledRules {
  /** The rule set as given (for a plain `{ rules }` object, that object). */
  readonly ruleSet: RuleSet;
  readonly allowUndefinedFacts: boolean;
  private readonly rules: CompiledRule[];
  /** Every rule on its own (for `run`, `trace` and groups whose order depends on the facts). */
  private readonly program: BranchProgram;
  /** Each fixed group's rules chained in finishing order (for `decide`). */
  private readonly chains: BranchProgram;
  private readonly groups: RuleGroup[];
  /** True when every rule is fixed (see {@link CompiledRule.fixed}). */
  private readonly fixed: boolean;
  private readonly factNames: string[];
  /** Ids of the facts whose names are not on `Object.prototype`, and of those that are. */
  private readonly plainNames: Int32Array;
  private readonly inheritedNames: Int32Array;
  /** Reads the plain names' properties of a record, in `plainNames` order (see {@link propertyLoader}). */
  private readonly loadPlain: (obj: Record<string, unknown>, out: unknown[]) => void;
  /** Per fact: some comparison converts it (see {@link LeafNode.risky}). */
  private readonly risky: Uint8Array;
  private scratch: Scratch | undefined;

  constructor(ruleSet: RuleSet | { rules: RuleProperties[] }, options: CompileOptions = {}) {
    // json-rules-engine options that would change results here are refused, not ignored.
    const other = options as Record<string, unknown>;
    if (other.replaceFactsInEventParams) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        'replaceFactsInEventParams is not supported by the compiled evaluator',
        { field: 'replaceFactsInEventParams' },
      );
    }
    const allow = options.allowUndefinedFacts;
    if (allow !== undefined && typeof allow !== 'boolean') {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `allowUndefinedFacts must be a boolean, found ${describeType(allow)}`,
        { field: 'allowUndefinedFacts' },
      );
    }
    this.allowUndefinedFacts = allow ?? false;
    const list = (ruleSet as { rules?: unknown } | null)?.rules;
    if (!Array.isArray(list)) {
      throw new NeurulesError(
        INVALID,
        `a rule set needs a 'rules' array, found ${describeType(list)}`,
        { field: 'rules' },
      );
    }
    this.ruleSet = ruleSet as RuleSet;
    const facts = new FactTable();
    const issues: Issue[] = [];
    const rules: CompiledRule[] = [];
    const program = new ProgramBuilder();
    list.forEach((props: unknown, index) => {
      const rule = compileRule(props, index, facts, issues, program);
      if (rule) rules.push(rule);
    });
    if (issues.length > 0) throw NeurulesError.fromIssues(issues);
    this.rules = rules;
    this.program = program.finish();
    this.groups = groupByPriority(rules);
    const chains = new ProgramBuilder();
    for (const g of this.groups)
      if (g.ordered) g.chain = chains.addChain(g.ordered.map((r) => r.root));
    this.chains = chains.finish();
    this.fixed = rules.every((r) => r.fixed);
    this.factNames = facts.names;
    const ids = facts.names.map((_, i) => i);
    this.plainNames = Int32Array.from(ids.filter((i) => !(facts.names[i]! in Object.prototype)));
    this.loadPlain = propertyLoader([...this.plainNames].map((i) => facts.names[i]!));
    this.inheritedNames = Int32Array.from(ids.filter((i) => facts.names[i]! in Object.prototype));
    const risky = new Uint8Array(facts.names.length);
    for (const r of rules) for (const l of r.leaves) if (l.risky) risky[l.fact] = 1;
    this.risky = risky;
  }

  /** Number of rules. */
  get size(): number {
    return this.rules.length;
  }

  /**
   * The events of the rules that fire for `facts`, in json-rules-engine's order: what
   * `(await new Engine(rules, options).run(facts)).events` holds. Event objects are frozen
   * and shared between runs.
   */
  run(facts: Facts | null | undefined): { events: Event[] } {
    const s = this.take();
    try {
      const exact = this.needsExact(this.read(facts, false, s), s);
      const events: Event[] = [];
      for (const g of this.groups) {
        if (!exact && g.ordered) {
          for (const r of g.ordered) {
            if (runProgram(this.program, s.values, s.memo, r.entry)) events.push(r.event);
          }
        } else {
          for (const r of this.firedInOrder(g, exact, s)) events.push(r.event);
        }
      }
      return { events };
    } finally {
      this.scratch = s;
    }
  }

  /**
   * The decision for one record: the first event of the highest priority, as
   * {@link RuleEngine.decide} returns it (the returned object is frozen and shared).
   * Missing values are `null` facts; a record without a fact a rule needs is MISSING_FEATURE
   * (unless `allowUndefinedFacts`); no rule firing is NO_RULE_FIRED.
   */
  decide(record: DataRecord): Decision {
    const s = this.take();
    try {
      const exact = this.needsExact(this.read(record, true, s), s);
      let winner: CompiledRule | undefined;
      if (exact) {
        winner = this.fired(s, true)[0];
      } else {
        for (const g of this.groups) {
          if (g.ordered) {
            const at = chainPosition(execute(this.chains, s.values, s.chainMemo, g.chain));
            winner = at >= 0 ? g.ordered[at] : undefined;
          } else {
            winner = this.firstFired(g, s);
          }
          if (winner) break;
        }
      }
      return this.decisionOf(this.orNone(winner));
    } finally {
      this.scratch = s;
    }
  }

  /**
   * The decision for one record with the deciding rule's comparisons as json-rules-engine
   * evaluated them (what {@link RuleEngine.trace} returns): each with the record's value and
   * whether it held; comparisons json-rules-engine skipped have `result: false` and no value.
   */
  trace(record: DataRecord): RuleTrace {
    const s = this.take();
    try {
      const exact = this.needsExact(this.read(record, true, s), s);
      const fired = this.fired(s, exact);
      const winner = this.orNone(fired[0]);
      const recorded = new Uint8Array(winner.leaves.length);
      s.evaluation.recorded = recorded;
      try {
        s.evaluation.rule(winner);
      } finally {
        s.evaluation.recorded = undefined;
      }
      const conditions = winner.leaves.map((l): ConditionResult => ({
        fact: l.factName,
        operator: l.operator,
        value: l.value,
        factValue: recorded[l.slot] === 0 ? undefined : s.values[l.fact],
        result: recorded[l.slot] === 2,
      }));
      return {
        decision: this.decisionOf(winner),
        conditions,
        fired: fired.map((r) => r.name as string),
      };
    } finally {
      this.scratch = s;
    }
  }

  /** Every fired rule, in json-rules-engine's order. */
  private fired(s: Scratch, exact: boolean): CompiledRule[] {
    const out: CompiledRule[] = [];
    for (const g of this.groups) {
      if (!exact && g.ordered) {
        for (const r of g.ordered)
          if (runProgram(this.program, s.values, s.memo, r.entry)) out.push(r);
      } else {
        for (const r of this.firedInOrder(g, exact, s)) out.push(r);
      }
    }
    return out;
  }

  /**
   * Evaluate every rule of a group and return those that fired in the order json-rules-engine
   * finishes them. `exact`: evaluate as json-rules-engine does, failing on undefined facts
   * and values that cannot be converted.
   */
  private firedInOrder(g: RuleGroup, exact: boolean, s: Scratch): CompiledRule[] {
    const fired: CompiledRule[] = [];
    for (const r of g.rules) {
      let passed: boolean;
      let ticks = r.ticks;
      if (exact) {
        const x = s.evaluation.rule(r);
        passed = (x & 1) === 1;
        ticks = x >> 1;
      } else {
        passed = runProgram(this.program, s.values, s.memo, r.entry);
        if (passed && !r.fixed) ticks = s.evaluation.rule(r) >> 1;
      }
      s.ticks[r.index] = ticks;
      if (passed) fired.push(r);
    }
    // Array.prototype.sort is stable: equal tick counts keep rule order.
    return fired.sort((a, b) => s.ticks[a.index]! - s.ticks[b.index]!);
  }

  /** The first rule of a group to finish among those that fire (facts already checked). */
  private firstFired(g: RuleGroup, s: Scratch): CompiledRule | undefined {
    let best: CompiledRule | undefined;
    let bestTicks = Infinity;
    for (const r of g.rules) {
      if (!runProgram(this.program, s.values, s.memo, r.entry)) continue;
      const ticks = r.fixed ? r.ticks : s.evaluation.rule(r) >> 1;
      if (ticks < bestTicks) {
        best = r;
        bestTicks = ticks;
      }
    }
    return best;
  }

  private orNone(rule: CompiledRule | undefined): CompiledRule {
    if (rule) return rule;
    const model = (this.ruleSet as { model?: unknown }).model;
    throw new NeurulesError(
      'NO_RULE_FIRED',
      typeof model === 'string'
        ? `no rule of model '${model}' matched the record` // RuleEngine's wording
        : 'no rule matched the record',
    );
  }

  private decisionOf(rule: CompiledRule): Decision {
    if (rule.decision) return rule.decision;
    throw new NeurulesError(
      INVALID,
      `${ruleLabel(rule.name, rule.index)} fired but its event has no params to decide with`,
      { field: `rules[${rule.index}].event.params` },
    );
  }

  /**
   * Whether the facts need json-rules-engine's full evaluation order (to find out whether it
   * fails) rather than the short-circuiting fast path. Throws when the answer is certain.
   */
  private needsExact(status: number, s: Scratch): boolean {
    if ((status & HAS_MISSING) !== 0 && !this.allowUndefinedFacts) {
      // With every condition always evaluated, any undefined fact fails the run.
      if (this.fixed) throw this.missingFacts(s);
      return true;
    }
    return (status & NEEDS_EXACT) !== 0;
  }

  private missingFacts(s: Scratch): NeurulesError {
    const issues: Issue[] = [];
    this.factNames.forEach((name, i) => {
      if (s.missing[i] === 1) issues.push(missingFactIssue(name));
    });
    return NeurulesError.fromIssues(issues);
  }

  /**
   * Read the facts the rules use into `s.values` (`s.missing` marks undefined facts).
   * `spread`: the facts are `{ ...record }` as RuleEngine passes them (own enumerable
   * properties); otherwise json-rules-engine's `for…in` over the object itself.
   */
  private read(facts: unknown, spread: boolean, s: Scratch): number {
    nextRecord(s.memo);
    nextRecord(s.chainMemo);
    if (s.anyMissing) {
      s.missing.fill(0);
      s.anyMissing = false;
    }
    const names = this.factNames;
    if (facts === null || facts === undefined) {
      let status = 0;
      for (let i = 0; i < names.length; i++) status |= this.absent(i, s);
      return status;
    }
    if (typeof facts !== 'object') {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `facts must be an object, found ${describeType(facts)}`,
      );
    }
    const obj = facts as Record<string, unknown>;
    const proto: unknown = Object.getPrototypeOf(obj);
    const plain = proto === Object.prototype || proto === null;
    // json-rules-engine's Fact constructor throws 'factId required' for a fact named ''.
    // (The cheap checks first: an own '' or one on Object.prototype, else `in` for others.)
    const maybeEmpty = plain
      ? hasOwn(obj, '') || hasOwn(Object.prototype, '')
      : '' in obj || hasOwn(Object.prototype, '');
    if (maybeEmpty && lookupFact(obj, '', spread) !== ABSENT) {
      throw new NeurulesError('INVALID_ARGUMENT', 'a fact name must not be empty', {
        field: '',
      });
    }
    let status = 0;
    if (plain) {
      // A plain object's property is the fact, unless it is undefined (then it may be absent)
      // or the name is also on Object.prototype (then it may be inherited). Not checked, for
      // speed: that the property is enumerable (data from JSON, CSV, literals and spreads
      // always is; an own property hidden with defineProperty would count as a fact here).
      const { values, loaded } = s;
      const plainNames = this.plainNames;
      this.loadPlain(obj, loaded);
      for (let j = 0; j < plainNames.length; j++) {
        const i = plainNames[j]!;
        const v = loaded[j];
        if (v === undefined) {
          status |= this.lookUp(obj, i, spread, s);
        } else {
          values[i] = v;
          if (
            typeof v === 'object' ? v !== null : typeof v === 'function' || typeof v === 'symbol'
          ) {
            status |= this.checkValue(v, i);
          }
        }
      }
      for (let j = 0; j < this.inheritedNames.length; j++) {
        status |= this.lookUp(obj, this.inheritedNames[j]!, spread, s);
      }
    } else {
      for (let i = 0; i < names.length; i++) status |= this.lookUp(obj, i, spread, s);
    }
    return status;
  }

  /** Read fact `i` the slow, exact way (see {@link lookupFact}). */
  private lookUp(obj: Record<string, unknown>, i: number, spread: boolean, s: Scratch): number {
    const v = lookupFact(obj, this.factNames[i]!, spread);
    if (v === ABSENT) return this.absent(i, s);
    s.values[i] = v;
    const special =
      typeof v === 'object' ? v !== null : typeof v === 'function' || typeof v === 'symbol';
    return special ? this.checkValue(v, i) : 0;
  }

  /** Fact `i` is not defined. */
  private absent(i: number, s: Scratch): number {
    s.values[i] = undefined;
    s.missing[i] = 1;
    s.anyMissing = true;
    return HAS_MISSING;
  }

  /** Refuse values json-rules-engine would treat as code; flag values a test may fail on. */
  private checkValue(v: unknown, i: number): number {
    const name = this.factNames[i]!;
    if (typeof v === 'function') {
      throw new NeurulesError(
        'WRONG_TYPE',
        `fact ${JSON.stringify(name)} is a function: dynamic facts are not supported by the compiled evaluator`,
        { field: name },
      );
    }
    if (
      typeof v === 'object' &&
      (isInstance(v, 'Fact') || typeof (v as { then?: unknown }).then === 'function')
    ) {
      throw new NeurulesError(
        'WRONG_TYPE',
        `fact ${JSON.stringify(name)} is a ${isInstance(v, 'Fact') ? 'json-rules-engine Fact' : 'promise'}: only plain values are supported by the compiled evaluator`,
        { field: name },
      );
    }
    return this.risky[i] === 1 ? NEEDS_EXACT : 0;
  }

  private take(): Scratch {
    const s = this.scratch;
    if (s) {
      this.scratch = undefined; // re-entrant calls get their own
      return s;
    }
    const values: FactValues = new Array<unknown>(this.factNames.length).fill(undefined);
    const missing = new Uint8Array(this.factNames.length);
    return {
      values,
      missing,
      ticks: new Float64Array(this.rules.length),
      evaluation: new Evaluation(values, missing, this.allowUndefinedFacts),
      memo: createMemo(this.program),
      chainMemo: createMemo(this.chains),
      anyMissing: false,
      loaded: new Array<unknown>(this.plainNames.length).fill(undefined),
    };
  }
}

/**
 * json-rules-engine's evaluation of one rule: which conditions it evaluates (priority sets,
 * no short-circuit within a set), its result, and its duration in microtask ticks. Results
 * are packed as `ticks * 2 + (passed ? 1 : 0)` so that nothing is allocated.
 */
class Evaluation {
  /** When set: per comparison slot, 0 = not evaluated, 1 = false, 2 = true. */
  recorded: Uint8Array | undefined;
  private current: CompiledRule | undefined;

  constructor(
    private readonly values: FactValues,
    private readonly missing: Uint8Array,
    private readonly allowUndefined: boolean,
  ) {}

  /** `Rule.evaluate`: the root's `all`/`any`/`not` (the root itself records no result). */
  rule(r: CompiledRule): number {
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
      throw new NeurulesError(issue.code, issue.message, { field: n.factName });
    }
    let passed: boolean;
    if (n.risky) {
      try {
        passed = n.test(this.values);
      } catch (e) {
        throw new NeurulesError(
          'WRONG_TYPE',
          `${ruleLabel(this.current?.name, this.current?.index ?? 0)}: fact ${JSON.stringify(n.factName)} cannot be compared with '${n.operator}' (${(e as Error).message})`,
          { field: n.factName },
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

function missingFactIssue(name: string, rule?: CompiledRule): Issue {
  const by = rule ? `, which ${ruleLabel(rule.name, rule.index)} reads` : '';
  return {
    code: 'MISSING_FEATURE',
    message: `the record has no fact ${JSON.stringify(name)}${by} (pass null for a missing value)`,
    field: name,
  };
}

/**
 * A fact as json-rules-engine sees it, or ABSENT. `spread`: in `{ ...facts }` (own
 * enumerable properties, then Object.prototype's enumerable ones); otherwise in `for…in`
 * over `facts` (own enumerable properties, else the first object up the prototype chain
 * that has the name, if that property is enumerable).
 */
function lookupFact(obj: Record<string, unknown>, name: string, spread: boolean): unknown {
  if (hasOwn(obj, name)) {
    if (isEnumerable(obj, name)) return obj[name];
    if (!spread) return ABSENT;
  } else if (!spread) {
    for (let o: unknown = Object.getPrototypeOf(obj); o !== null; o = Object.getPrototypeOf(o)) {
      if (hasOwn(o as object, name)) return isEnumerable(o as object, name) ? obj[name] : ABSENT;
    }
    return ABSENT;
  }
  const root = Object.prototype as Record<string, unknown>;
  return isEnumerable(root, name) ? root[name] : ABSENT;
}

function ruleLabel(name: unknown, index: number): string {
  return typeof name === 'string' || typeof name === 'number'
    ? `rule ${JSON.stringify(name)} (rules[${index}])`
    : `rule rules[${index}]`;
}

/** Compile one rule, adding an issue for every problem; undefined when there were any. */
function compileRule(
  props: unknown,
  index: number,
  facts: FactTable,
  issues: Issue[],
  program: ProgramBuilder,
): CompiledRule | undefined {
  const at = `rules[${index}]`;
  const before = issues.length;
  const problem = (code: ErrorCode, field: string, what: string, label: string): void => {
    issues.push({ code, message: `${label}: ${what}`, field });
  };
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    problem(INVALID, at, `expected a rule object, found ${describeType(props)}`, `rule ${at}`);
    return undefined;
  }
  const p = props as Record<string, unknown>;
  // json-rules-engine keeps any truthy name, and 0.
  const named = Boolean(p.name) || p.name === 0;
  const label = ruleLabel(named ? p.name : undefined, index);
  if (isInstance(props, 'Rule')) {
    problem(
      'UNSUPPORTED_RULE_OBJECT',
      at,
      'expected rule data, found a json-rules-engine Rule object',
      label,
    );
    return undefined;
  }
  for (const key of ['event', 'conditions']) {
    if (!hasOwn(p, key)) problem(INVALID, at, `a rule needs '${key}'`, label);
  }
  for (const key of ['onSuccess', 'onFailure']) {
    if (p[key])
      problem(
        'UNSUPPORTED_CALLBACK',
        `${at}.${key}`,
        `'${key}' callbacks are not supported`,
        label,
      );
  }
  const nameIssues: string[] = [];
  const name = named ? copyData(p.name, nameIssues, true, 'name') : undefined;
  for (const m of nameIssues) problem('UNSUPPORTED_DATA', `${at}.name`, m, label);

  // Rule: `parseInt(options.priority || 1, 10)`, refused when <= 0.
  const rawPriority = p.priority || 1;
  let priority = 1;
  if (!['number', 'string', 'boolean'].includes(typeof rawPriority)) {
    problem(
      'UNSUPPORTED_PRIORITY',
      `${at}.priority`,
      `priority must be a number, found ${describeType(rawPriority)}`,
      label,
    );
  } else {
    priority = Number.parseInt(rawPriority as string, 10);
    if (priority <= 0)
      problem(INVALID, `${at}.priority`, 'priority must be greater than zero', label);
  }

  if (hasOwn(p, 'conditions') && !p.conditions) {
    problem(
      INVALID,
      `${at}.conditions`,
      `conditions must be a condition object, found ${describeType(p.conditions)}`,
      label,
    );
  }
  const compiled = p.conditions
    ? compileConditions(
        p.conditions,
        { rule: label, path: `${at}.conditions` },
        facts,
        issues,
        INVALID,
      )
    : undefined;
  // Rule.setEvent: `options.event || { type: 'unknown' }`, which must have a `type`; only
  // `type` and truthy `params` are kept.
  const rawEvent = (p.event || { type: 'unknown' }) as unknown;
  let event: Event | undefined;
  let decision: Decision | undefined;
  if (typeof rawEvent !== 'object' || rawEvent === null || !hasOwn(rawEvent, 'type')) {
    problem(INVALID, `${at}.event`, "the event needs a 'type'", label);
  } else {
    const e = rawEvent as Record<string, unknown>;
    const eventIssues: string[] = [];
    const type = copyData(e.type, eventIssues, true, 'event.type');
    const params = e.params ? copyData(e.params, eventIssues, true, 'event.params') : undefined;
    for (const m of eventIssues) problem('UNSUPPORTED_DATA', `${at}.event`, m, label);
    event = Object.freeze(
      params === undefined
        ? { type: type as string }
        : { type: type as string, params: params as Record<string, unknown> },
    );
    if (params !== null && typeof params === 'object' && !Array.isArray(params)) {
      const d = params as Record<string, unknown>;
      decision = Object.freeze({
        class: d.class,
        ruleId: d.ruleId,
        probabilities: d.probabilities,
        support: d.support,
        source: d.source,
      }) as Decision;
    }
  }

  if (issues.length > before || !compiled || !event) return undefined;
  const fixed = isFixed(compiled.root);
  return {
    index,
    name,
    priority,
    event,
    decision,
    root: compiled.root,
    entry: program.add(compiled.root),
    leaves: compiled.leaves,
    fixed,
    ticks: fixed ? rootTicks(compiled.root) : 0,
  };
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
function groupByPriority(rules: CompiledRule[]): RuleGroup[] {
  const byKey: Record<string, CompiledRule[]> = Object.create(null) as Record<
    string,
    CompiledRule[]
  >;
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
 * Whether `v` is an instance of json-rules-engine's `Fact` or `Rule`. Plain data (a plain
 * object, an array, a primitive) never is, so json-rules-engine is loaded only to check a
 * value that is an instance of some class: compiling and running plain rule data does not
 * load it.
 */
function isInstance(v: unknown, name: 'Fact' | 'Rule'): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto === Object.prototype || proto === null) return false;
  const jre = require('json-rules-engine') as typeof import('json-rules-engine');
  return v instanceof jre[name];
}

/**
 * A function that reads `names` from an object into `out`, one property access per name
 * written out in its own statement: each access then sees one shape of record (the
 * records of one schema share it) and V8 caches it, where one `obj[name]` in a loop over
 * many names is megamorphic. The same property gets as `obj[name]`, in the same order.
 */
function propertyLoader(
  names: readonly string[],
): (obj: Record<string, unknown>, out: unknown[]) => void {
  const body = names.map((name, j) => `out[${j}] = obj[${JSON.stringify(name)}];`).join('\n');
  return new Function('obj', 'out', body) as (obj: Record<string, unknown>, out: unknown[]) => void;
}
