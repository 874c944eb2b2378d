import { readRegularFile } from '../files/regular-files';
import { type ErrorCode, NeurulesError } from '../errors';

/**
 * Read a versioned JSON artifact and check its `format` and `version`.
 * A missing file gives `missingCode`; damaged JSON, or JSON after a byte-order mark,
 * INVALID_ARTIFACT; another kind of file FOREIGN_FORMAT; a version above `maxVersion`
 * NEWER_FORMAT.
 */
export function readArtifact<T extends { format: string; version: number }>(
  file: string,
  format: T['format'],
  maxVersion: number,
  missingCode: ErrorCode = 'MODEL_NOT_FOUND',
): T {
  // A regular file only: a FIFO or device put where an artifact belongs is refused
  // (NOT_A_REGULAR_FILE) instead of stalling the reader.
  const text = readRegularFile(file, { encoding: 'utf8', missingCode });
  return parseArtifact<T>(text, file, format, maxVersion);
}

/** U+FEFF, which an editor saving "UTF-8 with BOM" puts at the start of a file. */
const BYTE_ORDER_MARK = '\uFEFF';

/** {@link readArtifact} of text already read from `file`. */
export function parseArtifact<T extends { format: string; version: number }>(
  text: string,
  file: string,
  format: T['format'],
  maxVersion: number,
): T {
  // JSON has no byte-order mark (RFC 8259 §8.1), and JSON.parse would name it as an
  // invisible "unexpected token". Not skipped either: the file's hash, which its commit
  // records, is of its bytes with the mark.
  if (text.startsWith(BYTE_ORDER_MARK)) {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `${file} starts with a byte-order mark (U+FEFF), which JSON does not allow; save it as UTF-8 without one`,
      { file, line: 1, column: 1 },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `${file} is not valid JSON: ${(e as Error).message}`,
      { file },
    );
  }
  const v = value as { format?: unknown; version?: unknown } | null;
  if (!v || typeof v !== 'object' || v.format !== format) {
    const found =
      v && typeof v === 'object' && 'format' in v
        ? `format '${String(v.format)}'`
        : 'no format tag';
    throw new NeurulesError(
      'FOREIGN_FORMAT',
      `${file}: expected a '${format}' file, found ${found}`,
      {
        file,
        field: 'format',
      },
    );
  }
  if (typeof v.version !== 'number' || !Number.isInteger(v.version) || v.version < 1) {
    throw new NeurulesError(
      'INVALID_ARTIFACT',
      `${file}: expected a whole version number, found ${JSON.stringify(v.version)}`,
      {
        file,
        field: 'version',
      },
    );
  }
  if (v.version > maxVersion) {
    throw new NeurulesError(
      'NEWER_FORMAT',
      `${file} is '${format}' version ${v.version}; this neurules reads versions up to ${maxVersion}: upgrade neurules`,
      { file, field: 'version' },
    );
  }
  return value as T;
}
