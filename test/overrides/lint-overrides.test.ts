import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModelFiles, loadRuleSet } from '../../src/artifacts/model-store';
import type { ModelLocation } from '../../src/artifacts/types';
import { coerceRecord } from '../../src/data/coerce-record';
import { readTable } from '../../src/data/read-csv';
import { splitTable } from '../../src/data/split-table';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { lintOverrides } from '../../src/overrides/lint-overrides';
import { loadOverrides, mergeOverrides } from '../../src/overrides/merge-overrides';
import { parseOverrides } from '../../src/overrides/parse-overrides';
import { GERMAN_CREDIT, GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';
import { deadOverrides } from '../helpers/many-overrides';

const ROOT = path.join(__dirname, '..', '..');
/** The fixtures are written against particular regions: the frozen model's, never rebuilt. */
const { schema, distilled, training } = modelAndTraining(GERMAN_CREDIT_FROZEN);

function modelAndTraining(loc: ModelLocation) {
  const { schema, manifest } = loadModelFiles(loc);
  const types = Object.fromEntries(schema.features.map((f) => [f.name, f.type]));
  const table = readTable(path.join(ROOT, 'data', 'german-credit.csv'), { types });
  const training = splitTable(table, { seed: manifest.seed }).train.records;
  return { schema, distilled: loadRuleSet(loc), training };
}
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'overrides', 'lint');

/** The findings of an override file's text (it must be valid), and its overrides. */
function lintText(text: string, file: string) {
  const parsed = parseOverrides(text, file, schema);
  expect(parsed.issues).toEqual([]);
  const findings = lintOverrides({
    overrides: parsed.overrides,
    distilled,
    schema,
    records: training,
  });
  return { findings, overrides: parsed.overrides };
}

function lintFixture(name: string) {
  const file = path.join(FIXTURES, name);
  const { findings, overrides } = lintText(fs.readFileSync(file, 'utf8'), file);
  const merged = compileRuleSet(mergeOverrides(distilled, overrides, schema));
  return { file, findings, merged, overrides };
}

/** Which of the overrides match a record (each compiled alone). */
function matching(
  overrides: { id: string; conditions: unknown }[],
  record: Record<string, unknown>,
) {
  return overrides
    .filter(
      (o) =>
        compileRuleSet({
          rules: [
            { name: o.id, priority: 1, conditions: o.conditions as never, event: { type: 'x' } },
          ],
        }).run(record).events.length > 0,
    )
    .map((o) => o.id);
}

function expectValidRecord(record: Record<string, unknown> | undefined) {
  expect(record).toBeDefined();
  expect(coerceRecord(schema, record!).issues).toEqual([]);
}

