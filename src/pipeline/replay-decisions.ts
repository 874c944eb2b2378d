import type { ModelLocation } from '../artifacts/types';
import { statInputFile } from '../data/read-input-file';
import { type ReplayReport, replayLog } from '../audit/replay-log';
import { type Issue, isNeurulesError, NeurulesError } from '../errors';
import { openModel } from './open-model';

/**
 * `neurules replay`: re-decide every decision of a model's decision logs with the rule set
 * then in force, and say which do not reproduce (see {@link replayLog}). The model is
 * opened for its merged rules of today (they replay lines naming them when the archive
 * lacks them), without its network or perception networks: no TensorFlow.js, nothing
 * written. FILE_NOT_FOUND (or INPUT_IS_DIRECTORY) for every log that cannot be read,
 * together, before anything else is read.
 *
 * @example
 * const report = await replayDecisions(loc, ['decisions.jsonl', 'replica-2.jsonl']);
 * report.reproduced === report.decisions; // every decision reproduced
 */
export async function replayDecisions(
  loc: ModelLocation,
  files: readonly string[],
): Promise<ReplayReport> {
  if (files.length === 0) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      'expected one or more decision logs to replay, found none',
      { field: 'log' },
    );
  }
  const missing: Issue[] = [];
  for (const file of files) {
    try {
      statInputFile(file);
    } catch (e) {
      if (!isNeurulesError(e)) throw e;
      missing.push(...e.issues);
    }
  }
  if (missing.length > 0) throw NeurulesError.fromIssues(missing);
  const model = await openModel(loc, { front: false });
  return replayLog({
    loc,
    files,
    current: {
      hash: model.ruleSetHash,
      ruleSet: model.ruleSet,
      schema: model.schema,
      ...(model.manifest.generation !== undefined && { generation: model.manifest.generation }),
    },
  });
}
