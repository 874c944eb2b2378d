import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { modelPaths } from '../../src/artifacts/model-store';
import {
  BROWSER_TIMEOUT,
  describeInChromium,
  openStudioPage,
  type StudioPage,
} from '../helpers/studio-page';
import { OUTPUT } from '../helpers/chromium';
import { runCli } from '../helpers/run-cli';

/**
 * The decision table in Chromium: the default view of a file's overrides, edited by clicks
 * and typing in cells only, synced with the YAML view, saved, and then read by the CLI.
 */
describeInChromium('the decision table in Chromium', () => {
  let s: StudioPage;
  beforeAll(async () => {
    s = await openStudioPage();
  }, BROWSER_TIMEOUT);
  afterAll(async () => s?.close(), BROWSER_TIMEOUT);

  const rows = () => s.page.locator('[data-test="dt-row"]');
  const ids = async () => {
    const out: (string | null)[] = [];
    for (let i = 0; i < (await rows().count()); i++)
      out.push(await rows().nth(i).getAttribute('data-id'));
    return out;
  };
  const rowCount = (n: number) =>
    s.page.waitForFunction(`document.querySelectorAll('[data-test="dt-row"]').length === ${n}`);
  /** The file shown has edits not saved (its tab is marked). */
  const edited = async () =>
    (await s.page.locator('[role="tab"][aria-selected="true"]').innerText()).includes('•');
  /** Types into a cell key by key, as an expert would (each key a table edit). */
  async function typeInCell(cell: ReturnType<StudioPage['page']['locator']>, text: string) {
    await cell.click();
    await s.page.keyboard.press('Control+A');
    await s.page.keyboard.type(text, { delay: 20 });
  }
  const checked = () => s.page.locator('#check-state', { hasText: /^\((?!checking)/ }).waitFor();

  test(
    'the table is the default view, in hit order, with the examples passing',
    async () => {
      await s.page.locator('[data-test="dt-table"]').waitFor();
      expect(await s.page.locator('[data-test="editor"]').isHidden()).toBe(true);
      expect(await ids()).toEqual(['minors-declined', 'exposure-limit', 'guarantor-education']);
      await s.page
        .locator('[data-test="dt-example-result"]', { hasText: 'pass' })
        .first()
        .waitFor();
      const results = await s.page
        .locator('[data-test="dt-example-result"]')
        .evaluateAll((tds) => tds.map((td) => td.textContent));
      expect(results).toEqual(['pass', 'pass', 'pass']);
    },
    BROWSER_TIMEOUT,
  );

  test(
    'a cell that does not read shows its problem inline, and the YAML is left as it was',
    async () => {
      const age = rows().first().locator('[data-column="age"]');
      await typeInCell(age, 'young');
      const error = s.page.locator('[data-test="dt-cell-error"]');
      await error.waitFor();
      expect(await error.getAttribute('data-code')).toBe('WRONG_TYPE');
      expect(await error.innerText()).toContain('[low..high]');
      await typeInCell(age, '[1,,2]');
      expect(await error.getAttribute('data-code')).toBe('CELL_SYNTAX');
      expect(await edited()).toBe(false);
      await typeInCell(age, '< 18');
      await error.waitFor({ state: 'detached' });
      expect(await age.inputValue()).toBe('< 18');
    },
    BROWSER_TIMEOUT,
  );

  test(
    'an expert builds "decline applicants under 21 who ask for more than 5000" by table alone, saves, and the CLI agrees',
    async () => {
      await s.page.locator('[data-test="dt-add-row"]').click();
      await rowCount(4);
      const row = rows().last();
      await typeInCell(row.locator('[data-column="id"]'), 'young-large-loans');
      await typeInCell(row.locator('[data-column="age"]'), '< 21');
      await typeInCell(row.locator('[data-column="credit_amount"]'), '> 5000');
      await row.locator('[data-test="dt-class"]').selectOption('good');
      await row.locator('[data-test="dt-class"]').selectOption('bad');
      await typeInCell(row.locator('[data-column="reason"]'), 'Young applicants, large loans');
      await checked();
      expect(await s.page.locator('[data-test="problems"] li.error').count()).toBe(0);
      expect(await row.getAttribute('data-id')).toBe('young-large-loans');

      await s.page.locator('[data-test="reason"]').fill('Decline under-21 applicants over 5000');
      await s.page.locator('[data-test="save"]:not([disabled])').click();
      await s.page.locator('#save-message', { hasText: 'saved' }).waitFor();
      // The docs' picture of the table (docs/images/studio-table.png), from its first column.
      await s.page.evaluate(
        `document.querySelector('[data-test="decision-table"]').scrollLeft = 0`,
      );
      await s.page
        .locator('[data-test="decision-table"]')
        .screenshot({ path: path.join(OUTPUT, 'studio-table.png') });

      const file = path.join(modelPaths(s.loc).overrides, 'credit-policy.yaml');
      const saved = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>[];
      expect(saved.map((o) => o.id)).toEqual([
        'minors-declined',
        'exposure-limit',
        'guarantor-education',
        'young-large-loans',
      ]);
      expect(saved[3]).toEqual({
        id: 'young-large-loans',
        when: { age: { '<': 21 }, credit_amount: { '>': 5000 } },
        then: { class: 'bad' },
        priority: 49,
        reason: 'Young applicants, large loans',
      });
      const where = [
        '--model',
        s.loc.name,
        '--models-dir',
        s.loc.modelsDir,
        '--rules-dir',
        s.loc.rulesDir,
      ];
      const lint = await runCli(['rules', 'lint', ...where]);
      expect([lint.code, lint.stderr]).toEqual([0, '']);

      // Held-out records, and three made to hit, miss by age and miss by amount.
      const held = s.studio.records(0, 20).records.map((r) => r.record);
      const base = held[0]!;
      const made = [
        { ...base, age: 19, credit_amount: 6000 },
        { ...base, age: 25, credit_amount: 6000 },
        { ...base, age: 19, credit_amount: 4000 },
      ];
      const records = [...made, ...held];
      const input = path.join(s.dir, 'records.jsonl');
      fs.writeFileSync(input, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const predicted = await runCli(['predict', ...where, '--input', input]);
      expect(predicted.code).toBe(0);
      const lines = predicted.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { class: string; ruleId: string });
      expect(lines[0]).toMatchObject({ class: 'bad', ruleId: 'young-large-loans' });
      expect(lines[1]!.ruleId).not.toBe('young-large-loans');
      expect(lines[2]!.ruleId).not.toBe('young-large-loans');
      const files = [{ name: 'credit-policy.yaml', text: fs.readFileSync(file, 'utf8') }];
      const studio = [];
      for (const record of records) {
        const d = (await s.studio.explain(files, { record })).explanation.decision;
        studio.push({ class: d.class, ruleId: d.ruleId });
      }
      expect(studio).toEqual(lines.map((l) => ({ class: l.class, ruleId: l.ruleId })));
    },
    BROWSER_TIMEOUT,
  );

  test(
    'YAML edits redraw the table; dragging a row reorders the hit order (the priority follows)',
    async () => {
      const file = path.join(modelPaths(s.loc).overrides, 'credit-policy.yaml');
      const text = fs.readFileSync(file, 'utf8');
      await s.setText(text.replace("credit_amount: { '>': 5000 }", "credit_amount: { '>': 7000 }"));
      await s.page.locator('[data-test="view-table"]').click();
      const young = rows().last();
      expect(await young.locator('[data-column="credit_amount"]').inputValue()).toBe('> 7000');

      await young.dragTo(rows().first());
      await s.page.waitForFunction(
        `document.querySelector('[data-test="dt-row"]')?.dataset.id === 'young-large-loans'`,
      );
      expect(await ids()).toEqual([
        'young-large-loans',
        'minors-declined',
        'exposure-limit',
        'guarantor-education',
      ]);
      expect(await rows().first().locator('[data-test="dt-priority"]').inputValue()).toBe('101');
    },
    BROWSER_TIMEOUT,
  );

  test(
    'a distilled rule starts a new override row with its conditions',
    async () => {
      await s.page.locator('.dt-distilled-box summary').click();
      await s.page.locator('[data-test="dt-from-distilled"]').first().click();
      await rowCount(5);
      const row = rows().last();
      expect(await row.getAttribute('data-id')).toMatch(/^from-/);
      expect(await row.locator('[data-column="checking_status"]').inputValue()).not.toBe('');

      // A column for another feature, a duplicate and a delete, by clicks.
      await s.page.locator('[data-test="dt-add-column"]').selectOption('own_telephone');
      await row.locator('[data-column="own_telephone"]').waitFor();
      await row.locator('[data-test="dt-duplicate"]').click();
      await rowCount(6);
      const copies = (await ids()).filter((id) => id?.startsWith('from-'));
      expect(copies).toHaveLength(2);
      await rows().last().locator('[data-test="dt-delete"]').click();
      await rowCount(5);
      await checked();
      expect(s.errors).toEqual([]);
      expect(s.blocked).toEqual([]);
    },
    BROWSER_TIMEOUT,
  );
});
