import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { CSV_OPTIONS, type CsvRow } from '../../src/data/parse-csv';
import { LineSplitter, streamCsvRows, streamRecords } from '../../src/data/stream-records';
import type { Schema } from '../../src/data/types';

/** csv-parse over the whole text, as the streaming reader used it before (the reference). */
function referenceRows(text: string): CsvRow[] {
  const { record_delimiter: _all, ...options } = CSV_OPTIONS;
  const items = parse(text, { ...options, info: true }) as unknown as {
    record: string[];
    info: { lines: number };
  }[];
  return items.map(({ record, info }) => ({
    fields: record,
    line: info.lines - record.reduce((s, f) => s + (f.match(/\r\n|\n|\r/g)?.length ?? 0), 0),
  }));
}

async function* chunked(text: string, cuts: number[]): AsyncGenerator<string> {
  let start = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut <= start || cut >= text.length) continue;
    yield text.slice(start, cut);
    start = cut;
  }
  yield text.slice(start);
}

async function streamed(text: string, cuts: number[]): Promise<CsvRow[]> {
  const rows: CsvRow[] = [];
  for await (const batch of streamCsvRows(chunked(text, cuts))) rows.push(...batch);
  return rows;
}

const plain = fc.constantFrom('a', 'b', '1', '2.5', ' ', '\t', '-', '\u00a0', '?', 'x y');
const unquotedField = fc.array(plain, { maxLength: 4 }).map((parts) => parts.join(''));

/** CSV text: rows of fields joined by one line delimiter, with blank lines and a BOM maybe. */
function csvText(quoted: boolean) {
  const delimiter = fc.constantFrom('\n', '\r\n', '\r');
  return delimiter.chain((nl) => {
    const inside = fc
      .array(fc.constantFrom('a', ',', ' ', '""', nl, 'b'), { maxLength: 4 })
      .map((p) => `"${p.join('')}"`);
    const field = quoted
      ? fc.oneof({ weight: 4, arbitrary: unquotedField }, inside)
      : unquotedField;
    const row = fc.oneof(
      {
        weight: 6,
        arbitrary: fc.array(field, { minLength: 1, maxLength: 4 }).map((f) => f.join(',')),
      },
      { weight: 1, arbitrary: fc.constantFrom('', '  ', '\t') },
    );
    return fc
      .tuple(
        fc.array(row, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat(60), { maxLength: 6 }),
      )
      .map(([rows, bom, trailing, cuts]) => ({
        text: (bom ? '\uFEFF' : '') + rows.join(nl) + (trailing ? nl : ''),
        cuts,
      }));
  });
}

describe('streamCsvRows reads CSV as csv-parse does', () => {
  it('unquoted text, cut into chunks anywhere: the same rows and lines', async () => {
    await fc.assert(
      fc.asyncProperty(csvText(false), async ({ text, cuts }) => {
        expect(await streamed(text, cuts)).toEqual(referenceRows(text));
      }),
      { numRuns: 400 },
    );
  });

  it('quoted fields (with commas, quotes and line breaks inside): the same rows and lines', async () => {
    await fc.assert(
      fc.asyncProperty(csvText(true), async ({ text, cuts }) => {
        expect(await streamed(text, cuts)).toEqual(referenceRows(text));
      }),
      { numRuns: 400 },
    );
  });

  it('an unclosed quote is CSV_SYNTAX with the line', async () => {
    const e = await streamed('a,b\n1,2\n3,"4\n', []).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'CSV_SYNTAX' });
  });
});

describe('LineSplitter', () => {
  it('any: LF, CRLF and CR end lines, also split across chunks', () => {
    const s = new LineSplitter('any');
    const lines = [...s.push('\uFEFFa\r'), ...s.push('\nb\rc'), ...s.push('\n'), ...s.end()];
    expect(lines.map((l) => [l.text, l.line])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
  });

  it('any: the same lines as splitting the whole text, wherever the chunks are cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', ' ', '\n', '\r', '\r\n'), { maxLength: 30 }),
        fc.array(fc.nat(40), { maxLength: 6 }),
        (parts, cuts) => {
          const text = parts.join('');
          const s = new LineSplitter('any');
          const lines = [];
          let start = 0;
          for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
            if (cut <= start || cut >= text.length) continue;
            lines.push(...s.push(text.slice(start, cut)));
            start = cut;
          }
          lines.push(...s.push(text.slice(start)), ...s.end());
          const expected = text.split(/\r\n|\n|\r/);
          if (expected[expected.length - 1] === '') expected.pop();
          expect(lines.map((l) => l.text)).toEqual(expected);
          expect(lines.map((l) => l.line)).toEqual(expected.map((_, i) => i + 1));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('detect: only the first delimiter found ends lines', () => {
    const s = new LineSplitter('detect');
    const lines = [...s.push('a\nb\rc\n'), ...s.end()];
    expect(lines.map((l) => l.text)).toEqual(['a', 'b\rc']);
  });
});

