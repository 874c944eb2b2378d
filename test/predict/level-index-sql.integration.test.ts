import { DuckDBInstance } from '@duckdb/node-api';
import { levelIndexSql } from '../../src/predict/duckdb/query';
import { sqlOverTexts } from './sql-over-texts';

// A level's index in DuckDB, by comparisons (few levels) or an ENUM lookup (many): both
// must give JavaScript's `levels.indexOf(text)` for the exact text, and NULL for any other.

it('comparisons and the ENUM lookup give the same index as indexOf, or NULL', async () => {
  const levels = [
    'a',
    "o'brien",
    'two words',
    'A',
    'ünïcode',
    '0<=X<200',
    '1',
    '1.0',
    'a,b',
    '"quoted"',
    ...Array.from({ length: 15 }, (_, i) => `level ${i}`),
  ];
  const texts = [...levels, ' a', 'a ', 'b', '', 'level 15', "o''brien", 'a\u0301', 'ünïcodE'];
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  try {
    for (const compared of [0, levels.length]) {
      const rows = await sqlOverTexts(c, texts, (s) => levelIndexSql(s, levels, compared));
      const got = rows.map(([s, k]) => [s, k === null ? null : Number(k)]);
      const want = texts.map((s) => [s, levels.includes(s) ? levels.indexOf(s) : null]);
      expect([compared, got]).toEqual([compared, want]);
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
});
