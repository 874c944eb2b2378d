import type { NeurulesError } from '../../src/errors';
import {
  checkConceptLabels,
  impliedShape,
  parseConceptDeclaration,
  parseConceptShape,
  parseInterventions,
  resolveConcepts,
  type Shape,
} from '../../src/perception/concepts';

const pixels = (n: number, name = (i: number) => `px_${i}`) =>
  Array.from({ length: n }, (_, i) => name(i));
const header = ['route', 'weight', 'service', 'postcode', ...pixels(64)];
const resolve = (
  concepts: string[],
  shapes: string[] = [],
  h: readonly string[] = header,
  firstValue?: (c: string) => string | undefined,
) =>
  resolveConcepts(
    concepts.map(parseConceptDeclaration),
    new Map(
      shapes.map(parseConceptShape).map(({ name, shape }) => [name, shape] as [string, Shape]),
    ),
    h,
    { file: 'parcels.csv', target: 'route', ...(firstValue && { firstValue }) },
  );
const failure = (f: () => unknown): NeurulesError => {
  try {
    f();
  } catch (e) {
    return e as NeurulesError;
  }
  throw new Error('expected an error');
};

describe('declaring a concept', () => {
  it('a glob selects columns in file order; 64 columns px_N imply 8x8', () => {
    const [c] = resolve(['postcode=px_*']);
    expect(c).toEqual({
      name: 'postcode',
      label: 'postcode',
      input: { kind: 'columns', columns: pixels(64), shape: { height: 8, width: 8 } },
    });
  });

  it('columns named R_C are put in row-major order, whatever their file order', () => {
    const ordered = pixels(20, (i) => `p${Math.floor(i / 5)}_${i % 5}`);
    const grid = [...ordered].reverse();
    const [c] = resolve(['d=p*'], [], ['d', ...grid]);
    expect(c!.input).toEqual({
      kind: 'columns',
      columns: ordered,
      shape: { height: 4, width: 5 },
    });
  });

  it('a comma list is a plain vector when its names imply no shape; a given shape is checked', () => {
    const h = ['y', 'sensor', 'a', 'b', 'c', 'd', 'e', 'f'];
    expect(resolve(['sensor=a,b,c,d,e,f'], [], h)[0]!.input).toEqual({
      kind: 'columns',
      columns: ['a', 'b', 'c', 'd', 'e', 'f'],
    });
    const twenty = 'abcdefghijklmnopqrst'.split('');
    expect(
      resolve([`sensor=${twenty.join(',')}`], ['sensor=4x5'], ['sensor', ...twenty])[0]!.input,
    ).toMatchObject({ shape: { height: 4, width: 5 } });
    const e = failure(() => resolve(['sensor=a,b,c,d,e,f'], ['sensor=4x4'], h));
    expect(e.code).toBe('CONCEPT_SHAPE_MISMATCH');
    expect(e.field).toBe('sensor');
    expect(e.message).toContain('6 columns');
  });

  it('a shape that disagrees with what the names imply is refused', () => {
    const e = failure(() => resolve(['postcode=px_*'], ['postcode=4x16']));
    expect(e.code).toBe('CONCEPT_SHAPE_MISMATCH');
    expect(e.message).toContain('say 8x8');
  });

  it('one column of image paths is an image concept, and needs a shape', () => {
    const h = ['route', 'postcode', 'scan'];
    const first = (c: string) => (c === 'scan' ? 'images/0001.PNG' : '3');
    expect(resolve(['postcode=scan'], ['postcode=28x28'], h, first)[0]!.input).toEqual({
      kind: 'images',
      column: 'scan',
      shape: { height: 28, width: 28 },
    });
    const e = failure(() => resolve(['postcode=scan'], [], h, first));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.field).toBe('conceptShape');
  });

  it('implies no shape from names that do not cover a grid or a square once each', () => {
    expect(impliedShape(['a0', 'a1', 'a2'])).toBeUndefined(); // too few
    expect(impliedShape(pixels(10))).toBeUndefined(); // not a square
    expect(impliedShape(['q0', 'q1', 'q2', 'q2'])).toBeUndefined(); // a repeat
    expect(impliedShape(['p0_0', 'p0_1', 'p1_0', 'p0_0'])).toBeUndefined();
    expect(impliedShape(['a0', 'b1', 'c2', 'd3'])).toBeUndefined(); // other prefixes
    expect(impliedShape(pixels(16, (i) => `x${i + 1}`))?.shape).toEqual({ height: 4, width: 4 });
  });

  it('implies no image smaller than a network reads (a side under 4): a plain vector', () => {
    // Four sensors s1..s4 are not a 2×2 image: a 3×3 convolution leaves nothing to pool,
    // and a given shape could not say otherwise (it must agree with the names).
    expect(impliedShape(['s1', 's2', 's3', 's4'])).toBeUndefined();
    expect(impliedShape(pixels(9, (i) => `x${i + 1}`))).toBeUndefined();
    expect(impliedShape(pixels(64, (i) => `p0_${i}`))).toBeUndefined(); // 1×64
    expect(impliedShape(pixels(12, (i) => `p${i % 3}_${Math.floor(i / 3)}`))).toBeUndefined();
    const h = ['route', 'd', 's1', 's2', 's3', 's4'];
    expect(resolve(['d=s*'], [], h)[0]!.input).toEqual({
      kind: 'columns',
      columns: ['s1', 's2', 's3', 's4'],
    });
  });

  it('refuses a given shape with a side under 4, before any data is read', () => {
    for (const text of ['d=2x2', 'd=1x64', 'd=64x3', 'd=0x8']) {
      const e = failure(() => parseConceptShape(text));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.field).toBe('conceptShape');
      expect(e.message).toContain('sides from 4 to 1024');
    }
    expect(failure(() => parseConceptShape('d=1x64')).message).toContain('plain vector');
    expect(parseConceptShape('d=4x4').shape).toEqual({ height: 4, width: 4 });
  });

  it('reads MNIST-style names: pixel0..pixel783, and RxC from 1x1 (row-major)', () => {
    expect(impliedShape(pixels(784, (i) => `pixel${i}`))?.shape).toEqual({
      height: 28,
      width: 28,
    });
    const ordered = pixels(20, (i) => `${Math.floor(i / 5) + 1}x${(i % 5) + 1}`);
    expect(impliedShape([...ordered].reverse())).toEqual({
      columns: ordered,
      shape: { height: 4, width: 5 },
    });
  });
});

