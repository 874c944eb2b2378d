import * as fs from 'node:fs';
import { isBlank } from '../../data/parse-value';
import { inputFileError } from '../../data/read-input-file';
import { REFUSED_MARKS } from './number-sql';

/** The longest header line DuckDB is given; a longer one sends the file to the compiled reader. */
export const MAX_HEADER = 1024 * 1024;

/** What one pass over a CSV file's bytes tells the DuckDB engine ({@link scanCsv}). */
export interface CsvScan {
  /**
   * Why DuckDB's rows would not map one to one onto the file's physical lines as neurules
   * numbers them, or undefined when they do.
   */
  irregularity: string | undefined;
  /**
   * Whether a text DuckDB's number cast reads and neurules refuses ({@link REFUSED_MARKS}:
   * `_`, `+-`) may be in a row: somewhere after the header line. When not, the engine reads
   * numbers with DuckDB's cast alone.
   */
  refusedMarks: boolean;
}

/**
 * One pass over a CSV file with `Buffer.indexOf`. Irregular (see {@link CsvScan}): a double
 * quote anywhere (a quoted field may span lines), a CR (line ends other than LF), an empty
 * line (DuckDB skips it), a byte-order mark, or a first line that is not a header (or is
 * over {@link MAX_HEADER}). And whether a {@link REFUSED_MARKS} byte sequence occurs after
 * the header line (across chunk boundaries too).
 */
export function scanCsv(file: string): CsvScan {
  // 1 MiB: a chunk that stays in the CPU caches for its several searches.
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw inputFileError(file, e);
  }
  const marks = REFUSED_MARKS.map((m) => Buffer.from(m));
  const overlap = Math.max(...marks.map((m) => m.length)) - 1;
  let refusedMarks = false;
  const irregular = (irregularity: string): CsvScan => ({ irregularity, refusedMarks });
  try {
    const size = fs.fstatSync(fd).size;
    let position = 0;
    let previous = -1; // the byte before this chunk
    let tail = Buffer.alloc(0); // the last bytes of the previous chunk, for marks across two
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      let body = 0; // where the rows start in this chunk
      if (position === 0) {
        if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
          return irregular('starts with a byte-order mark');
        }
        const firstEnd = chunk.indexOf(0x0a);
        if (
          chunk[0] === 0x0a ||
          isBlank(chunk.subarray(0, firstEnd < 0 ? n : firstEnd).toString())
        ) {
          return irregular('does not start with its header');
        }
        if ((firstEnd < 0 ? n : firstEnd) > MAX_HEADER)
          return irregular('has a header line over 1 MiB');
        body = firstEnd < 0 ? n : firstEnd;
      }
      if (chunk.indexOf(0x22) >= 0) return irregular('has quoted fields');
      if (chunk.indexOf(0x0d) >= 0) return irregular('has CR line ends');
      // Empty lines at the very end number no row: only those before a row matter.
      const empty = previous === 0x0a && chunk[0] === 0x0a ? 0 : chunk.indexOf('\n\n');
      if (empty >= 0 && (position + n < size || chunk.subarray(empty).some((b) => b !== 0x0a))) {
        return irregular('has empty lines');
      }
      if (!refusedMarks) {
        const across = Buffer.concat([tail, chunk.subarray(body, body + overlap)]);
        refusedMarks = marks.some((m) => chunk.indexOf(m, body) >= 0 || across.indexOf(m) >= 0);
        tail = Buffer.from(chunk.subarray(Math.max(body, n - overlap)));
      }
      previous = chunk[n - 1]!;
      position += n;
    }
    return position === 0 ? irregular('is empty') : { irregularity: undefined, refusedMarks };
  } finally {
    fs.closeSync(fd);
  }
}
