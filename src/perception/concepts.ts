import { sortLabels } from '../data/parse-value';
import { didYouMean, NeurulesError } from '../errors';
import { confidenceFact } from './perceived';

/**
 * Concepts: what a perception network reads from raw inputs (pixels, a sensor window, an
 * embedding, image files) and hands to the rules as a named fact. `postcode=px_*` declares
 * the concept `postcode`, whose label (the digit a person would say the image shows) is the
 * column `postcode`, perceived from the columns `px_0`, `px_1`, ... The raw columns and the
 * label column are never features of the decision rules.
 *
 * This module only reads the declarations and checks them against a file's header, before
 * any training: every mistake is a coded error naming the concept and the column.
 */

/** A concept as declared: `NAME=COLUMNS`, not yet checked against a file. */
export interface ConceptDeclaration {
  /** The concept, and the column holding its label. */
  name: string;
  /** A glob over column names (`px_*`), a comma list, or one column of image file paths. */
  columns: string;
}

/** The height and width of an image, in pixels. */
export interface Shape {
  height: number;
  width: number;
}

/** Where a concept's raw input comes from. */
export type ConceptInput =
  /** Numeric columns: an image in row-major order when `shape` is set, else a plain vector. */
  | { kind: 'columns'; columns: string[]; shape?: Shape }
  /** One column of PNG or JPEG file paths (relative to the data file), decoded to `shape`. */
  | { kind: 'images'; column: string; shape: Shape };

/** A concept checked against a file's header. */
export interface Concept {
  name: string;
  /** The column holding the concept's label (its name). */
  label: string;
  input: ConceptInput;
}

/** The largest image side neurules reads (a 1024 × 1024 image is a million inputs). */
export const MAX_SIDE = 1024;

/**
 * The smallest image side a perception network takes: its 3×3 convolution leaves 2×2,
 * which its 2×2 pooling halves. Columns whose names imply a smaller image (`s1` … `s4`)
 * are read as a plain vector.
 */
export const MIN_SIDE = 4;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IMAGE_PATH = /\.(png|jpe?g)$/i;

/**
 * Read one `NAME=COLUMNS` declaration.
 *
 * @throws NeurulesError INVALID_ARGUMENT (field `concept`) when it is not of that form, or
 *   NAME is not a plain name (letters, digits, `_`: it becomes a fact of the rules, and
 *   `NAME_confidence` another), or is `__proto__`
 */
export function parseConceptDeclaration(text: string): ConceptDeclaration {
  const at = text.indexOf('=');
  const name = at < 0 ? '' : text.slice(0, at).trim();
  const columns = at < 0 ? '' : text.slice(at + 1).trim();
  if (!name || !columns) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected a concept as NAME=COLUMNS (for example postcode=px_*), found '${text}'`,
      { field: 'concept' },
    );
  }
  if (!NAME.test(name)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected a concept name of letters, digits and _ (it becomes a fact of the rules), found '${name}'`,
      { field: 'concept' },
    );
  }
  if (name === '__proto__') {
    // As a key of a plain object (what was perceived, by concept) it would set the
    // object's prototype rather than name a concept.
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      "a concept cannot be named '__proto__' (it becomes a key of every record): rename its label column",
      { field: 'concept' },
    );
  }
  return { name, columns };
}

/**
 * Read one `NAME=HxW` shape (`28x28`, `28×28`).
 *
 * @throws NeurulesError INVALID_ARGUMENT (field `conceptShape`) when it is not of that
 *   form or a side is not a whole number from {@link MIN_SIDE} to {@link MAX_SIDE}
 */
export function parseConceptShape(text: string): { name: string; shape: Shape } {
  const m = /^\s*([^=\s]+)\s*=\s*(\d+)\s*[x×]\s*(\d+)\s*$/.exec(text);
  const height = m ? Number(m[2]) : NaN;
  const width = m ? Number(m[3]) : NaN;
  const side = (n: number) => n >= MIN_SIDE && n <= MAX_SIDE;
  if (!m || !(side(height) && side(width))) {
    const small = m !== null && Math.min(height, width) >= 1 && Math.min(height, width) < MIN_SIDE;
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected a concept's shape as NAME=HxW with sides from ${MIN_SIDE} to ${MAX_SIDE} (for example postcode=28x28), found '${text}'${small ? `: a perception network's 3×3 convolution needs ${MIN_SIDE} pixels a side; leave the shape out to read the columns as a plain vector` : ''}`,
      { field: 'conceptShape' },
    );
  }
  return { name: m[1]!, shape: { height, width } };
}

