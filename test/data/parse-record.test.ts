import { parseRecord, parseRecordJson } from '../../src/data/parse-record';
import type { Schema } from '../../src/data/types';

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'class',
  features: [
    {
      name: 'age',
      type: 'numeric',
      min: 20,
      max: 60,
      mean: 40,
      std: 10,
      integer: true,
      missing: 0,
    },
    { name: 'city', type: 'categorical', levels: ['Paris', 'Rome'], missing: 0 },
  ],
  classes: ['no', 'yes'],
  rows: 3,
};

describe('parseRecord: the one record parser', () => {
  it('checks an object against the schema and reads the label from the target', () => {
    const parsed = parseRecord(schema, { age: '41', city: 'Rome', class: 'yes' });
    expect(parsed).toMatchObject({ record: { age: 41, city: 'Rome' }, label: 1, issues: [] });
    expect(parsed.target).toBe('yes');
    const unlabelled = parseRecord(schema, { age: 30, city: null });
    expect([unlabelled.label, 'target' in unlabelled]).toEqual([null, false]);
  });

  it.each([
    ['an array', [1, 2]],
    ['null', null],
    ['number', 7],
    ['string', 'age=3'],
  ])('a value that is %s is one INVALID_JSON issue at the place given', (found, value) => {
    const parsed = parseRecord(schema, value, { file: 'in.jsonl', line: 4 });
    expect(parsed.issues).toEqual([
      {
        code: 'INVALID_JSON',
        message: expect.stringContaining(`found ${found}`),
        file: 'in.jsonl',
        line: 4,
      },
    ]);
    expect(parsed.record).toEqual({ age: null, city: null });
    expect(parsed.line).toBe(4);
  });

  it('collects every record problem with its field', () => {
    const parsed = parseRecord(schema, { age: 'old', town: 'Rome' });
    expect(parsed.issues.map((i) => [i.code, i.field])).toEqual([
      ['UNKNOWN_FEATURE', 'town'],
      ['WRONG_TYPE', 'age'],
      ['MISSING_FEATURE', 'city'],
    ]);
  });

  it('a __proto__ key in a JSONL line is an unknown feature, never the prototype of anything', () => {
    // JSON.parse makes `__proto__` an own key, and records are built from the schema's
    // features only, so the key is reported like any other unknown one and goes no further.
    const parsed = parseRecordJson(
      schema,
      '{"age": 33, "city": "Paris", "__proto__": {"polluted": 1}}',
      { file: 'in.jsonl', line: 2 },
    );
    expect(parsed.issues.map((i) => [i.code, i.field, i.line])).toEqual([
      ['UNKNOWN_FEATURE', '__proto__', 2],
    ]);
    expect(Object.getPrototypeOf(parsed.record)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parseRecordJson: text that is not JSON is INVALID_JSON with the field given', () => {
    const bad = parseRecordJson(schema, '{"age": 3,', { field: 'record' });
    expect(bad.issues).toEqual([
      {
        code: 'INVALID_JSON',
        message: expect.stringMatching(/^expected valid JSON/),
        field: 'record',
      },
    ]);
    const good = parseRecordJson(schema, '{"age": 33, "city": "Paris"}');
    expect(good).toMatchObject({ record: { age: 33, city: 'Paris' }, issues: [], line: 0 });
  });
});
