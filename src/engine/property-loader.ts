/**
 * The one function the compiled evaluator generates: the reader of a record's facts.
 *
 * For each rule set, `new Function` is given a body of one statement per fact name,
 *
 *     out[0] = obj["age"];
 *     out[1] = obj["credit \"amount\""];
 *
 * and nothing else. Each name is written by `JSON.stringify`, which makes any string (quotes,
 * backslashes, line and paragraph separators, `}`, lone surrogates) a JavaScript string
 * literal that evaluates to that same string, so a name in a rule file can only ever be a
 * property key, never code; the indexes are integers. test/engine/property-loader.test.ts
 * fuzzes names and checks that the function reads exactly `obj[name]`, in order, and nothing
 * else.
 *
 * Why generate it: written out, each property access has its own inline cache, which sees
 * one shape of record (the records of one schema share it), where one `obj[name]` in a loop
 * over the names sees every name and goes megamorphic. On the German credit rule set that
 * loop makes a compiled decision about 50% slower (0.15 → 0.23 µs, `npm run bench:engine`,
 * BENCHMARKS.md, "Generated code or loops").
 */

/** Reads a record's properties into `out`, in the order of the names it was made for. */
export type PropertyLoader = (obj: Record<string, unknown>, out: unknown[]) => void;

/**
 * A function that reads `names` from an object into `out` (`out[j] = obj[names[j]]`), one
 * property access per name written out in its own statement: the same property gets as
 * `obj[name]`, in the same order.
 */
export function propertyLoader(names: readonly string[]): PropertyLoader {
  const body = names.map((name, j) => `out[${j}] = obj[${JSON.stringify(name)}];`).join('\n');
  return new Function('obj', 'out', body) as PropertyLoader;
}
