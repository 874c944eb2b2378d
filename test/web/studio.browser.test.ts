import type { FastifyInstance } from 'fastify';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { modelPaths } from '../../src/artifacts/model-store';
import type { ModelLocation } from '../../src/artifacts/types';
import { measureImpact } from '../../src/pipeline/measure-impact';
import { openStudio, type StudioSession } from '../../src/studio/session';
import { createStudioApp, studioAssets, studioCookieName } from '../../src/server/studio-app';
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

/** What {@link BIDI_PROBE} measures in the page. */
interface BidiProbe {
  measure(root: unknown, rlo: string): { isolation: string[]; isolated: number[]; plain: number[] };
}
/**
 * Page-side code (the tests have no DOM types): for an element holding a level with U+202E,
 * the computed `unicode-bidi` of each <bdi> holding it, and the left edges of the letters
 * and digits after the level on its line, in text order, as shown (`isolated`) and as the
 * same text shown plain in a <div> (`plain`). Left to right, the edges grow; reversed, they
 * shrink.
 */
const BIDI_PROBE = `globalThis.bidiProbe = {
  edges(root, rlo) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const out = [];
    let after = false;
    let top;
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const at = n.data.indexOf(rlo);
      if (!after && at < 0) continue;
      const from = after ? 0 : n.data.indexOf("'", at) + 1;
      after = true;
      for (let i = from; i < n.data.length; i++) {
        if (!/[A-Za-z0-9]/.test(n.data[i])) continue;
        const range = document.createRange();
        range.setStart(n, i);
        range.setEnd(n, i + 1);
        const rect = range.getBoundingClientRect();
        if (top === undefined) top = rect.top;
        if (Math.abs(rect.top - top) < 2) out.push(rect.left);
      }
    }
    return out;
  },
  measure(root, rlo) {
    const isolation = [...root.querySelectorAll('bdi')]
      .filter((b) => b.textContent.includes(rlo))
      .map((b) => getComputedStyle(b).unicodeBidi);
    const div = document.createElement('div');
    div.textContent = root.textContent;
    root.after(div);
    const plain = this.edges(div, rlo);
    div.remove();
    return { isolation, isolated: this.edges(root, rlo), plain };
  },
};`;
const increasing = (xs: number[]) => xs.length > 2 && xs.every((x, i) => i === 0 || x > xs[i - 1]!);
const decreasing = (xs: number[]) => xs.length > 2 && xs.every((x, i) => i === 0 || x < xs[i - 1]!);

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
    let studio: StudioSession;
    let app: FastifyInstance;
    let origin: string;
    let context: BrowserContext;
    let page: Page;
    let policy: string;
    const blocked: string[] = [];
    const errors: string[] = [];
    /** The studios this browser may reach; anything else is blocked and recorded. */
    const origins = new Set<string>();
    /** Studios a test started besides the first, with their sessions; closed at the end. */
    const others: { app: FastifyInstance; studio?: StudioSession }[] = [];
    const originOf = (a: FastifyInstance) =>
      `http://127.0.0.1:${(a.server.address() as { port: number }).port}`;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-studio-web-'));
      loc = copyGermanCredit(dir);
      policy = fs.readFileSync(path.join(modelPaths(loc).overrides, 'credit-policy.yaml'), 'utf8');
      studio = await openStudio(loc, { backend: 'cpu' });
      app = createStudioApp(studio, { token: 'browser-token' });
      await app.listen({ port: 0, host: '127.0.0.1' });
      origin = originOf(app);
      origins.add(origin);
      context = await launchChromium(
        dir,
        (url) => [...origins].some((o) => url.startsWith(`${o}/`)),
        blocked,
      );
      page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${origin}/?token=browser-token`, { waitUntil: 'load' });
      // The decision table is the default view; these tests type in the YAML (source) view.
      await page.locator('[data-test="view-source"]').click();
      await page.locator('[data-test="editor"] .cm-content').waitFor({ timeout: 30_000 });
    }, TIMEOUT);

    afterAll(async () => {
      await context?.close();
      for (const o of others) {
        await o.app.close();
        await o.studio?.close();
      }
      await app?.close();
      await studio?.close();
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
    async function waitForText(hook: string, test: (text: string) => boolean, ms = 30_000) {
      const started = Date.now();
      for (;;) {
        const text = await page.locator(`[data-test="${hook}"]`).innerText();
        if (test(text)) return Date.now() - started;
        if (Date.now() - started > ms) throw new Error(`[data-test=${hook}] never passed: ${text}`);
        await page.waitForTimeout(20);
      }
    }

    test(
      'a misspelt feature is listed as UNKNOWN_FEATURE at its line and column, and underlined',
      async () => {
        await setText(misspelt);
        // How soon is the bench's to say (npm run bench:studio), not a test's.
        await waitForText('problems', (t) => /UNKNOWN_FEATURE/.test(t), 30_000);
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
        // Its example records are tables of the fields their override reads (yaml-editor.browser.test.ts).
        // A file is shown by its name; the folder is said once, in lint's summary line.
        const folder = `${modelPaths(loc).overrides}/`;
        const lines = lint.stdout
          .trimEnd()
          .split('\n')
          .filter((l) => !l.startsWith('  example: '))
          .map((l) => (l.startsWith('rules lint:') ? l : l.split(folder).join('')));
        await waitForText(
          'problems',
          (t) => lines.every((l) => t.includes(l)) && !/UNKNOWN_FEATURE/.test(t),
        );
        // The headline compares with the saved file (the same text: nothing changes); the
        // folded figures are `rules impact`'s, against the distilled rules alone.
        const impact = await measureImpact(loc, { backend: 'cpu' });
        await waitForText('impact', (t) => t.includes(`changed 0 of ${impact.records}`));
        await waitForText('impact-distilled', (t) =>
          t.includes(`${impact.changed} of ${impact.records} decisions differ`),
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

    test(
      'a held-out record picked is decided and explained',
      async () => {
        const picked = await studio.explain([{ name: 'credit-policy.yaml', text: policy }], {
          index: 3,
        });
        // By value, the record's index: the list's first option is the form's own record.
        await page.locator('[data-test="record"]').selectOption({ value: '3' });
        await waitForText('decision', (t) =>
          t.includes(`rule ${picked.explanation.decision.ruleId}`),
        );
      },
      TIMEOUT,
    );

    test(
      'the form shows the override at the cursor, and its edits rewrite the YAML',
      async () => {
        const line = (text: string) =>
          page.locator('[data-test="editor"] .cm-line', { hasText: text });
        await line("duration: { '>': 36 }").click();
        const form = page.locator('[data-test="override-form"]');
        await form.locator('[data-test="form-mode"]', { hasText: 'exposure-limit' }).waitFor();
        const rows = form.locator('[data-test="condition"]');
        expect(await rows.count()).toBe(2);
        const row = async (i: number) => ({
          feature: await rows.nth(i).locator('select.feature').inputValue(),
          operator: await rows.nth(i).locator('select.operator').inputValue(),
          value: await rows.nth(i).locator('.value').inputValue(),
        });
        expect(await row(0)).toEqual({ feature: 'credit_amount', operator: '>', value: '15000' });
        expect(await row(1)).toEqual({ feature: 'duration', operator: '>', value: '36' });

        await rows.nth(1).locator('.value').fill('48');
        await line("duration: { '>': 48 }").waitFor({ timeout: 5000 });
        expect(await line("duration: { '>': 36 }").count()).toBe(0);
        // The override keeps its other keys and its place.
        await line('credit_amount: { ').filter({ hasText: '15000' }).waitFor();
        await line('owner: risk').waitFor();
        // The form's edit is one step of the editor's undo history, and the form follows it.
        await line("duration: { '>': 48 }").click();
        await page.keyboard.press('Control+Z');
        await line("duration: { '>': 36 }").waitFor({ timeout: 5000 });
        // The form follows the text a moment later (it does not hold up the live check).
        const formValue = async (want: string) => {
          for (let t = 0; t < 100; t++) {
            if ((await rows.nth(1).locator('.value').inputValue()) === want) return want;
            await page.waitForTimeout(20);
          }
          return rows.nth(1).locator('.value').inputValue();
        };
        expect(await formValue('36')).toBe('36');
        await page.keyboard.press('Control+Shift+Z');
        await line("duration: { '>': 48 }").waitFor({ timeout: 5000 });
        expect(await formValue('48')).toBe('48');
        await page.locator('#check-state', { hasText: /^\((?!checking)/ }).waitFor();
        expect(await problems()).not.toMatch(/UNKNOWN_|INVALID_/);
        await form.screenshot({ path: path.join(OUTPUT, 'studio-form.png') });
      },
      TIMEOUT,
    );

    /** Opens a page at `url`: the status of the page's own answer, once the editor is up. */
    async function openPage(target: Page, url: string): Promise<number> {
      const response = await target.goto(url, { waitUntil: 'load' });
      await target
        .locator('[data-test="editor"] .cm-content')
        .waitFor({ state: 'attached', timeout: 30_000 });
      await target.locator('#status', { hasText: 'ready' }).waitFor({ timeout: 30_000 });
      return response!.status();
    }

    test(
      "the printed address opens the page beside another studio on another port, and after a restart on the same port: each studio's cookie is its own",
      async () => {
        // A second studio on another port: the browser sends it the first one's cookie too.
        const second = createStudioApp(studio, { token: 'second-token' });
        await second.listen({ port: 0, host: '127.0.0.1' });
        others.push({ app: second });
        const at = originOf(second);
        origins.add(at);
        const tab = await context.newPage();
        expect(await openPage(tab, `${at}/?token=second-token`)).toBe(200);
        // Reloaded without the token (the page takes it out of the address): its own cookie.
        await tab.reload();
        await tab.locator('#status', { hasText: 'ready' }).waitFor({ timeout: 30_000 });
        // Restarted on the same port with a new token: the old cookie is left alone.
        const port = Number(new URL(at).port);
        await second.close();
        const restarted = createStudioApp(studio, { token: 'third-token' });
        await restarted.listen({ port, host: '127.0.0.1' });
        others.push({ app: restarted });
        expect(await openPage(tab, `${at}/?token=third-token`)).toBe(200);
        await tab.close();
        const names = (await context.cookies()).map((c) => c.name).sort();
        expect(names).toEqual(
          ['browser-token', 'second-token', 'third-token'].map(studioCookieName).sort(),
        );
      },
      TIMEOUT,
    );

    test(
      'the token in the address wins over a stale cookie of the same name, and resets it',
      async () => {
        const name = studioCookieName('browser-token');
        await context.addCookies([{ name, value: 'stale', url: origin }]);
        const tab = await context.newPage();
        expect(await openPage(tab, `${origin}/?token=browser-token`)).toBe(200);
        const cookie = (await context.cookies(origin)).find((c) => c.name === name);
        expect(cookie?.value).toBe('browser-token');
        await tab.close();
      },
      TIMEOUT,
    );

    test(
      'a level holding U+202E (right-to-left override) does not reverse the text after it',
      async () => {
        const rlo = '\u202e';
        const level = `evil${rlo}x`;
        // A model whose class follows a level with the override in it.
        const csv = path.join(dir, 'bidi.csv');
        const rows = ['colour,size,verdict'];
        for (let i = 0; i < 240; i++) {
          const colour = ['plain', level, 'other'][i % 3]!;
          const size = (i * 37) % 100;
          rows.push(`${colour},${size},${colour === level || size > 70 ? 'approve' : 'deny'}`);
        }
        fs.writeFileSync(csv, rows.join('\n') + '\n');
        const bidiLoc = {
          modelsDir: path.join(dir, 'bidi-models'),
          rulesDir: path.join(dir, 'bidi-rules'),
          name: 'bidi',
        };
        const built = await runCli([
          'build',
          '--data',
          csv,
          '--backend',
          'cpu',
          // Any model will do: the quickest build (no cross-validation, no shaping).
          '--selection',
          'holdout',
          '--teacher-shaping',
          'off',
          '--models-dir',
          bidiLoc.modelsDir,
          '--rules-dir',
          bidiLoc.rulesDir,
        ]);
        expect(built.code).toBe(0);
        const bidiStudio = await openStudio(bidiLoc, { backend: 'cpu' });
        const bidiApp = createStudioApp(bidiStudio, { token: 'bidi-token' });
        others.push({ app: bidiApp, studio: bidiStudio });
        await bidiApp.listen({ port: 0, host: '127.0.0.1' });
        origins.add(originOf(bidiApp));
        const tab = await context.newPage();
        expect(await openPage(tab, `${originOf(bidiApp)}/?token=bidi-token`)).toBe(200);

        const rule = tab.locator('#distilled li', { hasText: rlo }).first();
        await rule.waitFor();
        await tab.evaluate(BIDI_PROBE);
        const probe = (li: unknown, rlo: string) =>
          (globalThis as unknown as { bidiProbe: BidiProbe }).bidiProbe.measure(li, rlo);
        const seen = await rule.evaluate(probe, rlo);
        // The level sits in a <bdi>, isolated by the browser's own style.
        expect(seen.isolation).toEqual(['isolate']);
        // The text after it runs left to right, as the sentence does.
        expect(increasing(seen.isolated)).toBe(true);
        // The same sentence as plain text, not isolated: the override reverses the rest
        // (what the check above would catch).
        expect(decreasing(seen.plain)).toBe(true);

        // Where no element can go, the level is isolated with FSI … PDI: the tree's SVG text
        // and the lists of levels.
        const isolated = `\u2068${level}\u2069`;
        expect(await tab.locator('#tree-box svg').textContent()).toContain(isolated);
        const options = await tab
          .locator('#record-form select option')
          .evaluateAll((os) => os.map((o) => o.textContent));
        expect(options).toContain(isolated);
        await tab.close();
      },
      TIMEOUT,
    );

    test('no request left the studio, and no console error', () => {
      expect(blocked).toEqual([]);
      expect(errors).toEqual([]);
    });
  });
}
