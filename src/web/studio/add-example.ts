/**
 * "Save as example": adds `- input: {...}\n  expect: CLASS` to the `examples` of the
 * override with a given id, as a text edit of its YAML file. It handles the block layout
 * docs/overrides.md shows (`- id:` at the start of a line, keys indented by two); anything
 * else is left for the expert to edit by hand.
 */
import type { DataRecord } from '../../data/types';
import { yamlScalar } from './override-yaml';

/** The ids of the overrides in a file, in order (`- id: NAME` lines). */
export function overrideIds(text: string): string[] {
  return [...text.matchAll(/^- id:\s*['"]?([^'"\s#]+)/gm)].map((m) => m[1]!);
}

/** The text with the example added, or an error message. */
export function addExample(
  text: string,
  id: string,
  record: DataRecord,
  expect: string,
): { ok: true; text: string } | { ok: false; message: string } {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => {
    const m = /^- id:\s*['"]?([^'"\s#]+)/.exec(l);
    return m?.[1] === id;
  });
  if (start < 0) return { ok: false, message: `no '- id: ${id}' line in this file` };
  let end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
  if (end < 0) end = lines.length;
  while (end > start + 1 && lines[end - 1]!.trim() === '') end--;
  const entry = [`    - input: ${JSON.stringify(record)}`, `      expect: ${yamlScalar(expect)}`];
  const examples = lines.findIndex((l, i) => i > start && i < end && /^ {2}examples:/.test(l));
  if (examples < 0) {
    lines.splice(end, 0, '  examples:', ...entry);
  } else if (/^ {2}examples:\s*(#.*)?$/.test(lines[examples]!)) {
    lines.splice(examples + 1, 0, ...entry);
  } else {
    return { ok: false, message: `the examples of '${id}' are not a block list: add it by hand` };
  }
  return { ok: true, text: lines.join('\n') };
}
