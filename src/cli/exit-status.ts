/**
 * How a command that ran to its end, and printed what it found, says that what it found
 * is not a success: `neurules replay` when a logged decision does not reproduce. Thrown
 * from a command's action, it ends the run with `status` and prints nothing more (the
 * command has printed its findings), as `diff` and `cmp` exit 1 when their inputs differ.
 * A failure (bad input, a bug) is an error, never this.
 */
export class ExitStatus extends Error {
  constructor(
    /** The exit status: 1, "found differences". */
    readonly status: 1,
    /** What was found, for a caller that catches it (not printed). */
    message: string,
  ) {
    super(message);
    this.name = 'ExitStatus';
  }
}
