/**
 * 04: an auditor's report: quality with confidence intervals, every rule with its figures,
 * the tree and the overrides' impact, gathered as data and rendered as Markdown.
 *
 *   npm run example -- 04-audit-report
 *
 * Measures the committed German credit model (read only) on its held-out test split, as
 * `neurules audit --model german-credit --out report.md` does; writes no file.
 */
import { gatherAudit, loadModelData, openModel, renderMarkdown, type AuditReport } from 'neurules';

export async function main(): Promise<{ report: AuditReport; markdown: string }> {
  const location = { modelsDir: 'models', rulesDir: 'rules', name: 'german-credit' };
  const data = loadModelData(location); // the build's test split, rebuilt from the manifest
  const model = await openModel(location, { teacher: true, backend: 'cpu' });
  try {
    // The report is plain data (the `--format json` file); Markdown and HTML render it.
    const report = gatherAudit({ model, data });
    const { fidelity, rulesAccuracy, networkAccuracy } = report.quality;
    console.log(`measured on: ${report.data.evaluatedOn}`);
    console.log(
      `fidelity ${fidelity.value.toFixed(3)} (95% CI ${fidelity.low.toFixed(3)}–${fidelity.high.toFixed(3)}), ` +
        `rules accuracy ${rulesAccuracy.toFixed(3)}, network accuracy ${networkAccuracy.toFixed(3)}`,
    );
    for (const rule of report.rules)
      console.log(`  ${rule.id}  ${rule.hits} hits  ${rule.text} → ${rule.class}`);

    const markdown = renderMarkdown(report);
    const headings = markdown.split('\n').filter((line) => line.startsWith('## '));
    console.log(`Markdown report, ${markdown.length} characters:\n${headings.join('\n')}`);
    return { report, markdown };
  } finally {
    model.teacher!.dispose();
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
