/**
 * The one catalogue of neurules error codes.
 *
 * Every error a user can cause carries a code from this list, a place (file, line,
 * column or field) where there is one, and a message that says what was expected and
 * what was found. Tests assert codes and places, never wording.
 */
/** The areas of the catalogue, in the order `docs/errors.md` lists them. */
export const ERROR_AREAS = {
  input: 'Input files',
  record: 'Records checked against a schema',
  artifact: 'Models, rule sets and logs on disk',
  override: 'Override files (YAML)',
  lint: 'Override analysis (`neurules rules lint`)',
  option: 'Options, environment and output',
  rules: 'Rule sets: what json-rules-engine rejects, what neurules refuses to guess at',
  http: 'HTTP service (`neurules serve`)',
} as const;

/** One entry of {@link ERROR_CATALOGUE}. */
export interface ErrorEntry {
  /** The area of {@link ERROR_AREAS} the code belongs to. */
  readonly area: keyof typeof ERROR_AREAS;
  /** What the code means, in one sentence. */
  readonly meaning: string;
  /** The HTTP status the service answers with this code, where it answers with it. */
  readonly status?: number;
}

/**
 * Every error code, its area and its meaning. `docs/errors.md` is generated from this
 * (`npm run docs:errors`), and a test fails when the two differ.
 */
