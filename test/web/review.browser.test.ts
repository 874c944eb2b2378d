import * as fs from 'node:fs';
import * as path from 'node:path';
import { readChanges } from '../../src/artifacts/changes-log';
import { modelPaths } from '../../src/artifacts/model-store';
import { OUTPUT } from '../helpers/chromium';
import {
  BROWSER_TIMEOUT,
  describeInChromium,
  openStudioPage,
  type StudioPage,
} from '../helpers/studio-page';

/**
 * Authors, history and four-eyes review in Chromium: a revert from the history (its diff
 * shown, a reason given, the file back as it was, a new entry), and a proposal made by one
 * author, refused to that author and approved by another, after which the file holds it.
 */

const POLICY = 'credit-policy.yaml';
/** How long a check, save or revert may take to show (the machine may be busy). */
const WAIT = 30_000;
const policyFile = (s: StudioPage) => path.join(modelPaths(s.loc).overrides, POLICY);
const withAge = (text: string, age: number) =>
  text.replace("age: { '<': 18 }", `age: { '<': ${age} }`);
const entries = (s: StudioPage) => readChanges(modelPaths(s.loc).changes).entries;

/** Types `text` into the editor, waits for a check without errors, and saves (or proposes) it. */
async function saveText(s: StudioPage, text: string, reason: string): Promise<void> {
  await s.setText(text);
  await s.waitForText('problems', (t) => /\b0 error\(s\)/.test(t), { ms: WAIT });
  await s.page.locator('[data-test="reason"]').fill(reason);
  // Playwright's click waits until the button is enabled (the check has come back).
  await s.page.locator('[data-test="save"]').click({ timeout: 30_000 });
}

describeInChromium('history and revert in Chromium', () => {
  let s: StudioPage;
  beforeAll(async () => {
    s = await openStudioPage({ session: { requireAuthor: true } });
  }, BROWSER_TIMEOUT);
  afterAll(async () => s?.close());

  test(
    'the history shows who saved and the diff; revert with a reason sets the file back and is a new entry',
    async () => {
      const original = fs.readFileSync(policyFile(s), 'utf8');
      await s.page.locator('[data-test="author"]').fill('Ana');
      await saveText(s, withAge(original, 19), 'minimum age 19');
      await s.waitForText('history', (t) => /minimum age 19/.test(t), { ms: WAIT });
      await saveText(s, withAge(original, 20), 'minimum age 20');
      await s.waitForText('history', (t) => /minimum age 20/.test(t), { ms: WAIT });
      expect(fs.readFileSync(policyFile(s), 'utf8')).toBe(withAge(original, 20));

      // Newest first: the second save, by Ana, its diff one line out and one in.
      const newest = s.page.locator('[data-test="history-entry"]').first();
      expect(await newest.locator('[data-test="history-author"]').innerText()).toBe('by Ana');
      await newest.locator('summary', { hasText: 'diff' }).click();
      expect(await newest.locator('[data-test="diff-del"]').allInnerTexts()).toEqual([
        expect.stringContaining("age: { '<': 19 }"),
      ]);
      expect(await newest.locator('[data-test="diff-add"]').allInnerTexts()).toEqual([
        expect.stringContaining("age: { '<': 20 }"),
      ]);

      // Revert to the first save's version: a reason is required.
      const first = s.page.locator('[data-test="history-entry"][data-entry="0"]');
      await first.locator('[data-test="revert"]').click();
      await first.locator('[data-test="revert-confirm"]').click();
      expect(entries(s)).toHaveLength(2);
      await first.locator('[data-test="revert-reason"]').fill('age 20 was too strict');
      await first.locator('[data-test="revert-confirm"]').click();
      await s.waitForText('history', (t) => /age 20 was too strict/.test(t), { ms: WAIT });

      expect(fs.readFileSync(policyFile(s), 'utf8')).toBe(withAge(original, 19));
      expect(entries(s)).toHaveLength(3);
      expect(entries(s)[2]).toMatchObject({
        kind: 'overrides',
        author: 'Ana',
        reason: 'age 20 was too strict',
        revertOf: 0,
        files: [POLICY],
      });
      // The editor holds the files as they are on disk again.
      await s.waitForText('editor', (t) => t.includes("age: { '<': 19 }"), { ms: WAIT });
      // The history with a diff open, for the docs (docs/images/studio-history.png).
      await s.page
        .locator('[data-test="history-entry"]')
        .first()
        .locator('summary', { hasText: 'diff' })
        .click();
      fs.mkdirSync(OUTPUT, { recursive: true });
      await s.page
        .locator('#save-panel')
        .screenshot({ path: path.join(OUTPUT, 'studio-history.png') });
      expect(s.errors).toEqual([]);
      expect(s.blocked).toEqual([]);
    },
    BROWSER_TIMEOUT,
  );
});

