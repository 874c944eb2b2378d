import { DuckDBInstance } from '@duckdb/node-api';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateDigits } from '../../bench/tasks/digits';
import { writeGreyPng } from '../../bench/tasks/png';
import { EXIT } from '../../src/cli/main';
import { quoteString } from '../../src/exports/sql-quote';
import { copyGermanCredit } from '../helpers/german-credit';
import {
  editCsv,
  locationIn,
  QUICK_BUILD_FLAGS,
  readJsonLines,
  SHAPE,
  writeParcels,
} from '../helpers/perception-models';
import { runCli } from '../helpers/run-cli';

// The CLI on perception concepts: every bad declaration or raw input is refused with its
// code and place before any network trains, and --set is checked against the model.

let dir: string;
/** 300 parcels, 8×8 postcodes: `postcode,px_0..px_63,weight,service,route`. */
let parcelsCsv: string;
/** The options naming a model built on them by `neurules build --concept postcode=px_*`. */
let modelArgs: string[];
let built: Awaited<ReturnType<typeof runCli>>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-perception-cli-'));
  parcelsCsv = path.join(dir, 'parcels.csv');
  writeParcels(parcelsCsv, 300, 1);
  const loc = locationIn(path.join(dir, 'built'), 'parcels');
  const dirs = ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
  modelArgs = ['--model', loc.name, ...dirs];
  built = await runCli([
    'build',
    '--data',
    parcelsCsv,
    '--target',
    'route',
    '--concept',
    'postcode=px_*',
    ...dirs,
    ...QUICK_BUILD_FLAGS,
  ]);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const GERMAN_CREDIT_CSV = path.join(__dirname, '..', '..', 'data', 'german-credit.csv');

