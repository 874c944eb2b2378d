import {
  formatCount,
  formatDelta,
  formatInterval,
  formatPoints,
  formatRate,
  formatShare,
  formatTime,
  needsSeconds,
  shortHash,
} from './format-figures';
import type { AuditReport, TreeView, TreeViewNode } from '../audit/types';
import { printableName } from '../audit/fairness';
import { balancedSummary } from '../audit/metrics';
import { greyImageText } from './grey-image';
import { shadowRows } from './shadow-rows';

/**
 * The audit report as GitHub-flavoured Markdown: the same sections and figures as the
 * HTML page, charts as tables of their numbers and the tree as an indented outline.
 * Text from the report is escaped (`|` in table cells included); rule conditions are
 * code spans, so `<`, `>` and quotes read as written.
 *
 * @example
 * writeFileSync('audit.md', renderMarkdown(report));
 */
export function renderMarkdown(report: AuditReport): string {
  const sections = [
    header,
    summary,
    dataSection,
    qualitySection,
    perceptionSection,
    rulesSection,
    treeSection,
    overridesSection,
    fairnessSection,
    driftSection,
    shadowSection,
  ];
  return sections
    .flatMap((section) => section(report))
    .join('\n')
    .replace(/\n+$/, '\n');
}

// Each section gives its lines, ending with a blank one; they are named as the HTML
// page's sections (render-html.ts), so the two renderers can be read side by side.

function header({ model, data, generatedAt }: AuditReport): string[] {
  return [
    `# Audit: ${text(model.name)}`,
    '',
    `- **Rule set:** ${code(shortHash(model.ruleSetHash))}`,
    `- **Generated:** ${formatTime(generatedAt)}`,
    `- **Evaluated on:** ${text(data.evaluatedOn)}`,
    `- **Model built:** ${formatTime(model.createdAt)} from ${code(model.dataFile)}`,
    `- **Backend, seed:** ${text(model.backend)}, ${model.seed}`,
    '',
  ];
}

function summary({ quality: q, rules, data }: AuditReport): string[] {
  const overrideCount = rules.filter((r) => r.source === 'override').length;
  return [
    `Network accuracy **${formatRate(q.networkAccuracy)}**, rules accuracy **${formatRate(q.rulesAccuracy)}**, ` +
      `fidelity **${formatInterval(q.fidelity)}**; ${rules.length} rules ` +
      `(${rules.length - overrideCount} distilled, ${overrideCount} overrides) on ${formatCount(data.records)} records.`,
    '',
  ];
}

function dataSection({ data }: AuditReport): string[] {
  const total = data.classes.reduce((s, c) => s + c.count, 0);
  return [
    '## Data and schema',
    '',
    `${formatCount(data.records)} records: ${text(data.evaluatedOn)}. Feature ranges from ${text(data.schemaFrom)}.`,
    '',
    ...table(
      ['Feature', 'Type', 'Values', 'Marks'],
      data.features.map((f) => [
        code(f.name),
        f.type,
        text(f.summary),
        [
          f.immutable ? 'immutable' : '',
          f.monotone ? `monotone ${f.monotone}` : '',
          f.protected ? 'protected' : '',
        ]
          .filter(Boolean)
          .join(', ') || '—',
      ]),
      ['l', 'l', 'l', 'l'],
    ),
    '',
    ...table(
      ['Class', 'Records', 'Share'],
      data.classes.map((c) => [
        text(c.name),
        formatCount(c.count),
        formatShare(total ? c.count / total : null),
      ]),
    ),
    '',
  ];
}

