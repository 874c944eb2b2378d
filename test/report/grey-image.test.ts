import { greyImageSvg, greyImageText } from '../../src/report/grey-image';

describe('an image drawn from its pixels', () => {
  const pixels = [0, 255, 255, 0, 128, 0];
  const shape = { height: 2, width: 3 };

  it('is inline SVG: a black ground, runs of one grey merged into one rectangle, nothing loaded', () => {
    const svg = greyImageSvg(pixels, shape, 'line 4: labelled <7>');
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 3 2"/);
    expect(svg).toContain('<rect x="1" y="0" width="2" height="1" fill="rgb(255,255,255)"/>');
    expect(svg).toContain('<rect x="1" y="1" width="1" height="1"');
    expect(svg).toContain('aria-label="line 4: labelled &lt;7&gt;"');
    expect(svg).not.toMatch(/href|data:|<image/);
  });

  it('is text for Markdown: one character per pixel, darkest a space', () => {
    expect(greyImageText(pixels, shape)).toEqual([' ██', ' ▒']);
  });
});
