import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { renderHtml } from '../../src/report/render-html';
import type { AuditReport } from '../../src/audit/types';
import { loadModelData } from '../../src/artifacts/model-data';
import { openModel } from '../../src/pipeline/open-model';
import { writeDecisionLog } from '../helpers/decision-log';
import { runCli } from '../helpers/run-cli';
import { GERMAN_CREDIT } from '../helpers/german-credit';
import { executablePath, launchChromium, missing, OUTPUT } from '../helpers/chromium';

/**
 * Opens the HTML report of the fixture in headless Chromium (through playwright-core,
 * which downloads no browser): every network request is blocked and recorded, the sort
 * script is clicked, the SVGs are measured and a full-page screenshot is saved to
 * test-output/ (audit-report.png for the fixture, audit-report-german-credit.png for the
 * real model's report). Skipped when there is no Chromium, except under CI.
 */

const TIMEOUT = 60_000;

/** The hand-made report: 16 rules, 3 overrides, 8 weekly drift buckets. */
async function fixtureReport(): Promise<AuditReport> {
  return JSON.parse(
    readFileSync(join(__dirname, '../fixtures/report/audit-report.json'), 'utf8'),
  ) as AuditReport;
}

/**
 * The real thing: `neurules audit` on the committed German credit model, with a decision
 * log of its own test records (the second half with loans 24 months longer, so rules drift),
 * and fairness by age and personal status.
 */
