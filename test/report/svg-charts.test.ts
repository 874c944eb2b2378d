import { barChartSvg, niceTicks, stackedBarChartSvg } from '../../src/report/svg-charts';

/** Attributes of every `rect.bar` in an SVG string. */
function bars(svg: string): Record<string, string>[] {
  return [...svg.matchAll(/<rect class="bar[^"]*"([^>]*)>/g)].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  );
}

describe('niceTicks', () => {
  test('round steps from 0 to at least the maximum', () => {
    expect(niceTicks(87)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(98)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(2480)).toEqual([0, 500, 1000, 1500, 2000, 2500]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });
});

describe('barChartSvg', () => {
  const svg = barChartSvg({
    id: 'chart-x',
    title: 'Hits <per> rule',
    bars: [
      { label: 'R01', value: 50, colour: '#111111', valueText: '50' },
      { label: "it's <0", value: 25, colour: '#222222', valueText: '25' },
      { label: 'R03', value: 0, colour: '#333333', valueText: '0' },
    ],
    max: 100,
  });

  test('bar lengths are proportional to the values; a zero bar has no length', () => {
    const widths = bars(svg).map((b) => Number(b.width));
    expect(widths[0]).toBeGreaterThan(0);
    expect(widths[1]! / widths[0]!).toBeCloseTo(0.5, 2);
    expect(widths[2]).toBe(0);
    expect(bars(svg).map((b) => b['data-value'])).toEqual(['50', '25', '0']);
  });

  test('has its id and an accessible title; labels are escaped', () => {
    expect(svg).toMatch(
      /^<svg id="chart-x" class="chart" role="img" aria-labelledby="chart-x-title"/,
    );
    expect(svg).toContain('<title id="chart-x-title">Hits &lt;per&gt; rule</title>');
    expect(svg).toContain('it&#39;s &lt;0');
    expect(svg).not.toContain("it's <0");
  });
});

describe('stackedBarChartSvg', () => {
  const svg = stackedBarChartSvg({
    id: 'chart-s',
    title: 'Decisions',
    categories: [
      { label: 'w1', title: 'week 1' },
      { label: 'w2', title: 'week 2' },
    ],
    series: [
      { key: 'A', label: 'A', colour: '#111111', values: [10, 30] },
      { key: 'B', label: 'B', colour: '#222222', values: [30, 0] },
    ],
    highlight: new Set(['B']),
  });

  test('one segment per non-zero value, heights proportional to the values', () => {
    const segments = bars(svg);
    expect(segments.map((s) => [s['data-series'], s['data-value']])).toEqual([
      ['A', '10'],
      ['B', '30'],
      ['A', '30'],
    ]);
    const [a1, b1, a2] = segments.map((s) => Number(s.height));
    expect(b1! / a1!).toBeCloseTo(3, 1);
    expect(a2).toBeCloseTo(b1!, 1);
  });

  test('stacks bottom-up: each column segment sits on top of the one before', () => {
    const [a1, b1] = bars(svg);
    expect(Number(b1!.y) + Number(b1!.height)).toBeCloseTo(Number(a1!.y), 1);
  });

  test('highlighted series are outlined and marked in the legend', () => {
    expect(bars(svg)[1]!.stroke).toBeDefined();
    expect(bars(svg)[0]!.stroke).toBeUndefined();
    expect(svg).toContain('B (drifted)');
  });
});