/** Options of {@link resolveConcepts}. */
export interface ResolveOptions {
  /** The data file, named in errors. */
  file?: string;
  /** The target column: never a concept's input or label. */
  target?: string;
  /** The first non-empty value of a column, to tell a column of image paths. */
  firstValue?: (column: string) => string | undefined;
}

/**
 * Check declared concepts and shapes against a file's header: which columns each concept
 * reads, and their shape (given, or implied by names `<prefix>R_C`, or `<prefix>N` with a
 * square count; columns named `R_C` are put in row-major order).
 *
 * @throws NeurulesError CONCEPT_NO_COLUMNS, CONCEPT_LABEL_MISSING, CONCEPT_SHAPE_MISMATCH,
 *   CONCEPT_OVERLAP (field: the concept; also for a fact `NAME_confidence` that is already
 *   a column of the file), or INVALID_ARGUMENT for a concept declared twice,
 *   a shape given for no declared concept, or an image column without a shape
 */
export function resolveConcepts(
  declarations: readonly ConceptDeclaration[],
  shapes: ReadonlyMap<string, Shape>,
  header: readonly string[],
  options: ResolveOptions = {},
): Concept[] {
  const place = (name: string) => ({ field: name, ...(options.file && { file: options.file }) });
  const names = declarations.map((d) => d.name);
  for (const [i, name] of names.entries()) {
    if (names.indexOf(name) !== i) {
      throw new NeurulesError('INVALID_ARGUMENT', `the concept '${name}' is declared twice`, {
        field: 'concept',
      });
    }
  }
  for (const name of shapes.keys()) {
    if (!names.includes(name)) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `a shape is given for '${name}', which is not a declared concept (declared: ${names.join(', ') || 'none'})${didYouMean(name, names)}`,
        { field: 'conceptShape' },
      );
    }
  }
  const concepts = declarations.map((d): Concept => {
    if (!header.includes(d.name)) {
      throw new NeurulesError(
        'CONCEPT_LABEL_MISSING',
        `the concept '${d.name}' needs its label in a column '${d.name}', which the file does not have${didYouMean(d.name, header)}`,
        place(d.name),
      );
    }
    const columns = selectColumns(d, header, options.file);
    const shape = shapes.get(d.name);
    const only = columns.length === 1 ? options.firstValue?.(columns[0]!) : undefined;
    if (only !== undefined && IMAGE_PATH.test(only.trim())) {
      if (!shape) {
        throw new NeurulesError(
          'INVALID_ARGUMENT',
          `the concept '${d.name}' reads image files from '${columns[0]}': give the size they are read at, as ${d.name}=HxW`,
          { field: 'conceptShape' },
        );
      }
      return { name: d.name, label: d.name, input: { kind: 'images', column: columns[0]!, shape } };
    }
    return { name: d.name, label: d.name, input: shaped(d.name, columns, shape, place(d.name)) };
  });
  checkOverlap(concepts, options.target, place);
  checkFacts(concepts, header, options.target, place);
  return concepts;
}

/** The columns a declaration selects, in file order for a glob and as listed for a list. */
function selectColumns(d: ConceptDeclaration, header: readonly string[], file?: string): string[] {
  const place = { field: d.name, ...(file && { file }) };
  if (/[*?]/.test(d.columns)) {
    const pattern = new RegExp(
      `^${d.columns
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('')}$`,
      's',
    );
    const matched = header.filter((h) => pattern.test(h));
    if (matched.length === 0) {
      throw new NeurulesError(
        'CONCEPT_NO_COLUMNS',
        `the concept '${d.name}' reads the columns '${d.columns}', which match no column of the file${d.columns.includes(',') ? ' (a glob is one pattern: it cannot be mixed with a comma list)' : ''}`,
        place,
      );
    }
    return matched;
  }
  const listed = d.columns.split(',').map((c) => c.trim());
  const missing = listed.filter((c) => !header.includes(c));
  if (missing.length > 0 || listed.some((c) => c === '')) {
    const shown = missing.map((c) => `'${c}'${didYouMean(c, header)}`).join(', ');
    throw new NeurulesError(
      'CONCEPT_NO_COLUMNS',
      `the concept '${d.name}' reads columns the file does not have: ${shown || 'an empty name'}`,
      place,
    );
  }
  if (new Set(listed).size !== listed.length) {
    throw new NeurulesError(
      'CONCEPT_OVERLAP',
      `the concept '${d.name}' lists a column twice: ${d.columns}`,
      place,
    );
  }
  return listed;
}

