import { escapeXml } from './escape-xml';

const FONT_FAMILY =
  "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const FONT_SIZE = 12;
/** A generous average advance of one character at FONT_SIZE, for sizing label columns. */
const CHAR_WIDTH = 7;
const AXIS_COLOUR = '#8a8f98';
const GRID_COLOUR = '#e3e5e8';
const TEXT_COLOUR = '#1f2328';
const MUTED_COLOUR = '#5b616b';
/** Figures under a reference line (the report's badge colour). */
const WARN_COLOUR = '#b35900';

/** One bar of a horizontal bar chart. */
export interface Bar {
  label: string;
  value: number;
  colour: string;
  /** The value as printed at the end of the bar. */
  valueText: string;
  /** Tooltip text. @defaultValue `label: valueText` */
  title?: string;
}

/** A colour swatch with its meaning. */
export interface LegendItem {
  label: string;
  colour: string;
}

export interface BarChartOptions {
  /** Id of the `<svg>` element. */
  id: string;
  /** Accessible title of the chart. */
  title: string;
  bars: Bar[];
  /** Upper end of the value axis. @defaultValue a round number at or above the largest value */
  max?: number;
  /** How axis ticks read. @defaultValue String */
  tickFormat?: (value: number) => string;
  legend?: LegendItem[];
}

/**
 * A horizontal bar chart as inline SVG: one labelled row per bar, a value axis with
 * gridlines below, values printed at the bar ends. Each bar is a `rect.bar` carrying
 * `data-label` and `data-value`.
 */
export function barChartSvg(options: BarChartOptions): string {
  const { id, bars } = options;
  const tickFormat = options.tickFormat ?? String;
  const ticks = niceTicks(options.max ?? Math.max(0, ...bars.map((b) => b.value)));
  const max = ticks[ticks.length - 1]!;
  const labelWidth = Math.ceil(Math.max(4, ...bars.map((b) => b.label.length)) * CHAR_WIDTH) + 12;
  const valueWidth = Math.ceil(Math.max(4, ...bars.map((b) => b.valueText.length)) * CHAR_WIDTH);
  const plotWidth = 420;
  const rowHeight = 22;
  const barHeight = 14;
  const width = labelWidth + plotWidth + 8 + valueWidth + 8;
  const legend = legendSvg(options.legend ?? [], 0, width);
  const top = legend.height + 6;
  const plotHeight = bars.length * rowHeight;
  const height = top + plotHeight + 26;
  const x = (v: number): number => round1(labelWidth + (max > 0 ? (v / max) * plotWidth : 0));

  const grid = ticks
    .map(
      (t) =>
        `<line x1="${x(t)}" y1="${top}" x2="${x(t)}" y2="${top + plotHeight}" stroke="${GRID_COLOUR}"/>` +
        `<text x="${x(t)}" y="${top + plotHeight + 16}" text-anchor="middle" fill="${MUTED_COLOUR}" font-size="11">${escapeXml(tickFormat(t))}</text>`,
    )
    .join('');
  const rows = bars
    .map((b, i) => {
      const y = top + i * rowHeight;
      const w = b.value > 0 ? Math.max(1, round1(x(b.value) - labelWidth)) : 0;
      const title = b.title ?? `${b.label}: ${b.valueText}`;
      return (
        `<g class="row">` +
        `<text x="${labelWidth - 8}" y="${y + rowHeight / 2 + 4}" text-anchor="end" fill="${TEXT_COLOUR}">${escapeXml(b.label)}</text>` +
        `<rect class="bar" data-label="${escapeXml(b.label)}" data-value="${b.value}" x="${labelWidth}" y="${y + (rowHeight - barHeight) / 2}" width="${w}" height="${barHeight}" fill="${b.colour}"><title>${escapeXml(title)}</title></rect>` +
        `<text x="${labelWidth + w + 6}" y="${y + rowHeight / 2 + 4}" fill="${TEXT_COLOUR}">${escapeXml(b.valueText)}</text></g>`
      );
    })
    .join('');
  const axis = `<line x1="${labelWidth}" y1="${top}" x2="${labelWidth}" y2="${top + plotHeight}" stroke="${AXIS_COLOUR}"/>`;
  return svgRoot(id, options.title, width, height, legend.svg + grid + rows + axis);
}

/** One series (stack layer) of a stacked bar chart: a value per category. */
export interface Series {
  key: string;
  label: string;
  colour: string;
  values: number[];
}

