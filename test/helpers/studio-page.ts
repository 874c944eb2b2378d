import type { FastifyInstance } from 'fastify';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { ModelLocation } from '../../src/artifacts/types';
import { openStudio, type StudioSession } from '../../src/studio/session';
import { createStudioApp, studioAssets, type StudioAppOptions } from '../../src/server/studio-app';
import { executablePath, launchChromium, missing } from './chromium';
import { copyGermanCredit } from './german-credit';

/** How long a browser test or its set-up may take. */
export const BROWSER_TIMEOUT = 90_000;

/** Why the studio's browser tests cannot run here ('' when they can). */
export const browserMissing = !executablePath
  ? missing
  : !fs.existsSync(path.join(studioAssets(), 'studio.js'))
    ? 'the studio page is not built (npm run build)'
    : '';

/**
 * `describe` for a browser test of the studio: skipped (with a warning) where Chromium or
 * the built page is missing, and a failing test under CI, which must run them.
 */
export function describeInChromium(name: string, body: () => void): void {
  if (browserMissing && process.env.CI) {
    describe(name, () => {
      test('can run (CI must run the browser test)', () => {
        throw new Error(`browser test cannot run: ${browserMissing}`);
      });
    });
  } else if (browserMissing) {
    console.warn(`${name}: skipped: ${browserMissing}`);
    describe.skip(name, () => {
      test('needs Chromium and the built page', () => undefined);
    });
  } else {
    describe(name, body);
  }
}

/** Shows the YAML editor (the source view) of the page, where the decision table is shown. */
export async function showSource(page: Page): Promise<void> {
  if (await page.locator('[data-test="editor"] .cm-content').isHidden())
    await page.locator('[data-test="view-source"]').click();
}

/** A studio on a temporary copy of the German credit model, and Chromium on its page. */
export interface StudioPage {
  dir: string;
  loc: ModelLocation;
  studio: StudioSession;
  app: FastifyInstance;
  origin: string;
  token: string;
  context: BrowserContext;
  /** The first tab, on the studio's page, the editor shown. */
  page: Page;
  /** Console errors and uncaught exceptions of every tab. */
  errors: string[];
  /** Requests to anything but the studio (the page must work offline). */
  blocked: string[];
  /** Open another tab on the studio's page (the same browser profile: shared storage). */
  newTab(): Promise<Page>;
  /** Replace the editor's whole text in `page` (default: the first tab), as a paste would. */
  setText(text: string, on?: Page): Promise<void>;
  /** Wait until the text of `[data-test=HOOK]` passes `test`; how long it took (ms). */
  waitForText(
    hook: string,
    test: (text: string) => boolean,
    options?: { ms?: number; on?: Page },
  ): Promise<number>;
  close(): Promise<void>;
}

/**
 * Start a studio (fastify on 127.0.0.1, port 0) on a fresh copy of the German credit model
 * and open its page in headless Chromium; every request elsewhere is blocked and recorded.
 */
export async function openStudioPage(
  options: {
    app?: Omit<Partial<StudioAppOptions>, 'token'>;
    session?: Parameters<typeof openStudio>[1];
  } = {},
): Promise<StudioPage> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-studio-page-'));
  const loc = copyGermanCredit(dir);
  const studio = await openStudio(loc, { backend: 'cpu', ...options.session });
  const token = 'browser-token';
  const app = createStudioApp(studio, { ...options.app, token });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const blocked: string[] = [];
  const errors: string[] = [];
  const context = await launchChromium(dir, (url) => url.startsWith(`${origin}/`), blocked);
  const watch = (p: Page): Page => {
    p.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    p.on('pageerror', (e) => errors.push(e.message));
    return p;
  };
  const open = async (p: Page): Promise<Page> => {
    watch(p);
    await p.goto(`${origin}/?token=${token}`, { waitUntil: 'load' });
    // The decision table is the default view: the editor is there, shown by "Source (YAML)".
    await p
      .locator('[data-test="editor"] .cm-content')
      .waitFor({ state: 'attached', timeout: 30_000 });
    return p;
  };
  const page = await open(context.pages()[0] ?? (await context.newPage()));
  const self: StudioPage = {
    dir,
    loc,
    studio,
    app,
    origin,
    token,
    context,
    page,
    errors,
    blocked,
    newTab: async () => open(await context.newPage()),
    async setText(text, on = page) {
      await showSource(on);
      await on.locator('[data-test="editor"] .cm-content').click();
      await on.keyboard.press('Control+A');
      await on.keyboard.press('Delete');
      await on.keyboard.insertText(text);
    },
    async waitForText(hook, test, { ms = 10_000, on = page } = {}) {
      const started = Date.now();
      for (;;) {
        const text = await on.locator(`[data-test="${hook}"]`).innerText();
        if (test(text)) return Date.now() - started;
        if (Date.now() - started > ms) throw new Error(`[data-test=${hook}] never passed: ${text}`);
        await on.waitForTimeout(20);
      }
    },
    async close() {
      await context.close();
      await app.close();
      await studio.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
