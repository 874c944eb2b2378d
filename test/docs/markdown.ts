/**
 * Reading the repository's Markdown for the docs tests: the pages, their fenced code
 * blocks (with the HTML comment that marks a block, if any), and the `neurules` command
 * lines in those blocks.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';

export const ROOT = path.join(__dirname, '..', '..');

/** README.md and the pages of docs/, relative to the repository root. */
export function docPages(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

/** A fenced code block of a Markdown file. */
export interface FencedBlock {
  /** The file, relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string after the fence (`yaml`, `sh`, ...). */
  lang: string;
  /** The block's lines, without the fence's indentation. */
  lines: string[];
  /** The text of an HTML comment on the nearest non-blank line before the fence. */
  marker?: string;
}

/** Every fenced code block of `file` (relative to the root). */
export function fencedBlocks(file: string): FencedBlock[] {
  const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', fence = '', lang = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[j]!);
      if (close && close[1]![0] === fence[0] && close[1]!.length >= fence.length) break;
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!);
    }
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '') k--;
    const comment = k >= 0 ? /^\s*<!--\s*(.*?)\s*-->\s*$/.exec(lines[k]!) : null;
    blocks.push({ file, line: i + 1, lang, lines: body, ...(comment && { marker: comment[1]! }) });
    i = j;
  }
  return blocks;
}

/** A `neurules` command line of a code block. */
export interface CommandLine {
  file: string;
  /** 1-based line in `file`. */
  line: number;
  /** A shell line (`$ neurules ...`, output may follow) or a synopsis (`neurules ...`). */
  shell: boolean;
  /** The words after `neurules`, continuation lines joined, a `# comment` left out. */
  words: string[];
}

const COMMAND = /^(\$ )?(?:npx )?neurules(?:\s|$)/;

/**
 * The command lines of a block: `neurules ...`, `$ neurules ...` or `npx neurules ...`.
 * A synopsis continues on the indented lines that follow it; a shell line continues on
 * the next line after a trailing backslash, as in a shell.
 */
export function commandLines(block: FencedBlock): CommandLine[] {
  const out: CommandLine[] = [];
  for (let i = 0; i < block.lines.length; i++) {
    const m = COMMAND.exec(block.lines[i]!);
    if (!m) continue;
    const shell = Boolean(m[1]);
    const start = i;
    let text = block.lines[i]!.replace(/^\$ /, '');
    if (shell) {
      while (text.endsWith('\\') && i + 1 < block.lines.length)
        text = text.slice(0, -1) + ' ' + block.lines[++i]!;
    } else {
      while (i + 1 < block.lines.length && /^\s+\S/.test(block.lines[i + 1]!))
        text += ' ' + block.lines[++i]!;
    }
    const words = shellWords(text, shell);
    out.push({
      file: block.file,
      line: block.line + 1 + start,
      shell,
      words: words.slice(words.indexOf('neurules') + 1),
    });
  }
  return out;
}

/**
 * Split a command line into words as a POSIX shell does: quotes group, a `#` word starts a
 * comment; in a shell line (not a synopsis, where `|` separates choices) `&` and `|` end it.
 */
export function shellWords(text: string, shell = true): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed ${c} in: ${text}`);
      word = (word ?? '') + text.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (word === undefined && (c === '#' || (shell && (c === '&' || c === '|')))) {
      break;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The `--options` a command line names (`[--seed N]`, `(--record JSON`, `--json`). */
export function optionsOf(words: readonly string[]): string[] {
  return words.flatMap((w) => /^[[(]*(--[a-z][a-z0-9-]*)/.exec(w)?.[1] ?? []);
}

/** The (sub)command a command line's words name, e.g. `rules lint`, and its path. */
export function findCommand(
  program: Command,
  words: readonly string[],
): { command: Command; path: string } | undefined {
  let command = program;
  const names: string[] = [];
  for (const word of words) {
    if (word.startsWith('-') || word.startsWith('[') || command.commands.length === 0) break;
    const sub = command.commands.find((c) => c.name() === word);
    if (!sub) return undefined;
    command = sub;
    names.push(word);
  }
  return { command, path: names.join(' ') };
}
