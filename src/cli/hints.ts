import type { Issue } from '../errors';

/** What the command that failed declares: its name and its long options. */
export interface CommandContext {
  /** The command path, e.g. `predict` or `rules lint`. */
  name: string;
  options: readonly string[];
}

const OVERRIDE_PROBLEMS = new Set([
  'YAML_SYNTAX',
  'OVERRIDE_LIMIT',
  'INVALID_OVERRIDE',
  'UNKNOWN_KEY',
  'UNKNOWN_OPERATOR',
  'UNKNOWN_CLASS',
  'EMPTY_WHEN',
  'INVALID_EXAMPLE',
  'DUPLICATE_ID',
]);

/**
 * What to do next, in the CLI's words (flags and commands), for an error the library
 * reports in its own (what was expected, what was found). Library messages never name
 * a flag; this is where the CLI adds them. Undefined when there is nothing to add.
 */
export function hintFor(issue: Issue, command?: CommandContext): string | undefined {
  const has = (flag: string) => command?.options.includes(flag) ?? false;
  const code = issue.code;
  if (code === 'MODEL_NOT_FOUND' && issue.field === 'model')
    return 'build it with `neurules build --data FILE --name NAME`, or point --models-dir at the folder that holds it';
  if (code === 'RULES_NOT_FOUND')
    return '`neurules build` writes the rule set; point --rules-dir at the folder that holds it';
  if (
    has('--data') &&
    (code === 'DATA_CHANGED' ||
      (code === 'FILE_NOT_FOUND' && (issue.field === 'data.path' || issue.field === 'data.file')))
  )
    return 'pass --data FILE to measure on a labelled file instead';
  if (code.startsWith('UNSUPPORTED_') || code === 'AMBIGUOUS_CONDITION')
    return unsupportedHint(issue, command);
  if (code === 'INVALID_NUMBER' && has('--type'))
    return 'correct the cells, or read the column as categories with --type COLUMN=categorical';
  if (code === 'RULES_MODIFIED' && has('--discard-edits'))
    return 'to keep a deliberate edit, check and record it with `neurules rules accept --model NAME` before building; to build anyway, pass --discard-edits (the edited file is kept beside the new one)';
  if (code === 'RULES_MODIFIED')
    return 'to keep a deliberate edit, check and record it with `neurules rules accept --model NAME`; otherwise rebuild, or restore the file';
  if (code === 'FILE_CHANGED' && command?.name === 'rules accept')
    return 'the rule file was saved again while it was being accepted; run `neurules rules accept` again to check and record it as it is now';
  if (code === 'MODEL_FILE_MODIFIED')
    return 'a model file was changed after its build: rebuild it with `neurules build`';
  if (code === 'MODEL_LOCKED')
    return 'another build of this model is running; run again when it has finished';
  if (code === 'BACKEND_UNAVAILABLE')
    return 'choose another with --backend (auto, node, wasm, cpu)';
  if (OVERRIDE_PROBLEMS.has(code) && command?.name !== 'rules lint')
    return '`neurules rules lint --model NAME` lists every problem with its place';
  if (code === 'NO_DECISIONS')
    return "--log takes the decision log of the service serving this model's rule set (neurules serve --decision-log FILE)";
  if (code === 'UNKNOWN_FEATURE' && has('--redact'))
    return "--redact takes the model's features, spelt as its schema spells them (case matters)";
  if (code === 'LOG_OTHER_MODEL' && has('--log'))
    return '--model names the model whose decisions --log holds; give the other model its own run';
  if (
    command?.name === 'explain' &&
    (issue.field === 'record' || issue.field === 'row' || issue.field === 'line')
  )
    return 'give --record JSON, --input FILE with --row N, or --log FILE with --line N';
  return undefined;
}

/**
 * Commands that open the model with the compiled evaluator before anything else reads the
 * rule set: a rule-set refusal there is the compiled evaluator's.
 */
const COMPILED_FIRST = new Set(['explain', 'audit', 'rules test', 'rules impact']);

/** The UNSUPPORTED_* codes (and AMBIGUOUS_CONDITION): each where it is raised. */
function unsupportedHint(issue: Issue, command?: CommandContext): string | undefined {
  const has = (flag: string) => command?.options.includes(flag) ?? false;
  switch (issue.code) {
    // An input the chosen engine does not read: predict names the engine as the field. A
    // Parquet file that is not one, or a FIFO without a telling extension: nothing to add.
    case 'UNSUPPORTED_FORMAT':
      return issue.field === 'engine' && command?.name === 'predict'
        ? '--engine duckdb reads .csv and .parquet files; --engine compiled and json-rules-engine read .csv and .jsonl files'
        : undefined;
    // A DMN export's feature name that FEEL cannot state (the message names the rule).
    case 'UNSUPPORTED_NAME':
      return has('--feel-names')
        ? "rename the feature's column and build the model again; --feel-names backtick writes names in backticks, as Camunda's FEEL engine reads them (any character but a backtick)"
        : undefined;
    // HTTP only: the service answers it.
    case 'UNSUPPORTED_MEDIA_TYPE':
      return undefined;
  }
  // The rule-set refusals: the compiled evaluator's where it reads the rule set first.
  if (has('--engine'))
    return 'the compiled evaluator refuses this rule set; --engine json-rules-engine runs it as it is';
  if (command?.name === 'export')
    return 'the SQL and DMN exports state each rule by its exact region, which takes the rule sets the compiled evaluator takes; this one runs only in json-rules-engine (`neurules predict --engine json-rules-engine`)';
  if (command !== undefined && COMPILED_FIRST.has(command.name))
    return 'the compiled evaluator refuses this rule set; `neurules predict` and `neurules serve` run it with --engine json-rules-engine';
  // rules lint, rules accept, studio: the region analysis may be the one refusing.
  return undefined;
}
