/**
 * The YAML editor: CodeMirror 6 with one editor state per override file (so each file keeps
 * its own undo history), the checks' problems as lint diagnostics, a pass/fail badge after
 * each example, and completion of feature names, operators, levels and classes.
 */
import {
  type Completion,
  type CompletionContext,
  type CompletionResult,
} from '@codemirror/autocomplete';
import { yaml, yamlLanguage } from '@codemirror/lang-yaml';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import {
  EditorSelection,
  EditorState,
  type Extension,
  Prec,
  StateEffect,
  StateField,
  type Text,
} from '@codemirror/state';
import {
  type Command,
  Decoration,
  type DecorationSet,
  EditorView,
  highlightSpecialChars,
  keymap,
  WidgetType,
} from '@codemirror/view';
import { basicSetup } from 'codemirror';
import type { Feature } from '../../data/types';
import type { StudioCheck, StudioFix, StudioOperators, StudioProblem } from '../../studio/contract';
import { isolator } from './bidi';
import { yamlScalar } from './override-yaml';
import { backspaceColumn, newLineIndent } from './yaml-indent';

/** What completion offers, taken from the model. */
export interface Vocabulary {
  features: readonly Feature[];
  classes: readonly string[];
  operators: StudioOperators;
}

/** An example's result, shown after its line. */
interface ExampleMark {
  line: number;
  pass: boolean;
  label: string;
}

const setExampleMarks = StateEffect.define<ExampleMark[]>();

class ExampleBadge extends WidgetType {
  constructor(readonly mark: ExampleMark) {
    super();
  }
  override eq(other: ExampleBadge): boolean {
    return other.mark.pass === this.mark.pass && other.mark.label === this.mark.label;
  }
  toDOM(): HTMLElement {
    const span = document.createElement('span');
    span.className = this.mark.pass ? 'example-badge pass' : 'example-badge fail';
    span.append(`${this.mark.pass ? '✓ pass' : '✗ fail'}: `, ...isolator.nodes(this.mark.label));
    return span;
  }
}