function qualitySection({ quality: q }: AuditReport): string[] {
  const { balanced, worst } = balancedSummary(q.fidelityPerClass);
  return [
    '## Network vs rules',
    '',
    ...table(
      ['Model', 'Accuracy', 'Fidelity to the network'],
      [
        ['Network', formatRate(q.networkAccuracy), '—'],
        [
          'Rules with overrides (as served)',
          formatRate(q.rulesAccuracy),
          formatInterval(q.fidelity),
        ],
        [
          'Distilled rules alone',
          formatRate(q.distilledAccuracy),
          formatInterval(q.distilledFidelity),
        ],
      ],
    ),
    '',
    `Fidelity: the rules decide the network's class on ${formatCount(q.fidelity.successes)} of ` +
      `${formatCount(q.fidelity.trials)} records (${text(q.fidelity.method)}).`,
    '',
    ...(worst
      ? [
          `Balanced fidelity (the mean over the network's classes): ${formatRate(balanced)}; ` +
            `the class the rules follow least is ${text(worst.class)}: ${formatRate(worst.fidelity)} ` +
            `(${formatCount(worst.agree)} of ${formatCount(worst.records)}).`,
          '',
        ]
      : []),
    '### Fidelity per class',
    '',
    ...table(
      ["Network's class", 'Records', 'Rules agree', 'Fidelity'],
      q.fidelityPerClass.map((p) => [
        text(p.class),
        formatCount(p.records),
        formatCount(p.agree),
        formatRate(p.fidelity),
      ]),
    ),
    '',
    '### Confusion matrices',
    '',
    ...matrix('Network', 'true', 'network', q.classes, q.confusion.network),
    '',
    ...matrix('Rules with overrides', 'true', 'rules', q.classes, q.confusion.rules),
    '',
    ...matrix('Rules vs network', 'network', 'rules', q.classes, q.rulesVsNetwork),
    '',
  ];
}

function rulesSection({ rules }: AuditReport): string[] {
  return [
    '## Rules',
    '',
    `${rules.length} rules in hit-policy order (overrides first); the first rule that matches decides.`,
    '',
    ...table(
      [
        'Rule',
        'Source',
        'Conditions',
        'Class',
        'Terms',
        'Support',
        'Confidence',
        'Val. fidelity',
        'Hits',
        'Hit share',
        'Accuracy',
        'Fidelity',
      ],
      rules.map((r) => [
        code(r.id),
        r.source,
        code(r.text),
        text(r.class),
        String(r.conditions),
        formatCount(r.support),
        formatRate(r.confidence),
        formatRate(r.validationFidelity),
        formatCount(r.hits),
        formatShare(r.hitShare),
        formatRate(r.accuracy),
        formatRate(r.fidelity),
      ]),
      ['l', 'l', 'l', 'l'],
    ),
    '',
    '### Coverage',
    '',
    ...table(
      ['Rule', 'Class', 'Hits', 'Hit share'],
      [...rules]
        .sort((a, b) => b.hits - a.hits)
        .map((r) => [code(r.id), text(r.class), formatCount(r.hits), formatShare(r.hitShare)]),
      ['l', 'l'],
    ),
    '',
  ];
}

function treeSection({ tree }: AuditReport): string[] {
  return [
    '## Distilled tree',
    '',
    'Each leaf is one distilled rule; a split sends a record along *yes* when its test holds. ' +
      "Counts are training samples reaching the node: real records and the synthetic ones distillation labelled with the network (a rule's support counts real records only).",
    '',
    ...fence(treeOutline(tree)),
    '',
  ];
}

