import fc from 'fast-check';
import type { CategoricalFeature, Feature } from '../../src/data/types';
import { formatCell, parseCell, type OperatorMap } from '../../src/overrides/cell-syntax';
import { parseOverrides } from '../../src/overrides/parse-overrides';
import { stringify } from 'yaml';
import { age, formSchema, housing } from '../helpers/override-form-model';

/** Levels that look like cell syntax: operators, keywords, commas, quotes, `and`. */
const tricky: CategoricalFeature = {
  name: 'status',
  type: 'categorical',
  levels: [
    '<0',
    '>=1000',
    '0<=X<200',
    'a, b',
    'missing',
    'x and y',
    "it's",
    'not sure',
    '[1..2]',
    '-',
    'in',
  ],
  missing: 0,
};

const value = (text: string, feature: Feature = age) => {
  const r = parseCell(text, feature);
  if (!r.ok) throw new Error(`${text}: ${r.issue.code} ${r.issue.message}`);
  return r.value;
};
const issue = (text: string, feature: Feature = age) => {
  const r = parseCell(text, feature);
  if (r.ok) throw new Error(`${text} was read as ${JSON.stringify(r.value)}`);
  return r.issue;
};

describe('parseCell', () => {
  test.each([
    ['< 18', { '<': 18 }],
    ['<=18', { '<=': 18 }],
    ['> 5000', { '>': 5000 }],
    ['>= 5000', { '>=': 5000 }],
    ['= 30', { equal: 30 }],
    ['30', { equal: 30 }],
    ['-2.5', { equal: -2.5 }],
    ['!= 30', { notEqual: 30 }],
    ['[250..1000]', { between: [250, 1000] }],
    ['[ 1.5 .. 2 ]', { between: [1.5, 2] }],
    ['20, 30, missing', { in: [20, 30, null] }],
    ['in 20', { in: [20] }],
    ['not 20, 30', { notIn: [20, 30] }],
    ['missing', { equal: null }],
    ['not missing', { notEqual: null }],
    ['> 18 and < 65', { '>': 18, '<': 65 }],
    ['not missing and >= 18', { notEqual: null, '>=': 18 }],
  ])('numeric %j', (text, expected) => {
    expect(value(text)).toEqual(expected);
  });

  test.each([
    ['own', { equal: 'own' }],
    ['= rent', { equal: 'rent' }],
    ['!= rent', { notEqual: 'rent' }],
    ['own, rent', { in: ['own', 'rent'] }],
    ["own, 'for free'", { in: ['own', 'for free'] }],
    ['for free', { equal: 'for free' }],
    ['in own', { in: ['own'] }],
    ['not own, rent', { notIn: ['own', 'rent'] }],
    ["'it''s'", { equal: "it's" }],
    ['123', { equal: '123' }],
  ])('categorical %j', (text, expected) => {
    expect(value(text, housing)).toEqual(expected);
  });

  test('levels that look like syntax are read as levels, or quoted', () => {
    expect(value('<0, 0<=X<200', tricky)).toEqual({ in: ['<0', '0<=X<200'] });
    expect(value('>=1000', tricky)).toEqual({ equal: '>=1000' });
    expect(value("'a, b', <0", tricky)).toEqual({ in: ['a, b', '<0'] });
    expect(value("'missing'", tricky)).toEqual({ equal: 'missing' });
    expect(value('missing', tricky)).toEqual({ equal: null });
    expect(value("'x and y' and != <0", tricky)).toEqual({ equal: 'x and y', notEqual: '<0' });
  });

  test('- and an empty cell are no condition', () => {
    expect(value('-')).toBeNull();
    expect(value('   ')).toBeNull();
    expect(value('-', tricky)).toBeNull();
  });

  test('text the syntax does not read is CELL_SYNTAX, with the column and the syntax', () => {
    for (const text of ['<', '[1,2]', '[1..2', "'own", '< 1 and < 2', '1, , 2']) {
      const i = issue(text);
      expect([i.code, i.field, i.path]).toEqual(['CELL_SYNTAX', 'age', ['age']]);
      expect(i.expected).toContain('[low..high]');
    }
  });

  test('a level of a numeric feature, an order on a categorical one: WRONG_TYPE', () => {
    expect([issue('young').code, issue('young').field]).toEqual(['WRONG_TYPE', 'age']);
    expect(issue('< abc').code).toBe('WRONG_TYPE');
    expect(issue("'18'").code).toBe('WRONG_TYPE');
    expect(issue('< 18', housing)).toMatchObject({ code: 'WRONG_TYPE', field: 'housing' });
    expect(issue('[1..2]', housing).code).toBe('WRONG_TYPE');
  });

  test('what YAML would refuse is an inline problem: a number too large, missing with an order', () => {
    for (const text of ['< 1e400', '> -1e400', '= 1e400', '1e400']) {
      expect([text, issue(text).code, issue(text).field]).toEqual([text, 'WRONG_TYPE', 'age']);
    }
    for (const text of ['< missing', '>= missing', '[missing..5]', '[5..missing]']) {
      const i = issue(text);
      expect([text, i.code, i.field]).toEqual([text, 'CELL_SYNTAX', 'age']);
      expect(i.expected).toContain('not missing');
    }
    // Each cell the syntax reads is a map the override file accepts.
    for (const text of ['< 1e300', 'missing', 'not missing', '[1..5] and != missing']) {
      const yaml = stringify([{ id: 'x', when: { age: value(text) }, then: { class: 'bad' } }]);
      expect([text, parseOverrides(yaml, 'x.yaml', formSchema).issues]).toEqual([text, []]);
    }
  });

  test('an unknown level: UNKNOWN_CATEGORY with the nearest level', () => {
    const i = issue('rnet', housing);
    expect([i.code, i.field]).toEqual(['UNKNOWN_CATEGORY', 'housing']);
    expect(i.message).toContain("'rent'");
    expect(issue('own, flat', housing).code).toBe('UNKNOWN_CATEGORY');
  });
});

