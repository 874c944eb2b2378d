import type { NestedCondition, TopLevelCondition } from 'json-rules-engine';
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { coerceRecord } from '../data/coerce-record';
import type { DataRecord, Feature, Schema } from '../data/types';
import { didYouMean, formatPath, type ErrorCode, type Issue, type IssuePath } from '../errors';
import { NUMERIC_ONLY, OVERRIDE_KEYS, OVERRIDE_OPERATORS as OPERATORS } from './override-operators';
import { RULE_KEYS, yamlSyntaxProblems } from './yaml-syntax-problems';

/** One expert override, as written in YAML and checked against a model's schema. */
export interface Override {
  id: string;
  description?: string;
  /** json-rules-engine conditions equivalent to the `when` block. */
  conditions: TopLevelCondition;
  class: string;
  priority: number;
  reason?: string;
  owner?: string;
  examples: { input: DataRecord; expect: string; line: number }[];
  /**
   * Each condition as written, with its value's source text and place (what lint checks for
   * suspicious values). Absent on overrides not read from a file.
   */
  written?: WrittenCondition[];
  /** Where it was written (the start of its list item). */
  file: string;
  line: number;
  column: number;
}

/** One scalar of a condition's value: what YAML read, the text it read it from, its place. */
export interface WrittenScalar {
  value: unknown;
  /** The scalar's source text: `8.000` where YAML read 8. */
  source: string;
  line: number;
  column: number;
}

/** One condition of a `when` as written: a feature, an operator and its value. */
export interface WrittenCondition {
  feature: string;
  /** The json-rules-engine operator, or `between`. */
  operator: string;
  /** What it compiles to (`between` is two conditions). */
  conditions: NestedCondition[];
  /** Under an odd number of `not`s: the override needs it to be false. */
  negated: boolean;
  /** The value's source text (`[1,5]`) and the place where it starts. */
  source: string;
  line: number;
  column: number;
  /** The value's scalars: the value itself, or the items of its list. */
  scalars: WrittenScalar[];
}

/** An id as written, valid entry or not (ids must be unique across a model's files). */
export interface DeclaredId {
  id: string;
  file: string;
  line: number;
  column: number;
}

/** What {@link parseOverrides} found: the overrides (none if any problem), every problem, every id. */
export interface ParsedOverrides {
  overrides: Override[];
  issues: Issue[];
  /** Every id written in the file with its place, so duplicates are found even in bad entries. */
  declared: DeclaredId[];
}

/** Limits that keep a hostile file from exhausting memory. */
export const OVERRIDE_LIMITS = { maxBytes: 1024 * 1024, maxAliasCount: 100 } as const;

/**
 * Parse one override file and check it against a model's schema, collecting every
 * problem with its line and column (yaml's LineCounter). Nothing is returned as valid
 * unless the whole file is: a caller applies all of a set of files or none.
 */
