/**
 * Right-to-left text and bidirectional controls in what users wrote (levels, feature names,
 * classes, override ids, reasons) must not reorder the page's text around them: a level
 * ending in U+202E (RIGHT-TO-LEFT OVERRIDE) would otherwise show the rest of a rule's
 * sentence reversed. Every such value is isolated: in HTML as a `<bdi>` element (the
 * browser's own isolation, `unicode-bidi: isolate`), in plain text that cannot hold
 * elements (an `<option>`, SVG text) between U+2068 FIRST STRONG ISOLATE and U+2069 POP
 * DIRECTIONAL ISOLATE, the same isolation written as characters.
 */
import { h } from './dom';

/** Bidirectional formatting characters (marks, embeddings, overrides, isolates). */
const CONTROLS = '\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069';
/** Strong right-to-left letters: Hebrew, Arabic, Syriac, Thaana, NKo, their presentation forms, and the RTL scripts beyond the BMP. */
const RTL = '\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\u{10800}-\u{10fff}\u{1e800}-\u{1efff}';
const RISKY = new RegExp(`[${CONTROLS}${RTL}]`, 'u');
/** A run of non-blank text holding a control: isolated even when no known name covers it. */
const CONTROL_RUN = `\\S*[${CONTROLS}]\\S*`;

/** Whether a text can reorder the text around it (it holds a control or an RTL letter). */
export function needsIsolation(text: string): boolean {
  return RISKY.test(text);
}

/** A value that users wrote, as an element its direction cannot leak out of. */
export function bdi(text: string): HTMLElement {
  return h('bdi', {}, text);
}

/**
 * A value as plain text between FSI and PDI. An unmatched PDI in the value would end the
 * isolate early, so each is given an isolate of its own to close; an isolate the value
 * opens and does not close is closed after it.
 */
export function isolatedText(text: string): string {
  let depth = 0;
  let unmatched = 0;
  for (const c of text) {
    if (c === '\u2066' || c === '\u2067' || c === '\u2068') depth++;
    else if (c === '\u2069') {
      if (depth > 0) depth--;
      else unmatched++;
    }
  }
  return `${'\u2068'.repeat(unmatched + 1)}${text}${'\u2069'.repeat(depth + unmatched + 1)}`;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The text cut at the matches of `pattern` (global), the matches marked `isolated`. */
function split(text: string, pattern: RegExp | null): { text: string; isolated: boolean }[] {
  const out: { text: string; isolated: boolean }[] = [];
  let at = 0;
  for (const m of pattern ? text.matchAll(pattern) : []) {
    const start = m.index ?? 0;
    if (m[0] === '' || start < at) continue;
    if (start > at) out.push({ text: text.slice(at, start), isolated: false });
    out.push({ text: m[0], isolated: true });
    at = start + m[0].length;
  }
  if (at < text.length) out.push({ text: text.slice(at), isolated: false });
  return out;
}

/**
 * The names users wrote that the page shows inside longer texts (rule sentences, problem
 * messages, explanations): each occurrence of one that {@link needsIsolation} is isolated,
 * and so is any other run of text holding a bidirectional control.
 */
export class Isolator {
  private readonly names = new Set<string>();
  private pattern: RegExp | null = null;

  /** Adds names (feature names, levels, classes, override ids). */
  add(names: Iterable<string>): void {
    for (const n of names) {
      if (n !== '' && needsIsolation(n) && !this.names.has(n)) {
        this.names.add(n);
        this.pattern = null;
      }
    }
  }

  /** The text in parts: `isolated` for the parts to isolate. */
  parts(text: string): { text: string; isolated: boolean }[] {
    if (!needsIsolation(text)) return [{ text, isolated: false }];
    // Longest names first, so a name is not cut short by another that begins it.
    this.pattern ??= this.names.size
      ? new RegExp(
          [...this.names]
            .sort((a, b) => b.length - a.length)
            .map(escape)
            .join('|'),
          'gu',
        )
      : null;
    // The names first, exactly; then, in the rest, any run of text holding a control.
    return split(text, this.pattern).flatMap((p) =>
      p.isolated ? [p] : split(p.text, new RegExp(CONTROL_RUN, 'gu')),
    );
  }

  /** The text as DOM children: plain text, and a `<bdi>` for each part to isolate. */
  nodes(text: string): (string | HTMLElement)[] {
    return this.parts(text).map((p) => (p.isolated ? bdi(p.text) : p.text));
  }

  /** The text as plain text, each part to isolate between FSI and PDI. */
  plain(text: string): string {
    return this.parts(text)
      .map((p) => (p.isolated ? isolatedText(p.text) : p.text))
      .join('');
  }
}

/** The page's one isolator: the model's names, and the override ids the checks name. */
export const isolator = new Isolator();
