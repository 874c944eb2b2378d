import { createProgram, EXIT, reportError } from '../../src/cli/main';
import { sink } from './sink';

/** Run the CLI in-process; returns the exit code and what it printed. */
export async function runCli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const program = createProgram({ stdout, stderr, isTTY: false });
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    code = reportError(e, stderr);
  }
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
