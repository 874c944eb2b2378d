import {
  conditionShown,
  conditionYaml,
  controlTexts,
  formYaml,
  rewriteStep,
  syncStep,
  unknownIn,
  valueControls,
} from '../../src/web/studio/override-form-state';
import type { FormFields } from '../../src/web/studio/yaml-to-form';
import { age, formModel, housing } from '../helpers/override-form-model';

/** The override form's state, without a DOM: what its rows read, refuse and show. */
const model = formModel;
const fields = (over: Partial<FormFields> = {}): FormFields => ({
  id: 'young',
  conditions: [{ feature: 'age', operator: '<', values: [21] }],
  className: 'bad',
  priority: '100',
  reason: '',
  ...over,
});

describe('value controls', () => {
  test('a level list, several for a list operator', () => {
    expect(valueControls(housing, 'equal')).toEqual({
      kind: 'levels',
      levels: housing.levels,
      multiple: false,
    });
    expect(valueControls(housing, 'not in')).toMatchObject({ multiple: true });
  });

  test('one number, two bounds for between, one text for a list; the training range', () => {
    expect(valueControls(age, '<')).toEqual({
      kind: 'numbers',
      fields: [{ label: 'value', type: 'number', placeholder: '18' }],
      hint: 'training range 18 – 75',
    });
    expect(valueControls(age, 'between')).toMatchObject({
      fields: [
        { label: 'low', type: 'number', placeholder: '18' },
        { label: 'high', type: 'number', placeholder: '75' },
      ],
    });
    expect(valueControls(age, 'notIn')).toEqual({
      kind: 'numbers',
      fields: [{ label: 'value', type: 'text', placeholder: '18' }],
      hint: 'training range 18 – 75; numbers separated by commas',
    });
  });
});

describe('a row read as YAML values', () => {
  test.each([
    [{ feature: 'agee', operator: '<', values: ['1'] }, 'choose a feature'],
    [{ feature: 'housing', operator: 'in', values: [] }, 'choose a level of housing'],
    [{ feature: 'age', operator: '<', values: [''] }, 'expected a number for age'],
    [{ feature: 'age', operator: '<', values: ['twenty'] }, 'expected a number for age'],
    [{ feature: 'age', operator: '<', values: ['Infinity'] }, 'expected a number for age'],
    [{ feature: 'age', operator: 'between', values: ['1', ''] }, 'expected two numbers for age'],
    [{ feature: 'age', operator: 'in', values: ['1,,2'] }, 'expected a number for age'],
  ])('%j is refused: %s', (input, message) => {
    expect(conditionYaml(input, model)).toEqual({ ok: false, message });
  });

  test('numbers are written as numbers, levels as YAML scalars', () => {
    expect(conditionYaml({ feature: 'age', operator: 'in', values: [' 1e2, 3 '] }, model)).toEqual({
      ok: true,
      value: { feature: 'age', operator: 'in', values: ['100', '3'] },
    });
    expect(
      conditionYaml({ feature: 'housing', operator: 'in', values: ['own', 'for free'] }, model),
    ).toEqual({
      ok: true,
      value: { feature: 'housing', operator: 'in', values: ['own', "'for free'"] },
    });
  });

  test('shown as the YAML reads it back: numbers for a numeric feature, text for levels', () => {
    expect(conditionShown({ feature: 'age', operator: 'in', values: ['1, 2'] }, model)).toEqual({
      feature: 'age',
      operator: 'in',
      values: [1, 2],
    });
    expect(conditionShown({ feature: 'housing', operator: '=', values: ['own'] }, model)).toEqual({
      feature: 'housing',
      operator: '=',
      values: ['own'],
    });
  });

  test('a condition into the controls: one text for a list of numbers', () => {
    expect(controlTexts({ feature: 'age', operator: 'in', values: [1, 2] }, age)).toEqual(['1, 2']);
    expect(controlTexts({ feature: 'age', operator: 'between', values: [1, 2] }, age)).toEqual([
      '1',
      '2',
    ]);
    expect(controlTexts({ feature: 'housing', operator: 'in', values: ['own'] }, housing)).toEqual([
      'own',
    ]);
  });

  test("one feature's operator twice is refused: it would be no YAML", () => {
    const row = { feature: 'age', operator: '>=', values: ['1'] };
    const input = { id: 'x', rows: [row, row], className: 'bad', priority: '', reason: '' };
    expect(formYaml(input, model)).toEqual({
      ok: false,
      message: "two conditions on age use '>=': change one",
    });
  });

  test('the form needs an id of letters, digits, . _ -', () => {
    const input = { id: ' -x', rows: [], className: 'bad', priority: '', reason: '' };
    expect(formYaml(input, model)).toEqual({
      ok: false,
      message: 'give the override an id (letters, digits, . _ -)',
    });
  });
});

