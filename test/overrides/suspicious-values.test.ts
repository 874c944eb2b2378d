import fc from 'fast-check';
import * as path from 'node:path';
import { loadModelFiles } from '../../src/artifacts/model-store';
import { readTable } from '../../src/data/read-csv';
import { splitTable } from '../../src/data/split-table';
import type { DataRecord } from '../../src/data/types';
import { parseOverrides } from '../../src/overrides/parse-overrides';
import { suspiciousValues } from '../../src/overrides/suspicious-values';
import { GERMAN_CREDIT_FROZEN } from '../helpers/german-credit';

const ROOT = path.join(__dirname, '..', '..');
const { schema, manifest } = loadModelFiles(GERMAN_CREDIT_FROZEN);
const types = Object.fromEntries(schema.features.map((f) => [f.name, f.type]));
const training = splitTable(readTable(path.join(ROOT, 'data', 'german-credit.csv'), { types }), {
  seed: manifest.seed,
}).train.records;

/** A file of one override with these `when` lines (each indented by the caller's 4 spaces). */
const file = (...when: string[]): string =>
  `- id: x\n  when:\n${when.map((w) => `    ${w}\n`).join('')}  then: { class: bad }\n`;

/** [code, line, column] of each suspicious value of an override file. */
function suspicious(text: string, records: readonly DataRecord[] = training) {
  const parsed = parseOverrides(text, 'f.yaml', schema);
  expect(parsed.issues).toEqual([]);
  return suspiciousValues(parsed.overrides, schema, records).map((s) => [s.code, s.line, s.column]);
}

/** [line, column] (1-based) of the first `token` in `text`: where a warning must point. */
function at(text: string, token: string): [number, number] {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(token));
  return [line + 1, lines[line]!.indexOf(token) + 1];
}

const range = (name: string): [number, number] => {
  const values = training.map((r) => r[name]).filter((v): v is number => typeof v === 'number');
  return [Math.min(...values), Math.max(...values)];
};

