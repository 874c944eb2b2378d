import fc from 'fast-check';
import { coerceFields, coerceRecord, coerceValue } from '../../src/data/coerce-record';
import type { Schema } from '../../src/data/types';

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['n', 'p'],
  rows: 2,
  features: [
    { name: 'x', type: 'numeric', min: 0, max: 9, mean: 1, std: 1, integer: false, missing: 0 },
    { name: 'c', type: 'categorical', levels: ['u', 'v w', '1', 'true'], missing: 0 },
  ],
};

const text = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '?',
    ' NA ',
    'u',
    ' v w ',
    '1',
    '1.0',
    '-2.5e3',
    '1e999',
    '0x1F',
    'true',
  ),
  fc.string({ maxLength: 4 }),
);
const value = fc.oneof(
  text,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant([1]),
  fc.constant({}),
);

describe('coercion: one judgement for objects and rows', () => {
  it('coerceFields judges a row exactly as coerceRecord judges the same values as an object', () => {
    fc.assert(
      fc.property(text, text, fc.boolean(), (x, c, keep) => {
        const options = { unknownCategories: keep ? ('keep' as const) : ('error' as const) };
        const place = { file: 'f.csv', line: 3, columns: { x: 1, c: 2 } };
        expect(coerceFields(schema, [x, c], [0, 1], place, options)).toEqual(
          coerceRecord(schema, { x, c }, place, options),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('coerceRecord gives the value coerceValue gives, or its issue', () => {
    fc.assert(
      fc.property(value, value, (x, c) => {
        const { record, issues } = coerceRecord(schema, { x, c });
        for (const [i, name] of ['x', 'c'].entries()) {
          const alone = coerceValue(schema.features[i]!, name === 'x' ? x : c);
          if ('value' in alone) expect(record[name]).toBe(alone.value);
          else {
            expect(record[name]).toBeNull();
            expect(issues.find((issue) => issue.field === name)).toMatchObject({
              code: alone.code,
              message: alone.problem,
            });
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    [' 2.5 ', 2.5],
    ['1e999', 'WRONG_TYPE'],
    [Infinity, 'WRONG_TYPE'],
    ['0x1F', 'WRONG_TYPE'],
    [' NA ', null],
    [true, 'WRONG_TYPE'],
  ])('numeric %j → %j', (raw, expected) => {
    const r = coerceValue(schema.features[0]!, raw);
    expect('value' in r ? r.value : r.code).toBe(expected);
  });

  it.each([
    [' v w ', 'v w'],
    [1, '1'],
    [true, 'true'],
    [false, 'WRONG_TYPE'],
    ['w', 'UNKNOWN_CATEGORY'],
    [[1], 'WRONG_TYPE'],
  ])('categorical %j → %j', (raw, expected) => {
    const r = coerceValue(schema.features[1]!, raw);
    expect('value' in r ? r.value : r.code).toBe(expected);
  });

  it('a feature named __proto__ is an own property of the record, never its prototype', () => {
    const odd: Schema = {
      ...schema,
      features: [{ ...schema.features[0]!, name: '__proto__' }, schema.features[1]!],
    };
    const { record, issues } = coerceRecord(odd, JSON.parse('{"__proto__": "3", "c": "u"}'));
    expect(issues).toEqual([]);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(record, '__proto__')?.value).toBe(3);
    expect(Object.keys(record)).toEqual(['__proto__', 'c']);
  });
});

describe('issue paths', () => {
  it("a record's issues are named by the field's path as well as its name", () => {
    const { issues } = coerceRecord(schema, { x: 'many', cc: 'u' });
    expect(issues.map((i) => [i.code, i.field, i.path])).toEqual([
      ['UNKNOWN_FEATURE', 'cc', ['cc']],
      ['WRONG_TYPE', 'x', ['x']],
      ['MISSING_FEATURE', 'c', ['c']],
    ]);
  });
});
