import { didYouMean, placeAt, type ErrorPlace, type Issue } from '../errors';
import { MISSING_MARKERS, parseNumber } from './parse-value';
import { recordMaker } from './record-maker';
import type { DataRecord, Feature, Schema, Value } from './types';

/** Where a record came from, for the places of its issues. */
export interface RecordPlace {
  file?: string;
  line?: number;
  /** 1-based column of each field in the source (CSV), so issues can name it. */
  columns?: Readonly<Record<string, number>>;
}

/** Options of {@link coerceRecord}. */
export interface CoerceOptions {
  /**
   * What a categorical value that is not one of the feature's levels does: `'error'`
   * reports UNKNOWN_CATEGORY; `'keep'` keeps the text (the rules send unseen levels down a
   * defined branch), as when evaluating a model on a labelled test file.
   * @defaultValue `'error'`
   */
  unknownCategories?: 'error' | 'keep' | undefined;
}

/** A coerced record and every problem found on the way (empty when the record is valid). */
export interface CoercedRecord {
  /** Every feature of the schema, in schema order; a value with a problem is `null`. */
  record: DataRecord;
  issues: Issue[];
}

/** What reading a schema's records needs, worked out once per schema (see {@link planOf}). */
interface SchemaPlan {
  features: readonly Feature[];
  names: readonly string[];
  /** Feature names and the target: the keys a record may have. */
  keys: ReadonlySet<string>;
  /** Per feature (schema order): its levels as a set, or null for a numeric feature. */
  levels: readonly (ReadonlySet<string> | null)[];
  /** Per feature: any text is a value (`CategoricalFeature.open`). */
  open: readonly boolean[];
  /** Per feature: a record may leave it out (`CategoricalFeature.optional`). */
  optional: readonly boolean[];
  /** A record of the features (schema order) from their values. */
  makeRecord: (values: readonly Value[]) => DataRecord;
}

const plans = new WeakMap<Schema, SchemaPlan>();

/** The schema's {@link SchemaPlan}, cached per schema object. */
function planOf(schema: Schema): SchemaPlan {
  let plan = plans.get(schema);
  if (!plan) {
    const names = schema.features.map((f) => f.name);
    plan = {
      features: schema.features,
      names,
      keys: new Set([...names, schema.target]),
      levels: schema.features.map((f) => (f.type === 'numeric' ? null : new Set(f.levels))),
      open: schema.features.map((f) => f.type === 'categorical' && f.open === true),
      optional: schema.features.map((f) => f.type === 'categorical' && f.optional === true),
      makeRecord: recordMaker(names),
    };
    plans.set(schema, plan);
  }
  return plan;
}

const levelSets = new WeakMap<Feature, ReadonlySet<string>>();

/** A categorical feature's levels as a set, cached per feature object. */
function levelSetOf(feature: Feature & { type: 'categorical' }): ReadonlySet<string> {
  let set = levelSets.get(feature);
  if (!set) levelSets.set(feature, (set = new Set(feature.levels)));
  return set;
}

const MISSING: ReadonlySet<string> = new Set(MISSING_MARKERS);

/** What {@link acceptValue} returns for a value it does not accept. */
const REFUSED = Symbol('refused');

/**
 * The value `raw` gives for a feature (numeric when `levels` is null), or {@link REFUSED}.
 * The one place that decides which raw values are accepted: {@link coerceValue} explains
 * the refusals, it never accepts anything this refuses.
 */
function acceptValue(
  levels: ReadonlySet<string> | null,
  raw: unknown,
  keepUnknown: boolean,
): Value | typeof REFUSED {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (MISSING.has(text)) return null;
    if (levels === null) return parseNumber(text) ?? REFUSED;
    return levels.has(text) || keepUnknown ? text : REFUSED;
  }
  if (levels === null) return typeof raw === 'number' && Number.isFinite(raw) ? raw : REFUSED;
  if (typeof raw === 'number') {
    const text = String(raw).trim();
    return levels.has(text) || keepUnknown ? text : REFUSED;
  }
  if (typeof raw === 'boolean') {
    const text = String(raw);
    return levels.has(text) ? text : REFUSED;
  }
  return REFUSED;
}

/** The issue's place for `field` of a record at `place`. */
function placeOf(place: RecordPlace, field: string): ErrorPlace {
  const at: ErrorPlace = placeAt([field]);
  if (place.file !== undefined) at.file = place.file;
  if (place.line !== undefined) at.line = place.line;
  const column =
    place.columns && Object.hasOwn(place.columns, field) ? place.columns[field] : undefined;
  if (column !== undefined) at.column = column;
  return at;
}

