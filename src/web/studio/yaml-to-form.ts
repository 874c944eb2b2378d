/**
 * YAML → form: finds the override at the cursor (or by id) in a file's text with the yaml
 * package, and reads it into the fields the override form has: the id, a list of conditions
 * (feature, operator, value; several operators on one feature are several rows), the class,
 * priority and reason. What the form cannot show (`all`/`any`/`not` nesting, anchors and
 * aliases, comments inside the override, keys it does not know) is reported, so the expert
 * edits that override in YAML. Keys the form does not show (description, owner, examples)
 * are kept as their own text, in their place. The reverse is `override-yaml.ts`. No DOM:
 * tested in node (test/web/).
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node as YamlNode,
  parseDocument,
  type Pair,
  visit,
} from 'yaml';

/** One condition of the form: `feature: { operator: value }`. */
export interface FormCondition {
  feature: string;
  operator: string;
  values: (string | number)[];
}

/** The fields of the override form. */
export interface FormFields {
  id: string;
  conditions: FormCondition[];
  className: string;
  priority: string;
  reason: string;
}

/** A key of an override in its file's order: one the form writes, or another kept as text. */
export type KeyPart = { form: string } | { kept: string };

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
  /** The item's keys in order, the kept ones with their text. */
  parts: KeyPart[];
}

/** What is at a place in a file. */
export type Located =
  { kind: 'yaml-error' } | { kind: 'none' } | { kind: 'override'; found: FoundOverride };

const FORM_KEYS = new Set(['id', 'when', 'then', 'priority', 'reason']);
const NESTING = new Set(['all', 'any', 'not']);

function scalar(node: unknown): string | number | null {
  if (!isScalar(node)) return null;
  const v = node.value;
  return typeof v === 'string' || typeof v === 'number' ? v : v === null ? null : String(v);
}

/** Why the form cannot show this override (it must be edited in YAML), or ''. */
function unrepresentable(item: YamlNode, id: string): string {
  let why = '';
  visit(item, (_key, node) => {
    if (node === item) return undefined;
    if (isAlias(node) || ((isMap(node) || isSeq(node) || isScalar(node)) && node.anchor)) {
      why = `'${id}' uses an anchor or alias: edit it in YAML`;
      return visit.BREAK;
    }
    if ((isMap(node) || isSeq(node) || isScalar(node)) && (node.comment || node.commentBefore)) {
      why = `'${id}' has comments the form would not keep: edit it in YAML`;
      return visit.BREAK;
    }
    return undefined;
  });
  return why;
}

function readOverride(text: string, item: YamlNode & { items: Pair[] }, from: number, to: number) {
  const id = String(
    scalar((item as unknown as { get(k: string, b: true): unknown }).get('id', true)) ?? '',
  );
  const kept: string[] = [];
  const parts: KeyPart[] = [];
  const byKey = new Map<string, unknown>();
  for (const pair of item.items) {
    const key = String(scalar(pair.key) ?? '');
    byKey.set(key, pair.value);
    if (FORM_KEYS.has(key)) {
      parts.push({ form: key });
      continue;
    }
    const keyNode = pair.key as YamlNode;
    const valueNode = pair.value as YamlNode | null;
    const start = keyNode.range?.[0];
    const end = valueNode?.range?.[2] ?? keyNode.range?.[2];
    if (start !== undefined && end !== undefined) {
      const slice = text.slice(start, end).trimEnd();
      kept.push(slice);
      parts.push({ kept: slice });
    }
  }
  const found: FoundOverride = { id, from, to, fields: null, why: '', kept, parts };
  const fail = (why: string): FoundOverride => ((found.why = why), found);

  const keyAt = item.items[0]?.key as YamlNode | undefined;
  if (keyAt?.range && keyAt.range[0] - from !== 2) {
    return fail(`'${id}' is indented unlike the form writes: edit it in YAML`);
  }
  const odd = unrepresentable(item, id);
  if (odd) return fail(odd);
  const when = byKey.get('when');
  if (!isMap(when) || when.items.length === 0) return fail(`'${id}' has no condition yet`);
  const conditions: FormCondition[] = [];
  for (const condition of when.items) {
    const feature = scalar(condition.key);
    if (typeof feature !== 'string') return fail(`'${id}' is not complete yet`);
    if (NESTING.has(feature)) return fail(`'${id}' uses '${feature}': edit it in YAML`);
    if (!isMap(condition.value) || condition.value.items.length === 0) {
      return fail(`'${id}': the condition on '${feature}' is not complete yet`);
    }
    for (const op of condition.value.items) {
      const operator = scalar(op.key);
      const raw = op.value;
      if (isSeq(raw) && raw.items.some((v) => !isScalar(v))) {
        return fail(
          `'${id}': a value of '${feature}' is more than the form shows: edit it in YAML`,
        );
      }
      const values = isSeq(raw) ? raw.items.map(scalar) : [scalar(raw)];
      if (operator === null || values.some((v) => v === null)) {
        return fail(`'${id}' is not complete yet`);
      }
      conditions.push({
        feature,
        operator: String(operator),
        values: values as (string | number)[],
      });
    }
  }
  const then = byKey.get('then');
  const className = isMap(then) && then.items.length === 1 ? scalar(then.get('class', true)) : null;
  if (className === null) return fail(`'${id}' is not complete yet`);
  for (const key of ['id', 'priority', 'reason']) {
    const value = byKey.get(key);
    if (value !== undefined && value !== null && !isScalar(value)) {
      return fail(`'${id}': its ${key} is more than the form shows: edit it in YAML`);
    }
  }
  found.fields = {
    id,
    conditions,
    className: String(className),
    priority: String(scalar(byKey.get('priority')) ?? ''),
    reason: String(scalar(byKey.get('reason')) ?? ''),
  };
  return found;
}

/** What is at offset `pos` (or the override with this id) in a file's text. */
export function locateOverride(text: string, at: { pos: number } | { id: string }): Located {
  const doc = parseDocument(text);
  if (doc.errors.length) return { kind: 'yaml-error' };
  if (!isSeq(doc.contents)) return { kind: 'none' };
  for (const item of doc.contents.items) {
    if (!isMap(item) || !item.range) continue;
    const from = text.lastIndexOf('\n', item.range[0] - 1) + 1;
    let to = item.range[2];
    if (to > 0 && text[to - 1] !== '\n') {
      const nl = text.indexOf('\n', to);
      to = nl < 0 ? text.length : nl + 1;
    }
    const id = String(scalar(item.get('id', true)) ?? '');
    // The line after an override (a blank line, the end of the file) is outside it.
    const inside = (pos: number) =>
      pos >= from && (pos < to || (pos === to && text[to - 1] !== '\n'));
    const hit = 'pos' in at ? inside(at.pos) : at.id === id;
    if (!hit) continue;
    return { kind: 'override', found: readOverride(text, item, from, to) };
  }
  return { kind: 'none' };
}
