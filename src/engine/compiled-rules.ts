/**
 * The compiled evaluator at run time: a json-rules-engine rule set turned, once, into data —
 * a branching program run by one small interpreter (src/engine/branch-program.ts) for the
 * decision, and a tree of per-comparison closures that replays json-rules-engine's
 * evaluation order for traces and for records where that order matters — deciding
 * synchronously with json-rules-engine's exact results. Each rule is compiled and checked
 * by src/engine/compile-rule.ts; the order json-rules-engine gives events in is modelled by
 * src/engine/rule-order.ts. This module reads the facts of a record and runs the rules.
 *
 * What "exact" covers here (json-rules-engine 7.3, read from its source and checked by
 * differential property tests in test/engine/compiled-rules.test.ts), besides the order:
 *
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
 * Refused when deciding: facts that are functions (dynamic facts), promises or
 * json-rules-engine `Fact` objects.
 *
 * Nothing from a rule file is turned into code: operators and values stay data. Fact names
 * are written, quoted by `JSON.stringify`, into one generated function that reads them from
 * a record (see src/engine/property-loader.ts for what it is and why it is safe).
 */
import type { Event, RuleProperties } from 'json-rules-engine';
import type { DataRecord } from '../data/types';
import { NeurulesError, placeAt, type Issue, type Result } from '../errors';
import type { RuleSet } from '../rules/types';
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
import { compileRule, INVALID, isInstance, type CompiledRule } from './compile-rule';
import { describeType, FactTable, hasOwn, ruleLabel, type FactValues } from './compile-conditions';
import { propertyLoader } from './property-loader';
import { Evaluation, groupByPriority, missingFactIssue, type RuleGroup } from './rule-order';
import type { ConditionResult, Decision, RuleTrace } from './types';

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
): Result<CompiledRules> {
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
  private readonly groups: RuleGroup<CompiledRule>[];
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
        placeAt(['rules']),
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
  private firedInOrder(g: RuleGroup<CompiledRule>, exact: boolean, s: Scratch): CompiledRule[] {
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
  private firstFired(g: RuleGroup<CompiledRule>, s: Scratch): CompiledRule | undefined {
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
      placeAt(['rules', rule.index, 'event', 'params']),
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
      throw new NeurulesError('INVALID_ARGUMENT', 'a fact name must not be empty', placeAt(['']));
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
        placeAt([name]),
      );
    }
    if (
      typeof v === 'object' &&
      (isInstance(v, 'Fact') || typeof (v as { then?: unknown }).then === 'function')
    ) {
      throw new NeurulesError(
        'WRONG_TYPE',
        `fact ${JSON.stringify(name)} is a ${isInstance(v, 'Fact') ? 'json-rules-engine Fact' : 'promise'}: only plain values are supported by the compiled evaluator`,
        placeAt([name]),
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