describe('bad declarations: a coded error naming the concept and the column, before training', () => {
  it.each([
    ['postcode=xx_*', 'CONCEPT_NO_COLUMNS', 'postcode'],
    ['postcode=px_0,px_999', 'CONCEPT_NO_COLUMNS', 'postcode'],
    ['zipcode=px_*', 'CONCEPT_LABEL_MISSING', 'zipcode'],
    ['postcode=px_1,px_1', 'CONCEPT_OVERLAP', 'postcode'],
    ['postcode=weight,px_*', 'CONCEPT_NO_COLUMNS', 'postcode'],
  ])('%s is %s', (declaration, code, field) => {
    const e = failure(() => resolve([declaration]));
    expect(e.code).toBe(code);
    expect(e.field).toBe(field);
    expect(e.file).toBe('parcels.csv');
  });

  it('names the nearest column of a misspelt one', () => {
    const e = failure(() => resolve(['postcode=px_0,pz_1']));
    expect(e.message).toContain("'pz_1'; did you mean 'px_1'?");
  });

  it('a column serves once: not the target, not two concepts, not a label and an input', () => {
    const h = ['route', 'a', 'b', 'x0', 'x1', 'x2', 'x3'];
    expect(failure(() => resolve(['a=route,x0'], [], h)).code).toBe('CONCEPT_OVERLAP');
    expect(failure(() => resolve(['a=x*', 'b=x0'], [], h)).code).toBe('CONCEPT_OVERLAP');
    expect(failure(() => resolve(['a=b,x0', 'b=x1'], [], h)).message).toContain(
      "the column 'b' is an input of the concept 'a', and also the label of the concept 'b'",
    );
    expect(failure(() => resolve(['route=x*'], [], h)).code).toBe('CONCEPT_OVERLAP');
  });

  it("a concept's facts are no column the rules read, and no other concept's", () => {
    const h = ['route', 'a', 'a_confidence', 'x0', 'x1', 'x2', 'x3'];
    const e = failure(() => resolve(['a=x*'], [], h));
    expect([e.code, e.field]).toEqual(['CONCEPT_OVERLAP', 'a']);
    expect(e.message).toContain("the fact 'a_confidence', which is already a column of the file");
    // Taken as a concept's own column, it is no fact of the rules: the name is free.
    expect(resolve(['a=x0,x1,x2,a_confidence'], [], h)).toHaveLength(1);
    // Two concepts claiming one fact.
    expect(failure(() => resolve(['a=x0,x1', 'a_confidence=x2,x3'], [], h)).message).toContain(
      "already a fact of the concept 'a'",
    );
  });

  it.each(['postcode', '=px_*', 'postcode=', 'post code=px_*', '1digit=px_*', '__proto__=px_*'])(
    'the declaration %j is INVALID_ARGUMENT',
    (text) => {
      const e = failure(() => parseConceptDeclaration(text));
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.field).toBe('concept');
    },
  );

  it.each(['postcode', 'postcode=28', 'postcode=0x28', 'postcode=28x2000', 'postcode=axb'])(
    'the shape %j is INVALID_ARGUMENT',
    (text) => {
      expect(failure(() => parseConceptShape(text)).code).toBe('INVALID_ARGUMENT');
    },
  );

  it('a concept declared twice, or a shape for no declared concept, is INVALID_ARGUMENT', () => {
    expect(failure(() => resolve(['postcode=px_*', 'postcode=px_1'])).code).toBe(
      'INVALID_ARGUMENT',
    );
    const e = failure(() => resolve(['postcode=px_*'], ['postcod=8x8']));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toContain("did you mean 'postcode'?");
  });

  it('a concept with one class, or none, is CONCEPT_ONE_CLASS; missing labels are allowed', () => {
    const [c] = resolve(['postcode=px_*']);
    expect(checkConceptLabels(c!, ['3', '', '1', undefined, '3'])).toEqual(['1', '3']);
    const one = failure(() => checkConceptLabels(c!, ['7', '7', ''], 'parcels.csv'));
    expect(one.code).toBe('CONCEPT_ONE_CLASS');
    expect(one.field).toBe('postcode');
    expect(failure(() => checkConceptLabels(c!, ['', undefined])).message).toContain('no label');
  });
});

describe('interventions: a person fixes what was perceived', () => {
  const model = [
    { name: 'postcode', classes: ['0', '1', '2', '3'] },
    { name: 'shape', classes: ['circle', 'square'] },
  ];
  it('reads NAME=VALUE for a concept and one of its classes', () => {
    expect(parseInterventions(['postcode=3', ' shape = square '], model)).toEqual(
      new Map([
        ['postcode', '3'],
        ['shape', 'square'],
      ]),
    );
  });

  it.each([
    [
      'postcod=3',
      "'postcod' is not a concept of this model (its concepts: postcode, shape); did you mean 'postcode'?",
    ],
    ['postcode=9', "can be set to '0', '1', '2', '3'; found '9'"],
    ['postcode', 'found no value'],
  ])('%s is refused with the valid names or values', (text, message) => {
    const e = failure(() => parseInterventions([text], model));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.field).toBe('set');
    expect(e.message).toContain(message);
  });

  it('refuses a concept set twice', () => {
    expect(
      failure(() => parseInterventions(['shape=circle', 'shape=square'], model)).message,
    ).toContain('set twice');
  });
});
