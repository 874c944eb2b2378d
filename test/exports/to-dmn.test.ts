import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import fc from 'fast-check';
import { coerceRecord } from '../../src/data/coerce-record';
import type { DataRecord } from '../../src/data/types';
import { compileRuleSet } from '../../src/engine/compile-rules';
import { feelNumber, ruleSetToDmn } from '../../src/exports/to-dmn';
import { readCsv, useBundledModels } from './bundled-models';

const models = useBundledModels();

interface Table {
  hitPolicy: string;
  inputs: { text: string; typeRef: string }[];
  outputs: string[];
  annotations: string[];
  rules: { inputs: string[]; outputs: string[]; annotations: string[] }[];
}

/**
 * Load the DMN text with dmn-moddle and decide each record with feelin under hit policy
 * FIRST, in a Node process of its own (test/exports/dmn-runner.mjs); no warnings from
 * either. Returns the table as loaded and, per record, `[class, rule]` of the first row
 * that matches (null when none does).
 */
function runDmn(
  xml: string,
  records: readonly DataRecord[],
): { table: Table; decisions: ([string, string] | null)[] } {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'dmn-runner.mjs')], {
    input: JSON.stringify({ xml, records }),
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  const result = JSON.parse(out.toString('utf8'));
  expect(result.warnings).toEqual([]);
  expect(result.feelWarnings).toEqual([]);
  return result;
}

const decisionOf = (d: { class: string; ruleId: string }): [string, string] => [d.class, d.ruleId];

describe('the DMN export', () => {
  it('loads in dmn-moddle without warnings: FIRST, typed inputs, class and rule, annotations', () => {
    const m = models[0]!;
    const { table } = runDmn(ruleSetToDmn(m.ruleSet, m.schema), []);
    expect(table.hitPolicy).toBe('FIRST');
    expect(table.annotations).toEqual(['source', 'reason', 'support', 'confidence']);
    expect(table.inputs).toEqual(
      m.schema.features.map((f) => ({
        text: f.name,
        typeRef: f.type === 'numeric' ? 'number' : 'string',
      })),
    );
    expect(table.outputs).toEqual(['class', 'rule']);
    // The overrides first, in hit order, with their source and reason.
    expect(table.rules[0]!.outputs[1]).toBe('"minors-declined"');
    expect(table.rules[0]!.annotations.slice(0, 1)).toEqual(['override']);
    expect(table.rules[0]!.annotations[1]).not.toBe('');
    const distilled = table.rules.find((r) => r.annotations[0] === 'distilled')!;
    expect(Number(distilled.annotations[2])).toBeGreaterThan(0); // support
  });

  it('gives the class and rule of the rules on every row of every bundled data set (feelin, FIRST)', () => {
    for (const m of models) {
      const compiled = compileRuleSet(m.ruleSet);
      const raw = readCsv(m.data);
      const records = raw.rows.map((row) => {
        const fields = Object.fromEntries(raw.columns.map((c, i) => [c, row[i]]));
        const { record, issues } = coerceRecord(m.schema, fields);
        expect(issues).toEqual([]);
        return record;
      });
      const { decisions } = runDmn(ruleSetToDmn(m.ruleSet, m.schema), records);
      expect(decisions).toEqual(records.map((r) => decisionOf(compiled.decide(r))));
    }
  });

  it('missing values and unseen levels go where the rules send them', () => {
    const m = models[0]!;
    const compiled = compileRuleSet(m.ruleSet);
    const raw = readCsv(m.data);
    const first = Object.fromEntries(raw.columns.map((c, i) => [c, raw.rows[0]![i]]));
    const { record } = coerceRecord(m.schema, first);
    const edit = fc.record(
      Object.fromEntries(
        m.schema.features.map((f) => [
          f.name,
          f.type === 'numeric'
            ? fc.oneof(fc.constant(null), fc.double({ min: f.min, max: f.max, noNaN: true }))
            : fc.oneof(fc.constant(null), fc.constantFrom(...f.levels, 'never seen')),
        ]),
      ),
      { requiredKeys: [] },
    );
    const records = fc
      .sample(edit, { numRuns: 300 })
      .map((changes) => ({ ...record, ...changes }) as DataRecord);
    const { decisions } = runDmn(ruleSetToDmn(m.ruleSet, m.schema), records);
    expect(decisions).toEqual(records.map((r) => decisionOf(compiled.decide(r))));
  });

  it('writes numbers as FEEL decimals (no exponent), exactly', () => {
    expect(feelNumber(1e-7)).toBe('0.0000001');
    expect(feelNumber(1.5e21)).toBe('1500000000000000000000');
    expect(feelNumber(-2.5e-3)).toBe('-0.0025');
    expect(feelNumber(23.5)).toBe('23.5');
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Number(feelNumber(x))).toBe(x === 0 ? 0 : x);
      }),
    );
  });

  it('refuses a feature name FEEL cannot state here, naming it (UNSUPPORTED_VALUE)', () => {
    const m = models[1]!;
    const renamed = {
      ...m.schema,
      features: m.schema.features.map((f, i) => (i === 0 ? { ...f, name: 'sepal length' } : f)),
    };
    expect(() => ruleSetToDmn(m.ruleSet, renamed)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VALUE', field: 'sepal length' }),
    );
  });
});
