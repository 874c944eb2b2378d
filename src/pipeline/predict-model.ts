import type { ModelLocation } from '../artifacts/types';
import { DEFAULT_ENGINE, type EngineName } from '../predict/engines';
import { openModel } from './open-model';
import type { BackendChoice } from '../teacher/backend-choice';
import { NeurulesError } from '../errors';
import { parseInterventions } from '../perception/concepts';
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
  options: Omit<PredictFileOptions, 'schema' | 'decider' | 'set' | 'front'> & {
    engine?: EngineName;
    /** With the duckdb engine: its threads. @defaultValue every core */
    threads?: number;
    /** With the duckdb engine: told when it reads a file differently (see predictFileDuckDb). */
    onNote?: (note: string) => void;
    /**
     * A model with perception concepts: concepts fixed for every record, `NAME=VALUE`
     * each (see `parseInterventions`).
     */
    set?: string[];
    /** A model with perception concepts: the backend of its networks. @defaultValue 'auto' */
    backend?: BackendChoice;
  },
): Promise<PredictSummary & { ruleSetHash: string; engine: EngineName }> {
  const engine = options.engine ?? DEFAULT_ENGINE;
  const model = await openModel(loc, {
    engine: engine === 'json-rules-engine' ? 'json-rules-engine' : 'compiled',
    ...(options.backend && { backend: options.backend }),
  });
  const { engine: _engine, threads, onNote, set: setTexts, backend: _backend, ...rest } = options;
  const common = { ...rest, schema: model.schema, decider: model.compiled ?? model.engine };
  const front = model.front;
  if (setTexts !== undefined && setTexts.length > 0 && !front) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `--set fixes a perception concept; model '${loc.name}' has none`,
      { field: 'set' },
    );
  }
  if (front && engine === 'duckdb') {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `model '${loc.name}' perceives concepts from raw inputs, which DuckDB cannot run: use the compiled engine, or write the perceived columns with 'neurules perceive' and run the SQL export on them`,
      { field: 'engine' },
    );
  }
  const summary = front
    ? await predictFile({
        ...common,
        front,
        ...(setTexts &&
          setTexts.length > 0 && {
            set: parseInterventions(setTexts, front.concepts),
          }),
      })
    : engine === 'duckdb'
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
