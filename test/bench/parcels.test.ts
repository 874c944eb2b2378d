import * as fs from 'node:fs';
import * as path from 'node:path';
import { conceptCsvHeader } from '../../bench/tasks/concept-csv';
import { generateDigits } from '../../bench/tasks/digits';
import {
  generateParcels,
  parcelRoute,
  ROUTES,
  writeParcelsCsv,
  type Parcels,
} from '../../bench/tasks/parcels';
import { PARCELS_DATA, writeParcelsData } from '../../scripts/make-perception-data';
import { parseConceptDeclaration, resolveConcepts } from '../../src/perception/concepts';
import { writtenCsv, writtenFile } from '../helpers/written-csv';

const COMMITTED = path.join(__dirname, '..', '..', PARCELS_DATA.file);

const key = (p: Parcels): string =>
  JSON.stringify([p.images.pixels.map((x) => Array.from(x)), p.weights, p.services, p.routes]);

/** Share of each route, in ROUTES order. */
const shares = (routes: readonly string[]): number[] =>
  ROUTES.map((r) => routes.filter((x) => x === r).length / routes.length);

describe('parcelRoute', () => {
  it.each([
    [5, 20.1, 'standard', 'freight'],
    [0, 39.9, 'express', 'freight'],
    [0, 20, 'express', 'air'],
    [2, 0.5, 'express', 'air'],
    [2, 3.2, 'standard', 'north'],
    [0, 12, 'standard', 'north'],
    [3, 7.4, 'express', 'north'],
    [4, 1, 'express', 'east'],
    [6, 19.9, 'standard', 'east'],
    [7, 2.5, 'standard', 'south'],
    [9, 15, 'express', 'south'],
  ] as const)('postcode %i, %f kg, %s → %s', (postcode, weight, service, route) => {
    expect(parcelRoute(postcode, weight, service)).toBe(route);
  });

  it('refuses a postcode that is not a digit and an unknown service', () => {
    expect(() => parcelRoute(10, 1, 'standard')).toThrow(/postcode/);
    expect(() => parcelRoute(1.5, 1, 'standard')).toThrow(/postcode/);
    expect(() => parcelRoute(1, 1, 'overnight')).toThrow(/overnight/);
  });
});

describe('generated parcels', () => {
  const small = { height: 8, width: 8 };
  /** The parcels of data/parcels.csv. */
  let committed: Parcels;
  beforeAll(() => {
    committed = generateParcels(PARCELS_DATA.count, PARCELS_DATA.seed, PARCELS_DATA.digits);
  });

  it('are the same for a seed and differ for another seed', () => {
    expect(key(generateParcels(60, 3, small))).toBe(key(generateParcels(60, 3, small)));
    expect(key(generateParcels(60, 3, small))).not.toBe(key(generateParcels(60, 4, small)));
  });

  it("have generateDigits's images and labels for the seed, and the true route", () => {
    const parcels = generateParcels(60, 5, small);
    const digits = generateDigits(60, 5, small);
    expect(parcels.images.labels).toEqual(digits.labels);
    expect(parcels.images.pixels).toEqual(digits.pixels);
    expect(parcels.routes).toEqual(
      parcels.images.labels.map((d, i) =>
        parcelRoute(d, parcels.weights[i]!, parcels.services[i]!),
      ),
    );
  });

  it('have weights of one decimal on both sides of the freight limit, half of them express', () => {
    const { weights, services } = committed;
    expect(weights.filter((w) => w < 0.5 || w > 40 || Math.round(w * 10) / 10 !== w)).toEqual([]);
    const heavy = weights.filter((w) => w > 20).length / weights.length;
    expect(heavy).toBeGreaterThan(0.15);
    expect(heavy).toBeLessThan(0.35);
    // The limit has rows near it on both sides, so the threshold is learnt, not guessed.
    expect(weights.filter((w) => w > 15 && w <= 20).length).toBeGreaterThan(50);
    expect(weights.filter((w) => w > 20 && w <= 25).length).toBeGreaterThan(50);
    const express = services.filter((s) => s === 'express').length / services.length;
    expect(express).toBeGreaterThan(0.45);
    expect(express).toBeLessThan(0.55);
  });

  it.each([
    [PARCELS_DATA.count, PARCELS_DATA.seed],
    [600, 2],
    [600, 3],
  ])('%i parcels, seed %i: every route has 8% to 35% of them', (count, seed) => {
    const { routes } = seed === PARCELS_DATA.seed ? committed : generateParcels(count, seed, small);
    for (const share of shares(routes)) {
      expect(share).toBeGreaterThanOrEqual(0.08);
      expect(share).toBeLessThanOrEqual(0.35);
    }
  });

  it('are written as a CSV file: the postcode, the pixels, weight, service and route', () => {
    const parcels = generateParcels(20, 9, small);
    const [header, ...rows] = writtenCsv((file) => writeParcelsCsv(file, parcels));
    expect(rows).toHaveLength(20);
    expect(header).toEqual(conceptCsvHeader('postcode', 'px_', 64, ['weight', 'service', 'route']));
    // The concept declaration of the example finds the pixels as an 8×8 image.
    const declared = [parseConceptDeclaration('postcode=px_*')];
    const [concept] = resolveConcepts(declared, new Map(), header!, { target: 'route' });
    expect(concept!.input).toMatchObject({ kind: 'columns', shape: { height: 8, width: 8 } });

    const row = rows[2]!;
    expect(row).toHaveLength(68);
    const postcode = Number(row[0]);
    expect(postcode).toBe(parcels.images.labels[2]);
    expect(row.slice(1, 65).map(Number)).toEqual(Array.from(parcels.images.pixels[2]!));
    expect(row[65]).toMatch(/^\d+\.\d$/);
    expect(Number(row[65])).toBe(parcels.weights[2]);
    expect(row[66]).toBe(parcels.services[2]);
    expect(row[67]).toBe(parcelRoute(postcode, Number(row[65]), row[66]!));
  });
});

describe('data/parcels.csv', () => {
  it('is what the generator writes now', () => {
    // Compared as bytes: a difference means `npm run data:perception` was not run.
    expect(writtenFile(writeParcelsData).equals(fs.readFileSync(COMMITTED))).toBe(true);
  });

  it('has postcodes legible at 8×8: the mean image of each digit recognises held-out ones', () => {
    const rows = fs
      .readFileSync(COMMITTED, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',').slice(0, 65).map(Number));
    expect(rows).toHaveLength(PARCELS_DATA.count);
    const train = rows.slice(0, 1000);
    const test = rows.slice(1000);
    const means = Array.from({ length: 10 }, () => new Float64Array(64));
    const counts = new Array<number>(10).fill(0);
    for (const [digit, ...pixels] of train) {
      counts[digit!]!++;
      pixels.forEach((v, k) => (means[digit!]![k]! += v));
    }
    means.forEach((m, d) => m.forEach((v, k) => (m[k] = v / counts[d]!)));
    const nearest = (pixels: number[]): number => {
      const d = means.map((m) => m.reduce((s, v, k) => s + (pixels[k]! - v) ** 2, 0));
      return d.indexOf(Math.min(...d));
    };
    const right = test.filter(([digit, ...pixels]) => nearest(pixels) === digit).length;
    // Measured: 84%, as the 8×8 digits of test/bench/digits.test.ts (83%); chance is 10%.
    expect(right / test.length).toBeGreaterThan(0.7);
  });
});