function overridesSection({ overrides: o, data: { records } }: AuditReport): string[] {
  if (o.items.length === 0) {
    return ['## Overrides', '', 'No overrides: the distilled rules decide alone.', ''];
  }
  return [
    '## Overrides',
    '',
    `${o.items.length} overrides change ${formatCount(o.changed)} of ${formatCount(records)} decisions ` +
      `(${formatShare(records ? o.changed / records : null)}).`,
    '',
    ...table(
      ['', 'Without', 'With', 'Change'],
      [
        [
          'Accuracy',
          formatRate(o.accuracyWithout),
          formatRate(o.accuracyWith),
          formatDelta(o.accuracyWith - o.accuracyWithout),
        ],
        [
          'Fidelity',
          formatRate(o.fidelityWithout),
          formatRate(o.fidelityWith),
          formatDelta(o.fidelityWith - o.fidelityWithout),
        ],
      ],
      ['l'],
    ),
    '',
    ...table(
      [
        'Override',
        'Defined in',
        'Class',
        'Priority',
        'Conditions',
        'Reason',
        'Owner',
        'Fires',
        'Changed',
        'Δ accuracy',
        'Δ fidelity',
      ],
      o.items.map((item) => [
        code(item.id),
        code(`${item.file}:${item.line}`),
        text(item.class),
        String(item.priority),
        code(item.text),
        item.reason === null ? '—' : text(item.reason),
        item.owner === null ? '—' : text(item.owner),
        formatCount(item.fires),
        formatCount(item.changed),
        formatDelta(item.accuracyDelta),
        formatDelta(item.fidelityDelta),
      ]),
      ['l', 'l', 'l', 'r', 'l', 'l', 'l'],
    ),
    '',
  ];
}

function fairnessSection({ fairness: fair, quality: { classes } }: AuditReport): string[] {
  if (!fair) return [];
  const recallOf = fair.favourable !== null ? [fair.favourable] : classes;
  const out = [
    '## Fairness by group',
    '',
    `Protected features ${fair.from === 'option' ? 'given to the audit' : 'marked in the schema'}: ` +
      `${fair.features.map((f) => code(f.name)).join(', ')}. For each group, the share of its records the rules ` +
      '(with overrides, as served) decide as each class, and that share over the share of the group with the most of it: ' +
      `the four-fifths rule flags a ratio under ${fair.reference} (**bold** below). ` +
      (fair.favourable !== null
        ? `The favourable class is ${text(fair.favourable)}: its share is the selection rate, and only its ratios are checked.`
        : 'No favourable class was named: every class’s ratios are shown and checked.'),
    '',
    'Numeric features are cut into bands, each from its lower bound up to but not including the next ' +
      '(given, or the quartiles of the audited records); records without a value form the group *missing*. ' +
      'Every group with a record is listed, however small: its records say how far its figures can be trusted.',
    '',
  ];
  for (const f of fair.features) {
    const grouping = {
      levels: 'by level',
      bands: 'in the bands given',
      quartiles: 'in quartile bands of the audited records',
    }[f.grouping];
    const readers = [
      f.readBy.rules.length ? `distilled rules ${f.readBy.rules.map(code).join(', ')}` : '',
      f.readBy.overrides.length ? `overrides ${f.readBy.overrides.map(code).join(', ')}` : '',
    ].filter(Boolean);
    out.push(
      `### ${code(f.name)} (${f.type}, ${grouping})`,
      '',
      (readers.length
        ? `Read directly by ${readers.join(' and ')}.`
        : 'No rule or override reads it directly: any difference between its groups comes through other features.') +
        (f.empty.length
          ? ` No audited record falls in ${f.empty.map((g) => `*${text(printableName(g))}*`).join(', ')}.`
          : ''),
      '',
      ...table(
        [
          'Group',
          'Records',
          ...classes.map((c) => `Share ${text(c)}`),
          ...fair.checked.map((c) => `Ratio ${text(c)}`),
          'Accuracy',
          ...recallOf.map((c) => `${fair.favourable !== null ? 'TPR' : 'Recall'} ${text(c)}`),
          'Fidelity',
          'Balanced fidelity',
        ],
        f.groups.map((g) => [
          text(printableName(g.name)),
          formatCount(g.records),
          ...classes.map((c) => formatShare(g.shares[c] ?? null)),
          ...fair.checked.map((c) => {
            const r = g.ratios[c] ?? null;
            return r !== null && r < fair.reference ? `**${formatRate(r)}**` : formatRate(r);
          }),
          formatRate(g.accuracy),
          ...recallOf.map((c) => formatRate(g.recall[c] ?? null)),
          formatRate(g.fidelity),
          formatRate(g.balancedFidelity),
        ]),
      ),
      '',
    );
  }
  return out;
}

