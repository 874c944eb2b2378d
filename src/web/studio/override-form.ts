/**
 * The override form, for people who do not write YAML. It offers the id, a list of
 * conditions (`condition-row.ts`), the class, priority, reason and, for a new override, the
 * record of "Try a record" as an example.
 *
 * The form and the YAML stay in sync: when the editor's cursor is inside an override, the
 * form shows it, and every change in the form rewrites that override in the editor at once
 * (one undoable edit each, keeping its description, owner, examples and place). Outside an
 * override the form makes a new one, which "Add to file" appends. An override the form
 * cannot show (`all`/`any`/`not`, anchors, comments) is left to the YAML, with a note.
 * What the form reads, writes and does on each change is `override-form-state.ts`.
 */
import type { DataRecord, Feature } from '../../data/types';
import type { StudioOperators } from '../../studio/contract';
import { bdi, isolatedText, isolator } from './bidi';
import { type ConditionRow, labelled, makeConditionRow } from './condition-row';
import { fill, h } from './dom';
import {
  type FormInput,
  type FormMode,
  formShown,
  formYaml,
  rewriteStep,
  syncStep,
} from './override-form-state';
import { overrideYaml } from './override-yaml';
import type { FormCondition, FormFields } from './yaml-to-form';

/** What the form needs from the page. */
export interface OverrideFormHost {
  features: Feature[];
  classes: string[];
  operators: StudioOperators;
  /** The record in "Try a record", if any. */
  currentRecord(): DataRecord | null;
  /** Appends YAML to the file shown. */
  append(yamlText: string): void;
  /** The text of the file shown and the cursor's offset in it. */
  source(): { text: string; cursor: number };
  /** Replaces a range of the file shown, as one undoable edit that keeps the cursor. */
  replaceRange(from: number, to: number, text: string): void;
}

/** The form, as the page drives it. */
export interface OverrideForm {
  /** Shows the override at the editor's cursor (after a cursor move or an edit in YAML). */
  sync(): void;
}