/** A copy of the German credit model (no concepts) in the folder `name`: its CLI arguments. */
function germanCredit(name: string): string[] {
  const loc = copyGermanCredit(path.join(dir, name));
  return ['--model', loc.name, '--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
}

/** A variant of the parcels file, `edit`ed cell by cell (see editCsv). */
function variant(name: string, edit: (cells: string[], row: number) => string[]): string {
  const file = path.join(dir, name);
  editCsv(parcelsCsv, edit, file);
  return file;
}

/** The concept of the parcels file. */
const POSTCODE = ['--concept', 'postcode=px_*'];

/**
 * `neurules build` of `data` (the class in `target`) into a folder of its own with
 * `flags`; asserts it was refused before any network trained and nothing was written, and
 * returns its `error` lines.
 */
async function refusedBuild(data: string, flags: string[], target = 'route'): Promise<string[]> {
  const out = fs.mkdtempSync(path.join(dir, 'refused-'));
  const loc = locationIn(out, 'bad');
  const r = await runCli([
    'build',
    '--data',
    data,
    '--target',
    target,
    '--name',
    'bad',
    '--models-dir',
    loc.modelsDir,
    '--rules-dir',
    loc.rulesDir,
    ...flags,
    ...QUICK_BUILD_FLAGS,
  ]);
  expect(r.code).toBe(EXIT.usage);
  expect(r.stdout).toBe('');
  // No perception network, no decision network trained (images may have been decoded);
  // no model, no rules written.
  expect(r.stderr).not.toMatch(/perception '\w+': (epoch|MLP|im2col)|training network|distill/);
  expect(fs.existsSync(path.join(loc.modelsDir, 'bad'))).toBe(false);
  expect(fs.existsSync(path.join(loc.rulesDir, 'bad'))).toBe(false);
  return r.stderr.split('\n').filter((l) => l.startsWith('error '));
}

describe('neurules build --concept: refused before training, with the code and place', () => {
  it('builds the model the other tests use', () => {
    expect(built.stderr).toContain("perception 'postcode': im2col CNN");
    expect(built.code).toBe(EXIT.ok);
    expect(built.stdout).toMatch(/concept 'postcode' accuracy \(perception, test\)/);
  });

  it.each([
    {
      what: 'a glob matching no column',
      concept: 'postcode=pixel_*',
      code: 'CONCEPT_NO_COLUMNS',
      field: 'postcode',
      said: /'pixel_\*'/,
    },
    {
      what: 'a listed column the file lacks',
      concept: 'postcode=px_0,px_99',
      code: 'CONCEPT_NO_COLUMNS',
      field: 'postcode',
      said: /'px_99'/,
    },
    {
      what: 'a concept without its label column',
      concept: 'zipcode=px_*',
      code: 'CONCEPT_LABEL_MISSING',
      field: 'zipcode',
      said: /'zipcode'/,
    },
    {
      what: 'a shape of another pixel count',
      concept: 'postcode=px_*',
      shape: 'postcode=7x9',
      code: 'CONCEPT_SHAPE_MISMATCH',
      field: 'postcode',
      said: /64 columns.*7x9/,
    },
    {
      what: 'a shape the column names contradict',
      concept: 'postcode=px_*',
      shape: 'postcode=4x16',
      code: 'CONCEPT_SHAPE_MISMATCH',
      field: 'postcode',
      said: /names say 8x8/,
    },
    {
      what: 'the target as a label',
      concept: 'route=px_*',
      code: 'CONCEPT_OVERLAP',
      field: 'route',
      said: /'route'.*target/,
    },
  ])('$what is $code naming the concept', async ({ concept, shape, code, field, said }) => {
    const flags = ['--concept', concept, ...(shape ? ['--concept-shape', shape] : [])];
    const errors = await refusedBuild(parcelsCsv, flags);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^error ${parcelsCsv} ${code} \\[${field}\\] `));
    expect(errors[0]).toMatch(said);
  });

  it("a column named as the concept's confidence fact is CONCEPT_OVERLAP, before any network trains", async () => {
    const data = variant('confidence-column.csv', (cells, row) =>
      row < 0 ? cells.map((c) => (c === 'weight' ? 'postcode_confidence' : c)) : cells,
    );
    const errors = await refusedBuild(data, POSTCODE);
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(`^error ${data} CONCEPT_OVERLAP \\[postcode\\] .*'postcode_confidence'`),
      ),
    ]);
  });

  it('pixels that are no number are INVALID_NUMBER, each at its line and column, naming the concept', async () => {
    // Data row 4 (line 6): px_5 is text; data row 9 (line 11): px_60 is empty.
    const data = variant('bad-pixels.csv', (cells, row) => {
      if (row === 4) cells[1 + 5] = 'dark';
      if (row === 9) cells[1 + 60] = '';
      return cells;
    });
    const errors = await refusedBuild(data, POSTCODE);
    expect(errors).toHaveLength(2);
    // px_5 is the 7th column of the file, px_60 the 62nd.
    expect(errors[0]).toMatch(new RegExp(`^error ${data}:6:7 INVALID_NUMBER .*'postcode'.*'px_5'`));
    expect(errors[0]).toContain("'dark'");
    expect(errors[1]).toMatch(
      new RegExp(`^error ${data}:11:62 INVALID_NUMBER .*'postcode'.*'px_60'`),
    );
  });

  it('a concept whose labels are one class is CONCEPT_ONE_CLASS', async () => {
    const data = variant('one-class.csv', (cells, row) =>
      row < 0 ? cells : ['3', ...cells.slice(1)],
    );
    const errors = await refusedBuild(data, POSTCODE);
    expect(errors).toEqual([
      expect.stringMatching(new RegExp(`^error ${data} CONCEPT_ONE_CLASS \\[postcode\\] .*'3'`)),
    ]);
  });

  it('a missing or unreadable image file is IMAGE_UNREADABLE at its line, naming the concept and the column', async () => {
    const images = path.join(dir, 'images');
    fs.mkdirSync(path.join(images, 'img'), { recursive: true });
    const digits = generateDigits(40, 2, SHAPE);
    await Promise.all(
      digits.pixels.map((p, i) => writeGreyPng(path.join(images, 'img', `${i}.png`), p, SHAPE)),
    );
    fs.rmSync(path.join(images, 'img', '3.png'));
    fs.writeFileSync(path.join(images, 'img', '7.png'), 'not an image\n');
    const rows = digits.labels.map((d, i) => `${d},img/${i}.png,${i % 2 ? 'a' : 'b'}`);
    const data = path.join(images, 'digits.csv');
    fs.writeFileSync(data, ['digit,image,kind', ...rows].join('\n') + '\n');
    const flags = ['--concept', 'digit=image', '--concept-shape', 'digit=8x8'];
    const errors = await refusedBuild(data, flags, 'kind');
    // Rows 4 and 8 of the data (lines 5 and 9), column 2.
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error ${data}:5:2 IMAGE_UNREADABLE .*'digit'.*'img/3\\.png'.*'image'.*not found`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^error ${data}:9:2 IMAGE_UNREADABLE .*'digit'.*'img/7\\.png'.*'image'.*text file`,
        ),
      ),
    ]);
  });

  it('an image column without --concept-shape is refused, naming the option', async () => {
    const data = path.join(dir, 'paths.csv');
    const rows = Array.from({ length: 20 }, (_, i) => `${i % 2},img/${i}.png,${i % 3 ? 'a' : 'b'}`);
    fs.writeFileSync(data, ['digit,image,kind', ...rows].join('\n') + '\n');
    const errors = await refusedBuild(data, ['--concept', 'digit=image'], 'kind');
    expect(errors).toEqual([
      expect.stringMatching(/^error INVALID_ARGUMENT \[conceptShape\] .*'digit'.*digit=HxW/),
    ]);
  });

  it('--concept-shape without --concept is INVALID_ARGUMENT, before anything is read or trained', async () => {
    const errors = await refusedBuild(parcelsCsv, ['--concept-shape', 'postcode=8x8']);
    expect(errors).toEqual([
      expect.stringMatching(/^error INVALID_ARGUMENT \[conceptShape\] .*--concept/),
    ]);
  });

  it('a concept shape given twice is INVALID_ARGUMENT, not the last one silently', async () => {
    const errors = await refusedBuild(parcelsCsv, [
      '--concept',
      'postcode=px_*',
      '--concept-shape',
      'postcode=8x8',
      '--concept-shape',
      'postcode=4x16',
    ]);
    expect(errors).toEqual([
      expect.stringMatching(/^error INVALID_ARGUMENT \[conceptShape\] .*'postcode'.*twice/),
    ]);
  });
});

describe('--set on predict and explain', () => {
  it.each([
    ['predict', ['--input', 'DATA']],
    ['explain', ['--input', 'DATA', '--row', '1']],
  ])(
    '%s: an unknown concept or value is INVALID_ARGUMENT listing the valid ones',
    async (command, rest) => {
      const args = rest.map((a) => (a === 'DATA' ? parcelsCsv : a));
      const concept = await runCli([command, ...modelArgs, ...args, '--set', 'zipcode=3']);
      expect(concept.code).toBe(EXIT.usage);
      expect(concept.stdout).toBe('');
      expect(concept.stderr).toMatch(/^error INVALID_ARGUMENT \[set\] .*'zipcode'.*: postcode\)/m);
      const value = await runCli([command, ...modelArgs, ...args, '--set', 'postcode=12']);
      expect(value.code).toBe(EXIT.usage);
      expect(value.stdout).toBe('');
      expect(value.stderr).toMatch(
        /^error INVALID_ARGUMENT \[set\] .*'postcode'.*'0', '1', '2', '3', '4', '5', '6', '7', '8', '9'.*'12'/m,
      );
      const twice = await runCli([
        command,
        ...modelArgs,
        ...args,
        '--set',
        'postcode=1',
        '--set',
        'postcode=2',
      ]);
      expect(twice.code).toBe(EXIT.usage);
      expect(twice.stderr).toMatch(/^error INVALID_ARGUMENT \[set\] .*twice/m);
    },
  );

  it('on a model without concepts, --set is refused', async () => {
    const r = await runCli([
      'predict',
      ...germanCredit('german'),
      '--input',
      GERMAN_CREDIT_CSV,
      '--set',
      'age=30',
    ]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error INVALID_ARGUMENT \[set\] .*has none/m);
  });

  it('predict --set writes the set value with confidence 1; explain --set says so', async () => {
    const csv = path.join(dir, 'set.csv');
    const r = await runCli([
      'predict',
      ...modelArgs,
      '--input',
      parcelsCsv,
      '--set',
      'postcode=9',
      '--output',
      csv,
    ]);
    expect(r.code).toBe(EXIT.ok);
    const [header, ...rows] = fs.readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(header).toMatch(/^line,postcode,postcode_confidence,class,ruleId,probability_/);
    expect(rows).toHaveLength(300);
    for (const row of rows) expect(row).toMatch(/^\d+,9,1,/);

    const explained = await runCli([
      'explain',
      ...modelArgs,
      '--input',
      parcelsCsv,
      '--row',
      '2',
      '--set',
      'postcode=9',
    ]);
    expect(explained.code).toBe(EXIT.ok);
    expect(explained.stdout).toMatch(/postcode set to 9 \(perceived as \d at [\d.]+\)/);
  });
});

describe('neurules perceive', () => {
  /** `neurules COMMAND` on the built model and the parcels, written to `output`. */
  const onParcels = (command: string, output: string) =>
    runCli([command, ...modelArgs, '--input', parcelsCsv, '--output', output]);

  /** The rows of a Parquet file, read by DuckDB as `select` says, in line order. */
  async function parquetRows(file: string, select = '*'): Promise<Record<string, unknown>[]> {
    const instance = await DuckDBInstance.create(':memory:');
    const duck = await instance.connect();
    try {
      const sql = `SELECT ${select} FROM read_parquet(${quoteString(file)}) ORDER BY line`;
      return (await duck.runAndReadAll(sql)).getRowObjects();
    } finally {
      duck.closeSync();
      instance.closeSync();
    }
  }

  it('writes the facts the rules read as CSV, and the same as Parquet', async () => {
    const csv = path.join(dir, 'perceived.csv');
    const r = await onParcels('perceive', csv);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toMatch(
      /perceived 300 records .*columns line, postcode, postcode_confidence, weight, service/,
    );
    const [header, ...rows] = fs.readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(header).toBe('line,postcode,postcode_confidence,weight,service');
    expect(rows).toHaveLength(300);
    // The perception predict writes.
    const lines = path.join(dir, 'perceive-predict.jsonl');
    expect((await onParcels('predict', lines)).code).toBe(EXIT.ok);
    expect(rows.map((row) => row.split(',').slice(0, 3).join(','))).toEqual(
      readJsonLines(lines).map(
        (l) => `${l.line},${l.perceived.postcode!.value},${l.perceived.postcode!.confidence}`,
      ),
    );

    const parquet = path.join(dir, 'perceived.parquet');
    expect((await onParcels('perceive', parquet)).code).toBe(EXIT.ok);
    const read = await parquetRows(parquet);
    const columns = ['line', 'postcode', 'postcode_confidence', 'weight', 'service'];
    expect(read.map((o) => columns.map((c) => String(o[c])).join(','))).toEqual(rows);
  });

  it('predict --output .parquet keeps what was perceived, as the JSON lines have it', async () => {
    const jsonl = path.join(dir, 'decisions.jsonl');
    const parquet = path.join(dir, 'decisions.parquet');
    for (const output of [jsonl, parquet])
      expect((await onParcels('predict', output)).code).toBe(0);
    const rows = await parquetRows(
      parquet,
      'line, CAST(perceived AS VARCHAR) AS perceived, class, ruleId',
    );
    expect(
      rows.map((r) => ({
        line: Number(r.line),
        perceived: JSON.parse(String(r.perceived)) as unknown,
        class: r.class,
        ruleId: r.ruleId,
      })),
    ).toEqual(
      readJsonLines(jsonl).map((l) => ({
        line: l.line,
        perceived: l.perceived,
        class: l.class,
        ruleId: l.ruleId,
      })),
    );
  });

  it('on a model without concepts is INVALID_ARGUMENT naming the model', async () => {
    const output = path.join(dir, 'german-perceived.csv');
    const r = await runCli([
      'perceive',
      ...germanCredit('german-perceive'),
      '--input',
      GERMAN_CREDIT_CSV,
      '--output',
      output,
    ]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error INVALID_ARGUMENT \[model\] .*'german-credit'.*--concept/m);
    expect(fs.existsSync(output)).toBe(false);
  });
});
