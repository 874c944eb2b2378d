import type { DataRecord } from '../data/types';
import { countAgreement, decideRecords } from './route-records';
import type { Tree } from './types';

/** Candidate readable values for a threshold, fewest significant digits first. */
export function readableCandidates(threshold: number, integer: boolean): number[] {
  const out: number[] = [];
  const add = (v: number): void => {
    if (Number.isFinite(v) && !out.includes(v) && v !== threshold) out.push(v);
  };
  for (let digits = 1; digits <= 6; digits++) {
    add(Number(threshold.toPrecision(digits)));
    // For whole-number data `x <= 21.5` and `x <= 21` split the same values.
    if (integer) add(Math.floor(Number(threshold.toPrecision(digits))));
  }
  if (integer) add(Math.floor(threshold));
  return out.sort((a, b) => significantDigits(a) - significantDigits(b));
}

/** Significant digits of a number as it prints. */
export function significantDigits(x: number): number {
  const s = Math.abs(x).toExponential().split('e')[0]!.replace('.', '');
  return s.replace(/0+$/, '').length || 1;
}

/**
 * Round each numeric threshold to the value with the fewest significant digits that
 * lowers neither the validation fidelity nor the agreement with the network on the
 * training (and synthetic) records. `labels` are the network's classes for `validation`;
 * the training records' network classes are the tree's own decisions before rounding.
 */
export function roundThresholds(
  tree: Tree,
  records: DataRecord[],
  validation: DataRecord[],
  labels: number[],
  wholeNumberFeatures: ReadonlySet<string>,
): Tree {
  const isInteger = (feature: string): boolean => wholeNumberFeatures.has(feature);
  const score = countAgreement;
  const trainTarget = decideRecords(tree, records);
  let current = tree;
  let trainScore = score(current, records, trainTarget);
  let validScore = score(current, validation, labels);
  for (const node of tree.nodes) {
    const test = node.test;
    if (!test || test.type !== 'numeric') continue;
    for (const value of readableCandidates(test.threshold, isInteger(test.feature))) {
      if (significantDigits(value) >= significantDigits(test.threshold)) break;
      const candidate: Tree = {
        ...current,
        nodes: current.nodes.map((n) =>
          n.id === node.id ? { ...n, test: { ...test, threshold: value } } : n,
        ),
      };
      const t = score(candidate, records, trainTarget);
      const v = score(candidate, validation, labels);
      if (t >= trainScore && v >= validScore) {
        current = candidate;
        trainScore = t;
        validScore = v;
        break;
      }
    }
  }
  return current;
}
