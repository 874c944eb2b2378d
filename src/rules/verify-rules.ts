import type { Feature, Schema } from '../data/types';
import { didYouMean, NeurulesError, type ErrorCode, type Issue } from '../errors';
import { DECISION_EVENT, type RuleSet } from './types';

/** Operators comparing a number with a threshold (json-rules-engine's numeric operators). */
const COMPARISONS = new Set([
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
]);
/** Operators comparing a value with one value (`equal`) or a list (`in`), for any feature. */
const SCALAR_OPERATORS = new Set(['equal', 'notEqual']);
const LIST_OPERATORS = new Set(['in', 'notIn']);

const NUMERIC_OPERATORS = [...COMPARISONS, ...SCALAR_OPERATORS, ...LIST_OPERATORS];
const CATEGORICAL_OPERATORS = [...SCALAR_OPERATORS, ...LIST_OPERATORS];

/**
 * Deeper condition trees are refused rather than walked: compiled trees nest two levels,
 * and a hostile file must not exhaust the stack.
 */
const MAX_DEPTH = 64;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const show = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v); // JSON would say null
  const text = JSON.stringify(v);
  return text === undefined ? typeof v : text.length > 80 ? text.slice(0, 77) + '...' : text;
};

/** What one call checks against, built once per call. */
interface Context {
  features: Map<string, Feature>;
  /** The levels of each categorical feature (a Set: rules list many levels). */
  levels: Map<string, Set<string>>;
  names: string[];
  classes: Set<string>;
  issues: Issue[];
  file: string | undefined;
  /** The rule being checked (-1 outside rules) and its name, if it has a usable one. */
  rule: number;
  ruleName: string | undefined;
  /**
   * The path inside the rule of the node being checked, as segments (` conditions`, `.all`,
   * 1 for `[1]`, ...), formatted only when an issue is reported: building a path string for
   * every condition would cost more than the checks themselves.
   */
  path: (string | number)[];
}

/**
 * Check a distilled rule set against its model's schema, collecting every problem:
 *
 * - `RULE_UNKNOWN_CLASS`: a rule's `event.params.class` is not one of `schema.classes`, or
 *   the rule set's `classes` differ from the schema's (names, count or order);
 * - `RULE_UNKNOWN_FACT`: a condition's `fact` is not a feature of the schema (with the
 *   nearest feature name suggested);
 * - `RULE_INVALID_CONDITION`: a condition node that is not exactly one of `all` (array),
 *   `any` (array), `not` (object) or a comparison (`fact`, `operator`, `value`); a
 *   comparison that reads a `path`, passes `params` or refers to a named `condition`; an
 *   operator that is not valid for the feature's type (numeric: `lessThan`,
 *   `lessThanInclusive`, `greaterThan`, `greaterThanInclusive`, `equal`, `notEqual`, `in`,
 *   `notIn`; categorical: `equal`, `notEqual`, `in`, `notIn`); a value of the wrong kind (a
 *   threshold that is not a finite number; for `equal`/`notEqual` a value that is not a
 *   finite number (numeric) or a level (categorical), or `null` for "missing"; for
 *   `in`/`notIn` a value that is not an array of those); a top-level `conditions` that is a
 *   bare comparison (json-rules-engine refuses it); nesting deeper than 64;
 * - `INVALID_ARTIFACT`, where nothing more specific fits: `rules` is not a non-empty
 *   array, a rule is not an object, has no non-empty string `name`, shares its name with
 *   an earlier rule, has a priority that is not a positive number, or an event that is not
 *   `{ type: 'neurules.decision', params: { ruleId, class } }` with `ruleId` equal to the
 *   rule's name; the rule set's `target` differs from the schema's.
 *
 * These are exactly the conditions compiled trees are made of and the region analysis
 * (src/regions/) handles, so a rule set without issues can be analysed there.
 *
 * Each issue's `field` is the path to the offending part of the rule set file:
 * `rules[I] (rule 'NAME') PATH`, where `I` is the rule's 0-based index in `rules`, `NAME`
 * its name (the ` (rule 'NAME')` part left out when it has none) and `PATH` a dotted path
 * inside the rule with 0-based array indices, e.g.
 * `rules[3] (rule 'R04') conditions.all[1].any[0].value`,
 * `rules[3] (rule 'R04') conditions.all[2].value[1]` (one element of an `in` list),
 * `rules[3] (rule 'R04') conditions.all[0].fact`, `rules[0] (rule 'R01') event.params.class`.
 * Rule set level problems have `classes`, `target` or `rules` as the field. `file`, when
 * given, is set on every issue.
 *
 * Runs on every model open: one pass over the rules, no allocation per condition beyond
 * the paths of issues found.
 *
 * @example
 * const issues = verifyRuleSet(ruleSet, schema, 'rules/german-credit/distilled.rules.json');
 * // [] for a rule set compiled from a tree of the schema
 */
