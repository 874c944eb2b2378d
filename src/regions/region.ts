import type { NestedCondition, TopLevelCondition } from 'json-rules-engine';
import type { DataRecord, Feature, Schema } from '../data/types';
import { NeurulesError } from '../errors';
import {
  allLevels,
  allNumbers,
  complementSet,
  intersectSets,
  isEmptySet,
  isFullSet,
  levelPoints,
  numericComparison,
  numericPoints,
  sameSet,
  setContains,
  setsDisjoint,
  unionSets,
  type ValueSet,
} from './value-set';

/**
 * A box: for each feature it constrains, the set of values it allows (a feature not named
 * is unconstrained). A record is in the box when every named feature's value is in its set.
 */
export type Box = Readonly<Record<string, ValueSet>>;

/**
 * A region of the record space: the union of its boxes. The records a json-rules-engine
 * condition tree matches form exactly such a region, so whether two rules overlap, whether
 * one covers another, and where the nearest record of another class lies are exact
 * questions with exact answers.
 */
export type Region = readonly Box[];

/**
 * The value an object holds under `key` as its own property, else undefined. Boxes and
 * records are plain objects keyed by feature names, and a feature may be named
 * `constructor`, `toString` or `__proto__`: `box[name]` would find Object.prototype's.
 */
export function ownValue<T>(o: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/**
 * Set `o[key] = value` as an own property: for `__proto__`, an assignment would replace
 * the object's prototype unless it already has one of its own.
 */
export function setOwn<T>(o: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__' && !Object.hasOwn(o, key)) {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  } else o[key] = value;
}

/** The region of every record. */
export const EVERYTHING: Region = [{}];

const NUMERIC_OPERATORS = new Set([
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
]);

/** The operators region analysis knows: any other is a custom one. */
const OPERATORS = new Set([...NUMERIC_OPERATORS, 'equal', 'notEqual', 'in', 'notIn']);

/**
 * Each schema's features by name, built once per feature list (a search of the list on
 * every box operation was a good part of a large lint), the first of a name winning as
 * `find` did.
 */
const FEATURES = new WeakMap<readonly Feature[], ReadonlyMap<string, Feature>>();

function featureNamed(schema: Schema, name: string): Feature | undefined {
  let byName = FEATURES.get(schema.features);
  if (!byName) {
    byName = new Map([...schema.features].reverse().map((f) => [f.name, f]));
    FEATURES.set(schema.features, byName);
  }
  return byName.get(name);
}

function featureOf(schema: Schema, name: string, where: string): Feature {
  const feature = featureNamed(schema, name);
  if (!feature) {
    throw new NeurulesError(
      'UNKNOWN_FACT',
      `${where}: expected a feature of the model as the fact, found '${name}'`,
      {
        field: name,
      },
    );
  }
  return feature;
}

function levelsOf(feature: Feature): string[] {
  return feature.type === 'categorical' ? feature.levels : [];
}

function fullSet(feature: Feature): ValueSet {
  return feature.type === 'numeric' ? allNumbers() : allLevels(feature.levels);
}

/** The set of values of `feature` a single json-rules-engine comparison accepts. */
function comparisonSet(
  feature: Feature,
  operator: string,
  value: unknown,
  where: string,
): ValueSet {
  const unsupported = (): never => {
    throw new NeurulesError(
      OPERATORS.has(operator) ? 'UNSUPPORTED_VALUE' : 'UNSUPPORTED_OPERATOR',
      `${where}: '${feature.name} ${operator} ${JSON.stringify(value)}' is outside what region analysis handles`,
      { field: feature.name },
    );
  };
  const list = (): unknown[] => (Array.isArray(value) ? value : unsupported());
  if (feature.type === 'numeric') {
    if (NUMERIC_OPERATORS.has(operator)) {
      // json-rules-engine: a missing or non-numeric fact makes a numeric comparison false.
      return typeof value === 'number' && Number.isFinite(value)
        ? numericComparison(operator, value)
        : unsupported();
    }
    const points = (vs: unknown[]) =>
      numericPoints(
        vs.map((v) => (v === null || typeof v === 'number' ? v : unsupported())) as (
          number | null
        )[],
      );
    if (operator === 'equal') return points([value]);
    if (operator === 'notEqual') return complementSet(points([value]));
    if (operator === 'in') return points(list());
    if (operator === 'notIn') return complementSet(points(list()));
    return unsupported();
  }
  const levels = feature.levels;
  const texts = (vs: unknown[]) =>
    vs.map((v) => {
      if (v === null) return null;
      if (typeof v !== 'string' || !levels.includes(v)) unsupported();
      return v as string;
    });
  if (operator === 'equal') return levelPoints(levels, texts([value]));
  if (operator === 'notEqual') return complementSet(levelPoints(levels, texts([value])), levels);
  if (operator === 'in') return levelPoints(levels, texts(list()));
  if (operator === 'notIn') return complementSet(levelPoints(levels, texts(list())), levels);
  return unsupported();
}

/** The boxes in both regions. */
export function intersectRegions(a: Region, b: Region, schema: Schema): Region {
  const out: Box[] = [];
  for (const x of a) {
    for (const y of b) {
      const box = intersectBoxes(x, y, schema);
      if (box) out.push(box);
    }
  }
  return out;
}

/**
 * Whether two boxes share a record: exactly when {@link intersectBoxes} is not null, but
 * without building the intersection. Most pairs of boxes a region operation meets share
 * nothing (a thousand overrides on disjoint ranges: each against every other), and then
 * one allocation-free test per feature is all it costs.
 */
export function boxesMeet(a: Box, b: Box): boolean {
  for (const name in b) {
    const mine = ownValue(a, name);
    const set = b[name]!;
    if (mine ? setsDisjoint(mine, set) : isEmptySet(set)) return false;
  }
  return true;
}

/** The intersection of two boxes, or null when it is empty. */
export function intersectBoxes(a: Box, b: Box, schema: Schema): Box | null {
  if (!boxesMeet(a, b)) return null;
  const out: Record<string, ValueSet> = { ...a };
  for (const [name, set] of Object.entries(b)) {
    const mine = ownValue(out, name);
    const next = mine ? intersectSets(mine, set) : set;
    if (isEmptySet(next)) return null;
    setOwn(out, name, next);
  }
  return simplifyBox(out, schema);
}

/** Drop constraints that allow the whole domain. */
function simplifyBox(box: Record<string, ValueSet>, schema: Schema): Box {
  for (const [name, set] of Object.entries(box)) {
    const feature = featureNamed(schema, name);
    if (feature && isFullSet(set, levelsOf(feature))) delete box[name];
  }
  return box;
}

/**
 * `a` minus `b`, as disjoint boxes: for the features f1..fk that `b` constrains, the
 * piece where f1..f(i-1) are inside `b` and fi is outside it.
 */
export function subtractBox(a: Box, b: Box, schema: Schema): Box[] {
  if (!boxesMeet(a, b)) return [a];
  const pieces: Box[] = [];
  let inside: Record<string, ValueSet> = { ...a };
  for (const [name, set] of Object.entries(b)) {
    const feature = featureOf(schema, name, 'region');
    const mine = ownValue(inside, name) ?? fullSet(feature);
    const outside = intersectSets(mine, complementSet(set, levelsOf(feature)));
    if (!isEmptySet(outside)) pieces.push(simplifyBox({ ...inside, [name]: outside }, schema));
    const within = intersectSets(mine, set);
    if (isEmptySet(within)) return pieces;
    inside = { ...inside, [name]: within };
  }
  return pieces;
}

/**
 * The records of `a` that are not in `b`: each box of `b` taken from each box left. A box
 * left that `b`'s box does not meet stays as it is, and the list is copied only when one
 * does: most do not (a rule's records minus a thousand overrides on other records).
 */
export function subtractRegions(a: Region, b: Region, schema: Schema): Region {
  let rest: Box[] = [...a];
  for (const y of b) {
    let next: Box[] | null = null;
    for (let i = 0; i < rest.length; i++) {
      const x = rest[i]!;
      if (!boxesMeet(x, y)) {
        next?.push(x);
        continue;
      }
      next ??= rest.slice(0, i);
      for (const piece of subtractBox(x, y, schema)) next.push(piece);
    }
    if (next) rest = next;
    if (!rest.length) break;
  }
  return rest;
}

/** Merge boxes that differ in one feature only (keeps regions small). */
export function mergeBoxes(boxes: Box[], schema: Schema): Box[] {
  const out = [...boxes];
  for (let changed = true; changed;) {
    changed = false;
    outer: for (let i = 0; i < out.length; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const merged = mergePair(out[i]!, out[j]!, schema);
        if (merged) {
          out[i] = merged;
          out.splice(j, 1);
          changed = true;
          break outer;
        }
      }
    }
  }
  return out;
}

