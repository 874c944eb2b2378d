/**
 * The override form's state, without the DOM: what a condition row's controls hold, read as
 * YAML values (or refused, saying why) and as the fields the YAML reads back; what controls
 * a feature and operator want; whether an override found in the YAML can be shown; and what
 * the form does when the cursor moves or a field changes. `override-form.ts` and
 * `condition-row.ts` only draw this. No DOM: tested in node (test/web/).
 */
import type { Feature } from '../../data/types';
import { OVERRIDE_OPERATORS, operatorValue } from '../../overrides/override-operators';
import { overrideYaml, type ConditionYaml, type FormYaml, yamlScalar } from './override-yaml';
import {
  type FormCondition,
  type FormFields,
  type FoundOverride,
  locateOverride,
} from './yaml-to-form';

/** What the model offers the form: its features and classes. */
export interface FormModel {
  features: readonly Feature[];
  classes: readonly string[];
}

/**
 * What a condition row's controls hold: the feature and operator chosen, and the value
 * controls' texts (the levels selected, or each number field's text; a list operator's
 * numbers are one field, separated by commas).
 */
export interface RowInput {
  feature: string;
  operator: string;
  values: string[];
}

/** A result, or why there is none. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** One operator as the form lists it: the value it writes, the name shown, its other names. */
export interface OperatorChoice {
  value: string;
  label: string;
  /** The operator's other names, which YAML accepts as well ('' when it has none). */
  title: string;
}

/**
 * Each operator of `names` once, in the order first met: shown by its short alias (`<`,
 * `not in`) where it has one, else by its name, with its other names as the title. The
 * choice writes the name shown, except for the operator of `written` (what the YAML has),
 * which keeps the expert's spelling. With `keepUnknown`, a `written` name outside `names`
 * (an operator this feature's type does not take) is listed as it is, so the form shows
 * what the YAML says.
 *
 * @example
 * operatorChoices(['lessThan', '<'], 'lessThan');
 * // [{ value: 'lessThan', label: '<', title: 'also written lessThan' }]
 */
export function operatorChoices(
  names: readonly string[],
  written?: string,
  keepUnknown = false,
): OperatorChoice[] {
  const target = (name: string) =>
    Object.prototype.hasOwnProperty.call(OVERRIDE_OPERATORS, name)
      ? OVERRIDE_OPERATORS[name]!
      : name;
  const groups = new Map<string, string[]>();
  for (const name of names) {
    const group = groups.get(target(name));
    if (group) group.push(name);
    else groups.set(target(name), [name]);
  }
  const choices = [...groups].map(([operator, group]): OperatorChoice => {
    const label = group.find((n) => n !== operator) ?? group[0]!;
    const others = group.filter((n) => n !== label);
    const value = written !== undefined && group.includes(written) ? written : label;
    return { value, label, title: others.length ? `also written ${others.join(', ')}` : '' };
  });
  if (keepUnknown && written !== undefined && !names.includes(written)) {
    choices.push({ value: written, label: written, title: '' });
  }
  return choices;
}

/** The value controls a feature and operator want. */
export type ValueControls =
  | { kind: 'levels'; levels: string[]; multiple: boolean }
  | {
      kind: 'numbers';
      /** One field, or two (`low`, `high`) for `between`; a list is text, else a number. */
      fields: { label: string; type: 'text' | 'number'; placeholder: string }[];
      /** The training range (and how to write a list). */
      hint: string;
    };

/** The controls of a row's value for this feature and operator. */
export function valueControls(feature: Feature, operator: string): ValueControls {
  const takes = operatorValue(operator);
  if (feature.type === 'categorical') {
    return { kind: 'levels', levels: feature.levels, multiple: takes === 'list' };
  }
  const bounds = [feature.min, feature.max];
  const count = takes === 'bounds' ? 2 : 1;
  return {
    kind: 'numbers',
    fields: bounds.slice(0, count).map((bound, i) => ({
      label: count === 2 ? (i === 0 ? 'low' : 'high') : 'value',
      type: takes === 'list' ? 'text' : 'number',
      placeholder: String(bound),
    })),
    hint: `training range ${feature.min} – ${feature.max}${
      takes === 'list' ? '; numbers separated by commas' : ''
    }`,
  };
}

/** The texts of a row's values, a list operator's numbers split at commas. */
function valueTexts(input: RowInput, feature: Feature | undefined): string[] {
  if (feature?.type === 'categorical') return input.values;
  return operatorValue(input.operator) === 'list'
    ? (input.values[0] ?? '').split(',').map((s) => s.trim())
    : input.values.map((s) => s.trim());
}

const featureNamed = (model: FormModel, name: string): Feature | undefined =>
  model.features.find((f) => f.name === name);

/** A row as the YAML the form writes, or why it cannot be written yet. */
export function conditionYaml(input: RowInput, model: FormModel): Checked<ConditionYaml> {
  const feature = featureNamed(model, input.feature);
  if (!feature) return { ok: false, message: 'choose a feature' };
  const texts = valueTexts(input, feature);
  const { operator } = input;
  if (feature.type === 'categorical') {
    if (texts.length === 0) return { ok: false, message: `choose a level of ${feature.name}` };
    return { ok: true, value: { feature: feature.name, operator, values: texts.map(yamlScalar) } };
  }
  if (texts.some((n) => n === '' || !Number.isFinite(Number(n)))) {
    const what = operatorValue(operator) === 'bounds' ? 'two numbers' : 'a number';
    return { ok: false, message: `expected ${what} for ${feature.name}` };
  }
  return {
    ok: true,
    value: { feature: feature.name, operator, values: texts.map((n) => String(Number(n))) },
  };
}

