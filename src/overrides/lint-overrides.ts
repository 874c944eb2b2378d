import type { DataRecord, Schema } from '../data/types';
import { comparePlaces, type ErrorCode, type Issue } from '../errors';
import { enterBox } from '../regions/enter-box';
import {
  type Box,
  intersectRegions,
  type Region,
  regionContains,
  regionOf,
  subtractRegions,
} from '../regions/region';
import type { RuleSet } from '../rules/types';
import { type RuleRegion, ruleRegions } from '../regions/rule-regions';
import { hitOrder } from './merge-overrides';
import type { Override } from './parse-overrides';
import { type SuspiciousCode, suspiciousValues } from './suspicious-values';

/** One finding of the override analysis: an issue with its severity, the ids, an example. */
export interface LintFinding extends Issue {
  code:
    | Extract<
        ErrorCode,
        'OVERRIDE_CONFLICT' | 'OVERRIDE_SHADOWED' | 'OVERRIDE_DEAD' | 'OVERRIDE_REDUNDANT'
      >
    | SuspiciousCode;
  /** Conflicts are errors (they make `rules lint` fail); the others are warnings. */
  severity: 'error' | 'warning';
  /** The overrides involved, the one the finding is about first. */
  ids: string[];
  /** A record that shows the finding (built from the nearest training record), if any. */
  example?: DataRecord;
}

/**
 * A record in the region, as close to real data as possible: the training record that
 * needs the fewest (then smallest) changes to enter one of the region's boxes, so moved.
 * Null when the region is empty.
 */
export function exampleRecord(
  region: Region,
  records: readonly DataRecord[],
  schema: Schema,
): DataRecord | null {
  const features = new Map(schema.features.map((f) => [f.name, f]));
  let best: { record: DataRecord; changes: number; cost: number } | null = null;
  const base: DataRecord[] = records.length
    ? records.slice(0, 5000)
    : [Object.fromEntries(schema.features.map((f) => [f.name, null]))];
  for (const box of region) {
    for (const r of base) {
      const entry = enterBox(box, r, features, { actionable: false, withinRange: false });
      if (!entry) continue;
      const n = entry.changes.length;
      if (!best || n < best.changes || (n === best.changes && entry.cost < best.cost)) {
        const record = { ...r };
        for (const c of entry.changes) record[c.feature] = c.to;
        best = { record, changes: n, cost: entry.cost };
        if (n === 0) return record;
      }
    }
  }
  return best?.record ?? null;
}

/**
 * Analyse a valid override set against the distilled rules and the training records,
 * exactly, on the rules' regions:
 * - OVERRIDE_CONFLICT (error): two overrides at the same priority match common records that
 *   no higher override takes, and decide different classes, so only their file order
 *   decides between them;
 * - OVERRIDE_SHADOWED: overrides before it (in hit order) cover every record it matches;
 * - OVERRIDE_DEAD: it matches no training record (or, when its conditions contradict each
 *   other, no record at all);
 * - OVERRIDE_REDUNDANT: on every record it decides, the rules without it (the overrides
 *   after it, then the distilled rules) decide its class.
 * - suspicious values (warnings at the value, see {@link suspiciousValues}): a number in a
 *   locale format, an empty `between`, a threshold outside the training range, a condition
 *   every training record satisfies.
 * Each finding names the ids involved and carries an example record where one exists.
 */