export function parseOverrides(fileText: string, file: string, schema: Schema): ParsedOverrides {
  const text = asEditorsShow(fileText);
  const issues: Issue[] = [];
  const declared: DeclaredId[] = [];
  const lines = new LineCounter();
  const at = (node: Node | null | undefined): { file: string; line?: number; column?: number } => {
    if (!node?.range) return { file };
    const pos = lines.linePos(node.range[0]);
    return { file, line: pos.line, column: pos.col };
  };
  const report = (
    code: ErrorCode,
    message: string,
    node: Node | null | undefined,
    place?: KeyPlace,
  ): void => {
    issues.push({ code, message, ...at(node), ...place });
  };
  /**
   * UNKNOWN_KEY for each key of `map` (at `path` in the file) not in `known`, with a
   * did-you-mean; `within` names the map in messages and fields.
   */
  const unknownKeys = (
    map: YAMLMap,
    path: IssuePath,
    known: readonly string[],
    within?: string,
  ): void => {
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (known.includes(key)) continue;
      report(
        'UNKNOWN_KEY',
        `unknown key '${key}'${within ? ` in '${within}'` : ''}${didYouMean(key, known)}; expected ${known.length === 1 ? `only '${known[0]}'` : `one of ${known.join(', ')}`}`,
        pair.key as Node,
        { field: within ? `${within}.${key}` : key, path: [...path, key] },
      );
    }
  };
  if (Buffer.byteLength(text) > OVERRIDE_LIMITS.maxBytes) {
    report('OVERRIDE_LIMIT', `the file is larger than ${OVERRIDE_LIMITS.maxBytes} bytes`, null);
    return { overrides: [], issues, declared };
  }
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  // yaml's errors (and conditions left outside their `when:`) in plain words, one per mistake.
  issues.push(...yamlSyntaxProblems(text, file, schema, doc));
  if (issues.length > 0) return { overrides: [], issues, declared };
  const root = doc.contents;
  if (root === null) return { overrides: [], issues, declared };
  if (!isSeq(root)) {
    report('INVALID_OVERRIDE', 'expected a list of overrides (each starting with "- id:")', root);
    return { overrides: [], issues, declared };
  }
  let js: unknown[];
  try {
    js = doc.toJS({ maxAliasCount: OVERRIDE_LIMITS.maxAliasCount }) as unknown[];
  } catch (e) {
    report('OVERRIDE_LIMIT', (e as Error).message, root);
    return { overrides: [], issues, declared };
  }
  const features = new Map(schema.features.map((f) => [f.name, f]));
  const overrides: Override[] = [];
  const whenContext: WhenContext = {
    features,
    report,
    text,
    pos: (offset) => {
      const p = lines.linePos(offset);
      return { line: p.line, column: p.col };
    },
    written: [],
  };
  root.items.forEach((item, index) => {
    if (!isMap(item)) {
      report(
        'INVALID_OVERRIDE',
        'expected an override: a map with id, when and then',
        item as Node,
      );
      return;
    }
    const before = issues.length;
    whenContext.written = [];
    const raw = js[index] as Record<string, unknown>;
    unknownKeys(item, [index], RULE_KEYS);
    /** The place of `steps` in this override: its field is their path inside the override. */
    const inOverride = (...steps: IssuePath): KeyPlace => ({
      field: formatPath(steps),
      path: [index, ...steps],
    });
    const node = (key: string): Node | undefined => item.get(key, true) as Node | undefined;
    const id = raw.id;
    if (typeof id === 'string' && id.trim() !== '') {
      const where = at(item);
      declared.push({ id, file, line: where.line ?? 0, column: where.column ?? 0 });
    }
    if (typeof id !== 'string' || id.trim() === '')
      report(
        'INVALID_OVERRIDE',
        "expected 'id' to be a non-empty string",
        node('id') ?? item,
        inOverride('id'),
      );
    const thenMap = node('then');
    if (isMap(thenMap)) unknownKeys(thenMap, [index, 'then'], OVERRIDE_KEYS.then, 'then');
    const then = raw.then as { class?: unknown } | undefined;
    const cls = then && typeof then === 'object' ? then.class : undefined;
    if (typeof cls !== 'string')
      report(
        'INVALID_OVERRIDE',
        "expected 'then: { class: NAME }'",
        node('then') ?? item,
        inOverride('then'),
      );
    else if (!schema.classes.includes(cls)) {
      const thenNode = node('then');
      const classNode = isMap(thenNode) ? (thenNode.get('class', true) as Node) : thenNode;
      report(
        'UNKNOWN_CLASS',
        `unknown class '${cls}'${didYouMean(cls, schema.classes)}; the classes are ${schema.classes.join(', ')}`,
        classNode,
        inOverride('then', 'class'),
      );
    }
    const priority = raw.priority ?? 100;
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 2) {
      report(
        'INVALID_OVERRIDE',
        `expected 'priority' to be a whole number ≥ 2 (distilled rules have 1), found ${JSON.stringify(priority)}`,
        node('priority'),
        inOverride('priority'),
      );
    }
    const whenNode = node('when');
    let conditions: TopLevelCondition = { all: [] };
    if (!whenNode || !isMap(whenNode) || whenNode.items.length === 0) {
      report(
        'EMPTY_WHEN',
        "expected 'when' to hold at least one condition",
        whenNode ?? item,
        inOverride('when'),
      );
    } else {
      conditions = { all: whenConditions(whenNode, [index, 'when'], whenContext) };
    }
    const examples: Override['examples'] = [];
    const exNode = node('examples');
    if (exNode !== undefined) {
      if (!isSeq(exNode))
        report(
          'INVALID_OVERRIDE',
          "expected 'examples' to be a list",
          exNode,
          inOverride('examples'),
        );
      else
        exNode.items.forEach((ex, k) => {
          const value = (raw.examples as unknown[])[k] as {
            input?: unknown;
            expect?: unknown;
          } | null;
          const exLine = at(ex as Node);
          if (isMap(ex)) unknownKeys(ex, [index, 'examples', k], OVERRIDE_KEYS.example, 'examples');
          if (
            !value ||
            typeof value !== 'object' ||
            !value.input ||
            typeof value.input !== 'object'
          ) {
            report(
              'INVALID_EXAMPLE',
              "expected an example with 'input' (a record) and 'expect' (a class)",
              ex as Node,
            );
            return;
          }
          const coerced = coerceRecord(schema, value.input as Record<string, unknown>);
          for (const issue of coerced.issues) {
            report(
              'INVALID_EXAMPLE',
              `example input: ${issue.code} ${issue.message}`,
              ex as Node,
              issue.field === undefined
                ? undefined
                : {
                    field: issue.field,
                    path: [index, 'examples', k, 'input', ...(issue.path ?? [])],
                  },
            );
          }
          if (value.expect === undefined) {
            report('INVALID_EXAMPLE', "expected 'expect: CLASS' in the example", ex as Node, {
              field: 'expect',
              path: [index, 'examples', k, 'expect'],
            });
          } else if (typeof value.expect !== 'string' || !schema.classes.includes(value.expect)) {
            report(
              'UNKNOWN_CLASS',
              `example 'expect' must be one of ${schema.classes.join(', ')}, found ${JSON.stringify(value.expect)}`,
              ex as Node,
              { field: 'expect', path: [index, 'examples', k, 'expect'] },
            );
          }
          examples.push({
            input: coerced.record,
            expect: String(value.expect),
            line: exLine.line ?? 0,
          });
        });
    }
    if (issues.length > before) return;
    const o: Override = {
      id: String(id),
      conditions,
      class: String(cls),
      priority: priority as number,
      examples,
      file,
      line: at(item).line ?? 0,
      column: at(item).column ?? 0,
      written: whenContext.written,
    };
    if (typeof raw.description === 'string') o.description = raw.description;
    if (typeof raw.reason === 'string') o.reason = raw.reason;
    if (typeof raw.owner === 'string') o.owner = raw.owner;
    overrides.push(o);
  });
  return { overrides: issues.length ? [] : overrides, issues, declared };
}