/**
 * {@link mergeBoxes} for a few boxes: at most `most` are merged, more are returned as they
 * are, since merging is quadratic per pass (worth it, and cheap, for the few boxes of a
 * finding one reports; not for thousands).
 */
export function mergeFewBoxes(boxes: Region, schema: Schema, most = 200): Box[] {
  return boxes.length > most ? [...boxes] : mergeBoxes([...boxes], schema);
}

function mergePair(a: Box, b: Box, schema: Schema): Box | null {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  let differing: string | null = null;
  for (const name of names) {
    const x = ownValue(a, name);
    const y = ownValue(b, name);
    if (x && y && sameSet(x, y)) continue;
    if (differing !== null) return null;
    differing = name;
  }
  if (differing === null) return a;
  const x = ownValue(a, differing);
  const y = ownValue(b, differing);
  if (!x || !y)
    return simplifyBox(
      Object.fromEntries(Object.entries(a).filter(([k]) => k !== differing)),
      schema,
    );
  const feature = featureOf(schema, differing, 'region');
  return simplifyBox({ ...a, [differing]: unionSets(x, y, levelsOf(feature)) }, schema);
}

/**
 * The region a json-rules-engine condition tree matches, under the engine's semantics
 * for records whose every feature is a fact (missing = `null`). Conditions outside the
 * operators neurules writes (named conditions, `path`, custom operators, a fact that is
 * not a feature) raise the refusal's code (UNKNOWN_FACT, UNSUPPORTED_OPERATOR, ...) naming `where`.
 */