export function verifyRuleSet(ruleSet: RuleSet, schema: Schema, file?: string): Issue[] {
  const ctx: Context = {
    features: new Map(schema.features.map((f) => [f.name, f])),
    levels: new Map(
      schema.features.map((f) => [f.name, new Set(f.type === 'categorical' ? f.levels : [])]),
    ),
    names: schema.features.map((f) => f.name),
    classes: new Set(schema.classes),
    issues: [],
    file,
    rule: -1,
    ruleName: undefined,
    path: [],
  };
  const set = ruleSet as unknown as Json;
  checkClasses(set['classes'], schema, ctx);
  if (set['target'] !== schema.target) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      'target',
      `expected the rules to decide the schema's target '${schema.target}', found ${show(set['target'])}`,
    );
  }
  const rules = set['rules'];
  if (!Array.isArray(rules) || rules.length === 0) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      'rules',
      `expected a non-empty 'rules' array, found ${show(rules)}`,
    );
    return ctx.issues;
  }
  const seen = new Map<string, number>();
  rules.forEach((rule: unknown, i) => checkRule(rule, i, seen, ctx));
  return ctx.issues;
}

/**
 * {@link verifyRuleSet} that throws: one NeurulesError carrying every issue (the first
 * gives its code and place).
 *
 * @throws NeurulesError `RULE_UNKNOWN_CLASS`, `RULE_UNKNOWN_FACT`, `RULE_INVALID_CONDITION`
 *   or `INVALID_ARTIFACT`, as {@link verifyRuleSet} lists them
 */
export function checkRuleSet(ruleSet: RuleSet, schema: Schema, file?: string): void {
  const issues = verifyRuleSet(ruleSet, schema, file);
  if (issues.length) throw NeurulesError.fromIssues(issues);
}

/** Report an issue at the current path plus `suffix` (a rule set level issue: no path). */
function report(ctx: Context, code: ErrorCode, suffix: string, message: string): void {
  let field = '';
  if (ctx.rule >= 0) {
    field = `rules[${ctx.rule}]`;
    if (ctx.ruleName !== undefined) field += ` (rule '${ctx.ruleName}')`;
  }
  for (const segment of ctx.path) field += typeof segment === 'number' ? `[${segment}]` : segment;
  field += suffix;
  ctx.issues.push(
    ctx.file === undefined ? { code, message, field } : { code, message, field, file: ctx.file },
  );
}

function checkClasses(classes: unknown, schema: Schema, ctx: Context): void {
  if (!Array.isArray(classes)) {
    report(
      ctx,
      'RULE_UNKNOWN_CLASS',
      'classes',
      `expected the schema's classes ${show(schema.classes)}, found ${show(classes)}`,
    );
    return;
  }
  if (classes.length === schema.classes.length && classes.every((c, i) => c === schema.classes[i]))
    return;
  const unknown = classes.filter((c) => !ctx.classes.has(c as string));
  const lacking = schema.classes.filter((c) => !classes.includes(c));
  const differences = [
    unknown.length && `${show(unknown)} not in the schema`,
    lacking.length && `${show(lacking)} missing`,
    !unknown.length && !lacking.length && 'the order differs',
  ].filter(Boolean);
  report(
    ctx,
    'RULE_UNKNOWN_CLASS',
    'classes',
    `expected the schema's classes ${show(schema.classes)}, found ${show(classes)} (${differences.join(', ')})`,
  );
}

