import { EXIT } from '../../src/cli/main';
import { GERMAN_CREDIT } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';

const committed = ['--models-dir', GERMAN_CREDIT.modelsDir, '--rules-dir', GERMAN_CREDIT.rulesDir];
const exportDmn = (...extra: string[]) =>
  runCli(['export', '--model', GERMAN_CREDIT.name, '--format', 'dmn', ...extra, ...committed]);

describe('neurules export --format dmn --feel-names', () => {
  it('takes standard and backtick (German credit names are plain identifiers: the same text)', async () => {
    const standard = await exportDmn('--feel-names', 'standard');
    const backtick = await exportDmn('--feel-names', 'backtick');
    const plain = await exportDmn();
    expect([standard.code, backtick.code, plain.code]).toEqual([0, 0, 0]);
    expect(standard.stdout).toBe(plain.stdout);
    expect(backtick.stdout).toBe(plain.stdout);
    expect(plain.stdout).toContain(
      '<inputExpression id="inputExpression_0" typeRef="string"><text>checking_status</text>',
    );
    // Ids and namespace from the model name and the rule set's hash.
    expect(plain.stdout).toMatch(/<decision id="decision_german-credit_[0-9a-f]{12}" /);
    expect(plain.stdout).toMatch(/namespace="urn:neurules:german-credit:[0-9a-f]{64}"/);
  });

  it('another form is a usage error listing the two', async () => {
    const r = await exportDmn('--feel-names', 'quotes');
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error INVALID_ARGUMENT \[--feel-names\] /m);
    expect(r.stderr).toMatch(/Allowed choices are standard, backtick/);
  });

  it('with another format than dmn it is INVALID_ARGUMENT naming feelNames', async () => {
    const r = await runCli([
      'export',
      '--model',
      GERMAN_CREDIT.name,
      '--format',
      'sql',
      '--feel-names',
      'backtick',
      ...committed,
    ]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error INVALID_ARGUMENT \[feelNames\] /m);
  });
});
