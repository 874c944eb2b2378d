import { classColour } from './colour-palette';
import { escapeXml } from './escape-xml';
import { formatCount, formatRate } from './format-figures';
import type { TreeView, TreeViewNode } from '../audit/types';

/** Monospace text, so a label's width is its length times one advance. */
const FONT_SIZE = 11;
/** Advance of one monospace character at FONT_SIZE (0.6 em, rounded up for safety). */
const CHAR_WIDTH = 6.7;
const LINE_HEIGHT = 14;
const PAD_X = 8;
const PAD_Y = 6;
/** Least space between two boxes on one layer. */
const H_GAP = 12;
/** Space between layers, room for the curved edges and their yes/no labels. */
const V_GAP = 46;
const MARGIN = 16;
/** Split tests wrap at this many characters, on at most MAX_TEST_LINES lines. */
const WRAP_CHARS = 24;
const MAX_TEST_LINES = 4;
const FONT_FAMILY = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace";

/** A node's box in the drawing: `x` is its centre, `y` its top, in SVG pixels. */
export interface PlacedNode {
  node: TreeViewNode;
  depth: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** The text lines drawn in the box. */
  lines: string[];
}

/** Where every node of a tree goes, and the size of the drawing. */
export interface TreeLayout {
  width: number;
  height: number;
  /** In the order of `view.nodes`. */
  nodes: PlacedNode[];
}

/**
 * A tidy layered layout (Reingold–Tilford): each layer is one depth; each subtree is
 * packed as close to its sibling as their outlines allow on every layer they share,
 * and each split is centred over its two children. Box widths follow their text, so
 * long tests never overlap a neighbour.
 */
export function layoutTree(view: TreeView): TreeLayout {
  const byId = new Map(view.nodes.map((n) => [n.id, n]));
  const placed = new Map<number, PlacedNode>();
  for (const node of view.nodes) {
    const lines = nodeLines(node);
    const chars = Math.max(...lines.map((l) => l.length));
    placed.set(node.id, {
      node,
      depth: 0,
      x: 0,
      y: 0,
      width: Math.ceil(chars * CHAR_WIDTH + 2 * PAD_X),
      height: lines.length * LINE_HEIGHT + 2 * PAD_Y,
      lines,
    });
  }
  const root = view.nodes.find((n) => n.id === 0) ?? view.nodes[0];
  if (!root) return { width: 2 * MARGIN, height: 2 * MARGIN, nodes: [] };

  // Offsets of children from their parent's centre, found bottom-up from the outlines
  // (`left[d]`, `right[d]`: extreme box edges d layers below a subtree's root).
  const offset = new Map<number, number>();
  const outline = (id: number): { left: number[]; right: number[] } => {
    const node = byId.get(id)!;
    const half = placed.get(id)!.width / 2;
    if (node.kind === 'leaf') return { left: [-half], right: [half] };
    const l = outline(node.left);
    const r = outline(node.right);
    let shift = 0;
    for (let d = 0; d < Math.min(l.left.length, r.left.length); d++)
      shift = Math.max(shift, l.right[d]! - r.left[d]! + H_GAP);
    offset.set(node.left, -shift / 2);
    offset.set(node.right, shift / 2);
    const left = [-half];
    const right = [half];
    for (let d = 0; d < Math.max(l.left.length, r.left.length); d++) {
      const ls = [l.left[d]! - shift / 2, r.left[d]! + shift / 2].filter(Number.isFinite);
      const rs = [l.right[d]! - shift / 2, r.right[d]! + shift / 2].filter(Number.isFinite);
      left.push(Math.min(...ls));
      right.push(Math.max(...rs));
    }
    return { left, right };
  };
  outline(root.id);

  // Top-down: absolute centres and depths.
  const reached: PlacedNode[] = [];
  const place = (id: number, x: number, depth: number): void => {
    const p = placed.get(id)!;
    p.x = x;
    p.depth = depth;
    reached.push(p);
    if (p.node.kind === 'split') {
      place(p.node.left, x + offset.get(p.node.left)!, depth + 1);
      place(p.node.right, x + offset.get(p.node.right)!, depth + 1);
    }
  };
  place(root.id, 0, 0);

  const drawn = new Set(reached);
  const layerHeight = Math.max(...reached.map((p) => p.height)) + V_GAP;
  const minLeft = Math.min(...reached.map((p) => p.x - p.width / 2));
  const maxRight = Math.max(...reached.map((p) => p.x + p.width / 2));
  const maxDepth = Math.max(...reached.map((p) => p.depth));
  for (const p of reached) {
    p.x = round1(p.x - minLeft + MARGIN);
    p.y = MARGIN + p.depth * layerHeight;
  }
  const tallestBottom = Math.max(
    ...reached.filter((p) => p.depth === maxDepth).map((p) => p.height),
  );
  return {
    width: Math.ceil(maxRight - minLeft + 2 * MARGIN),
    height: Math.ceil(MARGIN * 2 + maxDepth * layerHeight + tallestBottom),
    nodes: view.nodes.map((n) => placed.get(n.id)!).filter((p) => drawn.has(p)),
  };
}

/**
 * The tree as an inline SVG (`<svg id="tree">`): split boxes show their test, the number
 * of training samples and where a missing value goes; edges are labelled yes (test holds,
 * left) and no; leaves show the rule id, class and count, coloured by class. Drawn at one
 * pixel per unit; wide trees scroll in their container.
 */
