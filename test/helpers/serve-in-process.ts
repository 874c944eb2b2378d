import { run } from '../../src/cli/main';
import { sink } from './sink';

/** The signals `neurules serve` handles. */
export const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
export type Signal = (typeof SIGNALS)[number];

/** Wait (up to a minute) until `text()` matches `pattern`; its match. */
export async function waitFor(text: () => string, pattern: RegExp): Promise<RegExpMatchArray> {
  for (let waited = 0; waited < 60_000; waited += 50) {
    const m = text().match(pattern);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${pattern}; stderr: ${text()}`);
}

/**
 * Run `neurules ...argv` (a `serve` command line listening on port 0) in this process, and
 * `body` with the URL it listens on and a way to send it a signal (the signal handlers it
 * adds are called directly, and removed afterwards); then SIGTERM, and the exit code. It
 * runs the TypeScript sources, not the built `dist/`. The service is stopped whatever
 * `body` found, so no server outlives the test.
 */
export async function serveInProcess(
  argv: string[],
  body: (
    url: string,
    signal: (s: Signal) => void,
    stderr: ReturnType<typeof sink>,
  ) => Promise<void>,
): Promise<{ code: number; stderr: string }> {
  const before = new Map(SIGNALS.map((s) => [s, process.rawListeners(s)]));
  const added = (s: Signal) => process.rawListeners(s).filter((l) => !before.get(s)!.includes(l));
  const signal = (s: Signal) => {
    for (const l of added(s)) (l as (name: string) => void)(s);
  };
  const stderr = sink();
  const exited = run(argv, { stdout: sink(), stderr, isTTY: false }, 'user');
  try {
    const [, url] = await waitFor(stderr.text, /on (http:\/\/\S+)/);
    const failure = await body(url!, signal, stderr).then(
      () => undefined,
      (e: unknown) => ({ e }),
    );
    signal('SIGTERM');
    const code = await exited;
    if (failure) throw failure.e;
    return { code, stderr: stderr.text() };
  } finally {
    for (const s of SIGNALS) for (const l of added(s)) process.removeListener(s, l as () => void);
  }
}
