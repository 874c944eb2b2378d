/**
 * The operators an override's condition may write, and their readable aliases. No imports:
 * the parser checks conditions with this table, and the studio page bundles it to know
 * what value each operator takes.
 */

/**
 * The keys an override's maps may hold, by where the map is: an override (a list item of
 * the file), its `then`, one of its examples. The parser, its plain-words syntax problems,
 * the decision table and the quick fixes all read this one list.
 */
export const OVERRIDE_KEYS = {
  override: ['id', 'description', 'when', 'then', 'priority', 'reason', 'owner', 'examples'],
  then: ['class'],
  example: ['input', 'expect'],
} as const;

/** Operator names and their readable aliases → json-rules-engine operators. */
export const OVERRIDE_OPERATORS: Readonly<Record<string, string>> = {
  equal: 'equal',
  '=': 'equal',
  notEqual: 'notEqual',
  '!=': 'notEqual',
  lessThan: 'lessThan',
  '<': 'lessThan',
  lessThanInclusive: 'lessThanInclusive',
  '<=': 'lessThanInclusive',
  greaterThan: 'greaterThan',
  '>': 'greaterThan',
  greaterThanInclusive: 'greaterThanInclusive',
  '>=': 'greaterThanInclusive',
  in: 'in',
  notIn: 'notIn',
  'not in': 'notIn',
  between: 'between',
};

/** The operators that compare numbers: a categorical feature has no order. */
export const NUMERIC_ONLY: ReadonlySet<string> = new Set([
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'between',
]);

/**
 * The operators an override may write for each type of feature (names and their aliases),
 * for editors' completion: every one for a numeric feature; a categorical feature has no
 * order, so no comparison or `between`.
 */
export function overrideOperators(): { numeric: string[]; categorical: string[] } {
  const names = Object.keys(OVERRIDE_OPERATORS);
  return {
    numeric: names,
    categorical: names.filter((n) => !NUMERIC_ONLY.has(OVERRIDE_OPERATORS[n]!)),
  };
}

/**
 * What value an operator (a name or an alias) takes: a list (`in`, `notIn`, `not in`), two
 * bounds (`between`), or one value (the others, and a name that is no operator).
 */
export function operatorValue(name: string): 'list' | 'bounds' | 'one' {
  const operator = Object.prototype.hasOwnProperty.call(OVERRIDE_OPERATORS, name)
    ? OVERRIDE_OPERATORS[name]
    : '';
  return operator === 'in' || operator === 'notIn'
    ? 'list'
    : operator === 'between'
      ? 'bounds'
      : 'one';
}
