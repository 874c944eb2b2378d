/** The impact panel's filters of changed records: verdict, class (old or new), text. */
import type { ChangedRecord } from '../../src/studio/contract';
import { matchesChange } from '../../src/web/studio/change-filter';

const record: ChangedRecord = {
  index: 4,
  label: 'good',
  from: 'good',
  to: 'bad',
  verdict: 'now wrong',
  override: 'young',
  fields: [
    { name: 'age', value: 19 },
    { name: 'purpose', value: null },
  ],
};
const all = { verdict: '', cls: '', text: '' } as const;

describe('matchesChange', () => {
  it('passes everything with no filter', () => {
    expect(matchesChange(record, all)).toBe(true);
  });

  it('filters by verdict and by the old or new class', () => {
    expect(matchesChange(record, { ...all, verdict: 'now wrong' })).toBe(true);
    expect(matchesChange(record, { ...all, verdict: 'now right' })).toBe(false);
    expect(matchesChange(record, { ...all, cls: 'good' })).toBe(true);
    expect(matchesChange(record, { ...all, cls: 'bad' })).toBe(true);
    expect(matchesChange(record, { ...all, cls: 'other' })).toBe(false);
  });

  it('searches field names and values, ignoring case; a missing value as "missing"', () => {
    expect(matchesChange(record, { ...all, text: '19' })).toBe(true);
    expect(matchesChange(record, { ...all, text: 'PURPOSE' })).toBe(true);
    expect(matchesChange(record, { ...all, text: 'missing' })).toBe(true);
    expect(matchesChange(record, { ...all, text: '20' })).toBe(false);
  });
});
