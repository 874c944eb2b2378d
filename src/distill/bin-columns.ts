import type { TrainingColumns } from './types';

/** Bin index of a missing value. */
export const MISSING = 0xffff;

/** A numeric column binned once: bin per sample, and each bin's value range. */
export interface BinnedNumeric {
  kind: 'numeric';
  bins: Uint16Array;
  binCount: number;
  binMin: Float64Array;
  binMax: Float64Array;
}

export interface BinnedCategorical {
  kind: 'categorical';
  bins: Uint16Array;
  binCount: number;
  levels: string[];
}

export type Binned = BinnedNumeric | BinnedCategorical;

/** Bin a column: numeric values into value-ordered bins, categorical levels as they are. */
export function binColumn(
  column: Float64Array | Int32Array,
  spec: TrainingColumns['features'][number],
  maxBins: number,
): Binned {
  const n = column.length;
  const bins = new Uint16Array(n);
  if (spec.type === 'categorical') {
    for (let i = 0; i < n; i++) {
      const v = column[i]!;
      bins[i] = v < 0 || v >= spec.levels.length ? MISSING : v;
    }
    return { kind: 'categorical', bins, binCount: spec.levels.length, levels: spec.levels };
  }
  let present = 0;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = column[i]!;
    if (Number.isFinite(v)) values[present++] = v;
  }
  const sorted = values.subarray(0, present).sort();
  // Upper edges: every distinct value if few enough, else quantiles of the distinct values' mass.
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++)
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!);
  let edges: number[];
  if (distinct.length <= maxBins) edges = distinct;
  else {
    edges = [];
    for (let q = 1; q <= maxBins; q++) {
      const v = sorted[Math.min(sorted.length - 1, Math.ceil((q * sorted.length) / maxBins) - 1)]!;
      if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
    }
    if (edges[edges.length - 1] !== distinct[distinct.length - 1])
      edges.push(distinct[distinct.length - 1]!);
  }
  const binCount = edges.length;
  const binMin = new Float64Array(binCount).fill(Infinity);
  const binMax = new Float64Array(binCount).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const v = column[i]!;
    if (!Number.isFinite(v)) {
      bins[i] = MISSING;
      continue;
    }
    // First edge >= v (binary search).
    let lo = 0;
    let hi = binCount - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! >= v) hi = mid;
      else lo = mid + 1;
    }
    bins[i] = lo;
    if (v < binMin[lo]!) binMin[lo] = v;
    if (v > binMax[lo]!) binMax[lo] = v;
  }
  return { kind: 'numeric', bins, binCount, binMin, binMax };
}

/** The threshold between a bin and the next: midway between their values. */
export function thresholdAfter(b: BinnedNumeric, bin: number): number {
  return (b.binMax[bin]! + b.binMin[bin + 1]!) / 2;
}
