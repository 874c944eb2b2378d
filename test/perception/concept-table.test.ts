import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readTable } from '../../src/data/read-csv';
import type { NeurulesError } from '../../src/errors';
import { separateConcepts, withPerceived } from '../../src/perception/concept-table';
import { parseConceptDeclaration, resolveConcepts } from '../../src/perception/concepts';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-concepts-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A parcels-like table: a digit label, 4 pixels, a weight and a route. */
function table(rows: string[]) {
  const file = path.join(dir, 'parcels.csv');
  fs.writeFileSync(file, ['postcode,px_0,px_1,px_2,px_3,weight,route', ...rows].join('\n') + '\n');
  const header = ['postcode', 'px_0', 'px_1', 'px_2', 'px_3', 'weight', 'route'];
  const concepts = resolveConcepts([parseConceptDeclaration('postcode=px_*')], new Map(), header, {
    target: 'route',
  });
  const types = Object.fromEntries(
    ['px_0', 'px_1', 'px_2', 'px_3'].map((c) => [c, 'numeric' as const]),
  );
  return { t: readTable(file, { target: 'route', types }), concepts };
}

describe('separating the concepts from the decision table', () => {
  it('the decision table keeps only the other features; the concept gets its pixels and labels', () => {
    const { t, concepts } = table(['3,0,255,12,7,1.5,air', ',1,2,3,4,20,road', '7,9,8,7,6,3,air']);
    const {
      decision,
      concepts: [c],
    } = separateConcepts(t, concepts);
    expect(decision.schema.features.map((f) => f.name)).toEqual(['weight']);
    expect(decision.records).toEqual([{ weight: 1.5 }, { weight: 20 }, { weight: 3 }]);
    expect(decision.labels).toEqual(t.labels);
    expect(c!.labels).toEqual(['3', null, '7']);
    expect(c!.inputs).toEqual({
      kind: 'values',
      width: 4,
      values: Float32Array.from([0, 255, 12, 7, 1, 2, 3, 4, 9, 8, 7, 6]),
    });
  });

  it('a missing pixel is INVALID_NUMBER at its line and column, naming the concept', () => {
    const { t, concepts } = table(['3,0,255,12,7,1.5,air', '5,1,,3,4,20,road']);
    let error: NeurulesError | undefined;
    try {
      separateConcepts(t, concepts);
    } catch (e) {
      error = e as NeurulesError;
    }
    expect(error?.code).toBe('INVALID_NUMBER');
    expect(error?.line).toBe(3);
    expect(error?.field).toBe('px_1');
    expect(error?.message).toContain("the concept 'postcode'");
    // With the file and its header, the issue has the file and the column's number.
    const header = ['postcode', 'px_0', 'px_1', 'px_2', 'px_3', 'weight', 'route'];
    expect(() => separateConcepts(t, concepts, { file: 'parcels.csv', header })).toThrow(
      expect.objectContaining({ file: 'parcels.csv', line: 3, column: 3, field: 'px_1' }),
    );
  });
});

describe('adding what was perceived', () => {
  it('two facts per concept: the perceived class and its confidence, first in the schema', () => {
    const { t, concepts } = table(['3,0,255,12,7,1.5,air', '7,1,2,3,4,20,road']);
    const { decision } = separateConcepts(t, concepts);
    const next = withPerceived(decision, [
      {
        concept: 'postcode',
        classes: ['3', '7'],
        probabilities: Float32Array.from([0.9, 0.1, 0.25, 0.75]),
      },
    ]);
    expect(next.schema.features.map((f) => `${f.name}:${f.type}`)).toEqual([
      'postcode:categorical',
      'postcode_confidence:numeric',
      'weight:numeric',
    ]);
    expect(next.records[0]).toEqual({
      postcode: '3',
      postcode_confidence: 0.9, // rounded to CONFIDENCE_DIGITS decimals, as everywhere
      weight: 1.5,
    });
    expect(next.records[1]).toMatchObject({ postcode: '7', postcode_confidence: 0.75 });
    const confidence = next.schema.features[1]!;
    expect(confidence).toMatchObject({ min: 0.75, max: 0.9 });
  });

  it('refuses a fact that is already a column, and probabilities of another row count', () => {
    const { t, concepts } = table(['3,0,255,12,7,1.5,air', '7,1,2,3,4,20,road']);
    const { decision } = separateConcepts(t, concepts);
    const p = { concept: 'weight', classes: ['a', 'b'], probabilities: new Float32Array(4) };
    expect(() => withPerceived(decision, [p])).toThrow(/already a column/);
    const short = { concept: 'postcode', classes: ['3', '7'], probabilities: new Float32Array(2) };
    expect(() => withPerceived(decision, [short])).toThrow(/perceived for 1 rows, the table has 2/);
  });
});

describe('an image concept', () => {
  it('gets its file paths; a row without one is IMAGE_UNREADABLE at its line', () => {
    const file = path.join(dir, 'scans.csv');
    const write = (rows: string[]) =>
      fs.writeFileSync(file, ['postcode,scan,weight,route', ...rows].join('\n') + '\n');
    const concepts = resolveConcepts(
      [parseConceptDeclaration('postcode=scan')],
      new Map([['postcode', { height: 28, width: 28 }]]),
      ['postcode', 'scan', 'weight', 'route'],
      { target: 'route', firstValue: () => 'a.png' },
    );
    write(['3,a.png,1,air', '7, b.jpg ,2,road']);
    const {
      decision,
      concepts: [c],
    } = separateConcepts(readTable(file, { target: 'route' }), concepts);
    expect(c!.inputs).toEqual({ kind: 'paths', paths: ['a.png', 'b.jpg'] });
    expect(decision.schema.features.map((f) => f.name)).toEqual(['weight']);
    write(['3,a.png,1,air', '7,,2,road']);
    expect(() => separateConcepts(readTable(file, { target: 'route' }), concepts)).toThrow(
      expect.objectContaining({ code: 'IMAGE_UNREADABLE', line: 3, field: 'scan' }),
    );
  });
});
