import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { modelPaths } from '../../src/artifacts/model-store';
import { readHistory } from '../../src/artifacts/rule-archive';
import { EXIT } from '../../src/cli/main';
import { readRecords } from '../../src/data/read-records';
import { loadModelFiles } from '../../src/artifacts/model-store';
import { copyGermanCredit } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';
import { serveInProcess, waitFor } from '../helpers/serve-in-process';
import { applicant } from './applicant';

const ROOT = path.join(__dirname, '..', '..');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-serve-replay-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('neurules serve --decision-log, then neurules replay', () => {
  it('every decision served, before and after a reload with an edited override, reproduces', async () => {
    const loc = copyGermanCredit(dir);
    const dirs = ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
    const log = path.join(dir, 'decisions.jsonl');
    const records = readRecords(
      path.join(ROOT, 'data', 'german-credit.csv'),
      loadModelFiles(loc).schema,
    ).records.slice(0, 6);
    const post = async (url: string, id: string, body: unknown) => {
      const r = await fetch(`${url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify(body),
      });
      expect(r.status).toBe(200);
    };
    const exposure = { ...applicant, checking_status: 'no checking', credit_amount: 13000 };
    const overrides = path.join(modelPaths(loc).overrides, 'credit-policy.yaml');
    const { code } = await serveInProcess(
      [
        'serve',
        '--model',
        loc.name,
        ...dirs,
        '--no-network',
        '--port',
        '0',
        '--decision-log',
        log,
        '--redact',
        'own_telephone',
      ],
      async (url, signal, stderr) => {
        await post(url, 'batch-1', records);
        await post(url, 'one', applicant);
        await post(url, 'exposure-1', exposure);
        // The exposure limit lowered to 12,000 DM, and the service reloaded.
        const text = fs.readFileSync(overrides, 'utf8');
        fs.writeFileSync(
          overrides,
          text.replace("credit_amount: { '>': 15000 }", "credit_amount: { '>': 12000 }"),
        );
        signal('SIGHUP');
        await waitFor(stderr.text, /^reloaded: rule set /m);
        await post(url, 'batch-2', records);
        await post(url, 'exposure-2', exposure);
      },
    );
    expect(code).toBe(EXIT.ok);
    const logged = fs
      .readFileSync(log, 'utf8')
      .trimEnd()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            model: string;
            ruleSet: string;
            class: string;
            inputs: Record<string, unknown>;
          },
      );
    const n = 2 * records.length + 3;
    expect(logged).toHaveLength(n);
    expect(new Set(logged.map((l) => l.model))).toEqual(new Set([loc.name]));
    expect(logged.every((l) => l.inputs.own_telephone === '[redacted]')).toBe(true);
    // Two rule sets served, each filed in the archive when it came into force.
    const hashes = [...new Set(logged.map((l) => l.ruleSet))];
    expect(hashes).toHaveLength(2);
    expect(readHistory(loc).entries.map((e) => e.hash)).toEqual(expect.arrayContaining(hashes));
    // The edited override declines the second exposure request, not the first.
    expect([logged[records.length + 1]!.class, logged.at(-1)!.class]).toEqual(['good', 'bad']);

    const r = await runCli(['replay', '--model', loc.name, '--log', log, ...dirs]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `replayed ${n} decisions: ${n} reproduced, 0 differ, 0 unknown rule set\n`,
    );
    expect(r.code).toBe(EXIT.ok);
  });
});