function checkRule(rule: unknown, index: number, seen: Map<string, number>, ctx: Context): void {
  if (!isObject(rule)) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      `rules[${index}]`,
      `expected a rule object, found ${show(rule)}`,
    );
    return;
  }
  const name = rule['name'];
  const named = typeof name === 'string' && name !== '';
  ctx.rule = index;
  ctx.ruleName = named ? name : undefined;
  if (named) {
    const first = seen.get(name);
    if (first !== undefined) {
      report(
        ctx,
        'INVALID_ARTIFACT',
        ' name',
        `expected a unique rule name, found '${name}' again (first at rules[${first}])`,
      );
    } else seen.set(name, index);
  } else {
    report(ctx, 'INVALID_ARTIFACT', ' name', `expected a non-empty rule name, found ${show(name)}`);
  }
  const priority = rule['priority'];
  if (typeof priority !== 'number' || !Number.isFinite(priority) || priority <= 0) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ' priority',
      `expected a positive number as the priority, found ${show(priority)}`,
    );
  }
  checkEvent(rule['event'], name, ctx);
  const conditions = rule['conditions'];
  if (isObject(conditions) && conditions['fact'] !== undefined) {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      ' conditions',
      "expected 'all', 'any' or 'not' at the top of a rule's conditions, found a comparison",
    );
  } else {
    ctx.path.push(' conditions');
    checkCondition(conditions, 0, ctx);
    ctx.path.pop();
  }
  ctx.rule = -1;
  ctx.ruleName = undefined;
}

function checkEvent(event: unknown, name: unknown, ctx: Context): void {
  if (!isObject(event)) {
    report(ctx, 'INVALID_ARTIFACT', ' event', `expected an event object, found ${show(event)}`);
    return;
  }
  if (event['type'] !== DECISION_EVENT) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ' event.type',
      `expected the event type '${DECISION_EVENT}', found ${show(event['type'])}`,
    );
  }
  const params = event['params'];
  if (!isObject(params)) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ' event.params',
      `expected event params with the rule's class, found ${show(params)}`,
    );
    return;
  }
  const cls = params['class'];
  if (typeof cls !== 'string') {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ' event.params.class',
      `expected a class name, found ${show(cls)}`,
    );
  } else if (!ctx.classes.has(cls)) {
    const classes = [...ctx.classes];
    report(
      ctx,
      'RULE_UNKNOWN_CLASS',
      ' event.params.class',
      `expected one of the schema's classes ${show(classes)}, found '${cls}'${didYouMean(cls, classes)}`,
    );
  }
  const ruleId = params['ruleId'];
  if (typeof ruleId !== 'string' || (typeof name === 'string' && ruleId !== name)) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ' event.params.ruleId',
      `expected the rule's name ${show(name)} as its ruleId, found ${show(ruleId)}`,
    );
  }
}

/** Check the condition node at the current path (which the caller has pushed). */
function checkCondition(node: unknown, depth: number, ctx: Context): void {
  if (!isObject(node)) {
    report(ctx, 'RULE_INVALID_CONDITION', '', `expected a condition object, found ${show(node)}`);
    return;
  }
  const all = node['all'];
  const any = node['any'];
  const not = node['not'];
  const fact = node['fact'];
  const kinds =
    +(all !== undefined) + +(any !== undefined) + +(not !== undefined) + +(fact !== undefined);
  if (kinds !== 1) {
    const present = (['all', 'any', 'not', 'fact'] as const).filter((k) => node[k] !== undefined);
    const found = present.length ? present.map((k) => `'${k}'`).join(' and ') : show(node);
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      '',
      `expected exactly one of 'all', 'any', 'not' or 'fact' in a condition, found ${found}`,
    );
    return;
  }
  if (depth >= MAX_DEPTH) {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      '',
      `expected conditions nested at most ${MAX_DEPTH} deep`,
    );
    return;
  }
  if (fact !== undefined) {
    checkComparison(node, fact, ctx);
    return;
  }
  if (not !== undefined) {
    ctx.path.push('.not');
    checkCondition(not, depth + 1, ctx);
    ctx.path.pop();
    return;
  }
  const kind = all !== undefined ? '.all' : '.any';
  const children = all ?? any;
  if (!Array.isArray(children)) {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      kind,
      `expected an array of conditions, found ${show(children)}`,
    );
    return;
  }
  ctx.path.push(kind);
  for (let i = 0; i < children.length; i++) {
    ctx.path.push(i);
    checkCondition(children[i], depth + 1, ctx);
    ctx.path.pop();
  }
  ctx.path.pop();
}

