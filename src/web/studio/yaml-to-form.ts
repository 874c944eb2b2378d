/**
 * YAML → form: finds the override at the cursor (or by id) in a file's text with the yaml
 * package, and reads it into the fields the override form has. Only the shape the form
 * writes is read (one feature, one operator, a class, priority and reason); anything more
 * (several conditions, `all`/`any`/`not`) is reported, so the expert edits it in YAML.
 * Keys the form does not show (description, owner, examples) are kept as their own text.
 */
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';

/** The fields of the override form. */
export interface FormFields {
  id: string;
  feature: string;
  operator: string;
  values: (string | number)[];
  className: string;
  priority: string;
  reason: string;
}

/** An override found in a file: where it is, its fields (or why not), and kept keys' text. */
export interface FoundOverride {
  id: string;
  /** Offsets of the whole item, from its `- ` to the end of its last line. */
  from: number;
  to: number;
  fields: FormFields | null;
  why: string;
  /** The text of the keys the form does not show, each starting at its key. */
  kept: string[];
}

const FORM_KEYS = new Set(['id', 'when', 'then', 'priority', 'reason']);

function scalar(node: unknown): string | number | null {
  if (!isScalar(node)) return null;
  const v = node.value;
  return typeof v === 'string' || typeof v === 'number' ? v : v === null ? null : String(v);
}

/** The override whose item holds `at` (an offset) or has this id; null when none does. */
export function findOverride(
  text: string,
  at: { pos: number } | { id: string },
): FoundOverride | null {
  const doc = parseDocument(text);
  if (doc.errors.length || !isSeq(doc.contents)) return null;
  for (const item of doc.contents.items) {
    if (!isMap(item) || !item.range) continue;
    const from = text.lastIndexOf('\n', item.range[0] - 1) + 1;
    let to = item.range[2];
    if (to > 0 && text[to - 1] !== '\n') {
      const nl = text.indexOf('\n', to);
      to = nl < 0 ? text.length : nl + 1;
    }
    const id = String(scalar(item.get('id', true)) ?? '');
    const hit = 'pos' in at ? at.pos >= from && at.pos <= to : at.id === id;
    if (!hit) continue;

    const kept: string[] = [];
    for (const pair of item.items) {
      const key = String(scalar(pair.key) ?? '');
      if (FORM_KEYS.has(key)) continue;
      const keyNode = pair.key as YamlNode;
      const valueNode = pair.value as YamlNode | null;
      const start = keyNode.range?.[0];
      const end = valueNode?.range?.[2] ?? keyNode.range?.[2];
      if (start !== undefined && end !== undefined) kept.push(text.slice(start, end).trimEnd());
    }
    const found: FoundOverride = { id, from, to, fields: null, why: '', kept };

    const when = item.get('when', true);
    const conditions = isMap(when) ? when.items : [];
    const condition = conditions.length === 1 ? conditions[0]! : null;
    const feature = condition ? scalar(condition.key) : null;
    const ops = condition && isMap(condition.value) ? condition.value.items : [];
    if (conditions.length === 0) {
      found.why = `'${id}' has no condition yet`;
      return found;
    }
    if (!condition || typeof feature !== 'string' || ops.length !== 1) {
      found.why = `'${id}' has more conditions than the form shows: edit it in YAML`;
      return found;
    }
    if (['all', 'any', 'not'].includes(feature)) {
      found.why = `'${id}' uses '${feature}': edit it in YAML`;
      return found;
    }
    const operator = scalar(ops[0]!.key);
    const raw = ops[0]!.value;
    const values = isSeq(raw) ? raw.items.map(scalar) : [scalar(raw)];
    const then = item.get('then', true);
    const className = isMap(then) ? scalar(then.get('class', true)) : null;
    if (operator === null || values.some((v) => v === null) || className === null) {
      found.why = `'${id}' is not complete yet`;
      return found;
    }
    found.fields = {
      id,
      feature,
      operator: String(operator),
      values: values as (string | number)[],
      className: String(className),
      priority: String(scalar(item.get('priority', true)) ?? ''),
      reason: String(scalar(item.get('reason', true)) ?? ''),
    };
    return found;
  }
  return null;
}
