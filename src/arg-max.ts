/**
 * Index (from `offset`) of the largest of `count` values, the first one on ties: the class
 * a row of probabilities or a leaf's distribution decides. One definition for the network
 * (a row of its flat output) and the tree (a leaf), so the two break ties alike.
 */
export function argMax(
  values: ArrayLike<number>,
  offset = 0,
  count = values.length - offset,
): number {
  let best = 0;
  for (let i = 1; i < count; i++) if (values[offset + i]! > values[offset + best]!) best = i;
  return best;
}
