import * as fs from 'node:fs';
import { EXIT, run } from '../../src/cli/main';
import { GERMAN_CREDIT } from '../helpers/german-credit';
import { sink } from '../helpers/sink';
import { applicant } from './applicant';

// `neurules serve` in this process (the signal handlers it adds are called directly and
// removed afterwards), so it runs the TypeScript sources rather than the built `dist/`.
const onLinux = fs.existsSync('/dev/full') ? it : it.skip;
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

async function waitFor(text: () => string, pattern: RegExp): Promise<RegExpMatchArray> {
  for (let waited = 0; waited < 60_000; waited += 50) {
    const m = text().match(pattern);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${pattern}; stderr: ${text()}`);
}

describe('neurules serve --decision-log', () => {
  onLinux(
    'a log that cannot be written: the error once on stderr, 503s, and a non-zero exit',
    async () => {
      const before = new Map(SIGNALS.map((s) => [s, process.rawListeners(s)]));
      const stderr = sink();
      const exited = run(
        [
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
          '--decision-log',
          '/dev/full',
        ],
        { stdout: sink(), stderr, isTTY: false },
        'user',
      );
      const added = (s: (typeof SIGNALS)[number]) =>
        process.rawListeners(s).filter((l) => !before.get(s)!.includes(l));
      try {
        const [, url] = await waitFor(stderr.text, /on (http:\/\/\S+)/);
        for (let i = 0; i < 3; i++) {
          const r = await fetch(`${url}/v1/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(applicant),
          });
          expect(r.status).toBe(503);
          expect(((await r.json()) as { error: string }).error).toBe('DECISION_LOG_FAILED');
        }
        expect((await fetch(`${url}/healthz`)).status).toBe(503);
        const printed = stderr.text().match(/^error .*DECISION_LOG_FAILED.*$/gm) ?? [];
        expect(printed).toHaveLength(1);
        expect(printed[0]).toMatch(/^error \/dev\/full DECISION_LOG_FAILED /);
        // SIGTERM: finish, then exit non-zero with a closing error line.
        for (const l of added('SIGTERM')) (l as (s: string) => void)('SIGTERM');
        expect(await exited).toBe(EXIT.usage);
        expect(stderr.text().match(/^error .*DECISION_LOG_FAILED/gm)).toHaveLength(2);
      } finally {
        for (const s of SIGNALS)
          for (const l of added(s)) process.removeListener(s, l as () => void);
      }
    },
  );
});
