import { run } from '../../src/cli/main';
import { sink } from './sink';

/** Run the CLI in-process, as `neurules ...args` would; returns the exit code and what it printed. */
export async function runCli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await run(args, { stdout, stderr, isTTY: false }, 'user');
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
