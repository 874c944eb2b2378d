import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanCsv } from '../../src/predict/duckdb/scan-csv';

// The one pass over a CSV file that tells the DuckDB engine whether DuckDB may read it
// (its lines map onto rows) and whether its numbers need the per-value check.

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'neurules-scan-csv-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function scan(text: string): ReturnType<typeof scanCsv> {
  const file = path.join(dir, 'f.csv');
  fs.writeFileSync(file, text);
  return scanCsv(file);
}

/** A file whose byte at `at` starts `piece`, in a row after rows of `11,22`. */
function withPieceAt(at: number, piece: string): string {
  let text = 'a,b\n';
  while (text.length < at - 20) text += '11,22\n';
  return text + '1,' + 'x'.repeat(at - text.length - 2) + piece + '\n3,4\n';
}

describe('scanCsv', () => {
  it('finds `_` and `+-` in the rows, not in the header', () => {
    expect(scan('a_b,c+-d\n1,2\n')).toEqual({ irregularity: undefined, refusedMarks: false });
    expect(scan('a,b\n1_0,2\n').refusedMarks).toBe(true);
    expect(scan('a,b\n1,+-2\n').refusedMarks).toBe(true);
    expect(scan('a,b\n+5,-5\n-+5,5-\n').refusedMarks).toBe(false);
  });

  it('finds `+-` across two chunks of the file', () => {
    const chunk = 1024 * 1024;
    for (const at of [chunk - 1, chunk - 2, chunk, 2 * chunk - 1]) {
      const text = withPieceAt(at, '+-5');
      expect(text.indexOf('+-')).toBe(at);
      expect([at, scan(text).refusedMarks]).toEqual([at, true]);
    }
    // A '+' ending one chunk and a digit starting the next: no mark.
    expect(scan(withPieceAt(chunk - 1, '+5-')).refusedMarks).toBe(false);
  });

  it('sends irregular files to the compiled reader', () => {
    for (const text of [
      '\ufeffa,b\n1,2\n',
      'a,b\r\n1,2\r\n',
      'a,b\n"1",2\n',
      'a,b\n1,2\n\n3,4\n',
      '\na,b\n1,2\n',
      '   \n1,2\n',
      '',
    ]) {
      expect([text, scan(text).irregularity]).toEqual([text, expect.any(String)]);
    }
    // Empty lines at the very end number no row.
    expect(scan('a,b\n1,2\n\n\n').irregularity).toBeUndefined();
    expect(scan(withPieceAt(1024 * 1024, '"5"')).irregularity).toEqual(expect.any(String));
  });

  it('a missing file: the input-file error with the file', () => {
    expect(() => scanCsv(path.join(dir, 'none.csv'))).toThrow(
      expect.objectContaining({ code: 'FILE_NOT_FOUND', file: path.join(dir, 'none.csv') }),
    );
  });
});
