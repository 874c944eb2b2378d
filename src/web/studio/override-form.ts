/**
 * The override form, for people who do not write YAML. It offers the id, a list of
 * conditions (a feature from the schema, an operator valid for its type, a value: levels
 * from a list, numbers with the training range shown), the class, priority, reason and,
 * for a new override, the record of "Try a record" as an example.
 *
 * The form and the YAML stay in sync: when the editor's cursor is inside an override, the
 * form shows it, and every change in the form rewrites that override in the editor at once
 * (one undoable edit each, keeping its description, owner, examples and place). Outside an
 * override the form makes a new one, which "Add to file" appends. An override the form
 * cannot show (`all`/`any`/`not`, anchors, comments) is left to the YAML, with a note.
 */
import type { FeatureInfo, StudioRecord } from './api';
import { bdi, isolatedText, isolator } from './bidi';
import { fill, h } from './dom';
import { yamlScalar } from './editor';
import { type FormCondition, type FormFields, type KeyPart, locateOverride } from './yaml-to-form';

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
  /** Replaces a range of the file shown, as one undoable edit that keeps the cursor. */
  replaceRange(from: number, to: number, text: string): void;
}

/** The form, as the page drives it. */
export interface OverrideForm {
  /** Shows the override at the editor's cursor (after a cursor move or an edit in YAML). */
  sync(): void;
}

/** A reason as YAML: plain when YAML reads it back as the same text, JSON-quoted otherwise. */
function reasonYaml(text: string): string {
  const plain =
    /^[A-Za-z][\w .,()/-]*$/.test(text) &&
    /[\w.)]$/.test(text) &&
    !/^(?:y|n|yes|no|on|off|true|false|null)$/i.test(text);
  return plain ? text : JSON.stringify(text);
}

/** A condition's value as YAML. */
function valueText(c: { operator: string; values: string[] }): string {
  return LIST_OPERATORS.has(c.operator) || c.operator === 'between' || c.values.length > 1
    ? `[${c.values.join(', ')}]`
    : (c.values[0] ?? '');
}

/** The `when:` lines: one line per feature, its operators in row order. */
function whenLines(conditions: readonly { feature: string; operator: string; values: string[] }[]) {
  const byFeature = new Map<string, string[]>();
  for (const c of conditions) {
    const ops = byFeature.get(c.feature) ?? [];
    ops.push(`${yamlScalar(c.operator)}: ${valueText(c)}`);
    byFeature.set(c.feature, ops);
  }
  return ['  when:', ...[...byFeature].map(([f, ops]) => `    ${f}: { ${ops.join(', ')} }`)];
}

/** What the form writes, values already as YAML text. */
interface FormYaml {
  id: string;
  conditions: { feature: string; operator: string; values: string[] }[];
  className: string;
  priority: string;
  reason: string;
}

/** The lines of one key the form writes, or none when it is empty. */
function keyLines(key: string, o: FormYaml): string[] {
  switch (key) {
    case 'id':
      return [`  id: ${yamlScalar(o.id)}`];
    case 'when':
      return whenLines(o.conditions);
    case 'then':
      return [`  then: { class: ${yamlScalar(o.className)} }`];
    case 'priority':
      return o.priority.trim() === '' ? [] : [`  priority: ${o.priority.trim()}`];
    case 'reason':
      return o.reason.trim() === '' ? [] : [`  reason: ${reasonYaml(o.reason.trim())}`];
    default:
      return [];
  }
}

const FORM_ORDER = ['id', 'when', 'then', 'priority', 'reason'];

/**
 * One override as YAML text, the shape docs/overrides.md shows. With `parts` (an override
 * being edited), its keys keep their order and the other keys their text.
 */
export function overrideYaml(
  o: FormYaml & { example?: StudioRecord | null; parts?: readonly KeyPart[] },
): string {
  const parts: KeyPart[] = o.parts ? [...o.parts] : FORM_ORDER.map((form) => ({ form }));
  const present = new Set(parts.flatMap((p) => ('form' in p ? [p.form] : [])));
  const missing = FORM_ORDER.filter((k) => !present.has(k));
  let lastForm = -1;
  parts.forEach((p, i) => {
    if ('form' in p) lastForm = i;
  });
  parts.splice(lastForm + 1, 0, ...missing.map((form) => ({ form })));
  const lines: string[] = [];
  for (const part of parts) {
    if ('form' in part) lines.push(...keyLines(part.form, o));
    else lines.push(`  ${part.kept}`);
  }
  if (o.example) {
    lines.push('  examples:', `    - input: ${JSON.stringify(o.example)}`);
    lines.push(`      expect: ${yamlScalar(o.className)}`);
  }
  lines[0] = `- ${lines[0]!.slice(2)}`;
  return lines.join('\n') + '\n';
}

