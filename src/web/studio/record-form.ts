/** "Try a record": a form with one field per feature of the schema. */
import type { DataRecord, Feature } from '../../data/types';
import { isolatedText } from './bidi';
import { h } from './dom';

/** The record form: read it, set it, and hear about edits. */
export interface RecordForm {
  /** The record, or null while a number field is empty or not a number. */
  read(): DataRecord | null;
  write(record: DataRecord): void;
}

/** Builds the form into `root`; `onInput` runs after every edit. */
export function mountRecordForm(
  root: HTMLElement,
  features: readonly Feature[],
  onInput: () => void,
): RecordForm {
  const controls = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const fields = features.map((f) => {
    let control: HTMLInputElement | HTMLSelectElement;
    if (f.type === 'categorical') {
      control = h('select', {}, ...f.levels.map((l) => h('option', { value: l }, isolatedText(l))));
    } else {
      control = h('input', { type: 'number', step: 'any', required: true, min: f.min, max: f.max });
    }
    control.name = f.name;
    control.addEventListener('input', onInput);
    control.addEventListener('change', onInput);
    controls.set(f.name, control);
    const hint = f.type === 'numeric' ? h('small', { class: 'hint' }, `${f.min} – ${f.max}`) : null;
    return h('label', { class: 'field' }, h('span', {}, f.name), control, hint);
  });
  root.replaceChildren(...fields);
  return {
    read() {
      const record: DataRecord = {};
      for (const f of features) {
        const value = controls.get(f.name)!.value;
        if (f.type === 'numeric') {
          if (value.trim() === '' || !Number.isFinite(Number(value))) return null;
          record[f.name] = Number(value);
        } else record[f.name] = value;
      }
      return record;
    },
    write(record) {
      for (const [name, control] of controls) {
        const value = record[name];
        if (value !== undefined) control.value = value === null ? '' : String(value);
      }
    },
  };
}
