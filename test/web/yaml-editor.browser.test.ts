import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelPaths } from '../../src/artifacts/model-store';
import { OUTPUT } from '../helpers/chromium';
import {
  BROWSER_TIMEOUT,
  describeInChromium,
  openStudioPage,
  type StudioPage,
} from '../helpers/studio-page';

/**
 * The YAML view as an expert types in it, and the problems list, in Chromium: Enter and
 * Backspace keep the structure, problems come errors first and take the editor to their
 * place, an example record is a small table, and a quick fix is one click.
 */
describeInChromium('the YAML view and its problems in Chromium', () => {
  let s: StudioPage;
  let policy: string;

  beforeAll(async () => {
    s = await openStudioPage();
    policy = fs.readFileSync(path.join(modelPaths(s.loc).overrides, 'credit-policy.yaml'), 'utf8');
  }, BROWSER_TIMEOUT);

  afterAll(async () => {
    await s?.close();
  }, BROWSER_TIMEOUT);

  afterEach(() => {
    expect(s.errors).toEqual([]);
    expect(s.blocked).toEqual([]);
  });

  /** The editor's lines (the files here are short: every line is drawn). */
  const lines = () => s.page.locator('[data-test="editor"] .cm-line').allTextContents();
  /** Until the check of the text as it is has come. */
  const checked = () => s.page.locator('#check-state', { hasText: /^\((?!checking)/ }).waitFor();
  /** The problems listed: code, severity and line of each, in order. */
  const listed = () =>
    s.page
      .locator('[data-test="problems"] li[data-code]')
      .evaluateAll((lis) =>
        lis.map((li) => [li.getAttribute('data-code'), li.className, li.getAttribute('data-line')]),
      );

  /** Once the check has come: no error is listed. */
  const noErrors = async () => {
    await checked();
    expect((await listed()).filter(([, kind]) => kind === 'error')).toEqual([]);
  };

  test(
    "Enter indents after `when:` and keeps a condition's alignment; Backspace goes back a level",
    async () => {
      await s.setText('- id: young\n  when:');
      await s.page.keyboard.press('Enter');
      await s.page.keyboard.insertText("age: { '<': 21 }");
      await s.page.keyboard.press('Enter');
      await s.page.keyboard.insertText("credit_amount: { '>': 5000 }");
      await s.page.keyboard.press('Enter');
      await s.page.keyboard.press('Backspace');
      await s.page.keyboard.insertText('then: { class: bad }');
      expect(await lines()).toEqual([
        '- id: young',
        '  when:',
        "    age: { '<': 21 }",
        "    credit_amount: { '>': 5000 }",
        '  then: { class: bad }',
      ]);
      await noErrors();
    },
    BROWSER_TIMEOUT,
  );

  test(
    'two Backspaces in an indented line: the line stops at a valid column, one problem, no YAML error',
    async () => {
      await s.setText(
        "- id: young\n  when:\n    age: { '<': 21 }\n    credit_amount: { '>': 5000 }\n  then: { class: bad }\n",
      );
      // The start of line 4's text.
      await s.page.keyboard.press('Control+Home');
      for (let i = 0; i < 3; i++) await s.page.keyboard.press('ArrowDown');
      await s.page.keyboard.press('End');
      await s.page.keyboard.press('Home');
      await s.page.keyboard.press('Backspace');
      await s.page.keyboard.press('Backspace');
      expect((await lines())[3]).toBe("  credit_amount: { '>': 5000 }");
      await checked();
      // `credit_amount` is now a key of the override, out of its `when:`: one problem at its
      // place, in plain words (column 0 would have ended the list of overrides).
      expect(await listed()).toEqual([['YAML_SYNTAX', 'error', '4']]);
    },
    BROWSER_TIMEOUT,
  );

  test(
    'errors come before warnings; a problem takes the editor to its line; its example is a table',
    async () => {
      // A conflict (an error) after two overrides that match no training record (warnings).
      await s.setText(
        `${policy}\n- id: teens-good\n  when:\n    age: { '<': 18 }\n  then: { class: good }\n  priority: 100\n`,
      );
      await s.waitForText('problems', (t) => /OVERRIDE_CONFLICT/.test(t), { ms: 30_000 });
      await checked();
      const shown = await listed();
      const kinds = shown.map(([, kind]) => kind);
      expect(kinds).toContain('warning');
      expect(kinds.indexOf('warning')).toBeGreaterThan(kinds.lastIndexOf('error'));
      expect(shown[0]![0]).toBe('OVERRIDE_CONFLICT');

      // The first warning: 'minors-declined' (line 3), far above the cursor (the end).
      const dead = s.page.locator('[data-test="problems"] li[data-code="OVERRIDE_DEAD"]').first();
      expect(await dead.getAttribute('data-line')).toBe('3');
      await dead.locator('.problem-place').click();
      await s.page
        .locator('[data-test="editor"] .cm-activeLineGutter', { hasText: /^3$/ })
        .waitFor();

      // Its example: the one feature the override reads, then the whole record on a click.
      const rows = dead.locator('table.example-record tr:visible');
      expect(await rows.locator('th').allTextContents()).toEqual(['age']);
      expect(await dead.innerText()).not.toMatch(/example: \{/);
      const total = await dead.locator('table.example-record tr').count();
      expect(total).toBeGreaterThan(1);
      // The docs' picture of the problems (docs/images/studio-problems.png).
      await s.page
        .locator('[data-test="problems"]')
        .screenshot({ path: path.join(OUTPUT, 'studio-problems.png') });
      await dead.locator('.example-more').click();
      expect(await rows.count()).toBe(total);
    },
    BROWSER_TIMEOUT,
  );

  test(
    'a quick fix: `agee` → "did you mean \'age\'" → the problem is gone and the text says age',
    async () => {
      await s.setText("- id: young\n  when:\n    agee: { '<': 21 }\n  then: { class: bad }\n");
      await s.waitForText('problems', (t) => /UNKNOWN_FEATURE/.test(t), { ms: 30_000 });
      const problem = s.page.locator('[data-test="problems"] li[data-code="UNKNOWN_FEATURE"]');
      await problem.locator('.quick-fix', { hasText: "did you mean 'age'" }).click();
      expect((await lines())[2]).toBe("    age: { '<': 21 }");
      await s.waitForText('problems', (t) => !/UNKNOWN_FEATURE/.test(t));
      await noErrors();
    },
    BROWSER_TIMEOUT,
  );

  test(
    "a problem in another file shows that file's tab, the cursor on the problem's line",
    async () => {
      await s.page.locator('#new-file').click();
      await s.page.locator('#new-file-name').fill('extra.yaml');
      await s.page.locator('#new-file-name').press('Enter');
      await s.setText("- id: extra\n  when:\n    agee: { '>': 70 }\n  then: { class: bad }\n");
      const tab = (name: string) => s.page.locator('#tabs [role="tab"]', { hasText: name });
      await tab('credit-policy.yaml').click();
      await s.waitForText('problems', (t) => /extra\.yaml:3:5 UNKNOWN_FEATURE/.test(t));
      await s.page
        .locator('[data-test="problems"] li[data-file="extra.yaml"] .problem-place')
        .click();
      expect(await tab('extra.yaml').getAttribute('aria-selected')).toBe('true');
      await s.page
        .locator('[data-test="editor"] .cm-activeLineGutter', { hasText: /^3$/ })
        .waitFor();
      expect((await lines())[2]).toBe("    agee: { '>': 70 }");
    },
    BROWSER_TIMEOUT,
  );
});
