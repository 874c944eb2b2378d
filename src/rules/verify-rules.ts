import type { Feature, Schema } from '../data/types';
import {
  didYouMean,
  formatPath,
  NeurulesError,
  type ErrorCode,
  type Issue,
  type IssuePath,
} from '../errors';
import { DISTILLED_PRIORITY } from './compile-tree';
import { DECISION_EVENT, type DecisionParams, type RuleSet } from './types';

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

/** Every key a distilled rule's `event.params` may have (src/rules/types.ts, `DecisionParams`). */
const PARAM_KEYS: readonly (keyof DecisionParams)[] = [
  'ruleId',
  'class',
  'probabilities',
  'support',
  'confidence',
  'validationFidelity',
  'source',
  'reason',
];
const PARAM_KEY_SET: ReadonlySet<string> = new Set(PARAM_KEYS);

/**
 * How far a rule's probabilities may sum from 1. Distillation writes each rounded to six
 * decimals (at most 5e-7 off each, so 1e-3 holds for up to 2,000 classes), and a hand edit
 * rounded to three decimals sums to 0.999, 1 or 1.001 for three classes; a real mistake
 * (`{good: 0.5, bad: 0.2}`) is far outside. The slack beyond 1e-3 is for binary floating
 * point: 0.334 + 0.334 + 0.333 is 1.0010000000000001.
 */
const SUM_TOLERANCE = 1e-3 * (1 + 1e-9);

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
   * The path inside the rule of the node being checked (`['conditions', 'all', 1]`),
   * formatted only when an issue is reported: building a path string for every condition
   * would cost more than the checks themselves.
   */
  path: IssuePath;
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
 * - `RULE_UNKNOWN_CLASS` too for a key of `event.params.probabilities` that is not a class
 *   of the schema (with the nearest class suggested);
 * - `RULE_INVALID_PARAMS`: the other `event.params` every consumer reads (predict serves
 *   `probabilities` and `support`, explain prints `confidence` and `validationFidelity`, the
 *   studio and the exports show them, region checks skip `source: 'override'` rules) are not
 *   what distillation writes: `probabilities` not an object with one finite number in
 *   [0, 1] for every class of the schema (the missing classes listed) summing to 1 within
 *   0.001; `support` not a whole number >= 0; `confidence` or `validationFidelity` present
 *   and neither null nor a finite number in [0, 1]; `source` not `'distilled'` (this file
 *   holds distilled rules only; overrides live in YAML); `reason` present and not a string;
 *   a key that is none of these (with the nearest key suggested). The probabilities need
 *   not favour the rule's class: they are the network's mass in the region, and an
 *   auditor may decide a region against the network;
 * - `INVALID_ARTIFACT`, where nothing more specific fits: `rules` is not a non-empty
 *   array, a rule is not an object, has no non-empty string `name`, shares its name with
 *   an earlier rule, has a priority other than 1 (distilled rules sit below every
 *   override, whose priorities are 2 and up), or an event that is not
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
 * `rules[3] (rule 'R04') conditions.all[0].fact`, `rules[0] (rule 'R01') event.params.class`,
 * `rules[3] (rule 'R04') event.params.probabilities.evil` (a key that is not a plain name
 * is quoted: `event.params.probabilities["Iris-setosa"]`).
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
      ['target'],
      `expected the rules to decide the schema's target '${schema.target}', found ${show(set['target'])}`,
    );
  }
  const rules = set['rules'];
  if (!Array.isArray(rules) || rules.length === 0) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ['rules'],
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
 * @throws NeurulesError `RULE_UNKNOWN_CLASS`, `RULE_UNKNOWN_FACT`, `RULE_INVALID_CONDITION`,
 *   `RULE_INVALID_PARAMS` or `INVALID_ARTIFACT`, as {@link verifyRuleSet} lists them
 */
export function checkRuleSet(ruleSet: RuleSet, schema: Schema, file?: string): void {
  const issues = verifyRuleSet(ruleSet, schema, file);
  if (issues.length) throw NeurulesError.fromIssues(issues);
}

/**
 * Report an issue at the current path plus `suffix` (a rule set level issue: no rule). The
 * `field` shown is the path's text with the rule's name after its index, `rules[3] (rule
 * 'R04') conditions.all[0].fact`, as people look rules up by name; `path` has no name.
 */
function report(ctx: Context, code: ErrorCode, suffix: IssuePath, message: string): void {
  const inside = [...ctx.path, ...suffix];
  let path = inside;
  let field = formatPath(inside);
  if (ctx.rule >= 0) {
    path = ['rules', ctx.rule, ...inside];
    field = formatPath(['rules', ctx.rule]);
    if (ctx.ruleName !== undefined) field += ` (rule '${ctx.ruleName}')`;
    if (inside.length > 0) field += ` ${formatPath(inside)}`;
  }
  const issue: Issue = { code, message, field, path };
  if (ctx.file !== undefined) issue.file = ctx.file;
  ctx.issues.push(issue);
}