describe('lintOverrides (fixtures named after their codes)', () => {
  test('override-conflict: same priority, overlapping, different classes: an error with both ids', () => {
    const { file, findings, overrides } = lintFixture('override-conflict.yaml');
    expect(findings.map((f) => [f.code, f.severity, f.file, f.line, f.column, f.ids])).toEqual([
      [
        'OVERRIDE_CONFLICT',
        'error',
        file,
        9,
        3,
        ['small-loans-approved', 'young-renters-declined'],
      ],
    ]);
    const example = findings[0]!.example;
    expectValidRecord(example);
    expect(matching(overrides, example!).sort()).toEqual([
      'small-loans-approved',
      'young-renters-declined',
    ]);
  });

  test('override-shadowed: an earlier override covers every record it matches', () => {
    const { file, findings, merged } = lintFixture('override-shadowed.yaml');
    const shadowed = findings.filter((f) => f.code === 'OVERRIDE_SHADOWED');
    expect(shadowed.map((f) => [f.file, f.line, f.column, f.ids, f.severity])).toEqual([
      [file, 8, 3, ['very-long-large-loans-declined', 'long-loans-declined'], 'warning'],
    ]);
    expectValidRecord(shadowed[0]!.example);
    expect(merged.decide(shadowed[0]!.example!).ruleId).toBe('long-loans-declined');
  });

  test('override-dead: no training record matches; contradictory conditions match nothing', () => {
    const { file, findings } = lintFixture('override-dead.yaml');
    const dead = findings.filter((f) => f.code === 'OVERRIDE_DEAD');
    expect(dead.map((f) => [f.file, f.line, f.column, f.ids])).toEqual([
      [file, 3, 3, ['pensioners-approved']],
      [file, 8, 3, ['contradiction']],
    ]);
    // The first still gets an example (the nearest record it would match), the second cannot.
    expectValidRecord(dead[0]!.example);
    expect(dead[0]!.example!.age as number).toBeGreaterThan(80);
    expect(dead[1]!.example).toBeUndefined();
  });

  test('overrides on disjoint ranges no record reaches: each dead, with an example in its own range', () => {
    const { findings, overrides } = lintText(deadOverrides(60), 'dead.yaml');
    // Nothing but dead: none covers, meets or restates another (each has its own priority).
    // (Their thresholds, above every training amount, are also VALUE_OUT_OF_RANGE.)
    const dead = findings.filter((f) => f.code !== 'VALUE_OUT_OF_RANGE');
    expect(dead.map((f) => [f.code, f.line, f.ids])).toEqual(
      overrides.map((o) => ['OVERRIDE_DEAD', o.line, [o.id]]),
    );
    dead.forEach((f, i) => {
      expectValidRecord(f.example);
      expect(matching(overrides, f.example!)).toEqual([`dead-${i}`]);
    });
  });

  test('override-redundant: the distilled rules already decide its class wherever it decides', () => {
    const { file, findings } = lintFixture('override-redundant.yaml');
    expect(findings.map((f) => [f.code, f.file, f.line, f.column, f.ids])).toEqual([
      ['OVERRIDE_REDUNDANT', file, 2, 3, ['short-of-cash-long-loans']],
    ]);
    expectValidRecord(findings[0]!.example);
    expect(compileRuleSet(distilled).decide(findings[0]!.example!).class).toBe('bad');
  });

  test('the shipped German credit overrides have no conflicts', () => {
    const bundled = modelAndTraining(GERMAN_CREDIT);
    const overrides = loadOverrides(
      path.join(GERMAN_CREDIT.rulesDir, 'german-credit', 'overrides'),
      bundled.schema,
    );
    const findings = lintOverrides({
      overrides,
      distilled: bundled.distilled,
      schema: bundled.schema,
      records: bundled.training,
    });
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    // minors-declined is a legal safeguard: no training applicant is under 18.
    expect(findings.find((f) => f.ids[0] === 'minors-declined')?.code).toBe('OVERRIDE_DEAD');
  });

  const lintYaml = (text: string) => lintText(text, 'f.yaml').findings;

  test('redundant is judged against what decides without it: later overrides, then distilled', () => {
    // The distilled rules decide 'no checking' good (R08); alone, A restates them.
    const a =
      "- id: A\n  when:\n    checking_status: { equal: 'no checking' }\n    duration: { '<': 12 }\n  then: { class: good }\n  priority: 100\n";
    expect(lintYaml(a).map((f) => [f.code, f.ids[0]])).toEqual([['OVERRIDE_REDUNDANT', 'A']]);
    // With B below it, removing A hands its records to B (bad): A is not redundant.
    const b =
      "- id: B\n  when:\n    duration: { '<': 12 }\n  then: { class: bad }\n  priority: 50\n";
    expect(lintYaml(a + b).filter((f) => f.ids[0] === 'A')).toEqual([]);
  });

  test('no conflict where a higher override decides every record the two share', () => {
    const text = [
      "- id: top\n  when:\n    duration: { '<': 30 }\n  then: { class: good }\n  priority: 100",
      "- id: b\n  when:\n    duration: { '<': 20 }\n  then: { class: bad }\n  priority: 50",
      "- id: c\n  when:\n    duration: { '<': 10 }\n  then: { class: good }\n  priority: 50",
    ].join('\n');
    const codes = lintYaml(text).map((f) => [f.code, f.ids[0]]);
    expect(codes).not.toContainEqual(['OVERRIDE_CONFLICT', 'c']);
    expect(codes).toContainEqual(['OVERRIDE_SHADOWED', 'b']);
  });
});
