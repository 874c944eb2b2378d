import { createHash } from 'node:crypto';
import { printableName } from '../audit/fairness';
import { classColour, seriesColour } from './colour-palette';
import { escapeXml as e } from './escape-xml';
import {
  NO_FIGURE,
  formatCount,
  formatDate,
  formatDelta,
  formatInterval,
  formatNumber,
  formatPoints,
  formatRate,
  formatShare,
  formatTime,
  needsSeconds,
  shortHash,
} from './format-figures';
import { barChartSvg, groupSharesChartSvg, stackedBarChartSvg } from './svg-charts';
import { renderTreeSvg } from './svg-tree';
import { greyImageSvg } from './grey-image';
import { shadowRows } from './shadow-rows';
import type {
  AuditReport,
  DriftSection,
  FairnessFeature,
  FairnessSection,
  ProportionInterval,
} from '../audit/types';
import { balancedSummary } from '../audit/metrics';

/**
 * The audit report as one self-contained HTML page: inline CSS and SVG, no external
 * scripts, fonts, images or styles, and a Content-Security-Policy that forbids loading
 * any. A small inline script (allowed by its hash) makes the tables sortable; the page
 * reads completely without it. All text from the report is escaped.
 *
 * Elements a reader or a test can address: `table#rules`, `table#overrides`,
 * `svg#tree`, `svg#chart-fidelity`, `svg#chart-coverage`, `section#drift` (with
 * `svg#chart-drift` and `table#drift-rules` when the report has a decision log), and with
 * protected features `section#fairness` (`svg#chart-fairness`, a `table#fairness-N` per
 * feature, N from 1).
 *
 * @example
 * writeFileSync('audit.html', renderHtml(report));
 */
