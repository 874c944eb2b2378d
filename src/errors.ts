/**
 * The one catalogue of neurules error codes.
 *
 * Every error a user can cause carries a code from this list, a place (file, line,
 * column or field) where there is one, and a message that says what was expected and
 * what was found. Tests assert codes and places, never wording.
 */
export const ERROR_CATALOGUE = {
  // Input files
  FILE_NOT_FOUND: 'an input file does not exist or cannot be read',
  EMPTY_FILE: 'an input file has no content',
  HEADER_ONLY: 'a CSV file has a header row but no data rows',
  CSV_SYNTAX: 'a CSV file is malformed (e.g. an unclosed quote)',
  RAGGED_ROW: 'a CSV row has a different number of fields than the header',
  DUPLICATE_COLUMN: 'two CSV header fields have the same name',
  EMPTY_COLUMN_NAME: 'a CSV header field is empty',
  TARGET_NOT_FOUND: 'the target column is not in the header',
  UNKNOWN_COLUMN: 'an option names a column that is not in the data',
  NOT_A_NUMBER: 'a column forced to numeric holds a value that is not a number',
  MISSING_TARGET: 'a row has no value in the target column',
  SINGLE_CLASS: 'the target column has fewer than two classes',
  TOO_FEW_ROWS: 'the data set is too small to split into train, validation and test',
  NO_FEATURES: 'the data set has no feature columns besides the target',
  INVALID_JSON: 'a JSON or JSONL input is not valid JSON or not an object',
  ROW_OUT_OF_RANGE: 'a requested row number is not in the file',
  // Records checked against a schema
  UNKNOWN_FEATURE: 'a record names a feature the model does not have',
  MISSING_FEATURE: 'a record lacks a feature the model needs',
  WRONG_TYPE: 'a record value has the wrong type for its feature',
  UNKNOWN_CATEGORY: 'a record value is not a level of its categorical feature',
  // Artifacts (models/ and rules/)
  MODEL_NOT_FOUND: 'the model directory or one of its files does not exist',
  RULES_NOT_FOUND: 'the rule set file does not exist',
  FOREIGN_FORMAT: 'a file is not the kind of neurules artifact expected',
  NEWER_FORMAT: 'a file was written by a newer neurules format version',
  INVALID_ARTIFACT: 'an artifact file is damaged or inconsistent',
  NO_DECISIONS: "a decision log holds no readable decision of the model's rule set",
  DATA_CHANGED: 'the data file a model was built from has changed since the build',
  // Override files (YAML)
  YAML_SYNTAX: 'an override file is not valid YAML',
  OVERRIDE_LIMIT: 'an override file is over a size or alias limit',
  INVALID_OVERRIDE: 'an override entry does not have the expected shape',
  UNKNOWN_KEY: 'an override has a key neurules does not know',
  UNKNOWN_OPERATOR: 'an override condition uses an unknown operator',
  UNKNOWN_CLASS: 'an override names a class the model does not have',
  EMPTY_WHEN: "an override's `when` (or an `all` / `any` in it) is empty",
  INVALID_EXAMPLE: "an override example's input is not a valid record",
  DUPLICATE_ID: 'two overrides have the same id',
  // Override analysis (`neurules rules lint`); conflicts are errors, the others warnings
  OVERRIDE_CONFLICT:
    'two overrides at the same priority match common records and decide different classes',
  OVERRIDE_SHADOWED: 'an override never decides: overrides before it cover every record it matches',
  OVERRIDE_DEAD: 'an override matches no record of the training data (or no record at all)',
  OVERRIDE_REDUNDANT:
    'an override decides what the distilled rules decide on every record it decides',
  // Options and environment
  INVALID_ARGUMENT: 'a command-line option or API option has an invalid value',
  BACKEND_UNAVAILABLE: 'the requested TensorFlow.js backend cannot be loaded',
  // Rules and engine
  INVALID_RULES: 'a rule set is not valid json-rules-engine data neurules can run',
  NO_RULE_FIRED: 'no rule fired for a record (the rule set is not exhaustive)',
  UNSUPPORTED_RULE:
    'a rule uses json-rules-engine features the compiled evaluator does not run (use --engine json-rules-engine)',
} as const;

/** A code from the error catalogue. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Where an error happened. Every field is optional; set as many as are known. */
export interface ErrorPlace {
  file?: string;
  /** 1-based line number in `file`. */
  line?: number;
  /** 1-based column number in `file` (for CSV: the field's 1-based index). */
  column?: number;
  /** Feature, column or option name. */
  field?: string;
}

/** One problem found in an input, as data (collected, then thrown or returned together). */
export interface Issue extends ErrorPlace {
  code: ErrorCode;
  message: string;
}

/** The base error of neurules: a code, a place and a message. */
export class NeurulesError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly field: string | undefined;
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
    this.issues = issues ?? [{ code, message, ...place }];
  }

  /** Build one error from several issues (the first gives code and place). */
  static fromIssues(issues: Issue[]): NeurulesError {
    const first = issues[0];
    if (!first) throw new Error('fromIssues needs at least one issue');
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

function editDistance(a: string, b: string): number {
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

/** A `, did you mean 'x'?` suffix, or ''. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const near = nearestName(name, candidates);
  return near !== undefined ? `; did you mean '${near}'?` : '';
}
