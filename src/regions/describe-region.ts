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

/** One feature's set as words: `duration > 40`, `purpose is one of 'a', 'b' or unseen`. */
export function describeSet(name: string, set: ValueSet): string {
  const parts: string[] = [];
  if (set.kind === 'numeric') {
    parts.push(...set.intervals.map((i) => describeInterval(name, i)));
  } else {
    const levels = set.levels.map((l) => `'${l}'`);
    if (levels.length === 1) parts.push(`${name} is ${levels[0]}`);
    else if (levels.length > 1) parts.push(`${name} is one of ${levels.join(', ')}`);
    if (set.other) parts.push(`${name} is a level not seen in training`);
  }
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