export const ERROR_CATALOGUE = {
  // Input files
  FILE_NOT_FOUND: { area: 'input', meaning: 'an input file does not exist or cannot be read' },
  EMPTY_FILE: { area: 'input', meaning: 'an input file has no content' },
  HEADER_ONLY: { area: 'input', meaning: 'a CSV file has a header row but no data rows' },
  CSV_SYNTAX: { area: 'input', meaning: 'a CSV file is malformed (e.g. an unclosed quote)' },
  RAGGED_ROW: {
    area: 'input',
    meaning: 'a CSV row has a different number of fields than the header',
  },
  DUPLICATE_COLUMN: { area: 'input', meaning: 'two CSV header fields have the same name' },
  EMPTY_COLUMN_NAME: { area: 'input', meaning: 'a CSV header field is empty' },
  TARGET_NOT_FOUND: { area: 'input', meaning: 'the target column is not in the header' },
  UNKNOWN_COLUMN: { area: 'input', meaning: 'an option names a column that is not in the data' },
  NOT_A_NUMBER: {
    area: 'input',
    meaning: 'a column forced to numeric holds a value that is not a number',
  },
  MISSING_TARGET: { area: 'input', meaning: 'a row has no value in the target column' },
  SINGLE_CLASS: { area: 'input', meaning: 'the target column has fewer than two classes' },
  TOO_FEW_ROWS: {
    area: 'input',
    meaning: 'the data set is too small to split into train, validation and test',
  },
  NO_FEATURES: {
    area: 'input',
    meaning: 'the data set has no feature columns besides the target',
  },
  INVALID_JSON: {
    area: 'input',
    meaning:
      'a JSON or JSONL input (a file line, a request body, a record) is not valid JSON or not an object',
    status: 400,
  },
  INPUT_IS_DIRECTORY: {
    area: 'input',
    meaning: 'an input path names a directory where a file is expected',
  },
  INVALID_NUMBER: {
    area: 'input',
    meaning:
      'a numeric column holds cells that are not finite numbers (`inf`, `NaN`, `1e309`, text); each is listed with its line and column',
  },
  ROW_OUT_OF_RANGE: { area: 'input', meaning: 'a requested row number is not in the file' },
  // Concepts a perception network reads from raw inputs
  CONCEPT_NO_COLUMNS: {
    area: 'input',
    meaning:
      "a concept's raw-input columns (a glob or a list of names) match no column of the file",
  },
  CONCEPT_LABEL_MISSING: {
    area: 'input',
    meaning: "a concept's label column (the column named after the concept) is not in the file",
  },
  CONCEPT_SHAPE_MISMATCH: {
    area: 'input',
    meaning:
      "a concept's shape (given as height × width, or implied by its column names) does not fit its column count",
  },
  CONCEPT_ONE_CLASS: {
    area: 'input',
    meaning: 'a concept label column holds a single class: there is nothing to perceive',
  },
  IMAGE_UNREADABLE: {
    area: 'input',
    meaning:
      "a concept's image (named in its column, with the row) is missing or cannot be decoded as PNG or JPEG",
  },
  IMAGES_NOT_DECODED: {
    area: 'input',
    meaning:
      "a concept's inputs are image file paths, which must be decoded to pixel values before its perception network trains",
  },
  CONCEPT_OVERLAP: {
    area: 'input',
    meaning:
      "a column is claimed twice: by two concepts, as a concept's input and as a label or the target, or as a feature named like a concept's fact (`NAME_confidence`)",
  },
  // Records checked against a schema
  UNKNOWN_FEATURE: {
    area: 'record',
    meaning:
      'a record, or an option such as `--redact` or `--immutable`, names a feature the model does not have',
  },
  MISSING_FEATURE: { area: 'record', meaning: 'a record lacks a feature the model needs' },
  WRONG_TYPE: { area: 'record', meaning: 'a record value has the wrong type for its feature' },
  UNKNOWN_CATEGORY: {
    area: 'record',
    meaning: 'a record value is not a level of its categorical feature',
  },
  // Artifacts (models/ and rules/) and logs
  MODEL_NOT_FOUND: {
    area: 'artifact',
    meaning: 'the model directory or one of its files does not exist',
  },
  RULES_NOT_FOUND: { area: 'artifact', meaning: 'the rule set file does not exist' },
  FOREIGN_FORMAT: {
    area: 'artifact',
    meaning: 'a file is not the kind of neurules artifact expected',
  },
  NEWER_FORMAT: {
    area: 'artifact',
    meaning: 'a file was written by a newer neurules format version',
  },
  INVALID_ARTIFACT: { area: 'artifact', meaning: 'an artifact file is damaged or inconsistent' },
  DATA_CHANGED: {
    area: 'artifact',
    meaning: 'the data file a model was built from has changed since the build',
  },
  NO_DECISIONS: {
    area: 'artifact',
    meaning: "a decision log holds no readable decision of the model's rule set",
  },
  MODEL_LOCKED: {
    area: 'artifact',
    meaning:
      'another build, accept or studio save of the same model is running (its lock file names the process)',
    status: 409,
  },
  MODEL_FILE_MODIFIED: {
    area: 'artifact',
    meaning: "a model file's content differs from the hash its manifest recorded",
  },
  RULES_MODIFIED: {
    area: 'artifact',
    meaning:
      'the distilled rule file differs from the rules committed with the model (`neurules rules accept` takes a deliberate edit)',
  },
  ARCHIVE_MODIFIED: {
    area: 'artifact',
    meaning:
      "an archived rule set's content does not match the hash it is filed under (`RULES_DIR/NAME/archive/`)",
  },
  RULE_SET_NOT_FOUND: {
    area: 'artifact',
    meaning:
      'a rule set named by hash, hash prefix or generation (`--from`, `--to`, a log line) is in neither the archive nor the current model',
  },
  CHALLENGER_SCHEMA_MISMATCH: {
    area: 'artifact',
    meaning:
      "a challenger (`serve --shadow`, `rules promote --from`) reads records of another schema than the model's: features missing, extra, of another type or levels, or other classes",
  },
  PROMOTE_OVERRIDES_DIFFER: {
    area: 'artifact',
    meaning:
      "the model's override files, above the challenger's distilled rules, would not make the challenger's rule set (`rules promote`): the overrides that differ are named",
  },
  LOG_LINE_INVALID: {
    area: 'artifact',
    meaning:
      'a decision-log line is not JSON, or not a decision (time, rule set, rule id, class and inputs)',
  },
  LOG_OTHER_MODEL: {
    area: 'artifact',
    meaning: 'a decision-log line names a model other than the one given with `--model`',
  },
  RULE_UNKNOWN_CLASS: {
    area: 'artifact',
    meaning:
      "a distilled rule decides, or gives a probability for, a class that is not one of the schema's classes",
  },
  RULE_UNKNOWN_FACT: {
    area: 'artifact',
    meaning: "a distilled rule's condition names a fact that is not a feature of the schema",
  },
  RULE_INVALID_CONDITION: {
    area: 'artifact',
    meaning:
      "a distilled rule's condition has an operator or value that is not valid for its feature's type",
  },
  RULE_INVALID_PARAMS: {
    area: 'artifact',
    meaning:
      "a distilled rule's event params (probabilities, support, confidence, ...) are missing, mistyped or out of range",
  },
  SCHEMA_MISMATCH: {
    area: 'artifact',
    meaning:
      "the schema disagrees with the network's input encoding (features, types, levels or classes)",
  },
  RULES_GAP: {
    area: 'artifact',
    meaning: 'some records match no distilled rule (listed with an example record)',
  },
  RULES_OVERLAP: {
    area: 'artifact',
    meaning: 'some records match two distilled rules (listed with an example record)',
  },
  NOT_A_REGULAR_FILE: {
    area: 'artifact',
    meaning:
      'a path where neurules reads a file, or appends its decision log, is a FIFO, device, socket or directory (only regular files are read or appended to); or an output path (`--output`, `--out`) is a directory, socket or block device, or a descriptor (`/proc/self/fd/N`) that is the machinery of a process: a pipe it holds both ends of, an epoll descriptor, an eventfd (outputs go to regular files, FIFOs and character devices)',
  },
  OUTSIDE_FOLDER: {
    area: 'artifact',
    meaning: 'a symbolic link in a folder neurules reads points outside that folder',
  },
  NOT_A_DIRECTORY: {
    area: 'artifact',
    meaning: 'a path where neurules expects a folder (models, rules, overrides) is a file',
  },
  // Override files (YAML)
  YAML_SYNTAX: {
    area: 'override',
    meaning:
      'an override file is not valid YAML, or its indentation puts a condition outside its `when:` (the message says which line and where it belongs)',
  },
  LOCALE_NUMBER: {
    area: 'override',
    meaning:
      'a number is written in a locale format (`8.000` for 8000, `1,5` for 1.5): an error where YAML reads text or a broken structure, a lint warning where YAML reads another number (`8.000` is 8)',
  },
  OVERRIDE_LIMIT: { area: 'override', meaning: 'an override file is over a size or alias limit' },
  INVALID_OVERRIDE: {
    area: 'override',
    meaning: 'an override entry does not have the expected shape',
  },
  UNKNOWN_KEY: { area: 'override', meaning: 'an override has a key neurules does not know' },
  UNKNOWN_OPERATOR: {
    area: 'override',
    meaning: 'an override condition uses an unknown operator',
  },
  UNKNOWN_CLASS: {
    area: 'override',
    meaning: 'an override names a class the model does not have',
  },
  EMPTY_WHEN: {
    area: 'override',
    meaning: "an override's `when` (or an `all` / `any` in it) is empty",
  },
  INVALID_EXAMPLE: {
    area: 'override',
    meaning: "an override example's input is not a valid record",
  },
  EXAMPLE_FAILED: {
    area: 'override',
    meaning: 'an override example is not decided as it expects (`neurules rules test`)',
  },
  DUPLICATE_ID: { area: 'override', meaning: 'two overrides have the same id' },
  CELL_SYNTAX: {
    area: 'override',
    meaning: "a decision table cell is not in the cell syntax (the studio's table view)",
  },
  // Override analysis; conflicts are errors, the others warnings
  OVERRIDE_CONFLICT: {
    area: 'lint',
    meaning:
      'error: two overrides at the same priority match common records and decide different classes',
  },
  OVERRIDE_SHADOWED: {
    area: 'lint',
    meaning:
      'warning: an override never decides, overrides before it cover every record it matches',
  },
  OVERRIDE_DEAD: {
    area: 'lint',
    meaning: 'warning: an override matches no record of the training data (or no record at all)',
  },
  OVERRIDE_REDUNDANT: {
    area: 'lint',
    meaning:
      'warning: an override decides what the distilled rules decide on every record it decides',
  },
  VALUE_OUT_OF_RANGE: {
    area: 'lint',
    meaning:
      "warning: a condition's threshold lies outside the range of its feature in the training data",
  },
  EMPTY_BETWEEN: {
    area: 'lint',
    meaning: 'warning: a `between` whose low end is above its high end matches nothing',
  },
  CONDITION_ALWAYS_TRUE: {
    area: 'lint',
    meaning: 'warning: a condition holds for every training record, so it restricts nothing',
  },
  // Options, environment and output
  INVALID_ARGUMENT: {
    area: 'option',
    meaning: 'a command-line option or API option has an invalid value',
  },
  INVALID_BANDS: {
    area: 'option',
    meaning:
      '`--bands` names a feature that is not numeric or not protected, or bounds that are not increasing numbers',
  },
  BACKEND_UNAVAILABLE: {
    area: 'option',
    meaning: 'the requested TensorFlow.js backend cannot be loaded',
  },
  ENGINE_UNAVAILABLE: {
    area: 'option',
    meaning: 'the requested evaluator needs an optional package that is not installed',
  },
  UNSUPPORTED_FORMAT: {
    area: 'option',
    meaning: 'an input or output file is in a format the chosen evaluator does not read or write',
  },
  UNSUPPORTED_NAME: {
    area: 'option',
    meaning:
      "a feature's name cannot be written in the export's language (a DMN export's FEEL), as the message says by the grammar rule",
  },
  WRITE_FAILED: {
    area: 'option',
    meaning:
      "an output file or directory cannot be written (nothing half-written is left): the disk, the folder's permissions, another user's file, a FIFO whose reader left",
  },
  // Rule sets
  INVALID_RULES: {
    area: 'rules',
    meaning: 'a rule set is not valid json-rules-engine data (json-rules-engine rejects it too)',
  },
  NO_RULE_FIRED: {
    area: 'rules',
    meaning: 'no rule fired for a record (the rule set is not exhaustive)',
  },
  UNSUPPORTED_RULE_OBJECT: {
    area: 'rules',
    meaning: 'a rule is a json-rules-engine `Rule` instance, not rule data',
  },
  UNSUPPORTED_CALLBACK: {
    area: 'rules',
    meaning: 'a rule has `onSuccess` or `onFailure` callbacks',
  },
  UNSUPPORTED_DATA: {
    area: 'rules',
    meaning:
      "a rule's name, event or condition value is not plain JSON data (a function, a symbol, a class instance, a cycle)",
  },
  UNSUPPORTED_PRIORITY: {
    area: 'rules',
    meaning: 'a rule priority is not a number, or a condition priority not an integer',
  },
  UNSUPPORTED_CONDITION_REFERENCE: {
    area: 'rules',
    meaning: 'a condition refers to a named condition (`condition`)',
  },
  UNSUPPORTED_FACT_PATH: {
    area: 'rules',
    meaning: 'a condition reads a fact through a `path`',
  },
  UNSUPPORTED_FACT_PARAMS: {
    area: 'rules',
    meaning: 'a condition passes `params` to a (dynamic) fact',
  },
  UNSUPPORTED_KEY: {
    area: 'rules',
    meaning: 'a condition has a key json-rules-engine reserves for itself',
  },
  AMBIGUOUS_CONDITION: {
    area: 'rules',
    meaning:
      'a condition has more than one of `all`, `any`, `not` and `fact` (json-rules-engine silently ignores all but one)',
  },
  UNSUPPORTED_FACT: { area: 'rules', meaning: "a condition's `fact` is not a string" },
  UNSUPPORTED_OPERATOR: {
    area: 'rules',
    meaning: 'a condition uses a custom operator or an operator decorator',
  },
  UNSUPPORTED_FACT_VALUE: {
    area: 'rules',
    meaning: 'a condition compares with another fact (`value: { fact }`)',
  },
  UNSUPPORTED_VALUE: {
    area: 'rules',
    meaning:
      "a condition's value is outside what the evaluator or region analysis handles (e.g. an object for a numeric operator, a level the feature does not have)",
  },
  UNKNOWN_FACT: {
    area: 'rules',
    meaning: "a rule's fact is not a feature of the model",
  },
  OVERLAPPING_RULES: {
    area: 'rules',
    meaning:
      'two rules of the same priority match common records, so json-rules-engine lets either decide them',
  },
  // HTTP service
  INVALID_RECORD: {
    area: 'http',
    meaning: 'a request holds records with problems (each listed with its code)',
    status: 400,
  },
  INVALID_BATCH: {
    area: 'http',
    meaning: 'a request holds no records or more than the batch limit',
    status: 400,
  },
  BODY_TOO_LARGE: { area: 'http', meaning: 'a request body is over the body limit', status: 413 },
  UNSUPPORTED_MEDIA_TYPE: {
    area: 'http',
    meaning: 'a request body is not `application/json`',
    status: 415,
  },
  UNAUTHORIZED: {
    area: 'http',
    meaning: 'an admin request lacks the right bearer token',
    status: 401,
  },
  NOT_FOUND: { area: 'http', meaning: 'no such route', status: 404 },
  RELOAD_REFUSED: {
    area: 'http',
    meaning: 'a reload found bad files; the rule set already serving keeps serving',
    status: 422,
  },
  DECISION_LOG_FAILED: {
    area: 'http',
    meaning:
      'the decision log cannot be written, so no decision is answered; /healthz reports unhealthy',
    status: 503,
  },
  PROTOTYPE_KEY: {
    area: 'http',
    meaning:
      'a JSON body holds a `__proto__` key, or a `constructor` key holding `prototype`, which is refused',
    status: 400,
  },
  REQUEST_TIMEOUT: {
    area: 'http',
    meaning: 'a request (headers and body) did not arrive within the request timeout',
    status: 408,
  },
  FORBIDDEN: {
    area: 'http',
    meaning:
      'a studio request came with a foreign Host or Origin header (DNS rebinding, another site): refused',
    status: 403,
  },
  INVALID_FILE_NAME: {
    area: 'http',
    meaning:
      'a studio override file name is not a plain `NAME.yaml` inside the overrides folder (a path, `..`, another extension)',
    status: 400,
  },
  FILE_CHANGED: {
    area: 'http',
    meaning:
      'a file changed on disk since it was checked (a studio override file, the rule file `rules accept` verified, the rule file a studio session loaded): nothing is written',
    status: 409,
  },
  SAVE_BLOCKED: {
    area: 'http',
    meaning: 'the edited overrides have errors (problems or conflicts), so they cannot be saved',
    status: 422,
  },
  AUTHOR_REQUIRED: {
    area: 'http',
    meaning:
      'a studio started with `--require-author` (or a review step) was asked to change the overrides without naming an author',
    status: 400,
  },
  REVIEW_REQUIRED: {
    area: 'http',
    meaning:
      'a studio started with `--review` was asked to save directly: a change becomes a proposal that another author approves',
    status: 409,
  },
  PROPOSAL_NOT_FOUND: {
    area: 'http',
    meaning: 'no override proposal has that id in `RULES_DIR/NAME/proposals/`',
    status: 404,
  },
  PROPOSAL_CLOSED: {
    area: 'http',
    meaning: 'the override proposal was approved or rejected already; it cannot be decided again',
    status: 409,
  },
  SELF_APPROVAL: {
    area: 'http',
    meaning: 'an override proposal was approved by its own author; a second person must approve it',
    status: 403,
  },
  PROPOSAL_STALE: {
    area: 'http',
    meaning:
      'an override file a proposal was made on changed since; rebase the proposal (`rules proposals --rebase ID`) before approving it',
    status: 409,
  },
  REBASE_CONFLICT: {
    area: 'http',
    meaning:
      "a proposal's changes do not apply to an override file as it is now; make the proposal again on the current file",
    status: 409,
  },
  REVERT_IMPOSSIBLE: {
    area: 'http',
    meaning:
      'an earlier version of the override files cannot be recovered from the history (a file changed outside the studio, or an entry has no diff)',
    status: 409,
  },
  INTERNAL: {
    area: 'http',
    meaning: 'an unexpected failure (a bug); the service logs it and answers 500',
    status: 500,
  },
} as const satisfies Record<string, ErrorEntry>;

