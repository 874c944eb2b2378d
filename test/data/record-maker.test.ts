import fc from 'fast-check';
import { recordMaker } from '../../src/data/record-maker';
import { hostileName } from '../helpers/hostile-names';

describe('recordMaker', () => {
  it('makes a plain record whose own keys are exactly the names, holding the values', () => {
    fc.assert(
      fc.property(fc.uniqueArray(hostileName, { maxLength: 12 }), (names) => {
        const values = names.map((_, j) => (j % 2 === 0 ? `v${j}` : j));
        const record = recordMaker(names)(values);
        // Object.fromEntries defines own data properties, `__proto__` included.
        const expected = Object.fromEntries(names.map((n, j) => [n, values[j]]));
        expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
        expect(Reflect.ownKeys(record)).toEqual(Reflect.ownKeys(expected));
        expect(Object.getOwnPropertyDescriptors(record)).toEqual(
          Object.getOwnPropertyDescriptors(expected),
        );
      }),
    );
  });
});
