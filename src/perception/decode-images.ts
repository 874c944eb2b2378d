import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Issue, isNeurulesError, NeurulesError } from '../errors';
import { kindOf, readRegularFileAsync } from '../files/regular-files';
import { MAX_CONCEPT_ISSUES } from './concept-table';
import { MAX_SIDE, type Shape } from './concepts';

/**
 * Decoding a concept's image files (one column of PNG or JPEG paths) to the grey levels
 * its perception network reads, with sharp (libvips).
 *
 * Each file is checked to be a regular file before it is opened (a FIFO would block a
 * read forever, a device must not be opened at all), read whole into memory
 * (`readRegularFileAsync`: opened non-blocking and checked again on the open descriptor,
 * so nothing swapped in between is read), recognised by its signature as PNG or JPEG,
 * and only then handed to sharp, which refuses an image whose header claims more than
 * {@link IMAGE_DECODING}`.maxPixels` before decoding a pixel (a decompression bomb: a
 * few kilobytes of PNG claiming 100,000 × 100,000 pixels).
 */

/** Limits and defaults of {@link decodeImages}. */
export const IMAGE_DECODING = Object.freeze({
  /** Files read and decoded at once. */
  concurrency: 8,
  /** The most pixels (width × height, as the file's header says) an image may have. */
  maxPixels: 8192 * 8192,
  /** The largest image file read, in bytes: a file is read whole before decoding. */
  maxBytes: 128 * 1024 * 1024,
  /**
   * The grey level transparent pixels are flattened onto: white, as paper. The usual
   * transparent image is dark ink on a transparent layer (a signature, a drawn digit, with
   * the transparent pixels' colour often black too); on white, its ink reads as a scan
   * of it on paper would, while flattening onto black would erase it.
   */
  background: 255,
});