describe('suspiciousValues', () => {
  it('the training data the cases below rely on', () => {
    // credit_amount and duration are whole numbers, credit_amount in the thousands.
    const [low, high] = range('credit_amount');
    expect(low).toBeGreaterThan(8);
    expect(high).toBeGreaterThan(8000);
    expect(training.every((r) => Number.isInteger(r.credit_amount ?? 0))).toBe(true);
  });

  it("'8.000' (German thousands, read as 8) is LOCALE_NUMBER at the number, suggesting 8000", () => {
    const text = file("credit_amount: { '>': 8.000 }", "age: { '<': 30 }");
    expect(suspicious(text)).toEqual([['LOCALE_NUMBER', ...at(text, '8.000')]]);
    const found = suspiciousValues(
      parseOverrides(text, 'f.yaml', schema).overrides,
      schema,
      training,
    );
    expect(found[0]).toMatchObject({ severity: 'warning', ids: ['x'], field: 'credit_amount' });
    expect(found[0]!.message).toContain('8000');
  });

  it('one warning per value: each item of a between is checked at its own place', () => {
    const text = file('credit_amount: { between: [1000, 12.500] }');
    expect(suspicious(text)).toEqual([['LOCALE_NUMBER', ...at(text, '12.500')]]);
  });

  it('not locale formatting: 8000, 1.5 and a plain 3-decimal number where the values have decimals', () => {
    expect(suspicious(file("credit_amount: { '>': 8000 }", "age: { '<': 30 }"))).toEqual([]);
    // 1.5 on a whole-number feature is a threshold between two values, not a thousands mark.
    expect(suspicious(file("installment_commitment: { '>': 1.5 }"))).toEqual([]);
    // Where the training values have decimals and 1.250 lies in their range, it means 1.25.
    const decimals = training.map((r) => ({
      ...r,
      installment_commitment: 1.125 * Number(r.installment_commitment),
    }));
    expect(suspicious(file("installment_commitment: { '>': 1.250 }"), decimals)).toEqual([]);
  });

  it('no LOCALE_NUMBER where the value read is a plausible value of the feature, or the one meant is not', () => {
    // age is 19–75 and duration 4–60 in the training records: 25.5 and 10 are plausible.
    expect(suspicious(file("age: { '<': 25.500 }"))).toEqual([]);
    expect(suspicious(file("duration: { '>': 10.000 }", "age: { '<': 30 }"))).toEqual([]);
    // 1 and 1000 are both outside age's range: only the range warning speaks.
    const text = file("age: { '>': 1.000 }");
    expect(suspicious(text)).toEqual([['VALUE_OUT_OF_RANGE', ...at(text, '1.000')]]);
  });

  it("'[1,5]' (a decimal comma in a list) is LOCALE_NUMBER only where the values have decimals", () => {
    const decimals = training.map((r) => ({
      ...r,
      installment_commitment: 1.125 * Number(r.installment_commitment),
    }));
    const text = file('installment_commitment: { between: [1,5] }');
    expect(suspicious(text, decimals)).toEqual([['LOCALE_NUMBER', ...at(text, '[1,5]')]]);
    // With a space it is a list; on whole numbers [1,5] is one too.
    expect(suspicious(file('installment_commitment: { between: [2, 3] }'), decimals)).toEqual([]);
    expect(suspicious(file('duration: { between: [6,24] }'))).toEqual([]);
  });

  it('an empty between (low > high) is EMPTY_BETWEEN at the list; a valid one is not', () => {
    const text = file('duration: { between: [24, 12] }');
    expect(suspicious(text)).toEqual([['EMPTY_BETWEEN', ...at(text, '[24')]]);
    expect(suspicious(file('duration: { between: [12, 24] }'))).toEqual([]);
  });

  it('a threshold outside the training range is VALUE_OUT_OF_RANGE at the number, naming the range', () => {
    const [low, high] = range('credit_amount');
    const text = file(`credit_amount: { '<': ${high + 1000} }`, "age: { '<': 30 }");
    expect(suspicious(text)).toEqual([['VALUE_OUT_OF_RANGE', ...at(text, String(high + 1000))]]);
    const found = suspiciousValues(
      parseOverrides(text, 'f.yaml', schema).overrides,
      schema,
      training,
    );
    expect(found[0]!.message).toContain(`${low}–${high}`);
    const between = file(`credit_amount: { between: [${low - 100}, 5000] }`);
    expect(suspicious(between)).toEqual([['VALUE_OUT_OF_RANGE', ...at(between, `${low - 100},`)]]);
  });

  it('a condition every training record satisfies is CONDITION_ALWAYS_TRUE; one that restricts is not', () => {
    const [low] = range('age');
    const text = file(`age: { '>=': ${low} }`, "duration: { '>': 24 }");
    expect(suspicious(text)).toEqual([['CONDITION_ALWAYS_TRUE', ...at(text, `${low} }`)]]);
    const levels = schema.features.find((f) => f.name === 'purpose');
    if (levels?.type !== 'categorical') throw new Error('purpose is categorical');
    // Every level: always true. A level list that leaves one out restricts.
    const every = file(`purpose: { in: [${levels.levels.map((l) => `'${l}'`).join(', ')}] }`);
    expect(suspicious(every)).toEqual([['CONDITION_ALWAYS_TRUE', ...at(every, '[')]]);
    expect(
      suspicious(
        file(
          `purpose: { in: [${levels.levels
            .slice(1)
            .map((l) => `'${l}'`)
            .join(', ')}] }`,
        ),
      ),
    ).toEqual([]);
    expect(suspicious(file("purpose: { in: [education, 'new car'] }"))).toEqual([]);
  });

  it('under a not, a condition that always holds is not a restriction left out (lint finds the dead override)', () => {
    const [low] = range('age');
    expect(suspicious(file(`not: { age: { '>=': ${low} } }`, "duration: { '>': 24 }"))).toEqual([]);
  });
});

describe('CONDITION_ALWAYS_TRUE agrees with the records (property)', () => {
  const OPERATORS: [string, (v: number, t: number) => boolean][] = [
    ['<', (v, t) => v < t],
    ['<=', (v, t) => v <= t],
    ['>', (v, t) => v > t],
    ['>=', (v, t) => v >= t],
  ];
  it('a threshold inside the range is warned about exactly when every record satisfies it', () => {
    const features = ['duration', 'credit_amount', 'age'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...features),
        fc.constantFrom(...OPERATORS),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (feature, [op, holds], share) => {
          const [low, high] = range(feature);
          const t = Math.round(low + share * (high - low));
          const text = file(`${feature}: { '${op}': ${t} }`, 'purpose: { equal: education }');
          const every = training.every((r) => holds(r[feature] as number, t));
          const codes = suspicious(text).map((s) => s[0]);
          expect(codes.includes('CONDITION_ALWAYS_TRUE')).toBe(every);
          expect(codes.filter((c) => c !== 'CONDITION_ALWAYS_TRUE')).toEqual([]);
        },
      ),
      { numRuns: 100 },
    );
  });
});