/** A row as the YAML would read it back, to tell whether the form already shows an override. */
export function conditionShown(input: RowInput, model: FormModel): FormCondition {
  const feature = featureNamed(model, input.feature);
  return {
    feature: input.feature,
    operator: input.operator,
    values: valueTexts(input, feature).map((v) =>
      feature?.type === 'numeric' && v !== '' ? Number(v) : v,
    ),
  };
}

/**
 * The texts a condition puts in a row's value controls: the levels to select, one text of a
 * list's numbers, or each number field's text.
 */
export function controlTexts(c: FormCondition, feature: Feature): string[] {
  return feature.type === 'numeric' && operatorValue(c.operator) === 'list'
    ? [c.values.join(', ')]
    : c.values.map(String);
}

/** The form's own fields besides the rows, as its controls hold them. */
export interface FormInput {
  id: string;
  rows: RowInput[];
  className: string;
  priority: string;
  reason: string;
}

/** The form as the YAML fields it writes, or the first thing missing. */
export function formYaml(input: FormInput, model: FormModel): Checked<FormYaml> {
  const id = input.id.trim();
  if (!/^[A-Za-z0-9][\w.-]*$/.test(id)) {
    return { ok: false, message: 'give the override an id (letters, digits, . _ -)' };
  }
  const conditions: ConditionYaml[] = [];
  for (const row of input.rows) {
    const read = conditionYaml(row, model);
    if (!read.ok) return read;
    const { feature, operator } = read.value;
    // One feature's operators are keys of one YAML map: the same one twice is no YAML.
    if (conditions.some((c) => c.feature === feature && c.operator === operator)) {
      return { ok: false, message: `two conditions on ${feature} use '${operator}': change one` };
    }
    conditions.push(read.value);
  }
  const { className, priority, reason } = input;
  return { ok: true, value: { id, conditions, className, priority, reason } };
}

/** The form's fields as the YAML would read them back. */
export function formShown(input: FormInput, model: FormModel): FormFields {
  return {
    id: input.id.trim(),
    conditions: input.rows.map((r) => conditionShown(r, model)),
    className: input.className,
    priority: input.priority.trim(),
    reason: input.reason.trim(),
  };
}

/** What in an override's fields the form's lists lack (so a form edit would lose it), or ''. */
export function unknownIn(fields: FormFields, model: FormModel): string {
  const where = `'${fields.id}'`;
  for (const c of fields.conditions) {
    const f = featureNamed(model, c.feature);
    if (!f) return `${where}: '${c.feature}' is not a feature of the model: fix it in YAML`;
    const bad =
      f.type === 'categorical'
        ? c.values.find((v) => !f.levels.includes(String(v)))
        : c.values.find((v) => typeof v !== 'number');
    if (bad !== undefined) {
      return `${where}: '${bad}' is not a value of '${c.feature}': fix it in YAML`;
    }
  }
  if (!model.classes.includes(fields.className)) {
    return `${where}: '${fields.className}' is not a class of the model: fix it in YAML`;
  }
  return '';
}

/** What the form shows: a new override, one it edits, or one left to the YAML. */
export type FormMode = 'new' | 'edit' | 'locked';

/** What the form does when the cursor moves or the YAML changes. */
export type SyncStep =
  /** Nothing: a new override's draft stays, or the form waits for valid YAML. */
  | { step: 'stay' }
  /** Start a new override. */
  | { step: 'new' }
  /** Leave the override to the YAML, saying why (`found`: an override it cannot show). */
  | { step: 'lock'; why: string; found?: FoundOverride }
  /** Edit the override found; `redraw` unless the form shows its fields already. */
  | { step: 'edit'; found: FoundOverride; fields: FormFields; redraw: boolean };

/**
 * The step for the file's text with the cursor at `cursor`, the form bound to the override
 * at `bound` (null: none) in `mode`, and showing `shown`.
 */
export function syncStep(
  source: { text: string; cursor: number },
  form: { bound: number | null; mode: FormMode; shown: () => FormFields },
  model: FormModel,
): SyncStep {
  const located = locateOverride(source.text, { pos: source.cursor });
  if (located.kind === 'yaml-error') {
    return form.bound === null
      ? { step: 'stay' }
      : { step: 'lock', why: 'the file has YAML errors: fix them in the editor' };
  }
  // A new override's draft stays while the cursor moves outside the overrides.
  if (located.kind === 'none') return form.mode === 'new' ? { step: 'stay' } : { step: 'new' };
  const found = located.found;
  const why = found.fields ? unknownIn(found.fields, model) : found.why;
  if (!found.fields || why) return { step: 'lock', why, found };
  const same =
    form.bound === found.from && JSON.stringify(form.shown()) === JSON.stringify(found.fields);
  return { step: 'edit', found, fields: found.fields, redraw: !same };
}

/** What a change in the form does to the override it edits (bound at offset `bound`). */
export type RewriteStep =
  | { step: 'lock'; why: string }
  | { step: 'wait'; message: string }
  | { step: 'replace'; from: number; to: number; text: string };

/** The rewrite of the override at `bound` in `text` after a change in the form. */
export function rewriteStep(text: string, bound: number, form: Checked<FormYaml>): RewriteStep {
  const located = locateOverride(text, { pos: bound });
  if (located.kind !== 'override' || !located.found.fields) {
    return { step: 'lock', why: 'the override changed in the YAML: edit it there' };
  }
  if (!form.ok) return { step: 'wait', message: form.message };
  const { from, to, parts } = located.found;
  return { step: 'replace', from, to, text: overrideYaml({ ...form.value, parts }) };
}
