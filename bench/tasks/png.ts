/**
 * Writing generated images as PNG files, for data sets whose concept reads image files
 * (a column of paths) rather than pixel columns: the digits of `digits.ts` drawn to disk.
 */
import sharp from 'sharp';
import type { Shape } from '../../src/perception/concepts';
import { writeFileAtomic } from '../../src/files/write-atomic';

/**
 * Write `pixels` (grey levels 0–255, row-major, `shape.height × shape.width`) as an 8-bit
 * greyscale PNG, atomically (a temporary file beside it, then a rename). Decoded by
 * `decodeImages` at the same shape, it gives back exactly these values.
 *
 * @example
 * ```ts
 * const images = generateDigits(10, 1);
 * await writeGreyPng('digits/0.png', images.pixels[0]!, images);
 * ```
 */
export async function writeGreyPng(file: string, pixels: Uint8Array, shape: Shape): Promise<void> {
  const { height, width } = shape;
  if (pixels.length !== height * width) {
    throw new Error(
      `a ${height}x${width} image has ${height * width} pixels, found ${pixels.length} values`,
    );
  }
  const png = await sharp(pixels, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
  writeFileAtomic(file, png);
}
