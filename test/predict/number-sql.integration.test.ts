import fc from 'fast-check';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { parseNumber } from '../../src/data/parse-value';
import { numberSql, REFUSED_MARKS } from '../../src/predict/duckdb/number-sql';
import { sqlOverTexts } from './sql-over-texts';

// The DuckDB engine's fast path reads a number with DuckDB's typed cast and a check for
// the spellings neurules refuses (`numberSql`). It is exact when every text it reads as a
// finite number is a text neurules reads as that same number; every other text (NULL, or
// not finite) is handed back to the compiled reader. These tests hold it to that.

let db: DuckDBInstance;
let c: DuckDBConnection;
beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:', { threads: '1' });
  c = await db.connect();
});
afterAll(() => {
  c.closeSync();
  db.closeSync();
});

/** Each text with what the fast path makes of it (null: handed back). */
async function fastPath(texts: readonly string[]): Promise<[string, number | null][]> {
  const rows = (await sqlOverTexts(c, texts, (s) => numberSql(s))) as [string, number | null][];
  // A value that is not finite is handed back too (the engine tests `isfinite`).
  return rows.map(([s, v]) => [s, v !== null && Number.isFinite(v) ? v : null]);
}

/** The texts where the fast path reads a number neurules does not read, or another one. */
function wrongReadings(rows: [string, number | null][]): [string, number, number | undefined][] {
  return rows
    .filter(([s, v]) => v !== null && v !== parseNumber(s))
    .map(([s, v]) => [s, v!, parseNumber(s)]);
}

/** Every text of 1 to `n` characters over `alphabet`. */
function allTexts(alphabet: readonly string[], n: number): string[] {
  let texts: string[] = [];
  let level = [''];
  for (let k = 1; k <= n; k++) {
    level = level.flatMap((s) => alphabet.map((a) => s + a));
    texts = texts.concat(level);
  }
  return texts;
}

describe('the fast path for numbers (TRY_CAST with a check)', () => {
  it('reads every short text over the characters of numbers exactly as neurules, or not at all', async () => {
    const texts = [
      // Decimal notation, signs, separators, white space: all texts up to 5 characters.
      ...allTexts(['0', '1', '9', '.', 'e', 'E', '+', '-', '_', ' '], 5),
      // Letters DuckDB's reader knows (hex, binary, inf, nan), other white space, NUL.
      ...allTexts([...'1.e-xbinfa\t\u00a0\ufeff\u0000\u000b\u0085'], 4),
    ];
    const rows = await fastPath(texts);
    expect(wrongReadings(rows)).toEqual([]);
    // The fast path is not empty: every text neurules reads without white space around
    // it, DuckDB reads too (only padded ones may be handed back).
    const missed = rows.filter(([s, v]) => v === null && parseNumber(s) !== undefined);
    expect(missed.filter(([s]) => s.trim() === s)).toEqual([]);
    expect(rows.filter(([, v]) => v !== null).length).toBeGreaterThan(4_000);
  });

  it('reads generated numbers in every notation, padded and mangled, exactly as neurules', async () => {
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
    const spelled = fc
      .tuple(finite, fc.integer({ min: 0, max: 20 }), fc.constantFrom(0, 1, 2, 3, 4))
      .map(([x, digits, how]) => {
        const d = Math.min(digits, 20);
        switch (how) {
          case 0:
            return String(x);
          case 1:
            return x.toExponential(d);
          case 2:
            return Math.abs(x) < 1e21 ? x.toFixed(d) : String(x);
          case 3:
            return x.toPrecision(Math.max(1, d));
          default:
            return String(x).replace('e', 'E');
        }
      });
    const digits = fc.stringMatching(/^[0-9]{1,40}$/);
    const long = fc
      .tuple(digits, digits, fc.integer({ min: -400, max: 400 }))
      .map(([a, b, e]) => `${a}.${b}e${e}`);
    // One edit each: a prefix, a suffix or an insertion (several at once would nearly
    // always make a text that no reader accepts).
    const mangled = fc
      .tuple(
        fc.oneof(spelled, long),
        fc.constantFrom('before', 'after', 'inside'),
        fc.constantFrom(
          ' ',
          '\t',
          '+',
          '-',
          '+-',
          '-+',
          '--',
          '00',
          '.',
          '0x',
          '_',
          'e',
          'e5',
          ',',
        ),
        fc.nat(),
      )
      .map(([s, where, piece, at]) => {
        if (where === 'before') return piece + s;
        if (where === 'after') return s + piece;
        const k = at % (s.length + 1);
        return s.slice(0, k) + piece + s.slice(k);
      });
    const free = fc
      .array(fc.constantFrom(...'0123456789.eE+-_ xXinfaINFAtyb\t\u00a0'.split('')), {
        maxLength: 12,
      })
      .map((chars) => chars.join(''));
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            { weight: 2, arbitrary: spelled },
            { weight: 1, arbitrary: long },
            { weight: 4, arbitrary: mangled },
            { weight: 2, arbitrary: free },
          ),
          { minLength: 1, maxLength: 300 },
        ),
        async (texts) => {
          expect(wrongReadings(await fastPath(texts))).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('needs each of its marks: without the check DuckDB reads them as numbers neurules refuses', async () => {
    // Texts that carry exactly one mark each; DuckDB's bare cast reads every one of them.
    const texts = ['1_000', '+-5', '1e1_0', '10_5'];
    const bare = (
      await c.runAndReadAll(
        `SELECT s, TRY_CAST(s AS DOUBLE) FROM (VALUES ${texts.map((s) => `('${s}')`).join(', ')}) v(s)`,
      )
    ).getRows() as [string, number | null][];
    for (const mark of REFUSED_MARKS) {
      const read = bare.filter(([s, v]) => s.includes(mark) && v !== null);
      expect([mark, read.length > 0]).toEqual([mark, true]);
      for (const [s] of read) expect([s, parseNumber(s)]).toEqual([s, undefined]);
    }
    expect(wrongReadings(await fastPath(texts))).toEqual([]);
  });
});
