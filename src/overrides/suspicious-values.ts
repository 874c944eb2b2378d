import type { DataRecord, NumericFeature, Schema } from '../data/types';
import type { Issue } from '../errors';
import { regionContains, regionOf } from '../regions/region';
import type { Override, WrittenCondition, WrittenScalar } from './parse-overrides';

/** The codes of suspicious values, each a warning. */
export type SuspiciousCode =
  'LOCALE_NUMBER' | 'EMPTY_BETWEEN' | 'VALUE_OUT_OF_RANGE' | 'CONDITION_ALWAYS_TRUE';

/** One suspicious value: a warning at the value's place, its fix in the message. */
export interface SuspiciousValue extends Issue {
  code: SuspiciousCode;
  severity: 'warning';
  /** The override the value is written in. */
  ids: string[];
}

/** The operators whose value is a threshold on a numeric feature. */
const THRESHOLDS = new Set([
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'between',
]);

/** A number written as German thousands (`8.000`, `12.500`): YAML reads it as 8, 12.5. */
const THOUSANDS = /^[+-]?\d{1,3}\.\d{3}$/;

/** A list written with a comma and no space between digits (`[1,5]`): maybe a decimal comma. */
const DECIMAL_COMMA_IN_LIST = /\d,\d/;

/** What the training records say of a numeric feature. */
interface Seen {
  min: number;
  max: number;
  /** Every value seen is a whole number. */
  integer: boolean;
}

/**
 * The values in overrides that are valid but probably not what the expert meant, judged on
 * the training records (the schema's range where there are none), at most one per condition:
 * - LOCALE_NUMBER: a number that looks like locale formatting, where the training values
 *   say so: `8.000` (YAML reads 8) where 8 lies outside their range and 8000 inside it (a
 *   value read that is a plausible value of the feature, as `age < 25.500`, is not
 *   flagged), or a list `[1,5]` where the values have decimals; the fix is `8000` or `1.5`;
 * - EMPTY_BETWEEN: a `between` whose low end is above its high end;
 * - VALUE_OUT_OF_RANGE: a threshold outside the training range (the range is named);
 * - CONDITION_ALWAYS_TRUE: a condition every training record satisfies (outside a `not`),
 *   which restricts nothing.
 */
export function suspiciousValues(
  overrides: readonly Override[],
  schema: Schema,
  records: readonly DataRecord[],
  /** What the records are, in words. @defaultValue 'training records' */
  label = 'training records',
): SuspiciousValue[] {
  const seen = seenValues(schema, records);
  const out: SuspiciousValue[] = [];
  for (const o of overrides) {
    for (const c of o.written ?? []) {
      const found = suspicious(c, seen.get(c.feature), schema, { records, label });
      if (found) {
        out.push({
          severity: 'warning',
          ids: [o.id],
          file: o.file,
          line: found.at.line,
          column: found.at.column,
          field: c.feature,
          code: found.code,
          message: found.message,
        });
      }
    }
  }
  return out;
}

/** The range of each numeric feature in the records (the schema's, where none has a value). */
function seenValues(schema: Schema, records: readonly DataRecord[]): Map<string, Seen> {
  const seen = new Map<string, Seen>();
  for (const f of schema.features) {
    if (f.type !== 'numeric') continue;
    let s: Seen | undefined;
    for (const r of records) {
      const v = r[f.name];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      if (!s) s = { min: v, max: v, integer: Number.isInteger(v) };
      else {
        if (v < s.min) s.min = v;
        if (v > s.max) s.max = v;
        if (!Number.isInteger(v)) s.integer = false;
      }
    }
    seen.set(f.name, s ?? fromSchema(f));
  }
  return seen;
}

function fromSchema(f: NumericFeature): Seen {
  return { min: f.min, max: f.max, integer: f.integer };
}

/** The first suspicious thing about one condition, by how surely it is a mistake. */
function suspicious(
  c: WrittenCondition,
  seen: Seen | undefined,
  schema: Schema,
  judged: { records: readonly DataRecord[]; label: string },
): { code: SuspiciousCode; message: string; at: { line: number; column: number } } | null {
  const { records, label } = judged;
  const range = seen && `${seen.min}–${seen.max}`;
  if (seen) {
    for (const s of c.scalars) {
      const meant = thousandsMeant(s, seen);
      if (meant !== null) {
        return {
          code: 'LOCALE_NUMBER',
          at: s,
          message: `'${s.source}' reads as ${String(s.value)}, not ${meant}: YAML has no thousands separator (the values of '${c.feature}' in the ${label} are ${range}); write ${meant}, or ${String(s.value)} to keep it`,
        };
      }
    }
    if (!seen.integer && c.scalars.length > 1 && DECIMAL_COMMA_IN_LIST.test(c.source)) {
      const meant = c.source
        .replace(/\s/g, '')
        .replace(/^\[|\]$/g, '')
        .replace(/,/g, '.');
      return {
        code: 'LOCALE_NUMBER',
        at: c,
        message: `'${c.source}' reads as a list of ${c.scalars.length} numbers; '${c.feature}' has decimals in the ${label}: for ${meant} write ${meant}, for a list put a space after each comma`,
      };
    }
  }
  const numbers = c.scalars.map((s) => s.value);
  if (c.operator === 'between' && (numbers[0] as number) > (numbers[1] as number)) {
    return {
      code: 'EMPTY_BETWEEN',
      at: c,
      message: `'${c.feature}' between ${c.source} matches nothing: the low end comes first; write [${String(numbers[1])}, ${String(numbers[0])}]`,
    };
  }
  if (seen && THRESHOLDS.has(c.operator)) {
    for (const s of c.scalars) {
      const v = s.value as number;
      if (v >= seen.min && v <= seen.max) continue;
      return {
        code: 'VALUE_OUT_OF_RANGE',
        at: s,
        message: `${String(v)} is outside the range of '${c.feature}' in the ${label}, ${range}${records.length ? `, so the condition holds for ${holdsFor(c, schema, records)} of them` : ''}: use a threshold within ${range}, or keep it as a safeguard for values the data never showed`,
      };
    }
  }
  if (!c.negated && records.length > 0 && holdsFor(c, schema, records) === 'every one') {
    return {
      code: 'CONDITION_ALWAYS_TRUE',
      at: c,
      message: `every one of the ${records.length} ${label} satisfies this condition on '${c.feature}', so it restricts nothing; tighten its value or remove it`,
    };
  }
  return null;
}

/**
 * The number a scalar written as German thousands (`8.000`) meant, when the training values
 * say so: the value read lies outside their range and the one meant inside it. Null when it
 * does not look so: a value read inside the range (`age < 25.500`, read 25.5) is a plausible
 * threshold, whole-number values or not, and one meant outside it (`age > 1.000`) is no
 * better a reading than the one YAML makes.
 */
function thousandsMeant(s: WrittenScalar, seen: Seen): number | null {
  if (typeof s.value !== 'number' || !THOUSANDS.test(s.source.trim())) return null;
  const meant = Number(s.source.trim().replace('.', ''));
  const inside = (v: number): boolean => v >= seen.min && v <= seen.max;
  return !inside(s.value) && inside(meant) ? meant : null;
}

/** Which of the records a condition holds for: every one, none, or some. */
function holdsFor(
  c: WrittenCondition,
  schema: Schema,
  records: readonly DataRecord[],
): 'every one' | 'none' | 'some' {
  const region = regionOf({ all: c.conditions }, schema);
  const n = records.filter((r) => regionContains(region, r, schema)).length;
  return n === records.length ? 'every one' : n === 0 ? 'none' : 'some';
}
