import * as path from 'node:path';
import type { ConceptMetrics } from '../artifacts/types';
import { parseCsv } from '../data/parse-csv';
import { isMissingText } from '../data/parse-value';
import type { ColumnType } from '../data/read-csv';
import type { Table } from '../data/types';
import { type ConceptData, separateConcepts, withPerceived } from '../perception/concept-table';
import {
  checkConceptLabels,
  type Concept,
  parseConceptDeclaration,
  parseConceptShape,
  resolveConcepts,
  type Shape,
} from '../perception/concepts';
import { decodeImages } from '../perception/decode-images';
import { NeurulesError } from '../errors';
import type { ConceptSpec } from '../perception/perception-front';
import type { PerceptionProgress } from '../perception/perception-network';
import { type Perceiver, trainPerceiver } from '../perception/train-perceiver';

/** Progress of the perception step of a build. */
export type PerceptionBuildProgress =
  | { step: 'decode'; concept: string; done: number; total: number }
  | ({ step: 'train'; concept: string } & PerceptionProgress)
  | { step: 'trained'; concept: string; accuracy: number; epochs: number; network: string };

/**
 * The concepts a build declares (`--concept NAME=COLUMNS`, `--concept-shape NAME=HxW`),
 * checked against the data file's header before anything is read further, and the column
 * types the file is then read with: every raw input and label column as text, so that a
 * bad pixel is reported by its concept (INVALID_NUMBER) and labels stay labels. The header
 * comes back too, to place the concepts' issues by column.
 *
 * @throws NeurulesError as `parseConceptDeclaration`, `parseConceptShape` and
 *   `resolveConcepts` do (CONCEPT_NO_COLUMNS, CONCEPT_LABEL_MISSING, CONCEPT_SHAPE_MISMATCH,
 *   CONCEPT_OVERLAP, INVALID_ARGUMENT)
 */
export function planConcepts(
  bytes: Buffer,
  declarations: readonly string[],
  shapeTexts: readonly string[],
  options: { file: string; target?: string },
): { concepts: Concept[]; types: Record<string, ColumnType>; header: string[] } {
  const declared = declarations.map(parseConceptDeclaration);
  const shapes = new Map<string, Shape>();
  for (const text of shapeTexts) {
    const { name, shape } = parseConceptShape(text);
    if (shapes.has(name)) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `the shape of the concept '${name}' is given twice`,
        {
          field: 'conceptShape',
        },
      );
    }
    shapes.set(name, shape);
  }
  const csv = parseCsv(bytes, options.file);
  const target = options.target ?? csv.header[csv.header.length - 1];
  const concepts = resolveConcepts(declared, shapes, csv.header, {
    file: options.file,
    ...(target !== undefined && { target }),
    firstValue: (column) => {
      const at = csv.header.indexOf(column);
      for (const row of csv.rows) {
        const v = row.fields[at]?.trim();
        if (v !== undefined && !isMissingText(v)) return v;
      }
      return undefined;
    },
  });
  const types: Record<string, ColumnType> = {};
  for (const c of concepts) {
    types[c.label] = 'categorical';
    const inputs = c.input.kind === 'images' ? [c.input.column] : c.input.columns;
    for (const column of inputs) types[column] = 'categorical';
  }
  return { concepts, types, header: csv.header };
}

/** What the perception step of a build learned. */
export interface LearnedPerception {
  /** The decision table: ordinary features and each concept's facts `NAME`, `NAME_confidence`. */
  table: Table;
  perceivers: Perceiver[];
  concepts: ConceptSpec[];
  /** Each concept's labels by row of the table (null where missing). */
  labels: Map<string, (string | null)[]>;
}

/**
 * The perception step of a build: take the concepts' columns out of `raw`, decode image
 * files, check every concept's labels (CONCEPT_ONE_CLASS) before any training, train one
 * perception network per concept on the rows of `trainLines` (the build's training and
 * validation rows: the test rows are never seen), perceive every row, and give the decision
 * table the rules learn from.
 */