/** The columns with their shape: given (checked), implied by their names, or none. */
function shaped(
  name: string,
  columns: string[],
  given: Shape | undefined,
  place: { field: string; file?: string },
): ConceptInput {
  const implied = impliedShape(columns);
  if (given) {
    if (given.height * given.width !== columns.length) {
      throw new NeurulesError(
        'CONCEPT_SHAPE_MISMATCH',
        `the concept '${name}' has ${columns.length} columns, which a ${given.height}x${given.width} image (${given.height * given.width} pixels) does not fit`,
        place,
      );
    }
    if (implied && (implied.shape.height !== given.height || implied.shape.width !== given.width)) {
      throw new NeurulesError(
        'CONCEPT_SHAPE_MISMATCH',
        `the concept '${name}' is given the shape ${given.height}x${given.width}, but its column names say ${implied.shape.height}x${implied.shape.width}`,
        place,
      );
    }
    return { kind: 'columns', columns: implied?.columns ?? columns, shape: given };
  }
  return implied ? { kind: 'columns', ...implied } : { kind: 'columns', columns };
}

/**
 * The shape column names imply, with the columns in row-major order: `<prefix>R_C` (or
 * `<prefix>RxC`, as some MNIST files name theirs `1x1` ... `28x28`) for every row R and
 * column C exactly once (from 0 or from 1), or `<prefix>N` for N = 0..n-1 (or 1..n) with n
 * a square. Undefined when the names say nothing, or imply an image with a side under
 * {@link MIN_SIDE} (no network of neurules reads one: the columns are a plain vector).
 */
export function impliedShape(
  columns: readonly string[],
): { columns: string[]; shape: Shape } | undefined {
  if (columns.length < 4) return undefined;
  const grid = columns.map((c) => /^(.*?)(\d+)[_x](\d+)$/.exec(c));
  if (grid.every((m) => m !== null && m[1] === grid[0]![1])) {
    const rows = grid.map((m) => Number(m![2]));
    const cols = grid.map((m) => Number(m![3]));
    const r0 = Math.min(...rows);
    const c0 = Math.min(...cols);
    const height = Math.max(...rows) - r0 + 1;
    const width = Math.max(...cols) - c0 + 1;
    if ((r0 === 0 || r0 === 1) && (c0 === 0 || c0 === 1) && height * width === columns.length) {
      const ordered: string[] = new Array<string>(columns.length);
      let complete = true;
      for (let i = 0; i < columns.length; i++) {
        const at = (rows[i]! - r0) * width + (cols[i]! - c0);
        if (ordered[at] !== undefined) complete = false;
        ordered[at] = columns[i]!;
      }
      if (complete && Math.min(height, width) >= MIN_SIDE) {
        return { columns: ordered, shape: { height, width } };
      }
    }
    return undefined;
  }
  const flat = columns.map((c) => /^(.*?)(\d+)$/.exec(c));
  if (!flat.every((m) => m !== null && m[1] === flat[0]![1])) return undefined;
  const numbers = flat.map((m) => Number(m![2]));
  const start = Math.min(...numbers);
  const side = Math.round(Math.sqrt(columns.length));
  if ((start !== 0 && start !== 1) || side * side !== columns.length || side < MIN_SIDE) {
    return undefined;
  }
  const ordered: string[] = new Array<string>(columns.length);
  for (let i = 0; i < columns.length; i++) {
    const at = numbers[i]! - start;
    if (at >= columns.length || ordered[at] !== undefined) return undefined;
    ordered[at] = columns[i]!;
  }
  return { columns: ordered, shape: { height: side, width: side } };
}

/** No column serves twice: as two concepts' inputs, as an input and a label, or as the target. */
function checkOverlap(
  concepts: readonly Concept[],
  target: string | undefined,
  place: (name: string) => { field: string; file?: string },
): void {
  const owner = new Map<string, string>();
  const claim = (column: string, by: string, concept: string): void => {
    const before = owner.get(column);
    if (before !== undefined || column === target) {
      throw new NeurulesError(
        'CONCEPT_OVERLAP',
        `the column '${column}' is ${by}, and also ${before ?? 'the target'}: a column serves once`,
        place(concept),
      );
    }
    owner.set(column, by);
  };
  for (const c of concepts) claim(c.label, `the label of the concept '${c.name}'`, c.name);
  for (const c of concepts) {
    const inputs = c.input.kind === 'images' ? [c.input.column] : c.input.columns;
    for (const column of inputs) claim(column, `an input of the concept '${c.name}'`, c.name);
  }
}

