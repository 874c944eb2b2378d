import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, run } from '../../src/cli/main';
import { HAS_MKFIFO } from '../helpers/fifo';
import { fifoForWriters, releasedWriter } from '../helpers/fifo-writers';
import { fullDisk } from '../helpers/full-disk';
import { GERMAN_CREDIT } from '../helpers/german-credit';
import { serveInProcess, waitFor } from '../helpers/serve-in-process';
import { sink } from '../helpers/sink';
import { applicant } from './applicant';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-serve-log-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `neurules serve` on the committed model, without the network, on a free port, with `args`. */
const serveArgs = (args: string[]) => [
  'serve',
  '--model',
  GERMAN_CREDIT.name,
  '--models-dir',
  GERMAN_CREDIT.modelsDir,
  '--rules-dir',
  GERMAN_CREDIT.rulesDir,
  '--no-network',
  '--port',
  '0',
  ...args,
];

/** Run `neurules serve` on the committed model with `args` (see {@link serveInProcess}). */
const serving = (args: string[], body: Parameters<typeof serveInProcess>[1]) =>
  serveInProcess(serveArgs(args), body);

const predict = (url: string, id: string) =>
  fetch(`${url}/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify(applicant),
  });

const idsIn = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { requestId: string }).requestId);

describe('neurules serve --decision-log', () => {
  it('a log that cannot be written: the error once on stderr, 503s, and a non-zero exit', async () => {
    const log = path.join(dir, 'decisions.jsonl');
    let disk: ReturnType<typeof fullDisk> | undefined;
    try {
      const { code, stderr } = await serving(['--decision-log', log], async (url, signal, err) => {
        disk = fullDisk(log, 0);
        for (let i = 0; i < 3; i++) {
          const r = await predict(url, `full-${i}`);
          expect(r.status).toBe(503);
          expect(((await r.json()) as { error: string }).error).toBe('DECISION_LOG_FAILED');
        }
        expect((await fetch(`${url}/healthz`)).status).toBe(503);
        const printed = err.text().match(/^error .*DECISION_LOG_FAILED.*$/gm) ?? [];
        expect(printed).toHaveLength(1);
        expect(printed[0]!.startsWith(`error ${log} DECISION_LOG_FAILED `)).toBe(true);
        // A rotation cannot revive a failed log: SIGHUP says so.
        signal('SIGHUP');
        await waitFor(err.text, /^decision log not reopened: /m);
      });
      // SIGTERM: finish, then exit non-zero with a closing error line.
      expect(code).toBe(EXIT.usage);
      expect(stderr.match(/^error .*DECISION_LOG_FAILED/gm)).toHaveLength(2);
      expect(fs.readFileSync(log, 'utf8')).toBe('');
    } finally {
      disk?.restore();
    }
  });

  it('SIGHUP after the log was moved (logrotate): later decisions go to a new file at the path', async () => {
    const log = path.join(dir, 'decisions.jsonl');
    const { code } = await serving(['--decision-log', log], async (url, signal, err) => {
      expect((await predict(url, 'before')).status).toBe(200);
      fs.renameSync(log, `${log}.1`);
      signal('SIGHUP');
      await waitFor(err.text, /^decision log reopened: /m);
      await waitFor(err.text, /^reloaded: rule set /m);
      expect((await predict(url, 'after')).status).toBe(200);
      expect(idsIn(`${log}.1`)).toEqual(['before']);
      fs.rmSync(`${log}.1`); // logrotate's last step
      expect((await predict(url, 'later')).status).toBe(200);
    });
    expect(code).toBe(EXIT.ok);
    expect(idsIn(log)).toEqual(['after', 'later']);
  });

  it('--redact with a name that is not a feature: UNKNOWN_FEATURE [name] and a did-you-mean, exit 2, nothing served or written', async () => {
    const log = path.join(dir, 'decisions.jsonl');
    const stderr = sink();
    const code = await run(
      serveArgs(['--decision-log', log, '--redact', 'Age,duration']),
      { stdout: sink(), stderr, isTTY: false },
      'user',
    );
    expect(code).toBe(EXIT.usage);
    expect(stderr.text()).toMatch(/^error UNKNOWN_FEATURE \[Age\] .*'age'/m);
    expect(stderr.text()).toMatch(/^hint: .*--redact/m);
    expect(stderr.text()).not.toMatch(/serving model/);
    expect(fs.existsSync(log)).toBe(false);
  });

  it('--redact without --decision-log: INVALID_ARGUMENT [--redact], exit 2', async () => {
    const stderr = sink();
    const code = await run(
      serveArgs(['--redact', 'age']),
      { stdout: sink(), stderr, isTTY: false },
      'user',
    );
    expect(code).toBe(EXIT.usage);
    expect(stderr.text()).toMatch(/^error INVALID_ARGUMENT \[--redact\] /m);
    expect(stderr.text()).not.toMatch(/serving model/);
  });

  (HAS_MKFIFO ? it : it.skip)(
    'a FIFO as --decision-log: NOT_A_REGULAR_FILE and exit 2 at once, before listening',
    async () => {
      const fifo = fifoForWriters(path.join(dir, 'decisions.fifo'));
      const stderr = sink();
      const code = await run(
        serveArgs(['--decision-log', fifo]),
        { stdout: sink(), stderr, isTTY: false },
        'user',
      );
      expect(code).toBe(EXIT.usage);
      expect(stderr.text()).toMatch(new RegExp(`^error ${fifo} NOT_A_REGULAR_FILE `, 'm'));
      expect(stderr.text()).not.toMatch(/serving model/);
      expect(releasedWriter(fifo)).toBe(false);
    },
  );
});
