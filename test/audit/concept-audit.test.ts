import type { ConceptReadings } from '../../src/artifacts/model-data';
import { conceptAudit } from '../../src/audit/concept-audit';
import type { DataRecord } from '../../src/data/types';
import { MAX_MISPERCEIVED } from '../../src/audit/types';

/** A concept of 2×2 images read on four records. */
function readings(labels: (string | null)[], perceived: [string, number][]): ConceptReadings {
  return {
    name: 'digit',
    classes: ['1', '7'],
    shape: { height: 2, width: 2 },
    labels,
    perceived: perceived.map(([value, confidence]) => ({ value, confidence })),
    inputs: Float32Array.from(labels.flatMap((_, i) => [0, 255, i * 10, 128])),
    width: 4,
  };
}

// The rules route by the digit: 1 → left, 7 → right.
const decide = (r: DataRecord) => (r.digit === '1' ? 'left' : 'right');

describe('the audit of a perceived concept', () => {
  const c = readings(
    ['1', '7', '7', null],
    [
      ['1', 0.99],
      ['1', 0.6],
      ['7', 0.95],
      ['1', 0.5],
    ],
  );
  const records = c.perceived.map((p) => ({ digit: p.value, digit_confidence: p.confidence }));
  const [audit] = conceptAudit([c], records, [2, 3, 4, 5], decide);

  it('judges labelled records only: accuracy with its interval, and the confusion matrix', () => {
    expect(audit!.accuracy).toMatchObject({ successes: 2, trials: 3 });
    expect(audit!.accuracy!.value).toBeCloseTo(2 / 3);
    expect(audit!.confusion).toEqual([
      [1, 0],
      [1, 1],
    ]);
  });

  it('lists a misperceived record with its line, its image and the decision read right', () => {
    expect(audit!.misperceivedCount).toBe(1);
    expect(audit!.misperceived).toEqual([
      {
        line: 3,
        label: '7',
        perceived: '1',
        confidence: 0.6,
        decision: 'left',
        decisionIfRight: 'right',
        pixels: [0, 255, 10, 128],
      },
    ]);
  });

  it('has no accuracy without labels, and at most MAX_MISPERCEIVED records, least sure first', () => {
    const none = conceptAudit([readings([null], [['1', 0.9]])], [{ digit: '1' }], [2], decide);
    expect(none[0]!.accuracy).toBeNull();
    const n = MAX_MISPERCEIVED + 5;
    const many = readings(
      Array.from({ length: n }, () => '7'),
      Array.from({ length: n }, (_, i) => ['1', 0.5 + i / 100] as [string, number]),
    );
    const audited = conceptAudit(
      [many],
      many.perceived.map((p) => ({ digit: p.value })),
      many.labels.map((_, i) => i + 2),
      decide,
    )[0]!;
    expect(audited.misperceivedCount).toBe(n);
    expect(audited.misperceived).toHaveLength(MAX_MISPERCEIVED);
    expect(audited.misperceived[0]!.confidence).toBe(0.5);
  });
});
