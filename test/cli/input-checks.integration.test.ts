import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import { copyGermanCredit } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';

// What every command does with a bad input file: a coded error with its place, before any work.
let dir: string;
let dirs: string[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-inputs-'));
  const loc = copyGermanCredit(dir);
  dirs = ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('explain and audit: input checks (in-process)', () => {
  it.each([
    ['explain', '--input', ['--row', '1']],
    ['audit', '--data', ['--out', 'report.json']],
  ])('%s: a directory as %s is INPUT_IS_DIRECTORY naming it', async (command, flag, extra) => {
    const input = path.join(dir, 'inputs.csv');
    fs.mkdirSync(input);
    const rest = extra.map((a) => (a === 'report.json' ? path.join(dir, a) : a));
    const r = await runCli([command, '--model', 'german-credit', ...dirs, flag, input, ...rest]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(new RegExp(`^error ${input} INPUT_IS_DIRECTORY `, 'm'));
  });
});

describe('neurules build: input checks (in-process)', () => {
  const build = (data: string, extra: string[] = []) =>
    runCli(['build', '--data', data, '--backend', 'cpu', ...dirs, ...extra]);

  it('a directory as --data is INPUT_IS_DIRECTORY naming it', async () => {
    const data = path.join(dir, 'data.csv');
    fs.mkdirSync(data);
    const r = await build(data);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(new RegExp(`^error ${data} INPUT_IS_DIRECTORY `, 'm'));
  });

  it('an inf in a numeric column is INVALID_NUMBER at its line and column; --type COLUMN=categorical builds', async () => {
    const rows = Array.from(
      { length: 60 },
      (_, i) => `${i === 4 ? 'inf' : (i * 0.37).toFixed(2)},${i % 2 ? 'p' : 'q'}`,
    );
    const data = path.join(dir, 'tiny.csv');
    fs.writeFileSync(data, ['x,class', ...rows].join('\n') + '\n');
    const refused = await build(data);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toMatch(new RegExp(`^error ${data}:6:1 INVALID_NUMBER `, 'm'));
    expect(refused.stderr).not.toContain('training network');

    // A small network: this is about reading the column, not about what the network learns.
    const built = await build(data, [
      '--type',
      'x=categorical',
      '--sampling',
      'none',
      '--epochs',
      '20',
    ]);
    expect(built.stderr).not.toContain('INVALID_NUMBER');
    expect(built.code).toBe(EXIT.ok);
  });
});
