/**
 * Class colours: the Okabe–Ito palette, distinguishable with the common colour-vision
 * deficiencies and in greyscale print, in an order that keeps the first classes far apart.
 */
const CLASS_COLOURS = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#56b4e9',
  '#d55e00',
  '#8c7a00',
  '#555555',
];

/**
 * Series colours for charts with one series per rule: Tableau 20, its ten darker hues
 * first and then their lighter partners, so neighbouring series differ in hue.
 */
const SERIES_COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#59a14f',
  '#b6992d',
  '#499894',
  '#79706e',
  '#d37295',
  '#b07aa1',
  '#9d7660',
  '#a0cbe8',
  '#ffbe7d',
  '#ff9d9a',
  '#8cd17d',
  '#f1ce63',
  '#86bcb6',
  '#bab0ac',
  '#fabfd2',
  '#d4a6c8',
  '#d7b5a6',
];

/** What a class the model does not list is drawn in. */
const UNKNOWN_CLASS_COLOUR = '#777777';

/** The colour of a class: by its place in the model's class list, cycling past eight classes. */
export function classColour(classes: readonly string[], name: string): string {
  const index = classes.indexOf(name);
  return index < 0 ? UNKNOWN_CLASS_COLOUR : CLASS_COLOURS[index % CLASS_COLOURS.length]!;
}

/** The colour of the `index`-th series of a chart (cycling past twenty series). */
export function seriesColour(index: number): string {
  return SERIES_COLOURS[Math.abs(index) % SERIES_COLOURS.length]!;
}
