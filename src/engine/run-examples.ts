import type { Override } from '../overrides/parse-overrides';
import type { Decider } from './types';

/** One override example run through a rule set. */
export interface ExampleResult {
  /** The override the example belongs to. */
  override: string;
  /** Where the example is written. */
  file: string;
  line: number;
  /** The class the example expects, and what the rule set decided. */
  expect: string;
  class: string;
  ruleId: string;
  pass: boolean;
}

/** Every example's result, in override and file order, and the counts. */
export interface ExamplesRun {
  results: ExampleResult[];
  passed: number;
  failed: number;
}

/**
 * Run every override's `examples` through a decider (usually the merged rule set the
 * overrides belong to): each passes when the decided class is the one it expects.
 *
 * @example
 * const run = await runExamples(model.overrides, model.compiled ?? model.engine);
 * run.failed; // 0
 */
export async function runExamples(
  overrides: readonly Override[],
  decider: Decider,
): Promise<ExamplesRun> {
  const results: ExampleResult[] = [];
  for (const override of overrides) {
    for (const example of override.examples) {
      const d = await decider.decide(example.input);
      results.push({
        override: override.id,
        file: override.file,
        line: example.line,
        expect: example.expect,
        class: d.class,
        ruleId: d.ruleId,
        pass: d.class === example.expect,
      });
    }
  }
  const passed = results.filter((r) => r.pass).length;
  return { results, passed, failed: results.length - passed };
}
