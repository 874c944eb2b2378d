import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createProgram, EXIT, reportError } from '../../src/cli/main';
import { ERROR_CATALOGUE } from '../../src/errors';
import { sink } from '../helpers/sink';

/** Run the CLI in-process; returns the exit code and what it printed. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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

describe('neurules CLI', () => {
  it('prints help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/build.*predict.*explain/s);
  });

  it('a bad option value is a usage error (exit 2) naming the option', async () => {
    const r = await run(['build', '--data', 'x.csv', '--max-rules', 'zero']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('--max-rules');
  });

  it('a missing model is reported with its code and place, exit 2', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-cli-'));
    const r = await run(['predict', '--model', 'nope', '--input', 'x.csv', '--models-dir', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error .*nope MODEL_NOT_FOUND /m);
  });

  it('explain needs exactly one of --record and --input', async () => {
    const r = await run(['explain', '--model', 'm']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('INVALID_ARGUMENT');
  });

  it('an unexpected error exits 1', () => {
    const err = sink();
    expect(reportError(new Error('boom'), err)).toBe(EXIT.failure);
    expect(err.text()).toContain('internal error');
  });

  it('the README documents every error code', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const code of Object.keys(ERROR_CATALOGUE)) expect(readme).toContain(`\`${code}\``);
  });
});
