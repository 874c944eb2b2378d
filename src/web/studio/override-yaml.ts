/**
 * Form → YAML: one override as the YAML text docs/overrides.md shows, from the fields of the
 * override form. The reverse is `yaml-to-form.ts`; what one writes, the other reads back as
 * the same fields (test/web/override-yaml.test.ts). No DOM: tested in node.
 */
import { operatorValue } from '../../overrides/override-operators';
import type { DataRecord } from '../../data/types';
import type { KeyPart } from './yaml-to-form';

/** A level, class, id or operator as YAML text: plain when it is a plain word, else quoted. */
export function yamlScalar(value: string): string {
  return /^[A-Za-z_][\w.-]*$/.test(value) && !/^(?:y|n|yes|no|on|off|true|false|null)$/i.test(value)
    ? value
    : `'${value.replace(/'/g, "''")}'`;
}

/** A reason as YAML: plain when YAML reads it back as the same text, JSON-quoted otherwise. */
export function reasonYaml(text: string): string {
  const plain =
    /^[A-Za-z][\w .,()/-]*$/.test(text) &&
    /[\w.)]$/.test(text) &&
    !/^(?:y|n|yes|no|on|off|true|false|null)$/i.test(text);
  return plain ? text : JSON.stringify(text);
}

/** One condition as the form writes it: each value already YAML text. */
export interface ConditionYaml {
  feature: string;
  operator: string;
  values: string[];
}

/** What the form writes, values already as YAML text. */
export interface FormYaml {
  id: string;
  conditions: ConditionYaml[];
  className: string;
  priority: string;
  reason: string;
}

/** A condition's value as YAML: a flow list for list and bounds operators, else the value. */
function valueText(c: ConditionYaml): string {
  return operatorValue(c.operator) !== 'one' || c.values.length > 1
    ? `[${c.values.join(', ')}]`
    : (c.values[0] ?? '');
}

/** The `when:` lines: one line per feature, its operators in row order. */
function whenLines(conditions: readonly ConditionYaml[]): string[] {
  const byFeature = new Map<string, string[]>();
  for (const c of conditions) {
    const ops = byFeature.get(c.feature) ?? [];
    ops.push(`${yamlScalar(c.operator)}: ${valueText(c)}`);
    byFeature.set(c.feature, ops);
  }
  return [
    '  when:',
    ...[...byFeature].map(([f, ops]) => `    ${yamlScalar(f)}: { ${ops.join(', ')} }`),
  ];
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

/** The keys the form writes, in the order it writes them in a new override. */
const FORM_ORDER = ['id', 'when', 'then', 'priority', 'reason'];

/**
 * One override as YAML text, the shape docs/overrides.md shows. With `parts` (an override
 * being edited), its keys keep their order and the other keys their text; with `example`,
 * the record goes into its `examples`, expecting the form's class.
 */
export function overrideYaml(
  o: FormYaml & { example?: DataRecord | null; parts?: readonly KeyPart[] },
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
