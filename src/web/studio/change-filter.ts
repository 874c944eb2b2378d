/**
 * Which changed records the impact panel shows: by whether the change is right, by class
 * (old or new), and by text found in the fields the deciding override reads (their names
 * and values), the label, the classes or the override's id. No DOM: tested in node.
 */
import type { ChangedRecord, ChangeVerdict } from '../../studio/contract';

/** The panel's filters; an empty value does not filter. */
export interface ChangeFilter {
  verdict: ChangeVerdict | '';
  /** A class the record had (saved) or has (edited). */
  cls: string;
  /** Text to find, ignoring case; a missing value is found as `missing`. */
  text: string;
}

/** Whether a changed record passes the filters. */
export function matchesChange(r: ChangedRecord, f: ChangeFilter): boolean {
  if (f.verdict && r.verdict !== f.verdict) return false;
  if (f.cls && r.from !== f.cls && r.to !== f.cls) return false;
  const wanted = f.text.trim().toLowerCase();
  if (!wanted) return true;
  const texts = [
    r.label,
    r.from,
    r.to,
    r.override ?? '',
    ...r.fields.flatMap((x) => [x.name, x.value === null ? 'missing' : String(x.value)]),
  ];
  return texts.some((t) => t.toLowerCase().includes(wanted));
}
