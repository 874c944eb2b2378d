import * as fs from 'node:fs';
import { NeurulesError } from '../errors';

/**
 * Read an input file's bytes, turning every file-system failure (missing file, a
 * directory, no permission) into FILE_NOT_FOUND with the file as its place.
 */
export function readInputFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const reason =
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'it does not exist'
        : `it cannot be read (${(e as Error).message})`;
    throw new NeurulesError('FILE_NOT_FOUND', `cannot read input file '${file}': ${reason}`, {
      file,
    });
  }
}
