import { Engine } from 'json-rules-engine';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { safeLoadOverrides } from '../../src/overrides/merge-overrides';
import { parseOverrides } from '../../src/overrides/parse-overrides';
import { loadModelFiles } from '../../src/artifacts/model-store';
import { GERMAN_CREDIT } from '../helpers/german-credit';

const { schema } = loadModelFiles(GERMAN_CREDIT);
const fixtures = path.join(__dirname, '..', 'fixtures', 'overrides');
const read = (name: string) => fs.readFileSync(path.join(fixtures, name), 'utf8');

/** 1-based line and column of the first occurrence of `token` in `text`. */
function place(text: string, token: string): { line: number; column: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(token));
  return { line: line + 1, column: lines[line]!.indexOf(token) + 1 };
}

describe('parseOverrides', () => {
  it('reads the documented format into json-rules-engine conditions', async () => {
    const { overrides, issues } = parseOverrides(read('valid.yaml'), 'valid.yaml', schema);
    expect(issues).toEqual([]);
    expect(overrides.map((o) => [o.id, o.class, o.priority, o.line])).toEqual([
      ['minors-declined', 'bad', 100, 1],
      ['guarantor-education', 'good', 50, 12],
    ]);
    expect(overrides[0]!.conditions).toEqual({
      all: [{ fact: 'age', operator: 'lessThan', value: 18 }],
    });
    expect(overrides[0]!.examples[0]!.input.age).toBe(17);
    expect(overrides[1]!.conditions).toEqual({
      all: [
        { fact: 'other_parties', operator: 'equal', value: 'guarantor' },
        { fact: 'purpose', operator: 'in', value: ['education'] },
        { fact: 'credit_amount', operator: 'lessThan', value: 1000 },
        {
          any: [
            {
              all: [
                { fact: 'duration', operator: 'greaterThanInclusive', value: 6 },
                { fact: 'duration', operator: 'lessThanInclusive', value: 24 },
              ],
            },
            { not: { all: [{ fact: 'savings_status', operator: 'notIn', value: ['<100'] }] } },
          ],
        },
      ],
    });
    // The conditions run unchanged on json-rules-engine.
    const engine = new Engine([{ conditions: overrides[0]!.conditions, event: { type: 'x' } }]);
    expect((await engine.run({ age: 17 })).events).toHaveLength(1);
    expect((await engine.run({ age: 30 })).events).toHaveLength(0);
  });

  const cases: [string, string, string | null][] = [
    ['unknown-feature.yaml', 'UNKNOWN_FEATURE', 'ag:'],
    ['wrong-type.yaml', 'WRONG_TYPE', 'eighteen'],
    ['unknown-category.yaml', 'UNKNOWN_CATEGORY', 'spaceship'],
    ['unknown-class.yaml', 'UNKNOWN_CLASS', 'terrible'],
    ['empty-when.yaml', 'EMPTY_WHEN', '{}'],
    ['unknown-key.yaml', 'UNKNOWN_KEY', 'wehn'],
    ['unknown-operator.yaml', 'UNKNOWN_OPERATOR', 'under'],
    ['invalid-example.yaml', 'INVALID_EXAMPLE', 'input'],
    ['yaml-syntax.yaml', 'YAML_SYNTAX', null],
    ['override-limit.yaml', 'OVERRIDE_LIMIT', null],
    ['locale-number.yaml', 'LOCALE_NUMBER', '2,5'],
  ];
  it.each(cases)('%s gives %s at its place, and no override', (name, code, token) => {
    const text = read(name);
    const { overrides, issues } = parseOverrides(text, name, schema);
    expect(overrides).toEqual([]);
    expect(issues[0]).toMatchObject({ code, file: name });
    if (token !== null) expect(issues[0]).toMatchObject(place(text, token));
  });

  it('null is a missing value in equal, notEqual, in and notIn, and nowhere else', async () => {
    const text = [
      '- id: no-age',
      '  when:',
      '    age: { equal: null }',
      '    purpose: { in: [education, ~] }',
      '  then: { class: bad }',
      '- id: bad-order',
      '  when:',
      '    age: { "<": null }',
      '  then: { class: bad }',
    ].join('\n');
    const { issues } = parseOverrides(text, 'm.yaml', schema);
    expect(issues.map((i) => [i.code, i.line])).toEqual([['WRONG_TYPE', 8]]);
    const good = parseOverrides(text.split('\n').slice(0, 5).join('\n'), 'm.yaml', schema);
    expect(good.issues).toEqual([]);
    expect(good.overrides[0]!.conditions).toEqual({
      all: [
        { fact: 'age', operator: 'equal', value: null },
        { fact: 'purpose', operator: 'in', value: ['education', null] },
      ],
    });
    const engine = new Engine([
      { conditions: good.overrides[0]!.conditions, event: { type: 'x' } },
    ]);
    expect((await engine.run({ age: null, purpose: null })).events).toHaveLength(1);
    expect((await engine.run({ age: 30, purpose: null })).events).toHaveLength(0);
  });

  it('a number JSON cannot write (.inf, .nan, 1e400) is WRONG_TYPE showing it as written, not as null', () => {
    for (const written of ['.inf', '-.inf', '.nan', '1e400', '[1, .inf]']) {
      const operator = written.startsWith('[') ? 'between' : "'<'";
      const text = `- id: x\n  when:\n    age: { ${operator}: ${written} }\n  then: { class: bad }\n`;
      const { issues } = parseOverrides(text, 'm.yaml', schema);
      expect(issues.map((i) => [i.code, i.line, i.column])).toEqual([
        ['WRONG_TYPE', ...Object.values(place(text, written))],
      ]);
      expect(issues[0]!.message).toContain(written);
      expect(issues[0]!.message).not.toContain('null');
    }
  });

  it('an empty condition map inside any or not is EMPTY_WHEN (json-rules-engine would read it as true)', () => {
    const text =
      '- id: a\n  when:\n    any:\n      - {}\n      - age: { "<": 20 }\n  then: { class: bad }\n' +
      '- id: b\n  when:\n    not: {}\n  then: { class: bad }\n';
    const { overrides, issues } = parseOverrides(text, 'f.yaml', schema);
    expect(overrides).toEqual([]);
    expect(issues.map((i) => [i.code, i.line, i.column])).toEqual([
      ['EMPTY_WHEN', 4, 9],
      ['EMPTY_WHEN', 9, 10],
    ]);
  });

  it('duplicate-id/: an id used in two files is DUPLICATE_ID at the second, naming the first', () => {
    const dir = path.join(fixtures, 'duplicate-id');
    const r = safeLoadOverrides(dir, schema);
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues;
    expect(issues.map((i) => [i.code, i.file, i.line, i.column])).toEqual([
      ['DUPLICATE_ID', path.join(dir, 'b-policy.yaml'), 6, 3],
    ]);
    expect(issues[0]!.message).toContain(`${path.join(dir, 'a-policy.yaml')}:1`);
  });

  it('unknown keys inside then and examples are UNKNOWN_KEY with a did-you-mean', () => {
    const text =
      '- id: a\n  when:\n    age: { "<": 20 }\n  then: { class: bad, score: 3 }\n' +
      '  examples:\n    - input: { age: 17 }\n      expected: bad\n';
    const { issues } = parseOverrides(text, 'f.yaml', schema);
    const keys = issues.filter((i) => i.code === 'UNKNOWN_KEY');
    expect(keys.map((i) => [i.field, i.line, i.column])).toEqual([
      ['then.score', 4, 23],
      ['examples.expected', 7, 7],
    ]);
    expect(keys[1]!.message).toContain("did you mean 'expect'?");
  });

  it("an override's condition is named by its path in the file as well as by its feature", () => {
    const text =
      '- id: a\n  when: { age: { "<": 20 } }\n  then: { class: bad }\n' +
      '- id: b\n  when:\n    all:\n      - age: { "<": 20 }\n      - not: { duraton: { ">": 3 } }\n' +
      '    age: { under: 3 }\n  then: { class: terrible }\n';
    const { issues } = parseOverrides(text, 'f.yaml', schema);
    expect(issues.map((i) => [i.code, i.field, i.path])).toEqual([
      ['UNKNOWN_CLASS', 'then.class', [1, 'then', 'class']],
      ['UNKNOWN_FEATURE', 'duraton', [1, 'when', 'all', 1, 'not', 'duraton']],
      ['UNKNOWN_OPERATOR', 'age', [1, 'when', 'age', 'under']],
    ]);
  });

  it('a YAML syntax error names its place once, not again in the message', () => {
    const { issues } = parseOverrides('- id: a\n  when: {\n', 'f.yaml', schema);
    expect(issues[0]!.code).toBe('YAML_SYNTAX');
    expect(issues[0]!.message).not.toMatch(/at line \d+, column \d+/);
  });

  it('suggests the nearest feature name and lists every problem at once', () => {
    const text =
      '- id: a\n  when:\n    ag: { lessThan: 18 }\n    purpose: { equal: spaceship }\n  then: { class: terrible }\n';
    const { issues } = parseOverrides(text, 'f.yaml', schema);
    expect(issues.map((i) => i.code).sort()).toEqual([
      'UNKNOWN_CATEGORY',
      'UNKNOWN_CLASS',
      'UNKNOWN_FEATURE',
    ]);
    expect(issues.find((i) => i.code === 'UNKNOWN_FEATURE')!.message).toContain(
      "did you mean 'age'?",
    );
  });
});
