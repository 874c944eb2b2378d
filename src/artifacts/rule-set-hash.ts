import { createHash } from 'node:crypto';
import type { RuleSet } from '../rules/types';

/**
 * Content hash of a rule set: sha256 of its rules as canonical JSON (object keys sorted),
 * so the same rules give the same hash on every machine, whatever the file's layout.
 */
export function ruleSetHash(ruleSet: Pick<RuleSet, 'rules'>): string {
  return createHash('sha256').update(canonicalJson(ruleSet.rules)).digest('hex');
}

/** JSON with object keys sorted at every level (a number that is not finite as `Infinity`, `NaN`). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  // JSON writes a number that is not finite as null: such a number (1e400 read from a file)
  // must not hash as the null it is not.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value) ?? 'null';
}