/** A code from the error catalogue. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Where an error happened. Every field is optional; set as many as are known. */
export interface ErrorPlace {
  file?: string;
  /** 1-based line number in `file`. */
  line?: number;
  /** 1-based column number in `file` (for CSV: the field's 1-based index). */
  column?: number;
  /**
   * Feature, column or option name, or where in a structured input the problem is, as text
   * for display (`rules[3].priority`); with `path`, made from it by {@link formatPath}.
   */
  field?: string;
  /**
   * Where in a structured input (a rule set, an override, a record) the problem is, one key
   * or array index per step, as zod's issues carry it: `['rules', 3, 'priority']`. Code that
   * acts on the place reads this; people read `field`.
   */
  path?: IssuePath;
}

/** The keys and array indexes from the top of an input down to a value in it. */
export type IssuePath = (string | number)[];

/**
 * A path as issues show it in `field`: array indexes in brackets, the first key bare (a
 * feature's name as it is), later keys after a dot, or quoted in brackets when they are not
 * plain names (`['rules', 3, 'priority']` → `rules[3].priority`, `['age']` → `age`,
 * `['probabilities', 'Iris-setosa']` → `probabilities["Iris-setosa"]`).
 */
export function formatPath(path: readonly (string | number)[]): string {
  let text = '';
  path.forEach((step, i) => {
    if (typeof step === 'number') text += `[${step}]`;
    else if (i === 0) text += step;
    else text += PLAIN_NAME.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  });
  return text;
}

