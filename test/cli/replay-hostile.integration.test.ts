import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyGermanCredit } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';

/** What a hostile probe of `neurules replay` found, fixed: each with the log it used. */
const LOG = path.join(__dirname, '..', 'fixtures', 'docs', 'decisions.jsonl');

let dir: string;
let dirs: string[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-replay-hostile-'));
  const loc = copyGermanCredit(dir);
  dirs = ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const replay = (...files: string[]) =>
  runCli(['replay', '--model', 'german-credit', '--log', ...files, ...dirs]);
const lines = fs.readFileSync(LOG, 'utf8').trim().split('\n');

describe('neurules replay on hostile logs', () => {
  it('reads a log that starts with a byte-order mark', async () => {
    const r = await replay(write('bom.jsonl', '\uFEFF' + lines.join('\n') + '\n'));
    expect(r.stdout).toContain(`replayed ${lines.length} decisions: ${lines.length} reproduced`);
    expect(r.code).toBe(0);
  });

  it('refuses an empty log instead of passing it', async () => {
    const r = await replay(write('empty.jsonl', '\n\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/NO_DECISIONS/);
  });

  it('refuses the same log given twice', async () => {
    const r = await replay(LOG, path.join(path.dirname(LOG), '.', 'decisions.jsonl'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/INVALID_ARGUMENT \[log\].*given twice/);
  });

  it('refuses inputs the service would have refused (a level the feature does not have)', async () => {
    const line = JSON.parse(lines[0]!);
    line.inputs.purpose = 'no-such-level';
    const file = write('level.jsonl', JSON.stringify(line) + '\n');
    const r = await replay(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error ${file}:1`);
    expect(r.stderr).toMatch(/LOG_LINE_INVALID .*inputs\.purpose: expected one of its levels/);
  });
});