/**
 * Where in an override file an issue is: `path` from the file's list of overrides down
 * (`[0, 'when', 'all', 1, 'age']`); `field` is what messages show, the path inside the
 * override (`then.class`), or for a condition or an example's input the feature's name.
 */
interface KeyPlace {
  field: string;
  path: IssuePath;
}

type Report = (
  code: ErrorCode,
  message: string,
  node: Node | null | undefined,
  place?: KeyPlace,
) => void;

/**
 * `when`: feature → operator map; `all` / `any` lists and `not` for nesting. An empty map
 * inside (an `all` / `any` item `{}`, `not: {}`) is EMPTY_WHEN: json-rules-engine would
 * read the empty group as "always true". (An empty `when` itself is refused by the caller.)
 */
function whenConditions(
  map: YAMLMap,
  path: IssuePath,
  ctx: WhenContext,
  where = "'when'",
  negated = false,
): NestedCondition[] {
  const { features, report } = ctx;
  if (map.items.length === 0) {
    report('EMPTY_WHEN', `expected a condition in ${where}, found {}`, map);
    return [];
  }
  const out: NestedCondition[] = [];
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = pair.value as Node | null;
    if (isScalar(pair.key) && pair.key.value === null && !pair.key.source) {
      // `: 1` with nothing before the colon: YAML reads a key null, no feature 'null'.
      report(
        'YAML_SYNTAX',
        "a ':' with no key before it: write the feature's name before ':'",
        // The empty key starts where the line does: the place is the colon's.
        atColon(pair.key, ctx.text),
      );
      continue;
    }
    if (key === 'all' || key === 'any') {
      if (!isSeq(value) || value.items.length === 0) {
        report(
          'EMPTY_WHEN',
          `expected '${key}' to be a non-empty list of conditions`,
          value ?? (pair.key as Node),
        );
        continue;
      }
      // Each list item is one condition map; several keys in it mean all of them.
      const parts: NestedCondition[] = [];
      value.items.forEach((part, i) => {
        if (!isMap(part)) {
          report('INVALID_OVERRIDE', 'expected a condition map', part as Node);
          return;
        }
        const group = whenConditions(part, [...path, key, i], ctx, `this '${key}' item`, negated);
        if (group.length === 1) parts.push(group[0]!);
        else if (group.length > 1) parts.push({ all: group });
      });
      out.push(key === 'all' ? { all: parts } : { any: parts });
      continue;
    }
    if (key === 'not') {
      if (!isMap(value)) {
        report(
          'INVALID_OVERRIDE',
          "expected 'not' to hold a condition map",
          value ?? (pair.key as Node),
        );
        continue;
      }
      out.push({
        not: { all: whenConditions(value, [...path, 'not'], ctx, "'not'", !negated) },
      });
      continue;
    }
    const feature = features.get(key);
    if (!feature) {
      report(
        'UNKNOWN_FEATURE',
        `unknown feature '${key}'${didYouMean(key, [...features.keys()])}`,
        pair.key as Node,
        { field: key, path: [...path, key] },
      );
      continue;
    }
    if (!isMap(value) || value.items.length === 0) {
      report(
        'INVALID_OVERRIDE',
        `expected operators for '${key}', e.g. { lessThan: 18 }`,
        value ?? (pair.key as Node),
        { field: key, path: [...path, key] },
      );
      continue;
    }
    for (const [k, op] of value.items.entries()) {
      const opName = isScalar(op.key) ? String(op.key.value) : '';
      const operator = OPERATORS[opName];
      const valueNode = op.value as Node | null;
      if (!operator && !isLocaleTail(value, k, ctx)) {
        report(
          'UNKNOWN_OPERATOR',
          `unknown operator '${opName}'${didYouMean(opName, Object.keys(OPERATORS))}`,
          op.key as Node,
          { field: key, path: [...path, key, opName] },
        );
        continue;
      }
      if (!operator) continue;
      const v =
        valueNode && 'toJSON' in valueNode ? (valueNode as { toJSON(): unknown }).toJSON() : null;
      const place = { field: key, path: [...path, key, opName] };
      if (localeComma(value, k, ctx, place)) continue;
      const condition = checkValue(feature, operator, v, valueNode, place, ctx);
      if (!condition) continue;
      out.push(...condition);
      ctx.written.push({
        feature: key,
        operator,
        conditions: condition,
        negated,
        ...writtenValue(valueNode, ctx),
      });
    }
  }
  return out;
}

