import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The bytes `write` writes to a file in a temporary folder, removed afterwards. */
export function writtenFile(write: (file: string) => void): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-written-'));
  try {
    const file = path.join(dir, 'written.csv');
    write(file);
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The lines of the CSV file `write` writes, each split at its commas (the bench's task
 * files quote nothing), the header first.
 */
export function writtenCsv(write: (file: string) => void): string[][] {
  const text = writtenFile(write).toString('utf8');
  return text
    .trimEnd()
    .split('\n')
    .map((line) => line.split(','));
}