/** Options of {@link decodeImages}. */
export interface DecodeImagesOptions {
  /** The folder relative paths are resolved against: the data file's folder. */
  baseDir: string;
  /** The size every image is resized to (each side stretched on its own). */
  shape: Shape;
  /** The concept, named in errors. */
  concept: string;
  /** The column the paths come from: the `field` of every issue. */
  column: string;
  /** That column's 1-based place in the data file: the `column` of every issue. */
  columnNumber?: number;
  /**
   * The data file's line of each path: the `line` of its issue. Without it, issues have no
   * line and their messages count rows from 1.
   */
  lines?: readonly number[];
  /** The data file, the `file` of every issue. */
  file?: string;
  /** Files read and decoded at once. @defaultValue 8 */
  concurrency?: number;
  /** Called after each file is decoded (or refused) with how many are done. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Decode image files to grey levels for a concept's perception network: each file (PNG or
 * JPEG; relative to `baseDir` unless absolute) turned upright by its EXIF orientation, its
 * transparency flattened onto white ({@link IMAGE_DECODING}`.background`), converted to
 * grey (luminance, for a colour image), and resized to exactly `shape.height ×
 * shape.width` (`fit: 'fill'`: stretched, not cropped; an image already that size is
 * left as it is). Returns `paths.length × height × width` grey levels 0–255, unscaled (the
 * perceiver scales them), row-major, the images one after the other in the order of `paths`.
 *
 * Every file is decoded, `concurrency` at a time, and every refusal is collected: the
 * error lists the first {@link MAX_CONCEPT_ISSUES} in row order (decoding stops once that
 * many are found).
 *
 * @throws NeurulesError IMAGE_UNREADABLE, one issue per row (`field`: the column, `line`:
 *   `lines[i]`, `column`: `columnNumber`, `file`: the data file), naming the concept, the
 *   column, the path and what was found:
 *   no file, a directory, FIFO, device or socket (never opened), a file that cannot be
 *   read, a file larger than {@link IMAGE_DECODING}`.maxBytes`, bytes that are not a PNG
 *   or JPEG image, a damaged one, or one over {@link IMAGE_DECODING}`.maxPixels`;
 *   INVALID_ARGUMENT for a shape, `lines` or `concurrency` out of range
 * @example
 * ```ts
 * const pixels = await decodeImages(['img/0001.png', 'img/0002.jpg'], {
 *   baseDir: 'data', shape: { height: 28, width: 28 }, concept: 'digit', column: 'image',
 *   lines: [2, 3], file: 'data/letters.csv',
 * }); // Float32Array(2 × 28 × 28)
 * ```
 */
export async function decodeImages(
  paths: readonly string[],
  options: DecodeImagesOptions,
): Promise<Float32Array> {
  const { shape, lines } = options;
  const concurrency = options.concurrency ?? IMAGE_DECODING.concurrency;
  checkOptions(paths, options, concurrency);
  const size = shape.height * shape.width;
  const out = new Float32Array(paths.length * size);
  if (paths.length === 0) return out;
  // Loaded on first use: commands that read no images never load sharp's native binary.
  const { default: sharp } = await import('sharp');
  const issues: (Issue & { row: number })[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    // Rows are taken in order and every taken row finishes, so the rows decoded form a
    // prefix: the first issues found are the file's first issues.
    while (next < paths.length && issues.length < MAX_CONCEPT_ISSUES) {
      const row = next++;
      const source = paths[row]!;
      const found = await decodeOne(sharp, source, options.baseDir, shape, out, row * size);
      if (found !== undefined) {
        const at = lines === undefined ? `, row ${row + 1}` : '';
        const image = source.trim() === '' ? 'an image file' : `the image '${source}'`;
        issues.push({
          row,
          code: 'IMAGE_UNREADABLE',
          message: `the concept '${options.concept}' reads ${image} (column '${options.column}'${at}): ${found}`,
          field: options.column,
          ...(lines !== undefined && { line: lines[row]! }),
          ...(options.columnNumber !== undefined && { column: options.columnNumber }),
          ...(options.file !== undefined && { file: options.file }),
        });
      }
      options.onProgress?.(++done, paths.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  if (issues.length > 0) {
    const listed = issues
      .sort((a, b) => a.row - b.row)
      .slice(0, MAX_CONCEPT_ISSUES)
      .map(({ row: _row, ...issue }): Issue => issue);
    throw new NeurulesError(listed[0]!.code, listed[0]!.message, listed[0], listed);
  }
  return out;
}

/** The options' own mistakes: a programming error of the caller, not a row's. */
function checkOptions(
  paths: readonly string[],
  options: DecodeImagesOptions,
  concurrency: number,
): void {
  const { height, width } = options.shape;
  const side = (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_SIDE;
  if (!side(height) || !side(width)) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `the concept '${options.concept}' decodes its images to ${height}x${width}: each side must be a whole number from 1 to ${MAX_SIDE}`,
      { field: 'shape' },
    );
  }
  if (options.lines !== undefined && options.lines.length !== paths.length) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `decodeImages was given ${paths.length} paths but ${options.lines.length} line numbers`,
      { field: 'lines' },
    );
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new NeurulesError(
      'INVALID_ARGUMENT',
      `expected a concurrency of a whole number of 1 or more, found ${concurrency}`,
      { field: 'concurrency' },
    );
  }
}

/**
 * Decode one image into `out` at `offset`. Returns what was found instead of an image
 * ("file not found", "a directory, not an image file", ...), or undefined when decoded.
 */
async function decodeOne(
  sharp: SharpModule,
  source: string,
  baseDir: string,
  shape: Shape,
  out: Float32Array,
  offset: number,
): Promise<string | undefined> {
  if (source.trim() === '') return 'found an empty cell';
  const file = path.resolve(baseDir, source);
  let stats: fs.Stats;
  try {
    stats = await fs.promises.stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return file === source ? 'file not found' : `file not found (looked for ${file})`;
    }
    return `the file cannot be read (${code ?? (e as Error).message})`;
  }
  // Checked before opening: a FIFO would block the read, and opening a device can have effects.
  if (!stats.isFile()) return `${kindOf(stats)}, not an image file`;
  if (stats.size > IMAGE_DECODING.maxBytes) {
    return `a file of ${stats.size} bytes, larger than the ${IMAGE_DECODING.maxBytes} bytes an image may have`;
  }
  let bytes: Buffer;
  try {
    bytes = await readRegularFileAsync(file, { limit: IMAGE_DECODING.maxBytes + 1 });
  } catch (e) {
    // Swapped for something else since the check, or unreadable (permissions).
    if (isNeurulesError(e)) return `the file cannot be read: ${e.message}`;
    throw e;
  }
  if (bytes.length > IMAGE_DECODING.maxBytes) {
    return `a file of more than ${IMAGE_DECODING.maxBytes} bytes (it grew while it was read)`;
  }
  const format = imageFormat(bytes);
  if (format !== 'PNG' && format !== 'JPEG') {
    return `not a PNG or JPEG image: ${format}`;
  }
  const { width, height } = shape;
  let data: Buffer;
  try {
    const decoded = await sharp(bytes, {
      limitInputPixels: IMAGE_DECODING.maxPixels,
      // A warning (a JPEG's premature end) refuses the file: a half-decoded image would
      // train the network on grey where the rest of the picture was.
      failOn: 'warning',
    })
      .autoOrient()
      .flatten({ background: grey(IMAGE_DECODING.background) })
      .toColourspace('b-w')
      .resize({ width, height, fit: 'fill' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const { info } = decoded;
    if (info.width !== width || info.height !== height || info.channels !== 1) {
      return `decoded to ${info.width}x${info.height} with ${info.channels} channels, not ${width}x${height} grey`;
    }
    data = decoded.data;
  } catch (e) {
    return await refusal(sharp, format, bytes, e);
  }
  for (let i = 0; i < data.length; i++) out[offset + i] = data[i]!;
  return undefined;
}

/**
 * What sharp's refusal of a PNG or JPEG file means, in words. Its message is not relied
 * on: libvips keeps one error buffer for the whole process, so under concurrency the
 * message of one file's failure can carry another's text, or lose its own ("Warning
 * treated as error due to failOn setting"). Whether the image is too large is read from
 * its header again; of the message, only lines naming this format's decoder are quoted.
 */
async function refusal(
  sharp: SharpModule,
  format: 'PNG' | 'JPEG',
  bytes: Buffer,
  e: unknown,
): Promise<string> {
  // The header alone: no pixel is decoded, whatever size it claims.
  const header = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch(() => undefined);
  if (header && header.width * header.height > IMAGE_DECODING.maxPixels) {
    return `a ${format} image of ${header.width}x${header.height}, more than the ${IMAGE_DECODING.maxPixels} pixels (8192x8192) an image may have`;
  }
  const decoder = format === 'PNG' ? /png/i : /jpe?g/i;
  const said = String((e as Error)?.message ?? e)
    .split('\n')
    .filter((line) => decoder.test(line))
    .join('; ');
  return `a damaged ${format} image${said ? ` (${said})` : ''}`;
}

/** The format a file's first bytes say, or what they look like instead. */
function imageFormat(bytes: Buffer): string {
  const starts = (...signature: number[]) => signature.every((b, i) => bytes[i] === b);
  if (bytes.length === 0) return 'an empty file';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'PNG';
  if (starts(0xff, 0xd8, 0xff)) return 'JPEG';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'a GIF image';
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes.toString('latin1', 8, 12) === 'WEBP') {
    return 'a WebP image';
  }
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return 'a TIFF image';
  if (starts(0x42, 0x4d)) return 'a BMP image';
  if (bytes.toString('latin1', 4, 8) === 'ftyp') return 'an HEIF or AVIF image';
  const head = bytes.subarray(0, 512);
  // Text (a CSV, an SVG, an HTML error page saved under an image's name): no control
  // bytes but tab and line ends.
  if (head.every((b) => b >= 0x20 || b === 0x09 || b === 0x0a || b === 0x0d)) {
    return 'a text file';
  }
  return 'its first bytes are neither signature';
}

/** sharp's default export: the function making a pipeline. */
type SharpModule = typeof import('sharp');

/** A grey level as sharp's background colour. */
function grey(level: number): { r: number; g: number; b: number } {
  return { r: level, g: level, b: level };
}
