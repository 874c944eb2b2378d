import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/**
 * Headless Chromium for the browser tests, through playwright-core (which downloads no
 * browser): Debian's `chromium`, or `CHROMIUM_PATH`. Undefined when there is none; the
 * tests then skip, except under CI, where they fail.
 */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
export const executablePath = process.env.CHROMIUM_PATH
  ? existsSync(process.env.CHROMIUM_PATH)
    ? process.env.CHROMIUM_PATH
    : undefined
  : CANDIDATES.find((p) => existsSync(p));
export const missing = `no Chromium at ${process.env.CHROMIUM_PATH ?? CANDIDATES[0]} (apt-get install chromium, or set CHROMIUM_PATH)`;

/** Where browser tests save their screenshots. */
export const OUTPUT = join(__dirname, '../../test-output');

/**
 * A headless Chromium profile in `dir` in which every request `allowed` refuses is blocked
 * (and recorded in `blocked`): the page must work offline.
 */
export async function launchChromium(
  dir: string,
  allowed: (url: string) => boolean,
  blocked: string[],
): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: executablePath!,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  await context.route('**', async (route) => {
    const url = route.request().url();
    if (allowed(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  return context;
}
