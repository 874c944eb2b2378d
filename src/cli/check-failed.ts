/**
 * A check a command was asked to make has failed (`audit --fail-on-disparity`): the
 * command has done its work and printed what failed, and `run` exits 1 without printing
 * more. It is not an error in the input, which is a NeurulesError (exit 2).
 */
export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}
