import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { generateDigits } from '../../bench/tasks/digits';
import { writeGreyPng } from '../../bench/tasks/png';
import {
  decodeImages,
  type DecodeImagesOptions,
  IMAGE_DECODING,
} from '../../src/perception/decode-images';
import { MAX_CONCEPT_ISSUES } from '../../src/perception/concept-table';
import { fifo, QUICK, rejection, released, withFifo } from '../helpers/fifo';

// Integration tier: sharp is a native library, and the FIFO is made by a child process.

const SHAPE = { height: 28, width: 28 };
const digits = generateDigits(4, 1, SHAPE);

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-decode-images-'));
  fs.mkdirSync(path.join(dir, 'img'));
  await Promise.all(
    digits.pixels.map((p, i) => writeGreyPng(path.join(dir, 'img', `${i}.png`), p, SHAPE)),
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `decodeImages` in the test folder, the concept `digit` read from the column `image`. */
function decode(
  paths: readonly string[],
  options: Partial<DecodeImagesOptions> = {},
): Promise<Float32Array> {
  return decodeImages(paths, {
    baseDir: dir,
    shape: SHAPE,
    concept: 'digit',
    column: 'image',
    ...options,
  });
}

/** Write raw 8-bit pixels (`channels` a pixel) as a PNG, or a JPEG of `quality`. */
async function writeImage(
  name: string,
  pixels: Uint8Array,
  raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 },
  jpegQuality?: number,
): Promise<string> {
  const image = sharp(pixels, { raw });
  const bytes = await (jpegQuality ? image.jpeg({ quality: jpegQuality }) : image.png()).toBuffer();
  fs.writeFileSync(path.join(dir, name), bytes);
  return name;
}