/** A key written after a dot in a path (a JavaScript identifier). */
const PLAIN_NAME = /^[A-Za-z_$][\w$]*$/;

/**
 * The place of a value at `path`: the path and its text, made together so that the two
 * cannot disagree.
 *
 * @example
 * issues.push({ code: 'INVALID_RULES', message, ...placeAt(['rules', 3, 'priority']) });
 * // field: 'rules[3].priority', path: ['rules', 3, 'priority']
 */
export function placeAt(path: IssuePath): { field: string; path: IssuePath } {
  return { field: formatPath(path), path };
}

/** One problem found in an input, as data (collected, then thrown or returned together). */
export interface Issue extends ErrorPlace {
  code: ErrorCode;
  message: string;
}

/**
 * What a `safe...` function returns instead of throwing (zod's `safeParse`): the value, or
 * every problem found, so that callers who report (the server, the CLI) need no try/catch.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/**
 * The body of every HTTP error answer (`application/problem+json`), from the service and
 * the studio alike: the code, its message, and for input that failed several checks each
 * issue; an answer may add fields of its own (`field`, `status`, ...).
 */
export interface ProblemBody {
  error: ErrorCode;
  message: string;
  issues?: Issue[];
  [extension: string]: unknown;
}

/** The base error of neurules: a code, a place and a message. */
export class NeurulesError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly field: string | undefined;
  readonly path: IssuePath | undefined;
  /** Further problems found in the same input (the first one is this error itself). */
  readonly issues: Issue[];

  constructor(code: ErrorCode, message: string, place: ErrorPlace = {}, issues?: Issue[]) {
    super(message);
    this.name = 'NeurulesError';
    this.code = code;
    this.file = place.file;
    this.line = place.line;
    this.column = place.column;
    this.field = place.field;
    this.path = place.path;
    this.issues = issues ?? [{ code, message, ...place }];
  }

  /** Build one error from several issues (the first gives code and place). */
  static fromIssues(issues: Issue[]): NeurulesError {
    const first = issues[0];
    if (!first) throw new NeurulesError('INVALID_ARGUMENT', 'fromIssues needs at least one issue');
    const { code, message, ...place } = first;
    const extra = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : '';
    return new NeurulesError(code, message + extra, place, issues);
  }
}