/** What the conditions of a `when` are checked with, and where they are collected. */
interface WhenContext {
  features: Map<string, Feature>;
  report: Report;
  /** The file's text: a value's source text is sliced from it. */
  text: string;
  /** The 1-based line and column of an offset in the text. */
  pos: (offset: number) => { line: number; column: number };
  /** Every valid condition, as written. */
  written: WrittenCondition[];
}

/** A value's source text and place, and those of its scalars (itself, or its list's items). */
function writtenValue(
  node: Node | null,
  ctx: WhenContext,
): Pick<WrittenCondition, 'source' | 'line' | 'column' | 'scalars'> {
  const sourceOf = (n: Node | null): { source: string; line: number; column: number } => {
    if (!n?.range) return { source: '', line: 0, column: 0 };
    return { source: ctx.text.slice(n.range[0], n.range[1]), ...ctx.pos(n.range[0]) };
  };
  const items = isSeq(node) ? (node.items as Node[]) : [node];
  return {
    ...sourceOf(node),
    scalars: items
      .filter((n): n is Scalar => isScalar(n))
      .map((n) => ({ value: n.value, ...sourceOf(n) })),
  };
}

/** A place at the first colon from an empty key on: a node of its own for `report`. */
function atColon(key: Scalar, text: string): Node {
  const start = key.range?.[0] ?? 0;
  const colon = Math.max(text.indexOf(':', start), start);
  return { range: [colon, colon, colon] } as unknown as Node;
}