export async function learnPerception(
  raw: Table,
  concepts: readonly Concept[],
  options: {
    file: string;
    /** The data file's header: the column numbers of the concepts' issues. */
    header?: readonly string[];
    seed: number;
    /** Lines of the rows perception may learn from. */
    trainLines: ReadonlySet<number>;
    onProgress?: (p: PerceptionBuildProgress) => void;
  },
): Promise<LearnedPerception> {
  const separated = separateConcepts(raw, concepts, {
    file: options.file,
    ...(options.header && { header: options.header }),
  });
  const classesOf = separated.concepts.map((d) =>
    checkConceptLabels(d.concept, d.labels, options.file),
  );
  const data: ConceptData[] = [];
  for (const d of separated.concepts) data.push(await decoded(d, raw, options));
  const trainRows = raw.lines.flatMap((line, i) => (options.trainLines.has(line) ? [i] : []));
  const perceivers: Perceiver[] = [];
  try {
    for (const [k, d] of data.entries()) {
      const name = d.concept.name;
      // Every class of the file, not only the training rows': a class labelled only in
      // test rows is still one of the concept's, and of its network's.
      const perceiver = await trainPerceiver(subset(d, trainRows), {
        seed: options.seed,
        classes: classesOf[k]!,
        onProgress: (p) => options.onProgress?.({ step: 'train', concept: name, ...p }),
      });
      perceivers.push(perceiver);
      options.onProgress?.({
        step: 'trained',
        concept: name,
        accuracy: perceiver.accuracy,
        epochs: perceiver.epochs,
        network: describeNetwork(perceiver),
      });
    }
    const perceived = data.map((d, k) => {
      const p = perceivers[k]!;
      if (d.inputs.kind !== 'values') throw new Error('unreachable: images are decoded');
      return {
        concept: d.concept.name,
        classes: p.classes,
        probabilities: p.predictProba(d.inputs.values, raw.records.length),
      };
    });
    const table = withPerceived(separated.decision, perceived);
    return {
      table,
      perceivers,
      concepts: data.map((d, k) => ({
        name: d.concept.name,
        label: d.concept.label,
        input: d.concept.input,
        classes: [...classesOf[k]!],
      })),
      labels: new Map(data.map((d) => [d.concept.name, d.labels])),
    };
  } catch (e) {
    for (const p of perceivers) p.dispose();
    throw e;
  }
}

/** A concept's data with its image files decoded to grey levels (others as they are). */
async function decoded(
  d: ConceptData,
  raw: Table,
  options: {
    file: string;
    header?: readonly string[];
    onProgress?: (p: PerceptionBuildProgress) => void;
  },
): Promise<ConceptData> {
  if (d.inputs.kind === 'values' || d.concept.input.kind !== 'images') return d;
  const { column, shape } = d.concept.input;
  const name = d.concept.name;
  const at = options.header?.indexOf(column) ?? -1;
  const values = await decodeImages(d.inputs.paths, {
    baseDir: path.dirname(options.file),
    shape,
    concept: name,
    column,
    ...(at >= 0 && { columnNumber: at + 1 }),
    file: options.file,
    lines: raw.lines,
    onProgress: (done, total) =>
      options.onProgress?.({ step: 'decode', concept: name, done, total }),
  });
  return { ...d, inputs: { kind: 'values', values, width: shape.height * shape.width } };
}

/** The rows `rows` of a concept's (decoded) data. */
function subset(d: ConceptData, rows: readonly number[]): ConceptData {
  if (d.inputs.kind !== 'values') throw new Error('unreachable: images are decoded');
  const { values, width } = d.inputs;
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, k) => out.set(values.subarray(r * width, (r + 1) * width), k * width));
  return {
    concept: d.concept,
    inputs: { kind: 'values', values: out, width },
    labels: rows.map((r) => d.labels[r]!),
  };
}

/** A perception network in words: `im2col CNN 5×5×8 on 28×28`, `MLP 40-64-4`. */
export function describeNetwork(p: Perceiver): string {
  const a = p.spec.architecture;
  return a.kind === 'mlp'
    ? `MLP ${a.inputs}-${a.hidden}-${a.classes}`
    : `im2col CNN ${a.kernel}×${a.kernel}×${a.filters} on ${a.height}×${a.width}`;
}

/**
 * How well each concept is perceived on `test` (rows of the decision table, by line):
 * accuracy on the labelled rows and the confusion matrix.
 */
export function conceptMetrics(
  learned: LearnedPerception,
  test: Table,
): Record<string, ConceptMetrics> {
  const rowOfLine = new Map(learned.table.lines.map((line, i) => [line, i]));
  const out: Record<string, ConceptMetrics> = {};
  learned.concepts.forEach((c, k) => {
    const labels = learned.labels.get(c.name)!;
    const index = new Map(c.classes.map((cls, i) => [cls, i]));
    const confusion = c.classes.map(() => c.classes.map(() => 0));
    let rows = 0;
    let right = 0;
    test.records.forEach((r, t) => {
      const label = labels[rowOfLine.get(test.lines[t]!)!];
      const truth = label === null || label === undefined ? undefined : index.get(label);
      const seen = index.get(String(r[c.name]));
      if (truth === undefined || seen === undefined) return;
      rows++;
      if (truth === seen) right++;
      confusion[truth]![seen]!++;
    });
    const p = learned.perceivers[k]!;
    out[c.name] = {
      accuracy: rows > 0 ? right / rows : null,
      rows,
      validationAccuracy: p.accuracy,
      classes: [...c.classes],
      confusion,
      network: describeNetwork(p),
      epochs: p.epochs,
    };
  });
  return out;
}
