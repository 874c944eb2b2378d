/**
 * Live checks: a moment after the last edit, the files go to `POST /api/check` (a newer
 * check aborts an older one); the answer is underlined in the editor and listed as the lines
 * `neurules rules lint` prints (errors first), with each example's pass or fail. A problem's
 * line takes the editor to its place; its quick fixes are buttons; a finding's example
 * record is a small table of the features its override reads, the rest folded.
 */
import type { StudioCheck, StudioProblem } from '../../studio/contract';
import { checkFiles } from './api';
import { bdi, isolator } from './bidi';
import { byId, fill, h } from './dom';
import type { FilesEditor } from './editor';
import { exampleRows, type ProblemLine, problemLines } from './problem-lines';
import { describeError, isAbort } from './status';

/**
 * Milliseconds after the last keystroke before a check is asked for: short, since a check
 * answers in tens of milliseconds and a newer one cancels an older (the live-check bench
 * measures the whole round trip, this wait included).
 */
const CHECK_DELAY = 40;

/** What the page does with a check. */
export interface CheckHooks {
  /** A check of the editor's current files has come (after the panel showed it). */
  checked(result: StudioCheck): void;
  /** A check has come, failed or been dropped: whether the files may be saved changed. */
  settled(): void;
  /** The panel showed another file in the editor (a problem's, or a quick fix's). */
  opened(): void;
}

/** The problems and examples, and the check that finds them. */
export class CheckPanel {
  private check: StudioCheck | null = null;
  /** The files the shown check was made for (JSON), to tell a current check from a stale one. */
  private checkedKey = '';
  private timer: number | undefined;
  private abort: AbortController | null = null;

  constructor(
    private readonly editor: FilesEditor,
    private readonly hooks: CheckHooks,
  ) {}

  /** The check of the files as they are in the editor now, or null while one is coming. */
  current(): StudioCheck | null {
    return JSON.stringify(this.editor.files()) === this.checkedKey ? this.check : null;
  }

  /** After every edit of any file: a check a moment later. */
  edited(): void {
    byId('check-state').textContent = '(checking…)';
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.run(), CHECK_DELAY);
  }

  /** Checks the editor's files now. */
  async run(): Promise<void> {
    const files = this.editor.files();
    const key = JSON.stringify(files);
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    try {
      const result = await checkFiles(files, abort.signal);
      // A later edit has its own check coming; this one's places would be off.
      if (key !== JSON.stringify(this.editor.files())) return;
      this.check = result;
      this.checkedKey = key;
      this.render(result);
      this.hooks.checked(result);
    } catch (error) {
      if (isAbort(error)) return;
      fill(byId('check-state'), '(check failed: ', ...isolator.nodes(describeError(error)), ')');
    } finally {
      this.hooks.settled();
    }
  }

  /** One problem's line: a button to its place, its fixes, its example; or lint's summary. */
  private line(l: ProblemLine): HTMLElement {
    const text = isolator.nodes(l.text);
    const p = l.problem;
    if (!p) return h('li', { class: l.kind }, ...text);
    const held = p.file !== null && this.editor.names().includes(p.file);
    const place =
      held && p.line !== null
        ? h(
            'button',
            { type: 'button', class: 'problem-place', title: 'show in the editor' },
            ...text,
          )
        : h('span', {}, ...text);
    if (place instanceof HTMLButtonElement) {
      place.addEventListener('click', () => this.show(p));
    }
    return h(
      'li',
      {
        class: l.kind,
        'data-code': l.code,
        'data-file': p.file ?? undefined,
        'data-line': p.line ?? undefined,
      },
      place,
      ...(held
        ? (p.fixes ?? []).map((fix) => {
            const button = h(
              'button',
              { type: 'button', class: 'quick-fix' },
              ...isolator.nodes(fix.label),
            );
            button.addEventListener('click', () => {
              if (this.editor.applyFix(p.file!, fix)) this.hooks.opened();
            });
            return button;
          })
        : []),
      ...l.details.map((d) => h('div', { class: 'detail' }, ...isolator.nodes(d))),
      exampleTable(p),
    );
  }

  /** The editor at a problem's place, its file shown. */
  private show(p: StudioProblem): void {
    if (this.editor.reveal(p.file!, p.line!, p.column ?? 1)) this.hooks.opened();
  }

  private render(result: StudioCheck): void {
    isolator.add([
      ...result.examples.map((e) => e.override),
      ...(result.impact?.overrides.map((o) => o.id) ?? []),
    ]);
    this.editor.showCheck(result);
    const all = [...result.problems, ...result.findings];
    fill(
      byId('problems'),
      ...problemLines(all, result.lintLines, result.folder).map((l) => this.line(l)),
    );
    const errors = all.filter((p) => p.severity === 'error').length;
    byId('check-state').textContent = all.length
      ? `(${errors} error(s), ${all.length - errors} warning(s))`
      : '(none)';
    fill(
      byId('examples'),
      ...result.examples.map((e) =>
        h(
          'li',
          { class: e.pass ? 'pass' : 'fail' },
          `${e.pass ? 'pass' : 'fail'}  `,
          bdi(e.override),
          `  ${e.file}:${e.line}  expected `,
          bdi(e.expect),
          ', got ',
          bdi(e.class),
          ' (rule ',
          bdi(e.ruleId),
          ')',
        ),
      ),
    );
  }
}

/**
 * A finding's example record as a table: the features its override reads, then a button
 * that unfolds the rest of the record.
 */
function exampleTable(p: StudioProblem): HTMLElement | null {
  const rows = exampleRows(p);
  if (!rows) return null;
  const tr = (r: { feature: string; value: string }, hidden: boolean) =>
    h('tr', { hidden }, h('th', { scope: 'row' }, bdi(r.feature)), h('td', {}, bdi(r.value)));
  const rest = rows.rest.map((r) => tr(r, true));
  const table = h(
    'table',
    { class: 'example-record', 'aria-label': 'example record' },
    h('caption', {}, 'example record'),
    h('tbody', {}, ...rows.read.map((r) => tr(r, false)), ...rest),
  );
  if (!rest.length) return table;
  const more = h(
    'button',
    { type: 'button', class: 'example-more', 'aria-expanded': 'false' },
    `all ${rows.read.length + rest.length} features`,
  );
  more.addEventListener('click', () => {
    const open = more.getAttribute('aria-expanded') !== 'true';
    for (const row of rest) row.hidden = !open;
    more.setAttribute('aria-expanded', String(open));
    more.textContent = open
      ? `the ${rows.read.length} features the override reads`
      : `all ${rows.read.length + rest.length} features`;
  });
  return h('div', { class: 'example-fold' }, table, more);
}
