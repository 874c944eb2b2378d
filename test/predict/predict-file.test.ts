import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { DataRecord, Schema } from '../../src/data/types';
import { isNeurulesError } from '../../src/errors';
import { predictFile } from '../../src/predict/predict-file';

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

  it('a directory as input is INPUT_IS_DIRECTORY naming it, with or without an extension', async () => {
    for (const name of ['in.csv', 'in']) {
      const input = path.join(dir, name);
      fs.mkdirSync(input);
      const output = path.join(dir, 'out.jsonl');
      await expect(predictFile({ schema, decider, input, output })).rejects.toMatchObject({
        code: 'INPUT_IS_DIRECTORY',
        file: input,
      });
      expect(fs.existsSync(output)).toBe(false);
    }
  });

  it('a duplicate column is DUPLICATE_COLUMN at line 1 and its column; nothing is written', async () => {
    const input = write('in.csv', 'x,c,x\n1,a,2\n');
    await expect(
      predictFile({ schema, decider, input, output: path.join(dir, 'o.jsonl') }),
    ).rejects.toMatchObject({
      code: 'DUPLICATE_COLUMN',
      file: input,
      line: 1,
      column: 3,
      field: 'x',
    });
    expect(fs.readdirSync(dir)).toEqual(['in.csv']);
  });

  it('a header without rows is HEADER_ONLY at the header line', async () => {
    const input = write('in.csv', 'x,c,y\n');
    await expect(
      predictFile({ schema, decider, input, output: new PassThrough() }),
    ).rejects.toMatchObject({ code: 'HEADER_ONLY', file: input, line: 1 });
  });

  it('inf, NaN and 1e309 in a numeric feature are WRONG_TYPE at their line and column', async () => {
    const input = write('in.csv', 'c,x\na,inf\nb,2\na,NaN\nb,1e309\n');
    const s = await predictFile({ schema, decider, input, output: new PassThrough() });
    expect(s.records).toBe(1);
    expect(s.problems.map((p) => [p.code, p.line, p.column, p.field])).toEqual([
      ['WRONG_TYPE', 2, 2, 'x'],
      ['WRONG_TYPE', 4, 2, 'x'],
      ['WRONG_TYPE', 5, 2, 'x'],
    ]);
    await expect(
      predictFile({ schema, decider, input, output: new PassThrough(), strict: true }),
    ).rejects.toMatchObject({ code: 'WRONG_TYPE', line: 2, column: 2 });
  });

  it('an abort removes the temporary file, leaves the output as it was, and rejects with the reason', async () => {
    // Several 256 KiB chunks (long labels, few rows), so the run is aborted while reading.
    const input = write('in.csv', 'x,c,y\n' + `1,a,${'z'.repeat(200)}\n`.repeat(4000));
    const output = write('out.jsonl', 'old\n');
    const controller = new AbortController();
    const reason = new Error('SIGTERM');
    let decided = 0;
    const aborting = {
      decide: (r: DataRecord) => {
        decided++;
        controller.abort(reason);
        return decider.decide(r);
      },
    };
    await expect(
      predictFile({ schema, decider: aborting, input, output, signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(decided).toBeGreaterThan(0);
    expect(decided).toBeLessThan(4000); // stopped mid-way, its first batch already written
    expect(fs.readdirSync(dir).sort()).toEqual(['in.csv', 'out.jsonl']);
    expect(fs.readFileSync(output, 'utf8')).toBe('old\n');
    // Aborted before it starts: nothing is created.
    await expect(
      predictFile({
        schema,
        decider,
        input,
        output: path.join(dir, 'new.jsonl'),
        signal: controller.signal,
      }),
    ).rejects.toBe(reason);
    expect(fs.readdirSync(dir).sort()).toEqual(['in.csv', 'out.jsonl']);
  });

  it("removes the temporary files of dead processes writing the same output, not a live one's", async () => {
    const input = write('in.csv', 'x,c\n1,a\n');
    const output = path.join(dir, 'out.jsonl');
    // No process has PID 99999999 (Linux PIDs stop at 2^22); the parent process is alive.
    const dead = write('.out.jsonl.99999999.tmp', 'half');
    const live = write(`.out.jsonl.${process.ppid}.tmp`, 'half');
    const otherOutput = write('.other.jsonl.99999999.tmp', 'half');
    const notOurs = write('.out.jsonl.notes.tmp', 'x');
    await predictFile({ schema, decider, input, output });
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(fs.existsSync(otherOutput)).toBe(true);
    expect(fs.existsSync(notOurs)).toBe(true);
    expect(readLines(output)).toHaveLength(1);
  });
});
