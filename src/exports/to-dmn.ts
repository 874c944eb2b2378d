import { ruleSetHash } from '../artifacts/rule-set-hash';
import type { Feature, Schema } from '../data/types';
import { checkChoice, NeurulesError } from '../errors';
import type { Box } from '../regions/region';
import { ruleRegions } from '../regions/rule-regions';
import type { Interval, ValueSet } from '../regions/value-set';
import type { RuleSet } from '../rules/types';

/** The DMN 1.3 model namespace. */
export const DMN_NAMESPACE = 'https://www.omg.org/spec/DMN/20191111/MODEL/';
/** The DMN 1.3 diagram interchange (DMNDI) namespaces. */
const DMNDI_NAMESPACE = 'https://www.omg.org/spec/DMN/20191111/DMNDI/';
const DC_NAMESPACE = 'http://www.omg.org/spec/DMN/20180521/DC/';
const DI_NAMESPACE = 'http://www.omg.org/spec/DMN/20180521/DI/';

/**
 * How the DMN export writes a feature's name in FEEL: `standard`, as the DMN 1.3 grammar
 * states names (`tumor-size`, `sepal length`; read by feelin and KIE/Drools), or
 * `backtick`, in backticks where the name is not a plain identifier (`` `tumor-size` ``;
 * Camunda's FEEL-scala reads names with spaces, `-`, `/` or `.` only so).
 */
export const FEEL_NAME_FORMS = ['standard', 'backtick'] as const;

/** A form of {@link FEEL_NAME_FORMS}. */
export type FeelNameForm = (typeof FEEL_NAME_FORMS)[number];

/** Options of {@link ruleSetToDmn}. */
export interface DmnOptions {
  /** @defaultValue 'standard' */
  feelNames?: FeelNameForm;
}

/**
 * The rule set as a DMN 1.3 decision table: hit policy FIRST, the rules in hit order
 * (json-rules-engine's, as `ruleRegions` gives it), each written from its exact region:
 * one table row per box of the region, so a rule whose records are not one box takes
 * several rows with the same outputs. Input entries are FEEL unary tests: number intervals
 * and comparisons, string lists and `not(...)` for the rest side, and `null` for missing
 * values exactly where the rules let them through. Inputs are typed from the schema
 * (`number`, `string`); a categorical input lists its levels (and `null`) as its allowed
 * values, so an engine that checks them refuses an unseen level as `predict` does. The
 * outputs are `class` and `rule`; each rule's description sums up its source, reason,
 * support and confidence, which the annotation columns also hold.
 *
 * The file is one decision with an input data element per feature and a diagram (DMNDI)
 * of them; the definitions' id and namespace and the decision's id are derived from the
 * model name and the rule set's hash, so two exports never collide when deployed together.
 * It needs DMN 1.2 or later: `null` unary tests and escapes in strings are DMN 1.2 FEEL.
 *
 * @throws NeurulesError UNSUPPORTED_NAME naming the feature when its name cannot be
 *   written in FEEL (the message names the grammar rule); UNSUPPORTED_VALUE for a number
 *   FEEL cannot write;
 *   OVERLAPPING_RULES, UNKNOWN_FACT or UNSUPPORTED_* (naming the rule) as for the regions;
 *   INVALID_ARGUMENT (field `feelNames`) for an unknown name form
 * @example
 * const xml = ruleSetToDmn(model.ruleSet, model.schema, { feelNames: 'backtick' });
 */
