import type { Issue } from '../../src/errors';
import { parseOverrides } from '../../src/overrides/parse-overrides';
import type { StudioFix } from '../../src/studio/contract';
import { OVERRIDE_KEYS } from '../../src/overrides/override-operators';
import { quickFixes } from '../../src/studio/quick-fixes';
import { formSchema } from '../helpers/override-form-model';

const override = (when: string, rest = '  then: { class: bad }\n'): string =>
  `- id: young\n  when:\n${when}${rest}`;

/** The first issue the parser finds in `text`, and its fixes. */
function fixesOf(text: string): { issue: Issue; fixes: StudioFix[] } {
  const issue = parseOverrides(text, 'policy.yaml', formSchema).issues[0]!;
  return { issue, fixes: quickFixes(issue, text, formSchema) };
}

const apply = (text: string, fix: StudioFix): string =>
  text.slice(0, fix.from) + fix.insert + text.slice(fix.to);

/** Applies the first fix and asserts the file then parses without a problem. */
function fixed(text: string, code: string): string {
  const { issue, fixes } = fixesOf(text);
  expect(issue.code).toBe(code);
  expect(fixes.length).toBeGreaterThan(0);
  const after = apply(text, fixes[0]!);
  expect(parseOverrides(after, 'policy.yaml', formSchema).issues).toEqual([]);
  return after;
}

describe('quick fixes', () => {
  test('UNKNOWN_FEATURE: the misspelt key is replaced by the nearest feature', () => {
    const text = override("    agee: { '<': 21 }\n");
    const { fixes } = fixesOf(text);
    expect(fixes).toEqual([
      {
        label: "did you mean 'age'",
        from: text.indexOf('agee'),
        to: text.indexOf('agee') + 4,
        insert: 'age',
      },
    ]);
    expect(fixed(text, 'UNKNOWN_FEATURE')).toBe(override("    age: { '<': 21 }\n"));
  });

  test('UNKNOWN_OPERATOR: a categorical feature is offered only its own operators', () => {
    expect(fixed(override('    housing: { equl: own }\n'), 'UNKNOWN_OPERATOR')).toBe(
      override('    housing: { equal: own }\n'),
    );
    // `lessThen` is nearest `lessThan`, which a categorical feature cannot take: no fix.
    expect(fixesOf(override('    housing: { lessThen: own }\n')).fixes).toEqual([]);
    expect(fixed(override("    age: { 'lessThen': 21 }\n"), 'UNKNOWN_OPERATOR')).toBe(
      override("    age: { 'lessThan': 21 }\n"),
    );
  });

  test('UNKNOWN_KEY: the keys of an override, of then and of an example', () => {
    expect(
      fixed(
        override("    age: { '<': 21 }\n", '  then: { class: bad }\n  priorty: 90\n'),
        'UNKNOWN_KEY',
      ),
    ).toMatch(/\n {2}priority: 90\n$/);
    expect(
      fixed(override("    age: { '<': 21 }\n", '  then: { clas: bad }\n'), 'UNKNOWN_KEY'),
    ).toMatch(/then: \{ class: bad \}/);
    const example =
      '  then: { class: bad }\n  examples:\n    - input: { age: 19, housing: own }\n      expct: bad\n';
    expect(fixed(override("    age: { '<': 21 }\n", example), 'UNKNOWN_KEY')).toMatch(
      /\n {6}expect: bad\n$/,
    );
  });

  test('UNKNOWN_CLASS: the nearest class, in the quoting it was written in', () => {
    expect(
      fixed(override("    age: { '<': 21 }\n", "  then: { class: 'bda' }\n"), 'UNKNOWN_CLASS'),
    ).toMatch(/then: \{ class: 'bad' \}/);
  });

  test('UNKNOWN_CATEGORY: the nearest levels of the feature, each written as YAML reads it back', () => {
    const text = override("    housing: { in: [own, 'for fre', rnt] }\n");
    const { issue, fixes } = fixesOf(text);
    expect(issue.code).toBe('UNKNOWN_CATEGORY');
    const at = (s: string) => ({ from: text.indexOf(s), to: text.indexOf(s) + s.length });
    // Up to three levels for each unknown level, nearest first.
    const forFree = fixes.filter((f) => f.from === at("'for fre'").from);
    expect(forFree).toHaveLength(3);
    expect(forFree[0]).toEqual({
      label: "use level 'for free' for 'for fre'",
      ...at("'for fre'"),
      insert: "'for free'",
    });
    expect(fixes.filter((f) => f.from === at('rnt').from)).toEqual([
      { label: "use level 'rent' for 'rnt'", ...at('rnt'), insert: 'rent' },
      { label: "use level 'own' for 'rnt'", ...at('rnt'), insert: 'own' },
      { label: "use level '123' for 'rnt'", ...at('rnt'), insert: "'123'" },
    ]);
    // A level that YAML would read as another type, or that holds a quote, is quoted.
    const one = override('    housing: { equal: tru }\n');
    expect(fixesOf(one).fixes[0]).toMatchObject({ insert: "'true'" });
    expect(fixed(one, 'UNKNOWN_CATEGORY')).toBe(override("    housing: { equal: 'true' }\n"));
    const quote = override('    housing: { equal: "its" }\n');
    expect(fixesOf(quote).fixes[0]).toMatchObject({ insert: '"it\'s"' });
  });

  test('no fix for other codes, for a name with nothing near, or where the text moved', () => {
    expect(fixesOf(override("    zzzzzzzz: { '<': 21 }\n")).fixes).toEqual([]);
    const { issue } = fixesOf(override("    agee: { '<': 21 }\n"));
    expect(quickFixes(issue, override("    age: { '<': 21 }\n"), formSchema)).toEqual([]);
    expect(
      quickFixes({ ...issue, line: 40 }, override("    agee: { '<': 21 }\n"), formSchema),
    ).toEqual([]);
    const wrong = fixesOf(override("    age: { '<': young }\n"));
    expect(wrong.issue.code).toBe('WRONG_TYPE');
    expect(wrong.fixes).toEqual([]);
  });

  test("the keys offered are the parser's: each parses without UNKNOWN_KEY", () => {
    const text = [
      '- id: young',
      '  description: d',
      "  when: { age: { '<': 21 } }",
      '  then: { class: bad }',
      '  priority: 90',
      '  reason: r',
      '  owner: o',
      '  examples:',
      '    - { input: { age: 19, housing: own }, expect: bad }',
      '',
    ].join('\n');
    expect(OVERRIDE_KEYS.override.every((k) => text.includes(`${k}:`))).toBe(true);
    expect(OVERRIDE_KEYS.then).toEqual(['class']);
    expect(OVERRIDE_KEYS.example).toEqual(['input', 'expect']);
    expect(parseOverrides(text, 'policy.yaml', formSchema).issues).toEqual([]);
  });
});
