/**
 * Condition trees of json-rules-engine rules → a tree of plain nodes with one test closure
 * per comparison, for the compiled evaluator (src/engine/compiled-rules.ts).
 *
 * Everything here is data and closures built once: nothing from a rule file is ever turned
 * into code, so fact names, operators and values cannot escape being data.
 */
import { formatPath, placeAt, type ErrorCode, type Issue, type IssuePath } from '../errors';

/** The operators json-rules-engine 7 registers by default (the supported ones). */
export const BUILT_IN_OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;

/** One of {@link BUILT_IN_OPERATORS}. */
export type BuiltInOperator = (typeof BUILT_IN_OPERATORS)[number];

/** Fact values of one evaluation, indexed by fact id (see {@link FactTable}). */
export type FactValues = unknown[];

/** A compiled test: reads the fact values it needs and returns the outcome. */
export type Test = (values: FactValues) => boolean;

/** A comparison `fact operator value`. */
export interface LeafNode {
  kind: 'leaf';
  /** Position of this comparison among the rule's comparisons in rule (depth-first) order. */
  slot: number;
  /** Fact id in the rule set's {@link FactTable}. */
  fact: number;
  factName: string;
  operator: BuiltInOperator;
  /** The condition's value as json-rules-engine reports it (a frozen copy). */
  value: unknown;
  /** A private copy of the value to compare with. */
  operand: unknown;
  /** The comparison on its own (the branch program is the fast path; this is the reference). */
  test: Test;
  /**
   * True when the test converts the fact value to a string or number (numeric operators,
   * `in`/`notIn` on a string), which can throw for some objects and symbols.
   */
  risky: boolean;
  /** The priority json-rules-engine orders sibling conditions by. */
  priority: number;
}

/** `all` or `any` of child conditions. */
export interface BooleanNode {
  kind: 'all' | 'any';
  children: ConditionNode[];
  /** Children grouped by priority, highest first (json-rules-engine's evaluation sets). */
  sets: ConditionNode[][];
  priority: number;
}

/** `not` of one child condition. */
export interface NotNode {
  kind: 'not';
  child: ConditionNode;
  priority: number;
}

export type ConditionNode = LeafNode | BooleanNode | NotNode;

/** Ids of the fact names a rule set reads, in order of first use. */
export class FactTable {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  idOf(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }
}

/** Where a condition sits, for messages: the rule and the path inside its conditions. */
export interface ConditionPlace {
  /** e.g. `rule 'R04' (rules[3])` */
  rule: string;
  /** e.g. `['rules', 3, 'conditions']` */
  path: IssuePath;
}

/**
 * How messages name a rule: by its name when json-rules-engine would report one (a string
 * or a number), always with its position, which is unique where names need not be.
 */
export function ruleLabel(name: unknown, index: number): string {
  return typeof name === 'string' || typeof name === 'number'
    ? `rule ${JSON.stringify(name)} (rules[${index}])`
    : `rule rules[${index}]`;
}

/** What compiling one rule's conditions produces. */
export interface CompiledConditions {
  root: ConditionNode;
  /** The rule's comparisons in rule order (the order of a trace). */
  leaves: LeafNode[];
}

