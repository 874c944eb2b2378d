/**
 * The data of the perception example: `data/parcels.csv`, 1,500 parcels (seed 1) whose
 * postcode is an 8×8 handwritten-like digit (`px_0..px_63`), with weight, service and route
 * (bench/tasks/parcels.ts).
 *
 *   npm run data:perception   # rewrites data/parcels.csv (run from the repository root)
 *
 * test/bench/parcels.test.ts fails when the file and the generator differ.
 */
import * as path from 'node:path';
import { generateParcels, writeParcelsCsv } from '../bench/tasks/parcels';

/** The file, relative to the repository root, and how it is drawn. */
export const PARCELS_DATA = Object.freeze({
  file: path.join('data', 'parcels.csv'),
  count: 1500,
  seed: 1,
  digits: Object.freeze({ height: 8, width: 8 }),
});

/** Write the parcels of {@link PARCELS_DATA} to `file` (atomically). */
export function writeParcelsData(file: string): void {
  const { count, seed, digits } = PARCELS_DATA;
  writeParcelsCsv(file, generateParcels(count, seed, digits));
}

if (require.main === module) {
  writeParcelsData(path.resolve(PARCELS_DATA.file));
  console.log(`wrote ${PARCELS_DATA.file}`);
}
