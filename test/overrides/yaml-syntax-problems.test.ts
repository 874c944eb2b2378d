import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { parseDocument } from 'yaml';
import { loadModelFiles } from '../../src/artifacts/model-store';
import { parseOverrides } from '../../src/overrides/parse-overrides';
import { GERMAN_CREDIT } from '../helpers/german-credit';

const { schema } = loadModelFiles(GERMAN_CREDIT);
const fixtures = path.join(__dirname, '..', 'fixtures', 'overrides');
const read = (name: string) => fs.readFileSync(path.join(fixtures, name), 'utf8');

/** [code, line, column] of every problem of an override file. */
function problems(text: string) {
  const { overrides, issues } = parseOverrides(text, 'f.yaml', schema);
  expect(overrides).toEqual([]);
  return issues.map((i) => [i.code, i.line, i.column]);
}

/** How many errors yaml itself reports: what an expert used to see. */
const rawErrors = (text: string) => parseDocument(text, { uniqueKeys: true }).errors.length;

/** 1-based [line, column] of the first `token` in `text`. */
function at(text: string, token: string): [number, number] {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(token));
  return [line + 1, lines[line]!.indexOf(token) + 1];
}

/** A valid two-override file to break in the cases below. */
const BASE = [
  '- id: young',
  '  when:',
  "    age: { '<': 21 }",
  "    credit_amount: { '>': 5000 }",
  '  then: { class: bad }',
  '  priority: 100',
  '- id: long',
  '  when:',
  "    duration: { '>': 60 }",
  '  then: { class: bad }',
  '',
].join('\n');

/** The base file with a description, a reason and an owner to break (lines 2, 5 and 6). */
const FILE = BASE.replace(
  '- id: young\n',
  '- id: young\n  description: Minors are declined\n',
).replace("    credit_amount: { '>': 5000 }\n", '  reason: "Legal minimum age"\n  owner: credit\n');

/** Mistakes whose cause the plain words once misnamed: [name, text, line, column]. */
const misnamed: [string, string, number, number][] = [
  [
    'a colon inside a plain value: at the value, which must be quoted',
    FILE.replace('description: Minors', 'description: Rule: minors'),
    2,
    16,
  ],
  [
    'a key without its colon: at that line, not the next key',
    FILE.replace('owner: credit', 'ownercredit'),
    6,
    3,
  ],
  [
    'an unclosed double quote: at the quote, not past the end of the file',
    FILE.replace('"Legal minimum age"', '"Legal minimum age'),
    5,
    11,
  ],
  [
    'an unclosed single quote: at the quote',
    FILE.replace('"Legal minimum age"', "'Legal minimum age"),
    5,
    11,
  ],
  [
    'a second document: at its `---`',
    `${FILE}---\n${FILE.replace(/young/g, 'other').replace(/long/g, 'longer')}`,
    13,
    1,
  ],
  [
    'a colon inside a flow value: at the value, which must be quoted, not an unclosed bracket',
    FILE.replace('then: { class: bad }', 'then: { class: bad: worse }'),
    7,
    18,
  ],
  [
    'a bare `: 1` under `when:`: at the colon, no feature named null',
    FILE.replace("    age: { '<': 21 }", "    age: { '<': 21 }\n    : 1"),
    5,
    5,
  ],
];

