import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BAD_NUMBERS_ALLOWED,
  hasBadNumbers,
  parseTable,
  readTable,
  type ColumnType,
} from '../../src/data/read-csv';
import type { Schema } from '../../src/data/types';
import { catchError } from './catch-error';

const DATA = path.join(__dirname, '../../data');
const FIXTURES = path.join(__dirname, '../fixtures/data');
const fixture = (name: string): string => path.join(FIXTURES, name);

describe('readTable on the bundled data sets', () => {
  test('german-credit: 1000 rows, 7 numeric and 13 categorical features, good/bad', () => {
    const table = readTable(path.join(DATA, 'german-credit.csv'));
    const { schema } = table;
    expect(schema.format).toBe('neurules.schema');
    expect(schema.version).toBe(1);
    expect(schema.target).toBe('class');
    expect(schema.rows).toBe(1000);
    expect(table.records).toHaveLength(1000);
    expect(table.labels).toHaveLength(1000);
    expect(schema.classes).toEqual(['bad', 'good']);
    const numeric = schema.features.filter((f) => f.type === 'numeric').map((f) => f.name);
    expect(numeric).toEqual([
      'duration',
      'credit_amount',
      'installment_commitment',
      'residence_since',
      'age',
      'existing_credits',
      'num_dependents',
    ]);
    expect(schema.features.filter((f) => f.type === 'categorical')).toHaveLength(13);
    expect(table.labels.filter((l) => l === 1)).toHaveLength(700);
    expect(table.lines[0]).toBe(2);
    expect(table.lines[999]).toBe(1001);
    expect(table.records[0]).toMatchObject({ checking_status: '<0', duration: 6, age: 67 });
    const age = schema.features.find((f) => f.name === 'age');
    expect(age).toMatchObject({ type: 'numeric', min: 19, max: 75, integer: true, missing: 0 });
    const checking = schema.features.find((f) => f.name === 'checking_status');
    expect(checking).toMatchObject({
      type: 'categorical',
      levels: ['<0', '0<=X<200', 'no checking', '>=200'], // order of first appearance
    });
  });

  test('iris: 150 rows, 4 numeric features, 3 classes', () => {
    const table = readTable(path.join(DATA, 'iris.csv'));
    expect(table.records).toHaveLength(150);
    expect(table.schema.features.map((f) => f.type)).toEqual(Array(4).fill('numeric'));
    expect(table.schema.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    const petal = table.schema.features.find((f) => f.name === 'petal_length');
    expect(petal).toMatchObject({ min: 1, max: 6.9, integer: false });
    if (petal?.type === 'numeric') {
      expect(petal.mean).toBeCloseTo(3.758, 3);
      expect(petal.std).toBeCloseTo(1.759, 3); // population std
    }
  });

  test('breast cancer: 569 rows, 30 numeric features, 2 classes', () => {
    const table = readTable(path.join(DATA, 'breast-cancer-wisconsin.csv'));
    expect(table.records).toHaveLength(569);
    expect(table.schema.features).toHaveLength(30);
    expect(table.schema.features.every((f) => f.type === 'numeric')).toBe(true);
    expect(table.schema.classes).toEqual(['benign', 'malignant']);
  });
});

describe('readTable parsing', () => {
  test('a column named __proto__ is read into an own key of each record, not its prototype', () => {
    const table = parseTable('__proto__,colour,class\n3,red,a\n5,blue,b\n', {});
    expect(table.schema.features[0]).toMatchObject({
      name: '__proto__',
      type: 'numeric',
      missing: 0,
    });
    expect(
      table.records.map((r) => Object.getOwnPropertyDescriptor(r, '__proto__')?.value),
    ).toEqual([3, 5]);
    expect(Object.getPrototypeOf(table.records[0])).toBe(Object.prototype);
  });

  test('quoted fields with commas and newlines, blank and empty rows, true line numbers', () => {
    const table = readTable(fixture('quoted.csv'));
    expect(table.schema.features.map((f) => [f.name, f.type])).toEqual([
      ['id', 'numeric'],
      ['note, with comma', 'categorical'],
      ['size', 'numeric'],
    ]);
    expect(table.records.map((r) => r['note, with comma'])).toEqual([
      'plain',
      'has, a comma',
      'spans\ntwo lines',
      'he said "hi"',
      'three\nlines\nhere',
      null,
      'last',
    ]);
    expect(table.lines).toEqual([2, 3, 4, 6, 9, 12, 14]);
    expect(table.records.map((r) => r['size'])).toEqual([10, 20.5, null, null, 30, 40, 50]);
    expect(table.schema.features[2]).toMatchObject({ missing: 2, integer: false, min: 10 });
  });

  test('CRLF line ends, a byte-order mark, and CRLF inside quotes', () => {
    const text = '\uFEFFx,y,label\r\n1,"a\r\nb",p\r\n2,c,q\r\n\r\n3,d,p\r\n';
    const table = parseTable(text);
    expect(table.schema.features.map((f) => f.name)).toEqual(['x', 'y']);
    expect(table.schema.target).toBe('label');
    expect(table.records.map((r) => r['y'])).toEqual(['a\r\nb', 'c', 'd']);
    expect(table.lines).toEqual([2, 4, 6]);
  });

  test('mixed line ends and whitespace around fields', () => {
    const table = parseTable('x , y,label\n 1 , a ,p\r\n2,b,q\r3,"c",p');
    expect(table.schema.features.map((f) => f.name)).toEqual(['x', 'y']);
    expect(table.records).toEqual([
      { x: 1, y: 'a' },
      { x: 2, y: 'b' },
      { x: 3, y: 'c' },
    ]);
    expect(table.lines).toEqual([2, 3, 4]);
  });

  test('missing values are null and counted; numbers are parsed strictly', () => {
    const csv = [
      'n,code,mixed,empty,class',
      '1,0x1F,1,,a',
      '?,1e3,two,?,b',
      ' NA ,1.5,3,NA,a',
      '-2.5e1,+4,4,,b',
    ].join('\n');
    // '0x1F' and 'two' are not numbers: a column of numbers with such a cell is refused...
    const e = catchError(() => parseTable(csv));
    expect(e.issues.map((i) => [i.code, i.line, i.column, i.field])).toEqual([
      ['INVALID_NUMBER', 2, 2, 'code'],
      ['INVALID_NUMBER', 3, 3, 'mixed'],
    ]);
    // ...and read as text when forced categorical.
    const table = parseTable(csv, { types: { code: 'categorical', mixed: 'categorical' } });
    const [n, code, mixed, empty] = table.schema.features;
    expect(n).toMatchObject({ type: 'numeric', missing: 2, min: -25, max: 1, integer: true });
    expect(code).toMatchObject({ type: 'categorical', levels: ['0x1F', '1e3', '1.5', '+4'] });
    expect(mixed).toMatchObject({ type: 'categorical', levels: ['1', 'two', '3', '4'] });
    expect(empty).toMatchObject({ type: 'categorical', levels: [], missing: 4 });
    expect(table.records.map((r) => r['n'])).toEqual([1, null, null, -25]);
  });

  test('target by name; types force numeric or categorical', () => {
    const csv = 'class,zip,score,other\nyes,01234,1,x\nno,99999,2,y\nyes,12345,3,x\n';
    const table = parseTable(csv, { target: 'class', types: { zip: 'categorical' } });
    expect(table.schema.target).toBe('class');
    expect(table.schema.features.map((f) => [f.name, f.type])).toEqual([
      ['zip', 'categorical'],
      ['score', 'numeric'],
      ['other', 'categorical'],
    ]);
    expect(table.records[0]).toEqual({ zip: '01234', score: 1, other: 'x' });
    expect(table.labels).toEqual([1, 0, 1]);
  });

  test('column names that are Object.prototype keys are ordinary columns', () => {
    // As the CLI would build it from `--type valueOf=categorical`.
    const forced = JSON.parse('{"valueOf": "categorical"}') as Record<string, ColumnType>;
    const table = parseTable('constructor,toString,valueOf,c\n1,x,3,a\n2,y,4,b\n', {
      types: forced,
    });
    const types = table.schema.features.map((f) => f.type);
    expect(types).toEqual(['numeric', 'categorical', 'categorical']);
  });

  test('numeric class labels sort numerically, others by code units', () => {
    expect(parseTable('x,c\n1,10\n2,9\n3,2\n4,10\n').schema.classes).toEqual(['2', '9', '10']);
    expect(parseTable('x,c\n1,b\n2,B\n3,a\n4,10\n').schema.classes).toEqual(['10', 'B', 'a', 'b']);
  });

  test('with a schema: values coerced, unseen categories kept, labels by the schema', () => {
    const schema = readTable(fixture('target-not-found.csv')).schema;
    const csv = 'class,city,age\nno,Oslo,41\nyes,Paris,?\n';
    const table = parseTable(csv, { schema });
    expect(table.schema).toBe(schema);
    expect(table.records).toEqual([
      { age: 41, city: 'Oslo' },
      { age: null, city: 'Paris' },
    ]);
    expect(table.labels).toEqual([0, 1]);
  });
});

describe('readTable errors', () => {
  const schema: Schema = {
    format: 'neurules.schema',
    version: 1,
    target: 'class',
    features: [
      {
        name: 'age',
        type: 'numeric',
        min: 30,
        max: 31,
        mean: 30.5,
        std: 0.5,
        integer: true,
        missing: 0,
      },
      { name: 'city', type: 'categorical', levels: ['Paris', 'Rome'], missing: 0 },
    ],
    classes: ['no', 'yes'],
    rows: 2,
  };

  test('FILE_NOT_FOUND', () => {
    const file = fixture('no-such-file.csv');
    const e = catchError(() => readTable(file));
    expect(e.code).toBe('FILE_NOT_FOUND');
    expect(e.file).toBe(file);
  });

  test('EMPTY_FILE (also for a file of only a BOM and blank lines)', () => {
    expect(catchError(() => readTable(fixture('empty-file.csv'))).code).toBe('EMPTY_FILE');
    expect(catchError(() => parseTable('\uFEFF\r\n\n  \n')).code).toBe('EMPTY_FILE');
  });

  test('HEADER_ONLY', () => {
    const e = catchError(() => readTable(fixture('header-only.csv')));
    expect(e.code).toBe('HEADER_ONLY');
    expect(e.line).toBe(1);
  });

  test('CSV_SYNTAX at the line where the unclosed quote opens', () => {
    const e = catchError(() => readTable(fixture('csv-syntax.csv')));
    expect(e).toMatchObject({ code: 'CSV_SYNTAX', line: 3, column: 2 });
    expect(e.file).toBe(fixture('csv-syntax.csv'));
  });

  test('CSV_SYNTAX for text after a closing quote, after a multi-line field', () => {
    const e = catchError(() => parseTable('a,b\n"x\r\ny",1\n2,"z"q\n'));
    expect(e).toMatchObject({ code: 'CSV_SYNTAX', line: 4 });
  });

  test('RAGGED_ROW: every ragged row, with its line', () => {
    const e = catchError(() => readTable(fixture('ragged-row.csv')));
    expect(e.code).toBe('RAGGED_ROW');
    expect(e.issues.map((i) => [i.code, i.line])).toEqual([
      ['RAGGED_ROW', 4],
      ['RAGGED_ROW', 5],
    ]);
    expect(e.message).toMatch(/expected 3 fields .* found 2/);
  });

  test('DUPLICATE_COLUMN', () => {
    const e = catchError(() => readTable(fixture('duplicate-column.csv')));
    expect(e).toMatchObject({ code: 'DUPLICATE_COLUMN', line: 1, column: 3, field: 'a' });
  });

  test('EMPTY_COLUMN_NAME', () => {
    const e = catchError(() => readTable(fixture('empty-column-name.csv')));
    expect(e).toMatchObject({ code: 'EMPTY_COLUMN_NAME', line: 1, column: 2 });
  });

  test('TARGET_NOT_FOUND lists the columns and suggests the near name', () => {
    const e = catchError(() => readTable(fixture('target-not-found.csv'), { target: 'clas' }));
    expect(e).toMatchObject({ code: 'TARGET_NOT_FOUND', field: 'clas', line: 1 });
    expect(e.message).toContain("'age', 'city', 'class'");
    expect(e.message).toContain("did you mean 'class'?");
  });

  test('UNKNOWN_COLUMN for a type given to a column not in the header', () => {
    const e = catchError(() =>
      readTable(fixture('unknown-column.csv'), { types: { agee: 'numeric', city: 'categorical' } }),
    );
    expect(e).toMatchObject({ code: 'UNKNOWN_COLUMN', field: 'agee' });
    expect(e.message).toContain("did you mean 'age'?");
  });

  test('NOT_A_NUMBER: every bad value of a forced numeric column', () => {
    const e = catchError(() =>
      readTable(fixture('not-a-number.csv'), { types: { age: 'numeric' } }),
    );
    expect(e).toMatchObject({ code: 'NOT_A_NUMBER', line: 3, column: 1, field: 'age' });
    expect(e.issues.map((i) => i.line)).toEqual([3, 5]);
    expect(e.message).toContain("'abc'");
    // Without forcing, a column of numbers with a few other values is INVALID_NUMBER.
    const unforced = catchError(() => readTable(fixture('not-a-number.csv')));
    expect(unforced.issues.map((i) => [i.code, i.line, i.column])).toEqual([
      ['INVALID_NUMBER', 3, 1],
      ['INVALID_NUMBER', 5, 1],
    ]);
  });

  test('MISSING_TARGET: every row without a class', () => {
    const e = catchError(() => readTable(fixture('missing-target.csv')));
    expect(e).toMatchObject({ code: 'MISSING_TARGET', line: 3, column: 3, field: 'class' });
    expect(e.issues.map((i) => i.line)).toEqual([3, 5]);
  });

  test('SINGLE_CLASS', () => {
    const e = catchError(() => readTable(fixture('single-class.csv')));
    expect(e).toMatchObject({ code: 'SINGLE_CLASS', field: 'class' });
  });

  test('NO_FEATURES', () => {
    expect(catchError(() => readTable(fixture('no-features.csv'))).code).toBe('NO_FEATURES');
  });

  test('INVALID_ARGUMENT for forcing the target numeric or mixing schema and types', () => {
    const file = fixture('target-not-found.csv');
    expect(catchError(() => readTable(file, { types: { class: 'numeric' } })).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(catchError(() => readTable(file, { schema, types: {} })).code).toBe('INVALID_ARGUMENT');
  });

  test('with a schema: WRONG_TYPE with line, column and field', () => {
    const e = catchError(() => readTable(fixture('wrong-type.csv'), { schema }));
    expect(e).toMatchObject({ code: 'WRONG_TYPE', line: 6, column: 1, field: 'age' });
  });

  test('with a schema: UNKNOWN_CATEGORY for a class the model does not know', () => {
    const e = catchError(() => readTable(fixture('unknown-category.csv'), { schema }));
    expect(e).toMatchObject({ code: 'UNKNOWN_CATEGORY', line: 3, column: 3, field: 'class' });
  });

  test('with a schema: MISSING_FEATURE and UNKNOWN_FEATURE in the header', () => {
    const missing = catchError(() => readTable(fixture('missing-feature.csv'), { schema }));
    expect(missing).toMatchObject({ code: 'MISSING_FEATURE', field: 'city', line: 1 });
    const unknown = catchError(() => readTable(fixture('unknown-feature.csv'), { schema }));
    expect(unknown).toMatchObject({ code: 'UNKNOWN_FEATURE', field: 'ctiy', column: 3 });
    expect(unknown.message).toContain("did you mean 'city'?");
  });

  test('issues are capped but counted', () => {
    const rows = Array.from({ length: 120 }, (_, i) => `${i},x`);
    const e = catchError(() => parseTable(['a,b,class', ...rows].join('\n')));
    expect(e.code).toBe('RAGGED_ROW');
    expect(e.issues).toHaveLength(50);
    expect(e.message).toContain('119 more');
  });

  test('the file name is the place of errors', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-data-'));
    try {
      const file = path.join(dir, 'bad.csv');
      fs.writeFileSync(file, 'a,b\n1,2\n3\n');
      expect(catchError(() => readTable(file))).toMatchObject({ file, line: 3 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('numeric columns with bad cells (INVALID_NUMBER)', () => {
  /** A CSV of `n` rows: x a number (or `bad(i)`), c a category, then the class. */
  const csvWith = (n: number, bad: (i: number) => string | undefined): string =>
    [
      'x,c,class',
      ...Array.from(
        { length: n },
        (_, i) => `${bad(i) ?? (i * 1.01).toFixed(2)},k${i % 3},${i % 2 ? 'p' : 'q'}`,
      ),
    ].join('\n');

  test('one inf cell in a numeric column: its line, column and field', () => {
    const csv = csvWith(20, (i) => (i === 6 ? 'inf' : undefined));
    const e = catchError(() => parseTable(csv, { file: 'f.csv' }));
    expect(e).toMatchObject({
      code: 'INVALID_NUMBER',
      file: 'f.csv',
      line: 8,
      column: 1,
      field: 'x',
    });
    expect(e.issues).toHaveLength(1);
  });

  test.each([
    'inf',
    '-inf',
    'Infinity',
    '-Infinity',
    'NaN',
    'nan',
    '1e309',
    '"5,05"',
    '"1,000"',
    'n/a',
  ])("'%s' among numbers is a bad cell, not a category", (cell) => {
    const e = catchError(() => parseTable(csvWith(20, (i) => (i === 3 ? cell : undefined))));
    expect(e.issues.map((i) => [i.code, i.line, i.column])).toEqual([['INVALID_NUMBER', 5, 1]]);
  });

  test('every bad cell is listed in file order, across columns', () => {
    const csv = 'a,b,class\n1,NaN,p\ninf,2,q\n3,4,p\n4,5,q\n5,1e309,p\n';
    const e = catchError(() => parseTable(csv));
    expect(e.issues.map((i) => [i.code, i.line, i.column])).toEqual([
      ['INVALID_NUMBER', 2, 2],
      ['INVALID_NUMBER', 3, 1],
      ['INVALID_NUMBER', 6, 2],
    ]);
  });

  test('forcing the column categorical reads the bad cell as a level', () => {
    const csv = csvWith(20, (i) => (i === 6 ? 'inf' : undefined));
    const table = parseTable(csv, { types: { x: 'categorical' } });
    const x = table.schema.features[0]!;
    expect(x.type).toBe('categorical');
    expect(x.type === 'categorical' && x.levels).toContain('inf');
    expect(table.records[6]!['x']).toBe('inf');
  });

  test('forcing it numeric reports NOT_A_NUMBER instead', () => {
    const csv = csvWith(20, (i) => (i === 6 ? 'inf' : undefined));
    const e = catchError(() => parseTable(csv, { types: { x: 'numeric' } }));
    expect(e.issues.map((i) => [i.code, i.line, i.column])).toEqual([['NOT_A_NUMBER', 8, 1]]);
  });

  test("missing markers ('', '?', 'NA') are missing values, not bad cells", () => {
    const markers = ['', '?', 'NA', ' NA '];
    const table = parseTable(csvWith(20, (i) => markers[i % 5]));
    expect(table.schema.features[0]).toMatchObject({ type: 'numeric', missing: 16 });
  });

  test('a column that is mostly text stays categorical', () => {
    const codes = ['A11', 'A12', 'B7', '12', 'C', '0'];
    const table = parseTable(csvWith(30, (i) => codes[i % codes.length]));
    expect(table.schema.features[0]?.type).toBe('categorical');
  });

  test('"a few": at most 10 bad cells, or 5% of the values when that is more, and fewer than the numbers', () => {
    const badEvery = (n: number, bad: number) => csvWith(n, (i) => (i < bad ? 'x' + i : undefined));
    // 10 of 100: numeric with bad cells; 11 of 100: categorical.
    expect(catchError(() => parseTable(badEvery(100, BAD_NUMBERS_ALLOWED))).issues).toHaveLength(
      10,
    );
    expect(parseTable(badEvery(100, 11)).schema.features[0]?.type).toBe('categorical');
    // 40 of 1000 (4%): numeric with bad cells (each listed).
    const e = catchError(() => parseTable(badEvery(1000, 40)));
    expect(e.code).toBe('INVALID_NUMBER');
    expect(e.issues).toHaveLength(40);
    // 60 of 1000 (6%): categorical.
    expect(parseTable(badEvery(1000, 60)).schema.features[0]?.type).toBe('categorical');
    // As many words as numbers: categorical.
    expect(parseTable(badEvery(6, 3)).schema.features[0]?.type).toBe('categorical');
    expect(hasBadNumbers(0, 1)).toBe(false);
    expect(hasBadNumbers(1, 0)).toBe(false);
    expect(hasBadNumbers(2, 1)).toBe(true);
  });

  test("the target column is never checked: numeric labels with an 'inf' class are labels", () => {
    const csv = 'x,y\n1,1\n2,2\n3,inf\n4,1\n';
    expect(parseTable(csv).schema.classes).toEqual(['1', '2', 'inf']);
  });
});
