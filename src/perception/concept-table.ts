import type { CategoricalFeature, DataRecord, Feature, NumericFeature, Table } from '../data/types';
import { fitSchema } from '../data/fit-schema';
import { parseNumber } from '../data/parse-value';
import { type Issue, NeurulesError } from '../errors';
import type { Concept } from './concepts';
import { confidenceFact, readPerceived } from './perceived';

/** What a perception network learns from: one concept's raw inputs and labels, by row. */
export interface ConceptData {
  concept: Concept;
  /** Numeric inputs, row-major (rows × `width`); for an image concept, its file paths. */
  inputs:
    { kind: 'values'; values: Float32Array; width: number } | { kind: 'paths'; paths: string[] };
  /** Each row's label as text (a number label as it is written), or null when missing. */
  labels: (string | null)[];
}

/** A table split into what the rules decide on and what the perception networks learn. */
export interface SeparatedTable {
  /** The table without the concepts' raw columns and label columns. */
  decision: Table;
  concepts: ConceptData[];
}

/** Where a table's rows come from, for the places of its issues. */
export interface ConceptSource {
  /** The data file: the `file` of every issue. */
  file?: string;
  /** The file's header: a column's 1-based place in it is the `column` of its issues. */
  header?: readonly string[];
}

/** The place of a cell: its file, line, column number (where the header is known) and name. */
export function cellPlace(
  source: ConceptSource,
  line: number,
  field: string,
): { file?: string; line: number; column?: number; field: string } {
  const at = source.header?.indexOf(field) ?? -1;
  return {
    ...(source.file !== undefined && { file: source.file }),
    line,
    ...(at >= 0 && { column: at + 1 }),
    field,
  };
}

/** The most problems one refusal of a concept's inputs lists. */
export const MAX_CONCEPT_ISSUES = 20;

/**
 * Take the concepts' columns out of a table read with every raw input column numeric (and
 * an image column categorical): the decision table keeps the other features, the concepts
 * get their inputs as one Float32Array each and their labels as text.
 *
 * @throws NeurulesError INVALID_NUMBER, one issue per cell (line, column and field,
 *   naming the concept), for a raw input that is missing or not a number; IMAGE_UNREADABLE
 *   for a row of an image concept without a file name
 */
export function separateConcepts(
  table: Table,
  concepts: readonly Concept[],
  source: ConceptSource = {},
): SeparatedTable {
  const taken = new Set<string>();
  const issues: Issue[] = [];
  const at = (line: number, field: string) => cellPlace(source, line, field);
  const data = concepts.map((concept): ConceptData => {
    taken.add(concept.label);
    const labels = table.records.map((r) => {
      const v = r[concept.label];
      return v === null || v === undefined ? null : String(v);
    });
    if (concept.input.kind === 'images') {
      const column = concept.input.column;
      taken.add(column);
      const paths = table.records.map((r, i) => {
        const v = r[column];
        if (typeof v !== 'string' || v.trim() === '') {
          issues.push({
            code: 'IMAGE_UNREADABLE',
            message: `the concept '${concept.name}' needs an image file in '${column}', found none`,
            ...at(table.lines[i]!, column),
          });
          return '';
        }
        return v.trim();
      });
      return { concept, inputs: { kind: 'paths', paths }, labels };
    }
    const columns = concept.input.columns;
    for (const c of columns) taken.add(c);
    const width = columns.length;
    const values = new Float32Array(table.records.length * width);
    table.records.forEach((r, i) => {
      for (let j = 0; j < width; j++) {
        const v = r[columns[j]!];
        // Read as text (the build forces raw columns categorical, so a bad cell is named
        // here with its concept) or as a number.
        const n = typeof v === 'string' ? parseNumber(v) : v;
        if (typeof n === 'number' && Number.isFinite(n)) {
          values[i * width + j] = n;
        } else if (issues.length < MAX_CONCEPT_ISSUES) {
          issues.push({
            code: 'INVALID_NUMBER',
            message: `the concept '${concept.name}' reads numbers from '${columns[j]}', found ${v === null || v === undefined ? 'a missing value' : `'${String(v)}'`}`,
            ...at(table.lines[i]!, columns[j]!),
          });
        }
      }
    });
    return { concept, inputs: { kind: 'values', values, width }, labels };
  });
  if (issues.length > 0) {
    throw new NeurulesError(issues[0]!.code, issues[0]!.message, issues[0], issues);
  }
  const keep = (f: Feature) => !taken.has(f.name);
  const records = table.records.map((r) => {
    const out: DataRecord = {};
    for (const f of table.schema.features) if (keep(f)) out[f.name] = r[f.name] ?? null;
    return out;
  });
  const schema = { ...table.schema, features: table.schema.features.filter(keep) };
  return { decision: { ...table, schema, records }, concepts: data };
}

/** What a perception network perceived for each row of a table. */
export interface Perceived {
  concept: string;
  /** The concept's classes, in the order of the probabilities. */
  classes: readonly string[];
  /** Row-major probabilities, rows × classes. */
  probabilities: Float32Array;
}

/**
 * Add what was perceived to a decision table as two facts per concept: `NAME`, the
 * perceived class (categorical, levels the concept's classes), and `NAME_confidence`, its
 * probability. The rules, the decision network and every later stage see only these.
 *
 * @throws NeurulesError INVALID_ARGUMENT when a fact's name is already a feature, or the
 *   probabilities do not have a row per record
 */
export function withPerceived(table: Table, perceived: readonly Perceived[]): Table {
  const names = new Set(table.schema.features.map((f) => f.name));
  const added: Feature[] = [];
  const records = table.records.map((r) => ({ ...r }));
  for (const p of perceived) {
    const confidence = confidenceFact(p.concept);
    for (const name of [p.concept, confidence]) {
      if (names.has(name) || name === table.schema.target) {
        throw new NeurulesError(
          'INVALID_ARGUMENT',
          `the concept '${p.concept}' adds the fact '${name}', which is already a column of the table`,
          { field: name },
        );
      }
      names.add(name);
    }
    const k = p.classes.length;
    if (p.probabilities.length !== records.length * k) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `the concept '${p.concept}' was perceived for ${p.probabilities.length / k} rows, the table has ${records.length}`,
        { field: p.concept },
      );
    }
    records.forEach((r, i) => {
      const read = readPerceived(p.probabilities, i, p.classes);
      r[p.concept] = read.value;
      r[confidence] = read.confidence;
    });
    const category: CategoricalFeature = {
      name: p.concept,
      type: 'categorical',
      levels: [...p.classes],
      missing: 0,
    };
    const numeric: NumericFeature = {
      name: confidence,
      type: 'numeric',
      min: 0,
      max: 1,
      mean: 0,
      std: 0,
      integer: false,
      missing: 0,
    };
    added.push(category, numeric);
  }
  const schema = fitSchema(
    { ...table.schema, features: [...added, ...table.schema.features] },
    records,
  );
  return { ...table, schema, records };
}