describe('plain-words YAML problems', () => {
  it('the base file is valid', () => {
    expect(parseOverrides(BASE, 'f.yaml', schema).issues).toEqual([]);
  });

  it('Enter after `when:` without indenting: each condition is YAML_SYNTAX at its key, no EMPTY_WHEN or UNKNOWN_KEY', () => {
    const text = read('yaml-syntax-when-not-indented.yaml');
    // Valid YAML: `when` is empty and the conditions are keys of the override.
    expect(rawErrors(text)).toBe(0);
    expect(problems(text)).toEqual([
      ['YAML_SYNTAX', ...at(text, 'age:')],
      ['YAML_SYNTAX', ...at(text, 'credit_amount:')],
    ]);
    const { issues } = parseOverrides(text, 'f.yaml', schema);
    expect(issues.map((i) => i.field)).toEqual(['age', 'credit_amount']);
    expect(issues[0]!.message).toContain('`when:`');
  });

  it('two Backspaces before a condition: one problem at that line, not a cascade', () => {
    const text = read('yaml-syntax-two-backspaces.yaml');
    expect(rawErrors(text)).toBeGreaterThan(7);
    expect(problems(text)).toEqual([['YAML_SYNTAX', ...at(text, 'credit_amount:')]]);
    expect(parseOverrides(text, 'f.yaml', schema).issues[0]!.message).not.toMatch(
      /token|map-value-ind|YAML stream/,
    );
  });

  it('a misspelt feature inside broken structure is UNKNOWN_FEATURE with a did-you-mean, beside the one structure problem', () => {
    const text = read('unknown-feature-in-broken-yaml.yaml');
    expect(rawErrors(text)).toBeGreaterThan(0);
    expect(problems(text)).toEqual([
      ['UNKNOWN_FEATURE', ...at(text, 'agee')],
      ['YAML_SYNTAX', ...at(text, 'credit_amount')],
    ]);
    const typo = parseOverrides(text, 'f.yaml', schema).issues[0]!;
    expect(typo).toMatchObject({ field: 'agee' });
    expect(typo.message).toContain("did you mean 'age'?");
  });

  it('a misspelt feature left outside its `when:` is both problems, at the same key', () => {
    const text = BASE.replace("    age: { '<': 21 }", "  agee: { '<': 21 }");
    expect(problems(text)).toEqual([
      ['YAML_SYNTAX', 3, 3],
      ['UNKNOWN_FEATURE', 3, 3],
    ]);
  });

  const cases: [string, string, (string | number)[][]][] = [
    [
      'a condition one column short',
      BASE.replace('    credit', '   credit'),
      [['YAML_SYNTAX', 4, 4]],
    ],
    [
      'a condition two columns too far',
      BASE.replace('    credit', '      credit'),
      [['YAML_SYNTAX', 4, 7]],
    ],
    [
      'the first condition two columns short',
      BASE.replace('    age', '  age'),
      [['YAML_SYNTAX', 3, 3]],
    ],
    [
      '`then` at column 1',
      BASE.replace('  then: { class: bad }\n  priority', 'then: { class: bad }\n  priority'),
      [['YAML_SYNTAX', 5, 1]],
    ],
    [
      '`when` at column 1',
      BASE.replace('  when:\n    age', 'when:\n    age'),
      [['YAML_SYNTAX', 2, 1]],
    ],
    [
      '`when` two columns too far',
      BASE.replace('  when:\n    age', '    when:\n    age'),
      [['YAML_SYNTAX', 2, 5]],
    ],
    ['a tab in the indentation', BASE.replace('    age', '\tage'), [['YAML_SYNTAX', 3, 1]]],
    [
      'an unclosed `{`, at the bracket',
      BASE.replace("{ '<': 21 }", "{ '<': 21"),
      [['YAML_SYNTAX', 3, 10]],
    ],
    ['an unclosed quote, at the quote', BASE.replace("'<'", "'<"), [['YAML_SYNTAX', 3, 12]]],
    ['a key written twice', BASE.replace('credit_amount', 'age'), [['YAML_SYNTAX', 4, 5]]],
    [
      'a value starting with a reserved character',
      BASE.replace('class: bad }\n  priority', 'class: @bad }\n  priority'),
      [['YAML_SYNTAX', 5, 18]],
    ],
    [
      'a flow map broken over two lines, the second not indented: one problem, at the `{`',
      BASE.replace("{ '>': 5000 }", "{ '>':\n5000 }"),
      [['YAML_SYNTAX', 4, 20]],
    ],
    [
      "a space before the second override's `-`: one problem, at the dash",
      BASE.replace('- id: long', ' - id: long'),
      [['YAML_SYNTAX', 7, 2]],
    ],
    [
      'two separate mistakes: two problems',
      BASE.replace('    credit', 'credit').replace(
        "    duration: { '>': 60 }",
        "      duration: { '>': 60 }\n    age: { '<': 30 }",
      ),
      [
        ['YAML_SYNTAX', 4, 1],
        // Two conditions on two columns: the usual one, two right of `when`, is taken.
        ['YAML_SYNTAX', 9, 7],
      ],
    ],
    ...misnamed.map(([name, text, line, column]): [string, string, (string | number)[][]] => [
      name,
      text,
      [['YAML_SYNTAX', line, column]],
    ]),
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
    for (const i of parseOverrides(text, 'f.yaml', schema).issues) {
      expect(i.message).not.toMatch(/token|YAML stream|at line \d+|null|bracket above/);
      // No key is told to move to the column it is at.
      expect(i.message).not.toMatch(new RegExp(`start it at column ${i.column}(,|$)`));
      // What the line holds is named: the `---` of a second document, not its structure.
      if (text.includes('\n---\n')) expect(i.message).toContain('`---`');
    }
  });

  it("brackets nested past yaml's limit: one problem in their line, not an indentation", () => {
    const text = FILE.replace("{ '<': 21 }", `${'['.repeat(5000)}${']'.repeat(5000)}`);
    // Where yaml stops depends on the stack Node has: somewhere among the brackets.
    const found = problems(text);
    expect(found.map(([code, line]) => [code, line])).toEqual([['YAML_SYNTAX', 4]]);
    expect(found[0]![2]).toBeGreaterThanOrEqual(at(text, '[')[1]);
    expect(parseOverrides(text, 'f.yaml', schema).issues[0]!.message).not.toMatch(/indent/);
  });

  it('a byte-order mark and old Mac line ends are read as an editor shows the file', () => {
    expect(parseOverrides(`\uFEFF${FILE}`, 'f.yaml', schema).issues).toEqual([]);
    expect(parseOverrides(FILE.replace(/\n/g, '\r'), 'f.yaml', schema).issues).toEqual([]);
    // Places stay where the editor shows them: the BOM is no column.
    const broken = `\uFEFF${FILE.replace("    age: { '<': 21 }", "  age: { '<': 21 }")}`;
    expect(problems(broken)).toEqual([['YAML_SYNTAX', 4, 3]]);
    expect(problems(broken.replace(/\n/g, '\r'))).toEqual([['YAML_SYNTAX', 4, 3]]);
  });

  it('a decimal comma is LOCALE_NUMBER at the number, in a flow map (read as 1 and a key 5) and in a block (read as text)', () => {
    const flow = BASE.replace("{ '>': 5000 }", "{ '>': 1,5 }");
    expect(problems(flow)).toEqual([['LOCALE_NUMBER', ...at(flow, '1,5')]]);
    const block = BASE.replace("{ '>': 5000 }", "\n      '>': 1,5");
    expect(problems(block)).toEqual([['LOCALE_NUMBER', ...at(block, '1,5')]]);
    const thousands = BASE.replace("{ '>': 5000 }", "{ '>': 1.234.567 }");
    expect(problems(thousands)).toEqual([['LOCALE_NUMBER', ...at(thousands, '1.234.567')]]);
  });
});

