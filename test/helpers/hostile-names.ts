import fc from 'fast-check';

/**
 * Names that are hard to write into generated code: quotes, backslashes, line and paragraph
 * separators, braces, comment and template markers, attempts to close a string and run
 * code, names on Object.prototype, numbers and the generated functions' own parameter
 * names. Fact and feature names are fuzzed with these (test/engine/property-loader.test.ts,
 * test/data/record-maker.test.ts).
 */
export const HOSTILE_NAMES = [
  '"',
  "'",
  '`',
  '\\',
  '\\"',
  '"]; throw 1; //',
  '": 1 }); throw 1; ({ "',
  '}',
  '};',
  '${1}',
  '\u2028',
  '\u2029',
  '\n',
  '\r\n',
  '\0',
  '\ud800',
  '*/',
  '/*',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '',
  ' ',
  '0',
  '01',
  '-1',
  '1e3',
  'out[0]',
  'obj',
  'values',
];

/** A hostile name, any string, or hostile names run together. */
export const hostileName = fc.oneof(
  fc.constantFrom(...HOSTILE_NAMES),
  fc.string({ unit: 'binary' }),
  fc
    .array(fc.constantFrom(...HOSTILE_NAMES), { minLength: 1, maxLength: 4 })
    .map((a) => a.join('')),
);