/** `FILE:LINE:COLUMN CODE message` (place parts that are unknown are left out). */
export function formatIssue(issue: Issue): string {
  const place = [issue.file, issue.line, issue.column].filter((p) => p !== undefined).join(':');
  const field = issue.field !== undefined && issue.line === undefined ? `[${issue.field}] ` : '';
  return `${place ? place + ' ' : ''}${issue.code} ${field}${issue.message}`;
}

/**
 * Places (of issues, of overrides) in file order: by file (code units, as files are listed: the same under any
 * locale), then line, then column; issues without a place first.
 */
export function comparePlaces(a: ErrorPlace, b: ErrorPlace): number {
  const fa = a.file ?? '';
  const fb = b.file ?? '';
  return (
    (fa < fb ? -1 : fa > fb ? 1 : 0) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0)
  );
}

/** True when `e` is a NeurulesError (also across module copies). */
export function isNeurulesError(e: unknown): e is NeurulesError {
  return (
    e instanceof NeurulesError || (e instanceof Error && e.name === 'NeurulesError' && 'code' in e)
  );
}

/** The closest candidate by edit distance, if it is close enough to be a likely typo. */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3))
    ? best
    : undefined;
}

/** Levenshtein distance between two texts (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j]!;
      prev[j] = Math.min(above + 1, prev[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return prev[b.length]!;
}

/**
 * INVALID_ARGUMENT naming `field` unless `value` is one of `choices` (an option whose values
 * are a fixed list: a dialect, a format, on/off), with the choices and the nearest one.
 *
 * @example
 * checkChoice(options.refit, ['on', 'off'], 'refit');
 */
export function checkChoice<T extends string>(
  value: unknown,
  choices: readonly T[],
  field: string,
): asserts value is T {
  if ((choices as readonly unknown[]).includes(value)) return;
  const found = String(value);
  throw new NeurulesError(
    'INVALID_ARGUMENT',
    `${field}: expected one of ${choices.join(', ')}, found '${found}'${didYouMean(found, choices)}`,
    { field },
  );
}

/** A `, did you mean 'x'?` suffix, or ''. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const near = nearestName(name, candidates);
  return near !== undefined ? `; did you mean '${near}'?` : '';
}
