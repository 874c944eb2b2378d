import type { Schema } from '../data/types';
import { type Box, ownValue } from './region';
import { isFullSet, type Interval, type ValueSet } from './value-set';

const show = (v: number): string => String(v);

function describeInterval(name: string, i: Interval): string {
  const lo = Number.isFinite(i.lo);
  const hi = Number.isFinite(i.hi);
  if (lo && hi && i.lo === i.hi) return `${name} = ${show(i.lo)}`;
  if (lo && hi)
    return `${show(i.lo)} ${i.loClosed ? '≤' : '<'} ${name} ${i.hiClosed ? '≤' : '<'} ${show(i.hi)}`;
  if (lo) return `${name} ${i.loClosed ? '≥' : '>'} ${show(i.lo)}`;
  if (hi) return `${name} ${i.hiClosed ? '≤' : '<'} ${show(i.hi)}`;
  return `${name} is any number`;
}

/** The values a set names (its intervals or levels), as words, without unseen or missing. */
function namedValues(name: string, set: ValueSet): string[] {
  if (set.kind === 'numeric') return set.intervals.map((i) => describeInterval(name, i));
  const levels = set.levels.map((l) => `'${l}'`);
  if (levels.length === 1) return [`${name} is ${levels[0]}`];
  return levels.length > 1 ? [`${name} is one of ${levels.join(', ')}`] : [];
}

/** One feature's set as words: `duration > 40`, `purpose is one of 'a', 'b' or unseen`. */
export function describeSet(name: string, set: ValueSet): string {
  const parts = namedValues(name, set);
  if (set.kind === 'categorical' && set.other)
    parts.push(`${name} is a level not seen in training`);
  if (set.missing) parts.push(`${name} is missing`);
  return parts.length ? parts.join(' or ') : `${name} has no value`;
}

/**
 * A box of the record space as readable conditions, one per constrained feature, joined
 * by "and" (schema order); "any record" when nothing is constrained.
 *
 * @example
 * describeBox({ duration: numericComparison('greaterThan', 40) }, schema); // 'duration > 40'
 */
export function describeBox(box: Box, schema: Schema): string {
  const parts: string[] = [];
  for (const f of schema.features) {
    const set = ownValue(box, f.name);
    if (!set || isFullSet(set, f.type === 'categorical' ? f.levels : [])) continue;
    const text = describeSet(f.name, set);
    parts.push(text.includes(' or ') ? `(${text})` : text);
  }
  return parts.length ? parts.join(' and ') : 'any record';
}

/**
 * A box of the record space in parts a reader takes in at once: the conditions on the
 * features named `first` (the deciding override's, in its order), the conditions on the
 * others (schema order), and the features whose unseen levels or missing values the box
 * includes besides the values its conditions name, each said once for the box (see
 * {@link describeIncluded}) instead of "or X is missing" in every condition. A feature the
 * box allows only unseen levels or only missing values of keeps that as its condition.
 */
export interface RegionParts {
  /** Conditions on the features named first, in that order. */
  first: string[];
  /** Conditions on the other features, in schema order. */
  rest: string[];
  /** Features whose levels not seen in training the box includes. */
  unseen: string[];
  /** Features whose missing values the box includes. */
  missing: string[];
}

/**
 * {@link RegionParts} of a box; `first` names the features to state first (a name the box
 * does not constrain is skipped).
 *
 * @example
 * describeRegionParts(box, schema, ['age']);
 * // { first: ['18 ≤ age < 25'], rest: ['duration > 40'], unseen: [], missing: ['age'] }
 */
export function describeRegionParts(
  box: Box,
  schema: Schema,
  first: readonly string[] = [],
): RegionParts {
  const parts: RegionParts = { first: [], rest: [], unseen: [], missing: [] };
  const byName = new Map<string, string>();
  for (const f of schema.features) {
    const set = ownValue(box, f.name);
    if (!set || isFullSet(set, f.type === 'categorical' ? f.levels : [])) continue;
    const named = namedValues(f.name, set);
    const other = set.kind === 'categorical' && set.other;
    if (named.length === 0) {
      // Only unseen levels or missing values: that is the condition itself.
      byName.set(f.name, describeSet(f.name, set));
      continue;
    }
    if (other) parts.unseen.push(f.name);
    if (set.missing) parts.missing.push(f.name);
    const text = named.join(' or ');
    byName.set(f.name, named.length > 1 ? `(${text})` : text);
  }
  for (const name of first) {
    const text = byName.get(name);
    if (text === undefined) continue;
    parts.first.push(text);
    byName.delete(name);
  }
  parts.rest.push(...byName.values());
  return parts;
}

const list = (names: readonly string[]): string =>
  names.length > 1
    ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
    : names.join('');

/**
 * What {@link RegionParts} says once for the box: `unseen levels and missing values of
 * purpose included`, `missing values of age and duration included`; '' when nothing.
 */
export function describeIncluded(parts: Pick<RegionParts, 'unseen' | 'missing'>): string {
  const { unseen, missing } = parts;
  if (!unseen.length && !missing.length) return '';
  if (unseen.length && unseen.length === missing.length && unseen.every((n, i) => n === missing[i]))
    return `unseen levels and missing values of ${list(unseen)} included`;
  const said: string[] = [];
  if (unseen.length) said.push(`unseen levels of ${list(unseen)}`);
  if (missing.length) said.push(`missing values of ${list(missing)}`);
  return `${said.join(' and ')} included`;
}
