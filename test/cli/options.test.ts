import { InvalidArgumentError } from 'commander';
import { once, wholeNumber } from '../../src/cli/options';

/** The message a parser refuses `value` with. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof InvalidArgumentError) return e.message;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('wholeNumber', () => {
  const line = wholeNumber('--line', 1);

  it('reads decimal digits', () => {
    expect(line('1')).toBe(1);
    expect(line('0042')).toBe(42);
    expect(wholeNumber('--port', 0)('0')).toBe(0);
    expect(line(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    '0x2',
    '1e0',
    '2.0',
    ' 2',
    '2 ',
    '+2',
    '-1',
    '',
    '0b1',
    'Infinity',
    '1_000',
    '0',
    '9007199254740993',
  ])("refuses '%s', saying what it expected and found", (value) => {
    const message = refusal(() => line(value));
    expect(message).toContain('--line');
    expect(message).toContain('expected a whole number ≥ 1');
    expect(message).toContain(`found '${value}'`);
  });
});

describe('once', () => {
  it('takes one value and refuses a second', () => {
    const favourable = once('--favourable');
    expect(favourable('good', undefined)).toBe('good');
    expect(refusal(() => favourable('bad', 'good'))).toMatch(
      /--favourable: expected it once, found it given twice \('good', then 'bad'\)/,
    );
  });
});