/** A value issue for a feature whose value {@link acceptValue} refused. */
function valueIssue(
  feature: Feature,
  raw: unknown,
  place: RecordPlace,
  options: CoerceOptions,
): Issue {
  const result = coerceValue(feature, raw, options) as { code: Issue['code']; problem: string };
  return { code: result.code, message: result.problem, ...placeOf(place, feature.name) };
}

/**
 * Check one raw object (a JSON body, a JSONL line, an override example) against a schema
 * and convert it to a {@link DataRecord}, collecting every problem rather than stopping
 * at the first (zod-style); each issue names its `field`.
 *
 * - a key that is neither a feature nor the target: UNKNOWN_FEATURE (with a did-you-mean);
 * - a feature key that is absent: MISSING_FEATURE (an explicit `null` is a missing value,
 *   which is allowed, as are `''`, `'?'` and `'NA'`);
 * - numeric features take finite numbers or numeric strings (`'42'`), else WRONG_TYPE;
 * - categorical features take strings (trimmed), numbers or booleans whose text is a
 *   level, else UNKNOWN_CATEGORY (listing the levels) or WRONG_TYPE (objects, arrays);
 * - the target key, if present, is ignored.
 *
 * @example
 * const { record, issues } = coerceRecord(schema, { age: '41', purpose: 'car' });
 * if (issues.length > 0) throw NeurulesError.fromIssues(issues);
 */
export function coerceRecord(
  schema: Schema,
  raw: Readonly<Record<string, unknown>>,
  place: RecordPlace = {},
  options: CoerceOptions = {},
): CoercedRecord {
  const plan = planOf(schema);
  const keep = options.unknownCategories === 'keep';
  let issues: Issue[] | undefined;
  // for-in with an own-property check visits what Object.keys lists, in its order, without
  // making an array per record.
  for (const key in raw) {
    if (plan.keys.has(key) || !Object.prototype.hasOwnProperty.call(raw, key)) continue;
    (issues ??= []).push({
      code: 'UNKNOWN_FEATURE',
      message: `unknown feature '${key}'${didYouMean(key, plan.names)}`,
      ...placeOf(place, key),
    });
  }
  const values: Value[] = new Array<Value>(plan.names.length);
  for (let j = 0; j < plan.names.length; j++) {
    const name = plan.names[j]!;
    values[j] = null;
    if (!Object.prototype.hasOwnProperty.call(raw, name)) {
      if (plan.optional[j]) continue;
      (issues ??= []).push({
        code: 'MISSING_FEATURE',
        message: `the record has no value for feature '${name}' (${plan.features[j]!.type}); use null for a missing value`,
        ...placeOf(place, name),
      });
      continue;
    }
    const value = acceptValue(plan.levels[j]!, raw[name], keep || plan.open[j]!);
    if (value !== REFUSED) values[j] = value;
    else (issues ??= []).push(valueIssue(plan.features[j]!, raw[name], place, options));
  }
  return { record: plan.makeRecord(values), issues: issues ?? [] };
}

/**
 * {@link coerceRecord} for one row of fields (a CSV row, its header already checked with
 * {@link checkColumns}): feature `j` of the schema is `fields[columns[j]]`. Values are
 * judged exactly as {@link coerceRecord} judges them.
 */
export function coerceFields(
  schema: Schema,
  fields: readonly string[],
  columns: readonly number[],
  place: RecordPlace = {},
  options: CoerceOptions = {},
): CoercedRecord {
  const plan = planOf(schema);
  const keep = options.unknownCategories === 'keep';
  let issues: Issue[] | undefined;
  const values: Value[] = new Array<Value>(plan.names.length);
  for (let j = 0; j < plan.names.length; j++) {
    const raw = fields[columns[j]!];
    const value = acceptValue(plan.levels[j]!, raw, keep || plan.open[j]!);
    values[j] = value === REFUSED ? null : value;
    if (value === REFUSED) (issues ??= []).push(valueIssue(plan.features[j]!, raw, place, options));
  }
  return { record: plan.makeRecord(values), issues: issues ?? [] };
}

/** The result of coercing one value: the value, or a coded problem. */
export type CoercedValue =
  { value: Value } | { code: 'WRONG_TYPE' | 'UNKNOWN_CATEGORY'; problem: string };

