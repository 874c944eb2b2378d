import * as path from 'node:path';
import { hitOrder } from '../overrides/merge-overrides';
import type { Override } from '../overrides/parse-overrides';
import { describeRule } from '../rules/describe-rule';
import type { RuleSet } from '../rules/types';
import type { OverrideSummary } from './contract';

/**
 * The overrides as the rules panel lists them, in hit order: each with its file's name and
 * line, and its rule in `merged` (the rule set `mergeOverrides` made of them) as a sentence.
 *
 * @example
 * describeOverrides(overrides, mergeOverrides(distilled, overrides, schema));
 */
export function describeOverrides(
  overrides: readonly Override[],
  merged: Pick<RuleSet, 'rules'>,
): OverrideSummary[] {
  const rules = new Map(merged.rules.map((r) => [r.name, r]));
  return hitOrder(overrides).map((o) => {
    const rule = rules.get(o.id);
    return {
      id: o.id,
      file: path.basename(o.file),
      line: o.line,
      sentence: rule ? describeRule(rule) : '',
      class: o.class,
      priority: o.priority,
    };
  });
}
