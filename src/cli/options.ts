import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ModelLocation } from '../artifacts/types';
import { BACKEND_CHOICES } from '../teacher/backend-choice';
import { DEFAULT_ENGINE, RECORD_ENGINE_NAMES } from '../predict/engines';

/** Where a command prints: standard output and error, and whether error is a terminal. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  isTTY: boolean;
}

/**
 * A commander parser for whole numbers of at least `min`, in decimal digits only (`Number`
 * would also read `0x2`, `1e0`, ` 2 `), and no larger than a double holds exactly.
 */
export function wholeNumber(name: string, min: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(
        `${name}: expected a whole number ≥ ${min} in decimal digits, found '${value}'`,
      );
    return n;
  };
}

/**
 * A commander parser for an option that may be given once: a second one is refused rather
 * than silently winning.
 */
export function once(name: string) {
  return (value: string, previous: string | undefined): string => {
    if (previous !== undefined)
      throw new InvalidArgumentError(
        `${name}: expected it once, found it given twice ('${previous}', then '${value}')`,
      );
    return value;
  };
}

/** A commander parser for `KEY=VALUE,...` lists whose values are one of `allowed`. */
function keyValues<V extends string>(what: string, allowed: readonly V[]) {
  return (value: string, previous: Record<string, V> = {}): Record<string, V> => {
    for (const part of value.split(',')) {
      const [key, v] = part.split('=').map((s) => s.trim());
      if (!key || !allowed.includes(v as V)) {
        throw new InvalidArgumentError(`expected ${what}=${allowed.join('|')}, found '${part}'`);
      }
      previous[key] = v as V;
    }
    return previous;
  };
}

/** `--type COLUMN=numeric|categorical,...` */
export const parseTypes = keyValues('COLUMN', ['numeric', 'categorical'] as const);
/** `--monotone FEATURE=increasing|decreasing,...` */
export const parseMonotone = keyValues('FEATURE', ['increasing', 'decreasing'] as const);

/** A commander parser for `NAME,NAME,...` lists (repeatable). */
export function parseList(value: string, previous: string[] = []): string[] {
  for (const part of value.split(',')) {
    const name = part.trim();
    if (!name) throw new InvalidArgumentError(`expected NAME,NAME,..., found '${value}'`);
    previous.push(name);
  }
  return previous;
}

/** `--models-dir` and `--rules-dir`, which every command takes. */
/** Collects a repeatable option's values, each as given (`--concept a=x --concept b=y`). */
export function repeatable(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function withDirs(cmd: Command): Command {
  return cmd
    .option('--models-dir <dir>', 'where models live', 'models')
    .option('--rules-dir <dir>', 'where rule sets live', 'rules');
}

/** `--model NAME` (required). */
export function modelOption(): Option {
  return new Option('--model <name>', 'model name').makeOptionMandatory();
}

/** `--backend`: which TensorFlow.js backend loads the network. */
export function backendOption(what = 'TensorFlow.js backend for the network'): Option {
  return new Option('--backend <name>', what).choices(BACKEND_CHOICES).default('auto');
}

/** `--engine`: which evaluator decides. */
export function engineOption(
  what: string,
  choices: readonly string[] = RECORD_ENGINE_NAMES,
): Option {
  return new Option('--engine <name>', what).choices(choices).default(DEFAULT_ENGINE);
}

/** What `--data` means where a model is measured. */
export const MEASURE_ON =
  "a labelled .csv or .jsonl file to measure on (default: the build's held-out test split)";

/** The model a command names, from its `--model`, `--models-dir` and `--rules-dir`. */
export function locationOf(o: {
  modelsDir: string;
  rulesDir: string;
  model: string;
}): ModelLocation {
  return { modelsDir: o.modelsDir, rulesDir: o.rulesDir, name: o.model };
}

/** `{ key: value }` when `value` is defined, else `{}`: optional options passed on as given. */
export function given<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
