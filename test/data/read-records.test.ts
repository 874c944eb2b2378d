import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { coerceRecord } from '../../src/data/coerce-record';
import { readTable } from '../../src/data/read-csv';
import { parseJsonlLine, parseRecords, readRecords } from '../../src/data/read-records';
import type { Schema } from '../../src/data/types';
import { catchError } from './catch-error';

const FIXTURES = path.join(__dirname, '../fixtures/data');

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'class',
  features: [
    {
      name: 'age',
      type: 'numeric',
      min: 20,
      max: 60,
      mean: 40,
      std: 10,
      integer: true,
      missing: 0,
    },
    { name: 'city', type: 'categorical', levels: ['Paris', 'Rome', 'Oslo'], missing: 0 },
    { name: 'member', type: 'categorical', levels: ['true', 'false'], missing: 0 },
  ],
  classes: ['no', 'yes'],
  rows: 3,
};

describe('coerceRecord', () => {
  test('converts valid values, ignores the target, keeps schema order', () => {
    const { record, issues } = coerceRecord(schema, {
      class: 'yes',
      member: true,
      city: ' Rome ',
      age: '41',
    });
    expect(issues).toEqual([]);
    expect(record).toEqual({ age: 41, city: 'Rome', member: 'true' });
    expect(Object.keys(record)).toEqual(['age', 'city', 'member']);
  });

  test('null and the missing markers are missing values', () => {
    const { record, issues } = coerceRecord(schema, { age: null, city: '?', member: 'NA' });
    expect(issues).toEqual([]);
    expect(record).toEqual({ age: null, city: null, member: null });
  });

  test('collects every problem at once, each with its field', () => {
    const { record, issues } = coerceRecord(
      schema,
      { ag: 30, age: 'abc', city: 'Pariss', membr: 'true' },
      { file: 'x.jsonl', line: 4 },
    );
    expect(issues.map((i) => [i.code, i.field])).toEqual([
      ['UNKNOWN_FEATURE', 'ag'],
      ['UNKNOWN_FEATURE', 'membr'],
      ['WRONG_TYPE', 'age'],
      ['UNKNOWN_CATEGORY', 'city'],
      ['MISSING_FEATURE', 'member'],
    ]);
    expect(issues.every((i) => i.file === 'x.jsonl' && i.line === 4)).toBe(true);
    expect(issues[0]?.message).toContain("did you mean 'age'?");
    expect(issues[1]?.message).toContain("did you mean 'member'?");
    expect(issues[3]?.message).toContain("'Paris', 'Rome', 'Oslo'");
    expect(issues[3]?.message).toContain("did you mean 'Paris'?");
    expect(record).toEqual({ age: null, city: null, member: null });
  });

  test('WRONG_TYPE for objects, arrays, booleans and non-finite numbers', () => {
    const { issues } = coerceRecord(schema, { age: Infinity, city: { a: 1 }, member: [true] });
    expect(issues.map((i) => [i.code, i.field])).toEqual([
      ['WRONG_TYPE', 'age'],
      ['WRONG_TYPE', 'city'],
      ['WRONG_TYPE', 'member'],
    ]);
    expect(coerceRecord(schema, { age: true, city: 1, member: 'true' }).issues).toEqual([
      expect.objectContaining({ code: 'WRONG_TYPE', field: 'age' }),
      expect.objectContaining({ code: 'UNKNOWN_CATEGORY', field: 'city' }),
    ]);
  });

  test("unknownCategories: 'keep' keeps unseen levels", () => {
    const raw = { age: 30, city: 'Lima', member: 'false' };
    const { record, issues } = coerceRecord(schema, raw, {}, { unknownCategories: 'keep' });
    expect(issues).toEqual([]);
    expect(record['city']).toBe('Lima');
  });
});

