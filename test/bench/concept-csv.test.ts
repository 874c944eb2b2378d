import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { conceptCsvHeader, writeConceptCsv, type ConceptCsv } from '../../bench/tasks/concept-csv';

describe('writeConceptCsv', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-concept-csv-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const table: ConceptCsv = {
    label: 'fault',
    labels: ['none', 'bearing'],
    prefix: 'v_',
    inputCount: 3,
    inputs: [
      [0.1, -0.2, 0],
      [1.5, 0.3, -0.7],
    ],
    extra: { hours: [120, 4100], site: ['a', 'b'] },
  };

  it('writes the label, the inputs, then the extra columns in order', () => {
    const file = path.join(dir, 'signals.csv');
    writeConceptCsv(file, table);
    expect(fs.readFileSync(file, 'utf8')).toBe(
      'fault,v_0,v_1,v_2,hours,site\nnone,0.1,-0.2,0,120,a\nbearing,1.5,0.3,-0.7,4100,b\n',
    );
    expect(conceptCsvHeader('d', 'px_', 2)).toEqual(['d', 'px_0', 'px_1']);
    expect(fs.readdirSync(dir)).toEqual(['signals.csv']);
  });

  it.each<[string, Partial<ConceptCsv>, RegExp]>([
    ['a short extra column', { extra: { hours: [1] } }, /hours/],
    ['too few input rows', { inputs: [[1, 2, 3]] }, /1 rows of inputs/],
    [
      'an input row of the wrong length',
      {
        inputs: [
          [1, 2, 3],
          [1, 2],
        ],
      },
      /row 1/,
    ],
    [
      'an input that is not a number',
      {
        inputs: [
          [1, 2, 3],
          [1, NaN, 2],
        ],
      },
      /row 1/,
    ],
    ['a value that needs quoting', { labels: ['none', 'a,b'] }, /a,b/],
  ])('refuses %s and writes nothing', (_what, change, message) => {
    const file = path.join(dir, 'bad.csv');
    expect(() => writeConceptCsv(file, { ...table, ...change })).toThrow(message);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
