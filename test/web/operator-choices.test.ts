/**
 * The override form lists each operator once: by its short alias where it has one, its
 * other names as the title; the name the YAML has is kept as written, and a name the
 * feature's type does not take is still shown when the YAML has it.
 */
import { overrideOperators, OVERRIDE_OPERATORS } from '../../src/overrides/override-operators';
import { operatorChoices } from '../../src/web/studio/override-form-state';

const { numeric, categorical } = overrideOperators();

describe('operatorChoices', () => {
  it('lists every operator once, by one name, the others as its title', () => {
    const choices = operatorChoices(numeric);
    const targets = choices.map((c) => OVERRIDE_OPERATORS[c.value]);
    expect(new Set(targets).size).toBe(choices.length);
    expect(new Set(targets)).toEqual(new Set(Object.values(OVERRIDE_OPERATORS)));
    expect(choices.find((c) => c.label === '<')).toEqual({
      value: '<',
      label: '<',
      title: 'also written lessThan',
    });
    expect(choices.map((c) => c.label)).not.toContain('lessThan');
    expect(choices.find((c) => c.label === 'between')).toEqual({
      value: 'between',
      label: 'between',
      title: '',
    });
  });

  it('keeps the name the YAML has', () => {
    const lt = operatorChoices(numeric, 'lessThan').find((c) => c.label === '<');
    expect(lt?.value).toBe('lessThan');
    expect(operatorChoices(numeric, 'notIn').find((c) => c.label === 'not in')?.value).toBe(
      'notIn',
    );
  });

  it("shows a name the feature's type does not take only when asked to keep it", () => {
    expect(operatorChoices(categorical, '<').map((c) => c.value)).not.toContain('<');
    expect(operatorChoices(categorical, '<', true).map((c) => c.value)).toContain('<');
  });
});