describe('formatCell', () => {
  test.each([
    [{ '<': 18 }, '< 18'],
    [{ lessThan: 18 }, '< 18'],
    [{ greaterThanInclusive: 5 }, '>= 5'],
    [{ between: [250, 1000] }, '[250..1000]'],
    [{ equal: null }, 'missing'],
    [{ notEqual: null }, 'not missing'],
    [{ '<': 65, '>': 18 }, '> 18 and < 65'],
    [{ in: [1, null] }, '1, missing'],
  ])('numeric %j', (map, text) => {
    expect(formatCell(map, age)).toBe(text);
  });

  test('levels are bare where they read back, quoted where not', () => {
    expect(formatCell({ in: ['own', 'for free'] }, housing)).toBe('own, for free');
    expect(formatCell({ 'not in': ['own'] }, housing)).toBe('not own');
    expect(formatCell({ in: ['own'] }, housing)).toBe('in own');
    expect(formatCell({ equal: "it's" }, housing)).toBe("'it''s'");
    expect(formatCell({ in: ['<0', 'a, b', 'missing', null] }, tricky)).toBe(
      "<0, 'a, b', 'missing', missing",
    );
  });

  test('what a cell cannot show is null', () => {
    expect(formatCell({ '<': 'x' }, age)).toBeNull();
    expect(formatCell({ '<': 1 }, housing)).toBeNull();
    expect(formatCell({ between: [1] }, age)).toBeNull();
    expect(formatCell({ in: [] }, age)).toBeNull();
    expect(formatCell({ '<': 1, lessThan: 2 }, age)).toBeNull();
    expect(formatCell({ like: 1 }, age)).toBeNull();
    expect(formatCell({ equal: 'own' }, age)).toBeNull();
    expect(formatCell([1], age)).toBeNull();
    expect(formatCell({}, age)).toBeNull();
  });
});

/** Operator maps a cell can show, for a numeric and a categorical feature. */
const number = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const numericMap = fc
  .record(
    {
      '<': number,
      '<=': number,
      '>': number,
      '>=': number,
      equal: fc.option(number),
      notEqual: fc.option(number),
      in: fc.array(fc.option(number), { minLength: 1, maxLength: 4 }),
      notIn: fc.array(fc.option(number), { minLength: 1, maxLength: 4 }),
      between: fc.tuple(number, number),
    },
    { requiredKeys: [] },
  )
  .filter((m) => Object.keys(m).length > 0) as fc.Arbitrary<OperatorMap>;
const level = fc.constantFrom(...tricky.levels);
const categoricalMap = fc
  .record(
    {
      equal: fc.option(level),
      notEqual: fc.option(level),
      in: fc.array(fc.option(level), { minLength: 1, maxLength: 4 }),
      notIn: fc.array(fc.option(level), { minLength: 1, maxLength: 4 }),
    },
    { requiredKeys: [] },
  )
  .filter((m) => Object.keys(m).length > 0) as fc.Arbitrary<OperatorMap>;

describe('round trip', () => {
  test('parse(format(m)) is m, for every map a cell can show', () => {
    fc.assert(
      fc.property(numericMap, (m) => {
        const text = formatCell(m, age);
        expect(text).not.toBeNull();
        expect(value(text!)).toEqual(m);
      }),
    );
    fc.assert(
      fc.property(categoricalMap, (m) => {
        const text = formatCell(m, tricky);
        expect(text).not.toBeNull();
        expect(value(text!, tricky)).toEqual(m);
      }),
    );
  });

  test('format(parse(x)) is stable: formatting a read cell again gives the same text', () => {
    const cell = fc.oneof(
      fc.string(),
      fc
        .array(
          fc.constantFrom(
            '<',
            '>',
            '=',
            '!=',
            '[',
            '..',
            ']',
            ',',
            ' and ',
            'not ',
            'in ',
            'missing',
            '-',
            "'",
            '1',
            '2.5',
            'own',
            'for free',
          ),
          { maxLength: 8 },
        )
        .map((parts) => parts.join(' ')),
    );
    fc.assert(
      fc.property(cell, fc.constantFrom(age, housing, tricky), (text, feature) => {
        const r = parseCell(text, feature);
        if (!r.ok || r.value === null) return;
        const once = formatCell(r.value, feature);
        expect(once).not.toBeNull();
        const again = parseCell(once!, feature);
        expect(again.ok && again.value).toEqual(r.value);
        expect(formatCell(again.ok && again.value, feature)).toBe(once);
      }),
    );
  });

  test('what a cell reads is what parseOverrides accepts for the feature', () => {
    fc.assert(
      fc.property(numericMap, (m) => {
        const yaml = stringify([{ id: 'x', when: { age: m }, then: { class: 'bad' } }]);
        expect(parseOverrides(yaml, 'x.yaml', formSchema).issues).toEqual([]);
      }),
    );
  });
});