export function renderTreeSvg(view: TreeView, classes: readonly string[]): string {
  const layout = layoutTree(view);
  const at = new Map(layout.nodes.map((p) => [p.node.id, p]));
  const leaves = layout.nodes.filter((p) => p.node.kind === 'leaf');
  const title = `Distilled tree: ${layout.nodes.length - leaves.length} splits, ${leaves.length} leaves`;

  const edges: string[] = [];
  for (const p of layout.nodes) {
    if (p.node.kind !== 'split') continue;
    for (const side of ['left', 'right'] as const) {
      const child = at.get(p.node[side])!;
      const y1 = p.y + p.height;
      const y2 = child.y;
      const mid = round1((y1 + y2) / 2);
      const label = side === 'left' ? 'yes' : 'no';
      const lx = side === 'left' ? child.x - 4 : child.x + 4;
      edges.push(
        `<g class="edge edge-${label}" data-from="${p.node.id}" data-to="${child.node.id}">` +
          `<path d="M${p.x} ${y1} C${p.x} ${mid} ${child.x} ${mid} ${child.x} ${y2}" fill="none" stroke="#8a8f98" stroke-width="1.2"/>` +
          `<text x="${lx}" y="${y2 - 8}" text-anchor="${side === 'left' ? 'end' : 'start'}" font-size="10" fill="#4a4f57">${label}</text></g>`,
      );
    }
  }

  const nodes = layout.nodes.map((p) => {
    const left = round1(p.x - p.width / 2);
    const text = p.lines
      .map(
        (line, i) =>
          `<tspan x="${p.x}" y="${p.y + PAD_Y + (i + 1) * LINE_HEIGHT - 3}"${lineStyle(p.node, i, p.lines.length)}>${escapeXml(line)}</tspan>`,
      )
      .join('');
    const box = (fill: string, stroke: string, opacity: string): string =>
      `<rect x="${left}" y="${p.y}" width="${p.width}" height="${p.height}" rx="4" fill="${fill}"${opacity} stroke="${stroke}" stroke-width="1.2"/>`;
    if (p.node.kind === 'split')
      return (
        `<g class="node split" id="tree-node-${p.node.id}" data-node="${p.node.id}">` +
        `<title>${escapeXml(splitTitle(p.node))}</title>${box('#f6f7f9', '#8a8f98', '')}` +
        `<text text-anchor="middle" fill="#1f2328">${text}</text></g>`
      );
    const colour = classColour(classes, p.node.class);
    return (
      `<g class="node leaf" id="tree-node-${p.node.id}" data-node="${p.node.id}" data-rule="${escapeXml(p.node.ruleId)}" data-class="${escapeXml(p.node.class)}">` +
      `<title>${escapeXml(leafTitle(p.node))}</title>${box(colour, colour, ' fill-opacity="0.16"')}` +
      `<rect x="${left}" y="${p.y}" width="5" height="${p.height}" fill="${colour}"/>` +
      `<text text-anchor="middle" fill="#1f2328">${text}</text></g>`
    );
  });

  return (
    `<svg id="tree" class="tree" role="img" aria-labelledby="tree-title" width="${layout.width}" height="${layout.height}" ` +
    `viewBox="0 0 ${layout.width} ${layout.height}" font-family="${FONT_FAMILY}" font-size="${FONT_SIZE}">` +
    `<title id="tree-title">${escapeXml(title)}</title>` +
    `<g class="edges">${edges.join('')}</g><g class="nodes">${nodes.join('')}</g></svg>`
  );
}

function nodeLines(node: TreeViewNode): string[] {
  if (node.kind === 'leaf') return [node.ruleId, node.class, `n=${formatCount(node.count)}`];
  return [
    // A comparison never breaks between its operator and its threshold.
    ...wrapText(node.test.replace(/ ≤ /g, '\u00a0≤\u00a0'), WRAP_CHARS, MAX_TEST_LINES),
    `n=${formatCount(node.count)} · missing: ${node.missing === 'left' ? 'yes' : 'no'}`,
  ];
}

/** Bold rule ids on leaves; the count line of a split in a lighter weight. */
function lineStyle(node: TreeViewNode, i: number, count: number): string {
  if (node.kind === 'leaf') return i === 0 ? ' font-weight="700"' : '';
  return i === count - 1 ? ' fill="#5b616b" font-size="10"' : '';
}

function splitTitle(node: TreeViewNode & { kind: 'split' }): string {
  return `${node.test} (yes: left, no: right; missing values go ${node.missing === 'left' ? 'yes' : 'no'}), n = ${formatCount(node.count)}`;
}

function leafTitle(node: TreeViewNode & { kind: 'leaf' }): string {
  const p = Object.entries(node.probabilities)
    .map(([c, v]) => `p(${c}) = ${formatRate(v)}`)
    .join(', ');
  return `${node.ruleId} → ${node.class}, n = ${formatCount(node.count)}${p ? `; ${p}` : ''}`;
}

/**
 * Greedy word wrap at plain spaces; a word longer than `width` gets a line of its own. Past
 * `maxLines` the last line ends in an ellipsis (the full text is in the node's tooltip).
 */
export function wrapText(text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let line = '';
  // Only plain spaces break: a no-break space holds its neighbours together.
  for (const word of text.split(/ +/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = kept[maxLines - 1]!;
  kept[maxLines - 1] = (last.length >= width ? last.slice(0, width - 1) : last) + '…';
  return kept;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