export function ruleSetToDmn(ruleSet: RuleSet, schema: Schema, options: DmnOptions = {}): string {
  const form = options.feelNames ?? 'standard';
  checkFeelNames(form);
  const names = feelNames(schema.features, form);
  const ordered = ruleRegions(ruleSet, schema);
  const hash = ruleSetHash(ruleSet);
  const slug = `${ncName(ruleSet.model)}_${hash.slice(0, 12)}`;
  const decisionId = `decision_${slug}`;
  const lines: string[] = [];
  lines.push('<?xml version="1.0" encoding="UTF-8"?>');
  lines.push(
    `<definitions xmlns="${DMN_NAMESPACE}" xmlns:dmndi="${DMNDI_NAMESPACE}" xmlns:dc="${DC_NAMESPACE}" xmlns:di="${DI_NAMESPACE}"` +
      ` id="definitions_${slug}" name="${xml(`neurules ${ruleSet.model}`)}"` +
      ` namespace="urn:neurules:${encodeURIComponent(ruleSet.model)}:${hash}">`,
  );
  lines.push(`  <decision id="${decisionId}" name="${xml(ruleSet.model)}">`);
  // The decision's variable (KIE checks every DRG element has one): its name is the
  // decision's; its value the table's two outputs, so no single type.
  lines.push(`    <variable id="${decisionId}_variable" name="${xml(ruleSet.model)}" />`);
  schema.features.forEach((_, i) => {
    lines.push(`    <informationRequirement id="informationRequirement_${i}">`);
    lines.push(`      <requiredInput href="#inputData_${i}" />`);
    lines.push('    </informationRequirement>');
  });
  lines.push(`    <decisionTable id="table" hitPolicy="FIRST">`);
  schema.features.forEach((f, i) => {
    lines.push(`      <input id="input_${i}" label="${xml(f.name)}">`);
    lines.push(
      `        <inputExpression id="inputExpression_${i}" typeRef="${typeRef(f)}"><text>${xml(names[i]!)}</text></inputExpression>`,
    );
    if (f.type === 'categorical') {
      // The levels a record may hold, and a missing value (predict takes both).
      const allowed = [...f.levels.map(feelString), 'null'].join(', ');
      lines.push(
        `        <inputValues id="inputValues_${i}"><text>${xml(allowed)}</text></inputValues>`,
      );
    }
    lines.push('      </input>');
  });
  lines.push('      <output id="output_class" name="class" typeRef="string">');
  lines.push(
    `        <outputValues id="outputValues_class"><text>${xml(ruleSet.classes.map(feelString).join(', '))}</text></outputValues>`,
  );
  lines.push('      </output>');
  lines.push('      <output id="output_rule" name="rule" typeRef="string" />');
  for (const name of ['source', 'reason', 'support', 'confidence'])
    lines.push(`      <annotation name="${name}" />`);
  let row = 0;
  for (const { rule, matches } of ordered) {
    const p = rule.event.params as unknown as Record<string, unknown>;
    const source = String(p.source ?? 'distilled');
    const reason = typeof p.reason === 'string' ? p.reason : '';
    const support = typeof p.support === 'number' ? String(p.support) : '';
    const confidence = typeof p.confidence === 'number' ? String(p.confidence) : '';
    // dmn-js shows a rule's description, not its annotations: the summary goes there too.
    const summary = [
      `${rule.name}: ${source}`,
      ...(reason ? [reason] : []),
      ...(support ? [`support ${support}`] : []),
      ...(confidence ? [`confidence ${confidence}`] : []),
    ].join('; ');
    // A box with a feature that can take no value holds no record: no row.
    for (const box of matches.filter((b) => !Object.values(b).some(isEmpty))) {
      row++;
      lines.push(`      <rule id="rule_${row}">`);
      lines.push(`        <description>${xml(summary)}</description>`);
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
      for (const note of [source, reason, support, confidence])
        lines.push(`        <annotationEntry><text>${xml(note)}</text></annotationEntry>`);
      lines.push('      </rule>');
    }
  }
  lines.push('    </decisionTable>');
  lines.push('  </decision>');
  schema.features.forEach((f, i) => {
    lines.push(`  <inputData id="inputData_${i}" name="${xml(f.name)}">`);
    lines.push(
      `    <variable id="inputData_${i}_variable" name="${xml(f.name)}" typeRef="${typeRef(f)}" />`,
    );
    lines.push('  </inputData>');
  });
  lines.push(...diagram(decisionId, ruleSet.model, schema.features.length));
  lines.push('</definitions>');
  return lines.join('\n') + '\n';
}

/** INVALID_ARGUMENT (field `feelNames`) unless `form` is one of {@link FEEL_NAME_FORMS}. */
export function checkFeelNames(form: unknown): asserts form is FeelNameForm {
  checkChoice(form, FEEL_NAME_FORMS, 'feelNames');
}

function typeRef(f: Feature): string {
  return f.type === 'numeric' ? 'number' : 'string';
}

// --- The diagram: the decision above, one input data shape per feature in rows below, an
// edge from each to the decision (what dmn-js's viewer draws).

const SHAPE = { width: 150, height: 45, gap: 30, perRow: 6 };
const DECISION = { width: 180, height: 80 };

