import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { digitsCsvHeader, generateDigits, writeDigitsCsv } from '../../bench/tasks/digits';

const key = (images: { pixels: Uint8Array[]; labels: number[] }): string =>
  JSON.stringify([images.labels, images.pixels.map((p) => Array.from(p))]);

/** Euclidean distance between two images. */
function distance(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

describe('generated digits', () => {
  it('are the same for a seed and differ for another seed', () => {
    expect(key(generateDigits(50, 3))).toBe(key(generateDigits(50, 3)));
    expect(key(generateDigits(50, 3))).not.toBe(key(generateDigits(50, 4)));
    const small = { height: 8, width: 8 };
    expect(key(generateDigits(50, 3, small))).toBe(key(generateDigits(50, 3, small)));
  });

  it.each([
    [28, 28],
    [8, 8],
    [20, 12],
  ])('are %i×%i images, one label per image', (height, width) => {
    const images = generateDigits(30, 1, { height, width });
    expect(images.height).toBe(height);
    expect(images.width).toBe(width);
    expect(images.pixels).toHaveLength(30);
    expect(images.labels).toHaveLength(30);
    for (const p of images.pixels) {
      expect(p).toBeInstanceOf(Uint8Array);
      expect(p).toHaveLength(height * width);
    }
  });

  it('use the whole grey range: dark background, saturated ink, grey edges', () => {
    const { pixels } = generateDigits(100, 2);
    const all = pixels.flatMap((p) => Array.from(p));
    const share = (test: (v: number) => boolean): number => all.filter(test).length / all.length;
    expect(Math.min(...all)).toBe(0);
    expect(Math.max(...all)).toBe(255);
    // A 28×28 digit inks roughly a tenth to a fifth of the image, like MNIST's.
    expect(share((v) => v > 128)).toBeGreaterThan(0.05);
    expect(share((v) => v > 128)).toBeLessThan(0.3);
    expect(share((v) => v < 40)).toBeGreaterThan(0.6);
    // Anti-aliasing and noise: grey levels between, not a two-level image.
    expect(share((v) => v >= 60 && v <= 200)).toBeGreaterThan(0.01);
    expect(new Set(all).size).toBeGreaterThan(200);
  });

  it('draw every digit equally often', () => {
    const { labels } = generateDigits(500, 5);
    const counts = Array.from({ length: 10 }, (_, d) => labels.filter((y) => y === d).length);
    expect(counts).toEqual(Array(10).fill(50));
    // Shuffled, not in a cycle.
    expect(labels.slice(0, 10)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it.each([
    [28, 28],
    [8, 8],
  ])(
    '%i×%i: two digits differ more than two drawings of one digit, on average',
    (height, width) => {
      const { pixels, labels } = generateDigits(200, 7, { height, width });
      let same = 0;
      let sameCount = 0;
      let other = 0;
      let otherCount = 0;
      for (let i = 0; i < pixels.length; i++) {
        for (let j = i + 1; j < pixels.length; j++) {
          const d = distance(pixels[i]!, pixels[j]!);
          if (labels[i] === labels[j]) {
            same += d;
            sameCount++;
          } else {
            other += d;
            otherCount++;
          }
        }
      }
      // Measured: 1.11 (28×28) and 1.21 (8×8) with this seed; images whose pixels did not
      // depend on the digit would give 1.
      expect(other / otherCount).toBeGreaterThan(1.05 * (same / sameCount));
    },
  );

  it.each([
    [28, 28],
    [8, 8],
  ])(
    '%i×%i: the mean image of each digit recognises new drawings well above chance',
    (height, width) => {
      const train = generateDigits(500, 1, { height, width });
      const test = generateDigits(200, 2, { height, width });
      const n = height * width;
      const means = Array.from({ length: 10 }, () => new Float64Array(n));
      train.pixels.forEach((p, i) => {
        const m = means[train.labels[i]!]!;
        for (let k = 0; k < n; k++) m[k]! += p[k]! / 50;
      });
      const nearest = (p: Uint8Array): number => {
        const d = means.map((m) => m.reduce((s, v, k) => s + (p[k]! - v) ** 2, 0));
        return d.indexOf(Math.min(...d));
      };
      const right = test.pixels.filter((p, i) => nearest(p) === test.labels[i]).length;
      // Measured: 73% (28×28) and 83% (8×8); chance is 10%.
      expect(right / test.pixels.length).toBeGreaterThan(0.5);
    },
  );

  it('are written as a CSV file: the digit, the pixels, then extra columns', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-digits-'));
    try {
      const images = generateDigits(20, 9, { height: 8, width: 8 });
      const file = path.join(dir, 'digits.csv');
      writeDigitsCsv(file, images, { odd: images.labels.map((d) => (d % 2 ? 'yes' : 'no')) });
      const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(21);
      expect(lines[0]!.split(',')).toEqual(digitsCsvHeader(64, ['odd']));
      expect(digitsCsvHeader(3)).toEqual(['digit', 'px_0', 'px_1', 'px_2']);
      const first = lines[1]!.split(',');
      expect(first).toHaveLength(66);
      expect(Number(first[0])).toBe(images.labels[0]);
      expect(first.slice(1, 65).map(Number)).toEqual(Array.from(images.pixels[0]!));
      expect(first[65]).toBe(images.labels[0]! % 2 ? 'yes' : 'no');
      expect(() => writeDigitsCsv(file, images, { short: [1, 2] })).toThrow(/short/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
