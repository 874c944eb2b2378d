import {
  describePerceived,
  readPerceived,
  roundConfidence,
  setConcept,
} from '../../src/perception/perceived';

describe('what a perceiver read of a row', () => {
  const classes = ['0', '1', '7'];

  it('is the class of highest probability, its confidence and the runner-up', () => {
    const p = Float32Array.from([0.1, 0.2, 0.7, 0.6, 0.3, 0.1]);
    expect(readPerceived(p, 0, classes)).toEqual({
      value: '7',
      confidence: 0.7,
      next: { value: '1', confidence: 0.2 },
    });
    expect(readPerceived(p, 1, classes)).toEqual({
      value: '0',
      confidence: 0.6,
      next: { value: '1', confidence: 0.3 },
    });
  });

  it('breaks ties by the first class, for the best and for the runner-up alike', () => {
    const p = [0.4, 0.4, 0.2];
    expect(readPerceived(p, 0, classes)).toMatchObject({ value: '0', next: { value: '1' } });
  });

  it('rounds confidences to 4 decimals, so a written confidence decides as the engine did', () => {
    expect(roundConfidence(Math.fround(0.91493))).toBe(0.9149);
    expect(roundConfidence(0.99995)).toBe(1);
    expect(readPerceived(Float32Array.from([0.123456, 0.876544, 0]), 0, classes).confidence).toBe(
      0.8765,
    );
  });

  it('a concept set by a person has confidence 1 and keeps what was perceived', () => {
    const read = readPerceived([0.03, 0.9, 0.07], 0, classes);
    expect(setConcept(read, '7')).toEqual({
      value: '7',
      confidence: 1,
      perceivedAs: { value: '1', confidence: 0.9 },
    });
  });

  it('is said in words', () => {
    expect(describePerceived('postcode', readPerceived([0.02, 0.97, 0.01], 0, classes))).toBe(
      'postcode perceived as 1 (0.97; next 0 at 0.02)',
    );
    expect(
      describePerceived('postcode', setConcept(readPerceived([0.02, 0.97, 0.01], 0, classes), '7')),
    ).toBe('postcode set to 7 (perceived as 1 at 0.97)');
    // A confidence that two decimals would show as 1.00 or 0.00 keeps its digits.
    expect(describePerceived('p', { value: '1', confidence: 0.9996 })).toBe(
      'p perceived as 1 (0.9996)',
    );
  });
});
