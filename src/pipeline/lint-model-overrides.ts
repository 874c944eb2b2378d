import * as path from 'node:path';
import { loadModel, modelPaths } from '../artifacts/model-store';
import type { ModelLocation } from '../artifacts/types';
import { comparePlaces } from '../errors';
import { lintOverrides } from '../overrides/lint-overrides';
import type { OverridesLint } from '../overrides/lint-report';
import { safeLoadOverrides } from '../overrides/merge-overrides';
import { loadDecisionData } from '../artifacts/model-data';
import type { BackendChoice } from '../teacher/backend-choice';

/**
 * Check a model's override files: first every validation problem, in file order; when
 * there are none, the analysis of the overrides on exact rule regions (conflicts,
 * shadowed, dead and redundant overrides). Dead overrides are judged on the build's
 * training split, or on `options.data` (every record of a labelled file).
 *
 * @example
 * const lint = await lintModelOverrides({ modelsDir: 'models', rulesDir: 'rules', name: 'german-credit' });
 * formatLint(lint).join('\n');
 */
export async function lintModelOverrides(
  loc: ModelLocation,
  options: { data?: string; backend?: BackendChoice } = {},
): Promise<OverridesLint> {
  // One open: every file is read and hashed once.
  const { schema, ruleSet: distilled } = loadModel(loc);
  const dir = path.join(modelPaths(loc).rulesDir, 'overrides');
  const loaded = safeLoadOverrides(dir, schema);
  if (!loaded.ok) {
    return { ok: false, dir, problems: [...loaded.issues].sort(comparePlaces), findings: [] };
  }
  // A model with perception concepts: the records are perceived first.
  const data = await loadDecisionData(loc, options);
  const records = data.source === 'split' ? data.train.records : data.test.records;
  const findings = lintOverrides({
    overrides: loaded.value,
    distilled,
    schema,
    records,
    recordsLabel: data.source === 'split' ? 'training records' : `records of ${data.file}`,
  });
  return {
    ok: !findings.some((f) => f.severity === 'error'),
    dir,
    overrides: loaded.value.length,
    judgedOn: { records: records.length, source: data.source, file: data.file },
    problems: [],
    findings,
  };
}