function labelled(text: string, control: HTMLElement, hint?: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, text), control, hint);
}

/** One condition row: feature, operator, value, remove. */
interface Row {
  element: HTMLElement;
  remove: HTMLButtonElement;
  read(): { ok: true; value: FormYaml['conditions'][number] } | { ok: false; message: string };
  write(c: FormCondition): void;
  /** The row as the YAML reads it back, to tell whether the form already shows an override. */
  shown(): FormCondition;
}

/** Builds the form into `root`. */
export function mountOverrideForm(root: HTMLElement, host: OverrideFormHost): OverrideForm {
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
  const rows: Row[] = [];
  /** The override shown: the offset of its item, or null for a new override. */
  let bound: number | null = null;
  /** Set while the form writes to the editor, so its own edit is not read back. */
  let writing = false;
  /** What the form shows: a new override, one it edits, or one left to the YAML. */
  let kind: 'new' | 'edit' | 'locked' = 'new';

  function makeRow(): Row {
    const feature = h(
      'select',
      { 'aria-label': 'feature', class: 'feature' },
      ...host.features.map((f) =>
        h('option', { value: f.name }, `${isolatedText(f.name)} (${f.type})`),
      ),
    );
    const operator = h('select', { 'aria-label': 'operator', class: 'operator' });
    const valueBox = h('span', { class: 'value-box' });
    const range = h('small', { class: 'hint' });
    const remove = h('button', { type: 'button', class: 'remove-condition', title: 'remove' }, '×');
    const selected = (): FeatureInfo | undefined =>
      host.features.find((f) => f.name === feature.value);
    const controls = () => [
      ...valueBox.querySelectorAll<HTMLInputElement | HTMLSelectElement>('.value'),
    ];

    function renderValue(): void {
      const f = selected();
      if (!f) return;
      const op = operator.value;
      valueBox.replaceChildren();
      range.textContent = '';
      if (f.type === 'categorical') {
        valueBox.append(
          h(
            'select',
            { multiple: LIST_OPERATORS.has(op), 'aria-label': 'value', class: 'value' },
            ...(f.levels ?? []).map((l) => h('option', { value: l }, isolatedText(l))),
          ),
        );
        return;
      }
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

    function renderOperators(keep?: string): void {
      const f = selected();
      if (!f) return;
      const previous = keep ?? operator.value;
      const ops = host.operators[f.type];
      operator.replaceChildren(...ops.map((op) => h('option', { value: op }, op)));
      // An alias (`'<'`, `'not in'`) is kept as the expert wrote it.
      if (keep !== undefined && !ops.includes(keep)) {
        operator.append(h('option', { value: keep }, keep));
      }
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
    const row: Row = {
      element,
      remove,
      read() {
        const f = selected();
        if (!f) return { ok: false, message: 'choose a feature' };
        const op = operator.value;
        const found = controls();
        if (f.type === 'categorical') {
          const select = found[0] as HTMLSelectElement;
          const levels = [...select.selectedOptions].map((o) => yamlScalar(o.value));
          if (levels.length === 0) return { ok: false, message: `choose a level of ${f.name}` };
          return { ok: true, value: { feature: f.name, operator: op, values: levels } };
        }
        const raw = found.map((c) => c.value.trim());
        const numbers = LIST_OPERATORS.has(op)
          ? (raw[0] ?? '').split(',').map((s) => s.trim())
          : raw;
        if (numbers.some((n) => n === '' || !Number.isFinite(Number(n)))) {
          const what = op === 'between' ? 'two numbers' : 'a number';
          return { ok: false, message: `expected ${what} for ${f.name}` };
        }
        return {
          ok: true,
          value: { feature: f.name, operator: op, values: numbers.map((n) => String(Number(n))) },
        };
      },
      write(c) {
        feature.value = c.feature;
        renderOperators(c.operator);
        operator.value = c.operator;
        renderValue();
        const found = controls();
        const first = found[0];
        if (first instanceof HTMLSelectElement) {
          for (const option of first.options) {
            option.selected = c.values.map(String).includes(option.value);
          }
        } else if (LIST_OPERATORS.has(c.operator) && first) {
          first.value = c.values.join(', ');
        } else {
          found.forEach((el, i) => (el.value = String(c.values[i] ?? '')));
        }
      },
      shown() {
        const found = controls();
        const first = found[0];
        const values =
          first instanceof HTMLSelectElement
            ? [...first.selectedOptions].map((o) => o.value)
            : LIST_OPERATORS.has(operator.value)
              ? (first?.value ?? '').split(',').map((s) => s.trim())
              : found.map((el) => el.value.trim());
        const f = selected();
        return {
          feature: feature.value,
          operator: operator.value,
          values: values.map((v) => (f?.type === 'numeric' && v !== '' ? Number(v) : v)),
        };
      },
    };
    remove.addEventListener('click', () => {
      if (rows.length <= 1) return;
      rows.splice(rows.indexOf(row), 1);
      element.remove();
      updateRemove();
      changed();
    });
    renderOperators();
    return row;
  }

  function updateRemove(): void {
    for (const row of rows) row.remove.disabled = rows.length <= 1;
  }

  function setRows(conditions: readonly FormCondition[]): void {
    rows.length = 0;
    rowsBox.replaceChildren();
    for (const c of conditions.length ? conditions : [null]) {
      const row = makeRow();
      if (c) row.write(c);
      rows.push(row);
      rowsBox.append(row.element);
    }
    updateRemove();
  }

  /** The form as YAML fields, or null after saying what is missing. */
  function read(): FormYaml | null {
    if (!/^[A-Za-z0-9][\w.-]*$/.test(id.value.trim())) {
      message.textContent = 'give the override an id (letters, digits, . _ -)';
      return null;
    }
    const conditions: FormYaml['conditions'] = [];
    for (const row of rows) {
      const r = row.read();
      if (!r.ok) {
        fill(message, ...isolator.nodes(r.message));
        return null;
      }
      conditions.push(r.value);
    }
    return {
      id: id.value.trim(),
      conditions,
      className: className.value,
      priority: priority.value,
      reason: reason.value,
    };
  }

  /** The form's fields as the YAML would read them back. */
  function shown(): FormFields {
    return {
      id: id.value.trim(),
      conditions: rows.map((r) => r.shown()),
      className: className.value,
      priority: priority.value.trim(),
      reason: reason.value.trim(),
    };
  }

  function show(fields: FormFields): void {
    id.value = fields.id;
    setRows(fields.conditions);
    className.value = fields.className;
    priority.value = fields.priority;
    reason.value = fields.reason;
  }

  function setMode(next: 'new' | 'edit' | 'locked', text: string, why = ''): void {
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
    const located = locateOverride(host.source().text, { pos: bound });
    if (located.kind !== 'override' || !located.found.fields) {
      setMode('locked', '', 'the override changed in the YAML: edit it there');
      return;
    }
    const fields = read();
    if (!fields) return;
    const found = located.found;
    const text = overrideYaml({ ...fields, parts: found.parts });
    writing = true;
    try {
      host.replaceRange(found.from, found.to, text);
    } finally {
      writing = false;
    }
  }

  /** What in these fields the form's lists lack (so a form edit would lose it), or ''. */
  function unknownIn(fields: FormFields): string {
    const where = `'${fields.id}'`;
    for (const c of fields.conditions) {
      const f = host.features.find((x) => x.name === c.feature);
      if (!f) return `${where}: '${c.feature}' is not a feature of the model: fix it in YAML`;
      const bad =
        f.type === 'categorical'
          ? c.values.find((v) => !(f.levels ?? []).includes(String(v)))
          : c.values.find((v) => typeof v !== 'number');
      if (bad !== undefined) {
        return `${where}: '${bad}' is not a value of '${c.feature}': fix it in YAML`;
      }
    }
    if (!host.classes.includes(fields.className)) {
      return `${where}: '${fields.className}' is not a class of the model: fix it in YAML`;
    }
    return '';
  }

  function sync(): void {
    if (writing) return;
    const { text, cursor } = host.source();
    const located = locateOverride(text, { pos: cursor });
    if (located.kind === 'yaml-error') {
      if (bound !== null) setMode('locked', '', 'the file has YAML errors: fix them in the editor');
      return;
    }
    if (located.kind === 'none') {
      // A new override's draft stays while the cursor moves outside the overrides.
      if (kind !== 'new') startNew();
      return;
    }
    const found = located.found;
    isolator.add([found.id]);
    const why = found.fields ? unknownIn(found.fields) : found.why;
    if (!found.fields || why) {
      bound = null;
      setMode('locked', `'${found.id}'`, why);
      return;
    }
    const same = bound === found.from && JSON.stringify(shown()) === JSON.stringify(found.fields);
    bound = found.from;
    if (!same) show(found.fields);
    message.textContent = '';
    setMode(
      'edit',
      `Editing '${found.id}': changes here are written to the YAML as you make them.`,
    );
  }

  addRow.addEventListener('click', () => {
    const row = makeRow();
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
    const fields = read();
    if (!fields) return;
    const example = withExample.checked ? host.currentRecord() : null;
    if (withExample.checked && !example) {
      message.textContent = 'no record in "Try a record" yet';
      return;
    }
    host.append(overrideYaml({ ...fields, example }));
    fill(message, 'added ', bdi(fields.id));
  });
  root.replaceChildren(form);
  startNew();
  return { sync };
}