function checkClasses(classes: unknown, schema: Schema, ctx: Context): void {
  if (!Array.isArray(classes)) {
    report(
      ctx,
      'RULE_UNKNOWN_CLASS',
      ['classes'],
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
    ['classes'],
    `expected the schema's classes ${show(schema.classes)}, found ${show(classes)} (${differences.join(', ')})`,
  );
}

function checkRule(rule: unknown, index: number, seen: Map<string, number>, ctx: Context): void {
  if (!isObject(rule)) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ['rules', index],
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
        ['name'],
        `expected a unique rule name, found '${name}' again (first at rules[${first}])`,
      );
    } else seen.set(name, index);
  } else {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ['name'],
      `expected a non-empty rule name, found ${show(name)}`,
    );
  }
  const priority = rule['priority'];
  // Exactly 1: a distilled rule of a higher priority would run before the overrides
  // (priorities 2 and up) and silently overrule them.
  if (priority !== DISTILLED_PRIORITY) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ['priority'],
      `expected priority ${DISTILLED_PRIORITY} (distilled rules sit below every override), found ${show(priority)}`,
    );
  }
  checkEvent(rule['event'], name, ctx);
  const conditions = rule['conditions'];
  if (isObject(conditions) && conditions['fact'] !== undefined) {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      ['conditions'],
      "expected 'all', 'any' or 'not' at the top of a rule's conditions, found a comparison",
    );
  } else {
    ctx.path.push('conditions');
    checkCondition(conditions, 0, ctx);
    ctx.path.pop();
  }
  ctx.rule = -1;
  ctx.ruleName = undefined;
}

function checkEvent(event: unknown, name: unknown, ctx: Context): void {
  if (!isObject(event)) {
    report(ctx, 'INVALID_ARTIFACT', ['event'], `expected an event object, found ${show(event)}`);
    return;
  }
  if (event['type'] !== DECISION_EVENT) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ['event', 'type'],
      `expected the event type '${DECISION_EVENT}', found ${show(event['type'])}`,
    );
  }
  const params = event['params'];
  if (!isObject(params)) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ['event', 'params'],
      `expected event params with the rule's class, found ${show(params)}`,
    );
    return;
  }
  const cls = params['class'];
  if (typeof cls !== 'string') {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ['event', 'params', 'class'],
      `expected a class name, found ${show(cls)}`,
    );
  } else if (!ctx.classes.has(cls)) {
    const classes = [...ctx.classes];
    report(
      ctx,
      'RULE_UNKNOWN_CLASS',
      ['event', 'params', 'class'],
      `expected one of the schema's classes ${show(classes)}, found '${cls}'${didYouMean(cls, classes)}`,
    );
  }
  const ruleId = params['ruleId'];
  if (typeof ruleId !== 'string' || (typeof name === 'string' && ruleId !== name)) {
    report(
      ctx,
      'INVALID_ARTIFACT',
      ['event', 'params', 'ruleId'],
      `expected the rule's name ${show(name)} as its ruleId, found ${show(ruleId)}`,
    );
  }
  checkParams(params, ctx);
}

/** The params besides `class` and `ruleId` (see {@link verifyRuleSet}). */
function checkParams(params: Json, ctx: Context): void {
  checkProbabilities(params['probabilities'], ctx);
  const support = params['support'];
  if (typeof support !== 'number' || !Number.isSafeInteger(support) || support < 0) {
    report(
      ctx,
      'RULE_INVALID_PARAMS',
      ['event', 'params', 'support'],
      `expected the training records in the rule's region, a whole number >= 0, found ${show(support)}`,
    );
  }
  for (const key of ['confidence', 'validationFidelity'] as const) {
    const value = params[key];
    if (value !== undefined && value !== null && !isShare(value)) {
      report(
        ctx,
        'RULE_INVALID_PARAMS',
        ['event', 'params', key],
        `expected a share between 0 and 1 (or null when no record supports it), found ${show(value)}`,
      );
    }
  }
  const source = params['source'];
  if (source !== 'distilled') {
    report(
      ctx,
      'RULE_INVALID_PARAMS',
      ['event', 'params', 'source'],
      `expected 'distilled' (overrides are written in YAML, not in the distilled rules), found ${show(source)}`,
    );
  }
  const reason = params['reason'];
  if (reason !== undefined && typeof reason !== 'string') {
    report(
      ctx,
      'RULE_INVALID_PARAMS',
      ['event', 'params', 'reason'],
      `expected the reason as text, found ${show(reason)}`,
    );
  }
  for (const key of Object.keys(params)) {
    if (PARAM_KEY_SET.has(key)) continue;
    report(
      ctx,
      'RULE_INVALID_PARAMS',
      ['event', 'params', key],
      `expected only the params ${PARAM_KEYS.join(', ')}, found '${key}'${didYouMean(key, PARAM_KEYS)}`,
    );
  }
}