async function germanReport(dir: string): Promise<AuditReport> {
  const root = join(__dirname, '..', '..');
  const dirs = ['--models-dir', join(root, 'models'), '--rules-dir', join(root, 'rules')];
  const loc = GERMAN_CREDIT;
  const model = await openModel(loc);
  const { test } = loadModelData(loc);
  const log = join(dir, 'decisions.jsonl');
  writeDecisionLog(
    log,
    test.records.map((r, i) => {
      const record = i < 150 ? r : { ...r, duration: Math.min(72, (r.duration as number) + 24) };
      const d = model.compiled!.decide(record);
      const time = new Date(Date.UTC(2026, 10, 1) + i * 3_600_000).toISOString();
      return { time, ruleSet: model.ruleSetHash, ruleId: d.ruleId, class: d.class, inputs: record };
    }),
  );
  const out = join(dir, 'report.json');
  const r = await runCli([
    'audit',
    '--model',
    'german-credit',
    '--backend',
    'cpu',
    '--log',
    log,
    '--protected',
    'age,personal_status',
    '--out',
    out,
    ...dirs,
  ]);
  if (r.code !== 0) throw new Error(`neurules audit failed: ${r.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8')) as AuditReport;
}

if (!executablePath && process.env.CI) {
  describe('HTML report in Chromium', () => {
    test('Chromium is installed (CI must run the browser test)', () => {
      throw new Error(`browser test cannot run: ${missing}`);
    });
  });
} else if (!executablePath) {
  console.warn(`browser test skipped: ${missing}`);
  describe.skip('HTML report in Chromium', () => {
    test('needs Chromium', () => undefined);
  });
} else {
  describe.each([
    ['the fixture', 'audit-report.png', fixtureReport],
    ['the German credit model with a decision log', 'audit-report-german-credit.png', germanReport],
  ])('HTML report of %s in Chromium', (_, screenshotName, load) => {
    const SCREENSHOT = join(OUTPUT, screenshotName);
    let report: AuditReport;
    let dir: string;
    let context: BrowserContext;
    let page: Page;
    const requests: string[] = [];
    const blocked: string[] = [];
    const errors: string[] = [];

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'neurules-report-'));
      report = await load(dir);
      const file = join(dir, 'audit.html');
      writeFileSync(file, renderHtml(report));
      context = await launchChromium(dir, (url) => url.startsWith('file:'), blocked);
      page = context.pages()[0] ?? (await context.newPage());
      page.on('request', (request) => requests.push(request.url()));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    }, TIMEOUT);

    afterAll(async () => {
      await context?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, TIMEOUT);

    /** The rule ids of table#rules, top to bottom. */
    const ruleOrder = (): Promise<string[]> =>
      page.$$eval('table#rules tbody tr', (rows) => rows.map((r) => r.getAttribute('data-rule')!));

    /** The text of column `key` of table#rules, top to bottom. */
    const column = (key: string): Promise<string[]> =>
      page.$eval(
        'table#rules',
        (table, key) => {
          const heads = [...table.querySelectorAll('thead th')];
          const col = heads.findIndex((h) => h.getAttribute('data-key') === key);
          return [...table.querySelectorAll('tbody tr')].map((r) =>
            (r.children[col]?.textContent ?? '').trim(),
          );
        },
        key,
      );

    test(
      'table#rules has one row per rule',
      async () => {
        expect(await ruleOrder()).toEqual(report.rules.map((r) => r.id));
      },
      TIMEOUT,
    );

    test(
      'clicking a numeric heading sorts by value, largest first, then smallest first',
      async () => {
        const hits = report.rules.map((r) => r.hits);
        const most = report.rules.find((r) => r.hits === Math.max(...hits))!;
        await page.click('table#rules th[data-key="hits"] button');
        expect(await page.getAttribute('table#rules th[data-key="hits"]', 'aria-sort')).toBe(
          'descending',
        );
        expect((await ruleOrder())[0]).toBe(most.id);
        const descending = (await column('hits')).map(Number);
        expect(descending).toEqual([...hits].sort((a, b) => b - a));

        await page.click('table#rules th[data-key="hits"] button');
        expect((await column('hits')).map(Number)).toEqual([...hits].sort((a, b) => a - b));
      },
      TIMEOUT,
    );

    test(
      'missing figures sort last in both directions; text columns sort A–Z first',
      async () => {
        const nulls = report.rules.filter((r) => r.accuracy === null).length;
        expect(nulls).toBeGreaterThan(0);
        for (const direction of ['descending', 'ascending']) {
          await page.click('table#rules th[data-key="accuracy"] button');
          const values = await column('accuracy');
          expect(values.slice(-nulls)).toEqual(Array(nulls).fill('—'));
          const numbers = values.slice(0, -nulls).map(Number);
          const first = direction === 'descending' ? Math.max(...numbers) : Math.min(...numbers);
          expect([direction, numbers[0]]).toEqual([direction, first]);
        }
        await page.click('table#rules th[data-key="id"] button');
        const ids = await ruleOrder();
        expect(ids).toEqual(
          [...ids].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })),
        );
      },
      TIMEOUT,
    );

    test(
      'svg#tree has one leaf group per leaf, drawn at a non-zero size without overlaps',
      async () => {
        const leaves = report.tree.nodes.filter((n) => n.kind === 'leaf').length;
        expect(await page.locator('svg#tree g.leaf').count()).toBe(leaves);
        const box = await page.locator('svg#tree').boundingBox();
        expect(box!.width).toBeGreaterThan(0);
        expect(box!.height).toBeGreaterThan(0);
        const boxes = await page.$$eval('svg#tree g.node', (nodes) =>
          nodes.map((n) => {
            const b = n.getBoundingClientRect();
            return { x: b.x, y: b.y, right: b.right, bottom: b.bottom };
          }),
        );
        const overlaps = boxes.flatMap((a, i) =>
          boxes
            .slice(i + 1)
            .filter((b) => a.x < b.right && b.x < a.right && a.y < b.bottom && b.y < a.bottom)
            .map(() => i),
        );
        expect(overlaps).toEqual([]);
        // Every text line fits inside its box (the layout estimates text widths).
        const overflowing = await page.$$eval(
          'svg#tree g.node',
          (nodes) =>
            nodes.filter((n) => {
              const rect = n.querySelector('rect')!.getBoundingClientRect();
              const text = n.querySelector('text')!.getBoundingClientRect();
              return text.left < rect.left || text.right > rect.right;
            }).length,
        );
        expect(overflowing).toBe(0);
      },
      TIMEOUT,
    );

    test(
      'the chart SVGs have bars of non-zero size for non-zero values',
      async () => {
        const fairness = report.fairness ? ['chart-fairness'] : [];
        for (const id of ['chart-fidelity', 'chart-coverage', 'chart-drift', ...fairness]) {
          const bars = await page.$$eval(`svg#${id} rect.bar`, (rects) =>
            rects.map((r) => {
              const b = r.getBoundingClientRect();
              return {
                value: Number(r.getAttribute('data-value')),
                width: b.width,
                height: b.height,
              };
            }),
          );
          expect(bars.length).toBeGreaterThan(0);
          const drawn = bars.filter((b) => b.value > 0);
          expect(drawn.length).toBeGreaterThan(0);
          for (const bar of drawn) {
            expect(bar.width).toBeGreaterThan(0);
            expect(bar.height).toBeGreaterThan(0);
          }
        }
      },
      TIMEOUT,
    );

    test(
      'section#fairness, when the report has one: a table per protected feature, a row per group',
      async () => {
        const features = report.fairness?.features ?? [];
        expect(await page.locator('section#fairness').count()).toBe(features.length ? 1 : 0);
        for (const [i, f] of features.entries()) {
          const rows = page.locator(`table#fairness-${i + 1} tbody tr`);
          expect(await rows.count()).toBe(f.groups.length);
        }
        if (features.length > 0) {
          const box = await page.locator('svg#chart-fairness').boundingBox();
          expect(box!.height).toBeGreaterThan(0);
        }
      },
      TIMEOUT,
    );

    test(
      'a full-page screenshot is saved; no console errors; no network request attempted',
      async () => {
        mkdirSync(OUTPUT, { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
        expect(existsSync(SCREENSHOT)).toBe(true);
        expect(errors).toEqual([]);
        expect(blocked).toEqual([]);
        expect(requests.filter((url) => !url.startsWith('file:'))).toEqual([]);
      },
      TIMEOUT,
    );
  });
}