function diagram(decisionId: string, model: string, inputs: number): string[] {
  const columns = Math.max(1, Math.min(SHAPE.perRow, inputs));
  const rowWidth = columns * SHAPE.width + (columns - 1) * SHAPE.gap;
  const dx = 100 + Math.round((rowWidth - DECISION.width) / 2);
  const dy = 80;
  const lines = [
    '  <dmndi:DMNDI>',
    `    <dmndi:DMNDiagram id="DMNDiagram_1" name="${xml(model)}">`,
    `      <dmndi:DMNShape id="DMNShape_decision" dmnElementRef="${decisionId}">`,
    `        <dc:Bounds x="${dx}" y="${dy}" width="${DECISION.width}" height="${DECISION.height}" />`,
    '      </dmndi:DMNShape>',
  ];
  for (let i = 0; i < inputs; i++) {
    const x = 100 + (i % columns) * (SHAPE.width + SHAPE.gap);
    const y = dy + DECISION.height + 100 + Math.floor(i / columns) * (SHAPE.height + SHAPE.gap);
    lines.push(
      `      <dmndi:DMNShape id="DMNShape_inputData_${i}" dmnElementRef="inputData_${i}">`,
      `        <dc:Bounds x="${x}" y="${y}" width="${SHAPE.width}" height="${SHAPE.height}" />`,
      '      </dmndi:DMNShape>',
      `      <dmndi:DMNEdge id="DMNEdge_informationRequirement_${i}" dmnElementRef="informationRequirement_${i}">`,
      `        <di:waypoint x="${x + SHAPE.width / 2}" y="${y}" />`,
      `        <di:waypoint x="${dx + DECISION.width / 2}" y="${dy + DECISION.height}" />`,
      '      </dmndi:DMNEdge>',
    );
  }
  lines.push('    </dmndi:DMNDiagram>', '  </dmndi:DMNDI>');
  return lines;
}

/**
 * An XML NCName from a model name, for ids: characters other than letters, digits, `_`,
 * `.` and `-` become `_`, and a name that does not start with a letter or `_` gets one.
 */
function ncName(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z_]/.test(safe) ? safe : `_${safe}`;
}

// --- FEEL names (DMN 1.3 §10.3.1.2, grammar rules 25 to 30; §10.3.1.4 on tokens).

/** Rule 28, name start char. */
const NAME_START_CHAR =
  /[?A-Z_a-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}]/u;
/**
 * Rule 29, name part char: a name start char, a digit, U+00B7, U+0300–U+036F, U+203F–U+2040
 * (combining marks on their own in the class, as the grammar lists them).
 */
/* eslint-disable no-misleading-character-class */
const NAME_PART_CHAR = new RegExp(
  `${NAME_START_CHAR.source.slice(0, -1)}0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040]`,
  'u',
);
/* eslint-enable no-misleading-character-class */
/**
 * Rule 30, additional name symbols: `.` `/` `-` `+` `*` and the apostrophe, which the
 * grammar prints as ’ and the engines (feelin, KIE) read as the ASCII `'`.
 */
