import {
  BROWSER_TIMEOUT,
  describeInChromium,
  openStudioPage,
  type StudioPage,
} from '../helpers/studio-page';

/** The under-21 policy with this line for its amount condition. */
const policy = (amount: string): string =>
  [
    '- id: young-large-loans-declined',
    '  when:',
    "    age: { '<': 21 }",
    amount,
    '  then: { class: bad }',
    '  priority: 120',
    '',
  ].join('\n');

/**
 * The studio shows suspicious values as lint does: an expert who writes `8.000` (German
 * thousands) for 8000 sees a LOCALE_NUMBER warning at the number, with its place; and a
 * YAML mistake as one problem in plain words.
 */
describeInChromium('studio: suspicious values', () => {
  let s: StudioPage;
  beforeAll(async () => {
    s = await openStudioPage();
  }, BROWSER_TIMEOUT);
  afterAll(async () => {
    await s?.close();
  });

  test(
    "typing credit_amount: { '>': 8.000 } shows the LOCALE_NUMBER warning in the problems, at the number",
    async () => {
      const written = policy("    credit_amount: { '>': 8.000 }");
      await s.setText(written);
      await s.waitForText('problems', (t) => /LOCALE_NUMBER/.test(t), { ms: 30_000 });
      const problems = await s.page.locator('[data-test="problems"]').innerText();
      // Line 4, column 27: where `8.000` starts.
      expect(problems).toMatch(/credit-policy\.yaml:4:27 LOCALE_NUMBER/);
      // Written as 8000, the warning goes.
      await s.setText(written.replace('8.000', '8000'));
      await s.waitForText('problems', (t) => !/LOCALE_NUMBER/.test(t), { ms: 30_000 });
      expect(s.errors).toEqual([]);
      expect(s.blocked).toEqual([]);
    },
    BROWSER_TIMEOUT,
  );

  test(
    'two Backspaces before a condition show one YAML_SYNTAX problem at its line, in plain words',
    async () => {
      const broken = policy("credit_amount: { '>': 5000 }");
      await s.setText(broken);
      await s.waitForText('problems', (t) => /YAML_SYNTAX/.test(t), { ms: 30_000 });
      const problems = await s.page.locator('[data-test="problems"]').innerText();
      expect(problems.match(/YAML_SYNTAX/g)).toHaveLength(1);
      expect(problems).toMatch(/credit-policy\.yaml:4:1 YAML_SYNTAX/);
      expect(problems).not.toMatch(/token|YAML stream/);
      expect(s.errors).toEqual([]);
    },
    BROWSER_TIMEOUT,
  );
});
