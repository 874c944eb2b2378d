import type { ModelLocation } from '../artifacts/types';
import { NeurulesError } from '../errors';
import {
  type PerceiveFileOptions,
  type PerceiveSummary,
  perceiveFile,
} from '../predict/perceive-file';
import type { BackendChoice } from '../teacher/backend-choice';
import { openModel } from './open-model';

/**
 * Open a model with perception concepts and write what its networks perceive of every
 * record of a raw file, as {@link perceiveFile} does.
 *
 * Throws INVALID_ARGUMENT (field `model`) for a model without concepts.
 *
 * @example
 * await perceiveModel(loc, { input: 'parcels.csv', output: 'perceived.csv' });
 */
export async function perceiveModel(
  loc: ModelLocation,
  options: Omit<PerceiveFileOptions, 'front'> & { backend?: BackendChoice },
): Promise<PerceiveSummary> {
  const { backend, ...rest } = options;
  const model = await openModel(loc, { backend: backend ?? 'auto' });
  if (!model.front) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `model '${loc.name}' has no perception concepts (it was built without --concept): its rules read the file's columns as they are`,
      { field: 'model' },
    );
  }
  return perceiveFile({ ...rest, front: model.front });
}
