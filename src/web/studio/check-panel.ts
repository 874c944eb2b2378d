/**
 * Live checks: a moment after the last edit, the files go to `POST /api/check` (a newer
 * check aborts an older one); the answer is underlined in the editor and listed as the lines
 * `neurules rules lint` prints, with each example's pass or fail.
 */
import type { StudioCheck } from '../../studio/contract';
import { checkFiles } from './api';
import { bdi, isolator } from './bidi';
import { byId, fill, h } from './dom';
import type { FilesEditor } from './editor';
import { problemLines } from './problem-lines';
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

  private render(result: StudioCheck): void {
    isolator.add([
      ...result.examples.map((e) => e.override),
      ...(result.impact?.overrides.map((o) => o.id) ?? []),
    ]);
    this.editor.showCheck(result);
    const all = [...result.problems, ...result.findings];
    fill(
      byId('problems'),
      ...problemLines(all, result.lintLines).map((l) =>
        h('li', { class: l.kind, 'data-code': l.code }, ...isolator.nodes(l.text)),
      ),
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