describe('what the form can show', () => {
  test.each([
    [fields(), ''],
    [
      fields({ conditions: [{ feature: 'agee', operator: '<', values: [1] }] }),
      "'young': 'agee' is not a feature of the model: fix it in YAML",
    ],
    [
      fields({ conditions: [{ feature: 'housing', operator: '=', values: ['castle'] }] }),
      "'young': 'castle' is not a value of 'housing': fix it in YAML",
    ],
    [
      fields({ conditions: [{ feature: 'age', operator: '<', values: ['x'] }] }),
      "'young': 'x' is not a value of 'age': fix it in YAML",
    ],
    [fields({ className: 'ugly' }), "'young': 'ugly' is not a class of the model: fix it in YAML"],
  ])('%j: %p', (f, why) => {
    expect(unknownIn(f, model)).toBe(why);
  });
});

describe('the form follows the cursor, and writes its changes', () => {
  const text = "- id: young\n  when:\n    age: { '<': 21 }\n  then: { class: bad }\n";
  const shown = () => fields({ priority: '' });

  test('inside an override: edit it, redrawn unless shown already', () => {
    const step = syncStep({ text, cursor: 5 }, { bound: null, mode: 'new', shown }, model);
    expect(step).toMatchObject({ step: 'edit', redraw: true, fields: shown() });
    const again = syncStep({ text, cursor: 30 }, { bound: 0, mode: 'edit', shown }, model);
    expect(again).toMatchObject({ step: 'edit', redraw: false });
  });

  test('outside: a new override (a draft stays); YAML errors lock a bound form only', () => {
    const outside = { text: `${text}\n`, cursor: text.length + 1 };
    expect(syncStep(outside, { bound: 0, mode: 'edit', shown }, model)).toEqual({ step: 'new' });
    expect(syncStep(outside, { bound: null, mode: 'new', shown }, model)).toEqual({ step: 'stay' });
    const broken = { text: '- id: [', cursor: 0 };
    expect(syncStep(broken, { bound: null, mode: 'new', shown }, model)).toEqual({ step: 'stay' });
    expect(syncStep(broken, { bound: 0, mode: 'edit', shown }, model)).toMatchObject({
      step: 'lock',
      why: 'the file has YAML errors: fix them in the editor',
    });
  });

  test('an override it cannot show, or naming what the model lacks, is locked', () => {
    const unknown = text.replace('bad', 'ugly');
    expect(
      syncStep({ text: unknown, cursor: 0 }, { bound: null, mode: 'new', shown }, model),
    ).toMatchObject({ step: 'lock', why: expect.stringMatching(/not a class/) });
  });

  test('a change rewrites the override bound, waits for a value, or locks when it moved', () => {
    const changed = formYaml(
      {
        id: 'young',
        rows: [{ feature: 'age', operator: '<', values: ['25'] }],
        className: 'bad',
        priority: '',
        reason: '',
      },
      model,
    );
    expect(rewriteStep(text, 0, changed)).toEqual({
      step: 'replace',
      from: 0,
      to: text.length,
      text: text.replace('21', '25'),
    });
    expect(rewriteStep(text, 0, { ok: false, message: 'expected a number for age' })).toEqual({
      step: 'wait',
      message: 'expected a number for age',
    });
    expect(rewriteStep('', 0, changed)).toMatchObject({ step: 'lock' });
  });
});
