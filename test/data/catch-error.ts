import { isNeurulesError, type NeurulesError } from '../../src/errors';

/** Run `fn`, expecting it to throw a NeurulesError, and return that error. */
export function catchError(fn: () => unknown): NeurulesError {
  try {
    fn();
  } catch (e) {
    if (isNeurulesError(e)) return e;
    throw e;
  }
  throw new Error('expected a NeurulesError, but nothing was thrown');
}