/** `Object.prototype.hasOwnProperty`, safe on objects that shadow or lack it. */
export const hasOwn = (o: object, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(o, key);

/**
 * Keys a condition must not carry: they are json-rules-engine's own result fields (a
 * preset `result` would show in traces), or names of `Object.prototype` and of
 * json-rules-engine's `Condition` methods, which `Object.assign` would shadow on the
 * condition object (`__proto__` would even replace its prototype).
 */
const RESERVED_CONDITION_KEYS = new Set([
  'result',
  'factResult',
  'valueResult',
  'toJSON',
  'evaluate',
  'booleanOperator',
  'isBooleanOperator',
  'isConditionReference',
]);

const NUMERIC_OPERATORS = new Set<string>([
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
]);

/** Refused keys: their codes and what to say about them. */
const UNSUPPORTED_KEYS = new Map<string, [ErrorCode, string]>([
  [
    'condition',
    ['UNSUPPORTED_CONDITION_REFERENCE', 'condition references (`condition`) are not supported'],
  ],
  ['path', ['UNSUPPORTED_FACT_PATH', 'fact paths (`path`) are not supported']],
  [
    'params',
    ['UNSUPPORTED_FACT_PARAMS', 'fact parameters (`params`, for dynamic facts) are not supported'],
  ],
]);

/** How a problem is reported: its code (the invalid-rules code, or a refusal's), path and words. */
type Report = (code: ErrorCode, path: IssuePath, what: string) => void;

/**
 * Compile one rule's condition tree, adding an issue for every construct json-rules-engine
 * would reject (`invalid`) or the compiled evaluator does not support (an `UNSUPPORTED_*`
 * code, or AMBIGUOUS_CONDITION). Messages quote names and values with JSON.stringify, so each stays
 * on one line. Returns undefined when there was any issue.
 */
export function compileConditions(
  conditions: unknown,
  place: ConditionPlace,
  facts: FactTable,
  issues: Issue[],
  invalid: ErrorCode,
): CompiledConditions | undefined {
  const leaves: LeafNode[] = [];
  const before = issues.length;
  const ancestors = new Set<object>();

  const report: Report = (code, path, what) => {
    issues.push({
      code,
      message: `${place.rule}, condition ${formatPath(path)}: ${what}`,
      ...placeAt(path),
    });
  };

  const visit = (node: unknown, path: IssuePath, isRoot: boolean): ConditionNode | undefined => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      report(invalid, path, `expected a condition object, found ${describeType(node)}`);
      return undefined;
    }
    if (ancestors.has(node)) {
      report(invalid, path, 'the condition contains itself (a cycle)');
      return undefined;
    }
    const c = node as Record<string, unknown>;
    for (const key of Object.keys(c)) {
      const unsupported = UNSUPPORTED_KEYS.get(key);
      if (unsupported !== undefined) {
        report(unsupported[0], path, unsupported[1]);
      } else if (RESERVED_CONDITION_KEYS.has(key) || key in Object.prototype) {
        report(
          'UNSUPPORTED_KEY',
          path,
          `the key ${JSON.stringify(key)} is reserved by json-rules-engine`,
        );
      }
    }
    const kinds = (['any', 'all', 'not'] as const).filter((k) => hasOwn(c, k));
    if (kinds.length === 0 && hasOwn(c, 'condition')) return undefined; // reported above
    if (kinds.length > 1 || (kinds.length === 1 && hasOwn(c, 'fact'))) {
      const found = [...kinds, ...(hasOwn(c, 'fact') ? ['fact'] : [])].join("' and '");
      report(
        'AMBIGUOUS_CONDITION',
        path,
        `has both '${found}': json-rules-engine would silently ignore all but one`,
      );
      return undefined;
    }
    if (kinds.length === 0 && isRoot) {
      report(invalid, path, "the root must be one of 'all', 'any' or 'not'");
      return undefined;
    }
    const priority = conditionPriority(c, path, report);
    ancestors.add(node);
    try {
      const kind = kinds[0];
      if (kind === 'not') {
        if (Array.isArray(c.not)) {
          report(invalid, path, "'not' takes one condition, not an array");
          return undefined;
        }
        const child = visit(c.not, [...path, 'not'], false);
        return child && { kind: 'not', child, priority };
      }
      if (kind === 'all' || kind === 'any') {
        const list = c[kind];
        if (!Array.isArray(list)) {
          report(invalid, path, `'${kind}' must be an array, found ${describeType(list)}`);
          return undefined;
        }
        const children: ConditionNode[] = [];
        list.forEach((child: unknown, i) => {
          const compiled = visit(child, [...path, kind, i], false);
          if (compiled) children.push(compiled);
        });
        if (children.length !== list.length) return undefined;
        return { kind, children, sets: prioritySets(children), priority };
      }
      return leaf(c, path, priority);
    } finally {
      ancestors.delete(node);
    }
  };

  const leaf = (
    c: Record<string, unknown>,
    path: IssuePath,
    priority: number,
  ): LeafNode | undefined => {
    for (const key of ['fact', 'operator', 'value']) {
      if (!hasOwn(c, key)) {
        report(invalid, path, `a comparison needs '${key}'`);
        return undefined;
      }
    }
    if (hasOwn(c, 'path') || hasOwn(c, 'params')) return undefined; // reported above
    const { fact, operator, value } = c;
    if (typeof fact !== 'string') {
      report('UNSUPPORTED_FACT', path, `'fact' must be a string, found ${describeType(fact)}`);
      return undefined;
    }
    if (
      typeof operator !== 'string' ||
      !(BUILT_IN_OPERATORS as readonly string[]).includes(operator)
    ) {
      const what =
        typeof operator !== 'string'
          ? `the operator must be a string, found ${describeType(operator)}`
          : operator.indexOf(':') > 0
            ? `operator decorators (${JSON.stringify(operator)}) are not supported`
            : `custom or unknown operator ${JSON.stringify(operator)} is not supported`;
      report(
        'UNSUPPORTED_OPERATOR',
        path,
        `${what}; the built-in operators are ${BUILT_IN_OPERATORS.join(', ')}`,
      );
      return undefined;
    }
    const op = operator as BuiltInOperator;
    if (value !== null && typeof value === 'object' && hasOwn(value, 'fact')) {
      report(
        'UNSUPPORTED_FACT_VALUE',
        path,
        'comparing with another fact (`value: { fact }`) is not supported',
      );
      return undefined;
    }
    const copyIssues: string[] = [];
    const reported = copyData(value, copyIssues);
    const internal = copyData(value, [], false);
    if (copyIssues.length > 0) {
      for (const m of copyIssues) report('UNSUPPORTED_DATA', path, m);
      return undefined;
    }
    if ((op === 'in' || op === 'notIn') && !Array.isArray(value) && typeof value !== 'string') {
      // json-rules-engine calls `value.indexOf(fact)`: any other value throws at run time.
      report(invalid, path, `'${op}' needs an array value, found ${describeType(value)}`);
      return undefined;
    }
    if (
      NUMERIC_OPERATORS.has(op) &&
      value !== null &&
      (typeof value === 'object' || typeof value === 'symbol')
    ) {
      report(
        'UNSUPPORTED_VALUE',
        path,
        `'${op}' needs a number (or string) value, found ${describeType(value)}`,
      );
      return undefined;
    }
    const id = facts.idOf(fact);
    const node: LeafNode = {
      kind: 'leaf',
      slot: leaves.length,
      fact: id,
      factName: fact,
      operator: op,
      value: reported,
      operand: internal,
      test: comparisonTest(op, id, internal),
      risky:
        NUMERIC_OPERATORS.has(op) || (typeof value === 'string' && (op === 'in' || op === 'notIn')),
      priority,
    };
    leaves.push(node);
    return node;
  };

  const root = visit(conditions, place.path, true);
  if (!root || issues.length > before) return undefined;
  return { root, leaves };
}

