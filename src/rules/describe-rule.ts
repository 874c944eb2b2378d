import type { NestedCondition, TopLevelCondition } from 'json-rules-engine';
import type { NeurulesRule } from './types';

const SYMBOLS: Record<string, string> = {
  equal: '=',
  notEqual: '≠',
  lessThan: '<',
  lessThanInclusive: '<=',
  greaterThan: '>',
  greaterThanInclusive: '>=',
  contains: 'contains',
  doesNotContain: 'does not contain',
};

type AnyCondition = TopLevelCondition | NestedCondition;

/** A value as it reads in a sentence: strings quoted, numbers to 6 significant digits. */
export function formatValue(v: unknown): string {
  if (typeof v === 'number') return String(Number(v.toPrecision(6)));
  if (typeof v === 'string') return `'${v}'`;
  if (v === null || v === undefined) return 'missing';
  return JSON.stringify(v);
}

/** How to word the `or missing` parts of a condition. */
export interface DescribeOptions {
  /** `false` drops "(or missing)" alternatives, e.g. when explaining a complete record. @defaultValue true */
  missing?: boolean;
}

/** One comparison in words, e.g. `duration > 22.5` or `job is one of 'clerk', 'chef'`. */
export function describeComparison(
  fact: string,
  operator: string,
  value: unknown,
  options: DescribeOptions = {},
): string {
  const orMissing = options.missing === false ? '' : ' (or missing)';
  if (operator === 'in' || operator === 'notIn') {
    const list = Array.isArray(value) ? value : [value];
    const levels = list.filter((v) => v !== null);
    const hasNull = list.length !== levels.length;
    const names = levels.map(formatValue).join(', ');
    if (operator === 'in') {
      const base = levels.length === 1 ? `${fact} is ${names}` : `${fact} is one of ${names}`;
      if (levels.length === 0) return hasNull ? `${fact} is missing` : `${fact} is nothing`;
      return hasNull ? base + orMissing : base;
    }
    if (levels.length === 0) return hasNull ? `${fact} is not missing` : `${fact} is anything`;
    const base = levels.length === 1 ? `${fact} is not ${names}` : `${fact} is not one of ${names}`;
    return hasNull ? base : base + orMissing;
  }
  if (operator === 'equal' && value === null) return `${fact} is missing`;
  if (operator === 'notEqual' && value === null) return `${fact} is not missing`;
  return `${fact} ${SYMBOLS[operator] ?? operator} ${formatValue(value)}`;
}

/** A condition tree in words; `all` joins with "and", `any` with "or". */
export function describeCondition(c: AnyCondition, options: DescribeOptions = {}): string {
  if ('all' in c && Array.isArray(c.all)) {
    if (c.all.length === 0) return 'always';
    return c.all.map((x) => wrap(x, 'all', options)).join(' and ');
  }
  if ('any' in c && Array.isArray(c.any)) {
    const interval = readInterval(c.any, options);
    if (interval) return interval;
    return c.any.map((x) => wrap(x, 'any', options)).join(' or ');
  }
  if ('not' in c && c.not) return `not (${describeCondition(c.not, options)})`;
  if ('condition' in c && typeof c.condition === 'string') return `condition '${c.condition}'`;
  const leaf = c as { fact: string; operator: string; value: unknown };
  return describeComparison(leaf.fact, leaf.operator, leaf.value, options);
}

/** `range or fact is missing`, as neurules writes it, reads as `22.5 < x <= 40 (or missing)`. */
function readInterval(any: NestedCondition[], options: DescribeOptions): string | undefined {
  if (any.length !== 2) return undefined;
  const [range, missing] = any as [AnyCondition, AnyCondition];
  if (!('fact' in missing) || missing.operator !== 'equal' || missing.value !== null)
    return undefined;
  const text = describeCondition(range, options);
  return options.missing === false ? text : `${text} (or missing)`;
}

function wrap(c: AnyCondition, parent: 'all' | 'any', options: DescribeOptions): string {
  const text = describeCondition(c, options);
  const interval = 'any' in c && Array.isArray(c.any) && readInterval(c.any, options) !== undefined;
  const nested = ('any' in c && parent === 'all' && !interval) || ('all' in c && parent === 'any');
  return nested ? `(${text})` : text;
}

/** The rule as one sentence: `checking_status is '<0' and duration > 22.5 → bad`. */
export function describeRule(rule: NeurulesRule, options: DescribeOptions = {}): string {
  return `${describeCondition(rule.conditions, options)} → ${rule.event.params.class}`;
}

/** Number of comparisons in a rule, not counting the `is missing` alternatives. */
export function countConditions(c: AnyCondition): number {
  if ('all' in c && Array.isArray(c.all)) return c.all.reduce((s, x) => s + countConditions(x), 0);
  if ('any' in c && Array.isArray(c.any)) return c.any.reduce((s, x) => s + countConditions(x), 0);
  if ('not' in c && c.not) return countConditions(c.not);
  if ('fact' in c && c.operator === 'equal' && c.value === null) return 0;
  return 1;
}