export interface StackedBarChartOptions {
  id: string;
  title: string;
  /** One column per category, left to right; `title` is its tooltip. */
  categories: { label: string; title: string }[];
  /** Stacked bottom-up in this order. */
  series: Series[];
  /** Series keys drawn with a heavier outline and marked in the legend. */
  highlight?: ReadonlySet<string>;
}

/**
 * A vertical stacked bar chart as inline SVG: one column per category, one coloured
 * segment per series (a `rect.bar` with `data-series` and `data-value`), the column total
 * on top, a count axis on the left and a legend below.
 */
export function stackedBarChartSvg(options: StackedBarChartOptions): string {
  const { id, categories, series } = options;
  const highlight = options.highlight ?? new Set<string>();
  const totals = categories.map((_, c) => series.reduce((s, x) => s + (x.values[c] ?? 0), 0));
  const ticks = niceTicks(Math.max(0, ...totals));
  const max = ticks[ticks.length - 1]!;
  const axisWidth = Math.ceil(Math.max(...ticks.map((t) => String(t).length)) * CHAR_WIDTH) + 16;
  const step = categories.length <= 16 ? 44 : Math.max(14, 704 / categories.length);
  const plotWidth = Math.max(360, Math.ceil(step * categories.length));
  const barWidth = round1(Math.min(32, step * 0.72));
  const width = axisWidth + plotWidth + 16;
  const top = 18;
  const plotHeight = 220;
  const y = (v: number): number =>
    round1(top + plotHeight - (max > 0 ? (v / max) * plotHeight : 0));
  const labelEvery = Math.max(
    1,
    Math.ceil((Math.max(...categories.map((c) => c.label.length)) * CHAR_WIDTH + 8) / step),
  );
  const legend = legendSvg(
    series.map((s) => ({
      label: highlight.has(s.key) ? `${s.label} (drifted)` : s.label,
      colour: s.colour,
    })),
    top + plotHeight + 30,
    width,
  );
  const height = top + plotHeight + 30 + legend.height + 4;

  const grid = ticks
    .map(
      (t) =>
        `<line x1="${axisWidth}" y1="${y(t)}" x2="${axisWidth + plotWidth}" y2="${y(t)}" stroke="${GRID_COLOUR}"/>` +
        `<text x="${axisWidth - 6}" y="${y(t) + 4}" text-anchor="end" fill="${MUTED_COLOUR}" font-size="11">${t}</text>`,
    )
    .join('');
  const columns = categories
    .map((cat, c) => {
      const cx = round1(axisWidth + (c + 0.5) * (plotWidth / categories.length));
      let base = 0;
      const segments = series
        .map((s) => {
          const v = s.values[c] ?? 0;
          if (v <= 0) return '';
          const y1 = y(base + v);
          const h = Math.max(0.5, round1(y(base) - y1));
          base += v;
          const outline = highlight.has(s.key) ? ` stroke="${TEXT_COLOUR}" stroke-width="1"` : '';
          return `<rect class="bar segment" data-series="${escapeXml(s.key)}" data-value="${v}" x="${round1(cx - barWidth / 2)}" y="${y1}" width="${barWidth}" height="${h}" fill="${s.colour}"${outline}><title>${escapeXml(`${cat.title}: ${s.label} ${v}`)}</title></rect>`;
        })
        .join('');
      const total =
        barWidth >= 20
          ? `<text x="${cx}" y="${y(totals[c]!) - 4}" text-anchor="middle" fill="${MUTED_COLOUR}" font-size="10">${totals[c]}</text>`
          : '';
      const label =
        c % labelEvery === 0
          ? `<text x="${cx}" y="${top + plotHeight + 16}" text-anchor="middle" fill="${MUTED_COLOUR}" font-size="11">${escapeXml(cat.label)}</text>`
          : '';
      return `<g class="column"><title>${escapeXml(`${cat.title}: ${totals[c]}`)}</title>${segments}${total}${label}</g>`;
    })
    .join('');
  const axis = `<line x1="${axisWidth}" y1="${top + plotHeight}" x2="${axisWidth + plotWidth}" y2="${top + plotHeight}" stroke="${AXIS_COLOUR}"/>`;
  return svgRoot(id, options.title, width, height, grid + columns + axis + legend.svg);
}

