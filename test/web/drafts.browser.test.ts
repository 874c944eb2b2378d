import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { modelPaths } from '../../src/artifacts/model-store';
import {
  BROWSER_TIMEOUT,
  describeInChromium,
  openStudioPage,
  type StudioPage,
} from '../helpers/studio-page';

/**
 * Work is never lost: the warning before leaving with unsaved edits, drafts kept in the
 * browser's storage and restored, and another tab's save merged three ways into a tab's
 * edits (BroadcastChannel, or the `storage` event where there is none).
 */
describeInChromium('the studio keeps unsaved work (Chromium)', () => {
  let s: StudioPage;
  let file: string;
  let policy: string;
  /** The policy with line `n` (1-based) replaced. */
  const withLine = (text: string, n: number, line: string): string =>
    text
      .split('\n')
      .map((l, i) => (i === n - 1 ? line : l))
      .join('\n');
  /**
   * How long a step may take: the saves, checks and messages between tabs answer in well
   * under a second, but a loaded 2-core machine slows them many times over.
   */
  const WAIT = 30_000;
  const waitFor = (hook: string, test: (text: string) => boolean, on = s.page) =>
    s.waitForText(hook, test, { ms: WAIT, on });
  const line = (text: string, n: number): string => text.split('\n')[n - 1]!;
  const editor = (p: Page) => p.locator('[data-test="editor"] .cm-content');
  /** Waits until the file on disk passes `test`; its text. */
  const onDisk = async (p: Page, test: (text: string) => boolean): Promise<string> => {
    for (const started = Date.now(); Date.now() - started < WAIT;) {
      const text = fs.readFileSync(file, 'utf8');
      if (test(text)) return text;
      await p.waitForTimeout(100);
    }
    throw new Error(`${file} never passed: ${fs.readFileSync(file, 'utf8')}`);
  };
  const saveWithReason = async (p: Page, reason: string): Promise<void> => {
    await p.locator('[data-test="reason"]').fill(reason);
    await p.locator('[data-test="save"]').click({ timeout: WAIT });
  };
  /** The draft keys in the tab's storage (page-side code as a string: no DOM types here). */
  const draftKeys = (p: Page): Promise<string[]> =>
    p.evaluate(
      "Object.keys(localStorage).filter((k) => k.startsWith('neurules-studio:draft:'))",
    ) as Promise<string[]>;
  /**
   * Tab `b` (default: a new one) edits line `n` into `lineB`, then tab `a` (default: the
   * first) edits line 1 into `lineA` and saves; waits until `b` offers the merge. Returns the
   * file as it was before both, and the tabs.
   */
  const saveInAWhileBEdits = async (
    lineA: string,
    [n, lineB]: [number, string],
    tabs: { a?: Page; b?: Page } = {},
  ): Promise<{ base: string; a: Page; b: Page }> => {
    const a = tabs.a ?? s.page;
    const b = tabs.b ?? (await s.newTab());
    const base = fs.readFileSync(file, 'utf8');
    await s.setText(withLine(base, n, lineB), b);
    await s.setText(withLine(base, 1, lineA), a);
    await saveWithReason(a, `A: ${lineA}`);
    await onDisk(a, (t) => t.startsWith(`${lineA}\n`));
    await waitFor('merge-view', (t) => t.includes('credit-policy.yaml'), b);
    return { base, a, b };
  };
  const waitForDrafts = async (p: Page, keys: string[]): Promise<void> => {
    const started = Date.now();
    while (
      JSON.stringify(await draftKeys(p)) !== JSON.stringify(keys) &&
      Date.now() - started < WAIT
    )
      await p.waitForTimeout(50);
    expect(await draftKeys(p)).toEqual(keys);
  };

  beforeAll(async () => {
    s = await openStudioPage();
    file = path.join(modelPaths(s.loc).overrides, 'credit-policy.yaml');
    policy = fs.readFileSync(file, 'utf8');
  }, BROWSER_TIMEOUT);
  afterAll(async () => {
    await s?.close();
  });
  afterEach(() => {
    expect(s.errors).toEqual([]);
    expect(s.blocked).toEqual([]);
  });

  test(
    'leaving with an edit asks first; after the reload the draft is back with its banner, and discard brings the saved text back',
    async () => {
      const { page } = s;
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.type());
        void d.accept();
      });
      const draft = withLine(policy, 1, '# a draft line');
      await s.setText(draft);
      await waitFor('editor', (t) => t.includes('# a draft line'));
      await waitForDrafts(page, ['neurules-studio:draft:german-credit:credit-policy.yaml']);
      await page.reload({ waitUntil: 'load' });
      expect(dialogs).toEqual(['beforeunload']);
      await editor(page).waitFor({ state: 'attached', timeout: WAIT });
      await waitFor('editor', (t) => t.includes('# a draft line'));
      await waitFor('drafts', (t) => t.includes('credit-policy.yaml'));
      // The restored draft is an edit: the tab is marked, and the save waits only for a reason.
      await waitFor('editor', (t) => t.includes('# a draft line'));
      expect(await page.locator('[role="tab"][aria-selected="true"]').innerText()).toContain('•');

      await page.locator('[data-test="discard-draft"]').click();
      await waitFor('editor', (t) => t.includes(line(policy, 1)));
      expect(await page.locator('[data-test="drafts"]').isHidden()).toBe(true);
      await waitForDrafts(page, []);
      // Nothing unsaved: the next reload does not ask.
      await page.reload({ waitUntil: 'load' });
      await editor(page).waitFor({ state: 'attached', timeout: WAIT });
      expect(dialogs).toEqual(['beforeunload']);
      expect(await page.locator('[data-test="drafts"]').isHidden()).toBe(true);
      page.removeAllListeners('dialog');
    },
    BROWSER_TIMEOUT,
  );

  test(
    'a draft edited from a file changed on disk since is merged on reload, then saved',
    async () => {
      const { page } = s;
      page.on('dialog', (d) => void d.accept());
      const base = fs.readFileSync(file, 'utf8');
      await s.setText(withLine(base, 2, '# my draft line'));
      await waitFor('editor', (t) => t.includes('# my draft line'));
      await waitForDrafts(page, ['neurules-studio:draft:german-credit:credit-policy.yaml']);
      fs.writeFileSync(file, withLine(base, 1, '# saved elsewhere'));
      await page.reload({ waitUntil: 'load' });
      await editor(page).waitFor({ state: 'attached', timeout: WAIT });
      await waitFor('drafts', (t) => t.includes('credit-policy.yaml'));
      await waitFor('merge-view', (t) => t.includes('credit-policy.yaml'));
      await page.locator('[data-test="merge-apply"]').click();
      await saveWithReason(page, 'draft merged');
      const saved = await onDisk(page, (t) => t.includes('# my draft line'));
      expect(saved).toBe(withLine(withLine(base, 1, '# saved elsewhere'), 2, '# my draft line'));
      await page.locator('[data-test="drafts"]').waitFor({ state: 'hidden', timeout: WAIT });
      await waitForDrafts(page, []);
      page.removeAllListeners('dialog');
    },
    BROWSER_TIMEOUT,
  );

  test(
    'another tab saves a different line: this tab is told, merges, holds both changes and saves',
    async () => {
      const { base, a, b } = await saveInAWhileBEdits('# A was here', [2, '# B was here']);
      expect(await b.locator('[data-test="conflict"]').count()).toBe(0);
      await b.locator('[data-test="merge-apply"]').click();
      await waitFor('editor', (t) => t.includes('# A was here') && t.includes('# B was here'), b);
      await saveWithReason(b, 'B edits line 2');
      const both = await onDisk(b, (t) => t.includes('# B was here'));
      expect(both).toBe(withLine(withLine(base, 1, '# A was here'), 2, '# B was here'));
      expect(await b.locator('[data-test="merge-view"]').isHidden()).toBe(true);
      // A had nothing unsaved: it takes B's save as it is.
      await waitFor('editor', (t) => t.includes('# B was here'), a);
      await waitForDrafts(a, []);
      await b.close();
    },
    BROWSER_TIMEOUT,
  );

  test(
    'another tab saves the same line: the conflict shows both sides, and the pick is saved',
    async () => {
      const { base, a, b } = await saveInAWhileBEdits('# A says that', [1, '# B says this']);
      const conflict = b.locator('[data-test="conflict"]');
      expect(await conflict.count()).toBe(1);
      expect(await conflict.innerText()).toContain('# A says that');
      expect(await b.locator('[data-test="merge-apply"]').isDisabled()).toBe(true);
      await conflict.locator('[data-pick="both"]').click();
      await b.locator('[data-test="merge-apply"]').click();
      await saveWithReason(b, 'B keeps both lines');
      const saved = await onDisk(b, (t) => t.includes('# B says this'));
      expect(saved).toBe(withLine(base, 1, '# B says this\n# A says that'));
      await waitFor('editor', (t) => t.includes('# B says this'), a);
      await b.close();
    },
    BROWSER_TIMEOUT,
  );

  test(
    'a file changed on disk by another editor refuses the save (FILE_CHANGED) and offers the merge',
    async () => {
      const a = s.page;
      const base = fs.readFileSync(file, 'utf8');
      await s.setText(withLine(base, 2, '# edited in the page'), a);
      fs.writeFileSync(file, withLine(base, 1, '# edited by git pull'));
      await saveWithReason(a, 'refused first');
      await waitFor('merge-view', (t) => t.includes('credit-policy.yaml'), a);
      // The refused save's answer (409) is the one console error the page logs (the merge
      // view may show before the console message reaches the test: wait for it).
      for (const started = Date.now(); Date.now() - started < WAIT;) {
        if (s.errors.some((e) => e.includes('409'))) break;
        await a.waitForTimeout(50);
      }
      const refused = s.errors.filter((e) => e.includes('409'));
      expect(refused).toHaveLength(1);
      s.errors.splice(s.errors.indexOf(refused[0]!), 1);
      await a.locator('[data-test="merge-apply"]').click();
      await saveWithReason(a, 'merged, then saved');
      const saved = await onDisk(a, (t) => t.includes('# edited in the page'));
      expect(saved).toBe(
        withLine(withLine(base, 1, '# edited by git pull'), 2, '# edited in the page'),
      );
    },
    BROWSER_TIMEOUT,
  );

  test(
    'without BroadcastChannel the storage event tells the other tab',
    async () => {
      const open = async (): Promise<Page> => {
        const p = await s.newTab();
        await p.addInitScript('delete window.BroadcastChannel');
        await p.reload({ waitUntil: 'load' });
        await editor(p).waitFor({ state: 'attached', timeout: WAIT });
        expect(await p.evaluate('typeof BroadcastChannel')).toBe('undefined');
        return p;
      };
      const { base, a, b } = await saveInAWhileBEdits('# A, no channel', [3, '# B, no channel'], {
        a: await open(),
        b: await open(),
      });
      await b.locator('[data-test="merge-apply"]').click();
      await saveWithReason(b, 'B without a channel');
      const saved = await onDisk(b, (t) => t.includes('# B, no channel'));
      expect(saved).toBe(withLine(withLine(base, 1, '# A, no channel'), 3, '# B, no channel'));
      await Promise.all([a.close(), b.close()]);
    },
    BROWSER_TIMEOUT,
  );

  test(
    'storage that refuses drafts does not break the page: it says so, and saves still work',
    async () => {
      const p = await s.newTab();
      await p.addInitScript(
        "Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); }",
      );
      await p.reload({ waitUntil: 'load' });
      await editor(p).waitFor({ state: 'attached', timeout: WAIT });
      const base = fs.readFileSync(file, 'utf8');
      await s.setText(withLine(base, 1, '# no room for drafts'), p);
      await waitFor('drafts', (t) => t.length > 0, p);
      expect(await p.locator('[data-test="drafts-refused"]').count()).toBe(1);
      await saveWithReason(p, 'saved without drafts');
      await onDisk(p, (t) => t.startsWith('# no room for drafts\n'));
      await p.locator('[data-test="drafts"]').waitFor({ state: 'hidden', timeout: WAIT });
      await p.close();
    },
    BROWSER_TIMEOUT,
  );
});
