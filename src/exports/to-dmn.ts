import type { Feature, Schema } from '../data/types';
import { NeurulesError } from '../errors';
import type { Box } from '../regions/region';
import { ruleRegions } from '../regions/rule-regions';
import type { Interval, ValueSet } from '../regions/value-set';
import type { RuleSet } from '../rules/types';

/** The DMN 1.3 model namespace. */
export const DMN_NAMESPACE = 'https://www.omg.org/spec/DMN/20191111/MODEL/';

/** A FEEL name neurules writes as an input expression: a plain identifier. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The rule set as a DMN 1.3 decision table: hit policy FIRST, the rules in hit order
 * (json-rules-engine's, as `ruleRegions` gives it), each written from its exact region:
 * one table row per box of the region, so a rule whose records are not one box takes
 * several rows with the same outputs. Input entries are FEEL unary tests: number intervals
 * and comparisons, string lists and `not(...)` for the rest side, and `null` for missing
 * values exactly where the rules let them through. Inputs are typed from the schema
 * (`number`, `string`); the outputs are `class` and `rule`; annotations give each rule's
 * source, reason, support and confidence.
 *
 * @throws NeurulesError UNSUPPORTED_VALUE naming the feature when its name is not a plain
 *   FEEL name (letters, digits, `_`), or a number FEEL cannot write; OVERLAPPING_RULES,
 *   UNKNOWN_FACT or UNSUPPORTED_* (naming the rule) as for the regions
 */
export function ruleSetToDmn(ruleSet: RuleSet, schema: Schema): string {
  for (const f of schema.features) {
    if (!PLAIN_NAME.test(f.name)) {
      throw new NeurulesError(
        'UNSUPPORTED_VALUE',
        `feature '${f.name}': a DMN input expression names it in FEEL, which takes letters, digits and '_' here; rename the column to export DMN`,
        { field: f.name },
      );
    }
  }
  const ordered = ruleRegions(ruleSet, schema);
  const lines: string[] = [];
  const id = (s: string): string => `_${s.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  lines.push('<?xml version="1.0" encoding="UTF-8"?>');
  lines.push(
    `<definitions xmlns="${DMN_NAMESPACE}" id="${id(`neurules_${ruleSet.model}`)}" name="${xml(`neurules ${ruleSet.model}`)}" namespace="https://github.com/neurules">`,
  );
  lines.push(`  <decision id="decision" name="${xml(ruleSet.model)}">`);
  lines.push(`    <decisionTable id="table" hitPolicy="FIRST">`);
  schema.features.forEach((f, i) => {
    lines.push(`      <input id="input_${i}" label="${xml(f.name)}">`);
    lines.push(
      `        <inputExpression id="inputExpression_${i}" typeRef="${f.type === 'numeric' ? 'number' : 'string'}"><text>${f.name}</text></inputExpression>`,
    );
    lines.push('      </input>');
  });
  lines.push('      <output id="output_class" name="class" typeRef="string" />');
  lines.push('      <output id="output_rule" name="rule" typeRef="string" />');
  for (const name of ['source', 'reason', 'support', 'confidence'])
    lines.push(`      <annotation name="${name}" />`);
  let row = 0;
  for (const { rule, matches } of ordered) {
    const p = rule.event.params as unknown as Record<string, unknown>;
    const notes = [
      String(p.source ?? 'distilled'),
      typeof p.reason === 'string' ? p.reason : '',
      typeof p.support === 'number' ? String(p.support) : '',
      typeof p.confidence === 'number' ? String(p.confidence) : '',
    ];
    // A box with a feature that can take no value holds no record: no row.
    for (const box of matches.filter((b) => !Object.values(b).some(isEmpty))) {
      row++;
      lines.push(`      <rule id="rule_${row}">`);
      lines.push(`        <description>${xml(rule.name)}</description>`);
      schema.features.forEach((f, i) => {
        lines.push(
          `        <inputEntry id="rule_${row}_input_${i}"><text>${xml(unaryTest(f, box, rule.name))}</text></inputEntry>`,
        );
      });
      lines.push(
        `        <outputEntry id="rule_${row}_class"><text>${xml(feelString(String(p.class)))}</text></outputEntry>`,
      );
      lines.push(
        `        <outputEntry id="rule_${row}_rule"><text>${xml(feelString(rule.name))}</text></outputEntry>`,
      );
      for (const note of notes)
        lines.push(`        <annotationEntry><text>${xml(note)}</text></annotationEntry>`);
      lines.push('      </rule>');
    }
  }
  lines.push('    </decisionTable>');
  lines.push('  </decision>');
  lines.push('</definitions>');
  return lines.join('\n') + '\n';
}

/** The FEEL unary test of one feature in one box (`-` when the box does not constrain it). */
function unaryTest(f: Feature, box: Box, rule: string): string {
  const set: ValueSet | undefined = box[f.name];
  if (!set) return '-';
  if (set.kind === 'numeric') {
    const everyNumber =
      set.intervals.length === 1 &&
      set.intervals[0]!.lo === -Infinity &&
      set.intervals[0]!.hi === Infinity;
    if (everyNumber) return set.missing ? '-' : 'not(null)';
    const tests = set.intervals.map((i) => intervalTest(i, f, rule));
    if (set.missing) tests.push('null');
    return tests.join(', ');
  }
  const levels = f.type === 'categorical' ? f.levels : [];
  if (!set.other) {
    const tests = set.levels.map(feelString);
    if (set.missing) tests.push('null');
    return tests.join(', ');
  }
  // The rest side: every text but the excluded levels (and null unless missing is in).
  const excluded = levels.filter((l) => !set.levels.includes(l)).map(feelString);
  if (!set.missing) excluded.push('null');
  return excluded.length > 0 ? `not(${excluded.join(', ')})` : '-';
}

function isEmpty(set: ValueSet): boolean {
  return set.kind === 'numeric'
    ? set.intervals.length === 0 && !set.missing
    : set.levels.length === 0 && !set.other && !set.missing;
}

function intervalTest(i: Interval, f: Feature, rule: string): string {
  const n = (x: number): string => feelNumber(x, f, rule);
  if (i.lo === -Infinity) return `${i.hiClosed ? '<=' : '<'} ${n(i.hi)}`;
  if (i.hi === Infinity) return `${i.loClosed ? '>=' : '>'} ${n(i.lo)}`;
  if (i.lo === i.hi) return n(i.lo);
  return `${i.loClosed ? '[' : '('}${n(i.lo)}..${n(i.hi)}${i.hiClosed ? ']' : ')'}`;
}

/**
 * A FEEL number literal (FEEL has no exponent notation): the exact decimal of JavaScript's
 * shortest round-trip text of `x`.
 */
export function feelNumber(x: number, f?: Feature, rule?: string): string {
  if (!Number.isFinite(x)) {
    throw new NeurulesError(
      'UNSUPPORTED_VALUE',
      `rule '${rule ?? '?'}': ${f?.name ?? 'a number'} ${x} cannot be written in FEEL`,
      { field: f?.name ?? 'value' },
    );
  }
  const text = String(x);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([-+]\d+)$/.exec(text);
  if (!m) return text;
  const [, sign, whole, fraction = '', exp] = m;
  const digits = whole! + fraction;
  const point = whole!.length + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A FEEL string literal: backslash and double quote escaped. */
function feelString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Text for XML content or an attribute. */
function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}
