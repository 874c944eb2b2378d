import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { DataRecord, Schema } from '../../src/data/types';
import { isNeurulesError } from '../../src/errors';
import { predictFile } from '../../src/pipeline/predict-file';

const schema: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'y',
  classes: ['lo', 'hi'],
  rows: 10,
  features: [
    { name: 'x', type: 'numeric', min: 0, max: 10, mean: 5, std: 2, integer: false, missing: 1 },
    { name: 'c', type: 'categorical', levels: ['a', 'b'], missing: 0 },
  ],
};
const decider = {
  decide: (r: DataRecord) => {
    const hi = typeof r.x === 'number' && r.x > 5;
    return {
      class: hi ? 'hi' : 'lo',
      ruleId: hi ? 'R02' : 'R01',
      probabilities: { lo: hi ? 0 : 1, hi: hi ? 1 : 0 },
      support: 1,
      source: 'distilled' as const,
    };
  },
};

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-predict-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const readLines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('predictFile', () => {
  it('streams a CSV: one line per record in order, bad rows skipped with their line, quoted newlines counted', async () => {
    const input = write(
      'in.csv',
      'x,c,y\n1,a,lo\n"7",b,hi\nabc,a,lo\n9,"b\n",lo\n3,zz,lo\n1,a\n,a,hi\n',
    );
    const output = path.join(dir, 'out.jsonl');
    const s = await predictFile({ schema, decider, input, output });
    expect(readLines(output).map((l) => [l.line, l.class])).toEqual([
      [2, 'lo'],
      [3, 'hi'],
      [5, 'hi'],
      [9, 'lo'],
    ]);
    expect(s).toMatchObject({
      records: 4,
      rejected: 3,
      labelled: 4,
      correct: 2,
      classes: { lo: 2, hi: 2 },
    });
    expect(s.problems.map((p) => [p.code, p.line])).toEqual([
      ['WRONG_TYPE', 4],
      ['UNKNOWN_CATEGORY', 7],
      ['RAGGED_ROW', 8],
    ]);
  });

  it('streams JSONL to a stream, with missing values and blank lines', async () => {
    const input = write(
      'in.jsonl',
      '{"x": 8, "c": "a"}\n\n{"x": null, "c": "b", "y": "lo"}\nnot json\n',
    );
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (d) => chunks.push(String(d)));
    const s = await predictFile({ schema, decider, input, output: out });
    const lines = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.line, l.class])).toEqual([
      [1, 'hi'],
      [3, 'lo'],
    ]);
    expect(s.problems[0]).toMatchObject({ code: 'INVALID_JSON', line: 4 });
  });

  it('with strict, the first bad record stops the run and nothing is written', async () => {
    const input = write('in.csv', 'x,c\n1,a\nabc,a\n2,b\n');
    const output = path.join(dir, 'out.jsonl');
    await expect(
      predictFile({ schema, decider, input, output, strict: true }),
    ).rejects.toMatchObject({ code: 'WRONG_TYPE', line: 3 });
    expect(fs.readdirSync(dir)).toEqual(['in.csv']);
  });

  it('a header without a feature column is refused before any record', async () => {
    const input = write('in.csv', 'x,y\n1,lo\n');
    try {
      await predictFile({ schema, decider, input, output: path.join(dir, 'o.jsonl') });
      throw new Error('expected an error');
    } catch (e) {
      expect(isNeurulesError(e) && e.code).toBe('MISSING_FEATURE');
    }
    expect(fs.readdirSync(dir)).toEqual(['in.csv']);
  });
});
