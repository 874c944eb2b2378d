import type { DataRecord } from '../data/types';
import { compileRuleSet } from '../engine/compiled-rules';
import { NeurulesError } from '../errors';
import type { Override } from '../overrides/parse-overrides';
import type { RuleSet } from '../rules/types';

/** What one override does to a set of labelled records. */
export interface OverrideImpactItem {
  id: string;
  /** Where the override is written. */
  file: string;
  line: number;
  /** The class it decides. */
  class: string;
  /** Its priority as written in YAML. */
  priority: number;
  reason: string | null;
  owner: string | null;
  /** Records this override decided under the hit policy (the first matching override). */
  fires: number;
  /** Of those, records where the distilled rules alone decide another class. */
  changed: number;
  /**
   * Change in accuracy over all records due to this override:
   * (correct with − correct without, over the records it decided) / all records.
   */
  accuracyDelta: number;
  /** As `accuracyDelta`, for agreement with the network (fidelity). */
  fidelityDelta: number;
}

/** What a set of overrides does to a set of labelled records; see {@link overrideImpact}. */
export interface OverrideImpact {
  /** Records measured on. */
  records: number;
  /** Accuracy of the distilled rules alone. */
  accuracyWithout: number;
  /** Accuracy of the merged rule set (overrides above the distilled rules). */
  accuracyWith: number;
  /** Agreement of the distilled rules alone with the network. */
  fidelityWithout: number;
  /** Agreement of the merged rule set with the network. */
  fidelityWith: number;
  /** Records whose merged decision differs from the distilled rules' decision. */
  changed: number;
  /** One item per override, in hit-policy order (the order of override rules in `merged`). */
  items: OverrideImpactItem[];
}

/** Input of {@link overrideImpact}. */
export interface OverrideImpactInput {
  /** Class names; `labels` and `network` are indices into this list. */
  classes: string[];
  /** The overrides merged into `merged` (from `loadOverrides` or `openModel`). */
  overrides: readonly Override[];
  /** The distilled rules with the overrides above them (`mergeOverrides`). */
  merged: RuleSet;
  /** The distilled rules alone. */
  distilled: RuleSet;
  records: readonly DataRecord[];
  /** True class index of each record. */
  labels: readonly number[];
  /** The network's class index of each record. */
  network: readonly number[];
}

/**
 * Measure what each expert override does on labelled records: how many records it
 * decides under the hit policy, how many of those it decides differently from the
 * distilled rules alone, and how that moves accuracy and fidelity (agreement with the
 * network), with totals before and after. Every record the overrides change is decided
 * by exactly one override, so the items' `changed` add up to `changed`, and their deltas
 * to the total differences. Both rule sets are compiled (`compileRuleSet`), so the rules
 * must be in the compiled subset.
 *
 * Throws INVALID_ARGUMENT when `records`, `labels` and `network` differ in length, or an
 * override rule of `merged` has no override in `overrides`.
 *
 * @example
 * const impact = overrideImpact({ classes, overrides: model.overrides, merged: model.ruleSet,
 *   distilled: model.distilled, records: test.records, labels: test.labels,
 *   network: teacher.predict(test.records) });
 * console.log(formatImpactTable(impact));
 */