function checkComparison(node: Json, fact: unknown, ctx: Context): void {
  // Direct loads, not a loop over the keys: this runs for every comparison of every rule.
  const unsupported =
    node['path'] !== undefined
      ? 'path'
      : node['params'] !== undefined
        ? 'params'
        : node['condition'] !== undefined
          ? 'condition'
          : undefined;
  if (unsupported !== undefined) {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      `.${unsupported}`,
      `expected a plain comparison of a feature (fact, operator, value), found '${unsupported}'`,
    );
    return;
  }
  if (typeof fact !== 'string') {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      '.fact',
      `expected a feature name as the fact, found ${show(fact)}`,
    );
    return;
  }
  const feature = ctx.features.get(fact);
  if (!feature) {
    report(
      ctx,
      'RULE_UNKNOWN_FACT',
      '.fact',
      `expected a feature of the schema as the fact, found '${fact}'${didYouMean(fact, ctx.names)}`,
    );
    return;
  }
  const operator = node['operator'];
  const numeric = feature.type === 'numeric';
  if (
    typeof operator !== 'string' ||
    !(
      LIST_OPERATORS.has(operator) ||
      SCALAR_OPERATORS.has(operator) ||
      (numeric && COMPARISONS.has(operator))
    )
  ) {
    const valid = numeric ? NUMERIC_OPERATORS : CATEGORICAL_OPERATORS;
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      '.operator',
      `expected an operator for the ${feature.type} feature '${fact}' (${valid.join(', ')}), found ${show(operator)}`,
    );
    return;
  }
  const value = node['value'];
  if (COMPARISONS.has(operator)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      report(
        ctx,
        'RULE_INVALID_CONDITION',
        '.value',
        `expected a finite number to compare '${fact}' with, found ${show(value)}`,
      );
    }
    return;
  }
  const levels = ctx.levels.get(fact)!;
  if (SCALAR_OPERATORS.has(operator)) {
    if (!validValue(value, numeric, levels)) reportValue(value, feature, '.value', ctx);
    return;
  }
  if (!Array.isArray(value)) {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      '.value',
      `expected an array of values of '${fact}' for '${operator}', found ${show(value)}`,
    );
    return;
  }
  for (let i = 0; i < value.length; i++) {
    if (!validValue(value[i], numeric, levels)) reportValue(value[i], feature, `.value[${i}]`, ctx);
  }
}

/** One value compared with `equal`/`in`: a number or level of the feature, or null. */
function validValue(value: unknown, numeric: boolean, levels: ReadonlySet<string>): boolean {
  if (value === null) return true;
  return numeric
    ? typeof value === 'number' && Number.isFinite(value)
    : typeof value === 'string' && levels.has(value);
}

function reportValue(value: unknown, feature: Feature, suffix: string, ctx: Context): void {
  if (feature.type === 'numeric') {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      suffix,
      `expected a finite number (or null for missing) for the numeric feature '${feature.name}', found ${show(value)}`,
    );
    return;
  }
  const hint = typeof value === 'string' ? didYouMean(value, feature.levels) : '';
  report(
    ctx,
    'RULE_INVALID_CONDITION',
    suffix,
    `expected a level of '${feature.name}' (${show(feature.levels)}) or null, found ${show(value)}${hint}`,
  );
}
