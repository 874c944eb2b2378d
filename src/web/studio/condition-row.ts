/**
 * One condition row of the override form: a feature from the schema, an operator valid for
 * its type, and its value (levels from a list, numbers with the training range shown).
 * What the controls want and how they read is `override-form-state.ts`; this draws it.
 */
import type { Feature } from '../../data/types';
import type { StudioOperators } from '../../studio/contract';
import { isolatedText } from './bidi';
import { h } from './dom';
import { type RowInput, controlTexts, operatorChoices, valueControls } from './override-form-state';
import type { FormCondition } from './yaml-to-form';

/** A label around a control, with an optional hint after it. */
export function labelled(text: string, control: HTMLElement, hint?: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, text), control, hint);
}

/** A condition row, as the form drives it. */
export interface ConditionRow {
  element: HTMLElement;
  /** The × button (disabled while the row is the form's only one). */
  remove: HTMLButtonElement;
  /** What the controls hold. */
  input(): RowInput;
  /** Shows a condition (its operator named as the expert wrote it, even one the lists lack). */
  write(c: FormCondition): void;
}

/** Makes a row; `onRemove` runs when its × is clicked. */
export function makeConditionRow(
  features: readonly Feature[],
  operators: StudioOperators,
  onRemove: (row: ConditionRow) => void,
): ConditionRow {
  const feature = h(
    'select',
    { 'aria-label': 'feature', class: 'feature' },
    ...features.map((f) => h('option', { value: f.name }, `${isolatedText(f.name)} (${f.type})`)),
  );
  const operator = h('select', { 'aria-label': 'operator', class: 'operator' });
  const valueBox = h('span', { class: 'value-box' });
  const range = h('small', { class: 'hint' });
  const remove = h('button', { type: 'button', class: 'remove-condition', title: 'remove' }, '×');
  const selected = (): Feature | undefined => features.find((f) => f.name === feature.value);
  const controls = () => [
    ...valueBox.querySelectorAll<HTMLInputElement | HTMLSelectElement>('.value'),
  ];

  function renderValue(): void {
    const f = selected();
    if (!f) return;
    const want = valueControls(f, operator.value);
    if (want.kind === 'levels') {
      range.textContent = '';
      valueBox.replaceChildren(
        h(
          'select',
          { multiple: want.multiple, 'aria-label': 'value', class: 'value' },
          ...want.levels.map((l) => h('option', { value: l }, isolatedText(l))),
        ),
      );
      return;
    }
    range.textContent = want.hint;
    valueBox.replaceChildren(
      ...want.fields.map((field) =>
        h('input', {
          type: field.type,
          'aria-label': field.label,
          class: 'value',
          step: 'any',
          placeholder: field.placeholder,
        }),
      ),
    );
  }

  function renderOperators(keep?: string): void {
    const f = selected();
    if (!f) return;
    const previous = keep ?? operator.value;
    // Each operator once; the name the expert wrote (`lessThan` or `<`) is kept as written.
    operator.replaceChildren(
      ...operatorChoices(operators[f.type], previous, keep !== undefined).map((c) =>
        h('option', { value: c.value, title: c.title || undefined }, c.label),
      ),
    );
    if ([...operator.options].some((o) => o.value === previous)) operator.value = previous;
    renderValue();
  }

  // On `input`, which reaches these before the form's own listener rewrites the YAML.
  feature.addEventListener('input', () => renderOperators());
  operator.addEventListener('input', () => renderValue());
  const element = h(
    'div',
    { class: 'condition', 'data-test': 'condition' },
    labelled('feature', feature),
    labelled('operator', operator),
    labelled('value', valueBox, range),
    remove,
  );
  const row: ConditionRow = {
    element,
    remove,
    input() {
      const found = controls();
      const first = found[0];
      return {
        feature: feature.value,
        operator: operator.value,
        values:
          first instanceof HTMLSelectElement
            ? [...first.selectedOptions].map((o) => o.value)
            : found.map((el) => el.value),
      };
    },
    write(c) {
      feature.value = c.feature;
      renderOperators(c.operator);
      operator.value = c.operator;
      renderValue();
      const f = selected();
      if (!f) return;
      const texts = controlTexts(c, f);
      const found = controls();
      const first = found[0];
      if (first instanceof HTMLSelectElement) {
        for (const option of first.options) option.selected = texts.includes(option.value);
      } else found.forEach((el, i) => (el.value = texts[i] ?? ''));
    },
  };
  remove.addEventListener('click', () => onRemove(row));
  renderOperators();
  return row;
}
