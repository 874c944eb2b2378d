/**
 * "Add an override": a form for people who do not write YAML. It offers a feature from the
 * schema, an operator valid for its type, a value (levels from a list; numbers with the
 * training range shown), the class, priority, reason and, optionally, the record of "Try a
 * record" as an example; "Add" appends the override as YAML to the file shown. "Load the
 * override at the cursor" reads one back from the YAML, and "Replace it" writes the form
 * over it (keeping its description, owner and examples), so the two stay in step.
 */
import type { FeatureInfo, StudioRecord } from './api';
import { yamlScalar } from './editor';
import { h } from './dom';
import { findOverride, type FormFields } from './yaml-to-form';

const LIST_OPERATORS = new Set(['in', 'notIn', 'not in']);

/** What the form needs from the page. */
export interface OverrideFormHost {
  features: FeatureInfo[];
  classes: string[];
  operators: { numeric: string[]; categorical: string[] };
  /** The record in "Try a record", if any. */
  currentRecord(): StudioRecord | null;
  /** Appends YAML to the file shown. */
  append(yamlText: string): void;
  /** The text of the file shown and the cursor's offset in it. */
  source(): { text: string; cursor: number };
  /** Replaces a range of the file shown, as one undoable edit. */
  replaceRange(from: number, to: number, text: string): void;
}

/** One override as YAML text, the shape docs/overrides.md shows. */
export function overrideYaml(o: {
  id: string;
  feature: string;
  operator: string;
  value: string;
  className: string;
  priority: string;
  reason: string;
  example: StudioRecord | null;
  /** Text of other keys to keep (description, owner, examples), each starting at its key. */
  kept?: string[];
}): string {
  const lines = [
    `- id: ${yamlScalar(o.id)}`,
    '  when:',
    `    ${o.feature}: { ${yamlScalar(o.operator)}: ${o.value} }`,
    `  then: { class: ${yamlScalar(o.className)} }`,
  ];
  if (o.priority.trim() !== '') lines.push(`  priority: ${o.priority.trim()}`);
  const reason = o.reason.trim();
  // Plain when YAML reads it back as the same text; JSON quoting (valid YAML) otherwise.
  const plain =
    /^[A-Za-z][\w .,()/-]*$/.test(reason) &&
    /[\w.)]$/.test(reason) &&
    !/^(?:y|n|yes|no|on|off|true|false|null)$/i.test(reason);
  if (reason !== '') lines.push(`  reason: ${plain ? reason : JSON.stringify(reason)}`);
  for (const text of o.kept ?? []) lines.push(`  ${text}`);
  if (o.example) {
    lines.push('  examples:', `    - input: ${JSON.stringify(o.example)}`);
    lines.push(`      expect: ${yamlScalar(o.className)}`);
  }
  return lines.join('\n') + '\n';
}

function labelled(text: string, control: HTMLElement, hint?: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, text), control, hint);
}

