import fc from 'fast-check';

/**
 * Property tests are reproducible: every run (and CI) explores the same cases, from the
 * seed in FC_SEED, or a fixed one. `FC_SEED=random npm test` explores new cases; a failure
 * prints its seed and path, and `FC_SEED=<seed>` runs that case again.
 *
 * A property also stops generating cases after a minute (the interrupt counts as a
 * failure), so an unexpectedly slow case ends the test with a message instead of leaving
 * it running past jest's own timeout, which cannot stop synchronous work.
 */
const chosen = process.env.FC_SEED;
const seed =
  chosen === 'random' ? undefined : chosen === undefined ? 20261130 : Number.parseInt(chosen, 10);
if (seed !== undefined && !Number.isSafeInteger(seed))
  throw new Error(`FC_SEED: expected a whole number or 'random', found '${chosen}'`);
fc.configureGlobal({
  ...(seed !== undefined && { seed }),
  interruptAfterTimeLimit: 60_000,
  markInterruptAsFailure: true,
});
