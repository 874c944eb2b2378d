import { chooseScaling, scaleValues } from '../../src/perception/train-perceiver';

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('how raw inputs are scaled', () => {
  it('divides 8-bit grey levels by 255, resampled (fractional) ones too', () => {
    expect(chooseScaling(Float32Array.from([0, 17, 255, 3]), 2, all(2))).toEqual({
      kind: 'divide-255',
    });
    expect(chooseScaling(Float32Array.from([0, 17.5, 200.25, 3]), 2, all(2))).toEqual({
      kind: 'divide-255',
    });
  });

  it('divides whole levels of another depth by the largest (0–16, 16-bit)', () => {
    expect(chooseScaling(Float32Array.from([0, 16, 7, 3]), 2, all(2))).toEqual({
      kind: 'divide',
      by: 16,
    });
    expect(chooseScaling(Float32Array.from([0, 65535, 300, 3]), 2, all(2))).toEqual({
      kind: 'divide',
      by: 65535,
    });
  });

  it('standardises anything else, per column, on the rows given only', () => {
    const values = Float32Array.from([0.5, 1, -0.5, 3, 99, 99]);
    const s = chooseScaling(values, 2, [0, 1]);
    expect(s).toEqual({ kind: 'standardise', mean: [0, 2], std: [0.5, 1] });
    expect(Array.from(scaleValues(Float32Array.from([0.5, 3]), 2, s))).toEqual([1, 1]);
  });

  it('scales by the chosen divisor', () => {
    expect(
      Array.from(scaleValues(Float32Array.from([8, 16]), 2, { kind: 'divide', by: 16 })),
    ).toEqual([0.5, 1]);
  });
});
