import fc from 'fast-check';
import { propertyLoader } from '../../src/engine/property-loader';
import { hostileName } from '../helpers/hostile-names';

describe('propertyLoader', () => {
  it('reads exactly obj[name] for each name, in order, and nothing else, whatever the names', () => {
    fc.assert(
      fc.property(fc.array(hostileName, { maxLength: 12 }), (names) => {
        const load = propertyLoader(names);
        const read: PropertyKey[] = [];
        const values = new Map(names.map((n, j) => [n, { j }]));
        const obj = new Proxy({} as Record<string, unknown>, {
          get: (_target, key) => {
            read.push(key);
            return typeof key === 'string' ? values.get(key) : undefined;
          },
        });
        const out: unknown[] = [];
        load(obj, out);
        expect(read).toEqual(names);
        expect(out).toEqual(names.map((n) => values.get(n)));
      }),
    );
  });

  it('reads a plain record as obj[name] does, inherited names included', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(hostileName, { maxLength: 12 }),
        fc.array(fc.anything()),
        (names, pool) => {
          const record: Record<string, unknown> = {};
          names.forEach((n, j) => {
            if (n !== '__proto__' && j % 3 !== 2) record[n] = pool[j % (pool.length || 1)];
          });
          const out: unknown[] = [];
          propertyLoader(names)(record, out);
          names.forEach((n, j) => expect(Object.is(out[j], record[n])).toBe(true));
        },
      ),
    );
  });
});
