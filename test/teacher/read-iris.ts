import * as path from 'node:path';
import { readTable } from '../../src/data/read-csv';
import { splitTable as split } from '../../src/data/split-table';
import type { Split, Table } from '../../src/data/types';

/** data/iris.csv, read by the data stage. */
export function readIris(): Table {
  return readTable(path.join(__dirname, '..', '..', 'data', 'iris.csv'));
}

/** A seeded stratified split into train / validation / test (60 / 20 / 20). */
export function splitTable(table: Table, seed: number): Split {
  return split(table, { seed, testFraction: 0.2, validationFraction: 0.2 });
}