const ADDITIONAL_NAME_SYMBOL = /[./\-+*']/;
/** Rule 61, white space (vertical space included). */
const WHITE_SPACE =
  // eslint-disable-next-line no-control-regex
  /[\u0009-\u000D\u0020\u0085\u00A0\u1680\u180E\u2000-\u200B\u2028\u2029\u202F\u205F\u3000\uFEFF]/;
/**
 * The grammar's literal terminal symbols that are words: a name's first token may not be
 * one (§10.3.1.4); `list`, `context` and `range` are not counted, as the section says.
 */
const KEYWORDS = new Set([
  'for', 'in', 'return', 'if', 'then', 'else', 'some', 'every', 'satisfies', 'or', 'and',
  'between', 'instance', 'of', 'not', 'null', 'true', 'false', 'function', 'external',
]); // prettier-ignore

/** A plain identifier every FEEL engine reads unquoted, Camunda's included. */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Why `name` cannot be written as a FEEL name (naming the grammar rule), or undefined:
 * a name is a name start (a name start char, then name part chars) followed by name parts
 * and additional name symbols, tokens that white space may separate; white space is not
 * part of the name, so only single spaces between tokens state it exactly.
 */
export function feelNameProblem(name: string): string | undefined {
  const chars = [...name];
  if (chars.length === 0) return 'a name has at least one character (rule 25, name)';
  if (!NAME_START_CHAR.test(chars[0]!))
    return `a name starts with a letter, '_' or '?' (rule 28, name start char), not ${JSON.stringify(chars[0])}`;
  for (let i = 1; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === ' ') {
      if (chars[i - 1] === ' ' || i === chars.length - 1)
        return 'white space only separates tokens (rule 61, §10.3.1.4): two spaces in a row, or a space at the end, are not part of a FEEL name';
      continue;
    }
    if (WHITE_SPACE.test(c))
      return `white space only separates tokens (rule 61, §10.3.1.4): ${JSON.stringify(c)} is not part of a FEEL name`;
    if (!NAME_PART_CHAR.test(c) && !ADDITIONAL_NAME_SYMBOL.test(c))
      return `${JSON.stringify(c)} is neither a name part char (rule 29) nor an additional name symbol (rule 30: . / - ' + *)`;
  }
  const start = /^[^\s./\-+*']+/u.exec(name)![0];
  if (KEYWORDS.has(start))
    return `a name's first token may not be the keyword '${start}' (§10.3.1.4, rule 26 name start)`;
  return undefined;
}

/** The tokens of a FEEL name (white space left out): names with the same tokens are one name. */
function feelTokens(name: string): string {
  return name
    .split(/([./\-+*'])| +/u)
    .filter((t) => t !== undefined && t !== '')
    .join(' ');
}

/** Each feature's name as its input expression: checked, and in backticks where asked. */
function feelNames(features: readonly Feature[], form: FeelNameForm): string[] {
  const problems: { field: string; message: string }[] = [];
  const seen = new Map<string, string>();
  const names = features.map((f) => {
    if (form === 'backtick') {
      if (PLAIN_NAME.test(f.name) && !KEYWORDS.has(f.name)) return f.name;
      // FEEL-scala's escaped name is any text but a backtick, which it cannot escape.
      if (f.name.includes('`') || f.name === '' || !xmlCharsOnly(f.name)) {
        problems.push({
          field: f.name,
          message: `feature '${f.name}': a backtick-quoted FEEL name (Camunda's FEEL-scala) holds any character but a backtick, and XML 1.0 holds no control character`,
        });
      }
      return `\`${f.name}\``;
    }
    const problem = feelNameProblem(f.name);
    if (problem) {
      problems.push({
        field: f.name,
        message: `feature '${f.name}' cannot be written as a FEEL name (DMN 1.3 §10.3.1.2): ${problem}`,
      });
      return f.name;
    }
    // Two names with the same tokens are one FEEL name (§10.3.1.4): 'a-b' is 'a - b'.
    const tokens = feelTokens(f.name);
    const other = seen.get(tokens);
    if (other !== undefined) {
      problems.push({
        field: f.name,
        message: `feature '${f.name}' is the same FEEL name as '${other}' (a name is its tokens, §10.3.1.4)`,
      });
    }
    seen.set(tokens, f.name);
    return f.name;
  });
  if (problems.length > 0) {
    throw NeurulesError.fromIssues(
      problems.map((p) => ({
        code: 'UNSUPPORTED_NAME' as const,
        message: p.message,
        field: p.field,
      })),
    );
  }
  return names;
}

// --- Unary tests and literals.

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

/**
 * A FEEL string literal (rule 33): `\` and `"` escaped, line breaks and tabs as `\n`, `\r`,
 * `\t`, and every other control character (which a FEEL string may not hold raw, rule 62,
 * or XML 1.0 cannot hold at all) as a `\uXXXX` escape (rule 64).
 */
export function feelString(text: string): string {
  const escaped = text.replace(
    // eslint-disable-next-line no-control-regex
    /[\\"\u0000-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    (c) => {
      if (c === '\\' || c === '"') return `\\${c}`;
      if (c === '\n') return '\\n';
      if (c === '\r') return '\\r';
      if (c === '\t') return '\\t';
      return `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    },
  );
  return `"${escaped}"`;
}

/** True when every character of `text` may appear in XML 1.0 (as itself or a reference). */
function xmlCharsOnly(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(
    text,
  );
}

/**
 * Text for XML content or an attribute: markup escaped, tabs and line breaks as character
 * references (a parser would fold them in an attribute, and turn CR into LF anywhere), and
 * characters XML 1.0 cannot hold (only in names and descriptions; FEEL strings escape
 * them) as U+FFFD.
 */
function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(
      // eslint-disable-next-line no-control-regex
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      '\uFFFD',
    );
}
