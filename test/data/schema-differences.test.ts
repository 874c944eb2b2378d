import { schemaDifferences } from '../../src/data/schema-differences';
import type { Schema } from '../../src/data/types';
import { TINY_SCHEMA } from '../helpers/tiny-rules';

const at = (s: Schema, field?: string) =>
  schemaDifferences(TINY_SCHEMA, s, field).map((i) => [i.code, i.field]);

describe('schemaDifferences', () => {
  it('finds none in the same schema, nor in levels listed in another order', () => {
    expect(at(TINY_SCHEMA)).toEqual([]);
    const reordered: Schema = {
      ...TINY_SCHEMA,
      features: TINY_SCHEMA.features.map((f) =>
        f.type === 'categorical' ? { ...f, levels: [...f.levels].reverse() } : f,
      ),
      rows: 5,
    };
    expect(at(reordered)).toEqual([]);
  });

  it('names a missing, an extra, a retyped feature, other levels, target and classes', () => {
    const other: Schema = {
      ...TINY_SCHEMA,
      target: 'label',
      classes: ['good', 'bad'],
      features: [
        { name: 'age', type: 'categorical', levels: ['young'], missing: 0 },
        { name: 'c', type: 'categorical', levels: ['a', 'b', 'q'], missing: 0 },
        { name: 'new', type: 'categorical', levels: ['x'], missing: 0 },
      ],
    };
    expect(at(other, 'shadow')).toEqual([
      ['CHALLENGER_SCHEMA_MISMATCH', 'shadow.features.age'],
      ['CHALLENGER_SCHEMA_MISMATCH', 'shadow.features.c'],
      ['CHALLENGER_SCHEMA_MISMATCH', 'shadow.features.y'],
      ['CHALLENGER_SCHEMA_MISMATCH', 'shadow.features.new'],
      ['CHALLENGER_SCHEMA_MISMATCH', 'shadow.target'],
      ['CHALLENGER_SCHEMA_MISMATCH', 'shadow.classes'],
    ]);
  });
});