/** Builds the form into `root`. */
export function mountOverrideForm(root: HTMLElement, host: OverrideFormHost): void {
  const id = h('input', { type: 'text', required: true, placeholder: 'young-applicants' });
  const feature = h(
    'select',
    {},
    ...host.features.map((f) => h('option', { value: f.name }, `${f.name} (${f.type})`)),
  );
  const operator = h('select');
  const valueBox = h('span', { class: 'value-box' });
  const range = h('small', { class: 'hint' });
  const className = h('select', {}, ...host.classes.map((c) => h('option', { value: c }, c)));
  const priority = h('input', { type: 'number', min: 2, step: 1, value: 100 });
  const reason = h('input', { type: 'text' });
  const withExample = h('input', { type: 'checkbox' });
  const message = h('p', { class: 'form-message', role: 'status' });
  const add = h('button', { type: 'submit' }, 'Add to file');
  const load = h('button', { type: 'button' }, 'Load the override at the cursor');
  const replace = h('button', { type: 'button', disabled: true }, 'Replace it in the file');
  /** The id of the override loaded into the form, which "Replace" writes over. */
  let loadedId: string | null = null;

  const selected = (): FeatureInfo | undefined =>
    host.features.find((f) => f.name === feature.value);

  function renderValue(): void {
    const f = selected();
    if (!f) return;
    const op = operator.value;
    valueBox.replaceChildren();
    range.textContent = '';
    if (f.type === 'categorical') {
      const list = h(
        'select',
        { multiple: LIST_OPERATORS.has(op), 'aria-label': 'value', class: 'value' },
        ...(f.levels ?? []).map((l) => h('option', { value: l }, l)),
      );
      valueBox.append(list);
    } else {
      const count = op === 'between' ? 2 : 1;
      for (let i = 0; i < count; i++) {
        const attrs: Record<string, string | number> = {
          type: LIST_OPERATORS.has(op) ? 'text' : 'number',
          'aria-label': count === 2 ? (i === 0 ? 'low' : 'high') : 'value',
          class: 'value',
          step: 'any',
        };
        if (f.min !== undefined) attrs.placeholder = String(i === 0 ? f.min : f.max);
        valueBox.append(h('input', attrs));
      }
      if (f.min !== undefined && f.max !== undefined) {
        range.textContent = `training range ${f.min} – ${f.max}${
          LIST_OPERATORS.has(op) ? '; numbers separated by commas' : ''
        }`;
      }
    }
  }

  function renderOperators(): void {
    const f = selected();
    if (!f) return;
    const previous = operator.value;
    operator.replaceChildren(...host.operators[f.type].map((op) => h('option', { value: op }, op)));
    if (host.operators[f.type].includes(previous)) operator.value = previous;
    renderValue();
  }

  /** The value as YAML, or an error message. */
  function valueYaml(): { ok: true; text: string } | { ok: false; message: string } {
    const f = selected()!;
    const op = operator.value;
    const controls = [...valueBox.querySelectorAll<HTMLInputElement | HTMLSelectElement>('.value')];
    if (f.type === 'categorical') {
      const select = controls[0] as HTMLSelectElement;
      const levels = [...select.selectedOptions].map((o) => yamlScalar(o.value));
      if (levels.length === 0) return { ok: false, message: 'choose a level' };
      return { ok: true, text: LIST_OPERATORS.has(op) ? `[${levels.join(', ')}]` : levels[0]! };
    }
    const raw = controls.map((c) => c.value.trim());
    const numbers = LIST_OPERATORS.has(op) ? (raw[0] ?? '').split(',').map((s) => s.trim()) : raw;
    if (numbers.some((n) => n === '' || !Number.isFinite(Number(n)))) {
      return { ok: false, message: `expected ${op === 'between' ? 'two numbers' : 'a number'}` };
    }
    const list = numbers.map((n) => String(Number(n)));
    return {
      ok: true,
      text: LIST_OPERATORS.has(op) || op === 'between' ? `[${list.join(', ')}]` : list[0]!,
    };
  }

  /** Puts an override's fields into the form. */
  function show(fields: FormFields): void {
    id.value = fields.id;
    feature.value = fields.feature;
    renderOperators();
    // An alias (`'<'`, `'not in'`) is kept as the expert wrote it.
    if (![...operator.options].some((o) => o.value === fields.operator)) {
      operator.append(h('option', { value: fields.operator }, fields.operator));
    }
    operator.value = fields.operator;
    renderValue();
    const controls = [...valueBox.querySelectorAll<HTMLInputElement | HTMLSelectElement>('.value')];
    const first = controls[0];
    if (first instanceof HTMLSelectElement) {
      for (const option of first.options) {
        option.selected = fields.values.map(String).includes(option.value);
      }
    } else if (LIST_OPERATORS.has(fields.operator) && first) {
      first.value = fields.values.join(', ');
    } else {
      controls.forEach((c, i) => (c.value = String(fields.values[i] ?? '')));
    }
    className.value = fields.className;
    priority.value = fields.priority;
    reason.value = fields.reason;
  }

  /** The form as YAML, or null after saying what is missing. */
  function formYaml(kept: string[] = []): string | null {
    if (!/^[A-Za-z0-9][\w.-]*$/.test(id.value.trim())) {
      message.textContent = 'give the override an id (letters, digits, . _ -)';
      return null;
    }
    const value = valueYaml();
    if (!value.ok) {
      message.textContent = value.message;
      return null;
    }
    const example = withExample.checked ? host.currentRecord() : null;
    if (withExample.checked && !example) {
      message.textContent = 'no record in "Try a record" yet';
      return null;
    }
    return overrideYaml({
      id: id.value.trim(),
      feature: feature.value,
      operator: operator.value,
      value: value.text,
      className: className.value,
      priority: priority.value,
      reason: reason.value,
      example,
      kept,
    });
  }

  load.addEventListener('click', () => {
    const { text, cursor } = host.source();
    const found = findOverride(text, { pos: cursor });
    loadedId = null;
    replace.disabled = true;
    if (!found) {
      message.textContent = 'put the cursor inside an override of a file without YAML errors';
      return;
    }
    if (!found.fields) {
      message.textContent = found.why;
      return;
    }
    show(found.fields);
    loadedId = found.id;
    replace.disabled = false;
    message.textContent = `loaded '${found.id}'; "Replace" writes the form over it`;
  });

  replace.addEventListener('click', () => {
    message.textContent = '';
    if (loadedId === null) return;
    const found = findOverride(host.source().text, { id: loadedId });
    if (!found) {
      message.textContent = `'${loadedId}' is no longer in this file (or the file has YAML errors)`;
      return;
    }
    const text = formYaml(found.kept);
    if (text === null) return;
    host.replaceRange(found.from, found.to, text);
    message.textContent = `replaced '${loadedId}'`;
    loadedId = id.value.trim();
  });

  feature.addEventListener('change', renderOperators);
  operator.addEventListener('change', renderValue);

  const form = h(
    'form',
    { class: 'override-form', 'aria-label': 'add an override', novalidate: true },
    labelled('id', id),
    labelled('feature', feature),
    labelled('operator', operator),
    labelled('value', valueBox, range),
    labelled('class', className),
    labelled('priority', priority),
    labelled('reason', reason),
    h(
      'label',
      { class: 'field inline' },
      withExample,
      h('span', {}, 'add the record of "Try a record" as an example'),
    ),
    h('div', { class: 'form-buttons' }, add, load, replace),
    message,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    message.textContent = '';
    const text = formYaml();
    if (text === null) return;
    host.append(text);
    message.textContent = `added '${id.value.trim()}'`;
  });
  root.replaceChildren(form);
  renderOperators();
}