/**
 * The text as an editor shows it, so that places are where the expert sees them: without the
 * byte-order mark Windows Notepad writes first (no editor shows it as a column), and with a
 * lone carriage return (old Mac line endings, a line break in YAML too) as a line end. The
 * size limit is checked on this text: neither change alters it by more than three bytes.
 */
function asEditorsShow(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r(?!\n)/g, '\n');
}

/**
 * A value as an error shows it: as JSON, but a number JSON cannot write (`.inf`, `.nan`,
 * `1e400`, which JSON writes as null, in an override missing) as the file writes it.
 */
function asWritten(node: Node | null, v: unknown, ctx: WhenContext): string {
  const items: unknown[] = Array.isArray(v) ? v : [v];
  const infinite = items.some((x) => typeof x === 'number' && !Number.isFinite(x));
  const source = writtenValue(node, ctx).source.trim();
  return infinite && source !== '' ? source : JSON.stringify(v);
}

/**
 * Whether operator `k` of `ops` is the tail of a decimal comma in a flow map: in
 * `{ '>': 1,5 }` YAML reads `'>': 1` and a second key `5` with no value.
 */
function isLocaleTail(ops: YAMLMap, k: number, ctx: WhenContext): boolean {
  const pair = ops.items[k];
  const before = ops.items[k - 1]?.value as Node | null | undefined;
  if (!pair || !isScalar(pair.key) || pair.value !== null || !before?.range) return false;
  const key = pair.key;
  return (
    typeof key.value === 'number' &&
    typeof (before as Scalar).value === 'number' &&
    key.range !== undefined &&
    key.range !== null &&
    ctx.text.slice(before.range[1], key.range[0]) === ','
  );
}

/**
 * A decimal comma in a flow map (`{ '>': 1,5 }`, see {@link isLocaleTail}) is one
 * LOCALE_NUMBER at the number, suggesting `1.5`; true when operator `k` is part of one.
 */
function localeComma(ops: YAMLMap, k: number, ctx: WhenContext, place: KeyPlace): boolean {
  if (isLocaleTail(ops, k, ctx)) return true;
  if (!isLocaleTail(ops, k + 1, ctx)) return false;
  const value = ops.items[k]!.value as Scalar;
  const tail = ops.items[k + 1]!.key as Scalar;
  const written = ctx.text.slice(value.range![0], tail.range![1]);
  ctx.report(
    'LOCALE_NUMBER',
    `'${written}' reads as the number ${String(value.value)} and a second key ${String(tail.value)}: write decimals with a point, ${written.replace(',', '.')}`,
    value,
    place,
  );
  return true;
}

/**
 * A hint for a number written in a locale format that YAML read as text (`1,5`, `1.234.567`,
 * `8.000,50`): the number meant, or null when the text does not look like one.
 */
