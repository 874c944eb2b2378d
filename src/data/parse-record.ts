import type { ErrorPlace } from '../errors';
import { classIndex, coerceRecord, type CoerceOptions, type CoercedRecord } from './coerce-record';
import type { Schema } from './types';

/** One record read from a JSON value, a JSONL line or a CSV row, with its label and problems. */
export interface ParsedRecord extends CoercedRecord {
  /** The record's class index, or `null` when the target is absent, missing or unknown. */
  label: number | null;
  /** The raw target value, when the input has the target (to say why `label` is null). */
  target?: unknown;
  /** 1-based line in the source (0 where there is none, e.g. a request body). */
  line: number;
}

/**
 * Check one record given as a parsed JSON value against a schema: the one record parser
 * of neurules, behind JSONL lines, the service's request bodies and `explain --record`.
 *
 * A value that is not a JSON object gives one INVALID_JSON issue (saying what was found);
 * an object is checked by {@link coerceRecord} (UNKNOWN_FEATURE, MISSING_FEATURE,
 * WRONG_TYPE, UNKNOWN_CATEGORY). The target key, when present, gives the label.
 *
 * @example
 * const { record, issues } = parseRecord(schema, JSON.parse(body));
 */
export function parseRecord(
  schema: Schema,
  value: unknown,
  place: ErrorPlace = {},
  options: CoerceOptions = {},
): ParsedRecord {
  const line = place.line ?? 0;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const found = Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
    return invalidRecord(schema, `expected a JSON object of feature values, found ${found}`, place);
  }
  const object = value as Record<string, unknown>;
  const { record, issues } = coerceRecord(schema, object, place, options);
  if (!Object.prototype.hasOwnProperty.call(object, schema.target)) {
    return { record, issues, label: null, line };
  }
  const target = object[schema.target];
  return { record, issues, label: classIndex(schema, target), target, line };
}

/**
 * {@link parseRecord} for JSON text: text that is not valid JSON gives one INVALID_JSON
 * issue with the parser's reason.
 */
export function parseRecordJson(
  schema: Schema,
  text: string,
  place: ErrorPlace = {},
  options: CoerceOptions = {},
): ParsedRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return invalidRecord(schema, `expected valid JSON, found: ${(e as Error).message}`, place);
  }
  return parseRecord(schema, value, place, options);
}

/** A record of missing values carrying one INVALID_JSON issue. */
function invalidRecord(schema: Schema, message: string, place: ErrorPlace): ParsedRecord {
  return {
    record: Object.fromEntries(schema.features.map((f) => [f.name, null])),
    label: null,
    line: place.line ?? 0,
    issues: [{ code: 'INVALID_JSON', message, ...place }],
  };
}
