import type { ModelLocation } from '../artifacts/types';
import { runExamples, type ExamplesRun } from '../engine/run-examples';
import { openModel } from './open-model';

/**
 * Run every override example of a model through its merged rule set (the distilled rules
 * with the overrides above them), as `neurules rules test` does.
 *
 * @example
 * const run = await testOverrides({ modelsDir: 'models', rulesDir: 'rules', name: 'german-credit' });
 * run.failed; // 0
 */
export async function testOverrides(
  loc: ModelLocation,
): Promise<ExamplesRun & { overrides: number }> {
  const model = await openModel(loc);
  const run = await runExamples(model.overrides, model.compiled ?? model.engine);
  return { ...run, overrides: model.overrides.length };
}
