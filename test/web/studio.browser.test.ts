import type { FastifyInstance } from 'fastify';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { modelPaths } from '../../src/artifacts/model-store';
import type { ModelLocation } from '../../src/artifacts/types';
import { measureImpact } from '../../src/pipeline/measure-impact';
import { openStudio, type Studio } from '../../src/pipeline/studio';
import { createStudioApp, studioAssets } from '../../src/server/studio-app';
import { executablePath, launchChromium, missing, OUTPUT } from '../helpers/chromium';
import { copyGermanCredit } from '../helpers/german-credit';
import { runCli } from '../helpers/run-cli';

/**
 * The rule studio in headless Chromium, on a temporary copy of the German credit model:
 * the page as built by `npm run build` (dist/web/studio), served by the studio itself;
 * every request that does not go to it is blocked and recorded.
 */
const TIMEOUT = 90_000;
const built = fs.existsSync(path.join(studioAssets(), 'studio.js'));
const why = !executablePath
  ? missing
  : !built
    ? 'the studio page is not built (npm run build)'
    : '';

const misspelt = "- id: young\n  when:\n    agee: { '<': 21 }\n  then: { class: bad }\n";

if (why && process.env.CI) {
  describe('the rule studio in Chromium', () => {
    test('can run (CI must run the browser test)', () => {
      throw new Error(`browser test cannot run: ${why}`);
    });
  });
} else if (why) {
  console.warn(`studio browser test skipped: ${why}`);
  describe.skip('the rule studio in Chromium', () => {
    test('needs Chromium and the built page', () => undefined);
  });
} else {
  describe('the rule studio in Chromium', () => {
    let dir: string;
    let loc: ModelLocation;
    let studio: Studio;
    let app: FastifyInstance;
    let origin: string;
    let context: BrowserContext;
    let page: Page;
    let policy: string;
    const blocked: string[] = [];
    const errors: string[] = [];

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-studio-web-'));
      loc = copyGermanCredit(dir);
      policy = fs.readFileSync(path.join(modelPaths(loc).overrides, 'credit-policy.yaml'), 'utf8');
      studio = await openStudio(loc, { backend: 'cpu' });
      app = createStudioApp(studio, { token: 'browser-token' });
      await app.listen({ port: 0, host: '127.0.0.1' });
      origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      context = await launchChromium(dir, (url) => url.startsWith(`${origin}/`), blocked);
      page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${origin}/?token=browser-token`, { waitUntil: 'load' });
      await page.locator('[data-test="editor"] .cm-content').waitFor({ timeout: 30_000 });
    }, TIMEOUT);

    afterAll(async () => {
      await context?.close();
      await app?.close();
      studio?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }, TIMEOUT);

    /** Replace the editor's whole text, as a paste would. */
    async function setText(text: string): Promise<void> {
      await page.locator('[data-test="editor"] .cm-content').click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(text);
    }
    const problems = () => page.locator('[data-test="problems"]').innerText();
    const dirs = () => ['--models-dir', loc.modelsDir, '--rules-dir', loc.rulesDir];
    /** Wait until the text of `[data-test=HOOK]` passes `test`; how long it took (ms). */
    async function waitForText(hook: string, test: (text: string) => boolean, ms = 5000) {
      const started = Date.now();
      for (;;) {
        const text = await page.locator(`[data-test="${hook}"]`).innerText();
        if (test(text)) return Date.now() - started;
        if (Date.now() - started > ms) throw new Error(`[data-test=${hook}] never passed: ${text}`);
        await page.waitForTimeout(20);
      }
    }

    test(
      'a misspelt feature is listed as UNKNOWN_FEATURE at its line and column within 1 s, and underlined',
      async () => {
        await setText(misspelt);
        const took = await waitForText('problems', (t) => /UNKNOWN_FEATURE/.test(t));
        expect(took).toBeLessThan(1000);
        expect(await problems()).toMatch(/credit-policy\.yaml:3:5 UNKNOWN_FEATURE/);
        await page.locator('[data-test="editor"] .cm-lintRange-error').first().waitFor();
      },
      TIMEOUT,
    );

    test(
      "fixed, no problem remains, and the impact is `neurules rules impact`'s",
      async () => {
        await setText(policy);
        // Exactly what `neurules rules lint` prints for the file (its warnings included).
        const lint = await runCli(['rules', 'lint', '--model', 'german-credit', ...dirs()]);
        const lines = lint.stdout.trimEnd().split('\n');
        await waitForText(
          'problems',
          (t) => lines.every((l) => t.includes(l)) && !/UNKNOWN_FEATURE/.test(t),
        );
        const impact = await measureImpact(loc, { backend: 'cpu' });
        await waitForText('impact', (t) =>
          t.includes(`changed ${impact.changed} of ${impact.records}`),
        );
      },
      TIMEOUT,
    );

    test(
      'a conflicting override blocks the save',
      async () => {
        await setText(
          `${policy}\n- id: teens-good\n  when:\n    age: { '<': 18 }\n  then: { class: good }\n  priority: 100\n`,
        );
        await waitForText('problems', (t) => /OVERRIDE_CONFLICT/.test(t));
        await page.locator('[data-test="reason"]').fill('would conflict');
        expect(await page.locator('[data-test="save"]').isDisabled()).toBe(true);
      },
      TIMEOUT,
    );

    test(
      'saves with a reason: the file is the editor text, rules lint passes, changes.jsonl has it',
      async () => {
        const edited = policy.replace("age: { '<': 18 }", "age: { '<': 19 }");
        await setText(edited);
        await waitForText('problems', (t) => !/OVERRIDE_CONFLICT/.test(t));
        await page.locator('[data-test="reason"]').fill('minimum age 19');
        // Playwright's click waits until the button is enabled.
        await page.locator('[data-test="save"]').click({ timeout: 5000 });
        const changes = modelPaths(loc).changes;
        for (let i = 0; i < 50 && !fs.existsSync(changes); i++) await page.waitForTimeout(100);
        const file = path.join(modelPaths(loc).overrides, 'credit-policy.yaml');
        expect(fs.readFileSync(file, 'utf8')).toBe(edited);
        const lint = await runCli(['rules', 'lint', '--model', 'german-credit', ...dirs()]);
        expect(lint.code).toBe(0);
        const entry = JSON.parse(fs.readFileSync(changes, 'utf8').trim().split('\n').pop()!);
        expect(entry).toMatchObject({ kind: 'overrides', reason: 'minimum age 19' });
        fs.mkdirSync(OUTPUT, { recursive: true });
        await page.screenshot({ path: path.join(OUTPUT, 'studio.png'), fullPage: true });
      },
      TIMEOUT,
    );

    test('no request left the studio, and no console error', () => {
      expect(blocked).toEqual([]);
      expect(errors).toEqual([]);
    });
  });
}
