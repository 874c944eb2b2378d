/**
 * Compiling one json-rules-engine rule for the compiled evaluator, and checking it: every
 * problem of the rule is collected as an issue naming the rule and the place in it, so a
 * rule set is refused with all its problems at once.
 *
 * Not supported, refused with the rule and condition named: custom operators, operator
 * decorators (`not:equal`, `everyFact:…`), fact-to-fact comparisons, `path`, `params`,
 * condition references, `onSuccess`/`onFailure`, non-integer condition priorities, values
 * that are not plain data. Rule data json-rules-engine rejects too (at load or when the
 * condition is evaluated) is INVALID_RULES.
 *
 * What is kept is what json-rules-engine's `Rule` keeps: its `parseInt` of the priority,
 * the event as `Rule.setEvent` takes it, and the name as it reports it.
 */
import type { Event } from 'json-rules-engine';
import { placeAt, type ErrorCode, type Issue, type IssuePath } from '../errors';
import type { ProgramBuilder } from './branch-program';
import {
  compileConditions,
  copyData,
  describeType,
  hasOwn,
  ruleLabel,
  type FactTable,
  type LeafNode,
} from './compile-conditions';
import { ruleTiming, type OrderedRule } from './rule-order';
import type { Decision } from './types';

/**
 * The code of rule data json-rules-engine rejects too (at load or when the condition is
 * evaluated), as opposed to the UNSUPPORTED_* codes: refusals of what json-rules-engine runs
 * but the compiled evaluator does not (callers may fall back to json-rules-engine).
 */
export const INVALID: ErrorCode = 'INVALID_RULES';

/** One compiled rule. */
export interface CompiledRule extends OrderedRule {
  /** The event, frozen. */
  event: Event;
  /** The decision of a neurules rule (undefined when the event has no params object). */
  decision: Decision | undefined;
  /** Where the rule starts in the rule set's branch program. */
  entry: number;
  /** The rule's comparisons in rule order. */
  leaves: LeafNode[];
}

/** Compile one rule, adding an issue for every problem; undefined when there were any. */
export function compileRule(
  props: unknown,
  index: number,
  facts: FactTable,
  issues: Issue[],
  program: ProgramBuilder,
): CompiledRule | undefined {
  const at: IssuePath = ['rules', index];
  const before = issues.length;
  const problem = (code: ErrorCode, path: IssuePath, what: string, label: string): void => {
    issues.push({ code, message: `${label}: ${what}`, ...placeAt(path) });
  };
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    problem(
      INVALID,
      at,
      `expected a rule object, found ${describeType(props)}`,
      ruleLabel(undefined, index),
    );
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
      problem('UNSUPPORTED_CALLBACK', [...at, key], `'${key}' callbacks are not supported`, label);
  }
  const nameIssues: string[] = [];
  const name = named ? copyData(p.name, nameIssues, true, 'name') : undefined;
  for (const m of nameIssues) problem('UNSUPPORTED_DATA', [...at, 'name'], m, label);

  // Rule: `parseInt(options.priority || 1, 10)`, refused when <= 0.
  const rawPriority = p.priority || 1;
  let priority = 1;
  if (!['number', 'string', 'boolean'].includes(typeof rawPriority)) {
    problem(
      'UNSUPPORTED_PRIORITY',
      [...at, 'priority'],
      `priority must be a number, found ${describeType(rawPriority)}`,
      label,
    );
  } else {
    priority = Number.parseInt(rawPriority as string, 10);
    if (priority <= 0)
      problem(INVALID, [...at, 'priority'], 'priority must be greater than zero', label);
  }

  if (hasOwn(p, 'conditions') && !p.conditions) {
    problem(
      INVALID,
      [...at, 'conditions'],
      `conditions must be a condition object, found ${describeType(p.conditions)}`,
      label,
    );
  }
  const compiled = p.conditions
    ? compileConditions(
        p.conditions,
        { rule: label, path: [...at, 'conditions'] },
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
    problem(INVALID, [...at, 'event'], "the event needs a 'type'", label);
  } else {
    const e = rawEvent as Record<string, unknown>;
    const eventIssues: string[] = [];
    const type = copyData(e.type, eventIssues, true, 'event.type');
    const params = e.params ? copyData(e.params, eventIssues, true, 'event.params') : undefined;
    for (const m of eventIssues) problem('UNSUPPORTED_DATA', [...at, 'event'], m, label);
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
  return {
    index,
    name,
    priority,
    event,
    decision,
    root: compiled.root,
    entry: program.add(compiled.root),
    leaves: compiled.leaves,
    ...ruleTiming(compiled.root),
  };
}

/**
 * Whether `v` is an instance of json-rules-engine's `Fact` or `Rule`. Plain data (a plain
 * object, an array, a primitive) never is, so json-rules-engine is loaded only to check a
 * value that is an instance of some class: compiling and running plain rule data does not
 * load it.
 */
export function isInstance(v: unknown, name: 'Fact' | 'Rule'): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto === Object.prototype || proto === null) return false;
  const jre = require('json-rules-engine') as typeof import('json-rules-engine');
  return v instanceof jre[name];
}