const exampleMarks = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    let next = marks.map(tr.changes);
    for (const effect of tr.effects) {
      if (!effect.is(setExampleMarks)) continue;
      const doc = tr.state.doc;
      const ranges = effect.value
        .filter((m) => m.line >= 1 && m.line <= doc.lines)
        .sort((a, b) => a.line - b.line)
        .map((m) =>
          Decoration.widget({ widget: new ExampleBadge(m), side: 1 }).range(doc.line(m.line).to),
        );
      next = Decoration.set(ranges, true);
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/**
 * Enter: a new line at the indentation the structure goes on with (`yaml-indent.ts`), the
 * spaces the break leaves at the end of the line and at the start of the next dropped.
 */
const yamlNewLine: Command = ({ state, dispatch }) => {
  if (state.readOnly) return false;
  const tr = state.changeByRange((range) => {
    const line = state.doc.lineAt(range.from);
    const before = line.text.slice(0, range.from - line.from);
    const from = line.from + before.trimEnd().length;
    const next = state.doc.lineAt(range.to);
    const after = next.text.slice(range.to - next.from);
    const to = range.to + after.length - after.trimStart().length;
    const insert = `\n${' '.repeat(newLineIndent(before))}`;
    return { changes: { from, to, insert }, range: EditorSelection.cursor(from + insert.length) };
  });
  dispatch(state.update(tr, { scrollIntoView: true, userEvent: 'input' }));
  return true;
};

/**
 * The lines above line `n` that can enclose it: up to the nearest line that starts at
 * column 0 (an override's `- id:`), so a Backspace does not read the whole file.
 */
function enclosingLines(doc: Text, n: number): string[] {
  const lines: string[] = [];
  for (let i = n - 1; i >= 1; i--) {
    const text = doc.line(i).text;
    lines.unshift(text);
    if (/^[^\s#]/.test(text)) break;
  }
  return lines;
}

/**
 * Backspace in a line's indentation: to the nearest column to the left where the line
 * still belongs to the structure above (`yaml-indent.ts`), never one space; anywhere else
 * (or with a selection, or several cursors), CodeMirror's own Backspace.
 */
const yamlBackspace: Command = ({ state, dispatch }) => {
  const range = state.selection.main;
  if (state.readOnly || state.selection.ranges.length > 1 || !range.empty) return false;
  const line = state.doc.lineAt(range.head);
  const column = range.head - line.from;
  const target = backspaceColumn(enclosingLines(state.doc, line.number), line.text, column);
  if (target === null) return false;
  if (target < column) {
    dispatch(
      state.update({
        changes: { from: line.from + target, to: range.head },
        selection: { anchor: line.from + target },
        scrollIntoView: true,
        userEvent: 'delete.backward',
      }),
    );
  }
  return true;
};

/** Maps a 1-based line and column to a range: the token there, or else the whole line. */
export function placeProblem(
  doc: Text,
  line: number,
  column: number,
): { from: number; to: number } {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  const from = Math.min(l.from + Math.max(column - 1, 0), l.to);
  const token = /^(?:'[^']*'|"[^"]*"|[^\s,{}[\]:]+)/.exec(l.text.slice(from - l.from));
  if (token) return { from, to: from + token[0].length };
  return from < l.to ? { from, to: l.to } : { from: l.from, to: l.to };
}

function diagnosticsFor(doc: Text, problems: readonly StudioProblem[]): Diagnostic[] {
  return problems.map((p) => {
    const { from, to } = placeProblem(doc, p.line ?? 1, p.column ?? 1);
    const message = `${p.code} ${p.message}`;
    return {
      from,
      to,
      severity: p.severity,
      source: p.code,
      message,
      // The message names levels and ids users wrote: isolated as in the problems list.
      renderMessage: () => {
        const span = document.createElement('span');
        span.append(...isolator.nodes(message));
        return span;
      },
    };
  });
}

const KEYS: Completion[] = [
  ['id', 'a unique name'],
  ['description', 'what it is for'],
  ['when', 'the conditions'],
  ['then', '{ class: … }'],
  ['priority', 'a whole number ≥ 2, default 100'],
  ['reason', 'shown in explanations'],
  ['owner', 'who answers for it'],
  ['examples', 'records and the class they must get'],
  ['all', 'every item holds'],
  ['any', 'one item holds'],
  ['not', 'the conditions fail'],
  ['class', 'a class of the model'],
  ['input', 'a whole record'],
  ['expect', 'the class expected'],
].map(([label, detail]) => ({ label: label!, detail: detail!, type: 'keyword' }));

function completeFrom(vocabulary: Vocabulary) {
  const featureByName = new Map(vocabulary.features.map((f) => [f.name, f]));
  const features: Completion[] = vocabulary.features.map((f) => ({
    label: f.name,
    type: 'property',
    detail:
      f.type === 'numeric' ? `numeric ${f.min}–${f.max}` : `categorical, ${f.levels.length} levels`,
  }));
  const classes: Completion[] = vocabulary.classes.map((c) => ({
    label: yamlScalar(c),
    type: 'enum',
    detail: 'class',
  }));
  const operators = (type: 'numeric' | 'categorical'): Completion[] =>
    vocabulary.operators[type].map((op) => ({ label: yamlScalar(op), type: 'function' }));

  return (context: CompletionContext): CompletionResult | null => {
    const word = context.matchBefore(/[\w'"<>=!./-]*/);
    if (!word || (word.from === word.to && !context.explicit)) return null;
    const line = context.state.doc.lineAt(context.pos);
    const before = line.text.slice(0, word.from - line.from);
    const from = word.from;

    // `feature: { op: value` or `feature: { in: [a, b` → that feature's levels, or a number.
    const value =
      /([\w.-]+):\s*\{\s*(?:[^{}]*,\s*)?['"]?[^'":{}]+['"]?:\s*\[?(?:[^\]]*,\s*)?$/.exec(before);
    if (value) {
      const feature = featureByName.get(value[1]!);
      if (feature?.type !== 'categorical') return null;
      return {
        from,
        options: feature.levels.map((l) => ({
          label: yamlScalar(l),
          type: 'enum',
          detail: 'level',
        })),
      };
    }
    // `feature: { ` → the operators for that feature's type.
    const operator = /([\w.-]+):\s*\{\s*(?:[^{}]*,\s*)?$/.exec(before);
    if (operator) {
      const feature = featureByName.get(operator[1]!);
      if (!feature) return null;
      return { from, options: operators(feature.type) };
    }
    if (/\b(?:class|expect):\s*$/.test(before)) return { from, options: classes };
    if (/^\s*(?:-\s+)?$/.test(before)) return { from, options: [...features, ...KEYS] };
    return context.explicit ? { from, options: [...features, ...KEYS] } : null;
  };
}

/** The editor of all override files, one tab each. */
export class FilesEditor {
  readonly view: EditorView;
  private readonly states = new Map<string, EditorState>();
  private readonly extensions: Extension[];
  private current: string;

  constructor(
    parent: HTMLElement,
    files: readonly { name: string; text: string }[],
    vocabulary: Vocabulary,
    onChange: () => void,
    /** After the cursor moves or the text changes. */
    onCursor: () => void = () => undefined,
  ) {
    this.extensions = [
      basicSetup,
      // CodeMirror shows most bidirectional controls as placeholders; these too, so no
      // embedding in a level reorders the rest of its line.
      highlightSpecialChars({ addSpecialChars: /[\u202a-\u202c\u2068]/ }),
      yaml(),
      yamlLanguage.data.of({ autocomplete: completeFrom(vocabulary) }),
      // Before CodeMirror's own Enter and Backspace; completion's Enter, also of the highest
      // precedence, comes earlier (in basicSetup), so it still takes an open completion.
      Prec.highest(
        keymap.of([
          { key: 'Enter', run: yamlNewLine },
          { key: 'Backspace', run: yamlBackspace },
        ]),
      ),
      lintGutter(),
      // Long example records wrap, so the pass/fail badge at the line's end stays in view.
      EditorView.lineWrapping,
      exampleMarks,
      EditorView.updateListener.of((update) => {
        if (update.docChanged) onChange();
        if (update.docChanged || update.selectionSet) onCursor();
      }),
      EditorView.contentAttributes.of({ 'aria-label': 'YAML overrides' }),
    ];
    for (const file of files) this.states.set(file.name, this.stateOf(file.text));
    this.current = files[0]?.name ?? 'overrides.yaml';
    if (!this.states.has(this.current)) this.states.set(this.current, this.stateOf(''));
    this.view = new EditorView({ parent, state: this.states.get(this.current)! });
  }

  private stateOf(text: string): EditorState {
    return EditorState.create({ doc: text, extensions: this.extensions });
  }

  private sync(): void {
    this.states.set(this.current, this.view.state);
  }

  /** File names in tab order. */
  names(): string[] {
    return [...this.states.keys()];
  }

  /** The file shown. */
  active(): string {
    return this.current;
  }

  /** Every file's current text. */
  files(): { name: string; text: string }[] {
    this.sync();
    return this.names().map((name) => ({ name, text: this.states.get(name)!.doc.toString() }));
  }

  /** Shows a file (its own undo history comes with it). */
  open(name: string): void {
    this.sync();
    const state = this.states.get(name);
    if (!state) return;
    this.current = name;
    this.view.setState(state);
  }

  /** Adds a file and shows it. */
  add(name: string, text = ''): void {
    if (!this.states.has(name)) this.states.set(name, this.stateOf(text));
    this.open(name);
  }

  /** Replaces every file by these (after a reload from disk); history starts again. */
  reset(files: readonly { name: string; text: string }[]): void {
    this.states.clear();
    for (const file of files) this.states.set(file.name, this.stateOf(file.text));
    if (!this.states.has(this.current)) this.current = files[0]?.name ?? 'overrides.yaml';
    if (!this.states.has(this.current)) this.states.set(this.current, this.stateOf(''));
    this.view.setState(this.states.get(this.current)!);
  }

  /** Appends text to the file shown, as one undoable edit, and scrolls to it. */
  append(text: string): void {
    const doc = this.view.state.doc;
    const last = doc.line(doc.lines).text;
    const before = doc.lines > 1 ? doc.line(doc.lines - 1).text : '';
    // A blank line between the file's last override and the new one.
    const sep =
      doc.length === 0 ? '' : last.trim() !== '' ? '\n\n' : before.trim() !== '' ? '\n' : '';
    const insert = sep + text;
    this.view.dispatch({
      changes: { from: doc.length, insert },
      selection: { anchor: doc.length + insert.length },
      scrollIntoView: true,
    });
    this.view.focus();
  }

  /** Replaces the file shown with `text`, as one undoable edit. */
  replace(text: string): void {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
  }

  /**
   * Replaces a range of the file shown, as one undoable edit that changes only the text that
   * differs (so the cursor and the rest of the range stay where they are).
   */
  replaceRange(from: number, to: number, text: string): void {
    const doc = this.view.state.doc;
    const end = Math.min(to, doc.length);
    const old = doc.sliceString(from, end);
    if (old === text) return;
    let head = 0;
    while (head < old.length && head < text.length && old[head] === text[head]) head++;
    let tail = 0;
    while (
      tail < old.length - head &&
      tail < text.length - head &&
      old[old.length - 1 - tail] === text[text.length - 1 - tail]
    )
      tail++;
    this.view.dispatch({
      changes: { from: from + head, to: end - tail, insert: text.slice(head, text.length - tail) },
      userEvent: 'input.form',
    });
  }

  /**
   * Shows `file` with the cursor at a 1-based line and column (clamped to the text),
   * scrolled into view and focused. False when the editor holds no such file.
   */
  reveal(file: string, line: number, column: number): boolean {
    if (!this.states.has(file)) return false;
    this.open(file);
    const { from } = placeProblem(this.view.state.doc, line, column);
    this.view.dispatch({
      selection: { anchor: from },
      effects: EditorView.scrollIntoView(from, { y: 'center' }),
    });
    this.view.focus();
    return true;
  }

  /**
   * Applies a quick fix to `file` (shown first) as one undoable edit, the cursor after it.
   * False when the file is not held or the fix's range is outside its text.
   */
  applyFix(file: string, fix: StudioFix): boolean {
    if (!this.states.has(file)) return false;
    this.open(file);
    if (fix.from < 0 || fix.to < fix.from || fix.to > this.view.state.doc.length) return false;
    this.view.dispatch({
      changes: { from: fix.from, to: fix.to, insert: fix.insert },
      selection: { anchor: fix.from + fix.insert.length },
      scrollIntoView: true,
      userEvent: 'input.fix',
    });
    this.view.focus();
    return true;
  }

  /** Underlines the checks' problems and marks each example pass or fail, in every file. */
  showCheck(result: StudioCheck): void {
    this.sync();
    const all = [...result.problems, ...result.findings];
    for (const [name, state] of this.states) {
      const diagnostics = diagnosticsFor(
        state.doc,
        all.filter((p) => p.file === name),
      );
      const marks: ExampleMark[] = result.examples
        .filter((e) => e.file === name)
        .map((e) => ({
          line: e.line,
          pass: e.pass,
          label: `${e.override} expected ${e.expect}, got ${e.class} (rule ${e.ruleId})`,
        }));
      const spec = setDiagnostics(state, diagnostics);
      const effects = [
        ...(Array.isArray(spec.effects) ? spec.effects : spec.effects ? [spec.effects] : []),
        setExampleMarks.of(marks),
      ];
      if (name === this.current) this.view.dispatch({ effects });
      else this.states.set(name, state.update({ effects }).state);
    }
  }
}
