/**
 * The facts a json-rules-engine condition tree compares (through `all`, `any` and `not`),
 * in the order they are first met: for an override, the features its `when` reads, as
 * written.
 *
 * @example
 * conditionFacts({ all: [{ fact: 'age', operator: 'lessThan', value: 21 }] }); // Set { 'age' }
 */
export function conditionFacts(condition: unknown, into = new Set<string>()): Set<string> {
  if (condition === null || typeof condition !== 'object') return into;
  const c = condition as { fact?: unknown; all?: unknown; any?: unknown; not?: unknown };
  if (typeof c.fact === 'string') into.add(c.fact);
  for (const list of [c.all, c.any])
    if (Array.isArray(list)) for (const x of list) conditionFacts(x, into);
  conditionFacts(c.not, into);
  return into;
}
