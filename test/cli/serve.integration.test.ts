import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import { copyGermanCredit } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';
import { applicant as record } from '../server/applicant';

// These tests run the built CLI (`dist/`, made by `npm install`'s prepare script) as a real
// process, to exercise signals: SIGHUP reload and SIGTERM shutdown.
const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'neurules.js');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-serve-'));
  copyGermanCredit(dir);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function waitFor(
  child: ChildProcess,
  pattern: RegExp,
  seen: { text: string },
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = seen.text.match(pattern);
      if (m) resolve(m);
      return Boolean(m);
    };
    if (check()) return;
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}; stderr: ${seen.text}`)),
      30_000,
    );
    child.stderr!.on('data', () => {
      if (check()) clearTimeout(timer);
    });
    child.on('exit', () => reject(new Error(`exited before ${pattern}; stderr: ${seen.text}`)));
  });
}

const rulesFile = () => path.join(dir, 'rules', 'german-credit', 'distilled.rules.json');

describe('neurules serve (a real process)', () => {
  it('reloads on SIGHUP, keeps the old rule set when the new file is bad, and flushes the log on SIGTERM', async () => {
    const log = path.join(dir, 'decisions.jsonl');
    const child = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--model',
        'german-credit',
        '--port',
        '0',
        '--no-network',
        '--models-dir',
        path.join(dir, 'models'),
        '--rules-dir',
        path.join(dir, 'rules'),
        '--decision-log',
        log,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const seen = { text: '' };
    child.stderr!.on('data', (d) => (seen.text += String(d)));
    try {
      const [, url] = await waitFor(child, /on (http:\/\/\S+)/, seen);
      const predict = async () =>
        (
          await fetch(`${url}/v1/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(record),
          })
        ).json() as Promise<{ class: string; ruleSet: string }>;
      const first = await predict();
      expect(first.class).toMatch(/good|bad/);
      fs.writeFileSync(rulesFile(), '{"format": "neurules.rules", "version": 1, "rules": [');
      child.kill('SIGHUP');
      await waitFor(
        child,
        /reload refused, old rule set keeps serving:\n\s+\S+ INVALID_ARTIFACT/,
        seen,
      );
      expect((await predict()).ruleSet).toBe(first.ruleSet);
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => resolve(code)),
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const lines = fs
        .readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatchObject({ ruleSet: first.ruleSet, class: first.class });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('a rule outside the compiled subset', () => {
  it('is a hand edit: refused on open by both engines (RULES_MODIFIED) and by rules accept (RULE_INVALID_CONDITION)', async () => {
    const ruleSet = JSON.parse(fs.readFileSync(rulesFile(), 'utf8'));
    // `params` on a condition: json-rules-engine passes them to dynamic facts; neurules
    // rules never carry them, so the edit cannot be accepted.
    ruleSet.rules[0].conditions.all[0].params = { unit: 'months' };
    fs.writeFileSync(rulesFile(), JSON.stringify(ruleSet));
    const input = path.join(dir, 'one.jsonl');
    fs.writeFileSync(input, JSON.stringify(record) + '\n');
    const dirs = ['--models-dir', path.join(dir, 'models'), '--rules-dir', path.join(dir, 'rules')];
    for (const engine of ['compiled', 'json-rules-engine']) {
      const r = await runCli([
        'predict',
        '--model',
        'german-credit',
        '--input',
        input,
        '--engine',
        engine,
        ...dirs,
      ]);
      expect(r.code).toBe(EXIT.usage);
      expect(r.stderr).toMatch(/ RULES_MODIFIED /);
    }
    const accept = await runCli(['rules', 'accept', '--model', 'german-credit', ...dirs]);
    expect(accept.code).toBe(EXIT.usage);
    expect(accept.stderr).toMatch(
      /RULE_INVALID_CONDITION \[rules\[0\] \(rule 'R01'\) conditions\.all\[0\]\.params\]/,
    );
  });
});
