import fc from 'fast-check';
import { parseOverrides } from '../../src/overrides/parse-overrides';
import { overrideOperators } from '../../src/overrides/override-operators';
import {
  type FormInput,
  formShown,
  formYaml,
  type RowInput,
} from '../../src/web/studio/override-form-state';
import { overrideYaml, yamlScalar } from '../../src/web/studio/override-yaml';
import { locateOverride } from '../../src/web/studio/yaml-to-form';
import { formModel, formSchema, housing } from '../helpers/override-form-model';

/**
 * The override form's YAML both ways, in node: what the form writes (`override-yaml.ts`),
 * `yaml-to-form.ts` reads back as the same fields, and the override parser accepts.
 */
const schema = formSchema;
const model = formModel;

const form = (rows: RowInput[], extra: Partial<FormInput> = {}): FormInput => ({
  id: 'young',
  rows,
  className: 'bad',
  priority: '100',
  reason: '',
  ...extra,
});

/** The form's YAML for `input`, which must be writable. */
function written(input: FormInput): string {
  const fields = formYaml(input, model);
  if (!fields.ok) throw new Error(fields.message);
  return overrideYaml(fields.value);
}

/** What the YAML reads back at the start of `text`. */
function readBack(text: string) {
  const located = locateOverride(text, { pos: 0 });
  if (located.kind !== 'override') throw new Error(`no override found: ${located.kind}`);
  return located.found;
}

/** The conditions the parser makes of `text`, which must have no issue. */
function parsed(text: string) {
  const result = parseOverrides(text, 'policy.yaml', schema);
  expect(result.issues).toEqual([]);
  expect(result.overrides).toHaveLength(1);
  return result.overrides[0]!;
}

describe('form → YAML → form', () => {
  test('a new override is written as docs/overrides.md shows it', () => {
    const input = form([{ feature: 'age', operator: '<', values: ['21'] }], {
      reason: 'policy 4.2',
    });
    expect(written(input)).toBe(
      [
        '- id: young',
        '  when:',
        "    age: { '<': 21 }",
        '  then: { class: bad }',
        '  priority: 100',
        '  reason: policy 4.2',
        '',
      ].join('\n'),
    );
  });

  test.each(overrideOperators().numeric)('numeric operator %p round-trips and parses', (op) => {
    const values = ['in', 'notIn', 'not in'].includes(op)
      ? ['21, 30.5, -4']
      : op === 'between'
        ? ['21', '30']
        : ['21.5'];
    const input = form([{ feature: 'age', operator: op, values }]);
    const text = written(input);
    expect(readBack(text).fields).toEqual(formShown(input, model));
    parsed(text);
  });

  test.each(overrideOperators().categorical)(
    'categorical operator %p round-trips and parses',
    (op) => {
      const list = ['in', 'notIn', 'not in'].includes(op);
      const values = list ? ['own', 'for free', "it's"] : ['123'];
      const input = form([{ feature: 'housing', operator: op, values }]);
      const text = written(input);
      expect(readBack(text).fields).toEqual(formShown(input, model));
      parsed(text);
    },
  );

  test('numbers stay numbers and levels that look like numbers or booleans stay strings', () => {
    const input = form([
      { feature: 'age', operator: 'in', values: [' 1e3 , 007, -0.50 '] },
      { feature: 'housing', operator: 'in', values: ['123', 'true'] },
    ]);
    const text = written(input);
    expect(text).toContain('age: { in: [1000, 7, -0.5] }');
    expect(text).toContain("housing: { in: ['123', 'true'] }");
    const fields = readBack(text).fields!;
    expect(fields.conditions).toEqual([
      { feature: 'age', operator: 'in', values: [1000, 7, -0.5] },
      { feature: 'housing', operator: 'in', values: ['123', 'true'] },
    ]);
    const override = parsed(text);
    expect(JSON.stringify(override.conditions)).toContain('["123","true"]');
  });

  test('several operators on one feature share its line, in row order', () => {
    const input = form([
      { feature: 'age', operator: '>=', values: ['18'] },
      { feature: 'housing', operator: 'equal', values: ['rent'] },
      { feature: 'age', operator: '<', values: ['21'] },
    ]);
    const text = written(input);
    expect(text).toContain("    age: { '>=': 18, '<': 21 }");
    expect(readBack(text).fields!.conditions.map((c) => c.operator)).toEqual(['>=', '<', 'equal']);
    parsed(text);
  });

  test('an edited override keeps its other keys, their text and their place', () => {
    const text = [
      '- id: young',
      '  description: a note',
      '  when:',
      "    age: { '<': 21 }",
      '  owner: risk',
      '  then: { class: bad }',
      '  examples:',
      '    - input: { age: 19, housing: own }',
      '      expect: bad',
      '',
    ].join('\n');
    const found = readBack(text);
    expect(found.kept).toEqual([
      'description: a note',
      'owner: risk',
      'examples:\n    - input: { age: 19, housing: own }\n      expect: bad',
    ]);
    const input = form([{ feature: 'age', operator: '<', values: ['25'] }], { priority: '' });
    const fields = formYaml(input, model);
    if (!fields.ok) throw new Error(fields.message);
    expect(overrideYaml({ ...fields.value, parts: found.parts })).toBe(
      text.replace("'<': 21", "'<': 25"),
    );
  });

  test('an example goes with a new override, expecting its class', () => {
    const fields = formYaml(form([{ feature: 'age', operator: '<', values: ['21'] }]), model);
    if (!fields.ok) throw new Error(fields.message);
    const text = overrideYaml({ ...fields.value, example: { age: 19, housing: 'own' } });
    expect(text).toContain(
      '  examples:\n    - input: {"age":19,"housing":"own"}\n      expect: bad\n',
    );
    expect(parsed(text).examples).toEqual([
      expect.objectContaining({ input: { age: 19, housing: 'own' }, expect: 'bad' }),
    ]);
  });

  test('property: whatever the form writes reads back as the fields it shows, by feature', () => {
    const level = fc.constantFrom(...housing.levels);
    const number = fc
      .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
      .map(String);
    const row: fc.Arbitrary<RowInput> = fc.oneof(
      fc
        .tuple(fc.constantFrom('<', 'lessThan', '>=', 'equal', '!='), number)
        .map(([operator, n]) => ({ feature: 'age', operator, values: [n] })),
      fc
        .tuple(number, number)
        .map(([a, b]) => ({ feature: 'age', operator: 'between', values: [a, b] })),
      fc
        .tuple(fc.constantFrom('in', 'notIn', 'not in'), fc.array(number, { minLength: 1 }))
        .map(([operator, ns]) => ({ feature: 'age', operator, values: [ns.join(',')] })),
      fc
        .tuple(fc.constantFrom('equal', '=', 'notEqual'), level)
        .map(([operator, l]) => ({ feature: 'housing', operator, values: [l] })),
      fc
        .tuple(fc.constantFrom('in', 'not in'), fc.uniqueArray(level, { minLength: 1 }))
        .map(([operator, ls]) => ({ feature: 'housing', operator, values: ls })),
    );
    const input: fc.Arbitrary<FormInput> = fc.record({
      id: fc.stringMatching(/^[A-Za-z0-9][\w.-]{0,12}$/),
      // One feature's operator twice is refused (see override-form-state.test.ts).
      rows: fc.uniqueArray(row, {
        minLength: 1,
        maxLength: 4,
        selector: (r) => `${r.feature}\0${r.operator}`,
      }),
      className: fc.constantFrom(...schema.classes),
      priority: fc.oneof(fc.constant(''), fc.integer({ min: 2, max: 10000 }).map(String)),
      reason: fc.string({ maxLength: 30 }),
    });
    fc.assert(
      fc.property(input, (i) => {
        const text = written(i);
        // The YAML holds one line per feature: rows come back grouped by feature, in the
        // order each feature first appears.
        const shown = formShown(i, model);
        const order = [...new Set(shown.conditions.map((c) => c.feature))];
        const grouped = order.flatMap((f) => shown.conditions.filter((c) => c.feature === f));
        expect(readBack(text).fields).toEqual({ ...shown, conditions: grouped });
      }),
    );
  });
});