/** A grey image `width × height` whose pixel (x, y) is `at(x, y)`. */
function greyPixels(width: number, height: number, at: (x: number, y: number) => number) {
  return Uint8Array.from({ length: width * height }, (_, i) =>
    at(i % width, Math.floor(i / width)),
  );
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG chunk: length, type, data, CRC of type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A few hundred bytes of valid PNG whose header claims `width × height` grey pixels (its
 * data holds a few rows): what a decompression bomb looks like before it is decoded.
 */
function pngClaiming(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth; colour type 0 (grey), no interlace
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(4 * (width + 1)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('decodeImages', () => {
  it('gives back the grey levels of a generated PNG exactly, image after image', async () => {
    const values = await decode(digits.pixels.map((_, i) => `img/${i}.png`));
    const size = SHAPE.height * SHAPE.width;
    expect(values).toHaveLength(digits.pixels.length * size);
    digits.pixels.forEach((p, i) => {
      expect(Array.from(values.subarray(i * size, (i + 1) * size))).toEqual(Array.from(p));
    });
  });

  it('reads a path relative to baseDir and an absolute one alike', async () => {
    const relative = await decode(['img/1.png'], { baseDir: dir });
    const absolute = await decode([path.join(dir, 'img', '1.png')], { baseDir: os.tmpdir() });
    const fromImg = await decode(['1.png'], { baseDir: path.join(dir, 'img') });
    expect(Array.from(relative)).toEqual(Array.from(digits.pixels[1]!));
    expect(absolute).toEqual(relative);
    expect(fromImg).toEqual(relative);
  });

  it('reads a JPEG within its loss', async () => {
    const smooth = greyPixels(28, 28, (x, y) => 30 + 6 * x + 2 * y);
    const name = await writeImage('smooth.jpg', smooth, { width: 28, height: 28, channels: 1 }, 90);
    const values = await decode([name]);
    const errors = Array.from(values, (v, i) => Math.abs(v - smooth[i]!));
    expect(Math.max(...errors)).toBeLessThanOrEqual(8);
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeLessThan(2);
  });

  it('resizes a bigger image to the shape, stretching each side on its own', async () => {
    // 60 wide, 30 high: the left half 200, the right half 50, read as 10 × 10.
    const halves = greyPixels(60, 30, (x) => (x < 30 ? 200 : 50));
    const name = await writeImage('halves.png', halves, { width: 60, height: 30, channels: 1 });
    const values = await decode([name], { shape: { height: 10, width: 10 } });
    expect(values).toHaveLength(100);
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 4; x++) expect(Math.abs(values[y * 10 + x]! - 200)).toBeLessThan(3);
      for (let x = 6; x < 10; x++) expect(Math.abs(values[y * 10 + x]! - 50)).toBeLessThan(3);
    }
  });

  it('reads ink on a transparent background as ink on white', async () => {
    // Black everywhere; alpha: opaque (ink), transparent, and half on alternate pixels.
    const alpha = [255, 0, 128];
    const rgba = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) =>
      i % 4 === 3 ? alpha[Math.floor(i / 4) % 3]! : 0,
    );
    const name = await writeImage('ink.png', rgba, { width: 4, height: 3, channels: 4 });
    const values = await decode([name], { shape: { height: 3, width: 4 } });
    Array.from(values).forEach((v, i) => {
      const expected = [0, 255, 127][i % 3]!;
      expect(Math.abs(v - expected)).toBeLessThanOrEqual(2);
    });
  });

  it('reads a colour image as grey and a 16-bit PNG as levels 0–255', async () => {
    const rgb = Uint8Array.from({ length: 2 * 1 * 3 }, (_, i) => (i < 3 ? 255 : 0));
    const colour = await writeImage('white-black.png', rgb, { width: 2, height: 1, channels: 3 });
    expect(Array.from(await decode([colour], { shape: { height: 1, width: 2 } }))).toEqual([
      255, 0,
    ]);
    const levels = greyPixels(4, 3, (x, y) => 20 * (y * 4 + x));
    const deep = await sharp(levels, { raw: { width: 4, height: 3, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    expect((await sharp(deep).metadata()).depth).toBe('ushort');
    fs.writeFileSync(path.join(dir, 'deep.png'), deep);
    const values = await decode(['deep.png'], { shape: { height: 3, width: 4 } });
    expect(Array.from(values)).toEqual(Array.from(levels));
  });

  it('reports progress after each file', async () => {
    const seen: [number, number][] = [];
    await decode(['img/0.png', 'img/1.png', 'img/2.png'], {
      concurrency: 2,
      onProgress: (done, total) => seen.push([done, total]),
    });
    expect(seen).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('decodes nothing for no paths', async () => {
    expect(await decode([])).toHaveLength(0);
  });
});

describe('decodeImages refuses', () => {
  /** The issues of decoding `bad` between two good images, at lines 10, 11, 12. */
  async function issuesOf(bad: string) {
    const e = await rejection(
      decode(['img/0.png', bad, 'img/1.png'], { lines: [10, 11, 12], file: 'data/digits.csv' }),
    );
    expect(e.code).toBe('IMAGE_UNREADABLE');
    return e.issues.map(({ code, line, field, file }) => ({ code, line, field, file }));
  }
  const ONE = [{ code: 'IMAGE_UNREADABLE', line: 11, field: 'image', file: 'data/digits.csv' }];

  it('a missing file', async () => {
    expect(await issuesOf('img/missing.png')).toEqual(ONE);
    expect(await issuesOf(path.join(dir, 'img', '0.png', 'below-a-file.png'))).toEqual(ONE);
  });

  it('a row without a file name', async () => {
    expect(await issuesOf('')).toEqual(ONE);
  });

  it('a directory', async () => {
    expect(await issuesOf('img')).toEqual(ONE);
  });

  it('a device, without opening it', async () => {
    expect(await issuesOf('/dev/zero')).toEqual(ONE);
  });

  withFifo(
    'a FIFO, without opening it',
    async () => {
      const pipe = fifo(path.join(dir, 'pipe.png'));
      expect(await issuesOf('pipe.png')).toEqual(ONE);
      expect(released(pipe)).toBe(false);
      fs.rmSync(pipe);
    },
    QUICK,
  );

  it('a text file named .png, and an empty one', async () => {
    fs.writeFileSync(path.join(dir, 'text.png'), 'image,digit\nimg/0.png,7\n');
    fs.writeFileSync(path.join(dir, 'empty.png'), '');
    expect(await issuesOf('text.png')).toEqual(ONE);
    expect(await issuesOf('empty.png')).toEqual(ONE);
  });

  it('a truncated PNG and a truncated JPEG', async () => {
    const png = fs.readFileSync(path.join(dir, 'img', '0.png'));
    fs.writeFileSync(path.join(dir, 'truncated.png'), png.subarray(0, png.length - 30));
    const photo = greyPixels(64, 64, (x, y) => (x * y) % 256);
    await writeImage('whole.jpg', photo, { width: 64, height: 64, channels: 1 }, 90);
    const jpeg = fs.readFileSync(path.join(dir, 'whole.jpg'));
    fs.writeFileSync(path.join(dir, 'truncated.jpg'), jpeg.subarray(0, jpeg.length / 2));
    expect(await issuesOf('truncated.png')).toEqual(ONE);
    expect(await issuesOf('truncated.jpg')).toEqual(ONE);
  });

  it('an image over the pixel limit, from its header alone', async () => {
    const side = Math.sqrt(IMAGE_DECODING.maxPixels);
    fs.writeFileSync(path.join(dir, 'just-over.png'), pngClaiming(side + 1, side));
    fs.writeFileSync(path.join(dir, 'bomb.png'), pngClaiming(100_000, 100_000));
    expect(await issuesOf('just-over.png')).toEqual(ONE);
    expect(await issuesOf('bomb.png')).toEqual(ONE);
  });

  it('every bad row at once, in row order, with no line or file when not given', async () => {
    const paths = ['img/missing.png', 'img/0.png', 'img', 'text.png', 'img/gone.jpg'];
    const e = await rejection(decode(paths, { concurrency: 3 }));
    expect(e.issues.map((i) => [i.code, i.field, i.line, i.file])).toEqual(
      [0, 2, 3, 4].map(() => ['IMAGE_UNREADABLE', 'image', undefined, undefined]),
    );
    expect(e.issues[0]!.message).toContain("'img/missing.png'");
    expect(e.issues[3]!.message).toContain("'img/gone.jpg'");
  });

  it('lists at most the first 20 problems', async () => {
    const paths = Array.from({ length: 30 }, (_, i) => `img/none-${i}.png`);
    const lines = paths.map((_, i) => i + 2);
    const e = await rejection(decode(paths, { lines }));
    expect(MAX_CONCEPT_ISSUES).toBe(20);
    expect(e.issues.map((i) => i.line)).toEqual(lines.slice(0, MAX_CONCEPT_ISSUES));
  });

  it.each([
    ['a side of 0', { shape: { height: 0, width: 28 } }, 'shape'],
    ['a fractional side', { shape: { height: 28, width: 2.5 } }, 'shape'],
    ['a line per path', { lines: [2, 3] }, 'lines'],
    ['a concurrency of 0', { concurrency: 0 }, 'concurrency'],
  ])('options without %s: INVALID_ARGUMENT', async (_name, options, field) => {
    const e = await rejection(decode(['img/0.png'], options));
    expect([e.code, e.field]).toEqual(['INVALID_ARGUMENT', field]);
  });
});

describe('writeGreyPng', () => {
  it('refuses pixels that are not the shape', async () => {
    await expect(
      writeGreyPng(path.join(dir, 'wrong.png'), new Uint8Array(10), SHAPE),
    ).rejects.toThrow(/784/);
    expect(fs.existsSync(path.join(dir, 'wrong.png'))).toBe(false);
  });
});
