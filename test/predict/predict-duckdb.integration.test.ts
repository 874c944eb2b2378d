import fc from 'fast-check';
import { DuckDBInstance } from '@duckdb/node-api';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileRuleSet } from '../../src/engine/compiled-rules';
import { isNeurulesError } from '../../src/errors';
import { quoteString } from '../../src/exports/to-sql';
import { parseNumber, NUMBER_PATTERN_SQL } from '../../src/data/parse-value';
import { scanCsv } from '../../src/predict/duckdb/scan-csv';
import { predictFileDuckDb } from '../../src/predict/predict-duckdb';
import { predictFile, type PredictSummary } from '../../src/predict/predict-file';
import { type BundledModel, useBundledModels } from '../exports/bundled-models';

// `predict --engine duckdb` must write exactly what `--engine compiled` writes, and
// report exactly the same summary, for every file: each test runs both and compares.

const models = useBundledModels();
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-duckdb-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Run {
  text: string;
  summary: PredictSummary;
}

/** Both engines over one input, each writing `name` (its extension picks the format). */
async function both(
  m: BundledModel,
  input: string,
  options: { name?: string; strict?: boolean; threads?: number; notes?: string[] } = {},
): Promise<{ compiled: Run; duckdb: Run }> {
  const decider = compileRuleSet(m.ruleSet);
  const name = options.name ?? 'out.jsonl';
  const run = async (engine: 'compiled' | 'duckdb'): Promise<Run> => {
    const output = path.join(dir, `${engine}-${name}`);
    const common = { schema: m.schema, decider, input, output, strict: options.strict ?? false };
    const summary =
      engine === 'compiled'
        ? await predictFile(common)
        : await predictFileDuckDb({
            ...common,
            ruleSet: m.ruleSet,
            threads: options.threads,
            onNote: (note) => options.notes?.push(note),
          });
    return { text: await fileText(output), summary };
  };
  return { compiled: await run('compiled'), duckdb: await run('duckdb') };
}

