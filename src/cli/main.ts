import { type Command, CommanderError } from 'commander';
import { formatIssue, isNeurulesError } from '../errors';
import { streamName } from '../files/output-target';
import { isClosedPipe, writeFailure } from '../files/write-failure';
import { flushed } from '../files/write-through';
import { ExitStatus } from './exit-status';
import { type CommandContext, hintFor } from './hints';
import type { CliIO } from './options';
import { createProgram } from './program';

export { createProgram };

/**
 * Exit codes: 0 success, 1 unexpected failure (or `differ`: a command that ran to its end
 * found what it checks not as it should be, see {@link ExitStatus}), 2 bad input or usage.
 */
export const EXIT = { ok: 0, failure: 1, differ: 1, usage: 2 } as const;

/**
 * Run the CLI on `argv` with `io`; resolves to the exit code. `from: 'node'` takes argv
 * as in `process.argv` (node and the script first), `'user'` as the arguments alone.
 *
 * Standard output failing (a full disk, `> /dev/full`) is WRITE_FAILED, exit 2, whether a
 * command sees it while writing (predict stops) or only after it has printed (explain).
 * Its reader closing it (`| head`) ends the command quietly with exit 0, as a reader that
 * stops reading is a normal end for a filter; so does `--output /dev/stdout`'s. A named
 * output whose reader leaves (a FIFO) has lost data: WRITE_FAILED naming it, exit 2.
 */
export async function run(
  argv: readonly string[],
  io: CliIO,
  from: 'node' | 'user' = 'node',
): Promise<number> {
  const program = createProgram(io);
  let active: Command | undefined;
  program.hook('preAction', (_program, action) => {
    active = action;
  });
  let failed: Error | undefined;
  const onError = (e: Error): void => {
    failed ??= e;
  };
  io.stdout.on('error', onError);
  try {
    let code: number;
    let differed = false;
    try {
      await program.parseAsync([...argv], { from });
      code = EXIT.ok;
    } catch (e) {
      differed = e instanceof ExitStatus;
      code = reportError(e, io.stderr, active && contextOf(active));
    }
    // What the command printed last may fail only now (a pipe writes it later).
    await flushed(io.stdout);
    // A command that found differences has printed them: they must have been written too.
    if ((code === EXIT.ok || differed) && failed) {
      code = reportError(
        writeFailure(failed, streamName(io.stdout), {
          wroteInto: true,
          stream: true,
          readerMayLeave: true,
        }),
        io.stderr,
      );
    }
    return code;
  } finally {
    io.stdout.removeListener('error', onError);
  }
}

/** Run the CLI with `argv` (as in `process.argv`); resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  // Failures of standard output are reported by `run`; one after it (there is nothing left
  // to write) and any of standard error (nowhere left to report it) are not a crash.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  return run(argv, {
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stderr.isTTY),
  });
}

/** The name (`rules lint`) and the long options of a command. */
function contextOf(command: Command): CommandContext {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return {
    name: names.join(' '),
    options: command.options.map((o) => o.long).filter((l): l is string => l !== undefined),
  };
}

/**
 * Print an error for a person and choose the exit code: a NeurulesError as one
 * `error FILE:LINE:COLUMN CODE message` line per problem, then a `hint:` line where the
 * CLI knows what to do next; anything else as an internal error with its stack. A
 * WRITE_FAILED of standard output whose reader closed it (EPIPE, see `isClosedPipe`) is no
 * error: nothing is printed, exit 0. An {@link ExitStatus} prints nothing either: its
 * status is the exit code.
 */
export function reportError(
  e: unknown,
  err: NodeJS.WritableStream,
  command?: CommandContext,
): number {
  if (e instanceof CommanderError) {
    // commander has printed its message; help and version are not errors.
    return e.code === 'commander.helpDisplayed' ||
      e.code === 'commander.version' ||
      e.code === 'commander.help'
      ? EXIT.ok
      : EXIT.usage;
  }
  // The reader of standard output closed it (`neurules predict ... | head`): it wanted no more.
  if (isClosedPipe(e)) return EXIT.ok;
  // The command printed what it found; its status says that it found differences.
  if (e instanceof ExitStatus) return e.status;
  if (isNeurulesError(e)) {
    const issues = e.issues.length ? e.issues : [{ code: e.code, message: e.message }];
    for (const issue of issues) err.write(`error ${formatIssue(issue)}\n`);
    if (e.issues.length > 1) err.write(`${e.issues.length} problems\n`);
    const hints = new Set(issues.map((i) => hintFor(i, command)).filter((h) => h !== undefined));
    for (const hint of hints) err.write(`hint: ${hint}\n`);
    return EXIT.usage;
  }
  err.write(`internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  return EXIT.failure;
}