/**
 * The priority json-rules-engine sorts a condition by among its siblings. It reads a
 * comparison's raw `priority` but `parseInt`s a boolean's (and rewrites the comparison's in
 * the caller's object), so only integers behave the same everywhere: others are refused.
 */
function conditionPriority(c: Record<string, unknown>, path: IssuePath, report: Report): number {
  const p = c.priority;
  if (p === undefined || p === null) return 1;
  if (typeof p !== 'number' || !Number.isSafeInteger(p)) {
    report(
      'UNSUPPORTED_PRIORITY',
      path,
      `a condition priority must be an integer, found ${describeType(p)}`,
    );
    return 1;
  }
  return p === 0 ? 1 : p;
}

/** Children grouped by priority, highest first, each group in rule order. */
function prioritySets(children: ConditionNode[]): ConditionNode[][] {
  const byPriority = new Map<number, ConditionNode[]>();
  for (const child of children) {
    const set = byPriority.get(child.priority);
    if (set) set.push(child);
    else byPriority.set(child.priority, [child]);
  }
  return [...byPriority.entries()].sort((a, b) => b[0] - a[0]).map((e) => e[1]);
}

/** json-rules-engine's fact value check for the numeric operators, verbatim. */
export function numberValidator(factValue: unknown): boolean {
  return Number.parseFloat(factValue as string).toString() !== 'NaN';
}

/**
 * The test of one comparison, with json-rules-engine's exact semantics: `===` for
 * `equal`/`in`/`contains` (NaN matches nothing), `in` on a string value is a substring test,
 * `contains` is false for a fact that is not an array, the numeric operators are false for
 * a fact whose `parseFloat` is NaN and otherwise compare with JavaScript's `<`/`<=`.
 */
function comparisonTest(op: BuiltInOperator, f: number, b: unknown): Test {
  switch (op) {
    case 'equal':
      return (v) => v[f] === b;
    case 'notEqual':
      return (v) => v[f] !== b;
    case 'in':
      return membershipTest(f, b, true);
    case 'notIn':
      return membershipTest(f, b, false);
    case 'contains':
      return (v) => {
        const a = v[f];
        return Array.isArray(a) && a.indexOf(b) > -1;
      };
    case 'doesNotContain':
      return (v) => {
        const a = v[f];
        return Array.isArray(a) && a.indexOf(b) === -1;
      };
    case 'lessThan': {
      const n = b as number;
      return (v) => {
        const a = v[f] as number;
        return typeof a === 'number' ? a < n : numberValidator(a) && a < n;
      };
    }
    case 'lessThanInclusive': {
      const n = b as number;
      return (v) => {
        const a = v[f] as number;
        return typeof a === 'number' ? a <= n : numberValidator(a) && a <= n;
      };
    }
    case 'greaterThan': {
      const n = b as number;
      return (v) => {
        const a = v[f] as number;
        return typeof a === 'number' ? a > n : numberValidator(a) && a > n;
      };
    }
    case 'greaterThanInclusive': {
      const n = b as number;
      return (v) => {
        const a = v[f] as number;
        return typeof a === 'number' ? a >= n : numberValidator(a) && a >= n;
      };
    }
  }
}

