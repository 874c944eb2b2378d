import type { ModelLocation } from '../artifacts/types';
import { DEFAULT_ENGINE, type EngineName } from '../predict/engines';
import { openModel } from './open-model';
import { predictFile, type PredictFileOptions, type PredictSummary } from '../predict/predict-file';

/**
 * Open a model's rule set (no network) and decide every record of a file with it, as
 * {@link predictFile} does; the summary also names the rule set and the evaluator.
 *
 * @example
 * const summary = await predictModel(loc, { input: 'applicants.jsonl', output: 'decisions.jsonl' });
 */
export async function predictModel(
  loc: ModelLocation,
  options: Omit<PredictFileOptions, 'schema' | 'decider'> & {
    engine?: EngineName;
    /** With the duckdb engine: its threads. @defaultValue every core */
    threads?: number;
    /** With the duckdb engine: told when it reads a file differently (see predictFileDuckDb). */
    onNote?: (note: string) => void;
  },
): Promise<PredictSummary & { ruleSetHash: string; engine: EngineName }> {
  const engine = options.engine ?? DEFAULT_ENGINE;
  const model = await openModel(loc, {
    engine: engine === 'json-rules-engine' ? 'json-rules-engine' : 'compiled',
  });
  const { engine: _engine, threads, onNote, ...rest } = options;
  const common = { ...rest, schema: model.schema, decider: model.compiled ?? model.engine };
  const summary =
    engine === 'duckdb'
      ? await (
          await import('../predict/predict-duckdb')
        ).predictFileDuckDb({
          ...common,
          ruleSet: model.ruleSet,
          threads,
          ...(onNote && { onNote }),
        })
      : await predictFile(common);
  return { ...summary, ruleSetHash: model.ruleSetHash, engine };
}
