import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseNumber } from '../data/parse-value';
import type { DataRecord, Feature, NumericFeature, Schema } from '../data/types';
import { type Issue, isNeurulesError, NeurulesError } from '../errors';
import type { ConceptInput } from './concepts';
import { decodeImages } from './decode-images';
import {
  confidenceFact,
  type PerceivedConcept,
  type PerceivedFacts,
  readPerceived,
  setConcept,
} from './perceived';
import type { Perceiver } from './train-perceiver';

/** A concept of a built model: where its raw input comes from and what it can be. */
export interface ConceptSpec {
  name: string;
  /** The column holding a person's label of the concept (optional when deciding). */
  label: string;
  input: ConceptInput;
  /** The classes its network perceives, in the order of its probabilities. */
  classes: string[];
}

/**
 * `perception.json` of a model with concepts: the concepts, and the schema raw records are
 * read with when deciding. The model's `schema.json` stays the rules' schema (each concept
 * as the facts `NAME` and `NAME_confidence`); this one has the raw columns instead.
 */
export interface PerceptionSpec {
  format: 'neurules.perception';
  version: 1;
  concepts: ConceptSpec[];
  /**
   * The schema of raw records, in the data file's column order: the ordinary features as
   * the rules' schema has them, each concept's raw columns (numeric), its image column (any
   * text) and its label column (optional, any text).
   */
  input: Schema;
}

/**
 * The schema raw records are read with: `raw` (the data file's columns in order) with the
 * ordinary features taken from `decision` (the rules' schema, fitted on the training
 * rows), each concept's raw columns numeric, an image column and a label column open to any
 * text, the label optional.
 */
export function inputSchemaFor(
  raw: Schema,
  decision: Schema,
  concepts: readonly ConceptSpec[],
): Schema {
  const ordinary = new Map(decision.features.map((f) => [f.name, f]));
  const labels = new Map(concepts.map((c) => [c.label, c]));
  const imageColumns = new Set(
    concepts.flatMap((c) => (c.input.kind === 'images' ? [c.input.column] : [])),
  );
  const pixelColumns = new Set(
    concepts.flatMap((c) => (c.input.kind === 'columns' ? c.input.columns : [])),
  );
  const features = raw.features.map((f): Feature => {
    const label = labels.get(f.name);
    if (label) {
      return {
        name: f.name,
        type: 'categorical',
        levels: [...label.classes],
        missing: 0,
        open: true,
        optional: true,
      };
    }
    if (imageColumns.has(f.name)) {
      return { name: f.name, type: 'categorical', levels: [], missing: 0, open: true };
    }
    if (pixelColumns.has(f.name)) return rawNumber(f.name);
    const kept = ordinary.get(f.name);
    if (!kept) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `the column '${f.name}' is neither a feature of the rules nor a concept's input`,
        { field: f.name },
      );
    }
    return kept;
  });
  return { ...decision, features };
}

/**
 * Why an image path given from outside may not be read ('' when it may): without a root no
 * path may; an absolute path, a path out of the root, or a link leading out of it may not.
 * The answer never says whether a file outside the root exists.
 */
