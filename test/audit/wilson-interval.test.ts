import { wilsonInterval } from '../../src/audit/wilson-interval';
import { catchError } from '../data/catch-error';

describe('wilsonInterval', () => {
  test.each([
    // Reference values (Newcombe 1998, Table I; R's prop.test without continuity correction).
    [0, 10, 0, 0.2775],
    [10, 10, 0.7225, 1],
    [50, 100, 0.4038, 0.5962],
    [81, 263, 0.2553, 0.3662],
  ])('%i of %i → [%f, %f]', (k, n, low, high) => {
    const ci = wilsonInterval(k, n);
    expect(ci.value).toBeCloseTo(k / n, 10);
    expect(ci.low).toBeCloseTo(low, 4);
    expect(ci.high).toBeCloseTo(high, 4);
  });

  test('bad counts are refused', () => {
    expect(catchError(() => wilsonInterval(3, 0)).code).toBe('INVALID_ARGUMENT');
    expect(catchError(() => wilsonInterval(5, 4)).code).toBe('INVALID_ARGUMENT');
  });
});
