import { NeurulesError } from './errors';

/** How far the rules follow the network on one of its classes. */
export interface ClassFidelity {
  /** Records the network assigns to the class. */
  records: number;
  /** Of those, records the rules assign to it too. */
  agree: number;
  /** `agree / records`; null when the network assigns no record to the class. */
  fidelity: number | null;
}

/**
 * Fidelity on each of the network's classes, and balanced fidelity: the mean, over the
 * classes the network predicts at least once, of the share of that class's records on
 * which the rules agree. Plain fidelity counts records, so a rare class the rules never
 * follow barely moves it; balanced fidelity weighs every class the same.
 *
 * @example
 * // the network says good 230 times (rules agree on 224) and bad 70 times (32):
 * classFidelity(rules, network, ['bad', 'good']).balanced; // (32/70 + 224/230) / 2 = 0.716
 */
export function classFidelity(
  rules: ArrayLike<number>,
  teacher: ArrayLike<number>,
  classes: readonly string[],
): { balanced: number; perClass: Record<string, ClassFidelity> } {
  if (rules.length !== teacher.length)
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `classFidelity: expected two lists of one length, found ${rules.length} and ${teacher.length}`,
    );
  const records = new Array<number>(classes.length).fill(0);
  const agree = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < teacher.length; i++) {
    const c = teacher[i]!;
    records[c]!++;
    if (rules[i] === c) agree[c]!++;
  }
  const perClass: Record<string, ClassFidelity> = {};
  const shares: number[] = [];
  classes.forEach((name, c) => {
    const fidelity = records[c]! ? agree[c]! / records[c]! : null;
    if (fidelity !== null) shares.push(fidelity);
    perClass[name] = { records: records[c]!, agree: agree[c]!, fidelity };
  });
  const balanced = shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : NaN;
  return { balanced, perClass };
}
