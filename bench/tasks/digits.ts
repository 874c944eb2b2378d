/**
 * Handwritten-like digits 0–9, drawn from stroke templates: the input of a perception
 * network (pixels in, the digit out) that the rules then reason over.
 *
 * Each digit is a few strokes (line segments and elliptic arcs) in a unit box, y down. An
 * image draws one digit with random jitter: each stroke shifted a little on its own (so no
 * two "7"s are the same shape), the whole digit scaled, rotated and translated, the pen's
 * width drawn per image; then it is rasterised with anti-aliasing (a pixel's grey level is
 * how much of it the pen covers, a linear ramp one pixel wide at the stroke's edge) and
 * Gaussian noise is added. Pixel values are grey levels 0 (background) to 255 (ink).
 *
 * Jitter in pixels (translation, pen width) is given for a 28×28 image, as MNIST's, and
 * scaled to the image's size, so an 8×8 image is the same drawing seen coarser.
 */
import { createRandom, type Random } from '../../src/random';
import { conceptCsvHeader, writeConceptCsv, type CsvValue } from './concept-csv';

/** A point of a template, in the unit box (x right, y down). */
type Point = readonly [number, number];

/** A stroke: a polyline through its points. */
type Stroke = readonly Point[];

/** Points of an elliptic arc from `from` to `to` degrees (0° right, 90° down). */
function arc(cx: number, cy: number, rx: number, ry: number, from: number, to: number): Stroke {
  const steps = Math.max(4, Math.ceil(Math.abs(to - from) / 20));
  return Array.from({ length: steps + 1 }, (_, i) => {
    const a = ((from + ((to - from) * i) / steps) * Math.PI) / 180;
    return [cx + rx * Math.cos(a), cy + ry * Math.sin(a)] as const;
  });
}

/** The strokes of each digit, index = digit. */
const TEMPLATES: readonly (readonly Stroke[])[] = [
  [arc(0.5, 0.5, 0.34, 0.48, 0, 360)],
  [
    [
      [0.3, 0.2],
      [0.55, 0.02],
      [0.55, 0.98],
    ],
  ],
  [[...arc(0.5, 0.3, 0.3, 0.28, -170, 30), [0.12, 0.98], [0.9, 0.98]]],
  [arc(0.48, 0.26, 0.28, 0.24, -160, 90), arc(0.48, 0.74, 0.32, 0.26, -90, 160)],
  [
    [
      [0.66, 0.02],
      [0.1, 0.66],
      [0.92, 0.66],
    ],
    [
      [0.66, 0.02],
      [0.66, 0.98],
    ],
  ],
  [
    [
      [0.85, 0.02],
      [0.28, 0.02],
      [0.22, 0.45],
    ],
    arc(0.48, 0.68, 0.34, 0.3, -130, 150),
  ],
  [arc(0.78, 0.62, 0.58, 0.6, -100, -180), arc(0.5, 0.7, 0.3, 0.28, 0, 360)],
  [
    [
      [0.1, 0.02],
      [0.9, 0.02],
      [0.4, 0.98],
    ],
  ],
  [arc(0.5, 0.26, 0.26, 0.24, 0, 360), arc(0.5, 0.73, 0.32, 0.26, 0, 360)],
  [
    arc(0.5, 0.3, 0.32, 0.28, 0, 360),
    [
      [0.82, 0.3],
      [0.7, 0.98],
    ],
  ],
];

/** How the digits are drawn; every field has a default. */
export interface DigitOptions {
  /** Image height in pixels. @defaultValue 28 */
  height?: number;
  /** Image width in pixels. @defaultValue 28 */
  width?: number;
  /** Largest translation in pixels of a 28×28 image, each axis. @defaultValue 2 */
  shift?: number;
  /** Largest rotation in degrees, either way. @defaultValue 15 */
  rotation?: number;
  /** Range of the scale factor. @defaultValue [0.85, 1.15] */
  scale?: readonly [number, number];
  /** Range of the pen's width in pixels of a 28×28 image. @defaultValue [1.5, 3] */
  strokeWidth?: readonly [number, number];
  /** Standard deviation of the additive Gaussian noise, in grey levels. @defaultValue 12 */
  noise?: number;
}

/** Generated images and their digits. */
export interface DigitImages {
  height: number;
  width: number;
  /** One image per row: `height × width` grey levels 0–255, row-major. */
  pixels: Uint8Array[];
  /** The digit drawn in each image, 0–9. */
  labels: number[];
}

const DEFAULTS: Required<DigitOptions> = {
  height: 28,
  width: 28,
  shift: 2,
  rotation: 15,
  scale: [0.85, 1.15],
  strokeWidth: [1.5, 3],
  noise: 12,
};

/** Height of the digit's box as a share of the image's smaller side (MNIST: 20 of 28). */
const BOX = 0.7;
/** A template's width against its height: digits are narrower than tall. */
const ASPECT = 0.72;
/** Largest shift of one stroke on its own, as a share of the box. */
const STROKE_JITTER = 0.04;

