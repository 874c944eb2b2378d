import type { ConceptReadings } from '../artifacts/model-data';
import type { DataRecord } from '../data/types';
import { confidenceFact } from '../perception/perceived';
import { type ConceptAudit, MAX_MISPERCEIVED, type MisperceivedRecord } from './types';
import { wilsonInterval } from './wilson-interval';

/**
 * How well each concept is perceived on the evaluated records: accuracy against its label
 * column (where a record has one) with its 95% interval, the confusion matrix, and the
 * misperceived records, lowest confidence first, each with the rules' decision as perceived
 * and as it would be with the concept read right, and its image when the concept has a
 * shape (grey levels stretched to 0–255).
 */
export function conceptAudit(
  readings: readonly ConceptReadings[],
  records: readonly DataRecord[],
  lines: readonly number[],
  decide: (record: DataRecord) => string,
): ConceptAudit[] {
  return readings.map((c) => {
    const index = new Map(c.classes.map((cls, i) => [cls, i]));
    const confusion = c.classes.map(() => c.classes.map(() => 0));
    let labelled = 0;
    let right = 0;
    const wrong: number[] = [];
    c.labels.forEach((label, i) => {
      const truth = label === null ? undefined : index.get(label);
      const seen = index.get(c.perceived[i]!.value);
      if (truth === undefined || seen === undefined) return;
      labelled++;
      confusion[truth]![seen]!++;
      if (truth === seen) right++;
      else wrong.push(i);
    });
    wrong.sort((a, b) => c.perceived[a]!.confidence - c.perceived[b]!.confidence || a - b);
    const misperceived = wrong.slice(0, MAX_MISPERCEIVED).map((i): MisperceivedRecord => {
      const record = records[i]!;
      const fixed = { ...record, [c.name]: c.labels[i]!, [confidenceFact(c.name)]: 1 };
      return {
        line: lines[i]!,
        label: c.labels[i]!,
        perceived: c.perceived[i]!.value,
        confidence: c.perceived[i]!.confidence,
        decision: decide(record),
        decisionIfRight: decide(fixed),
        ...(c.shape && { pixels: greyLevels(c.inputs.subarray(i * c.width, (i + 1) * c.width)) }),
      };
    });
    const ci = labelled > 0 ? wilsonInterval(right, labelled) : undefined;
    return {
      name: c.name,
      classes: [...c.classes],
      shape: c.shape && { height: c.shape.height, width: c.shape.width },
      accuracy: ci
        ? {
            value: ci.value,
            low: ci.low,
            high: ci.high,
            method: 'Wilson score interval, 95%',
            successes: right,
            trials: labelled,
          }
        : null,
      confusion,
      misperceivedCount: wrong.length,
      misperceived,
    };
  });
}

/**
 * An image's values as whole grey levels 0–255: grey levels already are kept, values of
 * another scale (0–1, standardised) are stretched from the image's own range.
 */
export function greyLevels(values: Float32Array): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  // Grey levels already (0–255) are kept as they are; other scales are stretched.
  if (lo >= 0 && hi <= 255 && hi > 1) return Array.from(values, (v) => Math.round(v));
  const span = hi - lo || 1;
  return Array.from(values, (v) => Math.round(((v - lo) / span) * 255));
}