function localeNumber(text: string): number | null {
  const t = text.trim();
  if (/^[+-]?\d+,\d+$/.test(t)) return Number(t.replace(',', '.'));
  if (/^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$/.test(t)) {
    return Number(t.replace(/\./g, '').replace(',', '.'));
  }
  return null;
}

function checkValue(
  feature: Feature,
  operator: string,
  v: unknown,
  node: Node | null,
  place: KeyPlace,
  ctx: WhenContext,
): NestedCondition[] | null {
  const { report } = ctx;
  const name = feature.name;
  // `null` (YAML `null` or `~`) is a missing value: `{ equal: null }` matches records where
  // the feature is missing, as a distilled rule's `equal null` does. Only `equal`,
  // `notEqual`, `in` and `notIn` compare with it; an order has no place for it.
  const missingAllowed = !NUMERIC_ONLY.has(operator);
  if (feature.type === 'numeric') {
    const nums = operator === 'between' || operator === 'in' || operator === 'notIn' ? v : [v];
    if (
      !Array.isArray(nums) ||
      nums.some(
        (x) => !(x === null && missingAllowed) && (typeof x !== 'number' || !Number.isFinite(x)),
      ) ||
      (operator === 'between' && nums.length !== 2)
    ) {
      const expected =
        operator === 'between'
          ? 'a list of two numbers [low, high]'
          : operator === 'in' || operator === 'notIn'
            ? 'a list of numbers (null for missing)'
            : missingAllowed
              ? 'a number (null for missing)'
              : 'a number';
      const meant = writtenValue(node, ctx).scalars.map((x) =>
        typeof x.value === 'string' ? localeNumber(x.value) : null,
      );
      if (meant.some((m) => m !== null)) {
        report(
          'LOCALE_NUMBER',
          `feature '${name}' is numeric: YAML reads ${JSON.stringify(v)} as text; write numbers with a point for decimals and no thousands separator: ${meant.map((m) => (m === null ? '…' : String(m))).join(', ')}`,
          node,
          place,
        );
        return null;
      }
      report(
        'WRONG_TYPE',
        `feature '${name}' is numeric: expected ${expected}, found ${asWritten(node, v, ctx)}`,
        node,
        place,
      );
      return null;
    }
    if (operator === 'between') {
      return [
        { fact: name, operator: 'greaterThanInclusive', value: nums[0] as number },
        { fact: name, operator: 'lessThanInclusive', value: nums[1] as number },
      ];
    }
    return [
      {
        fact: name,
        operator,
        value: operator === 'in' || operator === 'notIn' ? nums : (nums[0] as number),
      },
    ];
  }
  if (NUMERIC_ONLY.has(operator)) {
    report(
      'WRONG_TYPE',
      `feature '${name}' is categorical: '${operator}' compares numbers; use equal, notEqual, in or not in`,
      node,
      place,
    );
    return null;
  }
  const levels = operator === 'in' || operator === 'notIn' ? v : [v];
  if (
    !Array.isArray(levels) ||
    levels.some((x) => x !== null && typeof x !== 'string' && typeof x !== 'number')
  ) {
    report(
      'WRONG_TYPE',
      `feature '${name}' is categorical: expected ${operator === 'in' || operator === 'notIn' ? 'a list of levels' : 'a level'}, found ${asWritten(node, v, ctx)}`,
      node,
      place,
    );
    return null;
  }
  const given = levels.map((l) => (l === null ? null : String(l)));
  const unknown = given.filter((l): l is string => l !== null && !feature.levels.includes(l));
  if (unknown.length > 0) {
    report(
      'UNKNOWN_CATEGORY',
      `'${unknown.join("', '")}' ${unknown.length > 1 ? 'are not levels' : 'is not a level'} of '${name}'; the levels are '${feature.levels.join("', '")}'`,
      node,
      place,
    );
    return null;
  }
  return [
    {
      fact: name,
      operator,
      value: operator === 'in' || operator === 'notIn' ? given : (given[0] as string | null),
    },
  ];
}