/**
 * `count` digit images drawn with `seed`: the digits 0–9 equally often (as near as `count`
 * allows) in a shuffled order. The same seed and options give the same images.
 *
 * @example
 * ```ts
 * const { pixels, labels } = generateDigits(2000, 1, { height: 8, width: 8 });
 * ```
 */
export function generateDigits(
  count: number,
  seed: number,
  options: DigitOptions = {},
): DigitImages {
  const o = { ...DEFAULTS, ...options };
  const rnd = createRandom(seed);
  const labels = rnd.shuffle(Array.from({ length: count }, (_, i) => i % 10));
  const pixels = labels.map((digit) => drawDigit(digit, o, rnd));
  return { height: o.height, width: o.width, pixels, labels };
}

/** A line segment in pixel coordinates, with what {@link distance} needs precomputed. */
interface Segment {
  ax: number;
  ay: number;
  dx: number;
  dy: number;
  /** Squared length (0 for a point). */
  len2: number;
}

/** One image of `digit`. */
function drawDigit(digit: number, o: Required<DigitOptions>, rnd: Random): Uint8Array {
  const { height: h, width: w } = o;
  const px = Math.min(h, w) / 28; // one pixel of a 28×28 image, in this image's pixels
  const uniform = (lo: number, hi: number): number => lo + (hi - lo) * rnd.next();
  const size = BOX * Math.min(h, w) * uniform(o.scale[0], o.scale[1]);
  const angle = (uniform(-o.rotation, o.rotation) * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = w / 2 + uniform(-o.shift, o.shift) * px;
  const cy = h / 2 + uniform(-o.shift, o.shift) * px;
  const half = (uniform(o.strokeWidth[0], o.strokeWidth[1]) * px) / 2;

  const segments: Segment[] = [];
  for (const stroke of TEMPLATES[digit]!) {
    const jx = uniform(-STROKE_JITTER, STROKE_JITTER);
    const jy = uniform(-STROKE_JITTER, STROKE_JITTER);
    const points = stroke.map(([x, y]) => {
      const u = (x + jx - 0.5) * ASPECT * size;
      const v = (y + jy - 0.5) * size;
      return [cx + u * cos - v * sin, cy + u * sin + v * cos] as const;
    });
    for (let i = 1; i < points.length; i++) {
      const [ax, ay] = points[i - 1]!;
      const [bx, by] = points[i]!;
      const dx = bx - ax;
      const dy = by - ay;
      segments.push({ ax, ay, dx, dy, len2: dx * dx + dy * dy });
    }
  }

  const image = new Uint8Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const d = distance(segments, c + 0.5, r + 0.5);
      // Coverage of the pixel by a pen of radius `half`: 1 inside, 0 a pixel beyond, linear between.
      const ink = Math.min(1, Math.max(0, half + 0.5 - d));
      const value = 255 * ink + o.noise * rnd.normal();
      image[r * w + c] = Math.min(255, Math.max(0, Math.round(value)));
    }
  }
  return image;
}

/** Distance from (x, y) to the nearest segment. */
function distance(segments: readonly Segment[], x: number, y: number): number {
  let best = Infinity;
  for (const s of segments) {
    const t =
      s.len2 === 0 ? 0 : Math.min(1, Math.max(0, ((x - s.ax) * s.dx + (y - s.ay) * s.dy) / s.len2));
    const ex = s.ax + t * s.dx - x;
    const ey = s.ay + t * s.dy - y;
    best = Math.min(best, ex * ex + ey * ey);
  }
  return Math.sqrt(best);
}

/** How {@link writeDigitsCsv} names its columns. */
export interface DigitsCsvOptions {
  /** Name of the label column, the first one (the concept's name). @defaultValue 'digit' */
  label?: string;
}

/** Prefix of the pixel columns: `px_0,...,px_{N-1}`, row-major. */
const PIXEL_PREFIX = 'px_';

/** The header of a digits CSV: `digit,px_0,...,px_{N-1}`, then any extra columns. */
export function digitsCsvHeader(
  pixelCount: number,
  extra: readonly string[] = [],
  options: DigitsCsvOptions = {},
): string[] {
  return conceptCsvHeader(options.label ?? 'digit', PIXEL_PREFIX, pixelCount, extra);
}

/**
 * Write the images as a CSV file: a header row (`digit,px_0,...,px_{N-1}`), then one row
 * per image, the digit first. `extra` adds columns after the pixels, one value per image
 * (numbers or plain names, never quoted); `options.label` renames the digit's column.
 *
 * @example
 * ```ts
 * const images = generateDigits(100, 1);
 * writeDigitsCsv('digits.csv', images, { odd: images.labels.map((d) => d % 2) });
 * writeDigitsCsv('postcodes.csv', images, {}, { label: 'postcode' });
 * ```
 */
export function writeDigitsCsv(
  file: string,
  images: DigitImages,
  extra: Readonly<Record<string, readonly CsvValue[]>> = {},
  options: DigitsCsvOptions = {},
): void {
  writeConceptCsv(file, {
    label: options.label ?? 'digit',
    labels: images.labels,
    prefix: PIXEL_PREFIX,
    inputCount: images.height * images.width,
    inputs: images.pixels,
    extra,
  });
}
