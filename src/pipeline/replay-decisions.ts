import * as path from 'node:path';
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
  const twice = files.filter(
    (f, i) => files.findIndex((g) => path.resolve(g) === path.resolve(f)) !== i,
  );
  if (twice.length > 0) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected each decision log once, found ${twice.map((f) => `'${f}'`).join(', ')} given twice (its decisions would count twice)`,
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
  const report = await replayLog({
    loc,
    files,
    current: {
      hash: model.ruleSetHash,
      ruleSet: model.ruleSet,
      schema: model.schema,
      ...(model.manifest.generation !== undefined && { generation: model.manifest.generation }),
    },
  });
  // An empty or truncated log reproduces nothing: a check that passed on it would lie.
  if (report.decisions === 0) {
    throw new NeurulesError(
      'NO_DECISIONS',
      `expected decisions to replay, found none in ${files.join(', ')}`,
      { file: files[0]! },
    );
  }
  return report;
}
