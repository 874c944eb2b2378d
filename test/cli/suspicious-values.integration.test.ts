import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import { copyGermanCredit } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';

let dir: string;
const dirs = () => [
  '--models-dir',
  path.join(dir, 'models'),
  '--rules-dir',
  path.join(dir, 'rules'),
];
const overridesDir = () => path.join(dir, 'rules', 'german-credit', 'overrides');

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-suspicious-'));
  copyGermanCredit(dir);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('neurules rules lint: suspicious values', () => {
  const POLICY = [
    '- id: young-large-loans-declined',
    '  when:',
    "    age: { '<': 30 }",
    "    credit_amount: { '>': 8.000 }",
    '  then: { class: bad }',
    '  priority: 120',
    '',
  ].join('\n');

  it("'8.000' is a LOCALE_NUMBER warning at FILE:LINE:COLUMN of the number; warnings only, exit 0", async () => {
    const file = path.join(overridesDir(), 'young.yaml');
    fs.writeFileSync(file, POLICY);
    const r = await runCli(['rules', 'lint', '--model', 'german-credit', ...dirs()]);
    expect(r.code).toBe(EXIT.ok);
    // Line 4, column 27: where `8.000` starts.
    expect(r.stdout).toMatch(new RegExp(`^${file}:4:27 LOCALE_NUMBER .*8000`, 'm'));
    expect(r.stdout).toMatch(/0 error\(s\), \d+ warning\(s\)/);
  });

  it('--json: the warning as a finding with its code, severity, place and override', async () => {
    const file = path.join(overridesDir(), 'young.yaml');
    fs.writeFileSync(file, POLICY);
    const r = await runCli(['rules', 'lint', '--model', 'german-credit', '--json', ...dirs()]);
    expect(r.code).toBe(EXIT.ok);
    const found = (JSON.parse(r.stdout) as { findings: Record<string, unknown>[] }).findings.filter(
      (f) => f.file === file,
    );
    expect(found).toEqual([
      expect.objectContaining({
        code: 'LOCALE_NUMBER',
        severity: 'warning',
        line: 4,
        column: 27,
        field: 'credit_amount',
        ids: ['young-large-loans-declined'],
      }),
    ]);
  });
});