/** A file's text; a Parquet file's rows as JSON, read by DuckDB. */
async function fileText(file: string): Promise<string> {
  if (!file.endsWith('.parquet')) return fs.readFileSync(file, 'utf8');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const described = await c.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet(${quoteString(file)})`,
    );
    const rows = await c.runAndReadAll(`SELECT * FROM read_parquet(${quoteString(file)})`);
    return JSON.stringify([described.getRowsJson(), rows.getRowsJson()]);
  } finally {
    c.closeSync();
  }
}

/** The first line where two texts differ (with both versions), or undefined: a short report. */
function firstDifference(a: string, b: string): string | undefined {
  if (a === b) return undefined;
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((line, k) => line !== y[k]);
  const at = i < 0 ? x.length : i;
  return `line ${at + 1}: ${JSON.stringify(x[at])} against ${JSON.stringify(y[at])}`;
}

function write(name: string, text: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const byName = (name: string): BundledModel => models.find((m) => m.name === name)!;

describe('predict --engine duckdb', () => {
  it('writes the same lines and summary as the compiled engine on every bundled data set', async () => {
    for (const m of models) {
      const { compiled, duckdb } = await both(m, m.data);
      expect(compiled.summary.records).toBeGreaterThan(0);
      expect(firstDifference(duckdb.text, compiled.text)).toBeUndefined();
      expect(duckdb.summary).toEqual(compiled.summary);
    }
  });

  it('keeps file order across threads on a larger file', async () => {
    const m = byName('german-credit');
    const [header, ...rows] = fs.readFileSync(m.data, 'utf8').trim().split('\n');
    // 60,000 rows in a shuffled order (a fixed permutation): out of order shows at once.
    const many: string[] = [];
    for (let i = 0; i < 60_000; i++) many.push(rows[(i * 7919) % rows.length]!);
    const input = write('many.csv', [header, ...many].join('\n') + '\n');
    const { compiled, duckdb } = await both(m, input, { threads: 2 });
    expect(duckdb.summary.records).toBe(60_000);
    expect(firstDifference(duckdb.text, compiled.text)).toBeUndefined();
    expect(duckdb.summary).toEqual(compiled.summary);
  });

  it('reads bad rows as the compiled engine does: same rejections, lines and decisions', async () => {
    const m = byName('german-credit');
    const [header, ...rows] = fs.readFileSync(m.data, 'utf8').trim().split('\n');
    const out = [header];
    for (let i = 0; i < 400; i++) {
      let r = rows[i % rows.length]!.split(',');
      switch (i % 23) {
        case 1:
          r[1] = '1_000';
          break; // DuckDB reads it as 1000; neurules refuses it
        case 2:
          r[1] = 'inf';
          break;
        case 3:
          r[0] = 'never seen';
          break;
        case 4:
          r[0] = ` ${r[0]} `;
          break; // padded: trimmed by neurules
        case 5:
          r[1] = `\t${r[1]}`;
          break;
        case 6:
          r[20] = '1';
          break; // a class named by number
        case 7:
          r[20] = 'unknown';
          break;
        case 8:
          r = r.map(() => '');
          break; // an empty row: skipped
        case 9:
          r.pop();
          break; // ragged: DuckDB rejects it
        case 10:
          r.push('extra');
          break;
        case 11:
          r[4] = '1e999';
          break;
        case 12:
          r[4] = '?';
          break;
        case 13:
          r = r.map(() => 'NA');
          break;
        case 14:
          out.push('   ');
          continue; // white space only: skipped
        case 15:
          r[1] = '+-5';
          break; // DuckDB reads it as -5
        case 16:
          r[12] = '.5e1';
          break;
        case 17:
          r[1] = '5,05'.replace(',', ';');
          break;
      }
      out.push(r.join(','));
    }
    const text = Buffer.from(out.join('\n') + '\n');
    text[text.indexOf('radio/tv')] = 0xff; // not UTF-8: DuckDB rejects the line
    const input = write('dirty.csv', text);
    const { compiled, duckdb } = await both(m, input);
    expect(compiled.summary.rejected).toBeGreaterThan(50);
    expect(firstDifference(duckdb.text, compiled.text)).toBeUndefined();
    expect(duckdb.summary).toEqual(compiled.summary);

    // --strict: the same first bad record, and nothing written.
    const strict = async (engine: 'compiled' | 'duckdb') => {
      const output = path.join(dir, `strict-${engine}.jsonl`);
      const common = {
        schema: m.schema,
        decider: compileRuleSet(m.ruleSet),
        input,
        output,
        strict: true,
      };
      const error = await (
        engine === 'compiled'
          ? predictFile(common)
          : predictFileDuckDb({ ...common, ruleSet: m.ruleSet })
      ).catch((e: unknown) => e);
      expect(isNeurulesError(error)).toBe(true);
      expect(fs.existsSync(output)).toBe(false);
      return (error as { issues: unknown }).issues;
    };
    expect(await strict('duckdb')).toEqual(await strict('compiled'));
  });

  it('random records with missing values, unseen levels and odd numbers: same output', async () => {
    const m = byName('german-credit');
    const header = fs.readFileSync(m.data, 'utf8').split('\n')[0]!;
    const columns = header.split(',');
    const cell = (name: string): fc.Arbitrary<string> => {
      const f = m.schema.features.find((x) => x.name === name);
      const missing = fc.constantFrom('', '?', 'NA', ' NA ');
      if (!f) return fc.constantFrom(...m.schema.classes, '', 'other', ' good');
      if (f.type === 'categorical') {
        return fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...f.levels) },
          { weight: 1, arbitrary: fc.constantFrom(...f.levels).map((l) => ` ${l}`) },
          { weight: 1, arbitrary: missing },
          { weight: 1, arbitrary: fc.constantFrom('never seen', "o'brien", '1') },
        );
      }
      const n = fc.double({ min: f.min - 10, max: f.max + 10, noNaN: true });
      return fc.oneof(
        { weight: 6, arbitrary: n.map((x) => String(f.integer ? Math.round(x) : x)) },
        { weight: 2, arbitrary: missing },
        { weight: 1, arbitrary: fc.constantFrom('007', '+5', '.5', '5.', '1e1', '-0', ' 4') },
        { weight: 1, arbitrary: fc.constantFrom('abc', 'inf', 'NaN', '1e309', '0x10', '1_0') },
      );
    };
    const row = fc.oneof(
      { weight: 12, arbitrary: fc.tuple(...columns.map(cell)).map((cells) => cells.join(',')) },
      { weight: 1, arbitrary: fc.constantFrom(',,,', '  ', 'a,b') },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 60 }), async (rows) => {
        const input = write('random.csv', [header, ...rows].join('\n') + '\n');
        const decider = compileRuleSet(m.ruleSet);
        const common = { schema: m.schema, decider, input };
        const compiled = await predictFile({ ...common, output: path.join(dir, 'c.jsonl') }).catch(
          (e: unknown) => e,
        );
        const duckdb = await predictFileDuckDb({
          ...common,
          ruleSet: m.ruleSet,
          output: path.join(dir, 'd.jsonl'),
        }).catch((e: unknown) => e);
        if (isNeurulesError(compiled)) {
          // No data rows at all: both say so, with the same code.
          expect(isNeurulesError(duckdb) && duckdb.code).toBe(compiled.code);
          return;
        }
        expect(duckdb).toEqual(compiled);
        expect(
          firstDifference(
            fs.readFileSync(path.join(dir, 'd.jsonl'), 'utf8'),
            fs.readFileSync(path.join(dir, 'c.jsonl'), 'utf8'),
          ),
        ).toBeUndefined();
      }),
      { numRuns: 15 },
    );
  });

  it('writes CSV and Parquet output as the compiled engine does', async () => {
    const m = byName('german-credit');
    for (const name of ['out.csv', 'out.parquet']) {
      const { compiled, duckdb } = await both(m, m.data, { name });
      expect(firstDifference(duckdb.text, compiled.text)).toBeUndefined();
    }
    const csv = fs.readFileSync(path.join(dir, 'duckdb-out.csv'), 'utf8').split('\n');
    expect(csv[0]).toBe('line,class,ruleId,probability_bad,probability_good');
    expect(csv[1]).toMatch(/^2,(good|bad),R\d+,[\d.]+,[\d.]+$/);
  });

  it('reads quoted CSV files with the compiled reader, and says so', async () => {
    const m = byName('iris');
    const [header, ...rows] = fs.readFileSync(m.data, 'utf8').trim().split('\n');
    const quoted = rows.map((r) =>
      r
        .split(',')
        .map((c) => `"${c}"`)
        .join(','),
    );
    const input = write('quoted.csv', [header, ...quoted].join('\n') + '\n');
    const notes: string[] = [];
    const { compiled, duckdb } = await both(m, input, { notes });
    expect(notes).toEqual([expect.stringContaining('has quoted fields')]);
    expect(firstDifference(duckdb.text, compiled.text)).toBeUndefined();
  });

  it('empty lines: at the end DuckDB reads the file, between rows the compiled reader does', async () => {
    const m = byName('iris');
    const text = fs.readFileSync(m.data, 'utf8').trimEnd();
    const lines = text.split('\n');
    const trailing = write('trailing.csv', text + '\n\n\n');
    const inner = write(
      'inner.csv',
      [...lines.slice(0, 50), '', ...lines.slice(50)].join('\n') + '\n',
    );
    for (const [input, note] of [
      [trailing, []],
      [inner, [expect.stringContaining('has empty lines')]],
    ] as const) {
      const notes: string[] = [];
      const { compiled, duckdb } = await both(m, input, { notes });
      expect(notes).toEqual(note);
      expect(firstDifference(duckdb.text, compiled.text)).toBeUndefined();
      expect(duckdb.summary).toEqual(compiled.summary);
    }
  });

  it('reads Parquet files: their columns as the header, the rows numbered from 1', async () => {
    const m = byName('german-credit');
    const typed = path.join(dir, 'typed.parquet');
    const text = path.join(dir, 'text.parquet');
    const noAge = path.join(dir, 'no-age.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const types = m.schema.features
      .map((f) => `${quoteString(f.name)}: '${f.type === 'numeric' ? 'DOUBLE' : 'VARCHAR'}'`)
      .concat(`'class': 'VARCHAR'`);
    const read = (extra: string) => `read_csv(${quoteString(m.data)}, header = true, ${extra})`;
    await c.run(
      `COPY (SELECT * FROM ${read(`columns = {${types.join(', ')}}`)}) TO ${quoteString(typed)} (FORMAT parquet)`,
    );
    await c.run(
      `COPY (SELECT * FROM ${read('all_varchar = true')}) TO ${quoteString(text)} (FORMAT parquet)`,
    );
    await c.run(
      `COPY (SELECT * EXCLUDE (age) FROM ${read('all_varchar = true')}) TO ${quoteString(noAge)} (FORMAT parquet)`,
    );
    c.closeSync();

    const { compiled } = await both(m, m.data);
    // The same decisions, line for line, with lines counted from 1 instead of 2.
    const renumbered = compiled.text
      .split('\n')
      .map((l) => l.replace(/^\{"line":(\d+),/, (_, n: string) => `{"line":${Number(n) - 1},`))
      .join('\n');
    for (const input of [typed, text]) {
      const output = path.join(dir, 'parquet.jsonl');
      const summary = await predictFileDuckDb({
        schema: m.schema,
        decider: compileRuleSet(m.ruleSet),
        ruleSet: m.ruleSet,
        input,
        output,
      });
      expect(firstDifference(fs.readFileSync(output, 'utf8'), renumbered)).toBeUndefined();
      expect(summary).toEqual(compiled.summary);
    }
    // A missing column: the CSV reader's code.
    const error = await predictFileDuckDb({
      schema: m.schema,
      decider: compileRuleSet(m.ruleSet),
      ruleSet: m.ruleSet,
      input: noAge,
      output: path.join(dir, 'x.jsonl'),
    }).catch((e: unknown) => e);
    expect(isNeurulesError(error) && error.issues.map((i) => [i.code, i.field])).toEqual([
      ['MISSING_FEATURE', 'age'],
    ]);
    // The compiled engine does not read Parquet: a coded error, not garbage.
    const refused = await predictFile({
      schema: m.schema,
      decider: compileRuleSet(m.ruleSet),
      input: typed,
      output: path.join(dir, 'y.jsonl'),
    }).catch((e: unknown) => e);
    expect(isNeurulesError(refused) && refused.code).toBe('UNSUPPORTED_FORMAT');
  });

  it('reports progress while DuckDB reads, and stops when aborted, leaving nothing', async () => {
    const m = byName('german-credit');
    const [header, ...rows] = fs.readFileSync(m.data, 'utf8').trim().split('\n');
    const body = rows.join('\n') + '\n';
    const input = write('big.csv', header + '\n' + body.repeat(500)); // 500,000 rows
    const output = path.join(dir, 'out.jsonl');
    const controller = new AbortController();
    const seen: { records: number; bytes: number }[] = [];
    const error = await predictFileDuckDb({
      schema: m.schema,
      decider: compileRuleSet(m.ruleSet),
      ruleSet: m.ruleSet,
      input,
      output,
      signal: controller.signal,
      // Reports every 20 ms while DuckDB reads (500,000 rows take far longer): stop at the
      // first one, mid-read.
      progressInterval: 20,
      onProgress: (p) => {
        seen.push(p);
        controller.abort(new Error('stopped by the test'));
      },
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('stopped by the test');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]!.bytes).toBeLessThan(fs.statSync(input).size);
    expect(fs.readdirSync(dir).sort()).toEqual(['big.csv']);
  });

  it('refuses JSON lines, and a CSV file with only a header, with coded errors', async () => {
    const m = byName('iris');
    const header = fs.readFileSync(m.data, 'utf8').split('\n')[0]!;
    const run = (input: string) =>
      predictFileDuckDb({
        schema: m.schema,
        decider: compileRuleSet(m.ruleSet),
        ruleSet: m.ruleSet,
        input,
        output: path.join(dir, 'x.jsonl'),
      }).catch((e: unknown) => e);
    const jsonl = await run(write('r.jsonl', '{"sepal_length": 5}\n'));
    expect(isNeurulesError(jsonl) && jsonl.code).toBe('UNSUPPORTED_FORMAT');
    const headerOnly = await run(write('h.csv', `${header}\n,,,,\n`));
    expect(isNeurulesError(headerOnly) && headerOnly.code).toBe('HEADER_ONLY');
    expect(fs.existsSync(path.join(dir, 'x.jsonl'))).toBe(false);
  });
});

/** The thresholds the rule set compares each numeric feature with. */
function thresholdsOf(m: BundledModel): Map<string, number[]> {
  const found = new Map<string, number[]>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const { fact, value } = node as { fact?: unknown; value?: unknown };
      if (typeof fact === 'string' && typeof value === 'number') {
        found.set(fact, [...(found.get(fact) ?? []), value]);
      }
      Object.values(node).forEach(walk);
    }
  };
  walk(m.ruleSet);
  return found;
}

/** The next double above (`up`) or below `x`. */
function neighbour(x: number, up: boolean): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  view.setBigInt64(0, x >= 0 === up ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

describe('hostile files: every spelling of a number, decided by the fast path or handed back', () => {
  // Spellings neurules reads, refuses, or reads only after trimming; none holds `_` or `+-`.
  const SPELLINGS = [
    '5',
    '+5',
    '-5',
    '05',
    '0005',
    '5.',
    '.5',
    '-.5',
    '+.5',
    '5.0',
    '5e0',
    '5E+0',
    '50e-1',
    '0.5e1',
    '.5e1',
    ' 5',
    '5 ',
    '\t5',
    '5\t',
    ' 5 ',
    '\u00a05',
    '5\u00a0',
    '\u3000' + '5',
    'inf',
    '-inf',
    'Infinity',
    '-Infinity',
    'nan',
    'NaN',
    '0x5',
    '0X1F',
    '0b101',
    '1e999',
    '-1e999',
    '1e-999',
    '1e400',
    '-0',
    '+0',
    '0e0',
    '5.5.5',
    '--5',
    '-+5',
    '++5',
    '5-',
    '5+',
    '5e',
    'e5',
    '5e+',
    '.',
    '-',
    '+',
    '.e1',
    '',
    '?',
    'NA',
    ' NA',
    'NA ',
    ' ?',
    'na',
    'N/A',
    '\u0665',
    '\uff15',
    '5d',
    '5f',
    '5L',
    '1.7976931348623157e308',
    '1.7976931348623159e308',
    '4.9e-324',
    '2.4703282292062328e-324',
    '0.1e-400',
    '000000000000000000000000000005',
    '123456789012345678901234567890',
    '5.00000000000000044423',
    '0.30000000000000004',
  ];
  // Spellings DuckDB's cast reads and neurules refuses: the per-value check must catch them.
  const MARKED = ['1_000', '+-5', '1e1_0', '5_', '_5', ' +-5', '-1_0.5'];

  /** German credit rows with every numeric value taken in turn from `spellings`. */
  function hostileRows(m: BundledModel, spellings: readonly string[]): string[] {
    const [header, ...rows] = fs.readFileSync(m.data, 'utf8').trim().split('\n');
    const columns = header!.split(',');
    const numeric = m.schema.features.filter((f) => f.type === 'numeric').map((f) => f.name);
    // Each feature's thresholds spelled several ways, and their neighbouring doubles.
    const near = new Map(
      [...thresholdsOf(m)].map(([name, ts]) => [
        name,
        ts.flatMap((t) => [
          String(t),
          t.toExponential(),
          `+${t}`,
          `${t}.0`,
          `0${t}`,
          `${t}e0`,
          ` ${t} `,
          String(neighbour(t, true)),
          String(neighbour(t, false)),
          `${t}.00000000000000044423`,
        ]),
      ]),
    );
    const out: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const cells = rows[i % rows.length]!.split(',');
      // One value changed per row, so that no other value hands the row back and each
      // spelling is decided (or handed back) on its own.
      const name = numeric[i % numeric.length]!;
      const own = near.get(name) ?? [];
      const all = i % 2 === 0 && own.length > 0 ? own : spellings;
      const k = Math.floor(i / numeric.length);
      if (i % 11 === 0)
        cells[0] = ` ${cells[0]}`; // a padded level
      else if (i % 13 === 0) cells[2] = i % 26 === 0 ? '?' : 'NA';
      else if (i % 17 === 0) cells[cells.length - 1] = i % 34 === 0 ? '' : ' good';
      else cells[columns.indexOf(name)] = all[k % all.length]!;
      out.push(cells.join(','));
    }
    return [header!, ...out];
  }

  it('a file with no `_` or `+-`: TRY_CAST alone, the same bytes as the compiled engine', async () => {
    const m = byName('german-credit');
    const input = write('hostile.csv', hostileRows(m, SPELLINGS).join('\n') + '\n');
    expect(scanCsv(input)).toEqual({ irregularity: undefined, refusedMarks: false });
    for (const [name, threads] of [
      ['out.jsonl', 1],
      ['out.csv', 2],
    ] as const) {
      const notes: string[] = [];
      const { compiled, duckdb } = await both(m, input, { name, threads, notes });
      expect(notes).toEqual([]);
      expect(compiled.summary.records).toBeGreaterThan(1000);
      expect(compiled.summary.rejected).toBeGreaterThan(100);
      expect(firstDifference(duckdb.text, compiled.text)).toBeUndefined();
      expect(duckdb.text === compiled.text).toBe(true);
      expect(duckdb.summary).toEqual(compiled.summary);
    }
  });

  it('with `_` and `+-` spellings, ragged rows and white-space lines: checked, the same bytes', async () => {
    const m = byName('german-credit');
    const lines = hostileRows(m, MARKED);
    lines.splice(100, 0, '   '); // white space only: DuckDB's CSV error, then kept as rejected
    lines.splice(200, 1, lines[200]! + ',extra');
    const input = write('marked.csv', lines.join('\n') + '\n');
    expect(scanCsv(input)).toEqual({ irregularity: undefined, refusedMarks: true });
    const { compiled, duckdb } = await both(m, input, { threads: 2 });
    expect(duckdb.text === compiled.text).toBe(true);
    expect(duckdb.summary).toEqual(compiled.summary);
    // A mark alone in an otherwise clean file turns the check on.
    const one = write(
      'one.csv',
      hostileRows(m, ['5']).concat(lines[1]!.replace(/,\d+,/, ',1_0,')).join('\n') + '\n',
    );
    expect(scanCsv(one).refusedMarks).toBe(true);
    const again = await both(m, one);
    expect(again.duckdb.text === again.compiled.text).toBe(true);
  });

  it('CRLF, a byte-order mark, quotes: the compiled reader, the same bytes, and a note', async () => {
    const m = byName('german-credit');
    const lines = hostileRows(m, SPELLINGS);
    const quoted = lines.map((l, i) => (i % 9 === 1 ? l.replace(/^([^,]*)/, '"$1"') : l));
    for (const [name, text, note] of [
      ['crlf.csv', lines.join('\r\n') + '\r\n', 'has CR line ends'],
      ['bom.csv', '\ufeff' + lines.join('\n') + '\n', 'starts with a byte-order mark'],
      ['quoted.csv', quoted.join('\n') + '\n', 'has quoted fields'],
    ] as const) {
      const notes: string[] = [];
      const { compiled, duckdb } = await both(m, write(name, text), { notes });
      expect([name, notes]).toEqual([name, [expect.stringContaining(note)]]);
      expect([name, duckdb.text === compiled.text]).toEqual([name, true]);
      expect(duckdb.summary).toEqual(compiled.summary);
    }
  });
});

describe('numbers DuckDB decides', () => {
  it('every text the pattern accepts, DuckDB casts to the number JavaScript reads', async () => {
    // All texts of up to five characters over the characters of decimal notation (and _),
    // and some long ones: the pattern is neurules' own, the cast must agree with Number().
    const alphabet = ['0', '1', '9', '.', 'e', 'E', '+', '-', '_'];
    let texts = [''];
    let level = [''];
    for (let n = 1; n <= 5; n++) {
      level = level.flatMap((s) => alphabet.map((a) => s + a));
      texts = texts.concat(level);
    }
    texts.push('1e308', '1e309', '-1e-400', '123456789012345678901234567890', '0.1', '2.675');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run('CREATE TABLE t (s VARCHAR)');
    const appender = await c.createAppender('t');
    for (const s of texts) {
      appender.appendVarchar(s);
      appender.endRow();
    }
    appender.closeSync();
    const rows = (
      await c.runAndReadAll(
        `SELECT s, regexp_full_match(s, ${quoteString(NUMBER_PATTERN_SQL)}), TRY_CAST(s AS DOUBLE) FROM t`,
      )
    ).getRows();
    c.closeSync();
    let matched = 0;
    for (const [s, matches, value] of rows) {
      const js = parseNumber(s as string);
      expect([s, matches]).toEqual([
        s,
        js !== undefined || /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s as string),
      ]);
      if (js !== undefined) {
        matched++;
        expect([s, value]).toEqual([s, js]);
      }
    }
    expect(matched).toBeGreaterThan(1000);
  });
});
