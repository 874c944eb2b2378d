import { argMax } from '../arg-max';

/** What a perception network read for one record and one concept. */
export interface PerceivedConcept {
  /** The class the rules see (the perceived one, or the one a person set). */
  value: string;
  /** Its probability (1 when a person set it), rounded to {@link CONFIDENCE_DIGITS} decimals. */
  confidence: number;
  /** The runner-up class and its probability (absent for a concept set by a person). */
  next?: { value: string; confidence: number };
  /**
   * Set when a person fixed the concept (`--set`, HTTP `set`): what the network had
   * perceived, which the decision did not use.
   */
  perceivedAs?: { value: string; confidence: number };
}

/** What was perceived for one record, by concept. */
export type PerceivedFacts = Record<string, PerceivedConcept>;

/**
 * Decimals a confidence keeps. The fact `NAME_confidence` the rules test is this rounded
 * number everywhere (build, predict, explain, `perceive`), so a decision can be reproduced
 * from the written confidences, by SQL as by the engine.
 */
export const CONFIDENCE_DIGITS = 4;

const SCALE = 10 ** CONFIDENCE_DIGITS;

/** A probability as the fact `NAME_confidence` holds it. */
export function roundConfidence(p: number): number {
  return Math.round(p * SCALE) / SCALE;
}

/** The name of a concept's confidence fact. */
export function confidenceFact(concept: string): string {
  return `${concept}_confidence`;
}

/**
 * What row `row` of a perceiver's output says: the class of highest probability (the
 * first on ties, as `argMax`), its confidence and the runner-up.
 */
export function readPerceived(
  probabilities: ArrayLike<number>,
  row: number,
  classes: readonly string[],
): PerceivedConcept {
  const k = classes.length;
  const at = row * k;
  const best = argMax(probabilities, at, k);
  let second = -1;
  for (let j = 0; j < k; j++) {
    if (j !== best && (second < 0 || probabilities[at + j]! > probabilities[at + second]!))
      second = j;
  }
  const perceived: PerceivedConcept = {
    value: classes[best]!,
    confidence: roundConfidence(probabilities[at + best]!),
  };
  if (second >= 0) {
    perceived.next = {
      value: classes[second]!,
      confidence: roundConfidence(probabilities[at + second]!),
    };
  }
  return perceived;
}

/** A concept as a person set it, keeping what was perceived. */
export function setConcept(perceived: PerceivedConcept, value: string): PerceivedConcept {
  return {
    value,
    confidence: 1,
    perceivedAs: { value: perceived.value, confidence: perceived.confidence },
  };
}

/**
 * "postcode perceived as 7 (0.97; next 1 at 0.02)", or for a concept a person set,
 * "postcode set to 3 (perceived as 7 at 0.97)".
 */
export function describePerceived(name: string, p: PerceivedConcept): string {
  if (p.perceivedAs) {
    return `${name} set to ${p.value} (perceived as ${p.perceivedAs.value} at ${fmt(p.perceivedAs.confidence)})`;
  }
  const next = p.next ? `; next ${p.next.value} at ${fmt(p.next.confidence)}` : '';
  return `${name} perceived as ${p.value} (${fmt(p.confidence)}${next})`;
}

/** A confidence in words: two decimals, more when that would read as 0 or 1. */
function fmt(c: number): string {
  const two = c.toFixed(2);
  if ((two === '0.00' && c > 0) || (two === '1.00' && c < 1)) return String(c);
  return two;
}
