import type { ModelLocation } from '../artifacts/types';
import { overrideImpact, type OverrideImpact } from '../audit/override-impact';
import type { BackendChoice } from '../teacher/backend-choice';
import { loadDecisionData } from '../artifacts/model-data';
import { openModel } from './open-model';

/** What each override of a model does, and on which records it was measured. */
export interface ModelImpact extends OverrideImpact {
  model: string;
  /** Content hash of the merged rule set measured. */
  ruleSet: string;
  /** Overrides in the merged rule set. */
  overrides: number;
  data: { file: string; source: 'split' | 'file'; description: string };
}

/**
 * Measure a model's overrides on held-out records (the build's test split, or every
 * record of the labelled file `options.data`): the records each decides, the decisions
 * it changes, and accuracy and fidelity with and without the overrides.
 *
 * @example
 * const impact = await measureImpact({ modelsDir: 'models', rulesDir: 'rules', name: 'german-credit' });
 * impact.changed; // decisions the overrides change
 */
export async function measureImpact(
  loc: ModelLocation,
  options: { data?: string; backend?: BackendChoice } = {},
): Promise<ModelImpact> {
  // Read the data first: a missing or changed file fails before the network loads.
  const data = await loadDecisionData(loc, {
    ...(options.data !== undefined && { data: options.data }),
    backend: options.backend ?? 'auto',
  });
  const model = await openModel(loc, { teacher: true, backend: options.backend ?? 'auto' });
  try {
    const impact = overrideImpact({
      classes: model.schema.classes,
      overrides: model.overrides,
      merged: model.ruleSet,
      distilled: model.distilled,
      records: data.test.records,
      labels: data.test.labels,
      network: model.teacher!.predict(data.test.records),
    });
    const { file, source, description } = data;
    return {
      model: loc.name,
      ruleSet: model.ruleSetHash,
      overrides: model.overrides.length,
      data: { file, source, description },
      ...impact,
    };
  } finally {
    model.teacher!.dispose();
    model.front?.dispose();
  }
}