function driftSection(report: AuditReport): string[] {
  const drift = report.drift;
  if (!drift) {
    return ['## Drift', '', 'No drift figures: the audit was given no decision log.', ''];
  }
  const classOf = new Map(report.rules.map((r) => [r.id, r.class]));
  const named = new Set([
    ...drift.rules.map((r) => r.id),
    ...drift.buckets.flatMap((b) => Object.keys(b.counts)),
  ]);
  const listed = report.rules.map((r) => r.id).filter((id) => named.has(id));
  const ids = [...listed, ...[...named].filter((id) => !listed.includes(id))];
  const drifted = drift.rules.filter((r) => r.drifted);
  const secs = needsSeconds(drift.from, drift.to);
  return [
    '## Drift',
    '',
    `${formatCount(drift.decisions)} decisions from ${code(drift.logFile)}, ` +
      `${formatTime(drift.from, secs)} – ${formatTime(drift.to, secs)}; ${formatCount(drift.unreadable)} unreadable lines and ${formatCount(drift.otherRuleSets)} decisions of other rule sets left out.`,
    '',
    ...drift.warnings.flatMap((w) => [`> **Note:** ${w}`, '']),
    drifted.length
      ? `**Drifted:** ${drifted.map((r) => code(r.id)).join(', ')} (|z| > 3 and a share moved by more than 5 points).`
      : 'No rule drifted (|z| > 3 and a share moved by more than 5 points).',
    '',
    '### Decisions per rule over time',
    '',
    ...table(
      ['Bucket', 'Total', ...ids.map(text)],
      drift.buckets.map((b) => [
        `${formatTime(b.start, secs)} – ${formatTime(b.end, secs)}`,
        formatCount(b.total),
        ...ids.map((id) => formatCount(b.counts[id] ?? 0)),
      ]),
      ['l'],
    ),
    '',
    '### Share of decisions per rule',
    '',
    ...table(
      ['Rule', 'Class', 'Training share', 'Log share', 'Change', 'z', 'Status'],
      drift.rules.map((r) => [
        code(r.id),
        text(classOf.get(r.id) ?? '—'),
        formatShare(r.trainingShare),
        formatShare(r.logShare),
        formatPoints(r.logShare - r.trainingShare),
        formatDelta(r.z, 1),
        r.drifted ? '**drifted**' : 'stable',
      ]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  ];
}

/** Champion and challenger (`serve --shadow`): only for a log whose lines carry one. */
function shadowSection({ shadow }: AuditReport): string[] {
  if (!shadow) return [];
  const r = shadowRows(shadow);
  return [
    '## Champion and challenger',
    '',
    text(r.summary),
    '',
    '### Agreement by class',
    '',
    ...table(
      r.classHead,
      r.classRows.map((row) => row.map(text)),
      ['l', 'l', 'r', 'r'],
    ),
    '',
    '### Disagreements',
    '',
    r.listed,
    '',
    ...(r.disagreementRows.length
      ? [
          ...table(
            r.disagreementHead,
            r.disagreementRows.map((row) => row.map(text)),
            ['r', 'l', 'l', 'l', 'l'],
          ),
          '',
        ]
      : []),
  ];
}

/**
 * The tree as an indented outline, one node per line:
 *
 *     checking_status in {'<0', '0<=X<200'}  (n = 6,335; missing: yes)
 *     ├─ yes: R01 → bad  (n = 412)
 *     └─ no: …
 */
export function treeOutline(view: TreeView): string[] {
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const root = byId.get(0) ?? view.nodes[0];
  if (!root) return ['(empty tree)'];
  const lines: string[] = [];
  const label = (node: TreeViewNode): string =>
    node.kind === 'leaf'
      ? `${node.ruleId} → ${node.class}  (n = ${formatCount(node.count)})`
      : `${node.test}  (n = ${formatCount(node.count)}; missing: ${node.missing === 'left' ? 'yes' : 'no'})`;
  const visit = (node: TreeViewNode, prefix: string): void => {
    if (node.kind !== 'split') return;
    const children = [
      ['yes', byId.get(node.left)],
      ['no', byId.get(node.right)],
    ] as const;
    children.forEach(([branch, child], i) => {
      if (!child) return;
      const last = i === children.length - 1;
      lines.push(`${prefix}${last ? '└─' : '├─'} ${branch}: ${label(child)}`);
      visit(child, prefix + (last ? '   ' : '│  '));
    });
  };
  lines.push(label(root));
  visit(root, '');
  return lines;
}

/** A GFM table; `align` gives a column's alignment (default: right for all but the first). */
function table(head: string[], rows: string[][], align: ('l' | 'r')[] = ['l']): string[] {
  const rule = head.map((_, i) => ((align[i] ?? 'r') === 'r' ? '---:' : '---'));
  const line = (cells: string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), `| ${rule.join(' | ')} |`, ...rows.map(line)];
}

function matrix(
  caption: string,
  rows: string,
  columns: string,
  classes: string[],
  m: number[][],
): string[] {
  return [
    `**${text(caption)}** (rows: ${rows} class, columns: ${columns} class)`,
    '',
    ...table(
      [`${rows} ↓ ${columns} →`, ...classes.map(text), 'Total'],
      classes.map((c, i) => {
        const row = m[i] ?? [];
        const cells = classes.map((_, j) => {
          const v = formatCount(row[j] ?? 0);
          return i === j ? `**${v}**` : v;
        });
        return [text(c), ...cells, formatCount(row.reduce((s, v) => s + v, 0))];
      }),
    ),
  ];
}

function perceptionSection({ perception }: AuditReport): string[] {
  if (!perception) return [];
  const out = ['## Perception', ''];
  for (const c of perception) {
    out.push(
      `### Concept ${code(c.name)}`,
      '',
      c.accuracy
        ? `Perceived as labelled: ${formatInterval(c.accuracy)} on ${formatCount(c.accuracy.trials)} labelled records; misperceived ${formatCount(c.misperceivedCount)}.`
        : 'No evaluated record has a label.',
      '',
      ...matrix(`${c.name}`, 'labelled', 'perceived', c.classes, c.confusion),
      '',
    );
    for (const m of c.misperceived) {
      out.push(
        `- line ${m.line}: labelled ${code(m.label)}, perceived ${code(m.perceived)} (${m.confidence}); ` +
          (m.decision === m.decisionIfRight
            ? `decision ${code(m.decision)} either way`
            : `decided ${code(m.decision)}, read right ${code(m.decisionIfRight)}`),
      );
      if (m.pixels && c.shape) out.push('', ...fence(greyImageText(m.pixels, c.shape)), '');
    }
    out.push('');
  }
  return out;
}

/** A table cell: one line, `|` escaped (GFM splits cells on unescaped pipes, even in code spans). */
function cell(s: string): string {
  return s.replace(/\r?\n|\r/g, ' ').replace(/\|/g, '\\|');
}

/**
 * Plain text made literal: Markdown punctuation and `<` / `&` backslash-escaped. An
 * underscore inside a word is left alone (it never starts emphasis), so
 * `checking_status` stays readable in the raw file.
 */
function text(s: string): string {
  return s.replace(/[\\`*_[\]<>&~]/g, (c, i: number) =>
    c === '_' && isWordChar(s[i - 1]) && isWordChar(s[i + 1]) ? c : `\\${c}`,
  );
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9]/.test(c);
}

/** A code span that holds any text: the fence is longer than any run of backticks inside. */
function code(s: string): string {
  const longest = Math.max(0, ...(s.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** A fenced code block longer than any backtick run in its lines. */
function fence(lines: string[]): string[] {
  const longest = Math.max(2, ...lines.flatMap((l) => (l.match(/`+/g) ?? []).map((r) => r.length)));
  const mark = '`'.repeat(longest + 1);
  return [`${mark}text`, ...lines, mark];
}