/** Builds the form into `root`. */
export function mountOverrideForm(root: HTMLElement, host: OverrideFormHost): OverrideForm {
  const model = { features: host.features, classes: host.classes };
  const id = h('input', { type: 'text', required: true, placeholder: 'young-applicants' });
  const rowsBox = h('div', { class: 'conditions', 'data-test': 'conditions' });
  const addRow = h('button', { type: 'button', class: 'add-condition' }, '+ condition');
  const className = h(
    'select',
    {},
    ...host.classes.map((c) => h('option', { value: c }, isolatedText(c))),
  );
  const priority = h('input', { type: 'number', min: 2, step: 1, value: 100 });
  const reason = h('input', { type: 'text' });
  const withExample = h('input', { type: 'checkbox' });
  const exampleField = h(
    'label',
    { class: 'field inline' },
    withExample,
    h('span', {}, 'add the record of "Try a record" as an example'),
  );
  const mode = h('p', { class: 'form-mode', 'data-test': 'form-mode' });
  const note = h('p', { class: 'form-note', role: 'status', hidden: true });
  const message = h('p', { class: 'form-message', role: 'status' });
  const add = h('button', { type: 'submit' }, 'Add to file');
  const fresh = h('button', { type: 'button', hidden: true }, 'Start a new override instead');
  const rows: ConditionRow[] = [];
  /** The override shown: the offset of its item, or null for a new override. */
  let bound: number | null = null;
  /** Set while the form writes to the editor, so its own edit is not read back. */
  let writing = false;
  let kind: FormMode = 'new';

  const input = (): FormInput => ({
    id: id.value,
    rows: rows.map((r) => r.input()),
    className: className.value,
    priority: priority.value,
    reason: reason.value,
  });

  function newRow(): ConditionRow {
    return makeConditionRow(host.features, host.operators, (row) => {
      if (rows.length <= 1) return;
      rows.splice(rows.indexOf(row), 1);
      row.element.remove();
      updateRemove();
      changed();
    });
  }

  function updateRemove(): void {
    for (const row of rows) row.remove.disabled = rows.length <= 1;
  }

  function setRows(conditions: readonly FormCondition[]): void {
    rows.length = 0;
    rowsBox.replaceChildren();
    for (const c of conditions.length ? conditions : [null]) {
      const row = newRow();
      if (c) row.write(c);
      rows.push(row);
      rowsBox.append(row.element);
    }
    updateRemove();
  }

  function show(fields: FormFields): void {
    id.value = fields.id;
    setRows(fields.conditions);
    className.value = fields.className;
    priority.value = fields.priority;
    reason.value = fields.reason;
  }

  function setMode(next: FormMode, text: string, why = ''): void {
    kind = next;
    fieldset.disabled = next === 'locked';
    add.hidden = next !== 'new';
    fresh.hidden = next === 'new';
    exampleField.hidden = next !== 'new';
    note.hidden = why === '';
    fill(note, ...isolator.nodes(why));
    fill(mode, ...isolator.nodes(text));
  }

  function startNew(): void {
    bound = null;
    id.value = '';
    setRows([]);
    priority.value = '100';
    reason.value = '';
    message.textContent = '';
    setMode('new', 'A new override: "Add to file" appends it to the file shown.');
  }

  /** After every change in the form: rewrites the override shown, if one is. */
  function changed(): void {
    if (bound === null) return;
    message.textContent = '';
    const step = rewriteStep(host.source().text, bound, formYaml(input(), model));
    if (step.step === 'lock') setMode('locked', '', step.why);
    else if (step.step === 'wait') fill(message, ...isolator.nodes(step.message));
    else {
      writing = true;
      try {
        host.replaceRange(step.from, step.to, step.text);
      } finally {
        writing = false;
      }
    }
  }

  function sync(): void {
    if (writing) return;
    const step = syncStep(
      host.source(),
      { bound, mode: kind, shown: () => formShown(input(), model) },
      model,
    );
    switch (step.step) {
      case 'stay':
        return;
      case 'new':
        return startNew();
      case 'lock':
        if (!step.found) return setMode('locked', '', step.why);
        isolator.add([step.found.id]);
        bound = null;
        return setMode('locked', `'${step.found.id}'`, step.why);
      case 'edit':
        isolator.add([step.found.id]);
        bound = step.found.from;
        if (step.redraw) show(step.fields);
        message.textContent = '';
        return setMode(
          'edit',
          `Editing '${step.found.id}': changes here are written to the YAML as you make them.`,
        );
    }
  }

  addRow.addEventListener('click', () => {
    const row = newRow();
    rows.push(row);
    rowsBox.append(row.element);
    updateRemove();
    changed();
  });
  fresh.addEventListener('click', startNew);

  const fieldset = h(
    'fieldset',
    { class: 'override-fields' },
    labelled('id', id),
    h('div', { class: 'conditions-field' }, h('span', {}, 'when all of'), rowsBox, addRow),
    labelled('class', className),
    labelled('priority', priority),
    labelled('reason', reason),
    exampleField,
  );
  const form = h(
    'form',
    {
      class: 'override-form',
      'aria-label': 'override',
      'data-test': 'override-form',
      novalidate: true,
    },
    mode,
    note,
    fieldset,
    h('div', { class: 'form-buttons' }, add, fresh),
    message,
  );
  // Every edit of a field (typing, choosing) rewrites the override shown.
  fieldset.addEventListener('input', (event) => {
    if (event.target !== withExample) changed();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (bound !== null) return;
    message.textContent = '';
    const fields = formYaml(input(), model);
    if (!fields.ok) {
      fill(message, ...isolator.nodes(fields.message));
      return;
    }
    const example = withExample.checked ? host.currentRecord() : null;
    if (withExample.checked && !example) {
      message.textContent = 'no record in "Try a record" yet';
      return;
    }
    host.append(overrideYaml({ ...fields.value, example }));
    fill(message, 'added ', bdi(fields.value.id));
  });
  root.replaceChildren(form);
  startNew();
  return { sync };
}
