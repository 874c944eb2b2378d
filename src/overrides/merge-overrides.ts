import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Schema } from '../data/types';
import { comparePlaces, type Issue, NeurulesError } from '../errors';
import { DISTILLED_PRIORITY } from '../rules/compile-tree';
import { DECISION_EVENT, type NeurulesRule, type RuleSet } from '../rules/types';
import { type DeclaredId, type Override, parseOverrides } from './parse-overrides';

/**
 * Read every `*.yaml` / `*.yml` file of an overrides directory (in name order) and check
 * them together: every problem of every file, plus ids used twice across files
 * (DUPLICATE_ID). All files are valid or none is used. A missing directory means no
 * overrides.
 */
export function safeLoadOverrides(
  dir: string,
  schema: Schema,
): { ok: true; value: Override[] } | { ok: false; issues: Issue[] } {
  if (!fs.existsSync(dir)) return { ok: true, value: [] };
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort();
  const issues: Issue[] = [];
  const overrides: Override[] = [];
  const declared: DeclaredId[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    const parsed = parseOverrides(fs.readFileSync(file, 'utf8'), file, schema);
    issues.push(...parsed.issues);
    overrides.push(...parsed.overrides);
    declared.push(...parsed.declared);
  }
  // Every id written, valid entry or not: a duplicate is reported with the other problems.
  const seen = new Map<string, DeclaredId>();
  for (const d of declared) {
    const first = seen.get(d.id);
    if (first) {
      issues.push({
        code: 'DUPLICATE_ID',
        message: `override id '${d.id}' is already used at ${first.file}:${first.line}`,
        file: d.file,
        line: d.line,
        column: d.column,
        field: 'id',
      });
    } else seen.set(d.id, d);
  }
  return issues.length ? { ok: false, issues } : { ok: true, value: overrides };
}

/** {@link safeLoadOverrides} that throws the problems as one NeurulesError. */
export function loadOverrides(dir: string, schema: Schema): Override[] {
  const r = safeLoadOverrides(dir, schema);
  if (!r.ok) throw NeurulesError.fromIssues(r.issues);
  return r.value;
}

/**
 * Overrides in the order they are tried: priority (highest first), then file, then
 * position. Files compare by code unit, as the loader lists them: the same on every
 * machine (`localeCompare` would follow the process locale and case rules).
 */
export function hitOrder(overrides: readonly Override[]): Override[] {
  return [...overrides].sort((a, b) => b.priority - a.priority || comparePlaces(a, b));
}

/**
 * The hit policy as one json-rules-engine rule set: overrides are ordered by their
 * priority (highest first), then by file and position; each gets its own json-rules-engine
 * priority above every distilled rule (which keep priority 1), in that order. So a plain
 * json-rules-engine run, taking the first event (the highest priority), decides by the
 * first matching override, and by the distilled rule when none matches.
 */
export function mergeOverrides(
  distilled: RuleSet,
  overrides: readonly Override[],
  schema: Schema,
): RuleSet {
  const ordered = hitOrder(overrides);
  const rules: NeurulesRule[] = ordered.map((o, rank) => {
    const probabilities: Record<string, number> = {};
    for (const c of schema.classes) probabilities[c] = c === o.class ? 1 : 0;
    return {
      name: o.id,
      priority: DISTILLED_PRIORITY + ordered.length - rank,
      conditions: o.conditions,
      event: {
        type: DECISION_EVENT,
        params: {
          ruleId: o.id,
          class: o.class,
          probabilities,
          support: 0,
          source: 'override',
          ...(o.reason !== undefined && { reason: o.reason }),
        },
      },
    };
  });
  return { ...distilled, rules: [...rules, ...distilled.rules] };
}
