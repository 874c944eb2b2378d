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
  if (code.startsWith('UNSUPPORTED_') || code === 'AMBIGUOUS_CONDITION') {
    return has('--engine')
      ? 'the compiled evaluator refuses this rule set; --engine json-rules-engine runs it as it is'
      : 'the compiled evaluator refuses this rule set; `neurules predict` and `neurules serve` run it with --engine json-rules-engine';
  }
  if (code === 'INVALID_NUMBER' && has('--type'))
    return 'correct the cells, or read the column as categories with --type COLUMN=categorical';
  if (code === 'RULES_MODIFIED')
    return 'to keep a deliberate edit, check and record it with `neurules rules accept --model NAME`; otherwise rebuild, or restore the file';
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
  if (command?.name === 'explain' && (issue.field === 'record' || issue.field === 'row'))
    return 'give --record JSON, or --input FILE with --row N';
  return undefined;
}