describe('one problem per mistake (property)', () => {
  /** Conditions that are valid on any row of the German credit schema. */
  const CONDITIONS = [
    "age: { '<': 30 }",
    "credit_amount: { '>': 5000 }",
    'duration: { between: [12, 36] }',
    "purpose: { in: [education, 'new car'] }",
    'housing: { equal: rent }',
  ];
  /** An override file with these conditions under its `when:` (at column 5), twice over. */
  const fileOf = (conditions: string[], indents: number[]) =>
    [
      '- id: first',
      '  when:',
      ...conditions.map((c, i) => ' '.repeat(indents[i]!) + c),
      '  then: { class: bad }',
      '  priority: 100',
      '- id: second',
      '  when:',
      "    age: { '>': 60 }",
      '  then: { class: good }',
      '',
    ].join('\n');

  it('one condition moved to any other column (of two or more) is one YAML_SYNTAX at its line and key', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(CONDITIONS, { minLength: 2 }),
        fc.nat(),
        fc.integer({ min: 0, max: 9 }).filter((n) => n !== 4),
        (conditions, pick, indent) => {
          const moved = pick % conditions.length;
          const indents = conditions.map((_, i) => (i === moved ? indent : 4));
          expect(
            parseOverrides(
              fileOf(
                conditions,
                indents.map(() => 4),
              ),
              'f.yaml',
              schema,
            ).issues,
          ).toEqual([]);
          expect(problems(fileOf(conditions, indents))).toEqual([
            ['YAML_SYNTAX', 3 + moved, indent + 1],
          ]);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('any edit of a valid file (property)', () => {
  const valid = read('valid.yaml');
  it('never throws, and every problem has a place in the file and no token names', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.nat(),
            cut: fc.integer({ min: 0, max: 4 }),
            put: fc.constantFrom(
              '',
              ' ',
              '  ',
              '\n',
              '\t',
              ':',
              '- ',
              '{',
              '}',
              '[',
              "'",
              '#',
              ',',
              '"',
              '\r',
              '---\n',
              ': ',
            ),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (edits) => {
          let text = valid;
          for (const e of edits) {
            const at = e.at % (text.length + 1);
            text = text.slice(0, at) + e.put + text.slice(at + e.cut);
          }
          const lines = text.split(/\r\n|\r|\n/).length;
          for (const i of parseOverrides(text, 'f.yaml', schema).issues) {
            if (i.code !== 'YAML_SYNTAX') continue;
            expect(i.line).toBeGreaterThanOrEqual(1);
            expect(i.line).toBeLessThanOrEqual(lines);
            expect(i.column).toBeGreaterThanOrEqual(1);
            expect(i.message).not.toMatch(/token|YAML stream/);
            // No key is told to move to the column it is at.
            expect(i.message).not.toMatch(new RegExp(`start it at column ${i.column}(,|$)`));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