/**
 * No fact a concept adds to the rules (`NAME`, `NAME_confidence`) is already a column the
 * rules read, or the target, or another concept's fact: found now, before any network
 * trains, rather than when the perceived facts are added to the table.
 */
function checkFacts(
  concepts: readonly Concept[],
  header: readonly string[],
  target: string | undefined,
  place: (name: string) => { field: string; file?: string },
): void {
  const taken = new Set(
    concepts.flatMap((c) => [
      c.label,
      ...(c.input.kind === 'images' ? [c.input.column] : c.input.columns),
    ]),
  );
  const facts = new Map<string, string>();
  for (const c of concepts) {
    for (const fact of [c.name, confidenceFact(c.name)]) {
      const before = facts.get(fact);
      const column = fact !== c.name && header.includes(fact) && !taken.has(fact);
      if (before !== undefined || column || fact === target) {
        throw new NeurulesError(
          'CONCEPT_OVERLAP',
          `the concept '${c.name}' gives the rules the fact '${fact}', which is already ${before !== undefined ? `a fact of the concept '${before}'` : fact === target ? 'the target' : 'a column of the file'}: rename ${before !== undefined ? 'a concept' : 'the column'}`,
          place(c.name),
        );
      }
      facts.set(fact, c.name);
    }
  }
}

/**
 * A concept's classes, sorted as a target's are (`sortLabels`: numerically when every label
 * is a number), checked before training: a concept with a single class has nothing to
 * perceive. Missing labels (empty cells) are allowed: those rows train the decision
 * network from what is perceived.
 *
 * @throws NeurulesError CONCEPT_ONE_CLASS (field: the concept)
 */
export function checkConceptLabels(
  concept: Pick<Concept, 'name'>,
  labels: readonly (string | null | undefined)[],
  file?: string,
): string[] {
  const classes = sortLabels(
    new Set(labels.filter((l): l is string => l !== undefined && l !== null && l !== '')),
  );
  if (classes.length < 2) {
    throw new NeurulesError(
      'CONCEPT_ONE_CLASS',
      `the concept '${concept.name}' has ${classes.length === 0 ? 'no label' : `one class ('${classes[0]}')`} in its column: a perception network needs at least two`,
      { field: concept.name, ...(file && { file }) },
    );
  }
  return classes;
}

/** A concept of a built model: its name and the classes its network perceives. */
export interface ModelConcept {
  name: string;
  classes: readonly string[];
}

/**
 * Read interventions `NAME=VALUE` (a person fixing what was perceived: decide as if
 * `postcode` had been read as `3`), each for a concept of the model and one of its classes.
 *
 * @throws NeurulesError INVALID_ARGUMENT (field `set`) naming the model's concepts, or the
 *   concept's classes, when a name or value is not one of them, or a concept is set twice
 */
export function parseInterventions(
  texts: readonly string[],
  concepts: readonly ModelConcept[],
): Map<string, string> {
  return checkInterventions(
    texts.map((text): [string, string | undefined] => {
      const at = text.indexOf('=');
      return at < 0
        ? [text.trim(), undefined]
        : [text.slice(0, at).trim(), text.slice(at + 1).trim()];
    }),
    concepts,
  );
}

/**
 * Check interventions given as pairs of a concept and a class (as a request's `set`
 * object gives them: a name is taken whole, `=` and all), as {@link parseInterventions}
 * does; a value `undefined` is "no value".
 *
 * @throws NeurulesError INVALID_ARGUMENT (field `set`) as {@link parseInterventions}
 */
export function checkInterventions(
  pairs: readonly (readonly [string, string | undefined])[],
  concepts: readonly ModelConcept[],
): Map<string, string> {
  const set = new Map<string, string>();
  const names = concepts.map((c) => c.name);
  for (const [name, given] of pairs) {
    const value = given ?? '';
    const concept = concepts.find((c) => c.name === name);
    if (!concept) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `'${name}' is not a concept of this model (its concepts: ${names.join(', ') || 'none'})${didYouMean(name, names)}`,
        { field: 'set' },
      );
    }
    if (!concept.classes.includes(value)) {
      throw new NeurulesError(
        'INVALID_ARGUMENT',
        `the concept '${name}' can be set to ${concept.classes.map((c) => `'${c}'`).join(', ')}; found ${given === undefined ? 'no value' : `'${value}'`}`,
        { field: 'set' },
      );
    }
    if (set.has(name)) {
      throw new NeurulesError('INVALID_ARGUMENT', `the concept '${name}' is set twice`, {
        field: 'set',
      });
    }
    set.set(name, value);
  }
  return set;
}
