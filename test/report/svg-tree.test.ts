import { layoutTree, renderTreeSvg, wrapText, type PlacedNode } from '../../src/report/svg-tree';
import type { TreeView, TreeViewNode } from '../../src/audit/types';

/** A complete binary tree view with `2^depth` leaves, nodes numbered depth-first. */
function completeTree(depth: number): TreeView {
  const nodes: TreeViewNode[] = [];
  let leaf = 0;
  const build = (d: number): number => {
    const id = nodes.length;
    if (d === depth) {
      leaf++;
      nodes.push({
        id,
        kind: 'leaf',
        ruleId: `R${String(leaf).padStart(2, '0')}`,
        class: leaf % 3 === 0 ? 'bad' : 'good',
        probabilities: { bad: 0.3, good: 0.7 },
        count: 100 + leaf,
      });
      return id;
    }
    const split = {
      id,
      kind: 'split' as const,
      test: '',
      missing: 'left' as const,
      left: 0,
      right: 0,
      count: 0,
    };
    nodes.push(split);
    split.left = build(d + 1);
    split.right = build(d + 1);
    split.test =
      d % 2 ? `duration ≤ ${20 + id}.5` : `purpose in {'new car', 'education', 'business'}`;
    return id;
  };
  build(0);
  return { nodes };
}

/** A chain that always goes right: one split per layer, a leaf on the left of each. */
function chainTree(length: number): TreeView {
  const nodes: TreeViewNode[] = [];
  for (let i = 0; i < length; i++) {
    const split = 2 * i;
    nodes.push({
      id: split,
      kind: 'split',
      test: `feature_${i} in {'a rather long level name', 'another one', 'and a third one'}`,
      missing: 'right',
      left: split + 1,
      right: split + 2,
      count: 1000 - i,
    });
    nodes.push({
      id: split + 1,
      kind: 'leaf',
      ruleId: `R${i + 1}`,
      class: 'x',
      probabilities: {},
      count: 5,
    });
  }
  nodes.push({
    id: 2 * length,
    kind: 'leaf',
    ruleId: `R${length + 1}`,
    class: 'y',
    probabilities: {},
    count: 5,
  });
  return { nodes };
}

function overlap(a: PlacedNode, b: PlacedNode): boolean {
  const ax = [a.x - a.width / 2, a.x + a.width / 2];
  const bx = [b.x - b.width / 2, b.x + b.width / 2];
  return ax[0]! < bx[1]! && bx[0]! < ax[1]! && a.y < b.y + b.height && b.y < a.y + a.height;
}

function checkLayout(view: TreeView): void {
  const layout = layoutTree(view);
  expect(layout.nodes).toHaveLength(view.nodes.length);
  const at = new Map(layout.nodes.map((p) => [p.node.id, p]));
  const overlapping: [number, number][] = [];
  layout.nodes.forEach((a, i) =>
    layout.nodes.slice(i + 1).forEach((b) => {
      if (overlap(a, b)) overlapping.push([a.node.id, b.node.id]);
    }),
  );
  expect(overlapping).toEqual([]);
  for (const p of layout.nodes) {
    expect(p.x - p.width / 2).toBeGreaterThanOrEqual(0);
    expect(p.x + p.width / 2).toBeLessThanOrEqual(layout.width);
    expect(p.y + p.height).toBeLessThanOrEqual(layout.height);
    if (p.node.kind !== 'split') continue;
    const left = at.get(p.node.left)!;
    const right = at.get(p.node.right)!;
    // Layered: children one layer down, left child left of right child, parent centred.
    expect(left.depth).toBe(p.depth + 1);
    expect(right.depth).toBe(p.depth + 1);
    expect(left.y).toBeGreaterThan(p.y + p.height);
    expect(left.x).toBeLessThan(right.x);
    expect(p.x).toBeCloseTo((left.x + right.x) / 2, 0);
  }
}

describe('layoutTree', () => {
  test('64 leaves: no boxes overlap, splits centred over their children', () => {
    checkLayout(completeTree(6));
  });

  test('a long one-sided chain with long tests: no boxes overlap', () => {
    checkLayout(chainTree(12));
  });

  test('packs subtrees: a chain is far narrower than one widest slot per leaf', () => {
    const layout = layoutTree(chainTree(12));
    const widest = Math.max(...layout.nodes.map((p) => p.width));
    expect(layout.width).toBeLessThan((13 * widest) / 2);
  });

  test('a lone leaf is a drawing of one box', () => {
    const layout = layoutTree({
      nodes: [{ id: 0, kind: 'leaf', ruleId: 'R01', class: 'a', probabilities: {}, count: 3 }],
    });
    expect(layout.nodes).toHaveLength(1);
    expect(layout.width).toBeGreaterThan(layout.nodes[0]!.width);
  });
});

describe('renderTreeSvg', () => {
  const view = completeTree(4);
  const svg = renderTreeSvg(view, ['bad', 'good']);

  test('one leaf group per leaf, one split group per split, a yes and a no edge per split', () => {
    const count = (s: string): number => svg.split(s).length - 1;
    expect(count('class="node leaf"')).toBe(16);
    expect(count('class="node split"')).toBe(15);
    expect(count('class="edge edge-yes"')).toBe(15);
    expect(count('class="edge edge-no"')).toBe(15);
    expect(svg).toMatch(/^<svg id="tree"[^>]* viewBox="0 0 \d+ \d+"/);
  });

  test('leaves carry their rule id and class; test texts are escaped', () => {
    expect(svg).toContain('data-rule="R01" data-class="good"');
    expect(svg).toContain('data-rule="R03" data-class="bad"');
    expect(svg).toContain('&#39;new car&#39;');
    expect(svg).not.toContain("'new car'");
    const hostile = renderTreeSvg(
      {
        nodes: [
          {
            id: 0,
            kind: 'split',
            test: "checking_status in {'<0'}",
            missing: 'left',
            left: 1,
            right: 2,
            count: 2,
          },
          { id: 1, kind: 'leaf', ruleId: 'R<1>', class: 'a&b', probabilities: {}, count: 1 },
          { id: 2, kind: 'leaf', ruleId: 'R"2"', class: 'c', probabilities: {}, count: 1 },
        ],
      },
      ['a&b', 'c'],
    );
    expect(hostile).not.toMatch(/<0'|R<1>|a&b|R"2"/);
    expect(hostile).toContain('checking_status in {&#39;&lt;0&#39;}');
  });
});

describe('wrapText', () => {
  test('wraps at spaces within the width', () => {
    expect(wrapText("purpose in {'new car', 'education', 'business'}", 20, 3)).toEqual([
      "purpose in {'new",
      "car', 'education',",
      "'business'}",
    ]);
  });

  test('a word longer than the width gets its own line; past maxLines an ellipsis', () => {
    expect(wrapText('a verylongwordindeed b', 8, 3)).toEqual(['a', 'verylongwordindeed', 'b']);
    expect(wrapText('one two three four five six', 7, 2)).toEqual(['one two', 'three…']);
  });
});