/** One row of a {@link groupSharesChartSvg} panel: a group of a protected feature. */
export interface GroupSharesRow {
  label: string;
  /** Tooltip of the row. */
  title: string;
  /** Shares of the group (summing to 1), stacked left to right, one per class. */
  shares: { key: string; label: string; colour: string; value: number }[];
  /** Ratios to the most favoured group, one bar each; null where undefined. */
  ratios: { key: string; label: string; colour: string; value: number | null }[];
}

export interface GroupSharesChartOptions {
  id: string;
  title: string;
  /** One small chart per panel (a protected feature), laid out two abreast. */
  panels: { title: string; rows: GroupSharesRow[] }[];
  /** Where the dashed reference line crosses the ratio axis (the four-fifths rule's 0.8). */
  reference: number;
  legend: LegendItem[];
}

/**
 * Small multiples as inline SVG: one small chart per panel, each a row per group with a
 * 100%-stacked bar of its shares (`rect.bar.share` with `data-series` and `data-value`)
 * and, beside it, a bar per ratio on a 0–1 axis (`rect.bar.ratio`) with a dashed reference
 * line; a ratio under the reference is printed in the warning colour. The legend is on top.
 */
export function groupSharesChartSvg(options: GroupSharesChartOptions): string {
  const { panels, reference } = options;
  const allRows = panels.flatMap((p) => p.rows);
  const labelWidth =
    Math.ceil(Math.max(4, ...allRows.map((r) => r.label.length)) * CHAR_WIDTH) + 12;
  const shareWidth = 160;
  const ratioWidth = 120;
  const gap = 30;
  const valueWidth = 44;
  const panelWidth = labelWidth + shareWidth + gap + ratioWidth + valueWidth;
  const columns = Math.min(2, Math.max(1, panels.length));
  const width = columns * panelWidth + (columns - 1) * 28 + 8;
  const legend = legendSvg(options.legend, 0, width);
  const ratioBar = 8;
  const rowHeight = (r: GroupSharesRow): number =>
    Math.max(22, 6 + r.ratios.length * (ratioBar + 2));
  const panelHeight = (p: { rows: GroupSharesRow[] }): number =>
    48 + p.rows.reduce((h, r) => h + rowHeight(r), 0) + 22;

  let top = legend.height + 8;
  const drawn: string[] = [];
  for (let first = 0; first < panels.length; first += columns) {
    const line = panels.slice(first, first + columns);
    line.forEach((panel, c) => {
      drawn.push(panelSvg(panel, c * (panelWidth + 28), top));
    });
    top += Math.max(...line.map(panelHeight)) + 12;
  }

  function panelSvg(
    panel: { title: string; rows: GroupSharesRow[] },
    left: number,
    y0: number,
  ): string {
    const shareX = left + labelWidth;
    const ratioX = shareX + shareWidth + gap;
    const plotTop = y0 + 48;
    const plotBottom = plotTop + panel.rows.reduce((h, r) => h + rowHeight(r), 0);
    const head =
      `<text x="${left + 4}" y="${y0 + 14}" fill="${TEXT_COLOUR}" font-weight="600">${escapeXml(panel.title)}</text>` +
      `<text x="${shareX}" y="${y0 + 30}" fill="${MUTED_COLOUR}" font-size="11">share decided</text>` +
      `<text x="${ratioX}" y="${y0 + 30}" fill="${MUTED_COLOUR}" font-size="11">ratio to the most favoured</text>`;
    let y = plotTop;
    const rows = panel.rows
      .map((row) => {
        const h = rowHeight(row);
        const middle = y + h / 2;
        let offset = 0;
        const segments = row.shares
          .map((s) => {
            const w = round1(s.value * shareWidth);
            const x = round1(shareX + offset);
            offset += s.value * shareWidth;
            return s.value > 0
              ? `<rect class="bar share" data-series="${escapeXml(s.key)}" data-value="${s.value}" x="${x}" y="${middle - 7}" width="${Math.max(0.5, w)}" height="14" fill="${s.colour}"><title>${escapeXml(`${row.label}: ${s.label} ${(s.value * 100).toFixed(1)}%`)}</title></rect>`
              : '';
          })
          .join('');
        const barsTop = middle - (row.ratios.length * (ratioBar + 2) - 2) / 2;
        const ratios = row.ratios
          .map((r, i) => {
            const by = round1(barsTop + i * (ratioBar + 2));
            const w =
              r.value === null ? 0 : r.value > 0 ? Math.max(1, round1(r.value * ratioWidth)) : 0;
            const below = r.value !== null && r.value < reference;
            const text = r.value === null ? '—' : r.value.toFixed(2);
            return (
              (r.value === null
                ? ''
                : `<rect class="bar ratio" data-series="${escapeXml(r.key)}" data-value="${r.value}" x="${ratioX}" y="${by}" width="${w}" height="${ratioBar}" fill="${r.colour}"><title>${escapeXml(`${row.label}: ratio of ${r.label} ${text}`)}</title></rect>`) +
              `<text x="${ratioX + ratioWidth + 4}" y="${by + ratioBar}" font-size="10" fill="${below ? WARN_COLOUR : MUTED_COLOUR}"${below ? ' font-weight="600"' : ''}>${escapeXml(text)}</text>`
            );
          })
          .join('');
        y += h;
        return (
          `<g class="row"><title>${escapeXml(row.title)}</title>` +
          `<text x="${shareX - 8}" y="${middle + 4}" text-anchor="end" fill="${TEXT_COLOUR}">${escapeXml(row.label)}</text>` +
          segments +
          ratios +
          '</g>'
        );
      })
      .join('');
    const refX = round1(ratioX + reference * ratioWidth);
    const axes =
      [0, 0.5, 1]
        .map(
          (t) =>
            `<line x1="${round1(shareX + t * shareWidth)}" y1="${plotTop}" x2="${round1(shareX + t * shareWidth)}" y2="${plotBottom}" stroke="${GRID_COLOUR}"/>` +
            `<text x="${round1(shareX + t * shareWidth)}" y="${plotBottom + 14}" text-anchor="middle" fill="${MUTED_COLOUR}" font-size="10">${t * 100}%</text>` +
            `<line x1="${round1(ratioX + t * ratioWidth)}" y1="${plotTop}" x2="${round1(ratioX + t * ratioWidth)}" y2="${plotBottom}" stroke="${GRID_COLOUR}"/>` +
            `<text x="${round1(ratioX + t * ratioWidth)}" y="${plotBottom + 14}" text-anchor="middle" fill="${MUTED_COLOUR}" font-size="10">${t}</text>`,
        )
        .join('') +
      `<line class="reference" x1="${refX}" y1="${plotTop - 2}" x2="${refX}" y2="${plotBottom}" stroke="${WARN_COLOUR}" stroke-dasharray="3 2"/>` +
      `<text x="${refX}" y="${plotTop - 4}" text-anchor="middle" fill="${WARN_COLOUR}" font-size="10">${reference}</text>`;
    return `<g class="panel">${head}${axes}${rows}</g>`;
  }

  return svgRoot(options.id, options.title, width, top, legend.svg + drawn.join(''));
}