describe('streamRecords', () => {
  const schema: Schema = {
    format: 'neurules.schema',
    version: 1,
    target: 'y',
    classes: ['n', 'p'],
    rows: 2,
    features: [
      { name: 'x', type: 'numeric', min: 0, max: 9, mean: 1, std: 1, integer: false, missing: 0 },
      { name: 'c', type: 'categorical', levels: ['u', 'v'], missing: 0 },
    ],
  };
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-stream-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function read(name: string, text: string, format: 'csv' | 'jsonl') {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    const records = [];
    for await (const batch of streamRecords(file, schema, { format, chunkBytes: 5 })) {
      records.push(...batch.records);
    }
    return records;
  }

  it('CSV: records with labels and lines; bad rows carry their issues; quotes switch readers', async () => {
    const records = await read('a.csv', 'x,c,y\n1,u,p\n\n2,w,n\n3\n"4",v,p\n', 'csv');
    expect(records.map((r) => [r.line, r.record, r.label, r.issues.map((i) => i.code)])).toEqual([
      [2, { x: 1, c: 'u' }, 1, []],
      [4, { x: 2, c: null }, 0, ['UNKNOWN_CATEGORY']],
      [5, {}, null, ['RAGGED_ROW']],
      [6, { x: 4, c: 'v' }, 1, []],
    ]);
  });

  it('JSONL: blank lines skipped, bad lines carry INVALID_JSON, CR line ends count', async () => {
    const text = '{"x":1,"c":"u"}\r\n\r\n[1]\r{"x":"2","c":"v","y":"p"}';
    const records = await read('a.jsonl', text, 'jsonl');
    expect(records.map((r) => [r.line, r.label, r.issues.map((i) => i.code)])).toEqual([
      [1, null, []],
      [3, null, ['INVALID_JSON']],
      [4, 1, []],
    ]);
  });

  it('a CSV file with no header is EMPTY_FILE', async () => {
    await expect(read('empty.csv', '\n\n', 'csv')).rejects.toMatchObject({ code: 'EMPTY_FILE' });
  });

  it('a header and no data row is HEADER_ONLY at the header line (rows of empty fields do not count)', async () => {
    const file = path.join(dir, 'header.csv');
    await expect(read('header.csv', '\nx,c,y\n', 'csv')).rejects.toMatchObject({
      code: 'HEADER_ONLY',
      file,
      line: 2,
    });
    await expect(read('header.csv', 'x,c,y\n,,\n , ,\n', 'csv')).rejects.toMatchObject({
      code: 'HEADER_ONLY',
      line: 1,
    });
  });

  it('rows of empty fields only are skipped, as build skips them', async () => {
    const records = await read('blank-fields.csv', 'x,c,y\n1,u,p\n,,\n2,v,n\n', 'csv');
    expect(records.map((r) => r.line)).toEqual([2, 4]);
  });

  it('a duplicate header name is DUPLICATE_COLUMN with line 1 and the column, before any record', async () => {
    await expect(read('dup.csv', 'x,c,y,x\n1,u,p,2\n', 'csv')).rejects.toMatchObject({
      code: 'DUPLICATE_COLUMN',
      line: 1,
      column: 4,
      field: 'x',
    });
    // Also when the header is read by csv-parse (a quoted field).
    await expect(read('dup-quoted.csv', '"x",c,"c"\n1,u,v\n', 'csv')).rejects.toMatchObject({
      code: 'DUPLICATE_COLUMN',
      line: 1,
      column: 3,
    });
  });

  it('a directory is INPUT_IS_DIRECTORY naming it, for CSV and JSONL', async () => {
    const sub = path.join(dir, 'a-directory.csv');
    fs.mkdirSync(sub);
    for (const format of ['csv', 'jsonl'] as const) {
      const batches = streamRecords(sub, schema, { format });
      await expect(batches.next()).rejects.toMatchObject({ code: 'INPUT_IS_DIRECTORY', file: sub });
    }
  });

  it('an abort signal stops the reading with its reason, also inside quoted CSV', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => `${i % 9},"u",p`).join('\n');
    const file = path.join(dir, 'long.csv');
    fs.writeFileSync(file, `x,c,y\n${rows}\n`);
    const controller = new AbortController();
    const reason = new Error('stop');
    let batches = 0;
    const reading = (async () => {
      for await (const _ of streamRecords(file, schema, {
        format: 'csv',
        chunkBytes: 64,
        signal: controller.signal,
      })) {
        if (++batches === 1) controller.abort(reason);
      }
    })();
    await expect(reading).rejects.toBe(reason);
    expect(batches).toBe(1);
  });
});