function outsideRoot(file: string, confine: { imageRoot?: string | undefined }): string {
  const root = confine.imageRoot;
  if (root === undefined) {
    return 'this service reads no image files (it was started without an image folder, serve --image-root DIR)';
  }
  const outside = `expected a path inside the image folder, found '${file}'`;
  if (path.isAbsolute(file)) return outside;
  const target = path.resolve(root, file);
  const relative = path.relative(root, target);
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`)) return outside;
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
  } catch {
    return outside;
  }
  // The nearest part of the path that exists, links resolved, must lie in the folder:
  // whether the rest exists is then the decoder's to say, and a link out of the folder
  // is refused alike whether or not anything is behind it.
  for (let probe = target; ; probe = path.dirname(probe)) {
    let real: string;
    try {
      real = fs.realpathSync(probe);
    } catch {
      if (path.dirname(probe) === probe) return outside;
      continue;
    }
    const inside = real.startsWith(realRoot + path.sep) || (real === realRoot && probe !== target);
    return inside ? '' : outside;
  }
}

/** A raw input column: a number, no statistics (the perceiver scales its own inputs). */
function rawNumber(name: string): NumericFeature {
  return { name, type: 'numeric', min: 0, max: 0, mean: 0, std: 0, integer: false, missing: 0 };
}

/** Options of {@link PerceptionFront.perceive}. */
export interface PerceiveOptions {
  /** Concepts a person fixed: decide as if each had been perceived as its value. */
  set?: ReadonlyMap<string, string>;
  /** The file the records came from: image paths are relative to its folder. */
  file?: string;
  /** Each record's line in `file`, for issues. */
  lines?: readonly number[];
  /** Also return each concept's raw inputs as read (decoded images), to show them. */
  keepInputs?: boolean;
  /**
   * Records from outside (a request to the service) name image files: each must lie inside
   * `imageRoot`, named by a relative path that stays inside it with links resolved, else
   * the record is refused (IMAGE_UNREADABLE). Without `imageRoot`, no image file is read:
   * a request must not make the service open or probe any file it names.
   */
  confineImages?: { imageRoot?: string | undefined };
}

/** What {@link PerceptionFront.perceive} made of raw records. */
export interface PerceivedBatch {
  /**
   * Per record: the record the rules decide (the rules' schema: ordinary features and
   * each concept's two facts) and what was perceived, or the issues that stopped it (a
   * missing or non-numeric raw input, an unreadable image).
   */
  rows: ({ record: DataRecord; perceived: PerceivedFacts } | { issues: Issue[] })[];
  /** With `keepInputs`: each concept's inputs, row-major (records × width; zeros where refused). */
  inputs?: Map<string, { values: Float32Array; width: number }>;
}

/**
 * The perception networks of a model, in front of its rules: raw records in, the rules'
 * records out. Perception runs batched (one forward pass per concept per batch).
 */
export class PerceptionFront {
  private readonly byConcept: Map<string, Perceiver>;
  /** Each concept's confidence fact, to the concept. */
  private readonly confidences: Map<string, string>;

  constructor(
    readonly spec: PerceptionSpec,
    /** The rules' schema. */
    readonly schema: Schema,
    perceivers: readonly Perceiver[],
  ) {
    this.byConcept = new Map(perceivers.map((p) => [p.concept, p]));
    this.confidences = new Map(spec.concepts.map((c) => [confidenceFact(c.name), c.name]));
    for (const c of spec.concepts) {
      const p = this.byConcept.get(c.name);
      if (!p || JSON.stringify(p.classes) !== JSON.stringify(c.classes)) {
        throw new NeurulesError(
          'INVALID_ARTIFACT',
          `the perceiver of concept '${c.name}' is ${p ? `for the classes ${JSON.stringify(p.classes)}, the model's are ${JSON.stringify(c.classes)}` : 'missing'}`,
          { field: c.name },
        );
      }
    }
  }

  /** Free the perception networks; the front is unusable afterwards. */
  dispose(): void {
    for (const p of this.byConcept.values()) p.dispose();
  }

  /** The concepts, as `parseInterventions` takes them. */
  get concepts(): readonly ConceptSpec[] {
    return this.spec.concepts;
  }

  /**
   * Perceive every concept of `records` (read with `spec.input`) and make the rules'
   * records. A record whose raw input is missing or not a number, or whose image cannot be
   * read, gets its issues instead (INVALID_NUMBER, IMAGE_UNREADABLE, naming the concept and
   * column); the others are perceived together.
   */
  async perceive(
    records: readonly DataRecord[],
    options: PerceiveOptions = {},
  ): Promise<PerceivedBatch> {
    const n = records.length;
    const issues: (Issue[] | undefined)[] = new Array(n);
    const addIssue = (i: number, issue: Issue) => (issues[i] ??= []).push(issue);
    const place = (i: number) => ({
      ...(options.file !== undefined && { file: options.file }),
      ...(options.lines?.[i] !== undefined && { line: options.lines[i] }),
    });
    const perceived: PerceivedConcept[][] = [];
    const kept = new Map<string, { values: Float32Array; width: number }>();
    for (const concept of this.spec.concepts) {
      const perceiver = this.byConcept.get(concept.name)!;
      const width = perceiver.spec.width;
      const values = new Float32Array(n * width);
      if (concept.input.kind === 'columns') {
        const columns = concept.input.columns;
        records.forEach((r, i) => {
          for (let j = 0; j < width; j++) {
            const v = r[columns[j]!];
            const x = typeof v === 'string' ? parseNumber(v) : v;
            if (typeof x === 'number' && Number.isFinite(x)) values[i * width + j] = x;
            else if (!issues[i]) {
              addIssue(i, {
                code: 'INVALID_NUMBER',
                message: `the concept '${concept.name}' reads a number from '${columns[j]}', found ${v === null || v === undefined ? 'a missing value' : `'${String(v)}'`}`,
                ...place(i),
                field: columns[j]!,
              });
            }
          }
        });
      } else {
        await this.decodeInto(values, records, concept, options, addIssue, place);
      }
      if (options.keepInputs) kept.set(concept.name, { values, width });
      const probabilities = perceiver.predictProba(values, n);
      perceived.push(records.map((_, i) => readPerceived(probabilities, i, concept.classes)));
    }
    const rows = records.map((raw, i): PerceivedBatch['rows'][number] => {
      if (issues[i]) return { issues: issues[i] };
      const facts: PerceivedFacts = {};
      this.spec.concepts.forEach((c, k) => {
        const read = perceived[k]![i]!;
        const fixed = options.set?.get(c.name);
        facts[c.name] = fixed === undefined ? read : setConcept(read, fixed);
      });
      return { record: this.decisionRecord(raw, facts), perceived: facts };
    });
    return options.keepInputs ? { rows, inputs: kept } : { rows };
  }

  /** The rules' record of a raw record and what was perceived of it. */
  decisionRecord(raw: DataRecord, facts: PerceivedFacts): DataRecord {
    const record: DataRecord = {};
    for (const f of this.schema.features) {
      const concept = Object.hasOwn(facts, f.name) ? facts[f.name] : undefined;
      const of = this.confidences.get(f.name);
      if (concept) record[f.name] = concept.value;
      else if (of !== undefined) record[f.name] = facts[of]!.confidence;
      else record[f.name] = raw[f.name] ?? null;
    }
    return record;
  }

  /** Decode a batch's images into `values`; an unreadable one becomes its record's issue. */
  private async decodeInto(
    values: Float32Array,
    records: readonly DataRecord[],
    concept: ConceptSpec,
    options: PerceiveOptions,
    addIssue: (i: number, issue: Issue) => void,
    place: (i: number) => { file?: string; line?: number },
  ): Promise<void> {
    if (concept.input.kind !== 'images') return;
    const { column, shape } = concept.input;
    const confine = options.confineImages;
    const baseDir =
      confine?.imageRoot ??
      (options.file !== undefined ? path.dirname(options.file) : process.cwd());
    const width = shape.height * shape.width;
    const wanted: number[] = [];
    records.forEach((r, i) => {
      const v = r[column];
      const refused =
        typeof v === 'string' && v.trim() !== '' && confine ? outsideRoot(v.trim(), confine) : '';
      if (refused) {
        addIssue(i, {
          code: 'IMAGE_UNREADABLE',
          message: `the concept '${concept.name}' reads an image file from '${column}': ${refused}`,
          ...place(i),
          field: column,
        });
      } else if (typeof v === 'string' && v.trim() !== '') wanted.push(i);
      else {
        addIssue(i, {
          code: 'IMAGE_UNREADABLE',
          message: `the concept '${concept.name}' needs an image file in '${column}', found none`,
          ...place(i),
          field: column,
        });
      }
    });
    const decode = (rows: readonly number[]) =>
      decodeImages(
        rows.map((i) => String(records[i]![column]).trim()),
        {
          baseDir,
          shape,
          concept: concept.name,
          column,
          ...(options.file !== undefined && { file: options.file }),
          // Records without lines (a request's) get issues without one, not line 0.
          ...(options.lines && { lines: rows.map((i) => options.lines![i] ?? 0) }),
        },
      );
    const put = (rows: readonly number[], decoded: Float32Array) =>
      rows.forEach((i, k) => values.set(decoded.subarray(k * width, (k + 1) * width), i * width));
    try {
      put(wanted, await decode(wanted));
    } catch (e) {
      if (!isNeurulesError(e)) throw e;
      // One or more images are unreadable: each record is decoded alone, so only those
      // records are refused, each with its own issue.
      for (const i of wanted) {
        try {
          put([i], await decode([i]));
        } catch (one) {
          if (!isNeurulesError(one)) throw one;
          for (const issue of one.issues) addIssue(i, issue);
        }
      }
    }
  }
}