function membershipTest(f: number, b: unknown, inside: boolean): Test {
  // `value.indexOf(fact)`, as json-rules-engine: on a string value the fact is converted to
  // a string (which can throw: risky), on an array it is compared with ===.
  const list = b as { indexOf(x: unknown): number };
  return inside ? (v) => list.indexOf(v[f]) > -1 : (v) => list.indexOf(v[f]) === -1;
}

/**
 * A deep copy of rule data as json-rules-engine's `clone` makes it: arrays and plain
 * objects copied, keys that are data properties of `Object.prototype` (`constructor`,
 * `toString`, …) dropped as `clone` drops them. Refused (a message in `issues`): functions,
 * symbols, class instances, cycles, holes in arrays, and `__proto__` keys (which `clone`
 * would turn into the copy's prototype). With `freeze`, the copy is deeply frozen.
 */
export function copyData(value: unknown, issues: string[], freeze = true, root = 'value'): unknown {
  const ancestors = new Set<object>();
  const copy = (x: unknown, where: string): unknown => {
    if (x === null || x === undefined) return x;
    const t = typeof x;
    if (t === 'number' || t === 'string' || t === 'boolean' || t === 'bigint') return x;
    if (t !== 'object') {
      issues.push(`${where}: a ${t} is not data`);
      return undefined;
    }
    const o = x as object;
    if (ancestors.has(o)) {
      issues.push(`${where}: the value contains itself (a cycle)`);
      return undefined;
    }
    ancestors.add(o);
    try {
      if (Array.isArray(o)) {
        // Any realm's Array.prototype (itself an array), not a subclass's prototype.
        if (!Array.isArray(Object.getPrototypeOf(o))) {
          issues.push(`${where}: an array subclass is not data`);
          return undefined;
        }
        const out: unknown[] = [];
        for (let i = 0; i < o.length; i++) {
          if (!(i in o)) {
            issues.push(`${where}[${i}]: arrays must not have holes`);
            return undefined;
          }
          out.push(copy(o[i], `${where}[${i}]`));
        }
        return freeze ? Object.freeze(out) : out;
      }
      const proto = Object.getPrototypeOf(o) as object | null;
      if (!isPlainPrototype(proto)) {
        issues.push(`${where}: ${describeType(o)} is not plain data`);
        return undefined;
      }
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(o)) {
        if (key === '__proto__') {
          issues.push(
            `${where}: the key '__proto__' is not supported (json-rules-engine's clone makes it the prototype)`,
          );
          continue;
        }
        // clone skips keys its prototype has without a setter (constructor, toString, …).
        const inherited = proto && Object.getOwnPropertyDescriptor(proto, key);
        if (inherited && inherited.set == null) continue;
        const descriptor = Object.getOwnPropertyDescriptor(o, key)!;
        if (!('value' in descriptor)) {
          issues.push(`${where}[${JSON.stringify(key)}]: accessor properties are not data`);
          continue;
        }
        Object.defineProperty(out, key, {
          value: copy(descriptor.value, `${where}[${JSON.stringify(key)}]`),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return freeze ? Object.freeze(out) : out;
    } finally {
      ancestors.delete(o);
    }
  };
  return copy(value, root);
}

/**
 * True for null and for any realm's `Object.prototype` (objects from JSON.parse, literals,
 * structuredClone or another vm context), false for class prototypes.
 */
export function isPlainPrototype(proto: object | null): boolean {
  if (proto === null) return true;
  if (Object.getPrototypeOf(proto) !== null) return false;
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
  return typeof ctor === 'function' && ctor.name === 'Object' && ctor.prototype === proto;
}

/** A short description of a value's type for messages. */
export function describeType(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') {
    const proto = Object.getPrototypeOf(x) as object | null;
    if (proto === null || isPlainPrototype(proto)) return 'an object';
    const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
    const name = typeof ctor === 'function' ? ctor.name : '';
    return name ? `a ${name}` : 'an object';
  }
  if (typeof x === 'string') return `the string ${JSON.stringify(x)}`;
  if (typeof x === 'number' || typeof x === 'boolean') return `${typeof x} ${String(x)}`;
  return `a ${typeof x}`;
}