describeInChromium('four-eyes review in Chromium', () => {
  let s: StudioPage;
  beforeAll(async () => {
    s = await openStudioPage({ session: { review: true } });
  }, BROWSER_TIMEOUT);
  afterAll(async () => s?.close());

  test(
    "a proposal by Ana: Ana's approval is refused, Bo's commits it with both names in the history",
    async () => {
      const original = fs.readFileSync(policyFile(s), 'utf8');
      const proposed = withAge(original, 19);
      await s.page.locator('[data-test="author"]').fill('Ana');
      expect(await s.page.locator('[data-test="save"]').innerText()).toBe('Propose');
      await saveText(s, proposed, 'minimum age 19');
      await s.waitForText('proposals', (t) => /minimum age 19/.test(t), { ms: WAIT });
      // Proposed, not saved: the file is as it was, and the proposal shows diff and impact.
      expect(fs.readFileSync(policyFile(s), 'utf8')).toBe(original);
      const item = s.page.locator('[data-test="proposal"]');
      expect(await item.count()).toBe(1);
      expect(await item.locator('[data-test="diff-add"]').allInnerTexts()).toEqual([
        expect.stringContaining("age: { '<': 19 }"),
      ]);
      const id = await item.getAttribute('data-id');
      const frozen = JSON.parse(
        fs.readFileSync(path.join(modelPaths(s.loc).rulesDir, 'proposals', `${id}.json`), 'utf8'),
      );
      expect(await item.locator('[data-test="proposal-impact"]').innerText()).toContain(
        `changes ${frozen.impact.changed} of ${frozen.impact.records}`,
      );

      await item.locator('[data-test="approve"]').click();
      await s.waitForText('proposals', (t) => /SELF_APPROVAL/.test(t), { ms: WAIT });
      fs.mkdirSync(OUTPUT, { recursive: true });
      await s.page
        .locator('#save-panel')
        .screenshot({ path: path.join(OUTPUT, 'studio-review.png') });
      expect(fs.readFileSync(policyFile(s), 'utf8')).toBe(original);

      // A second user, in another tab of the same browser: the name is remembered, so Bo types his.
      const tab = await s.newTab();
      expect(await tab.locator('[data-test="author"]').inputValue()).toBe('Ana');
      await tab.locator('[data-test="author"]').fill('Bo');
      await tab.locator('[data-test="proposal"] [data-test="approve"]').click();
      await s.waitForText('proposals', (t) => /no pending proposals/.test(t), {
        on: tab,
        ms: WAIT,
      });
      await s.waitForText('history', (t) => /by Ana, approved by Bo/.test(t), {
        on: tab,
        ms: WAIT,
      });

      expect(fs.readFileSync(policyFile(s), 'utf8')).toBe(proposed);
      expect(entries(s).at(-1)).toMatchObject({
        kind: 'overrides',
        author: 'Ana',
        approvedBy: 'Bo',
        proposal: id,
        reason: 'minimum age 19',
      });
      expect(s.errors.filter((e) => !/403/.test(e))).toEqual([]);
      expect(s.blocked).toEqual([]);
    },
    BROWSER_TIMEOUT,
  );
});
