import { escapeXml as e } from './escape-xml';

/** An image's shape, in pixels. */
export interface ImageShape {
  height: number;
  width: number;
}

/** Grey levels an image is drawn with (a run of pixels of one level is one shape). */
const LEVELS = 32;

/**
 * A grey image drawn as inline SVG from its pixels (grey levels 0–255, row-major), each
 * row's runs of one level merged into one rectangle: no file, no data URL, nothing loaded
 * (the report's Content-Security-Policy allows no image source). Drawn as the network saw
 * it, 0 black and 255 white, `scale` screen pixels per image pixel.
 */
export function greyImageSvg(
  pixels: readonly number[],
  shape: ImageShape,
  label: string,
  scale = Math.max(2, Math.round(84 / Math.max(shape.height, shape.width))),
): string {
  const { height, width } = shape;
  const level = (v: number) => Math.round((Math.min(255, Math.max(0, v)) / 255) * (LEVELS - 1));
  const rects: string[] = [];
  for (let r = 0; r < height; r++) {
    let c = 0;
    while (c < width) {
      const l = level(pixels[r * width + c] ?? 0);
      let end = c + 1;
      while (end < width && level(pixels[r * width + end] ?? 0) === l) end++;
      if (l > 0) {
        const g = Math.round((l / (LEVELS - 1)) * 255);
        rects.push(
          `<rect x="${c}" y="${r}" width="${end - c}" height="1" fill="rgb(${g},${g},${g})"/>`,
        );
      }
      c = end;
    }
  }
  return `<svg class="grey-image" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width * scale}" height="${height * scale}" shape-rendering="crispEdges" role="img" aria-label="${e(label)}"><title>${e(label)}</title><rect width="${width}" height="${height}" fill="#000"/>${rects.join('')}</svg>`;
}

/**
 * A grey image as text, one character per pixel (` ░▒▓█`, darkest to brightest), for
 * Markdown and terminals.
 */
export function greyImageText(pixels: readonly number[], shape: ImageShape): string[] {
  const ramp = ' ░▒▓█';
  const lines: string[] = [];
  for (let r = 0; r < shape.height; r++) {
    let line = '';
    for (let c = 0; c < shape.width; c++) {
      const v = Math.min(255, Math.max(0, pixels[r * shape.width + c] ?? 0));
      line += ramp[Math.min(ramp.length - 1, Math.floor((v / 256) * ramp.length))]!;
    }
    lines.push(line.replace(/\s+$/, ''));
  }
  return lines;
}