export function renderHtml(report: AuditReport): string {
  const page = new Page(report);
  const title = `Audit: ${report.model.name}`;
  const body = [
    page.header(),
    page.summary(),
    page.dataSection(),
    page.qualitySection(),
    page.perceptionSection(),
    page.rulesSection(),
    page.treeSection(),
    page.overridesSection(),
    page.fairnessSection(),
    page.driftSection(),
    page.shadowSection(),
    page.footer(),
  ].join('\n');
  const csp = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `script-src 'sha256-${createHash('sha256').update(SORT_SCRIPT).digest('base64')}'`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="neurules">
<title>${e(title)}</title>
<style>
${STYLE}
${page.classStyles()}
</style>
</head>
<body>
<main>
${body}
</main>
<script>${SORT_SCRIPT}</script>
</body>
</html>
`;
}

/** The sections of one report; holds what several sections share (classes, record count). */
class Page {
  private readonly classes: string[];
  private readonly records: number;

  constructor(private readonly report: AuditReport) {
    this.classes = report.quality.classes;
    this.records = report.data.records;
  }

  /** `.cls-N { --cls: colour }` for each class, so tags, swatches and rows share its colour. */
  classStyles(): string {
    return this.classes
      .map((c, i) => `.cls-${i} { --cls: ${classColour(this.classes, c)}; }`)
      .join('\n');
  }

  header(): string {
    const { model, data, generatedAt } = this.report;
    return `<header class="report-header">
<p class="kicker">neurules audit report</p>
<h1>${e(model.name)}</h1>
<dl class="meta">
${meta('Rule set', `<code title="${e(model.ruleSetHash)}">${e(shortHash(model.ruleSetHash))}</code>`)}
${meta('Generated', `<time datetime="${e(generatedAt)}">${e(formatTime(generatedAt))}</time>`)}
${meta('Evaluated on', e(data.evaluatedOn))}
${meta('Model built', `<time datetime="${e(model.createdAt)}">${e(formatTime(model.createdAt))}</time> from <code>${e(model.dataFile)}</code>`)}
${meta('Backend, seed', `${e(model.backend)}, ${e(String(model.seed))}`)}
</dl>
<nav class="toc" aria-label="Sections"><a href="#data">Data</a><a href="#quality">Network vs rules</a>${this.report.perception ? '<a href="#perception">Perception</a>' : ''}<a href="#rule-list">Rules</a><a href="#distilled-tree">Tree</a><a href="#override-impact">Overrides</a>${this.report.fairness ? '<a href="#fairness">Fairness</a>' : ''}<a href="#drift">Drift</a></nav>
</header>`;
  }

  summary(): string {
    const q = this.report.quality;
    const overrides = this.report.rules.filter((r) => r.source === 'override').length;
    const distilled = this.report.rules.length - overrides;
    const card = (label: string, value: string, note: string): string =>
      `<div class="card"><div class="card-label">${e(label)}</div><div class="card-value">${e(value)}</div><div class="card-note">${note}</div></div>`;
    return `<section id="summary" class="cards" aria-label="Key figures">
${card('Network accuracy', formatRate(q.networkAccuracy), 'against the true labels')}
${card('Rules accuracy', formatRate(q.rulesAccuracy), `with overrides; distilled alone ${e(formatRate(q.distilledAccuracy))}`)}
${card('Fidelity', formatRate(q.fidelity.value), `rules agree with the network; 95% CI ${e(formatRate(q.fidelity.low))}–${e(formatRate(q.fidelity.high))}`)}
${this.balancedCard(card)}
${card('Rules', String(this.report.rules.length), `${distilled} distilled, ${overrides} override${overrides === 1 ? '' : 's'}`)}
${card('Records', formatCount(this.records), 'evaluated')}
</section>`;
  }

  /** Balanced fidelity beside plain fidelity, naming the class the rules follow least. */
  balancedCard(card: (label: string, value: string, note: string) => string): string {
    const { balanced, worst } = balancedSummary(this.report.quality.fidelityPerClass);
    if (!worst) return '';
    return card(
      'Balanced fidelity',
      formatRate(balanced),
      `mean over the network's classes; worst: ${this.classTag(worst.class)} ${e(formatRate(worst.fidelity))} (${formatCount(worst.agree)}/${formatCount(worst.records)})`,
    );
  }

  dataSection(): string {
    const { data } = this.report;
    const features = data.features
      .map((f) => {
        const marks: string[] = [];
        if (f.immutable) marks.push('<span class="mark">immutable</span>');
        if (f.protected) marks.push('<span class="mark">protected</span>');
        if (f.monotone)
          marks.push(
            `<span class="mark">monotone ${f.monotone === 'increasing' ? '↑' : '↓'} ${e(f.monotone)}</span>`,
          );
        return `<tr><th scope="row"><code>${e(f.name)}</code></th><td>${e(f.type)}</td><td>${e(f.summary)}</td><td${marks.length ? '' : ' data-value=""'}>${marks.join(' ') || NO_FIGURE}</td></tr>`;
      })
      .join('\n');
    const total = data.classes.reduce((s, c) => s + c.count, 0);
    const classes = data.classes
      .map(
        (c) =>
          `<tr><th scope="row">${this.classTag(c.name)}</th>${num(c.count, formatCount(c.count))}${num(total ? c.count / total : null, formatShare(total ? c.count / total : null))}</tr>`,
      )
      .join('\n');
    return `<section id="data">
<h2>Data and schema</h2>
<p>${formatCount(data.records)} records: ${e(data.evaluatedOn)}. ${data.features.length} features, their ranges from ${e(data.schemaFrom)}; marks show what counterfactuals may not change (<em>immutable</em>) or may only move one way (<em>monotone</em>), and what the audit reports fairness by when it is given no features of its own (<em>protected</em>).</p>
<div class="grid">
<div class="grow">
${sortableTable('features', [th('Feature', 'name', 'text'), th('Type', 'type', 'text'), th('Values', 'summary', 'text'), th('Marks', 'marks', 'text')], features, 'Features')}
</div>
<div>
<table id="classes">
<caption>Classes (true labels)</caption>
<thead><tr><th scope="col">Class</th><th scope="col" class="num">Records</th><th scope="col" class="num">Share</th></tr></thead>
<tbody>
${classes}
</tbody>
</table>
</div>
</div>
</section>`;
  }

  qualitySection(): string {
    const q = this.report.quality;
    const row = (label: string, accuracy: number, fidelity: ProportionInterval | null): string =>
      `<tr><th scope="row">${label}</th>${num(accuracy, formatRate(accuracy))}<td class="num">${fidelity ? intervalHtml(fidelity) : NO_FIGURE}</td></tr>`;
    const perClass = q.fidelityPerClass;
    const chart = barChartSvg({
      id: 'chart-fidelity',
      title: 'Fidelity per class the network predicts',
      max: 1,
      tickFormat: (v) => formatNumber(v),
      bars: perClass.map((p) => ({
        label: p.class,
        value: p.fidelity,
        colour: classColour(this.classes, p.class),
        valueText: `${formatRate(p.fidelity)} (${p.agree}/${p.records})`,
        title: `network says ${p.class}: rules agree on ${p.agree} of ${p.records} records (${formatRate(p.fidelity)})`,
      })),
    });
    const perClassRows = perClass
      .map(
        (p) =>
          `<tr><th scope="row">${this.classTag(p.class)}</th>${num(p.records, formatCount(p.records))}${num(p.agree, formatCount(p.agree))}${num(p.fidelity, formatRate(p.fidelity))}</tr>`,
      )
      .join('\n');
    return `<section id="quality">
<h2>Network vs rules</h2>
<table id="accuracy">
<caption>Accuracy and fidelity on ${formatCount(this.records)} records</caption>
<thead><tr><th scope="col">Model</th><th scope="col" class="num">Accuracy</th><th scope="col" class="num">Fidelity to the network</th></tr></thead>
<tbody>
${row('Network', q.networkAccuracy, null)}
${row('Rules with overrides (as served)', q.rulesAccuracy, q.fidelity)}
${row('Distilled rules alone', q.distilledAccuracy, q.distilledFidelity)}
</tbody>
</table>
<p class="note">Accuracy is measured against the true labels; fidelity is the share of records where the rules decide the network's class. Intervals are 95% confidence intervals.</p>
<h3>Fidelity per class</h3>
<figure>
${chart}
<figcaption>Share of the records the network assigns to each class on which the rules agree.</figcaption>
</figure>
<details><summary>Figures</summary>
<table id="fidelity-per-class">
<thead><tr><th scope="col">Network's class</th><th scope="col" class="num">Records</th><th scope="col" class="num">Rules agree</th><th scope="col" class="num">Fidelity</th></tr></thead>
<tbody>
${perClassRows}
</tbody>
</table>
</details>
<h3>Confusion matrices</h3>
<div class="grid">
${this.matrix('confusion-network', 'Network', 'true', 'network', q.confusion.network)}
${this.matrix('confusion-rules', 'Rules with overrides', 'true', 'rules', q.confusion.rules)}
${this.matrix('rules-vs-network', 'Rules vs network', 'network', 'rules', q.rulesVsNetwork)}
</div>
</section>`;
  }

  /** Each concept: accuracy, confusion, and the misperceived records drawn from their pixels. */
  perceptionSection(): string {
    const concepts = this.report.perception;
    if (!concepts) return '';
    const parts = concepts.map((c) => {
      const acc = c.accuracy
        ? `${intervalHtml(c.accuracy)} on ${formatCount(c.accuracy.trials)} labelled records`
        : 'no evaluated record has a label';
      const gallery = c.misperceived
        .map((m) => {
          const words = `line ${m.line}: labelled ${m.label}, perceived ${m.perceived} (${m.confidence})`;
          const image = m.pixels && c.shape ? greyImageSvg(m.pixels, c.shape, words) : '';
          const changed =
            m.decision === m.decisionIfRight
              ? `decision ${this.classTag(m.decision)} either way`
              : `decided ${this.classTag(m.decision)}; read right: ${this.classTag(m.decisionIfRight)}`;
          return `<figure class="misperceived">${image}<figcaption>line ${m.line}<br>labelled <b>${e(m.label)}</b>, perceived <b>${e(m.perceived)}</b> (${e(String(m.confidence))})<br>${changed}</figcaption></figure>`;
        })
        .join('\n');
      const shown =
        c.misperceivedCount > c.misperceived.length
          ? ` (the ${c.misperceived.length} of lowest confidence shown)`
          : '';
      return `<h3>Concept <code>${e(c.name)}</code></h3>
<p>Perceived as labelled: ${acc}. Misperceived: ${formatCount(c.misperceivedCount)}${shown}.</p>
${this.conceptMatrix(c.name, c.classes, c.confusion)}
${c.misperceived.length > 0 ? `<div class="gallery">\n${gallery}\n</div>` : ''}`;
    });
    return `<section id="perception">
<h2>Perception</h2>
<p class="note">Each concept is read by a perception network from raw inputs; the rules reason over what it perceives. Accuracy is measured against the concept's label column, where records have one. Images are drawn from their pixels as the network read them.</p>
${parts.join('\n')}
</section>`;
  }

  private conceptMatrix(name: string, classes: string[], m: number[][]): string {
    const head = classes.map((c) => `<th scope="col" class="num">${e(c)}</th>`).join('');
    const body = classes
      .map((c, i) => {
        const row = m[i] ?? [];
        const cells = classes
          .map(
            (_, j) => `<td class="num${i === j ? ' diag' : ''}">${formatCount(row[j] ?? 0)}</td>`,
          )
          .join('');
        return `<tr><th scope="row">${e(c)}</th>${cells}</tr>`;
      })
      .join('\n');
    return `<table id="concept-${e(name)}" class="matrix">
<caption>${e(name)}<br><small>rows: labelled, columns: perceived</small></caption>
<thead><tr><th scope="col">labelled ↓ perceived →</th>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>`;
  }

  rulesSection(): string {
    const rules = this.report.rules;
    const overrides = rules.filter((r) => r.source === 'override').length;
    const coverage = barChartSvg({
      id: 'chart-coverage',
      title: 'Rule coverage: evaluated records each rule decided',
      bars: rules.map((r) => ({
        label: r.id,
        value: r.hits,
        colour: classColour(this.classes, r.class),
        valueText: `${formatCount(r.hits)} (${formatShare(r.hitShare)})`,
        title: `${r.id} → ${r.class}: ${r.hits} records (${formatShare(r.hitShare)})`,
      })),
      tickFormat: (v) => formatCount(v),
      legend: this.classes.map((c) => ({ label: c, colour: classColour(this.classes, c) })),
    });
    const rows = rules
      .map(
        (r) =>
          `<tr data-rule="${e(r.id)}" class="${r.source}">` +
          `<th scope="row"><code>${e(r.id)}</code></th><td>${e(r.source)}</td><td class="rule-text">${ruleTextHtml(r.text)}</td>` +
          `<td>${this.classTag(r.class)}</td>${num(r.conditions, String(r.conditions))}${num(r.support, formatCount(r.support))}` +
          `${num(r.confidence, formatRate(r.confidence))}${num(r.validationFidelity, formatRate(r.validationFidelity))}` +
          `${num(r.hits, formatCount(r.hits))}${num(r.hitShare, formatShare(r.hitShare))}` +
          `${num(r.accuracy, formatRate(r.accuracy))}${num(r.fidelity, formatRate(r.fidelity))}</tr>`,
      )
      .join('\n');
    return `<section id="rule-list">
<h2>Rules</h2>
<p>${rules.length} rules in hit-policy order: ${overrides} override${overrides === 1 ? '' : 's'} first, then ${rules.length - overrides} distilled rules; the first rule that matches decides. Support, confidence and validation fidelity come from distillation (training and validation records); hits, accuracy and fidelity from the ${formatCount(this.records)} evaluated records.</p>
<h3>Coverage</h3>
<figure>
${coverage}
<figcaption>Evaluated records each rule decided, coloured by the rule's class.</figcaption>
</figure>
<h3>Rule table</h3>
<p class="sort-hint" hidden>Click a column heading to sort; click again to reverse. Missing figures (—) stay last.</p>
<div class="scroll">
${sortableTable('rules', [th('Rule', 'id', 'text'), th('Source', 'source', 'text'), th('Conditions', 'text', 'text'), th('Class', 'class', 'text'), th('Terms', 'conditions', 'number', 'comparisons in the rule'), th('Support', 'support', 'number', 'training records in the region (distilled rules)'), th('Confidence', 'confidence', 'number', "share of the region's training records the network assigns to the rule's class"), th('Val. fidelity', 'validationFidelity', 'number', 'validation records in the region where the network agrees with the rule'), th('Hits', 'hits', 'number', 'evaluated records the rule decided'), th('Hit share', 'hitShare', 'number'), th('Accuracy', 'accuracy', 'number', 'on the records the rule decided'), th('Fidelity', 'fidelity', 'number', 'agreement with the network on the records the rule decided')], rows)}
</div>
</section>`;
  }

  treeSection(): string {
    const nodes = this.report.tree.nodes;
    const leaves = nodes.filter((n) => n.kind === 'leaf').length;
    return `<section id="distilled-tree">
<h2>Distilled tree</h2>
<p>${nodes.length - leaves} splits and ${leaves} leaves; each leaf is one distilled rule. A split sends a record along <em>yes</em> when its test holds, else along <em>no</em>; "missing" says which way a missing value goes. Counts are training samples reaching the node: real records and the synthetic ones distillation labelled with the network (a rule's support counts real records only).</p>
${this.legend()}
<div class="scroll tree-scroll">
${renderTreeSvg(this.report.tree, this.classes)}
</div>
</section>`;
  }

  overridesSection(): string {
    const o = this.report.overrides;
    const summary = `<table id="override-summary">
<caption>Distilled rules without and with the overrides</caption>
<thead><tr><th scope="col"></th><th scope="col" class="num">Without</th><th scope="col" class="num">With</th><th scope="col" class="num">Change</th></tr></thead>
<tbody>
<tr><th scope="row">Accuracy</th>${num(o.accuracyWithout, formatRate(o.accuracyWithout))}${num(o.accuracyWith, formatRate(o.accuracyWith))}${num(o.accuracyWith - o.accuracyWithout, formatDelta(o.accuracyWith - o.accuracyWithout))}</tr>
<tr><th scope="row">Fidelity</th>${num(o.fidelityWithout, formatRate(o.fidelityWithout))}${num(o.fidelityWith, formatRate(o.fidelityWith))}${num(o.fidelityWith - o.fidelityWithout, formatDelta(o.fidelityWith - o.fidelityWithout))}</tr>
</tbody>
</table>`;
    if (o.items.length === 0)
      return `<section id="override-impact">
<h2>Overrides</h2>
<p class="empty">No overrides: the distilled rules decide alone.</p>
</section>`;
    const rows = o.items
      .map(
        (item) =>
          `<tr data-rule="${e(item.id)}"><th scope="row"><code>${e(item.id)}</code></th>` +
          `<td><code>${pathHtml(`${item.file}:${item.line}`)}</code></td><td>${this.classTag(item.class)}</td>${num(item.priority, String(item.priority))}` +
          `<td class="rule-text">${ruleTextHtml(item.text)}</td>${textCell(item.reason, 'reason')}${textCell(item.owner, 'nowrap')}` +
          `${num(item.fires, formatCount(item.fires))}${num(item.changed, formatCount(item.changed))}` +
          `${num(item.accuracyDelta, formatDelta(item.accuracyDelta))}${num(item.fidelityDelta, formatDelta(item.fidelityDelta))}</tr>`,
      )
      .join('\n');
    return `<section id="override-impact">
<h2>Overrides</h2>
<p>${o.items.length} override${o.items.length === 1 ? '' : 's'} sit above the distilled rules and change ${formatCount(o.changed)} of ${formatCount(this.records)} decisions (${formatShare(this.records ? o.changed / this.records : null)}).</p>
${summary}
<p class="sort-hint" hidden>Click a column heading to sort.</p>
<div class="scroll">
${sortableTable('overrides', [th('Override', 'id', 'text'), th('Defined in', 'file', 'text'), th('Class', 'class', 'text'), th('Priority', 'priority', 'number'), th('Conditions', 'text', 'text'), th('Reason', 'reason', 'text'), th('Owner', 'owner', 'text'), th('Fires', 'fires', 'number', 'evaluated records the override decided'), th('Changed', 'changed', 'number', 'of those, records the distilled rules alone would decide differently'), th('Δ accuracy', 'accuracyDelta', 'number', 'change in accuracy over all evaluated records from this override alone'), th('Δ fidelity', 'fidelityDelta', 'number', 'change in fidelity over all evaluated records from this override alone')], rows, 'Impact of each override alone')}
</div>
</section>`;
  }

  /** Fairness by group: the small multiples, then a table per protected feature. */
  fairnessSection(): string {
    const fair = this.report.fairness;
    if (!fair) return '';
    const chart = groupSharesChartSvg({
      id: 'chart-fairness',
      title:
        'Share of each class decided, by group of each protected feature, and its ratio to the most favoured group',
      reference: fair.reference,
      legend: this.classes.map((c) => ({ label: c, colour: classColour(this.classes, c) })),
      panels: fair.features.map((f) => ({
        title: f.name,
        rows: f.groups.map((g) => ({
          label: `${printableName(g.name)} (${formatCount(g.records)})`,
          title: `${f.name} ${printableName(g.name)}: ${formatCount(g.records)} record(s)`,
          shares: this.classes.map((c) => ({
            key: c,
            label: c,
            colour: classColour(this.classes, c),
            value: g.shares[c] ?? 0,
          })),
          ratios: fair.checked.map((c) => ({
            key: c,
            label: c,
            colour: classColour(this.classes, c),
            value: g.ratios[c] ?? null,
          })),
        })),
      })),
    });
    const checked =
      fair.favourable !== null
        ? `The favourable class is ${this.classTag(fair.favourable)}: its share is the selection rate, and only its ratios are checked.`
        : 'No favourable class was named: every class’s ratios are shown and checked.';
    return `<section id="fairness">
<h2>Fairness by group</h2>
<p>Protected features ${fair.from === 'option' ? 'given to the audit' : 'marked in the schema'}: ${fair.features.map((f) => `<code>${e(f.name)}</code>`).join(', ')}. For each group, the share of its records the rules (with overrides, as served) decide as each class, and that share over the share of the group with the most of it: the <em>four-fifths rule</em> flags a ratio under ${e(String(fair.reference))}. ${checked}</p>
<p class="note">Numeric features are cut into bands, each from its lower bound up to but not including the next (given, or the quartiles of the audited records); records without a value form the group <em>missing</em>. Every group with a record is listed, however small: its records say how far its figures can be trusted. Accuracy and recall are against the true labels; fidelity is agreement with the network, balanced fidelity its mean over the network's classes in the group.</p>
<figure>
<div class="scroll">
${chart}
</div>
<figcaption>Per protected feature: the share of each group (its records in brackets) decided as each class, stacked, and each checked class's ratio to the most favoured group, with the ${e(String(fair.reference))} line.</figcaption>
</figure>
${fair.features.map((f, i) => this.fairnessTable(fair, f, i + 1)).join('\n')}
</section>`;
  }

  private fairnessTable(fair: FairnessSection, f: FairnessFeature, n: number): string {
    const grouping = {
      levels: 'by level',
      bands: 'in the bands given',
      quartiles: 'in quartile bands of the audited records',
    }[f.grouping];
    const names = (ids: string[]) => ids.map((id) => `<code>${e(id)}</code>`).join(', ');
    const readers = [
      f.readBy.rules.length ? `distilled rules ${names(f.readBy.rules)}` : '',
      f.readBy.overrides.length ? `overrides ${names(f.readBy.overrides)}` : '',
    ].filter(Boolean);
    const readBy = readers.length
      ? `Read directly by ${readers.join(' and ')}.`
      : 'No rule or override reads it directly: any difference between its groups comes through other features.';
    const empty = f.empty.length
      ? ` No audited record falls in ${f.empty.map((g) => `<em>${e(printableName(g))}</em>`).join(', ')}.`
      : '';
    const recallOf = fair.favourable !== null ? [fair.favourable] : this.classes;
    const recallLabel = (c: string) => (fair.favourable !== null ? `TPR ${c}` : `Recall ${c}`);
    const headings = [
      th('Group', 'group', 'text'),
      th('Records', 'records', 'number'),
      ...this.classes.map((c) =>
        th(`Share ${c}`, `share-${c}`, 'number', `share of the group decided as ${c}`),
      ),
      ...fair.checked.map((c) =>
        th(
          `Ratio ${c}`,
          `ratio-${c}`,
          'number',
          `share of ${c} over the most favoured group's (${f.favoured[c] ?? 'none'})`,
        ),
      ),
      th('Accuracy', 'accuracy', 'number', 'on the labelled records of the group'),
      ...recallOf.map((c) =>
        th(
          recallLabel(c),
          `recall-${c}`,
          'number',
          `of the group's records labelled ${c}, the share decided ${c}`,
        ),
      ),
      th('Fidelity', 'fidelity', 'number', 'agreement with the network'),
      th(
        'Balanced fidelity',
        'balancedFidelity',
        'number',
        "mean agreement over the network's classes in the group",
      ),
    ];
    const rows = f.groups
      .map((g) => {
        const ratioCells = fair.checked
          .map((c) => {
            const r = g.ratios[c] ?? null;
            const below = r !== null && r < fair.reference;
            return `<td class="num${below ? ' below' : ''}" data-value="${r === null ? '' : r}">${e(formatRate(r))}</td>`;
          })
          .join('');
        return (
          `<tr data-group="${e(g.name)}"><th scope="row">${e(printableName(g.name))}</th>${num(g.records, formatCount(g.records))}` +
          this.classes
            .map((c) => num(g.shares[c] ?? null, formatShare(g.shares[c] ?? null)))
            .join('') +
          ratioCells +
          num(g.accuracy, formatRate(g.accuracy)) +
          recallOf.map((c) => num(g.recall[c] ?? null, formatRate(g.recall[c] ?? null))).join('') +
          `${num(g.fidelity, formatRate(g.fidelity))}${num(g.balancedFidelity, formatRate(g.balancedFidelity))}</tr>`
        );
      })
      .join('\n');
    return `<h3>Protected feature <code>${e(f.name)}</code> <small>${e(f.type)}, ${e(grouping)}</small></h3>
<p>${readBy}${empty}</p>
<div class="scroll">
${sortableTable(`fairness-${n}`, headings, rows, `${f.name}: ${f.groups.length} group(s)`)}
</div>`;
  }

  driftSection(): string {
    const drift = this.report.drift;
    if (!drift)
      return `<section id="drift">
<h2>Drift</h2>
<p class="empty">No drift figures: the audit was given no decision log.</p>
</section>`;
    return `<section id="drift">
<h2>Drift</h2>
<dl class="meta">
${meta('Decision log', `<code>${e(drift.logFile)}</code>`)}
${meta('Decisions', formatCount(drift.decisions))}
${meta('Left out', `${formatCount(drift.unreadable)} unreadable, ${formatCount(drift.otherRuleSets)} of other rule sets`)}
${meta('Period', `<time datetime="${e(drift.from)}">${e(formatTime(drift.from, needsSeconds(drift.from, drift.to)))}</time> – <time datetime="${e(drift.to)}">${e(formatTime(drift.to, needsSeconds(drift.from, drift.to)))}</time>`)}
</dl>
${drift.warnings.map((w) => `<p class="warning">${e(w)}</p>`).join('\n')}
${this.driftChart(drift)}
${this.driftTable(drift)}
</section>`;
  }

  /** Champion and challenger (`serve --shadow`): only for a log whose lines carry one. */
  shadowSection(): string {
    const shadow = this.report.shadow;
    if (!shadow) return '';
    const r = shadowRows(shadow);
    const rows = (cells: string[][]): string =>
      cells.map((row) => `<tr>${row.map((c) => `<td>${e(c)}</td>`).join('')}</tr>`).join('\n');
    const head = (cells: string[]): string =>
      `<thead><tr>${cells.map((c) => `<th scope="col">${e(c)}</th>`).join('')}</tr></thead>`;
    return `<section id="shadow">
<h2>Champion and challenger</h2>
<p>${e(r.summary)}</p>
<h3>Agreement by class</h3>
<table id="shadow-classes">${head(r.classHead)}<tbody>
${rows(r.classRows)}
</tbody></table>
<h3>Disagreements</h3>
<p>${e(r.listed)}</p>
${
  r.disagreementRows.length
    ? `<div class="scroll"><table id="shadow-disagreements">${head(r.disagreementHead)}<tbody>
${rows(r.disagreementRows)}
</tbody></table></div>`
    : ''
}
</section>`;
  }

  footer(): string {
    return `<footer><p>Made by neurules from a <code>${e(this.report.format)}</code> version ${e(String(this.report.version))} report. Rates to three decimals, shares in percent.</p></footer>`;
  }

  private driftChart(drift: DriftSection): string {
    const ids = driftRuleIds(this.report, drift);
    const drifted = new Set(drift.rules.filter((r) => r.drifted).map((r) => r.id));
    const daily = drift.buckets.every((b) => Date.parse(b.end) - Date.parse(b.start) >= 86_400_000);
    const secs = needsSeconds(drift.from, drift.to);
    const label = (iso: string): string =>
      daily ? formatDate(iso) : formatTime(iso, secs).slice(5, secs ? 19 : 16);
    const chart = stackedBarChartSvg({
      id: 'chart-drift',
      title: 'Decisions per rule over time',
      categories: drift.buckets.map((b) => ({
        label: label(b.start),
        title: `${formatTime(b.start, secs)} – ${formatTime(b.end, secs)}`,
      })),
      series: ids.map((id, i) => ({
        key: id,
        label: id,
        colour: seriesColour(i),
        values: drift.buckets.map((b) => b.counts[id] ?? 0),
      })),
      highlight: drifted,
    });
    const head = ids.map((id) => `<th scope="col" class="num">${e(id)}</th>`).join('');
    const rows = drift.buckets
      .map(
        (b) =>
          `<tr><th scope="row">${e(formatTime(b.start, secs))} – ${e(formatTime(b.end, secs))}</th>${num(b.total, formatCount(b.total))}${ids.map((id) => num(b.counts[id] ?? 0, formatCount(b.counts[id] ?? 0))).join('')}</tr>`,
      )
      .join('\n');
    return `<h3>Decisions per rule over time</h3>
<figure>
<div class="scroll">
${chart}
</div>
<figcaption>Logged decisions per time bucket, stacked by the rule that decided; drifted rules are outlined.</figcaption>
</figure>
<details><summary>Figures</summary>
<div class="scroll">
<table id="drift-buckets">
<thead><tr><th scope="col">Bucket</th><th scope="col" class="num">Total</th>${head}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>
</details>`;
  }

  private driftTable(drift: DriftSection): string {
    const classOf = new Map(this.report.rules.map((r) => [r.id, r.class]));
    const drifted = drift.rules.filter((r) => r.drifted);
    const rows = drift.rules
      .map((r) => {
        const cls = classOf.get(r.id);
        return (
          `<tr data-rule="${e(r.id)}"${r.drifted ? ' class="drifted"' : ''}><th scope="row"><code>${e(r.id)}</code></th>` +
          `<td>${cls === undefined ? NO_FIGURE : this.classTag(cls)}</td>${num(r.trainingShare, formatShare(r.trainingShare))}` +
          `${num(r.logShare, formatShare(r.logShare))}${num(r.logShare - r.trainingShare, formatPoints(r.logShare - r.trainingShare))}` +
          `${num(r.z, formatDelta(r.z, 1))}<td>${r.drifted ? '<span class="badge">drifted</span>' : 'stable'}</td></tr>`
        );
      })
      .join('\n');
    const verdict = drifted.length
      ? `${drifted.length} rule${drifted.length === 1 ? '' : 's'} drifted: ${drifted.map((r) => `<code>${e(r.id)}</code>`).join(', ')}.`
      : 'No rule drifted.';
    return `<h3>Share of decisions per rule</h3>
<p>${verdict} A rule has drifted when its share of logged decisions differs from its share of training records with |z| &gt; 3 (two-proportion z test) and by more than 5 percentage points.</p>
<p class="sort-hint" hidden>Click a column heading to sort.</p>
${sortableTable('drift-rules', [th('Rule', 'id', 'text'), th('Class', 'class', 'text'), th('Training share', 'trainingShare', 'number'), th('Log share', 'logShare', 'number'), th('Change', 'change', 'number'), th('z', 'z', 'number', 'two-proportion z statistic, log vs training'), th('Status', 'drifted', 'text')], rows)}`;
  }

  private matrix(
    id: string,
    caption: string,
    rows: string,
    columns: string,
    m: number[][],
  ): string {
    const head = this.classes.map((c) => `<th scope="col" class="num">${e(c)}</th>`).join('');
    const body = this.classes
      .map((c, i) => {
        const row = m[i] ?? [];
        const cells = this.classes
          .map((_, j) => {
            const v = row[j] ?? 0;
            return `<td class="num${i === j ? ' diag' : ''}">${formatCount(v)}</td>`;
          })
          .join('');
        const total = row.reduce((s, v) => s + v, 0);
        return `<tr><th scope="row">${e(c)}</th>${cells}<td class="num total">${formatCount(total)}</td></tr>`;
      })
      .join('\n');
    return `<table id="${id}" class="matrix">
<caption>${e(caption)}<br><small>rows: ${e(rows)} class, columns: ${e(columns)} class</small></caption>
<thead><tr><th scope="col">${e(rows)} ↓ ${e(columns)} →</th>${head}<th scope="col" class="num total">Total</th></tr></thead>
<tbody>
${body}
</tbody>
</table>`;
  }

  private classTag(name: string): string {
    const i = this.classes.indexOf(name);
    return `<span class="class-tag${i < 0 ? '' : ` cls-${i}`}">${e(name)}</span>`;
  }

  private legend(): string {
    const items = this.classes
      .map(
        (c, i) => `<span class="legend-item"><span class="swatch cls-${i}"></span>${e(c)}</span>`,
      )
      .join('');
    return `<p class="legend" aria-label="Class colours">${items}</p>`;
  }
}

