/**
 * The studio's impact in Chromium, one baseline (the saved file): an edit of the German
 * credit policy (minimum age 25 instead of 18, under a new id) shows "changed N of M" as
 * the session measures it saved → edited; each changed record its label, old and new class
 * and whether the change is right; the filters narrow the list; the regions name the
 * override's feature first and say unseen levels and missing values once; the overrides
 * list follows the editor; the form shows each operator once; the tree zooms.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelPaths } from '../../src/artifacts/model-store';
import type { StudioCheck, StudioFile } from '../../src/studio/contract';
import { matchesChange } from '../../src/web/studio/change-filter';
import { OUTPUT } from '../helpers/chromium';
import {
  BROWSER_TIMEOUT,
  describeInChromium,
  openStudioPage,
  type StudioPage,
} from '../helpers/studio-page';

describeInChromium('the studio impact panel in Chromium', () => {
  let s: StudioPage;
  let edited: StudioFile;
  let expected: StudioCheck;

  beforeAll(async () => {
    s = await openStudioPage();
    const file = path.join(modelPaths(s.loc).overrides, 'credit-policy.yaml');
    const policy = fs.readFileSync(file, 'utf8');
    const text = policy
      .replace("age: { '<': 18 }", "age: { '<': 25 }")
      .replace('id: minors-declined', 'id: under-25-declined');
    edited = { name: 'credit-policy.yaml', text };
    expected = await s.studio.check([edited]);
    await s.setText(text);
    await s.waitForText('impact', (t) =>
      t.includes(`changed ${expected.impact!.changed} of ${expected.impact!.records}`),
    );
  }, BROWSER_TIMEOUT);

  afterAll(async () => {
    await s?.close();
  }, BROWSER_TIMEOUT);

  const lines = () => s.page.locator('[data-test="changed-record"]');

  test(
    'each changed record shows its label, old and new class, and whether it is right',
    async () => {
      const changed = expected.impact!.changedRecords;
      expect(changed.length).toBeGreaterThan(0);
      // The edit both mends and breaks decisions: the verdicts are not all alike.
      const verdicts = new Set(changed.map((c) => c.verdict));
      expect(verdicts.has('now right') && verdicts.has('now wrong')).toBe(true);
      await s.waitForText(
        'changed-count',
        (t) => t === `${changed.length} of ${changed.length} shown`,
      );
      for (const [i, c] of changed.slice(0, 5).entries()) {
        const line = lines().nth(i);
        expect(await line.getAttribute('data-verdict')).toBe(c.verdict);
        const text = await line.innerText();
        expect(text).toContain(`record ${c.index + 1}`);
        expect(text).toContain(`label ${c.label}: ${c.from} → ${c.to}`);
        expect(text).toContain(c.verdict);
        expect(c.override).toBe('under-25-declined');
        expect(text).toContain(`under-25-declined reads age = ${c.fields[0]!.value}`);
      }
    },
    BROWSER_TIMEOUT,
  );

  test(
    'the list is filtered by verdict and class, and searched in field values',
    async () => {
      const changed = expected.impact!.changedRecords;
      const count = (f: Parameters<typeof matchesChange>[1]) =>
        changed.filter((c) => matchesChange(c, f)).length;
      const none = { verdict: '', cls: '', text: '' } as const;
      await s.page.locator('[data-test="changed-verdict"]').selectOption('now right');
      const right = count({ ...none, verdict: 'now right' });
      await s.waitForText('changed-count', (t) => t === `${right} of ${changed.length} shown`);
      expect(await lines().count()).toBe(right);
      for (const v of await lines().evaluateAll((ls) =>
        ls.map((l) => l.getAttribute('data-verdict')),
      ))
        expect(v).toBe('now right');
      await s.page.locator('[data-test="changed-verdict"]').selectOption('');
      await s.page.locator('[data-test="changed-class"]').selectOption('good');
      const good = count({ ...none, cls: 'good' });
      await s.waitForText('changed-count', (t) => t === `${good} of ${changed.length} shown`);
      await s.page.locator('[data-test="changed-class"]').selectOption('');
      const age = String(changed[0]!.fields[0]!.value);
      await s.page.locator('[data-test="changed-search"]').fill(age);
      const found = count({ ...none, text: age });
      expect(found).toBeLessThan(changed.length);
      await s.waitForText('changed-count', (t) => t === `${found} of ${changed.length} shown`);
      await s.page.locator('[data-test="changed-search"]').fill('');
      await s.waitForText('changed-count', (t) => t.startsWith(`${changed.length} of`));
    },
    BROWSER_TIMEOUT,
  );

  test(
    "the regions name the override's feature first and say missing values once",
    async () => {
      expect(expected.regions.length).toBeGreaterThan(0);
      // Some region includes missing values of another feature: said once, not per condition.
      expect(expected.regions.some((r) => r.included.includes('missing values'))).toBe(true);
      const regions = s.page.locator('[data-test="region"]');
      await s.waitForText('regions', (t) => t.includes('18 ≤ age < 25'));
      expect(await regions.count()).toBe(expected.regions.length);
      for (const [i, r] of expected.regions.entries()) {
        const text = (await regions.nth(i).textContent())!;
        expect(text.startsWith(`${r.from} → ${r.to}: 18 ≤ age < 25`)).toBe(true);
        expect(text.match(/missing/g)?.length ?? 0).toBeLessThanOrEqual(1);
        expect(text).not.toContain('not seen in training');
      }
    },
    BROWSER_TIMEOUT,
  );

  test(
    'the overrides list follows the editor, not only the saved files',
    async () => {
      await s.waitForText('overrides', (t) => t.includes('under-25-declined'));
      expect(await s.page.locator('#overrides-state').innerText()).toBe('(as edited)');
      expect(await s.page.locator('[data-test="overrides"]').innerText()).not.toContain(
        'minors-declined',
      );
    },
    BROWSER_TIMEOUT,
  );

  test(
    'the form shows each operator once, the other name as its title',
    async () => {
      // From the top of the file, where the override is (the edit left the cursor at its end).
      await s.page.locator('[data-test="editor"] .cm-content').click();
      await s.page.keyboard.press('Control+Home');
      await s.page
        .locator('[data-test="editor"] .cm-line', { hasText: "age: { '<': 25 }" })
        .click();
      const form = s.page.locator('[data-test="override-form"]');
      await form.locator('[data-test="form-mode"]', { hasText: 'under-25-declined' }).waitFor();
      const operator = form.locator('[data-test="condition"] select.operator').first();
      expect(await operator.inputValue()).toBe('<');
      const options = await operator
        .locator('option')
        .evaluateAll((os) => os.map((o) => [o.textContent, o.getAttribute('title')]));
      const labels = options.map(([label]) => label);
      expect(new Set(labels).size).toBe(labels.length);
      expect(labels).not.toContain('lessThan');
      expect(options).toContainEqual(['<', 'also written lessThan']);
    },
    BROWSER_TIMEOUT,
  );

  test(
    'the tree is drawn at full size in a scrolling box, and zooms',
    async () => {
      const svg = s.page.locator('[data-test="tree"] svg');
      const width = Number(await svg.getAttribute('width'));
      const viewWidth = Number((await svg.getAttribute('viewBox'))!.split(' ')[2]);
      expect(width).toBe(viewWidth);
      await s.page.locator('#tree-tools button[title="zoom in"]').click();
      expect(Number(await svg.getAttribute('width'))).toBeGreaterThan(width);
      expect(await s.page.locator('[data-test="tree-zoom"]').innerText()).toBe('125%');
      await s.page.locator('#tree-tools button[title="actual size"]').click();
      expect(Number(await svg.getAttribute('width'))).toBe(width);
      fs.mkdirSync(OUTPUT, { recursive: true });
      await s.page.screenshot({ path: path.join(OUTPUT, 'studio-impact.png'), fullPage: true });
      expect(s.errors).toEqual([]);
      expect(s.blocked).toEqual([]);
    },
    BROWSER_TIMEOUT,
  );
});
