// Only the encoder and types: opening a model checks this before (and without) loading
// TensorFlow.js, so nothing here may import it (test/teacher/check-encoding.integration.test.ts checks).
import type { Schema } from '../data/types';
import { placeAt, type Issue } from '../errors';
import { specFromSchema, type EncoderSpec, type FeatureEncoding } from './encode';

/** What {@link checkEncoding} reads of `teacher.json` (a `TeacherFile` is one). */
export interface TeacherEncoding {
  /** Class labels in output-unit order. */
  classes: readonly string[];
  encoder: EncoderSpec;
}

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/**
 * Compare a schema with the input encoding and output classes of the network saved beside
 * it (`teacher.json`): the network's inputs must be exactly what `specFromSchema(schema)`
 * builds, or its probabilities mean nothing. One `SCHEMA_MISMATCH` issue per difference,
 * with the feature's name as `field`:
 *
 * - a feature of the schema the network has no input for, or an input for a feature the
 *   schema lacks;
 * - a feature at another position among the features both have (input columns are laid
 *   out in feature order);
 * - a feature's type;
 * - a categorical feature's levels: other levels, or the same levels in another order
 *   (one-hot columns follow level order);
 * - a numeric feature's centring (`mean`), scale (`std`, or 1 when that is 0) and missing
 *   indicator (present when the schema saw missing values), compared exactly: both come
 *   from the same schema numbers through JSON, which keeps doubles exact.
 *
 * and one with field `classes` when the classes differ (names, count or output order).
 * An encoder entry that is not an encoding at all gets field `encoder.features[I]`.
 * Imports no TensorFlow.js.
 *
 * @example
 * const issues = checkEncoding(schema, teacherJson, 'models/german-credit/teacher/teacher.json');
 * if (issues.length) throw NeurulesError.fromIssues(issues);
 */
export function checkEncoding(schema: Schema, teacher: TeacherEncoding, file?: string): Issue[] {
  const issues: Issue[] = [];
  const report = (field: string, message: string) =>
    issues.push(
      file === undefined
        ? { code: 'SCHEMA_MISMATCH', message, field }
        : { code: 'SCHEMA_MISMATCH', message, field, file },
    );

  const expected = specFromSchema(schema).features;
  const found: FeatureEncoding[] = [];
  const entries: unknown = (teacher.encoder as Partial<EncoderSpec> | undefined)?.features;
  if (!Array.isArray(entries)) {
    // Without an encoding there is nothing to compare feature by feature.
    report(
      'encoder',
      `expected the network's input encoding (encoder.features), found ${show(entries)}`,
    );
    checkClasses(schema, teacher, report);
    return issues;
  }
  entries.forEach((e: unknown, i) => {
    if (isEncoding(e)) found.push(e);
    else {
      issues.push({
        code: 'INVALID_ARTIFACT',
        message: `expected a feature encoding ({ name, type, ... }), found ${show(e)}`,
        ...placeAt(['encoder', 'features', i]),
        ...(file !== undefined && { file }),
      });
    }
  });

  const inNetwork = new Map(found.map((f) => [f.name, f]));
  const inSchema = new Map(expected.map((f) => [f.name, f]));
  for (const f of expected) {
    if (!inNetwork.has(f.name)) {
      report(
        f.name,
        `expected a network input for the schema's ${f.type} feature '${f.name}', found none`,
      );
    }
  }
  for (const f of found) {
    if (!inSchema.has(f.name)) {
      report(
        f.name,
        `expected network inputs for the schema's features only, found one for '${f.name}', which the schema does not have`,
      );
    }
  }

  // Order among the features both have, so that one missing feature is one issue, and one
  // moved feature too: the features off a longest run in schema order are the moved ones.
  const position = new Map(expected.map((f, i) => [f.name, i]));
  const seen = new Set<string>();
  const shared: FeatureEncoding[] = [];
  for (const f of found) {
    if (!position.has(f.name)) continue;
    if (seen.has(f.name)) report(f.name, `expected one input for feature '${f.name}', found two`);
    else shared.push(f);
    seen.add(f.name);
  }
  const kept = longestIncreasingRun(shared.map((f) => position.get(f.name)!));
  shared.forEach((f, i) => {
    if (kept.has(i)) return;
    report(
      f.name,
      `expected feature '${f.name}' at input position ${position.get(f.name)! + 1} (schema order), found it at ${found.indexOf(f) + 1}`,
    );
  });

  for (const want of expected) {
    const have = inNetwork.get(want.name);
    if (have) compareFeature(want, have, report);
  }

  checkClasses(schema, teacher, report);
  return issues;
}

