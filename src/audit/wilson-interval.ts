import { NeurulesError } from '../errors';
/**
 * The Wilson score interval for a proportion (successes of trials): unlike the normal
 * approximation it stays inside [0, 1] and behaves near 0 and 1, which is where fidelity
 * lives. `z` = 1.959964 gives 95%.
 */
export function wilsonInterval(
  successes: number,
  trials: number,
  z = 1.959964,
): { value: number; low: number; high: number } {
  if (
    !Number.isInteger(successes) ||
    !Number.isInteger(trials) ||
    trials <= 0 ||
    successes < 0 ||
    successes > trials
  ) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `wilsonInterval: expected whole numbers 0 ≤ successes ≤ trials, trials > 0; found ${successes} of ${trials}`,
      { field: 'trials' },
    );
  }
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half =
    (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { value: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
