import {
  formatCount,
  formatDelta,
  formatInterval,
  formatPoints,
  formatRate,
  formatShare,
  formatTime,
  intervalMethodName,
  shortHash,
} from '../../src/report/format-figures';

describe('figures', () => {
  test('rates, shares and counts; null reads as a dash', () => {
    expect(formatRate(0.88333)).toBe('0.883');
    expect(formatRate(null)).toBe('—');
    expect(formatShare(0.157317)).toBe('15.7%');
    expect(formatShare(null)).toBe('—');
    expect(formatCount(11550)).toBe('11,550');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(12)).toBe('12');
    expect(formatCount(null)).toBe('—');
  });

  test('deltas carry a sign, with a true minus, and no sign for zero', () => {
    expect(formatDelta(0.006667)).toBe('+0.007');
    expect(formatDelta(-0.01)).toBe('−0.010');
    expect(formatDelta(0)).toBe('0.000');
    expect(formatDelta(-0.0001)).toBe('0.000');
    expect(formatDelta(-4.13, 1)).toBe('−4.1');
    expect(formatPoints(0.086408)).toBe('+8.6 pp');
  });

  test('an interval reads as value, 95% CI and the short method name', () => {
    const interval = {
      value: 0.883333,
      low: 0.842067,
      high: 0.914907,
      method: 'Wilson score interval, 95%',
      successes: 265,
      trials: 300,
    };
    expect(formatInterval(interval)).toBe('0.883 (95% CI 0.842–0.915, Wilson)');
    expect(intervalMethodName('Clopper-Pearson interval')).toBe('Clopper-Pearson');
    expect(intervalMethodName('bootstrap')).toBe('bootstrap');
  });

  test('times in UTC to the minute; other text unchanged', () => {
    expect(formatTime('2027-01-26T09:30:12.000Z')).toBe('2027-01-26 09:30 UTC');
    expect(formatTime('2027-01-26T10:30:12+01:00')).toBe('2027-01-26 09:30 UTC');
    expect(formatTime('yesterday-ish')).toBe('yesterday-ish');
    expect(shortHash('bcccdc0cbc41465204ebd3857316e5f5')).toBe('bcccdc0cbc41');
  });
});
