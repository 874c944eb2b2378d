import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Schema } from '../../src/data/types';
import { type PerceptionSpec, PerceptionFront } from '../../src/perception/perception-front';
import type { Perceiver } from '../../src/perception/train-perceiver';

/** A perceiver that reads the class from its first input: 0 → 'a', else 'b'. */
function fakePerceiver(concept: string, width: number): Perceiver {
  const spec = {
    concept,
    classes: ['a', 'b'],
    width,
    shape: null,
    scaling: { kind: 'divide-255' as const },
    architecture: { kind: 'mlp' as const, inputs: width, hidden: 1, classes: 2 },
    summary: {
      accuracy: 1,
      epochs: 1,
      bestEpoch: 1,
      seed: 1,
      backend: 'cpu',
      trainRows: 1,
      validationRows: 1,
    },
  };
  return {
    concept,
    classes: spec.classes,
    accuracy: 1,
    epochs: 1,
    spec,
    predictProba: (values, rows) =>
      Float32Array.from({ length: rows * 2 }, (_, k) => {
        const first = values[Math.floor(k / 2) * width]!;
        return (k % 2 === 0) === (first === 0) ? 0.9 : 0.1;
      }),
    weights: () => [],
    dispose: () => {},
  };
}

const rules: Schema = {
  format: 'neurules.schema',
  version: 1,
  target: 'route',
  classes: ['x', 'y'],
  rows: 2,
  features: [
    { name: 'mark', type: 'categorical', levels: ['a', 'b'], missing: 0 },
    {
      name: 'mark_confidence',
      type: 'numeric',
      min: 0,
      max: 1,
      mean: 0,
      std: 0,
      integer: false,
      missing: 0,
    },
    {
      name: 'weight',
      type: 'numeric',
      min: 0,
      max: 9,
      mean: 0,
      std: 1,
      integer: false,
      missing: 0,
    },
  ],
};

function front(input: PerceptionSpec['concepts'][number]['input']): PerceptionFront {
  const spec: PerceptionSpec = {
    format: 'neurules.perception',
    version: 1,
    concepts: [{ name: 'mark', label: 'mark', input, classes: ['a', 'b'] }],
    input: rules, // not read by perceive
  };
  const width = input.kind === 'images' ? input.shape.height * input.shape.width : 2;
  return new PerceptionFront(spec, rules, [fakePerceiver('mark', width)]);
}

describe('perceiving raw records', () => {
  const columns = front({ kind: 'columns', columns: ['p0', 'p1'] });

  it("makes the rules' record: each concept's two facts, then the ordinary features", async () => {
    const { rows } = await columns.perceive([
      { p0: 0, p1: 5, weight: 2 },
      { p0: '7', p1: 5, weight: null },
    ]);
    expect(rows).toEqual([
      {
        record: { mark: 'a', mark_confidence: 0.9, weight: 2 },
        perceived: { mark: { value: 'a', confidence: 0.9, next: { value: 'b', confidence: 0.1 } } },
      },
      {
        record: { mark: 'b', mark_confidence: 0.9, weight: null },
        perceived: { mark: { value: 'b', confidence: 0.9, next: { value: 'a', confidence: 0.1 } } },
      },
    ]);
  });

  it('refuses only the record with a missing or non-numeric input, naming the column and line', async () => {
    const { rows } = await columns.perceive(
      [
        { p0: 0, p1: null, weight: 1 },
        { p0: 0, p1: 1, weight: 1 },
        { p0: 'x', p1: 1, weight: 1 },
      ],
      { file: 'in.csv', lines: [2, 3, 4] },
    );
    expect(rows[0]).toEqual({
      issues: [expect.objectContaining({ code: 'INVALID_NUMBER', field: 'p1', line: 2 })],
    });
    expect(rows[1]).toHaveProperty('record');
    expect(rows[2]).toEqual({
      issues: [expect.objectContaining({ code: 'INVALID_NUMBER', field: 'p0', line: 4 })],
    });
  });

  it('decides with a concept a person set: confidence 1, what was perceived kept', async () => {
    const { rows } = await columns.perceive([{ p0: 0, p1: 0, weight: 1 }], {
      set: new Map([['mark', 'b']]),
    });
    expect(rows[0]).toEqual({
      record: { mark: 'b', mark_confidence: 1, weight: 1 },
      perceived: {
        mark: { value: 'b', confidence: 1, perceivedAs: { value: 'a', confidence: 0.9 } },
      },
    });
  });
});

describe('image paths from outside (a request to the service)', () => {
  const images = front({ kind: 'images', column: 'image', shape: { height: 2, width: 2 } });
  let root: string;
  let outside: string;
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-front-'));
    root = path.join(dir, 'images');
    outside = path.join(dir, 'secret.png');
    fs.mkdirSync(root);
    fs.writeFileSync(outside, 'not for requests');
    fs.symlinkSync(outside, path.join(root, 'link.png'));
    fs.symlinkSync(path.dirname(root), path.join(root, 'up'));
  });
  afterAll(() => fs.rmSync(path.dirname(root), { recursive: true, force: true }));

  const refusal = async (file: string, imageRoot: string | undefined) => {
    const { rows } = await images.perceive([{ image: file, weight: 1 }], {
      confineImages: { imageRoot },
    });
    return rows[0] as { issues?: { code: string; field?: string; message: string }[] };
  };

  it('are refused without an image folder, whatever they name', async () => {
    const row = await refusal('link.png', undefined);
    expect(row.issues?.map((i) => [i.code, i.field])).toEqual([['IMAGE_UNREADABLE', 'image']]);
  });

  it.each([
    ['an absolute path', () => outside],
    ['a path out of the folder', () => '../secret.png'],
    ['a link out of the folder', () => 'link.png'],
    ['the folder itself', () => '.'],
    // Through a link to a folder outside: refused alike whether the file there exists.
    ['a file through a linked folder outside', () => 'up/secret.png'],
    ['a missing file through a linked folder outside', () => 'up/missing.png'],
  ])('refuse %s, without saying whether it exists', async (_what, file) => {
    const row = await refusal(file(), root);
    expect(row.issues?.map((i) => i.code)).toEqual(['IMAGE_UNREADABLE']);
    expect(row.issues?.[0]?.message).toMatch(/inside the image folder/);
  });

  it('read a file inside the folder whose name starts with two dots', async () => {
    // Not refused as outside: the decoder is reached, and says it is not an image.
    fs.writeFileSync(path.join(root, '..x.png'), 'not an image');
    const row = await refusal('..x.png', root);
    expect(row.issues?.map((i) => i.code)).toEqual(['IMAGE_UNREADABLE']);
    expect(row.issues?.[0]?.message).not.toMatch(/inside the image folder/);
  });
});