function checkClasses(
  schema: Schema,
  teacher: TeacherEncoding,
  report: (field: string, message: string) => void,
): void {
  const classes: unknown = teacher.classes;
  if (
    !Array.isArray(classes) ||
    classes.length !== schema.classes.length ||
    classes.some((c, i) => c !== schema.classes[i])
  ) {
    report(
      'classes',
      `expected the network's outputs to be the schema's classes ${show(schema.classes)} in that order, found ${show(classes)}`,
    );
  }
}

function compareFeature(
  want: FeatureEncoding,
  have: FeatureEncoding,
  report: (field: string, message: string) => void,
): void {
  const name = want.name;
  if (want.type !== have.type) {
    report(
      name,
      `expected '${name}' to be ${want.type} as in the schema, found it encoded as ${have.type}`,
    );
    return;
  }
  if (want.type === 'categorical' && have.type === 'categorical') {
    const levels: unknown = have.levels;
    if (!Array.isArray(levels)) {
      report(name, `expected the levels of '${name}', found ${show(levels)}`);
      return;
    }
    if (levels.length === want.levels.length && levels.every((l, i) => l === want.levels[i]))
      return;
    const extra = levels.filter((l) => !want.levels.includes(l as string));
    const lacking = want.levels.filter((l) => !levels.includes(l));
    const what =
      extra.length || lacking.length
        ? [
            extra.length && `${show(extra)} not in the schema`,
            lacking.length && `${show(lacking)} missing`,
          ]
            .filter(Boolean)
            .join(', ')
        : 'the same levels in another order: its one-hot columns would be read as other levels';
    report(
      name,
      `expected the levels of '${name}' to be ${show(want.levels)}, found ${show(levels)} (${what})`,
    );
    return;
  }
  if (want.type === 'numeric' && have.type === 'numeric') {
    if (have.mean !== want.mean) {
      report(
        name,
        `expected '${name}' centred on the schema's mean ${want.mean}, found ${show(have.mean)}`,
      );
    }
    if (have.scale !== want.scale) {
      report(
        name,
        `expected '${name}' scaled by the schema's standard deviation ${want.scale}, found ${show(have.scale)}`,
      );
    }
    if (have.missingIndicator !== want.missingIndicator) {
      report(
        name,
        want.missingIndicator
          ? `expected a missing-value indicator input for '${name}' (the schema saw missing values), found none`
          : `expected no missing-value indicator input for '${name}' (the schema saw no missing values), found one`,
      );
    }
  }
}

/** Indices of one longest strictly increasing subsequence of `xs` (patience sorting). */
function longestIncreasingRun(xs: readonly number[]): Set<number> {
  const tails: number[] = []; // index of the smallest tail of each run length
  const previous: number[] = [];
  xs.forEach((x, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[tails[mid]!]! < x) lo = mid + 1;
      else hi = mid;
    }
    previous[i] = lo > 0 ? tails[lo - 1]! : -1;
    tails[lo] = i;
  });
  const out = new Set<number>();
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i >= 0; i = previous[i]!) out.add(i);
  return out;
}

function isEncoding(e: unknown): e is FeatureEncoding {
  if (typeof e !== 'object' || e === null) return false;
  const o = e as Record<string, unknown>;
  return typeof o['name'] === 'string' && (o['type'] === 'numeric' || o['type'] === 'categorical');
}
