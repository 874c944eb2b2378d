/**
 * The one function record checking generates: the maker of a schema's records.
 *
 * For each schema, `new Function` is given the body
 *
 *     return { "age": values[0], "credit \"amount\"": values[1] };
 *
 * and nothing else. Each feature name is written by `JSON.stringify`, which makes any string
 * (quotes, backslashes, line and paragraph separators, `}`, lone surrogates) a JavaScript
 * string literal that evaluates to that same string, so a name in a schema can only ever be
 * a property key, never code; the indexes are integers. A literal's `__proto__` key would
 * set the prototype instead, so a schema with a feature of that name gets its records built
 * key by key. test/data/record-maker.test.ts fuzzes names and checks that each record has
 * exactly the names as own keys, in order, holding the values.
 *
 * Why generate it: V8 makes an object literal in one step with one shape (16× faster than
 * adding 20 keys one by one, which also leaves the record in dictionary mode), as d3-dsv's
 * `objectConverter` makes rows. Cloning a template record and assigning the values in a loop
 * instead made checking a record 2–36% slower (`npm run bench:coerce-record`, BENCHMARKS.md,
 * "Generated code or loops").
 */
import type { DataRecord, Value } from './types';

/**
 * A function making a record from its values in schema order (`values[j]` under `names[j]`),
 * one object literal with the names as keys.
 */
export function recordMaker(names: readonly string[]): (values: readonly Value[]) => DataRecord {
  if (names.includes('__proto__')) {
    return (values) => {
      const record: DataRecord = {};
      names.forEach((name, j) =>
        Object.defineProperty(record, name, {
          value: values[j],
          enumerable: true,
          writable: true,
          configurable: true,
        }),
      );
      return record;
    };
  }
  const body = names.map((name, j) => `${JSON.stringify(name)}: values[${j}]`).join(', ');
  return new Function('values', `return { ${body} };`) as (values: readonly Value[]) => DataRecord;
}