describe('YAML the form refuses to show (the expert edits it in YAML)', () => {
  const why = (text: string) => readBack(text).why;
  const item = (when: string, rest = '  then: { class: bad }\n') =>
    `- id: young\n  when:\n${when}${rest}`;

  test.each([
    ['an anchor', item("    age: &a { '<': 21 }\n"), /anchor or alias/],
    ['a comment', item("    age: { '<': 21 } # why\n"), /comments/],
    ['all', item("    all:\n      - age: { '<': 21 }\n"), /uses 'all'/],
    ['any', item("    any:\n      - age: { '<': 21 }\n"), /uses 'any'/],
    ['not', item("    not:\n      age: { '<': 21 }\n"), /uses 'not'/],
    ['no condition', '- id: young\n  then: { class: bad }\n', /no condition yet/],
    ['an empty condition', item('    age: {}\n'), /not complete yet/],
    ['a missing value', item("    age: { '<': }\n"), /not complete yet/],
    ['a nested list value', item('    age: { in: [[1, 2]] }\n'), /more than the form shows/],
    ['no class', item("    age: { '<': 21 }\n", '  then: {}\n'), /not complete yet/],
    [
      'a reason that is a map',
      item("    age: { '<': 21 }\n", '  then: { class: bad }\n  reason: { a: 1 }\n'),
      /its reason is more/,
    ],
    [
      'another indentation',
      "-   id: young\n    when:\n      age: { '<': 21 }\n    then: { class: bad }\n",
      /indented unlike/,
    ],
  ])('%s', (_name, text, expected) => {
    expect(readBack(text).fields).toBeNull();
    expect(why(text)).toMatch(expected);
  });

  test('a file with YAML errors, and a place outside every override', () => {
    expect(locateOverride("- id: young\n  when: { age: { '<': 21 }\n", { pos: 0 })).toEqual({
      kind: 'yaml-error',
    });
    const text =
      "# overrides\n\n- id: young\n  when:\n    age: { '<': 21 }\n  then: { class: bad }\n";
    expect(locateOverride(text, { pos: 0 }).kind).toBe('none');
    expect(locateOverride(text, { pos: text.indexOf('when') }).kind).toBe('override');
    expect(locateOverride('a: 1\n', { pos: 0 }).kind).toBe('none');
  });

  test('an override is found by id, and the line after it is outside it', () => {
    const text = "- id: a\n  when:\n    age: { '<': 21 }\n  then: { class: bad }\n\n- id: b\n";
    const b = locateOverride(text, { id: 'b' });
    expect(b.kind === 'override' && b.found.from).toBe(text.indexOf('- id: b'));
    expect(locateOverride(text, { pos: text.indexOf('\n\n') + 1 }).kind).toBe('none');
  });
});

describe('yamlScalar', () => {
  test.each([
    ['own', 'own'],
    ['for free', "'for free'"],
    ["it's", "'it''s'"],
    ['123', "'123'"],
    ['True', "'True'"],
    ['null', "'null'"],
    ['<', "'<'"],
    ['not in', "'not in'"],
  ])('%p is %p', (value, yaml) => {
    expect(yamlScalar(value)).toBe(yaml);
  });
});