/**
 * Convert one raw value for `feature` (see {@link coerceRecord} for what is accepted).
 * `null`, `undefined` and the missing markers give a `null` value.
 */
export function coerceValue(
  feature: Feature,
  raw: unknown,
  options: CoerceOptions = {},
): CoercedValue {
  const levels = feature.type === 'numeric' ? null : levelSetOf(feature);
  const value = acceptValue(levels, raw, options.unknownCategories === 'keep');
  if (value !== REFUSED) return { value };
  // Refused: say why.
  if (feature.type === 'numeric') {
    if (typeof raw === 'number') return wrongType(feature, 'a finite number', String(raw));
    if (typeof raw === 'string') return wrongType(feature, 'a number', `'${raw}'`);
    return wrongType(feature, 'a number', describe(raw));
  }
  if (typeof raw === 'string' || typeof raw === 'number') {
    const text = String(raw).trim();
    return {
      code: 'UNKNOWN_CATEGORY',
      problem: `'${text}' is not a level of feature '${feature.name}'; expected one of ${listLevels(feature)}${didYouMean(text, feature.levels)}`,
    };
  }
  return wrongType(feature, `a category (${listLevels(feature)})`, describe(raw));
}

/**
 * The class index of a raw target value, or `null` when it is missing or not one of the
 * schema's classes. Numeric labels also match numerically (`1.0` matches class `'1'`).
 */
export function classIndex(schema: Schema, raw: unknown): number | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const text = String(raw).trim();
  if (MISSING.has(text)) return null;
  const exact = classIndexes(schema).get(text);
  if (exact !== undefined) return exact;
  const number = parseNumber(text);
  if (number === undefined) return null;
  const numeric = schema.classes.findIndex((c) => parseNumber(c) === number);
  return numeric >= 0 ? numeric : null;
}

const classMaps = new WeakMap<Schema, ReadonlyMap<string, number>>();

/** Class name → index (the first, as `indexOf` finds it), cached per schema object. */
function classIndexes(schema: Schema): ReadonlyMap<string, number> {
  let map = classMaps.get(schema);
  if (!map) {
    const m = new Map<string, number>();
    schema.classes.forEach((c, i) => {
      if (!m.has(c)) m.set(c, i);
    });
    classMaps.set(schema, (map = m));
  }
  return map;
}

const MAX_LISTED_LEVELS = 20;

/** `'a', 'b' or 'c'` (at most {@link MAX_LISTED_LEVELS} levels, then a count). */
export function listLevels(feature: { levels: readonly string[] }): string {
  const levels = feature.levels;
  if (levels.length === 0) return 'no known levels';
  const shown = levels.slice(0, MAX_LISTED_LEVELS).map((l) => `'${l}'`);
  const more = levels.length > MAX_LISTED_LEVELS ? ` (${levels.length} levels in all)` : '';
  return shown.join(', ') + more;
}

function wrongType(feature: Feature, expected: string, found: string): CoercedValue {
  return {
    code: 'WRONG_TYPE',
    problem: `feature '${feature.name}' is ${feature.type}: expected ${expected}, found ${found}`,
  };
}

function describe(raw: unknown): string {
  if (Array.isArray(raw)) return 'an array';
  if (typeof raw === 'object') return 'an object';
  if (typeof raw === 'string') return `'${raw}'`;
  return `${typeof raw} ${String(raw)}`;
}

/**
 * MISSING_FEATURE for each schema feature absent from a header and UNKNOWN_FEATURE for
 * each header column that is neither a feature nor the target.
 */
export function checkColumns(
  header: readonly string[],
  schema: Schema,
  headerAt: ErrorPlace,
): Issue[] {
  const issues: Issue[] = [];
  const names = schema.features.map((f) => f.name);
  const present = new Set(header);
  for (const f of schema.features) {
    const name = f.name;
    if (!present.has(name) && !(f.type === 'categorical' && f.optional)) {
      issues.push({
        code: 'MISSING_FEATURE',
        message: `the header has no column for feature '${name}'`,
        ...headerAt,
        ...placeAt([name]),
      });
    }
  }
  const known = new Set(names);
  header.forEach((name, index) => {
    if (known.has(name) || name === schema.target) return;
    issues.push({
      code: 'UNKNOWN_FEATURE',
      message: `column '${name}' is not a feature of the model${didYouMean(name, names)}`,
      ...headerAt,
      column: index + 1,
      ...placeAt([name]),
    });
  });
  return issues;
}
