import * as fs from 'node:fs';
import { NeurulesError } from '../errors';

/**
 * Read an input file's bytes. A directory is INPUT_IS_DIRECTORY; every other file-system
 * failure (missing file, no permission) is FILE_NOT_FOUND; both with the file as place.
 */
export function readInputFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    // Only on failure is the path looked at again: a good read costs no extra stat.
    throw inputFileError(file, e);
  }
}

/**
 * Check that an input file is there and is not a directory before it is streamed; returns
 * its stats (the size, for progress). Throws FILE_NOT_FOUND or INPUT_IS_DIRECTORY.
 */
export function statInputFile(file: string): fs.Stats {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(file);
  } catch (e) {
    throw inputFileError(file, e);
  }
  if (stats.isDirectory()) throw isDirectory(file);
  return stats;
}

/** The coded error for a failure to open or read `file` (`e`, from the file system). */
export function inputFileError(file: string, e: unknown): NeurulesError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EISDIR' || (code !== 'ENOENT' && isDirectoryPath(file))) return isDirectory(file);
  const reason =
    code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${(e as Error).message})`;
  return new NeurulesError('FILE_NOT_FOUND', `cannot read input file '${file}': ${reason}`, {
    file,
  });
}

function isDirectoryPath(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function isDirectory(file: string): NeurulesError {
  return new NeurulesError(
    'INPUT_IS_DIRECTORY',
    `input '${file}' is a directory; expected a file`,
    { file },
  );
}