export function regionOf(
  condition: TopLevelCondition | NestedCondition,
  schema: Schema,
  where = 'rule',
): Region {
  const c = condition as unknown as Record<string, unknown>;
  if (Array.isArray(c.all)) {
    let region: Region = EVERYTHING;
    for (const child of c.all as NestedCondition[]) {
      region = intersectRegions(region, regionOf(child, schema, where), schema);
      if (!region.length) break;
    }
    return region;
  }
  if (Array.isArray(c.any)) {
    // json-rules-engine: an empty `any` is true, like an empty `all`.
    if (c.any.length === 0) return EVERYTHING;
    const boxes = (c.any as NestedCondition[]).flatMap((child) => regionOf(child, schema, where));
    return mergeBoxes(boxes, schema);
  }
  if (c.not !== undefined) {
    return subtractRegions(EVERYTHING, regionOf(c.not as NestedCondition, schema, where), schema);
  }
  if (typeof c.fact === 'string' && typeof c.operator === 'string' && c.path === undefined) {
    if (c.params !== undefined) {
      throw new NeurulesError(
        'UNSUPPORTED_FACT_PARAMS',
        `${where}: fact params are not supported`,
        {
          field: c.fact,
        },
      );
    }
    const feature = featureOf(schema, c.fact, where);
    const set = comparisonSet(feature, c.operator, c.value, where);
    if (isEmptySet(set)) return [];
    return [simplifyBox({ [feature.name]: set }, schema)];
  }
  throw new NeurulesError(
    c.condition !== undefined
      ? 'UNSUPPORTED_CONDITION_REFERENCE'
      : c.path !== undefined
        ? 'UNSUPPORTED_FACT_PATH'
        : 'INVALID_RULES',
    `${where}: condition ${JSON.stringify(condition).slice(0, 80)} is outside what region analysis handles`,
    {},
  );
}

/** Whether a record lies in the box. */
export function boxContains(box: Box, record: DataRecord, schema: Schema): boolean {
  for (const [name, set] of Object.entries(box)) {
    const feature = featureNamed(schema, name);
    if (!setContains(set, ownValue(record, name) ?? null, feature ? levelsOf(feature) : []))
      return false;
  }
  return true;
}

/** Whether a record lies in the region. */
export function regionContains(region: Region, record: DataRecord, schema: Schema): boolean {
  return region.some((box) => boxContains(box, record, schema));
}