/** Rules the log names, in hit-policy order, then any ids the log names that the report does not list. */
function driftRuleIds(report: AuditReport, drift: DriftSection): string[] {
  const named = new Set([
    ...drift.rules.map((r) => r.id),
    ...drift.buckets.flatMap((b) => Object.keys(b.counts)),
  ]);
  const listed = report.rules.map((r) => r.id).filter((id) => named.has(id));
  const known = new Set(listed);
  return [...listed, ...[...named].filter((id) => !known.has(id))];
}

function meta(label: string, valueHtml: string): string {
  return `<div><dt>${e(label)}</dt><dd>${valueHtml}</dd></div>`;
}

/** A sortable table (see the sort script): headings from {@link th}, body rows as HTML. */
function sortableTable(id: string, headings: string[], rows: string, caption?: string): string {
  return `<table id="${id}" class="sortable">
${caption === undefined ? '' : `<caption>${e(caption)}</caption>\n`}<thead><tr>${headings.join('')}</tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

/** A sortable column heading; numbers sort numerically, missing figures last. */
function th(label: string, key: string, type: 'number' | 'text', title?: string): string {
  const hint = title === undefined ? '' : ` title="${e(title)}"`;
  const align = type === 'number' ? ' class="num"' : '';
  return `<th scope="col" data-key="${e(key)}" data-type="${type}"${align}${hint}>${e(label)}</th>`;
}

/** A number cell: the figure as text, the exact value in `data-value` for sorting ('' = missing). */
function num(value: number | null, text: string): string {
  return `<td class="num" data-value="${value === null || !Number.isFinite(value) ? '' : value}">${e(text)}</td>`;
}

/** A file path that wraps only after a slash, never at a hyphen inside a name. */
function pathHtml(path: string): string {
  return path
    .split(/(?<=\/)/)
    .map((part) => `<span class="nowrap">${e(part)}</span>`)
    .join('<wbr>');
}

/** A text cell; null reads as a dash and sorts last. */
function textCell(text: string | null, className?: string): string {
  const cls = className === undefined ? '' : ` class="${className}"`;
  return text === null ? `<td${cls} data-value="">${NO_FIGURE}</td>` : `<td${cls}>${e(text)}</td>`;
}

/**
 * A rule sentence with one condition per line: it breaks before each top-level " and "
 * (outside quotes and parentheses), so long rules read as a list. The text is unchanged.
 */
function ruleTextHtml(text: string): string {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && text.startsWith(' and ', i)) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts.map((p) => `<span class="condition">${e(p)}</span>`).join(' ');
}

function intervalHtml(interval: ProportionInterval): string {
  return `<span title="${e(`${interval.successes} of ${interval.trials}; ${interval.method}`)}">${e(formatInterval(interval))}</span>`;
}

/**
 * Sortable tables. Turns each heading of a `table.sortable` into a button; numbers sort
 * by `data-value` (largest first on the first click), text by its content (A–Z first);
 * a cell whose `data-value` is empty is a missing figure and stays last either way.
 */
const SORT_SCRIPT = `(function () {
  'use strict';
  Array.prototype.forEach.call(document.querySelectorAll('.sort-hint'), function (p) { p.hidden = false; });
  function key(cell, numeric) {
    var raw = cell ? cell.getAttribute('data-value') : '';
    var text = raw === null ? cell.textContent.trim() : raw;
    if (text === '') return null;
    if (!numeric) return text;
    var n = Number(text);
    return isNaN(n) ? null : n;
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = document.createElement('button');
      button.type = 'button';
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener('click', function () {
        var numeric = th.getAttribute('data-type') === 'number';
        var first = numeric ? 'descending' : 'ascending';
        var dir = th.getAttribute('aria-sort') === first ? (numeric ? 'ascending' : 'descending') : first;
        Array.prototype.forEach.call(heads, function (other) { other.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', dir);
        var sign = dir === 'ascending' ? 1 : -1;
        var body = table.tBodies[0];
        var rows = Array.prototype.map.call(body.rows, function (row, i) {
          return { row: row, key: key(row.cells[col], numeric), i: i };
        });
        rows.sort(function (a, b) {
          if (a.key === null || b.key === null) return a.key === b.key ? a.i - b.i : a.key === null ? 1 : -1;
          var d = numeric ? a.key - b.key : a.key.localeCompare(b.key, undefined, { numeric: true });
          return d !== 0 ? sign * d : a.i - b.i;
        });
        rows.forEach(function (r) { body.appendChild(r.row); });
      });
    });
  });
})();`;

const STYLE = `:root {
  --text: #1f2328; --muted: #5b616b; --line: #d8dbe0; --soft: #f6f7f9; --accent: #0b5cad;
  --good: #e7f4ea; --warn: #fff4d6; --cls: #777777;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; color: var(--text); background: #fff;
  font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
}
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 28px; margin: 0 0 12px; letter-spacing: -0.01em; }
h2 { font-size: 20px; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 24px 0 8px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace; font-size: 0.92em; }
.kicker { margin: 0; color: var(--muted); text-transform: uppercase; letter-spacing: 0.08em; font-size: 12px; }
.meta { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 0 0 12px; }
.meta dt { color: var(--muted); font-size: 12px; }
.meta dd { margin: 0; }
.toc { display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 8px 0; border-top: 1px solid var(--line); }
.toc a { color: var(--accent); text-decoration: none; }
.toc a:hover { text-decoration: underline; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px; margin: 16px 0 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; background: var(--soft); }
.card-label { color: var(--muted); font-size: 12px; }
.card-value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card-note { color: var(--muted); font-size: 12px; }
.grid { display: flex; flex-wrap: wrap; gap: 16px 32px; align-items: flex-start; }
.grow { flex: 1 1 520px; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 0 0 6px; }
caption small { font-weight: 400; color: var(--muted); }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--line); font-size: 12px; color: var(--muted); font-weight: 600; vertical-align: bottom; }
tbody th { font-weight: 500; }
.num { text-align: right; white-space: nowrap; }
.rule-text { min-width: 300px; max-width: 560px; }
.rule-text .condition { display: block; padding-left: 2.2em; text-indent: -2.2em; }
tbody th code, .nowrap { white-space: nowrap; }
.reason { min-width: 130px; }
#overrides .rule-text { min-width: 200px; }
tr.override { background: #fbf8ef; }
tr.drifted { background: var(--warn); }
td.below { background: var(--warn); font-weight: 600; }
h3 small { font-weight: 400; color: var(--muted); }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; background: #b35900; color: #fff; font-size: 12px; font-weight: 600; }
.mark { display: inline-block; padding: 0 6px; border: 1px solid var(--line); border-radius: 3px; font-size: 12px; background: var(--soft); white-space: nowrap; }
.class-tag { display: inline-block; padding: 0 6px; border-left: 4px solid var(--cls); background: var(--soft); white-space: nowrap; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 8px 0; font-size: 13px; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; background: var(--cls); }
.matrix td.diag { background: var(--good); font-weight: 600; }
.gallery { display: flex; flex-wrap: wrap; gap: 12px; }
.misperceived { margin: 0; font-size: 0.85em; max-width: 12em; }
.grey-image { display: block; border: 1px solid var(--muted); }
.matrix .total { color: var(--muted); }
.note, figcaption { color: var(--muted); font-size: 13px; }
.warning { padding: 8px 12px; border-left: 4px solid #b45309; background: #fff7ed; }
.empty { padding: 12px 14px; border: 1px dashed var(--line); border-radius: 6px; color: var(--muted); background: var(--soft); }
figure { margin: 8px 0 12px; }
svg { display: block; }
svg.chart { max-width: 100%; height: auto; }
/* The tree may use the whole window width, beyond the text column. */
.tree-scroll {
  border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff;
  margin-left: calc(50% - 50vw + 24px); margin-right: calc(50% - 50vw + 24px);
}
.tree-scroll svg { max-width: none; margin: 0 auto; }
details { margin: 4px 0 16px; }
summary { cursor: pointer; color: var(--accent); }
th button { all: unset; cursor: pointer; display: inline-block; }
th button:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
th[aria-sort] { color: var(--text); }
th[aria-sort="ascending"] button::after { content: ' ▲'; font-size: 10px; }
th[aria-sort="descending"] button::after { content: ' ▼'; font-size: 10px; }
footer { margin-top: 48px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  .toc, .sort-hint { display: none !important; }
  .scroll, .tree-scroll { overflow: visible; border: 0; margin: 0; }
  svg, .tree-scroll svg { max-width: 100% !important; height: auto; }
  h2 { break-after: avoid; }
  figure, .matrix, .card, tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}`;