/**
 * Round axis ticks from 0 to at least `max`, about five of them, in steps of 1, 2 or 5
 * times a power of ten.
 */
export function niceTicks(max: number, target = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const t = Number((i * step).toPrecision(12));
    ticks.push(t);
    if (t >= max) return ticks;
  }
}

/** Legend swatches laid out in rows that wrap at `width`, starting at `top`. */
function legendSvg(
  items: LegendItem[],
  top: number,
  width: number,
): { svg: string; height: number } {
  if (items.length === 0) return { svg: '', height: 0 };
  const rowHeight = 18;
  let x = 8;
  let row = 0;
  const parts = items.map((item) => {
    const itemWidth = 14 + 6 + Math.ceil(item.label.length * CHAR_WIDTH) + 14;
    if (x > 8 && x + itemWidth > width) {
      x = 8;
      row++;
    }
    const y = top + row * rowHeight;
    const part =
      `<g class="legend-item"><rect x="${x}" y="${y + 3}" width="12" height="12" rx="2" fill="${item.colour}"/>` +
      `<text x="${x + 18}" y="${y + 13}" fill="${TEXT_COLOUR}" font-size="11">${escapeXml(item.label)}</text></g>`;
    x += itemWidth;
    return part;
  });
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: (row + 1) * rowHeight };
}

function svgRoot(id: string, title: string, width: number, height: number, body: string): string {
  const safeId = escapeXml(id);
  return (
    `<svg id="${safeId}" class="chart" role="img" aria-labelledby="${safeId}-title" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}" font-size="${FONT_SIZE}">` +
    `<title id="${safeId}-title">${escapeXml(title)}</title>${body}</svg>`
  );
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