export function lintOverrides(input: {
  overrides: readonly Override[];
  distilled: RuleSet;
  schema: Schema;
  /** Training records (dead overrides are judged on these; examples start from them). */
  records: readonly DataRecord[];
  /** What the records are, in words. @defaultValue 'training records' */
  recordsLabel?: string;
}): LintFinding[] {
  const { schema, records } = input;
  const ordered = hitOrder(input.overrides);
  const regions = ordered.map((o) => regionOf(o.conditions, schema, `override '${o.id}'`));
  // The records each override decides: it matches them and no override before it does.
  const before: Box[] = [];
  const decidesOf = regions.map((region) => {
    const decides = subtractRegions(region, before, schema);
    before.push(...region);
    return decides;
  });
  const findings: LintFinding[] = [];
  const place = (o: Override) => ({ file: o.file, line: o.line, column: o.column, field: 'id' });
  const example = (region: Region) => {
    const e = exampleRecord(region, records, schema);
    return e ? { example: e } : {};
  };

  // The distilled rules' own regions, once: below every override, they decide what no
  // override matches.
  let distilled: RuleRegion[] | undefined;
  /**
   * Whether, without override i, another class would decide some of the records it decides.
   * Those records go to the overrides after it in hit order, then to the distilled rules
   * (no override before it matches them), so one pass down that order over what is left
   * of them is enough; building the whole rule set without it and its regions (quadratic)
   * for each override made lint cubic: 5 s for 300 overrides.
   */
  const decidedOtherwise = (i: number): boolean => {
    const cls = ordered[i]!.class;
    let rest: Region = decidesOf[i]!;
    for (let j = i + 1; j < ordered.length && rest.length; j++) {
      if (ordered[j]!.class !== cls && intersectRegions(rest, regions[j]!, schema).length) {
        return true;
      }
      rest = subtractRegions(rest, regions[j]!, schema);
    }
    if (!rest.length) return false;
    distilled ??= ruleRegions(input.distilled, schema);
    return distilled.some(
      (d) =>
        d.rule.event.params.class !== cls && intersectRegions(rest, d.decides, schema).length > 0,
    );
  };

  ordered.forEach((o, i) => {
    const region = regions[i]!;
    for (let j = 0; j < i; j++) {
      const other = ordered[j]!;
      if (other.priority !== o.priority || other.class === o.class) continue;
      // Records both match that no higher override takes: file order alone decides them.
      const both = intersectRegions(decidesOf[j]!, region, schema);
      if (!both.length) continue;
      findings.push({
        code: 'OVERRIDE_CONFLICT',
        severity: 'error',
        ids: [o.id, other.id],
        message: `'${o.id}' (${o.class}) and '${other.id}' (${other.class}, ${other.file}:${other.line}) both match records like the example at priority ${o.priority}; '${other.id}' decides them only because it comes first in file order. Give one a higher priority or narrow its conditions`,
        ...place(o),
        ...example(both),
      });
    }

    if (!region.length) {
      findings.push({
        code: 'OVERRIDE_DEAD',
        severity: 'warning',
        ids: [o.id],
        message: `'${o.id}' can never match: its conditions contradict each other`,
        ...place(o),
      });
      return;
    }
    const matched = records.filter((r) => regionContains(region, r, schema)).length;
    if (matched === 0) {
      findings.push({
        code: 'OVERRIDE_DEAD',
        severity: 'warning',
        ids: [o.id],
        message: `'${o.id}' matches none of the ${records.length} ${input.recordsLabel ?? 'training records'} (the example is the nearest record it would match)`,
        ...place(o),
        ...example(region),
      });
    }

    const decides = decidesOf[i]!;
    if (!decides.length) {
      // Name the one override that covers it alone, if there is one; else every one that
      // takes a part of it.
      const earlier = ordered.slice(0, i).map((x, j) => ({ id: x.id, region: regions[j]! }));
      const alone = earlier.find((x) => !subtractRegions(region, x.region, schema).length);
      const covering = alone
        ? [alone.id]
        : earlier.filter((x) => intersectRegions(x.region, region, schema).length).map((x) => x.id);
      findings.push({
        code: 'OVERRIDE_SHADOWED',
        severity: 'warning',
        ids: [o.id, ...covering],
        message: `'${o.id}' never decides: ${covering.map((c) => `'${c}'`).join(', ')} ${covering.length === 1 ? 'comes' : 'come'} first and ${covering.length === 1 ? 'matches' : 'match'} every record it matches, e.g. the example`,
        ...place(o),
        ...example(region),
      });
      return;
    }

    if (!decidedOtherwise(i)) {
      findings.push({
        code: 'OVERRIDE_REDUNDANT',
        severity: 'warning',
        ids: [o.id],
        message: `'${o.id}' changes nothing: on every record it decides, the rules without it (later overrides, then the distilled rules) already decide ${o.class} (e.g. the example)`,
        ...place(o),
        ...example(decides),
      });
    }
  });
  findings.push(...suspiciousValues(input.overrides, schema, records, input.recordsLabel));
  // In file order, as validation problems are.
  return findings.sort(comparePlaces);
}
