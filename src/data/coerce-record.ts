import { didYouMean, type ErrorPlace, type Issue } from '../errors';
import { isMissingText, parseNumber } from './parse-value';
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

/**
 * Check one raw object (a JSON body, a JSONL line, a CSV row as strings) against a schema
 * and convert it to a {@link DataRecord}, collecting every problem rather than stopping at
 * the first (zod-style); each issue names its `field`.
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
  const issues: Issue[] = [];
  const placeOf = (field: string): ErrorPlace => {
    const at: ErrorPlace = { field };
    if (place.file !== undefined) at.file = place.file;
    if (place.line !== undefined) at.line = place.line;
    const column =
      place.columns && Object.hasOwn(place.columns, field) ? place.columns[field] : undefined;
    if (column !== undefined) at.column = column;
    return at;
  };

  const names = schema.features.map((f) => f.name);
  const known = new Set(names);
  for (const key of Object.keys(raw)) {
    if (known.has(key) || key === schema.target) continue;
    issues.push({
      code: 'UNKNOWN_FEATURE',
      message: `unknown feature '${key}'${didYouMean(key, names)}`,
      ...placeOf(key),
    });
  }

  const record: DataRecord = {};
  for (const feature of schema.features) {
    record[feature.name] = null;
    if (!Object.prototype.hasOwnProperty.call(raw, feature.name)) {
      issues.push({
        code: 'MISSING_FEATURE',
        message: `the record has no value for feature '${feature.name}' (${feature.type}); use null for a missing value`,
        ...placeOf(feature.name),
      });
      continue;
    }
    const result = coerceValue(feature, raw[feature.name], options);
    if ('problem' in result) {
      issues.push({ code: result.code, message: result.problem, ...placeOf(feature.name) });
    } else {
      record[feature.name] = result.value;
    }
  }
  return { record, issues };
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
  if (raw === null || raw === undefined) return { value: null };
  if (typeof raw === 'string' && isMissingText(raw)) return { value: null };
  if (feature.type === 'numeric') {
    if (typeof raw === 'number') {
      return Number.isFinite(raw)
        ? { value: raw }
        : wrongType(feature, `a finite number`, String(raw));
    }
    if (typeof raw === 'string') {
      const value = parseNumber(raw);
      return value !== undefined ? { value } : wrongType(feature, 'a number', `'${raw}'`);
    }
    return wrongType(feature, 'a number', describe(raw));
  }
  if (typeof raw === 'boolean') {
    const text = String(raw);
    return feature.levels.includes(text)
      ? { value: text }
      : wrongType(feature, `a category (${listLevels(feature)})`, describe(raw));
  }
  if (typeof raw === 'string' || typeof raw === 'number') {
    const text = String(raw).trim();
    if (feature.levels.includes(text) || options.unknownCategories === 'keep') {
      return { value: text };
    }
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
  if (isMissingText(text)) return null;
  const exact = schema.classes.indexOf(text);
  if (exact >= 0) return exact;
  const number = parseNumber(text);
  if (number === undefined) return null;
  const numeric = schema.classes.findIndex((c) => parseNumber(c) === number);
  return numeric >= 0 ? numeric : null;
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
  for (const name of names) {
    if (!present.has(name)) {
      issues.push({
        code: 'MISSING_FEATURE',
        message: `the header has no column for feature '${name}'`,
        ...headerAt,
        field: name,
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
      field: name,
    });
  });
  return issues;
}