/** One finite number in [0, 1] per class of the schema, and no other key, summing to 1. */
function checkProbabilities(probabilities: unknown, ctx: Context): void {
  const at = ['event', 'params', 'probabilities'];
  if (!isObject(probabilities)) {
    report(
      ctx,
      'RULE_INVALID_PARAMS',
      at,
      `expected the class probabilities, an object with a number for each of the classes ${show([...ctx.classes])}, found ${show(probabilities)}`,
    );
    return;
  }
  let whole = true;
  let sum = 0;
  for (const [key, value] of Object.entries(probabilities)) {
    if (!ctx.classes.has(key)) {
      whole = false;
      report(
        ctx,
        'RULE_UNKNOWN_CLASS',
        [...at, key],
        `expected a probability for each of the schema's classes ${show([...ctx.classes])} only, found one for '${key}'${didYouMean(key, [...ctx.classes])}`,
      );
    } else if (!isShare(value)) {
      whole = false;
      report(
        ctx,
        'RULE_INVALID_PARAMS',
        [...at, key],
        `expected a probability between 0 and 1, found ${show(value)}`,
      );
    } else sum += value;
  }
  const missing = [...ctx.classes].filter((c) => !Object.hasOwn(probabilities, c));
  if (missing.length > 0) {
    report(
      ctx,
      'RULE_INVALID_PARAMS',
      at,
      `expected a probability for each of the schema's classes, found none for ${missing.map((c) => `'${c}'`).join(', ')}`,
    );
    return;
  }
  if (whole && Math.abs(sum - 1) > SUM_TOLERANCE) {
    report(
      ctx,
      'RULE_INVALID_PARAMS',
      at,
      `expected probabilities summing to 1 (within 0.001), found a sum of ${Number(sum.toFixed(6))}`,
    );
  }
}

/** A finite number in [0, 1]. */
const isShare = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;

/** Check the condition node at the current path (which the caller has pushed). */
function checkCondition(node: unknown, depth: number, ctx: Context): void {
  if (!isObject(node)) {
    report(ctx, 'RULE_INVALID_CONDITION', [], `expected a condition object, found ${show(node)}`);
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
      [],
      `expected exactly one of 'all', 'any', 'not' or 'fact' in a condition, found ${found}`,
    );
    return;
  }
  if (depth >= MAX_DEPTH) {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      [],
      `expected conditions nested at most ${MAX_DEPTH} deep`,
    );
    return;
  }
  if (fact !== undefined) {
    checkComparison(node, fact, ctx);
    return;
  }
  if (not !== undefined) {
    ctx.path.push('not');
    checkCondition(not, depth + 1, ctx);
    ctx.path.pop();
    return;
  }
  const kind = all !== undefined ? 'all' : 'any';
  const children = all ?? any;
  if (!Array.isArray(children)) {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      [kind],
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
      [unsupported],
      `expected a plain comparison of a feature (fact, operator, value), found '${unsupported}'`,
    );
    return;
  }
  if (typeof fact !== 'string') {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      ['fact'],
      `expected a feature name as the fact, found ${show(fact)}`,
    );
    return;
  }
  const feature = ctx.features.get(fact);
  if (!feature) {
    report(
      ctx,
      'RULE_UNKNOWN_FACT',
      ['fact'],
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
      ['operator'],
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
        ['value'],
        `expected a finite number to compare '${fact}' with, found ${show(value)}`,
      );
    }
    return;
  }
  const levels = ctx.levels.get(fact)!;
  if (SCALAR_OPERATORS.has(operator)) {
    if (!validValue(value, numeric, levels)) reportValue(value, feature, ['value'], ctx);
    return;
  }
  if (!Array.isArray(value)) {
    report(
      ctx,
      'RULE_INVALID_CONDITION',
      ['value'],
      `expected an array of values of '${fact}' for '${operator}', found ${show(value)}`,
    );
    return;
  }
  for (let i = 0; i < value.length; i++) {
    if (!validValue(value[i], numeric, levels)) reportValue(value[i], feature, ['value', i], ctx);
  }
}

/** One value compared with `equal`/`in`: a number or level of the feature, or null. */
function validValue(value: unknown, numeric: boolean, levels: ReadonlySet<string>): boolean {
  if (value === null) return true;
  return numeric
    ? typeof value === 'number' && Number.isFinite(value)
    : typeof value === 'string' && levels.has(value);
}

function reportValue(value: unknown, feature: Feature, suffix: IssuePath, ctx: Context): void {
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