export function overrideImpact(input: OverrideImpactInput): OverrideImpact {
  const { classes, records, labels, network } = input;
  if (labels.length !== records.length || network.length !== records.length) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `records, labels and network classes must be as many; found ${records.length}, ${labels.length} and ${network.length}`,
      { field: labels.length !== records.length ? 'labels' : 'network' },
    );
  }
  const byId = new Map(input.overrides.map((o) => [o.id, o]));
  const items: OverrideImpactItem[] = [];
  const itemOf = new Map<string, OverrideImpactItem>();
  for (const rule of input.merged.rules) {
    if (rule.event.params.source !== 'override') continue;
    const o = byId.get(rule.event.params.ruleId);
    if (!o) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `the merged rule set has override '${rule.event.params.ruleId}', which is not among the overrides given`,
        { field: 'overrides' },
      );
    }
    const item: OverrideImpactItem = {
      id: o.id,
      file: o.file,
      line: o.line,
      class: o.class,
      priority: o.priority,
      reason: o.reason ?? null,
      owner: o.owner ?? null,
      fires: 0,
      changed: 0,
      accuracyDelta: 0,
      fidelityDelta: 0,
    };
    items.push(item);
    itemOf.set(o.id, item);
  }

  const classOf = new Map(classes.map((c, i) => [c, i]));
  const distilled = compileRuleSet(input.distilled);
  const merged = compileRuleSet(input.merged);
  const n = records.length;
  let correctWithout = 0;
  let correctWith = 0;
  let agreeWithout = 0;
  let agreeWith = 0;
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const record = records[i]!;
    const without = classOf.get(distilled.decide(record).class);
    const decision = merged.decide(record);
    const withOverrides = classOf.get(decision.class);
    const accuracyGain = Number(withOverrides === labels[i]) - Number(without === labels[i]);
    const fidelityGain = Number(withOverrides === network[i]) - Number(without === network[i]);
    if (without === labels[i]) correctWithout++;
    if (withOverrides === labels[i]) correctWith++;
    if (without === network[i]) agreeWithout++;
    if (withOverrides === network[i]) agreeWith++;
    if (withOverrides !== without) changed++;
    const item = decision.source === 'override' ? itemOf.get(decision.ruleId) : undefined;
    if (!item) continue;
    item.fires++;
    if (withOverrides !== without) item.changed++;
    // Summed as counts and divided once below, so the items add up to the totals exactly.
    item.accuracyDelta += accuracyGain;
    item.fidelityDelta += fidelityGain;
  }
  for (const item of items) {
    item.accuracyDelta = n ? item.accuracyDelta / n : 0;
    item.fidelityDelta = n ? item.fidelityDelta / n : 0;
  }
  return {
    records: n,
    accuracyWithout: correctWithout / n,
    accuracyWith: correctWith / n,
    fidelityWithout: agreeWithout / n,
    fidelityWith: agreeWith / n,
    changed,
    items,
  };
}

/** Options of {@link formatImpactTable}. */
export interface FormatImpactOptions {
  /**
   * What the records are, in the last line ("decisions changed: 3 of 300 held-out records").
   * @defaultValue 'held-out records'
   */
  records?: string;
}

/**
 * An override impact as an aligned text table (override, class, fires, changed,
 * Δ accuracy, Δ fidelity), followed by the totals:
 *
 * ```
 * accuracy without / with overrides: 0.753 → 0.757
 * fidelity without / with overrides: 0.883 → 0.880
 * decisions changed: 3 of 300 held-out records
 * ```
 */
export function formatImpactTable(
  impact: OverrideImpact,
  options: FormatImpactOptions = {},
): string {
  const signed = (d: number): string => {
    const text = Math.abs(d).toFixed(3);
    return Number(text) === 0 ? ` ${text}` : `${d > 0 ? '+' : '-'}${text}`;
  };
  const header = ['override', 'class', 'fires', 'changed', 'Δ accuracy', 'Δ fidelity'];
  const rows = impact.items.map((i) => [
    i.id,
    i.class,
    String(i.fires),
    String(i.changed),
    signed(i.accuracyDelta),
    signed(i.fidelityDelta),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  // Names and classes read left to right; numbers line up on the right.
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  const table = [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...(rows.length ? rows.map(line) : ['(no overrides)']),
  ];
  const fixed = (x: number): string => x.toFixed(3);
  return [
    ...table,
    '',
    `accuracy without / with overrides: ${fixed(impact.accuracyWithout)} → ${fixed(impact.accuracyWith)}`,
    `fidelity without / with overrides: ${fixed(impact.fidelityWithout)} → ${fixed(impact.fidelityWith)}`,
    `decisions changed: ${impact.changed} of ${impact.records} ${options.records ?? 'held-out records'}`,
  ].join('\n');
}