describe('readRecords', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-records-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  test('CSV with the target column: labels by class, null when unknown or missing', () => {
    const file = write(
      'a.csv',
      'city,age,member,class\nRome,30,true,yes\nOslo,?,false,\nParis,50,true,maybe\n',
    );
    const set = readRecords(file, schema);
    expect(set.records).toEqual([
      { age: 30, city: 'Rome', member: 'true' },
      { age: null, city: 'Oslo', member: 'false' },
      { age: 50, city: 'Paris', member: 'true' },
    ]);
    expect(set.labels).toEqual([1, null, null]);
    expect(set.lines).toEqual([2, 3, 4]);
  });

  test('CSV without the target column', () => {
    const set = parseRecords('age,city,member\n30,Rome,true\n', schema, { format: 'csv' });
    expect(set.labels).toEqual([null]);
  });

  test('CSV: MISSING_FEATURE and UNKNOWN_FEATURE from the header, all at once', () => {
    const e = catchError(() => parseRecords('age,town,class\n30,Rome,yes\n', schema));
    expect(e.issues.map((i) => [i.code, i.field])).toEqual([
      ['MISSING_FEATURE', 'city'],
      ['MISSING_FEATURE', 'member'],
      ['UNKNOWN_FEATURE', 'town'],
    ]);
    expect(e.issues[2]).toMatchObject({ line: 1, column: 2 });
  });

  test('CSV: value problems carry line, column and field', () => {
    const e = catchError(() =>
      parseRecords('age,city,member\n30,Rome,true\nold,Lima,true\n', schema),
    );
    expect(e.issues).toEqual([
      expect.objectContaining({ code: 'WRONG_TYPE', line: 3, column: 1, field: 'age' }),
      expect.objectContaining({ code: 'UNKNOWN_CATEGORY', line: 3, column: 2, field: 'city' }),
    ]);
  });

  test('JSONL: blank lines skipped, numeric strings and nulls accepted, labels read', () => {
    const file = write(
      'b.jsonl',
      '{"age": 30, "city": "Rome", "member": "true", "class": "no"}\n\n' +
        '{"age": "41", "city": null, "member": false}\r\n',
    );
    const set = readRecords(file, schema);
    expect(set.records).toEqual([
      { age: 30, city: 'Rome', member: 'true' },
      { age: 41, city: null, member: 'false' },
    ]);
    expect(set.labels).toEqual([0, null]);
    expect(set.lines).toEqual([1, 3]);
  });

  test('INVALID_JSON with the line, together with the other problems', () => {
    const file = path.join(FIXTURES, 'invalid-json.jsonl');
    const e = catchError(() => readRecords(file, schema));
    expect(e).toMatchObject({ code: 'MISSING_FEATURE', file, line: 1, field: 'member' });
    expect(e.issues.map((i) => [i.code, i.line])).toEqual([
      ['MISSING_FEATURE', 1],
      ['INVALID_JSON', 3],
      ['INVALID_JSON', 4],
      ['MISSING_FEATURE', 5],
    ]);
  });

  test('parseJsonlLine: null for a blank line, issues for a bad one', () => {
    expect(parseJsonlLine(schema, '   ', { line: 1 })).toBeNull();
    const parsed = parseJsonlLine(schema, '"text"', { line: 7 });
    expect(parsed?.issues).toEqual([expect.objectContaining({ code: 'INVALID_JSON', line: 7 })]);
  });

  test('the format is sniffed for other extensions', () => {
    const jsonl = write('c.txt', '{"age": 30, "city": "Rome", "member": "true"}\n');
    expect(readRecords(jsonl, schema).records).toHaveLength(1);
    const csv = write('d.txt', 'age,city,member\n30,Rome,true\n');
    expect(readRecords(csv, schema).records).toHaveLength(1);
  });

  test('EMPTY_FILE, HEADER_ONLY, FILE_NOT_FOUND', () => {
    expect(catchError(() => readRecords(write('e.jsonl', '\n \n'), schema)).code).toBe(
      'EMPTY_FILE',
    );
    expect(catchError(() => readRecords(write('f.csv', 'age,city,member\n'), schema)).code).toBe(
      'HEADER_ONLY',
    );
    expect(catchError(() => readRecords(path.join(dir, 'nope.csv'), schema)).code).toBe(
      'FILE_NOT_FOUND',
    );
  });

  test('INPUT_IS_DIRECTORY naming the path, for readRecords and readTable', () => {
    const sub = path.join(dir, 'records.csv');
    fs.mkdirSync(sub);
    expect(catchError(() => readRecords(sub, schema))).toMatchObject({
      code: 'INPUT_IS_DIRECTORY',
      file: sub,
    });
    expect(catchError(() => readTable(sub))).toMatchObject({
      code: 'INPUT_IS_DIRECTORY',
      file: sub,
    });
  });

  test('CSV: the header is checked as build checks it (DUPLICATE_COLUMN, HEADER_ONLY with its line)', () => {
    const dup = catchError(() => parseRecords('age,city,member,age\n30,Rome,true,31\n', schema));
    expect(dup).toMatchObject({ code: 'DUPLICATE_COLUMN', line: 1, column: 4, field: 'age' });
    // Rows of empty fields only are skipped as build skips them: still header only.
    const only = catchError(() =>
      parseRecords('\nage,city,member\n,,\n', schema, { file: 'h.csv' }),
    );
    expect(only).toMatchObject({ code: 'HEADER_ONLY', file: 'h.csv', line: 2 });
  });

  test('reads the bundled german-credit file against its own schema', () => {
    const file = path.join(__dirname, '../../data/german-credit.csv');
    const table = readTable(file);
    const set = readRecords(file, table.schema);
    expect(set.records).toEqual(table.records);
    expect(set.labels).toEqual(table.labels);
    expect(set.lines).toEqual(table.lines);
  });
});
